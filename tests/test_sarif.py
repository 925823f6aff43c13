"""`--format sarif`: valid against the SARIF 2.1.0 schema, and faithful to the findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker

from curate.cli import main
from tests.conftest import FIXTURES

SARIF_SCHEMA = FIXTURES / "sarif" / "sarif-schema-2.1.0.json"
SEEDS = FIXTURES / "rules" / "seeds"


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=FormatChecker())


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(["lint", *args, "--no-cache", "--format", "sarif"])
    return code, json.loads(capsys.readouterr().out)


def errors(validator: Draft4Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_the_vendored_schema_is_sarif_2_1_0() -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


def test_findings_are_valid_sarif(
    validator: Draft4Validator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, document = run(capsys, str(SEEDS))
    assert code == 0  # the seeds hold warnings and infos
    assert errors(validator, document) == []
    [run_] = document["runs"]
    assert run_["tool"]["driver"]["name"] == "curate"
    rules = run_["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["IM005", "RL007"]
    assert rules[1]["name"] == "related-recommends-unpublished"
    assert rules[1]["defaultConfiguration"] == {"level": "warning"}
    by_rule = {result["ruleId"]: result for result in run_["results"]}
    assert set(by_rule) == {"IM005", "RL007"}
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert by_rule["IM005"]["level"] == "note"
    region = by_rule["RL007"]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (37, 13)


def test_a_clean_run_is_valid_sarif(
    validator: Draft4Validator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, document = run(capsys, str(FIXTURES / "rules" / "IM005" / "pass"))
    assert code == 0
    assert errors(validator, document) == []
    assert document["runs"][0]["results"] == []


def test_paths_with_spaces_and_accents_are_uri_references(
    validator: Draft4Validator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = shutil.copytree(FIXTURES / "rules" / "IM005" / "fail", tmp_path / "my site")
    (site / "_posts" / "2021-06-30-a.md").rename(site / "_posts" / "2021-06-30-café au lait.md")
    for target in (site, site.relative_to(tmp_path)):
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(tmp_path)
            _, document = run(capsys, str(target))
        assert errors(validator, document) == []
        [result] = document["runs"][0]["results"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.endswith("/_posts/2021-06-30-caf%C3%A9%20au%20lait.md")
