"""The hostile corpus (tests/hostile_corpus.py) through every command, cached and uncached.

Whatever one file holds, a run ends with exit 0 or 1, without a traceback, and still
reports the good article beside it. Human output never carries a control character,
never starts a line with ``::`` (a GitHub Actions command) and never interprets Rich
markup from the data; CSV and TSV cells never start a spreadsheet formula.

The content inputs share one site (one run checks them all); the special paths (FIFOs,
symlink loops, odd names) have a site of their own, run in a subprocess with a strict
UTF-8 stdout. Every run has a generous timeout: a hang fails the test, it never blocks it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from curate.cli import main
from curate.model import Diagnostic, Severity
from curate.ranking import MAX_BUCKETS, corpus_stats, histogram
from curate.reporting.escape import display_path, line_start, printable
from tests.hostile_corpus import (
    CONTROL,
    FORMULAS,
    GOOD_NAME,
    WITNESS_NAME,
    article,
    content_inputs,
    make_site,
    make_special_site,
)

#: Far above what any run takes; only a hang reaches it.
TIMEOUT = 120
NOW = "2021-08-01T00:00:00Z"
GOOD_TITLE = "A good article"
#: What must never reach a terminal from the data: C0 controls but the newline, DEL, C1,
#: bidirectional controls, line and paragraph separators.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
FORMULA = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail the test, instead of hanging it, if the block runs longer than ``seconds``."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"the run took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def assert_inert(text: str, what: str) -> None:
    """Human output: no control character from the data, no line a CI log obeys."""
    found = UNSAFE.search(text)
    assert found is None, (
        f"{what}: {found[0]!r} at {text[max(0, found.start() - 40) : found.end() + 20]!r}"
    )
    commands = [line for line in text.splitlines() if line.lstrip().startswith("::")]
    assert not commands, f"{what}: lines a CI log takes for commands: {commands[:3]}"


def assert_no_formula(text: str, delimiter: str) -> None:
    limit = csv.field_size_limit(len(text) + 1)  # the corpus has a 500,000-character title
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            for cell in row:
                if cell.startswith(FORMULA):
                    assert NUMBER.fullmatch(cell), f"a cell a spreadsheet would run: {cell[:60]!r}"
    finally:
        csv.field_size_limit(limit)


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("CURATE_DEBUG", raising=False)


@pytest.fixture(scope="module")
def content_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_site(tmp_path_factory.mktemp("hostile") / "site", content_inputs())


def test_the_corpus_covers_every_class_with_enough_inputs() -> None:
    inputs = content_inputs()
    assert len(inputs) >= 300
    kinds = {item.kind for item in inputs}
    assert kinds >= {
        "tags",
        "numbers",
        "encodings",
        "line-ends",
        "control",
        "markup",
        "formulas",
        "bombs",
        "nesting",
        "sizes",
        "files",
        "values",
    }


#: (arguments, how the good article or the witness shows in the output)
RUNS: list[tuple[tuple[str, ...], str]] = [
    (("validate", "--format", "json"), "witness"),
    (("lint",), "witness-human"),
    (("lint", "--format", "concise"), "witness-human"),
    (("lint", "--format", "sarif"), "witness"),
    (("list", "--format", "csv"), "good-csv"),
    (("list",), "good-human"),
    (("rank", "--format", "tsv", "--now", NOW), "good-tsv"),
    (("rank", "--now", NOW), "good-human"),
    (("stats",), "stats-human"),
    (("stats", "--format", "json"), "stats-json"),
]


def run_in_process(args: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with deadline(TIMEOUT):
        code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check_run(code: int, out: str, err: str, expect: str, what: str) -> None:
    assert code in (0, 1), f"{what}: exit {code}\n{err[-2000:]}"
    assert "Traceback" not in out + err, f"{what}: {err[-2000:]}"
    # Neither the run nor a rule (whose crash becomes a finding) may fail on the data.
    crash = re.search(r"internal error[^\n]{0,300}", out + err)
    assert crash is None, f"{what}: {crash[0] if crash else ''}"
    if expect.startswith("witness"):
        assert WITNESS_NAME in out, f"{what}: the witness article is not reported"
    elif expect.startswith("good") and expect != "good-human":
        assert GOOD_NAME in out, f"{what}: the good article is not listed"
    elif expect == "good-human":
        assert GOOD_TITLE in out, f"{what}: the good article is not listed"
    elif expect == "stats-json":
        assert json.loads(out)["articles"] >= 2, f"{what}: the good articles are not counted"
    if expect.endswith("human"):
        assert_inert(out, what)
        assert_inert(err, what + " (stderr)")
    if expect == "good-csv":
        assert_no_formula(out, ",")
    if expect == "good-tsv":
        assert_no_formula(out, "\t")


@pytest.mark.parametrize("cache", ["uncached", "cached"])
def test_every_command_survives_the_hostile_corpus(
    content_site: Path, cache: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cache_args = (
        ["--no-cache"] if cache == "uncached" else ["--cache-dir", str(content_site / ".c")]
    )
    # Cached: the first command fills the cache, the others read it warm.
    for args, expect in RUNS:
        argv = [*args, *cache_args, "--jobs", "1", str(content_site)]
        code, out, err = run_in_process(argv, capsys)
        check_run(code, out, err, expect, f"curate {' '.join(args)} ({cache})")
        if args == ("lint",):
            # Every file was checked: none stopped the run or hid the ones after it.
            files = len(list((content_site / "_posts").iterdir()))
            assert f"{files} files checked" in out


def test_the_corpus_crosses_to_worker_processes(content_site: Path) -> None:
    """Above 400 files the checks run in a process pool: every result is pickled back."""
    code, out, err = run_subprocess(
        ["lint", "--no-cache", "--jobs", "2", "--format", "json", str(content_site)], content_site
    )
    check_run(code, out, err, "witness", "curate lint --jobs 2")
    assert code == 1


# --- special paths: FIFOs, symlink loops, devices, odd names ------------------------------------


@pytest.fixture(scope="module")
def special_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    root = tmp_path_factory.mktemp("special") / "site"
    made = make_special_site(root)
    yield root, made
    for folder in ("closed",):  # let pytest clean up what the corpus closed
        with contextlib.suppress(OSError):
            (root / "_posts" / folder).chmod(0o755)


def run_subprocess(args: Sequence[str], cwd: Path, *, raw: bool = False) -> tuple[int, str, str]:
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "COLUMNS": "200"}
    environment.pop("CURATE_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-m", "curate", *args],
        cwd=cwd,
        capture_output=True,
        timeout=TIMEOUT,
        env=environment,
        check=False,
    )
    # The output must be UTF-8 whatever the file names: decoding strictly checks it.
    # Only --format paths writes names as their bytes (raw), for xargs.
    errors = "surrogateescape" if raw else "strict"
    return done.returncode, done.stdout.decode("utf-8", errors), done.stderr.decode("utf-8")


SPECIAL_RUNS: list[tuple[tuple[str, ...], str, str]] = [
    (("validate", "--format", "json"), "witness", "--no-cache"),
    (("lint",), "witness-human", "--no-cache"),
    (("lint",), "witness-human", ""),
    (("lint", "--format", "sarif"), "witness", ""),
    (("list", "--format", "json"), "good-json", "--no-cache"),
    (("list",), "good-human", ""),
    (("list", "--format", "csv"), "good-csv", ""),
    (("list", "--format", "paths"), "good-paths", "--no-cache"),
    (("rank", "--now", NOW), "good-human", "--no-cache"),
    (("stats",), "stats-human", ""),
]


def test_special_paths_never_stop_or_hang_a_run(special_site: tuple[Path, list[str]]) -> None:
    root, made = special_site
    assert made, "the platform could make none of the special paths"
    for args, expect, cache in SPECIAL_RUNS:
        argv = [*args, *([cache] if cache else []), "."]
        code, out, err = run_subprocess(argv, root, raw=expect == "good-paths")
        check_run(code, out, err, expect, f"curate {' '.join(argv)} in {made}")
        if expect == "good-paths" and "not-utf8-name" in made:
            # The name as its bytes, so that xargs finds the file.
            assert any(line.endswith(os.fsdecode(b"caf\xe9.md")) for line in out.splitlines())
        if expect == "good-paths":
            assert_inert(out, "curate list --format paths")  # a newline in a name is escaped


def test_special_paths_named_on_the_command_line_are_findings(
    special_site: tuple[Path, list[str]],
) -> None:
    root, _ = special_site
    posts = root / "_posts"
    named = [
        name
        for name in ("2021-07-06-fifo.md", "a.md", "self.md", "zero.md", "unreadable.md")
        if os.path.lexists(posts / name)
    ]
    code, out, err = run_subprocess(
        ["lint", "--no-cache", "--format", "json", *named, WITNESS_NAME], posts
    )
    check_run(code, out, err, "witness", f"curate lint {named}")
    for command in (["list", "--format", "json"], ["stats", "--format", "json"]):
        listed, _, problems = run_subprocess([*command, "--no-cache", *named, GOOD_NAME], posts)
        assert listed == 0, f"curate {command[0]} {named}: {problems}"
    reported = {finding["path"] for finding in json.loads(out)}
    for name in named:
        if name == "unreadable.md" and (os.name != "posix" or os.geteuid() == 0):
            continue  # root reads it anyway; elsewhere mode 0 may not forbid reading
        assert name in reported, f"{name}: no finding"
    assert code == 1


def test_an_unreadable_file_named_by_pre_commit_is_a_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pre-commit passes file names; one that cannot be opened must not hide the others.

    Opening is refused by a stand-in for os.open, so the test holds when run as root too.
    """
    site = make_site(tmp_path / "site", [])
    posts = site / "_posts"
    locked = posts / "2021-07-06-locked.md"
    locked.write_text(article(), encoding="utf-8")
    real_open = os.open

    def refusing_open(path: object, *args: object, **kwargs: object) -> int:
        if os.fspath(path) == str(locked):  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", str(locked))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing_open)
    code, out, err = run_in_process(
        ["lint", "--no-cache", "--format", "json", str(locked), str(posts / WITNESS_NAME)], capsys
    )
    check_run(code, out, err, "witness", "curate lint locked.md witness.md")
    [finding] = [f for f in json.loads(out) if f["path"] == str(locked)]
    assert finding["code"] == "FM012" and "Permission denied" in finding["message"]


# --- output: control characters, newlines, markup, formulas --------------------------------------

PAYLOAD_TITLE = (
    '"' + CONTROL["esc-clear"] + CONTROL["osc52-clipboard"] + CONTROL["bidi-override"] + '"'
)
PAYLOAD_TOPIC = '"' + CONTROL["newline-stop-commands"] + '"'
FORMULA_TOPIC = '"' + FORMULAS["at"] + '"'
PAYLOAD_DOMAIN = '"' + CONTROL["newline-error"] + '"'


@pytest.fixture
def attack_site(tmp_path: Path) -> Path:
    site = make_site(tmp_path / "site", [])
    posts = site / "_posts"
    # Valid, so list and rank show it: the payloads sit where the schema allows any text.
    (posts / "2021-07-06-attack.md").write_text(
        article(
            title=PAYLOAD_TITLE,
            topics=f"\n  - {FORMULA_TOPIC}\n  - {PAYLOAD_TOPIC}"
            '\n  - "[link=file:///etc/passwd]x[/link]"',
            provider=f"\n  name: {PAYLOAD_DOMAIN}\n  domain: example.org",
            webUrl='"https://example.com/' + "segment/" * 40 + '"',
            excerpt='"' + FORMULAS["equals"] + '"',
        ),
        encoding="utf-8",
    )
    # Findings that quote the data: a bad domain, a quality that is not a number.
    (posts / "2021-07-07-quoted.md").write_text(
        article(
            topics=f"\n  - {PAYLOAD_TOPIC}",
            provider=f"\n  name: x\n  domain: {PAYLOAD_DOMAIN}",
            quality='"' + CONTROL["esc-clear"] + '"',
        ),
        encoding="utf-8",
    )
    return site


HUMAN_RUNS = [
    ("validate",),
    ("lint",),
    ("lint", "--format", "concise"),
    ("lint", "--format", "github"),
    ("list",),
    ("list", "--fields", "title,topics,provider"),
    ("rank", "--now", NOW, "--fields", "title,topics,provider"),
    ("stats", "--top", "0"),
]


@pytest.mark.parametrize("args", HUMAN_RUNS, ids=lambda args: " ".join(args))
def test_human_output_escapes_what_the_data_holds(
    attack_site: Path, args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_in_process([*args, "--no-cache", str(attack_site)], capsys)
    assert code in (0, 1), err
    if "github" in args:
        # Workflow commands by design: each line is one of ours, the data escaped inside.
        assert UNSAFE.search(out) is None
        assert all(re.match(r"::(error|warning|notice) file=", line) for line in out.splitlines())
        return
    assert_inert(out, " ".join(args))
    assert_inert(err, " ".join(args))
    if args[0] != "lint":
        assert "\\x1b[2J" in out or "\\n::stop-commands::" in out or "\\n::error" in out


def test_rich_markup_in_data_is_shown_as_written(
    attack_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_in_process(["stats", "--top", "0", "--no-cache", str(attack_site)], capsys)
    assert code == 0
    assert "[link=file:///etc/passwd]x[/link]" in out


def test_unknown_topic_error_quotes_topics_inertly(
    attack_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_in_process(
        ["list", "--topic", "no-such-topic\x1b[2J", "--no-cache", str(attack_site)], capsys
    )
    assert code == 2 and "unknown topic" in err
    assert_inert(err, "unknown-topic error")


@pytest.mark.parametrize("output", ["csv", "tsv"])
def test_formula_cells_are_neutralised_unless_asked_raw(
    attack_site: Path, output: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = ["--fields", "path,title,heat,topics,providerName"]
    delimiter = "," if output == "csv" else "\t"
    for command in (["list"], ["rank", "--now", NOW]):
        base = [*command, "--format", output, *fields, "--no-cache", str(attack_site)]
        code, out, _ = run_in_process(base, capsys)
        assert code == 0
        assert_no_formula(out, delimiter)
        code, raw, _ = run_in_process([*base, "--raw-cells"], capsys)
        assert code == 0
        assert raw != out


def test_cell_neutralisation_keeps_numbers() -> None:
    from curate.reporting.articles import _cell

    assert _cell("=1+1") == "'=1+1"
    assert _cell("@x") == "'@x" and _cell("-x") == "'-x" and _cell("+x") == "'+x"
    assert _cell("\t=1") == "'\t=1" and _cell("\r=1") == "'\r=1"
    assert _cell(-1) == "-1"
    assert _cell(["=a", "b"]) == "'=a; b"
    assert _cell("=1+1", raw=True) == "=1+1"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain title", "plain title"),
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),
        ("a\x9bb\x7f", "a\\x9bb\\x7f"),
        ("abc\u202efdp", "abc\\u202efdp"),
        ("x\n::error::y", "x\\n::error::y"),
        ("tab\there", "tab\\there"),
        ("caf\udce9", "caf\\xe9"),
        ("non\xa0breaking, 東京, emoji 😀", "non\xa0breaking, 東京, emoji 😀"),
    ],
)
def test_printable_escapes_controls_and_keeps_text(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_nothing_shown_starts_a_line_with_a_workflow_command() -> None:
    assert line_start("::error::x") == "\\::error::x"
    assert line_start("  ::stop-commands::t") == "\\  ::stop-commands::t"
    assert display_path("::error::x.md") == "./::error::x.md"
    assert display_path("_posts/a.md") == "_posts/a.md"


def test_long_urls_are_never_cut_and_no_wrapped_line_starts_with_a_colon() -> None:
    from curate.reporting.table import _wrap

    url = "https://example.com/" + "segment/" * 30
    lines = _wrap(f"webUrl {url} is not reachable, see {url}", 60)
    assert url in lines and all(len(line) <= 60 or line == url for line in lines)
    lines = _wrap("word " * 10 + "::error::owned " + "word " * 10, 30)
    assert not any(line.lstrip().startswith(":") for line in lines[1:])
    assert " ".join(lines).split() == ("word " * 10 + "::error::owned " + "word " * 10).split()


def test_lint_table_keeps_long_urls_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from curate.reporting import REPORTERS, Summary

    monkeypatch.setenv("COLUMNS", "80")
    url = "https://example.com/" + "a-long-path-segment/" * 8
    finding = Diagnostic("a.md", 2, 1, "WB001", Severity.ERROR, f"{url} is broken", "x")
    out = io.StringIO()
    REPORTERS["table"]([finding], Summary("lint", 1), out)
    assert url in out.getvalue()


def test_surrogate_file_names_survive_every_machine_format() -> None:
    from curate.reporting import REPORTERS, Summary

    finding = Diagnostic("_posts/caf\udce9.md", 1, 1, "FM012", Severity.ERROR, "x\x1b", "y")
    for name, reporter in REPORTERS.items():
        out = io.StringIO()
        reporter([finding], Summary("lint", 1), out)
        out.getvalue().encode("utf-8")  # strict: no surrogate left
        if name in ("json", "sarif"):
            json.loads(out.getvalue())
        if name in ("table", "concise", "github"):
            assert "caf\\xe9" in out.getvalue()


# --- statistics stay bounded ---------------------------------------------------------------------


def test_stats_buckets_are_bounded_whatever_the_data() -> None:
    assert len(histogram([0, 5, 161])) == 9  # the everyday shape is unchanged: 20 wide
    for values in ([1, 200_000_000], [0, 10**300], list(range(0, 10_000, 7))):
        buckets = histogram(values)
        assert 0 < len(buckets) <= MAX_BUCKETS
        assert sum(bucket.count for bucket in buckets) == len(values)
        assert buckets[-1].high >= max(values)


def test_stats_of_a_site_with_absurd_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path / "site", [])
    posts = site / "_posts"
    (posts / "2021-07-06-hot.md").write_text(article(heat="200000000", quality="9" * 300))
    (posts / "2021-07-07-far.md").write_text(article(publishedDateTime="9999-12-31T00:00:00Z"))
    for args in (["stats"], ["stats", "--format", "json"]):
        code, out, err = run_in_process([*args, "--no-cache", str(site)], capsys)
        assert code == 0, err
    document = json.loads(out)
    assert len(document["heat"]["buckets"]) <= MAX_BUCKETS
    assert len(document["perYear"]) <= MAX_BUCKETS
    assert corpus_stats([]).articles == 0
