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
from curate.schema import (
    MAX_SCHEMA_BYTES,
    ArticleValidator,
    bundled_schema_path,
    load_schema,
)
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
        ('"https://example.com/a b"', "write it as %20"),
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
    # (and its AMP-cache copy). The URL with unencoded curly quotes is an IRI, which
    # browsers open: the schema accepts it.
    assert {(Path(d["path"]).name[:30], d["message"].split(":")[0]) for d in found} == {
        ("2021-08-05-ireland-joins-3m-eu", "related[1].ampWebUrl"),
        ("2021-08-05-ireland-joins-3m-eu", "related[1].cdnAmpWebUrl"),
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
    assert "not a usable JSON Schema" in capsys.readouterr().err


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


def write_schema(directory: Path, schema: dict[str, object], name: str = "s.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(schema), encoding="utf-8")
    return path


def validate_with(
    tmp_path: Path, schema: dict[str, object], text: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[dict[str, object]], str]:
    schema_path = write_schema(tmp_path, schema)
    write_article(tmp_path / "site", "a.md", text)
    argv = ["validate", "--schema", str(schema_path), str(tmp_path / "site")]
    code = main([*argv, "--no-cache", "--format", "json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out or "[]"), captured.err


def test_the_declared_draft_is_used_unevaluated_properties(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "properties": {"title": {"type": "string"}},
        "unevaluatedProperties": False,
    }
    code, found, _ = validate_with(tmp_path, schema, "---\ntitle: A\ntitel: B\n---\n", capsys)
    assert code == 1
    assert [(d["code"], d["line"], d["message"]) for d in found] == [
        ("SC005", 3, "titel: unexpected key 'titel'")
    ]


def test_draft_4_exclusive_minimum_is_a_boolean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "properties": {"quality": {"minimum": 10, "exclusiveMinimum": True}},
    }
    code, found, _ = validate_with(tmp_path, schema, "---\nquality: 10\n---\n", capsys)
    assert code == 1
    # No type in the schema: the bounds alone, without a double space.
    assert [d["message"] for d in found] == ["quality: expected > 10, got 10"]


def test_bounds_without_a_type_read_well(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = {"properties": {"quality": {"minimum": 10}}}
    _, found, _ = validate_with(tmp_path, schema, "---\nquality: 5\n---\n", capsys)
    assert [d["message"] for d in found] == ["quality: expected >= 10, got 5"]


def test_patterns_are_ecma_262_a_final_newline_is_not_allowed() -> None:
    # A block scalar keeps its final newline; ECMA's $ does not match before it.
    text = ARTICLE.format(quality=1).replace("domain: example.com", "domain: |\n    scmp.com")
    assert [
        (code, line, message.split(":")[0]) for code, line, _, message in diagnostics_of(text)
    ] == [("SC005", 10, "provider.domain")]


def test_iris_are_urls_but_spaces_are_not() -> None:
    quoted = ARTICLE.format(quality=1).replace(
        '"https://example.com/a"', '"https://example.com/Winners-of-“Machine-Learning”-Hackathon"'
    )
    assert diagnostics_of(quoted) == []
    for bad in ('"https://example.com/a "', '"https://example.com/a\\n"'):
        text = ARTICLE.format(quality=1).replace('"https://example.com/a"', bad)
        assert [d[0] for d in diagnostics_of(text)] == ["SC003"], bad


def test_defaults_are_never_written_into_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = json.loads(bundled_schema_path().read_text(encoding="utf-8"))
    schema["properties"]["published"]["default"] = False
    schema["properties"]["quality"]["default"] = 100
    schema["required"] = [*schema["required"], "published"]
    write_schema(tmp_path, schema, "article.schema.json")
    (tmp_path / "curate.toml").write_text('schema = "article.schema.json"\n', encoding="utf-8")
    text = ARTICLE.format(quality=1).replace("quality: 1\n", "")
    write_article(tmp_path / "_posts", "2021-06-30-a.md", text)

    article = load_text("a.md", text.encode()).article
    assert article is not None
    validator = ArticleValidator(load_schema(tmp_path / "article.schema.json"))
    # A missing required key stays missing, whatever its default.
    assert [d.message for d in validator.validate(article)] == ["missing required key 'published'"]
    assert "published" not in article.data and "quality" not in article.data

    schema["required"].remove("published")
    write_schema(tmp_path, schema, "article.schema.json")
    argv = ["list", "--root", str(tmp_path), "--no-cache", "--format", "json"]
    assert main([*argv, str(tmp_path)]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["published"] is None and listed["quality"] is None


def test_the_explanation_never_overrules_the_verdict() -> None:
    article = load_text("a.md", ARTICLE.format(quality=-1).encode()).article
    assert article is not None
    validator = ArticleValidator(load_schema())
    validator.explain = lambda article: iter(())  # type: ignore[method-assign]
    [diagnostic] = validator.validate(article)
    assert (diagnostic.code, diagnostic.line) == ("SC005", 2)
    assert diagnostic.message == "the article does not match the schema"


def test_local_refs_resolve_next_to_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_schema(tmp_path, {"type": "integer"}, "count.json")
    write_schema(
        tmp_path,
        {"$id": "https://example.com/schemas/name.json", "type": "string"},
        "name-saved-under-any-name.json",
    )
    schema = {
        "$id": "https://example.com/schemas/article.json",
        "properties": {
            "quality": {"$ref": "count.json"},
            "title": {"$ref": "name.json"},
            "meta": {"$ref": "https://json-schema.org/draft/2020-12/schema"},
        },
    }
    text = "---\nquality: high\ntitle: 3\nmeta: {type: 12}\n---\n"
    code, found, _ = validate_with(tmp_path, schema, text, capsys)
    assert code == 1
    assert [(d["code"], d["line"]) for d in found] == [("SC002", 2), ("SC002", 3), ("SC005", 4)]


@pytest.mark.parametrize(
    "schema",
    [
        {"properties": {"a": {"$ref": "http://127.0.0.1:9/never.json"}}},
        {"$schema": "http://127.0.0.1:9/never.json", "type": "object"},
    ],
)
def test_remote_refs_are_never_fetched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schema: dict[str, object]
) -> None:
    code, _, err = validate_with(tmp_path, schema, "---\na: 1\n---\n", capsys)
    assert code == 2
    assert "http://127.0.0.1:9/never.json" in err
    assert "next to the schema" in err


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"properties": {"a": {"pattern": "("}}}, "at /properties/a/pattern"),
        ({"properties": {"a": {"$ref": "#/$defs/missing"}}}, "/$defs/missing"),
        ({"type": 12}, "not a usable JSON Schema"),
    ],
)
def test_unusable_schemas_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schema: dict[str, object], expected: str
) -> None:
    code, _, err = validate_with(tmp_path, schema, "---\na: 1\n---\n", capsys)
    assert code == 2
    assert str(tmp_path / "s.json") in err and expected in err
    assert "internal error" not in err


def test_schemas_other_engines_choke_on_are_usable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft4_unicode = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "patternProperties": {"^\\p{L}+$": {"type": "string"}},
    }
    code, found, _ = validate_with(tmp_path, draft4_unicode, "---\nTitel: 1\n---\n", capsys)
    assert (code, [d["code"] for d in found]) == (1, ["SC002"])
    # A schema that refers to itself forever ends (every value is valid).
    assert validate_with(tmp_path, {"$ref": "#"}, "---\na: 1\n---\n", capsys)[0] == 0


def test_huge_or_endless_schema_files_are_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * (MAX_SCHEMA_BYTES + 1))
    for schema in (huge, Path("/dev/zero")):
        if not schema.exists():
            continue
        assert main(["validate", "--schema", str(schema), str(EXAMPLES), "--no-cache"]) == 2
        assert f"schema {schema} is larger than 4 MiB" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "iri", "reference"),
    [
        ("https://example.com/Winners-of-“Machine-Learning”", True, True),
        ("https://例え.jp/パス?q=ü#f", True, True),
        ("https://example.com/a", True, True),
        ("/assets/images/a.jpg", False, True),
        ("https://example.com/a ", False, False),
        ("https://example.com/a\n", False, False),
        ("https://example.com/\u00a0x", False, False),
        ("https://example.com/%zz", False, False),
        (12, True, True),
    ],
)
def test_iri_format(value: object, iri: bool, reference: bool) -> None:
    from curate.schema import _is_iri, _is_iri_reference

    assert (_is_iri(value), _is_iri_reference(value)) == (iri, reference)


def test_a_ref_to_a_broken_file_next_to_the_schema_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "defs.json").write_text("{not json", encoding="utf-8")
    schema = {"properties": {"a": {"$ref": "defs.json"}}}
    code, _, err = validate_with(tmp_path, schema, "---\na: 1\n---\n", capsys)
    assert code == 2
    assert f"refers to {tmp_path / 'defs.json'}, which cannot be used" in err
    assert "not valid JSON" in err


def test_a_false_schema_says_the_value_is_not_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = {"properties": {"draft": False}}
    code, found, _ = validate_with(tmp_path, schema, "---\ndraft: true\n---\n", capsys)
    assert (code, [(d["line"], d["message"]) for d in found]) == (
        1,
        [(2, "draft: not allowed by the schema")],
    )


def test_data_the_engine_cannot_follow_is_a_finding_not_a_crash() -> None:
    text = ARTICLE.format(quality=1).replace('title: "A title"\n', "")
    article = load_text("a.md", text.encode()).article
    assert article is not None
    deep: dict[str, object] = {}
    article.data["extra"] = deep
    for _ in range(2000):  # deeper than the loader lets through, as a library caller might
        deep["a"] = deep = {}
    [diagnostic] = ArticleValidator(load_schema()).validate(article)
    assert diagnostic.code == "SC005"
    assert diagnostic.message.startswith("the article cannot be checked against the schema")
