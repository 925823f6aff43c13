"""Benchmark curate against the floor (libyaml alone), the naive way and check-jsonschema.

    python benchmarks/run.py [--articles 10000] [--runs 3] [--workdir DIR] [--with-100k]

Every figure is a whole process: wall time and that process's own peak RSS, median of --runs.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from floor import article_paths, split_front_matter
from generate import generate_site
from measure import Measurement, measure, run_process, summarise

BENCHMARKS = Path(__file__).resolve().parent
SCHEMA = BENCHMARKS.parent / "schemas" / "article.schema.json"
SCRIPTS = Path(sys.executable).parent
RANK_TOPIC = "AI Ethics"
LARGE_SITE = 100_000
# Room left on a command line, as xargs leaves it, for the spawn.py prefix and the kernel.
ARG_HEADROOM = 2048


@dataclass(frozen=True)
class Target:
    """Issue 13's target for a figure: seconds of wall time, or times the floor's figure."""

    seconds: float | None = None
    floor_wall: float | None = None
    floor_cpu: float | None = None

    def text(self) -> str:
        parts = []
        if self.seconds is not None:
            parts.append(f"<= {self.seconds:g} s")
        if self.floor_wall is not None:
            parts.append(f"<= {self.floor_wall:g}x floor")
        if self.floor_cpu is not None:
            parts.append(f"CPU <= {self.floor_cpu:g}x floor CPU")
        return ", ".join(parts)

    def verdict(self, m: Measurement, floor: Measurement | None) -> str:
        """ "met", or by how much each part is missed."""
        if m.seconds is None:
            return "n/a"
        missed = []
        if self.seconds is not None and m.seconds > self.seconds:
            missed.append(f"+{m.seconds - self.seconds:.2f} s")
        wall_floor = floor.seconds if floor is not None else None
        if self.floor_wall is not None and wall_floor and m.seconds > self.floor_wall * wall_floor:
            missed.append(f"wall {m.seconds / wall_floor:.1f}x")
        if self.floor_cpu is not None and floor is not None and floor.cpu_seconds:
            cpu = m.cpu_seconds or 0.0
            if cpu > self.floor_cpu * floor.cpu_seconds:
                missed.append(f"CPU {cpu / floor.cpu_seconds:.1f}x")
        return "met" if not missed else "missed: " + ", ".join(missed)


#: Issue 13's targets at 10,000 articles and at 100,000.
PRECOMMIT = {10_000: Target(0.15), LARGE_SITE: Target(0.5)}
WARM_UNCHANGED = {10_000: Target(0.3)}
WARM_ONE_CHANGED = {10_000: Target(0.35), LARGE_SITE: Target(2.0)}
COLD_LINT = Target(floor_wall=1.0, floor_cpu=1.5)
COLD_VALIDATE = Target(floor_cpu=1.0)


@dataclass(frozen=True)
class Row:
    measurement: Measurement
    versus_floor: bool = False
    versus_check_jsonschema: bool = False
    reference: str = ""
    target: Target | None = None


class EditedArticle:
    """One article whose excerpt gets a new 3-character value, same size, at every edit.

    No two edits write the same content, so a cache keyed by content cannot hit either.
    """

    MARKER = b'excerpt: "'

    def __init__(self, path: Path) -> None:
        self.path = path
        self.original = path.read_bytes()
        self.offset = self.original.index(self.MARKER) + len(self.MARKER)
        self.edits = 0

    def rewrite(self) -> None:
        self.edits += 1
        token = f"{self.edits % 1000:03d}".encode()
        self.path.write_bytes(
            self.original[: self.offset] + token + self.original[self.offset + 3 :]
        )

    def restore(self) -> None:
        self.path.write_bytes(self.original)


def editable_article(site: Path) -> EditedArticle:
    """A valid article from the middle of the site whose excerpt starts with 3 plain characters."""
    paths = article_paths(site)
    for path in paths[len(paths) // 2 :] + paths[: len(paths) // 2]:
        text = path.read_text(encoding="utf-8")
        front_matter = split_front_matter(text)
        start = text.find('excerpt: "') + len('excerpt: "')
        if front_matter is None or start < len('excerpt: "'):
            continue
        if not all(char.isalnum() or char == " " for char in text[start : start + 3]):
            continue
        try:
            yaml.load(front_matter, Loader=yaml.CSafeLoader)
        except (yaml.YAMLError, ValueError):
            continue
        return EditedArticle(path)
    raise ValueError(f"no valid article to edit under {site}")


def curate_command() -> list[str]:
    script = SCRIPTS / "curate"
    return [str(script)] if script.exists() else [sys.executable, "-m", "curate"]


def measure_cached(
    label: str, command: list[str], cwd: Path, runs: int, edited: EditedArticle | None = None
) -> Measurement:
    """Prime the cache with one unmeasured run, then measure; `edited` changes before each run."""
    run_process(command, cwd)
    if edited is None:
        return measure(label, [command], cwd, runs)
    try:
        return measure(label, [command], cwd, runs, edited.rewrite)
    finally:
        edited.restore()


def curate_rows(site: Path, runs: int, articles: int) -> list[Row]:
    curate = curate_command()
    article = editable_article(site)
    rows = [Row(measure("curate --version", [[*curate, "--version"]], site, runs))]
    rows.append(Row(measure("curate --help", [[*curate, "--help"]], site, runs)))
    for name in ("validate", "lint"):
        command = [*curate, name, str(site)]
        cold = measure(f"curate {name} (cold, --no-cache)", [[*command, "--no-cache"]], site, runs)
        target = COLD_LINT if name == "lint" else COLD_VALIDATE
        rows.append(Row(cold, versus_floor=True, versus_check_jsonschema=True, target=target))
        label = f"curate {name} (warm, nothing changed)"
        warm = WARM_UNCHANGED.get(articles) if name == "lint" else None
        rows.append(Row(measure_cached(label, command, site, runs), target=warm))
        label = f"curate {name} (warm, 1 file changed)"
        changed = WARM_ONE_CHANGED.get(articles) if name == "lint" else None
        rows.append(Row(measure_cached(label, command, site, runs, edited=article), target=changed))
    relative = article.path.relative_to(site)
    label = f"curate lint {relative.parent}/<one file> (warm, cwd=SITE: pre-commit)"
    one = [*curate, "lint", str(relative)]
    rows.append(Row(measure_cached(label, one, site, runs), target=PRECOMMIT.get(articles)))
    rank = [*curate, "rank", "--topic", RANK_TOPIC, str(site)]
    rows.append(Row(measure_cached(f'curate rank --topic "{RANK_TOPIC}" (warm)', rank, site, runs)))
    return rows


def sequence_rows(site: Path, runs: int, articles: int) -> list[Row]:
    """The runs users make one after another, not each command primed by itself.

    A whole-site lint, then a pre-commit run of one file (typed relative to the site,
    not as the whole-site run typed it), then the whole site again: the pre-commit run
    must find the cache the whole-site run left, and must not evict what it remembered.
    Then the commit of an edit: the file changes, pre-commit lints it, then the whole
    site is linted again.
    """
    curate = curate_command()
    article = editable_article(site)
    relative = article.path.relative_to(site)
    whole = [*curate, "lint", str(site)]
    one = [*curate, "lint", str(relative)]
    run_process([*curate, "cache", "clear", str(site)], site)
    run_process(whole, site)
    precommit, again, edited, after_edit = [], [], [], []
    for _ in range(runs):
        precommit.append(run_process(one, site))
        again.append(run_process(whole, site))
    try:
        for _ in range(runs):
            article.rewrite()
            edited.append(run_process(one, site))
            after_edit.append(run_process(whole, site))
    finally:
        article.restore()
    shown = f"{relative.parent}/<one file>"
    return [
        Row(
            summarise(f"sequence: lint SITE, then lint {shown}", precommit),
            target=PRECOMMIT.get(articles),
        ),
        Row(
            summarise("sequence: ... then lint SITE again", again),
            target=WARM_UNCHANGED.get(articles),
        ),
        Row(
            summarise(f"sequence: edit {shown}, then lint it (pre-commit of an edit)", edited),
            target=PRECOMMIT.get(articles),
        ),
        Row(
            summarise("sequence: ... then lint SITE (1 file changed)", after_edit),
            target=WARM_ONE_CHANGED.get(articles),
        ),
    ]


def argument_bytes(argument: str) -> int:
    """What one argument or environment entry costs of ARG_MAX: its bytes, a NUL, a pointer."""
    return len(os.fsencode(argument)) + 1 + 8


def command_batches(base: list[str], names: list[str]) -> list[list[str]]:
    """Split names over as few command lines as ARG_MAX allows, as xargs does."""
    environment = sum(argument_bytes(f"{key}={value}") for key, value in os.environ.items())
    budget = os.sysconf("SC_ARG_MAX") - environment - ARG_HEADROOM
    budget -= sum(argument_bytes(argument) for argument in base)
    batches: list[list[str]] = [[]]
    used = 0
    for name in names:
        if batches[-1] and used + argument_bytes(name) > budget:
            batches.append([])
            used = 0
        batches[-1].append(name)
        used += argument_bytes(name)
    return [[*base, *batch] for batch in batches]


def check_jsonschema_row(site: Path, runs: int, scratch: Path) -> Row:
    executable = SCRIPTS / "check-jsonschema"
    if not executable.exists():
        found = shutil.which("check-jsonschema")
        if found is None:
            missing = Measurement("check-jsonschema", None, None, "not installed")
            return Row(missing, versus_floor=True, reference="check")
        executable = Path(found)
    names = []
    for path in article_paths(site):
        text = path.read_text(encoding="utf-8")
        front_matter = split_front_matter(text)
        (scratch / f"{path.stem}.yaml").write_text(
            text if front_matter is None else front_matter, encoding="utf-8"
        )
        names.append(f"{path.stem}.yaml")
    commands = command_batches([str(executable), "--schemafile", str(SCHEMA)], names)
    shape = (
        "1 process, all files on one command line"
        if len(commands) == 1
        else f"{len(commands)} processes, batched to fit ARG_MAX"
    )
    label = f"check-jsonschema on extracted front matter ({shape})"
    return Row(measure(label, commands, scratch, runs), versus_floor=True, reference="check")


def floor_row(site: Path, runs: int) -> Row:
    command = [sys.executable, str(BENCHMARKS / "floor.py"), str(site)]
    measurement = measure("floor: read + yaml.CSafeLoader, 1 process", [command], site, runs)
    return Row(measurement, reference="floor")


def baseline_rows(site: Path, runs: int) -> list[Row]:
    naive = [sys.executable, str(BENCHMARKS / "naive.py"), str(site), "--schema", str(SCHEMA)]
    label = "naive: python-frontmatter + jsonschema Draft202012Validator loop"
    with tempfile.TemporaryDirectory(prefix="curate-bench-front-matter-") as scratch:
        return [
            floor_row(site, runs),
            Row(measure(label, [naive], site, runs), versus_floor=True),
            check_jsonschema_row(site, runs, Path(scratch)),
        ]


def large_site_rows(site: Path) -> list[Row]:
    curate = curate_command()
    rows = [floor_row(site, 1)]
    for name in ("validate", "lint"):
        command = [*curate, name, str(site), "--no-cache"]
        cold = measure(f"curate {name} (cold, --no-cache)", [command], site, 1)
        target = COLD_LINT if name == "lint" else COLD_VALIDATE
        rows.append(Row(cold, versus_floor=True, target=target))
    article = editable_article(site)
    relative = article.path.relative_to(site)
    whole = [*curate, "lint", str(site)]
    one = [*curate, "lint", str(relative)]
    label = f"curate lint {relative.parent}/<one file> (warm, cwd=SITE: pre-commit)"
    rows.append(Row(measure_cached(label, one, site, 1), target=PRECOMMIT[LARGE_SITE]))
    label = "curate lint (warm, 1 file changed)"
    changed = measure_cached(label, whole, site, 1, edited=article)
    rows.append(Row(changed, target=WARM_ONE_CHANGED[LARGE_SITE]))
    return rows


@contextmanager
def site_directory(workdir: Path | None, articles: int, seed: int) -> Iterator[tuple[Path, str]]:
    """Yield the site and how it came to be; a site under --workdir is kept and reused."""
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="curate-bench-") as temporary:
            site = Path(temporary) / "site"
            yield site, generated(site, articles, seed)
        return
    site = workdir / f"site-{articles}-seed{seed}"
    if site.is_dir():
        yield site, f"reused {site}"
        return
    partial = site.with_name(f"{site.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    note = generated(partial, articles, seed)
    partial.rename(site)
    yield site, f"{note} into {site}"


def generated(site: Path, articles: int, seed: int) -> str:
    start = time.perf_counter()
    broken = generate_site(site, articles, seed)
    seconds = time.perf_counter() - start
    return f"generated in {seconds:.1f} s (seed {seed}, {len(broken)} broken on purpose)"


def load_average() -> str:
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def cpu_model() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown CPU"
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown CPU"


def ratio(value: float | None, reference: float | None) -> str:
    return f"{value / reference:.1f}x" if value is not None and reference else ""


def table(rows: Sequence[Row]) -> list[str]:
    references = {row.reference: row.measurement for row in rows if row.reference}
    floor, check = references.get("floor"), references.get("check")
    floor_cpu = floor.cpu_seconds if floor is not None else None
    lines = [
        "| measurement | median s | CPU s | peak RSS MB | time / floor | CPU / floor CPU "
        "| check-jsonschema / time | target (issue 13) | verdict |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        m = row.measurement
        seconds = f"{m.seconds:.3f}" if m.seconds is not None else f"n/a ({m.failure})"
        cpu = f"{m.cpu_seconds:.3f}" if m.cpu_seconds is not None else ""
        rss = f"{m.peak_rss_mb:.0f}" if m.peak_rss_mb is not None else ""
        floor_seconds = floor.seconds if floor is not None else None
        versus_floor = ratio(m.seconds, floor_seconds) if row.versus_floor else ""
        versus_cpu = ratio(m.cpu_seconds, floor_cpu) if row.versus_floor else ""
        # How many times faster than check-jsonschema: the target is stated that way round.
        check_seconds = check.seconds if check is not None else None
        versus_check = ratio(check_seconds, m.seconds) if row.versus_check_jsonschema else ""
        target = row.target.text() if row.target is not None else ""
        verdict = row.target.verdict(m, floor) if row.target is not None else ""
        lines.append(
            f"| {m.label} | {seconds} | {cpu} | {rss} | {versus_floor} | {versus_cpu} "
            f"| {versus_check} | {target} | {verdict} |"
        )
    return lines


def report_failures(rows: Sequence[Row]) -> None:
    for row in rows:
        if row.measurement.failure:
            m = row.measurement
            print(f"n/a: {m.label}: {m.failure}: {m.detail}", file=sys.stderr)


def site_summary(site: Path, articles: int, runs: int, origin: str) -> str:
    size = sum(path.stat().st_size for path in article_paths(site)) / 1e6
    return f"Site: {articles:,} articles ({size:.0f} MB), {origin}; median of {runs} run(s)."


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=10_000, help="site size (10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure, median (3)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (0)")
    parser.add_argument("--workdir", type=Path, help="keep (and reuse) the generated sites here")
    parser.add_argument("--output", type=Path, help="also write the Markdown report here")
    large = parser.add_mutually_exclusive_group()
    large.add_argument(
        "--with-100k",
        dest="with_100k",
        action="store_true",
        help="also time cold validate/lint on 100,000 articles (one run)",
    )
    large.add_argument("--skip-100k", dest="with_100k", action="store_false", help="(default)")
    parser.add_argument(
        "--with-links", action="store_true", help="also curate links against lychee (links.py)"
    )
    args = parser.parse_args(argv)
    if args.articles < 1 or args.runs < 1:
        parser.error("--articles and --runs must be at least 1")
    # As an installed package would be: an editable checkout under PYTHONDONTWRITEBYTECODE=1
    # would otherwise compile curate's modules again in every measured process (~30 ms).
    compileall.compile_dir(BENCHMARKS.parent / "curate", quiet=1)

    report = [
        "# curate benchmark",
        "",
        f"Machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}.",
        "Times are wall clock from spawn to exit; CPU is user + system time of the process and "
        "the workers it waited for; peak RSS is each process's own ru_maxrss "
        "(wait4 in benchmarks/spawn.py, so about 9 MB is the smallest figure possible).",
        f"Load average when the run started: {load_average()} (the machine may be shared).",
    ]
    with site_directory(args.workdir, args.articles, args.seed) as (site, origin):
        print(origin, file=sys.stderr)
        rows = [
            *curate_rows(site, args.runs, args.articles),
            *sequence_rows(site, args.runs, args.articles),
            *baseline_rows(site, args.runs),
        ]
        report += [site_summary(site, args.articles, args.runs, origin), "", *table(rows)]
    report_failures(rows)
    if args.with_100k:
        with site_directory(args.workdir, LARGE_SITE, args.seed) as (site, origin):
            print(origin, file=sys.stderr)
            large_rows = large_site_rows(site)
            report += [
                "",
                f"## {LARGE_SITE:,} articles",
                "",
                site_summary(site, LARGE_SITE, 1, origin),
            ]
            report += ["", *table(large_rows)]
        report_failures(large_rows)
    if args.with_links:
        from links import report as links_report

        report += ["", "## curate links against lychee", "", *links_report(runs=args.runs)]
    text = "\n".join(report) + "\n"
    print(text, end="")
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
