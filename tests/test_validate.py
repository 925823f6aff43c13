"""Schema validation and `curate validate`: the contract, the messages, the formats, the exits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from curate.cli import main
from curate.loading import load_text
from curate.schema import ArticleValidator, bundled_schema_path, load_schema
from tests.conftest import ROOT, write_article

EXAMPLES = ROOT / "examples"

ARTICLE = """---
category: news
title: "A title"
publishedDateTime: 2021-06-30T12:00:00Z
webUrl: "https://example.com/a"
type: article
quality: {quality}
provider:
  name: Example
  domain: example.com
topics:
  - AI
---
"""


def diagnostics_of(text: str) -> list[tuple[str, int, int, str]]:
    article = load_text("a.md", text.encode()).article
    assert article is not None
    validator = ArticleValidator(load_schema())
    return [(d.code, d.line, d.column, d.message) for d in validator.validate(article)]


def test_valid_article_has_no_diagnostics() -> None:
    assert diagnostics_of(ARTICLE.format(quality=70)) == []


def test_wrong_type_message_and_position() -> None:
    assert diagnostics_of(ARTICLE.format(quality='"high"')) == [
        ("SC002", 7, 10, 'quality: expected an integer >= 0, got "high"')
    ]


def test_out_of_range() -> None:
    [(code, line, _, message)] = diagnostics_of(ARTICLE.format(quality=-3))
    assert (code, line) == ("SC004", 7)
    assert "got -3" in message


def test_missing_key_points_at_the_parent_mapping() -> None:
    text = ARTICLE.format(quality=1).replace("  domain: example.com\n", "")
    assert diagnostics_of(text) == [("SC001", 9, 3, "provider: missing required key 'domain'")]


def test_any_of_names_every_alternative() -> None:
    text = ARTICLE.format(quality=1).replace('webUrl: "https://example.com/a"\n', "")
    [(code, line, _, message)] = diagnostics_of(text)
    assert code == "SC001" and line == 2
    assert message == "needs at least one of: originalUrl, webUrl"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('"https://example.com/a "', "trailing whitespace"),
        ('"https://example.com/“quoted”"', "percent-encoded"),
        ('"example.com/a"', ""),
    ],
)
def test_bad_urls_are_one_finding_each(value: str, reason: str) -> None:
    text = ARTICLE.format(quality=1).replace('"https://example.com/a"', value)
    [(code, line, _, message)] = diagnostics_of(text)
    assert (code, line) == ("SC003", 5)
    assert reason in message


def test_unquoted_and_malformed_dates() -> None:
    assert diagnostics_of(ARTICLE.format(quality=1)) == []
    text = ARTICLE.format(quality=1).replace("2021-06-30T12:00:00Z", "30/06/2021")
    assert [d[0] for d in diagnostics_of(text)] == ["SC003"]


def test_unknown_extra_keys_are_allowed() -> None:
    assert diagnostics_of(ARTICLE.format(quality=1).replace("type:", "layout: post\ntype:")) == []


def test_examples_validate_with_the_documented_failures(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(EXAMPLES), "--no-cache", "--format", "json"])
    found = {
        (Path(d["path"]).name, d["code"], d["line"]) for d in json.loads(capsys.readouterr().out)
    }
    assert code == 1
    assert found == {
        ("2021-07-06-quality-written-as-a-word.md", "SC002", 8),
        ("2021-07-07-a-key-written-twice.md", "FM006", 11),
        ("2021-07-08-a-date-editors-wrote-by-hand.md", "SC003", 5),
        ("2021-07-09-front-matter-never-closed.md", "FM003", 1),
    }


def test_seeds_and_valid_examples_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    posts = EXAMPLES / "_posts"
    valid = [str(p) for p in sorted(posts.glob("*.md")) if "shenzhen" in p.name or "ibm" in p.name]
    assert len(valid) == 3
    assert main(["validate", *valid, "--no-cache"]) == 0
    assert "3 files checked, no problems found" in capsys.readouterr().out


def test_real_sample_has_only_named_defects(
    real_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["validate", str(real_corpus), "--no-cache", "--format", "json"])
    found = json.loads(capsys.readouterr().out)
    # The only schema defects of the 126 real articles: a URL with a trailing space
    # (and its AMP-cache copy), and a URL with unencoded curly quotes.
    assert {(Path(d["path"]).name[:30], d["message"].split(":")[0]) for d in found} == {
        ("2021-08-05-ireland-joins-3m-eu", "related[1].ampWebUrl"),
        ("2021-08-05-ireland-joins-3m-eu", "related[1].cdnAmpWebUrl"),
        ("2021-12-14-morgan-stanley-and-", "originalUrl"),
        ("2021-12-14-morgan-stanley-and-", "webUrl"),
    }


def test_one_broken_file_does_not_stop_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for index in range(20):
        write_article(tmp_path, f"a{index:02d}.md", ARTICLE.format(quality=index))
    (tmp_path / "a07.md").write_bytes(b"---\ntitle: [unclosed\n---\n")
    (tmp_path / "a11.md").write_bytes(b"\xff\xfe\x00garbage")
    assert main(["validate", str(tmp_path), "--no-cache", "--format", "concise"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[1].split()[0] for line in out] == ["FM005", "FM010"]


def test_github_format(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "_posts" / "2021-07-06-quality-written-as-a-word.md"
    assert main(["validate", str(path), "--no-cache", "--format", "github"]) == 1
    line = capsys.readouterr().out.strip()
    assert line.startswith(
        f"::error file={os.path.relpath(path)},line=8,col=10,title=SC002 wrong-type::quality"
    )


def test_table_output_is_plain_without_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    main(["validate", str(EXAMPLES), "--no-cache"])
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    assert "2021-07-06-quality-written-as-a-word.md" in out
    assert "7 files checked: 4 errors" in out


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "xml"]) == 2
    assert main(["validate", "--schema", str(tmp_path / "none.json"), str(EXAMPLES)]) == 2
    assert "cannot read schema" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": 12}')
    assert main(["validate", "--schema", str(bad), str(EXAMPLES), "--no-cache"]) == 2
    assert "not a valid JSON Schema" in capsys.readouterr().err


def test_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing.md"), "--no-cache", "-f", "concise"]) == 2
    assert "missing.md: no such file or directory" in capsys.readouterr().err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("curate ")
    assert main(["validate", "--help"]) == 0
    assert "path:line:col" in capsys.readouterr().out


def test_schema_is_bundled_and_ships_in_the_wheel(tmp_path: Path) -> None:
    assert load_schema(bundled_schema_path())["$schema"].endswith("2020-12/schema")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("curate-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = json.loads(archive.read("curate/schemas/article.schema.json"))
    assert shipped == json.loads((ROOT / "schemas" / "article.schema.json").read_text())


@pytest.mark.parametrize(
    "value",
    [
        "2021-06-30T12:00:00Z",
        "2021-06-30t12:00:00z",
        "2021-02-30T12:00:00Z",
        "2021-06-30 12:00",
        "https://example.com/a b",
        "https://example.com/“x”",
        "/assets/images/a.jpg",
        "example.com",
        "mailto:someone@example.com",
        "",
        12,
    ],
)
def test_fast_format_checks_agree_with_jsonschema(value: object) -> None:
    from jsonschema import FormatChecker

    from curate.schema import _FAST_FORMATS

    checker = FormatChecker()
    for name, check in _FAST_FORMATS.items():
        assert check(value) == checker.conforms(value, name), (name, value)
