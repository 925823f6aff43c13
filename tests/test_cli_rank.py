"""`curate rank`, `curate list` and `curate stats` as an editor runs them: options, formats, exits.

The fixture site and its expected orders are described in tests/test_ranking.py.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from curate.cli import main
from tests.conftest import FIXTURES, ROOT, copy_tracked

NOW = "2024-03-01"
BY_SCORE = [
    "fresh-ethics",
    "strong-ml",
    "unknown-heat",
    "tie-a",
    "tie-b",
    "unrated",
    "old-hot",
    "low",
]
BY_DATE = [
    "fresh-ethics",
    "strong-ml",
    "unknown-heat",
    "unrated",
    "tie-a",
    "tie-b",
    "old-hot",
    "low",
]
SKIPPED = "curate: skipped 1 file (1 article fails validation); run `curate validate` to see why\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(FIXTURES / "rank", copy)
    return copy


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def order(capsys: pytest.CaptureFixture[str], command: str, site: Path, *args: str) -> list[str]:
    code, out, err = run(capsys, command, site, "--no-cache", "--now", NOW, "-f", "paths", *args)
    assert code == 0, err
    return [Path(line).stem[len("2024-02-29-") :] for line in out.splitlines()]


# --- ordering -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), BY_SCORE),
        (("--by", "score"), BY_SCORE),
        (
            ("--by", "quality"),
            [
                "old-hot",
                "strong-ml",
                "unknown-heat",
                "fresh-ethics",
                "tie-a",
                "tie-b",
                "low",
                "unrated",
            ],
        ),
        (
            ("--by", "heat"),
            [
                "old-hot",
                "strong-ml",
                "tie-a",
                "tie-b",
                "fresh-ethics",
                "low",
                "unknown-heat",
                "unrated",
            ],
        ),
        (("--by", "date"), BY_DATE),
        (
            ("--reverse",),
            [
                "low",
                "old-hot",
                "unrated",
                "tie-a",
                "tie-b",
                "unknown-heat",
                "strong-ml",
                "fresh-ethics",
            ],
        ),
        (
            ("--by", "date", "--reverse"),
            [
                "low",
                "old-hot",
                "tie-a",
                "tie-b",
                "unrated",
                "unknown-heat",
                "strong-ml",
                "fresh-ethics",
            ],
        ),
        (("--limit", "3"), BY_SCORE[:3]),
        (("-n", "0"), BY_SCORE),
        (
            ("--half-life", "365d"),
            [
                "strong-ml",
                "old-hot",
                "unknown-heat",
                "fresh-ethics",
                "tie-a",
                "tie-b",
                "unrated",
                "low",
            ],
        ),
        # Quality alone: the ties (quality 70) fall just below the unrated article (base 0.5).
        (
            ("--weights", "quality=1"),
            [
                "fresh-ethics",
                "strong-ml",
                "unknown-heat",
                "unrated",
                "tie-a",
                "tie-b",
                "old-hot",
                "low",
            ],
        ),
    ],
)
def test_rank_order(
    capsys: pytest.CaptureFixture[str], site: Path, args: tuple[str, ...], expected: list[str]
) -> None:
    assert order(capsys, "rank", site, *args) == expected


def test_rank_limit_defaults_to_20(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    for number in range(30):
        text = (site / "_news" / "2024-02-29-fresh-ethics.md").read_text(encoding="utf-8")
        (site / "_news" / f"2024-01-01-copy-{number:02}.md").write_text(text, encoding="utf-8")
    assert len(order(capsys, "rank", site)) == 20
    assert len(order(capsys, "list", site)) == 38


def test_ties_are_broken_by_path(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    code, out, _ = run(
        capsys, "rank", site, "--no-cache", "--now", NOW, "-f", "json", "--topic", "ML"
    )
    assert code == 0
    rows = json.loads(out)
    ties = [row for row in rows if Path(row["path"]).stem.startswith("2024-02-25-tie")]
    assert [Path(row["path"]).stem for row in ties] == ["2024-02-25-tie-a", "2024-02-25-tie-b"]
    assert ties[0]["score"] == ties[1]["score"]
    assert [row["rank"] for row in ties] == [3, 4]


def test_now_makes_the_ranking_reproducible_and_time_keeps_the_order(
    capsys: pytest.CaptureFixture[str], site: Path
) -> None:
    def ranking(now: str) -> list[dict[str, Any]]:
        code, out, _ = run(capsys, "rank", site, "--no-cache", "--now", now, "-f", "json")
        assert code == 0
        rows: list[dict[str, Any]] = json.loads(out)
        return rows

    first, again = ranking("2024-03-01T00:00:00Z"), ranking("2024-03-01T00:00:00Z")
    assert first == again
    later = ranking("2024-03-05T00:00:00Z")
    assert [row["path"] for row in later] == [row["path"] for row in first]
    assert later[0]["score"] == pytest.approx(first[0]["score"] / 4, rel=1e-5)


# --- filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--topic", "AI Ethics"), ["fresh-ethics", "unknown-heat"]),
        (("--topic", "ethics"), ["fresh-ethics", "unknown-heat"]),
        (("--topic", "ai-ethics"), ["fresh-ethics", "unknown-heat"]),
        (("-t", "AI ETHICS"), ["fresh-ethics", "unknown-heat"]),
        (("--topic", "robots"), ["tie-a"]),
        (
            ("--topic", "ethics", "--topic", "ml"),
            ["fresh-ethics", "strong-ml", "unknown-heat", "tie-a", "tie-b"],
        ),
        (("--topic", "ethics", "--topic", "ml", "--match", "all"), ["unknown-heat"]),
        (("--provider", "techdaily.com"), ["strong-ml", "old-hot"]),
        (("-p", "EXAMPLE.COM"), ["fresh-ethics", "unknown-heat"]),
        (("--provider", "Example News"), ["fresh-ethics"]),
        (("--min-quality", "90"), ["strong-ml", "unknown-heat", "old-hot"]),
        (("--min-heat", "70"), ["strong-ml", "tie-a", "tie-b", "old-hot"]),
        (("--since", "2024-02-27"), ["fresh-ethics", "strong-ml", "unknown-heat"]),
        (("--since", "3d"), ["fresh-ethics", "strong-ml", "unknown-heat"]),
        (("--since", "48h"), ["fresh-ethics", "strong-ml"]),
        (("--since", "47h"), ["fresh-ethics"]),
        (("--until", "2024-02-25"), ["tie-a", "tie-b", "old-hot", "low"]),
        (("--until", "2w"), ["low"]),
        (
            ("--since", "2024-02-20T00:00:00Z", "--until", "2024-02-25"),
            ["tie-a", "tie-b", "old-hot"],
        ),
        (("--published",), ["fresh-ethics", "strong-ml", "tie-a", "tie-b", "unrated", "old-hot"]),
        (("--unpublished",), ["unknown-heat", "low"]),
        (("--type", "video"), ["unrated"]),
        (("--has-image",), ["fresh-ethics", "strong-ml", "unrated", "old-hot"]),
        (("--no-image",), ["unknown-heat", "tie-a", "tie-b", "low"]),
        (("--topic", "ml", "--has-image", "--published"), ["strong-ml"]),
    ],
)
def test_rank_filters(
    capsys: pytest.CaptureFixture[str], site: Path, args: tuple[str, ...], expected: list[str]
) -> None:
    assert order(capsys, "rank", site, *args) == expected


def test_list_uses_the_same_filters(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    assert order(capsys, "list", site, "--topic", "ethics") == ["fresh-ethics", "unknown-heat"]
    assert order(capsys, "list", site, "--since", "3d", "--reverse") == [
        "unknown-heat",
        "strong-ml",
        "fresh-ethics",
    ]


def test_unknown_topic_is_a_usage_error(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    for command in ("rank", "list"):
        code, out, err = run(capsys, command, site, "--no-cache", "--topic", "etics")
        assert code == 2
        assert out == ""
        assert "curate: error: unknown topic 'etics'; did you mean 'AI Ethics'" in err
        assert "known topics: AI, Machine Learning (ML), AI Ethics (Ethics), Robots" in err


def test_failing_articles_are_skipped_with_one_line(
    capsys: pytest.CaptureFixture[str], site: Path
) -> None:
    code, out, err = run(capsys, "rank", site, "--no-cache", "-f", "paths")
    assert code == 0
    assert err == SKIPPED
    assert "broken" not in out
    (site / "_news" / "2024-02-28-bad-yaml.md").write_text("---\ntitle: [\n---\n", "utf-8")
    code, _, err = run(capsys, "list", site, "--no-cache", "-f", "paths")
    assert (code, err) == (
        0,
        "curate: skipped 2 files (1 article fails validation, 1 file cannot be read as an "
        "article); run `curate validate` to see why\n",
    )


# --- output formats -----------------------------------------------------------------------

REQUIRED_KEYS = {
    "path",
    "title",
    "score",
    "quality",
    "heat",
    "publishedDateTime",
    "published",
    "topics",
    "provider",
    "webUrl",
}


def test_json(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    code, out, _ = run(capsys, "rank", site, "--no-cache", "--now", NOW, "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 8
    assert set(rows[0]) >= REQUIRED_KEYS
    first = rows[0]
    assert first["rank"] == 1 and first["score"] == pytest.approx(65.3, abs=0.05)
    assert first["publishedDateTime"] == "2024-02-29T12:00:00Z"
    assert first["topics"] == ["AI Ethics", "AI"]
    assert first["provider"] == "example.com" and first["published"] is True
    assert first["webUrl"] == "https://example.com/2024-02-29-fresh-ethics"
    unrated = next(row for row in rows if "unrated" in row["path"])
    assert (unrated["quality"], unrated["heat"], unrated["published"]) == (None, None, None)
    assert "freshness" not in first


def test_json_explain_carries_the_parts(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    _, out, _ = run(capsys, "rank", site, "--no-cache", "--now", NOW, "-f", "json", "--explain")
    first = json.loads(out)[0]
    assert first["qualityPart"] == pytest.approx(48.0)
    assert first["qualityPart"] + first["heatPart"] == pytest.approx(first["base"], abs=1e-3)
    assert first["base"] * first["freshness"] == pytest.approx(first["score"], rel=1e-4)
    assert first["ageHours"] == 12


def test_jsonl(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    _, out, _ = run(capsys, "rank", site, "--no-cache", "--now", NOW, "-f", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["rank"] for row in rows] == list(range(1, 9))
    assert set(rows[0]) >= REQUIRED_KEYS


def test_csv_has_a_header(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    _, out, _ = run(capsys, "rank", site, "--no-cache", "--now", NOW, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.startswith("rank,score,path,title,publishedDateTime,published,quality,heat,")
    assert len(rows) == 8
    assert rows[0]["title"] == "Fresh: regulators publish AI ethics guidance"
    assert rows[0]["topics"] == "AI Ethics; AI"
    assert rows[0]["published"] == "true"
    assert next(r for r in rows if "unrated" in r["path"])["quality"] == ""


def test_tsv_has_a_header(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    _, out, _ = run(capsys, "list", site, "--no-cache", "-f", "tsv")
    lines = out.splitlines()
    assert lines[0].split("\t")[:3] == ["path", "title", "publishedDateTime"]
    assert len(lines) == 9 and all(len(line.split("\t")) == 12 for line in lines)


def test_paths_are_files(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    _, out, _ = run(capsys, "list", site, "--no-cache", "--topic", "ethics", "-f", "paths")
    paths = out.splitlines()
    assert len(paths) == 2 and all(Path(path).is_file() for path in paths)


def test_fields_choose_the_columns(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    _, out, _ = run(
        capsys,
        "rank",
        site,
        "--no-cache",
        "--now",
        NOW,
        "-f",
        "csv",
        "--fields",
        "rank,title",
        "--fields",
        "SCORE",
        "-n",
        "2",
    )
    assert out.splitlines() == [
        "rank,title,score",
        "1,Fresh: regulators publish AI ethics guidance,65.3004",
        "2,Strong: a new benchmark for machine learning,50.0",
    ]
    _, out, _ = run(capsys, "list", site, "--no-cache", "-f", "json", "--fields", "path,heat")
    assert set(json.loads(out)[0]) == {"path", "heat"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rank", "--fields", "titel"), "unknown field 'titel'; choose from: rank, score,"),
        (("list", "--fields", "score"), "field 'score' needs a score: use 'curate rank'"),
        (("rank", "--half-life", "3x"), "--half-life: '3x' is not a duration"),
        (("rank", "--weights", "quality=lots"), "--weights: 'quality=lots': 'lots' is not"),
        (("rank", "--now", "tomorrow"), "--now: 'tomorrow' is not an ISO 8601 date"),
        (("list", "--since", "last week"), "--since: 'last week' is neither an ISO 8601 date"),
        (("list", "--until", "soon"), "--until: 'soon' is neither"),
    ],
)
def test_bad_values_are_usage_errors(
    capsys: pytest.CaptureFixture[str], site: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, *args, site, "--no-cache")
    assert code == 2 and out == ""
    assert err.startswith(f"curate: error: {message}")


def test_a_missing_path_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for command in ("rank", "list", "stats"):
        code, _, err = run(capsys, command, tmp_path / "nowhere", "--no-cache")
        assert code == 2 and "nowhere: no such file or directory" in err


def test_nothing_matches(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    code, out, _ = run(capsys, "rank", site, "--no-cache", "--min-quality", "1000")
    assert (code, out) == (0, "No articles match (0 of 8).\n")
    _, out, _ = run(capsys, "rank", site, "--no-cache", "--min-quality", "1000", "-f", "json")
    assert json.loads(out) == []
    _, out, _ = run(capsys, "rank", site, "--no-cache", "--min-quality", "1000", "-f", "csv")
    assert out.startswith("rank,score,path,")


def test_no_articles_at_all(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "list", tmp_path, "--no-cache", "-f", "json")
    assert (code, json.loads(out)) == (0, [])
    assert "no article files found" in err


# --- tables -------------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [80, 120])
def test_table_fits_the_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, site: Path, columns: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("NO_COLOR", "1")
    for extra in ((), ("--explain",)):
        code, out, _ = run(capsys, "rank", site, "--no-cache", "--now", NOW, *extra)
        lines = out.splitlines()
        assert code == 0
        assert all(len(line.rstrip()) <= columns for line in lines)
        assert "\x1b[" not in out
        header = lines[0].split()
        assert header[:2] == ["#", "Score"] and "Title" in header
        assert lines[2].split()[:2] == ["1", "65.3"]
        assert "Fresh: regulators" in lines[2]
        assert lines[-2:] == [
            "8 of 8 articles match",
            "score: half-life 48h, quality 0.6 + heat 0.4, now 2024-03-01 00:00 UTC",
        ]
        if extra:
            assert "Fresh" in header and "Base" in header
    monkeypatch.setenv("COLUMNS", "200")
    _, out, _ = run(capsys, "rank", site, "--no-cache", "--now", NOW)
    header = out.splitlines()[0].split()
    assert header == ["#", "Score", "Quality", "Heat", "Date", "Pub", "Title", "Provider", "Topics"]
    assert "Strong: a new benchmark for machine learning" in out


def test_long_titles_end_in_an_ellipsis(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, site: Path
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    article = site / "_news" / "2024-02-29-fresh-ethics.md"
    long_title = "A very long title " * 8
    article.write_text(
        article.read_text("utf-8").replace(
            "Fresh: regulators publish AI ethics guidance", long_title.strip()
        ),
        "utf-8",
    )
    _, out, _ = run(capsys, "list", site, "--no-cache", "--fields", "title")
    first = out.splitlines()[2]
    assert first.startswith("A very long title") and first.rstrip().endswith("…")
    assert len(first.rstrip()) <= 80


def test_list_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, site: Path
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    code, out, err = run(capsys, "list", site, "--no-cache")
    lines = out.splitlines()
    assert code == 0 and err == SKIPPED
    assert lines[0].split() == ["Date", "Pub", "Quality", "Heat", "Title", "Provider", "Topics"]
    assert lines[2].split()[:2] == ["2024-02-29", "yes"]
    assert "unset" in out and lines[-1] == "8 of 8 articles match"


# --- stats --------------------------------------------------------------------------------


def test_stats_json(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    code, out, _ = run(capsys, "stats", site, "--no-cache", "-f", "json", "--top", "2")
    document = json.loads(out)
    assert code == 0
    assert document["articles"] == 9 and document["invalid"] == 1
    assert document["published"] == {"true": 5, "false": 2, "unset": 2}
    assert document["dates"]["earliest"] == "2023-12-01T00:00:00+00:00"
    assert document["topics"] == [
        {"name": "AI", "count": 6},
        {"name": "Machine Learning", "count": 4},
    ]
    assert document["topicsDistinct"] == 4
    assert document["providersDistinct"] == 7
    assert document["quality"]["unknown"] == 1
    assert document["heat"]["buckets"][0] == {"from": 0, "to": 19, "count": 1}
    # The article without a title at least; more as lint rules are added.
    assert document["lint"]["errors"] >= 1


@pytest.mark.parametrize("columns", [80, 120])
def test_stats_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, site: Path, columns: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, _ = run(capsys, "stats", site, "--no-cache")
    assert code == 0
    assert all(len(line.rstrip()) <= columns for line in out.splitlines())
    for expected in (
        "Articles   9",
        "Published  5 true · 2 false · 2 unset",
        "Dates",
        "2023-12-01 → 2024-02-29",
        "Lint",
        "Topics (4)",
        "Providers (7)",
        "Quality (8 known, 1 unknown)",
        "Heat (7 known, 2 unknown)",
        "Articles per year",
        "█",
    ):
        assert expected in out


def test_commands_are_documented(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("rank", "list", "stats"):
        assert command in out
    _, out, _ = run(capsys, "rank", "--help")
    assert "score = 100 * base * freshness" in out
    assert "freshness = 0.5 ^ (age / half-life)" in out
    assert "never swap places" in out


def test_stats_rank_and_list_agree_on_the_usable_articles(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """examples/ holds 3 usable articles, 3 that fail validation (one only by a duplicate
    key, FM006) and 1 file that is no article: every command counts them alike."""
    examples = copy_tracked(ROOT / "examples", tmp_path / "examples")
    _, out, _ = run(capsys, "stats", examples, "--no-cache", "-f", "json")
    document = json.loads(out)
    assert (document["articles"], document["invalid"], document["unreadable"]) == (6, 3, 1)
    _, out, _ = run(capsys, "stats", examples, "--no-cache")
    assert "(3 fail validation; 1 more file cannot be read as an article)" in " ".join(out.split())
    skipped = (
        "curate: skipped 4 files (3 articles fail validation, 1 file cannot be read as an "
        "article); run `curate validate` to see why\n"
    )
    for command in ("rank", "list"):
        _, out, err = run(capsys, command, examples, "--no-cache", "-f", "paths")
        assert err == skipped and len(out.splitlines()) == 3


@pytest.mark.parametrize("command", ["rank", "list"])
def test_an_empty_folder_is_one_line_and_the_warning(
    command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, command, tmp_path, "--no-cache")
    assert (code, out) == (0, "No articles.\n")
    assert err == f"curate: warning: no article files found in {tmp_path}\n"


def test_a_hint_when_every_score_is_below_a_tenth(
    capsys: pytest.CaptureFixture[str], site: Path
) -> None:
    hint = "all scores < 0.1: try --now 2024-02-29 (newest article) or a longer --half-life"
    _, out, _ = run(capsys, "rank", site, "--no-cache", "--now", "2030-01-01")
    assert hint in out.splitlines()
    _, out, _ = run(capsys, "rank", site, "--no-cache", "--now", NOW)
    assert "all scores" not in out
