"""The benchmark's logic that is not timing: targets and verdicts, tables, batching, README."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    """benchmarks/run.py, which imports its siblings (floor, generate, measure) by name."""
    sys.path.insert(0, str(BENCHMARKS))
    siblings = ("floor", "generate", "measure", "links")
    before = {name: sys.modules.get(name) for name in siblings}
    try:
        spec = importlib.util.spec_from_file_location("benchmark_run", BENCHMARKS / "run.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look the module up while it executes
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("benchmark_run", None)
        for name, previous in before.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
        sys.path.remove(str(BENCHMARKS))


def measurement(
    bench: ModuleType, seconds: float | None, cpu: float | None = None, rss: float = 50.0
) -> object:
    if seconds is None:
        return bench.Measurement("broken", None, None, "exit 2", "boom")
    return bench.Measurement("m", seconds, rss, cpu_seconds=seconds if cpu is None else cpu)


def test_a_time_target_is_met_or_missed_by_how_much(bench: ModuleType) -> None:
    target = bench.Target(0.15)
    assert target.text() == "<= 0.15 s"
    assert target.verdict(measurement(bench, 0.15), None) == "met"
    assert target.verdict(measurement(bench, 0.57), None) == "missed: +0.42 s"
    assert target.verdict(measurement(bench, None), None) == "n/a"


def test_floor_targets_compare_wall_with_wall_and_cpu_with_cpu(bench: ModuleType) -> None:
    target = bench.Target(floor_wall=1.0, floor_cpu=1.5)
    floor = measurement(bench, 5.0, cpu=4.0)
    assert target.text() == "wall <= 1x, CPU <= 1.5x"
    assert target.verdict(measurement(bench, 5.0, cpu=6.0), floor) == "met"
    assert target.verdict(measurement(bench, 7.5, cpu=6.0), floor) == "missed: wall 1.5x"
    assert target.verdict(measurement(bench, 4.0, cpu=10.4), floor) == "missed: CPU 2.6x"
    # Without a floor in the same run there is nothing to compare with.
    assert target.verdict(measurement(bench, 1.0), None) == "n/a (no floor)"
    assert target.verdict(measurement(bench, 1.0), measurement(bench, None)) == "n/a (no floor)"


def test_every_curate_command_has_the_memory_target_at_100000(bench: ModuleType) -> None:
    large = bench.LARGE_SITE
    assert bench.target_for(bench.PRECOMMIT, 10_000) == bench.Target(0.15)
    assert bench.target_for(bench.CURATE, 10_000) is None
    assert bench.target_for(bench.PRECOMMIT, large) == bench.Target(0.5, rss_mb=250)
    assert bench.target_for(bench.CURATE, large) == bench.Target(rss_mb=250)
    assert bench.target_for(bench.WARM_UNCHANGED, large) == bench.Target(rss_mb=250)
    assert bench.target_for(None, large) is None  # the floor and the peers
    assert bench.target_for(bench.PRECOMMIT, 1_000) is None  # no target at other sizes
    target = bench.target_for(bench.COLD_LINT, large)
    floor = measurement(bench, 30.0)
    verdict = target.verdict(measurement(bench, 29.0, cpu=40.0, rss=361.0), floor)
    assert verdict == "missed: +111 MB"
    assert target.text() == "wall <= 1x, CPU <= 1.5x, <= 250 MB"


def rows(bench: ModuleType) -> list[object]:
    floor = bench.Measurement("floor", 5.0, 19.0, cpu_seconds=4.0)
    return [
        bench.Row(floor, reference="floor"),
        bench.Row(bench.Measurement("`lint --no-cache .`", 7.5, 71.0, cpu_seconds=12.0),
                  bench.COLD_LINT, versus_floor=True),
        bench.Row(bench.Measurement("`lint FILE` (pre-commit)", 0.57, 50.0, cpu_seconds=0.5),
                  bench.PRECOMMIT),
        bench.Row(bench.Measurement("check-jsonschema", None, None, "not installed"),
                  versus_floor=True),
    ]  # fmt: skip


def test_table_cells_show_ratios_only_against_the_floor(bench: ModuleType) -> None:
    table = rows(bench)
    cells = bench.table_cells(table, 10_000, bench.section_floor([bench.Section("s", table)]))
    assert cells[0] == bench.HEADER
    floor, cold, precommit, missing = cells[1:]
    assert floor == ["floor", "5.000", "4.000", "19", "", "", "", ""]
    assert cold[1:] == [
        "7.500", "12.000", "71", "1.5x", "3.0x", "wall <= 1x, CPU <= 1.5x",
        "missed: wall 1.5x, CPU 3.0x",
    ]  # fmt: skip
    assert precommit[4:] == ["", "", "<= 0.15 s", "missed: +0.42 s"]
    assert missing[:4] == ["check-jsonschema", "n/a", "", ""]
    assert missing[7] == "n/a: not installed"


def test_the_markdown_table_is_aligned_in_its_source(bench: ModuleType) -> None:
    cells = bench.table_cells(rows(bench), 10_000, None)
    lines = bench.markdown_table(cells)
    assert len({len(line) for line in lines}) == 1
    assert lines[1].startswith("| ---") and "-----: |" in lines[1]
    assert lines[3].startswith("| `lint --no-cache .`")
    assert all(line.count("|") == len(bench.HEADER) + 1 for line in lines)


@pytest.mark.parametrize("width", [80, 120])
def test_the_terminal_table_fits_80_and_120_columns(bench: ModuleType, width: int) -> None:
    cells = bench.table_cells(rows(bench), 10_000, rows(bench)[0].measurement)
    cells.append(["a label far too long to fit in any column of this table at all", *cells[2][1:]])
    lines = bench.text_table(cells, width)
    assert all(len(line) <= width for line in lines), "\n".join(lines)
    assert "`" not in "\n".join(lines)
    text = "\n".join(lines)
    assert "missed: +0.42 s" in text
    start = next(n for n, line in enumerate(lines) if line.startswith("a label"))
    label = [lines[start].split("  ")[0]]
    label += [
        line.strip() for line in lines[start + 1 :] if line.startswith("  ") and "<=" not in line
    ]
    assert " ".join(label) == "a label far too long to fit in any column of this table at all"
    if width == 80:  # the target and the verdict move to their own line
        assert "    <= 0.15 s: missed: +0.42 s" in lines


def test_a_narrow_table_keeps_one_line_per_row(bench: ModuleType) -> None:
    cells = [["", "wall s"], ["`lint .`", "0.300"]]
    assert bench.text_table(cells, 80) == ["        wall s", "lint .   0.300"]


def test_batches_fit_arg_max_and_keep_every_name_in_order(bench: ModuleType) -> None:
    base = ["check-jsonschema", "--schemafile", "schema.json"]
    names = [f"{index:05d}-an-article.yaml" for index in range(2000)]
    environment = sum(bench.argument_bytes(f"{k}={v}") for k, v in bench.os.environ.items())
    arg_max = environment + bench.ARG_HEADROOM + 10_000
    batches = bench.command_batches(base, names, arg_max=arg_max)
    assert len(batches) > 1
    assert [name for batch in batches for name in batch[len(base) :]] == names
    for batch in batches:
        assert batch[: len(base)] == base and len(batch) > len(base)
        assert sum(bench.argument_bytes(argument) for argument in batch) <= 10_000
    assert bench.command_batches(base, names[:3]) == [[*base, *names[:3]]]


def test_one_name_longer_than_the_budget_still_gets_its_own_batch(bench: ModuleType) -> None:
    environment = sum(bench.argument_bytes(f"{k}={v}") for k, v in bench.os.environ.items())
    arg_max = environment + bench.ARG_HEADROOM + 100
    batches = bench.command_batches(["x"], ["a" * 500, "b"], arg_max=arg_max)
    assert batches == [["x", "a" * 500], ["x", "b"]]


def test_interleaved_runs_take_turns_and_a_failed_figure_stops(bench: ModuleType) -> None:
    measure = sys.modules["measure"]
    order: list[str] = []

    def fake(commands: Sequence[Sequence[str]], cwd: Path) -> object:
        name = commands[0][0]
        order.append(name)
        code = 2 if name == "broken" else 0
        return measure.Sample(1.0 if name == "a" else 2.0, 10.0, code, "", 0.5)

    figures = [("A", [["a"]]), ("broken", [["broken"]]), ("B", [["b"]])]
    a, broken, b = measure.measure_interleaved(figures, Path("."), 3, run=fake)
    assert order == ["a", "broken", "b", "a", "b", "a", "b"]
    assert (a.seconds, a.cpu_seconds, b.seconds) == (1.0, 0.5, 2.0)
    assert broken.seconds is None and broken.failure == "exit 2"


LINKS = """\
1000 URLs over 50 loopback hosts, 50 ms a request, median of 3, 2 cores, Python 3.11.7

| command | wall (s) | CPU (s) | exit |
|---|---:|---:|---:|
| `curate links --concurrency 32 --per-host 4` | 2.54 | 1.32 | 0 |
| `lychee --max-concurrency 32 --host-concurrency 4 --host-request-interval 50ms` | 1.72 | 0.22 | 0 |
| `lychee --max-concurrency 32 --host-concurrency 4 --host-request-interval 0ms` | 0.90 | 0.21 | 0 |
| `curate links --concurrency 128 --per-host 10` | 1.58 | 1.43 | 0 |
""".splitlines()  # noqa: E501


def test_the_links_verdict_is_read_off_the_links_table(bench: ModuleType) -> None:
    verdict = bench.links_verdict(LINKS)
    assert "curate 2.54 s, lychee 1.72 s: missed by 0.82 s" in verdict
    assert "1.43 s of CPU against 1.32 s at 32: no CPU cliff" in verdict
    faster = [line.replace("| 2.54 |", "| 1.50 |") for line in LINKS]
    assert ": met." in bench.links_verdict(faster)
    assert "n/a" in bench.links_verdict(LINKS[:3])


def test_the_links_table_fits_the_terminal(bench: ModuleType) -> None:
    lines = bench.text_lines(LINKS, 80)
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    assert any("host-request-interval 0ms" in line for line in lines)
    assert not any("---" in line or "`" in line for line in lines)


def report(bench: ModuleType) -> object:
    section = bench.Section("Cold runs", rows(bench), ["Cores used: 1.6."])
    result = bench.Report(["Machine: test."])
    result.sizes.append(("10,000 articles", 10_000, "10,000 articles, 203 MB.", [section]))
    result.links = LINKS
    result.footer.append("The benchmark took 1.0 min.")
    return result


def test_the_markdown_report_is_the_readme_section(bench: ModuleType) -> None:
    text = report(bench).markdown()
    lines = text.splitlines()
    assert lines[0] == bench.SECTION_HEADING and lines[2] == bench.README_BEGIN
    assert lines[-1] == bench.README_END
    assert "### 10,000 articles" in lines and "Cold runs:" in lines
    assert "\n\n\n" not in text
    assert "only be met with two free cores" in " ".join(lines)  # the 3.0x against 1.5x explanation
    assert "Issue 13's targets met in this run: 0 of 2." in lines
    prose = [line for line in lines if not line.startswith("|")]
    assert all(len(line) <= 100 for line in prose)


def test_the_cores_note_says_how_many_cores_each_cold_run_had(bench: ModuleType) -> None:
    assert bench.cores_note(rows(bench)) == (
        "Cores used on average (CPU / wall): lint 1.60; the floor 1."
    )
    assert bench.cores_note(rows(bench)[:1]) == ""


def test_the_summary_names_the_targets_met(bench: ModuleType) -> None:
    fast = bench.Row(
        bench.Measurement("`lint .`", 0.2, 40.0, cpu_seconds=0.2), bench.WARM_UNCHANGED
    )
    sizes = [("10,000 articles", 10_000, "", [bench.Section("s", [*rows(bench), fast])])]
    assert bench.verdict_summary(sizes) == (
        "Issue 13's targets met in this run: 1 of 3 (lint . at 10,000)."
    )
    assert bench.verdict_summary([("1,000 articles", 1_000, "", sizes[0][3])]) == ""


def test_the_terminal_report_fits_80_columns(bench: ModuleType) -> None:
    text = report(bench).text(80)
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert "missed: wall 1.5x, CPU 3.0x" in text


README = """\
# curate

## Performance

Old text.

## Exit codes

0 is fine.
"""


def test_the_readme_section_is_replaced_and_hand_written_text_kept(bench: ModuleType) -> None:
    section = report(bench).markdown()
    first = bench.replace_readme_section(README, section)
    assert "Old text." not in first
    assert first.startswith("# curate\n\n" + section + "\n## Exit codes\n")
    kept = first.replace(bench.README_END + "\n", bench.README_END + "\n\nHand-written.\n")
    second = bench.replace_readme_section(kept, section.replace("1.0 min", "2.0 min"))
    assert "2.0 min" in second and "1.0 min" not in second
    assert "Hand-written.\n\n## Exit codes" in second
    with pytest.raises(ValueError, match="Performance"):
        bench.replace_readme_section("# curate\n", section)


def test_a_whole_run_on_a_small_site_measures_every_figure(
    bench: ModuleType,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The wiring, not the timing: every command runs and every figure gets a number. The site
    is the "large" one here (20 articles), so every curate command has the memory target."""
    monkeypatch.setattr(bench, "LARGE_SITE", 20)
    readme = tmp_path / "README.md"
    readme.write_text(README, encoding="utf-8")
    arguments = ["--articles", "20", "--runs", "1", "--workdir", str(tmp_path), "--with-100k"]
    arguments += ["--skip-links", "--markdown", "--update-readme", str(readme)]
    assert bench.main(arguments) == 0
    out = capsys.readouterr().out
    assert out.startswith(bench.SECTION_HEADING + "\n")
    assert readme.read_text(encoding="utf-8").startswith("# curate\n\n" + out)
    assert out.count("### 20 articles") == 1  # --with-100k adds no second run of one size
    rows = [line.split("|")[1:-1] for line in out.splitlines() if line.startswith("| ")]
    rows = [row for row in rows if row[0].strip().strip("-")]
    assert sorted(row[0].strip() for row in rows) == sorted(
        [
            "`curate --version`",
            "`curate --help`",
            "`lint FILE` (pre-commit)",
            "edit, `lint FILE`",
            "`lint .`, nothing changed",
            "edit, `lint .`",
            '`rank --topic "AI Ethics" .`',
            "`lint FILE`, replay off",
            "`lint .`, unchanged, replay off",
            "first `lint SITE` (empty cache)",
            "then `lint FILE` (pre-commit)",
            "then `lint SITE` again",
            "edit FILE, then `lint FILE`",
            "then `lint SITE` (1 file changed)",
            "floor: read + `yaml.CSafeLoader`, 1 process",
            "`curate validate --no-cache .`",
            "`curate lint --no-cache .`",
        ]
    )
    assert "n/a" not in out, out
    assert "The peers were not run at this size" in out
    for row in rows:
        if "floor" not in row[0]:  # every curate command is held to the memory target
            assert row[-2].strip().endswith("<= 250 MB") and row[-1].strip() == "met", row
    # The edited article is left as the generator wrote it.
    fresh = tmp_path / "fresh"
    bench.generate_site(fresh, 20, 0)
    for path in bench.article_paths(fresh):
        assert (tmp_path / "site-20-seed0" / "_news" / path.name).read_bytes() == path.read_bytes()


def test_links_are_skipped_with_a_clear_line_without_lychee(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench.shutil, "which", lambda name: None)
    (line,) = bench.links_section(1)
    assert line.startswith("Not run: lychee is not installed")


def test_a_failing_links_benchmark_does_not_lose_the_run(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench.shutil, "which", lambda name: "/usr/bin/lychee")
    links = ModuleType("links")

    def broken(runs: int) -> list[str]:
        raise SystemExit("the benchmark web did not start")

    links.report = broken  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "links", links)
    (line,) = bench.links_section(1)
    assert line.startswith("Not run: benchmarks/links.py failed:")
    assert "the benchmark web did not start" in line
