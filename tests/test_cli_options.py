"""Options: values checked at the option with a clear exit-2 line, help readable at 80 columns."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from curate.cli import main
from curate.cli.app import COMMANDS
from curate.errors import UsageError
from curate.globs import Globs
from curate.timeparse import parse_duration, parse_moment, parse_now
from tests.conftest import FIXTURES

NOW = datetime(2024, 3, 1, tzinfo=timezone.utc)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(FIXTURES / "rank", copy)
    return copy


def usage_error(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    """The one stderr line of a run that must end in a usage error."""
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.out == ""
    assert "internal error" not in captured.err and "Traceback" not in captured.err
    return captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("lint", "--jobs", "-1"), "curate: error: --jobs: give 0 (one worker per CPU core)"),
        (("list", "--since", "99999999999d"), "curate: error: --since: '99999999999d' is too"),
        (
            ("list", "--now", "0001-01-01", "--since", "1d"),
            "curate: error: --since: '1d' before 0001-01-01 is before the year 1",
        ),
        (("rank", "--now", "0001-01-01", "--since", "1w"), "is before the year 1"),
        (("list", "--until", "2024-02-30"), "curate: error: --until: '2024-02-30' is not a date"),
        (("rank", "--half-life", "0h"), "curate: error: --half-life: '0h' is not a duration"),
        (("rank", "--half-life", "0.0000001s"), "--half-life: '0.0000001s' is too short"),
        (("lint", "--root", "/nonexistent"), "curate: error: --root: /nonexistent does not"),
        (("links", "--timeout", "nan"), "curate: error: --timeout: the time-out must be more"),
        (("links", "--timeout", "inf"), "not inf"),
        (("links", "--timeout", "-1"), "not -1"),
        (("lint", "--online", "--user-agent", "bot\r\nX: 1"), "--user-agent: 'bot\\r\\nX: 1'"),
        (("links", "--user-agent", "bøt"), "cannot be sent as a User-Agent header"),
        (("links", "--max-cache-age", "1y"), "--max-cache-age: '1y' is not a duration"),
        (("links", "--accept", "99"), "--accept: '99' is not an HTTP status"),
        (("rank", "--root", "a\0b"), "curate: error: an argument holds a NUL character"),
    ],
)
def test_bad_values_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], site: Path, args: tuple[str, ...], message: str
) -> None:
    err = usage_error(capsys, *args, site, "--no-cache")
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", "tool = 5\n"),
        ("pyproject.toml", "[tool]\ncurate = 5\n"),
        ("pyproject.toml", "[tool.curate]\njobs = -1\n"),
        ("curate.toml", "timeout = nan\n"),
    ],
)
def test_bad_config_files_are_usage_errors(
    capsys: pytest.CaptureFixture[str], site: Path, name: str, text: str
) -> None:
    config = site / name
    config.write_text(text, encoding="utf-8")
    assert f"curate: error: {config}: " in usage_error(capsys, "validate", site, "--config", config)


def test_typer_checks_are_still_usage_errors(
    capsys: pytest.CaptureFixture[str], site: Path
) -> None:
    assert "'xml' is not one of table, concise, json, github, sarif" in usage_error(
        capsys, "lint", site, "--format", "xml"
    )
    assert "'csv' is not one of table, json" in usage_error(capsys, "stats", "-f", "csv")


def test_formats_come_from_the_reporter_tables(capsys: pytest.CaptureFixture[str]) -> None:
    from curate.reporting import REPORTERS
    from curate.reporting.articles import WRITERS

    assert main(["lint", "--help"]) == 0
    assert f"[{'|'.join(REPORTERS)}]" in capsys.readouterr().out
    assert main(["list", "--help"]) == 0
    assert f"[{'|'.join(('table', *WRITERS))}]" in capsys.readouterr().out


def test_formats_take_any_case(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    assert main(["list", str(site), "--no-cache", "-f", "PATHS", "-n", "1"]) == 0
    assert capsys.readouterr().out.strip().endswith(".md")


def test_durations_take_every_unit(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    for half_life in ("90s", "30m", "12h", "2d", "1w"):
        assert main(["rank", str(site), "--no-cache", "--half-life", half_life, "-f", "json"]) == 0
    capsys.readouterr()


def test_jobs_above_the_cpu_count_run(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    assert main(["validate", str(site / "_news"), "--no-cache", "--jobs", "1000"]) == 1
    assert "internal error" not in capsys.readouterr().err


def test_paths_are_printed_relative_to_the_current_folder(
    capsys: pytest.CaptureFixture[str], site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(site)
    outputs = []
    for target in (str(site), ".", "_news"):
        assert main(["validate", target, "--no-cache", "-f", "concise"]) == 1
        outputs.append(capsys.readouterr().out)
        assert main(["list", target, "--no-cache", "-f", "paths"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[2] == outputs[4]
    assert outputs[1] == outputs[3] == outputs[5]
    assert outputs[0].startswith("_news/") and outputs[1].startswith("_news/")


# --- help ---------------------------------------------------------------------------------


def all_commands() -> list[list[str]]:
    return [[name] for name in COMMANDS if name != "cache"] + [
        ["cache", "info"],
        ["cache", "clear"],
    ]


@pytest.mark.parametrize("columns", ["80", "120"])
@pytest.mark.parametrize("command", all_commands(), ids=" ".join)
def test_help_is_readable(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    columns: str,
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "…" not in out
    assert all(len(line) <= int(columns) for line in out.splitlines())
    options = out[out.index("\nOptions:") :].splitlines()
    columns = [re.split(r"\s{2,}", line.strip())[0] for line in options if line.startswith("  -")]
    names = {word.rstrip(",") for column in columns for word in column.split() if word[0] == "-"}
    assert "--help" in names
    # An option's name is never cut: each one in the list is a whole option name.
    for name in names:
        assert re.fullmatch(r"--?[a-z][a-z-]*[a-z]|-[a-zA-Z]", name), name


def test_the_root_help_lists_every_command_uncut(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        line = next(line for line in out.splitlines() if line.strip().startswith(name + " "))
        assert not line.endswith("..."), line


def test_select_ignore_and_extend_select_say_different_things(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["lint", "--help"]) == 0
    out = capsys.readouterr().out
    helps = {
        option: re.search(rf"^\s+{option} CODES\s+(.*)$", out, re.MULTILINE)
        for option in ("--select", "--ignore", "--extend-select")
    }
    texts = {option: match[1] for option, match in helps.items() if match}
    assert len(texts) == 3 and len(set(texts.values())) == 3


# --- the time grammar and the glob matcher ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("1.5h", timedelta(minutes=90)),
        ("7D", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_one_duration_grammar(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_bare_seconds_only_where_asked() -> None:
    assert parse_duration("3600", bare_seconds=True) == timedelta(hours=1)
    assert parse_duration("0", bare_seconds=True, allow_zero=True) == timedelta(0)
    with pytest.raises(UsageError, match="is not a duration"):
        parse_duration("3600")


def test_moments() -> None:
    assert parse_moment("1w", NOW) == NOW - timedelta(weeks=1)
    assert parse_moment("90s", NOW) == NOW - timedelta(seconds=90)
    assert parse_now("2024-03-01") == NOW
    with pytest.raises(UsageError, match="before the year 1"):
        parse_moment("2d", datetime(1, 1, 1, tzinfo=timezone.utc))
    last = parse_moment("9999-12-31", NOW, end_of_day=True)
    assert last.year == 9999 and last.hour == 23


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("_drafts", "_drafts/a/b.md", True),
        ("_drafts/*", "_drafts/a/b.md", True),
        ("/_drafts/", "_drafts/b.md", True),
        ("*.markdown", "_posts/x.markdown", True),
        ("_posts/2021-*", "_posts/2021-01-01-x.md", True),
        ("_posts/2021-*", "_posts/2022-01-01-x.md", False),
        ("_news/*.md", "_posts/a.md", False),
        ("a?.md", "_posts/ab.md", True),
        ("[!a]b.md", "_posts/ab.md", False),
        ("Drafts", "_posts/drafts/a.md", False),
    ],
)
def test_one_glob_matcher(pattern: str, path: str, matches: bool) -> None:
    assert Globs([pattern]).matches(path) is matches


def test_no_patterns_match_nothing() -> None:
    assert not Globs([]) and not Globs(["/"]).matches("a.md")
