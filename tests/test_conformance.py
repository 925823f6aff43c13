"""curate against the official JSON Schema Test Suite, drafts 4 to 2020-12.

tests/jsts holds the suite's required test files of each draft, its optional
ECMA-262 regular expression tests, and the remote documents its cases refer to
(json-schema-org/JSON-Schema-Test-Suite, MIT: see tests/jsts/LICENSE and SOURCE).
Every case runs through the library verdict (``ArticleValidator.is_valid``); every
case whose data is a mapping also runs through ``curate validate --schema``, one
article per case, one run per schema. The few exclusions are listed in EXCLUDED,
each with why.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from curate.loading import load_file
from curate.schema import ArticleValidator

SUITE = Path(__file__).parent / "jsts"
REMOTE_BASE = "http://localhost:1234/"

DRAFTS = {
    "draft4": "http://json-schema.org/draft-04/schema#",
    "draft6": "http://json-schema.org/draft-06/schema#",
    "draft7": "http://json-schema.org/draft-07/schema#",
    "draft2019-09": "https://json-schema.org/draft/2019-09/schema",
    "draft2020-12": "https://json-schema.org/draft/2020-12/schema",
}

#: Why a case is excluded, by (draft, file, the end of the case's description).
EXCLUDED = {
    ("draft2020-12", "format", "is only an annotation by default"): (
        "curate asserts `format` whatever the draft (a malformed date or URL is SC003), "
        "as the format-assertion vocabulary allows; in 2020-12 the default is annotation only"
    ),
}


class Case(NamedTuple):
    draft: str
    file: str
    group: str
    description: str
    schema: Any
    data: Any
    valid: bool

    @property
    def id(self) -> str:
        return f"{self.draft}/{self.file}: {self.group} / {self.description}"


def excluded(case: Case) -> str | None:
    for (draft, file, ending), why in EXCLUDED.items():
        if (case.draft, case.file) == (draft, file) and case.description.endswith(ending):
            return why
    return None


def cases(draft: str) -> Iterator[Case]:
    folder = SUITE / "tests" / draft
    # Of the optional files, only the one on ECMA-262 regular expressions: curate's one dialect.
    for path in [*sorted(folder.glob("*.json")), folder / "optional" / "ecmascript-regex.json"]:
        for group in json.loads(path.read_text(encoding="utf-8")):
            for test in group["tests"]:
                yield Case(
                    draft,
                    path.relative_to(folder).with_suffix("").as_posix(),
                    group["description"],
                    test["description"],
                    group["schema"],
                    test["data"],
                    test["valid"],
                )


def declared(schema: Any, draft: str) -> Any:
    """The schema as a user would write it for this draft: with its ``$schema``."""
    if isinstance(schema, bool):
        # A boolean root cannot carry $schema; allOf of it means the same.
        return {"$schema": DRAFTS[draft], "allOf": [schema]}
    if "$schema" in schema:
        return schema
    return {"$schema": DRAFTS[draft], **schema}


def remotes() -> dict[str, Any]:
    """The suite's remote documents, by the URL its cases use: served from local files."""
    folder = SUITE / "remotes"
    return {
        REMOTE_BASE + path.relative_to(folder).as_posix(): json.loads(path.read_text("utf-8"))
        for path in sorted(folder.rglob("*.json"))
    }


@pytest.mark.parametrize("draft", list(DRAFTS))
def test_library_verdicts_agree_with_the_suite(draft: str) -> None:
    served = remotes()
    wrong = []
    for case in cases(draft):
        if excluded(case):
            continue
        validator = ArticleValidator(declared(case.schema, draft), resources=served)
        if validator.is_valid(case.data) != case.valid:
            wrong.append(case.id)
    assert wrong == []


def test_every_exclusion_is_still_needed() -> None:
    """An excluded case that curate gets right must leave EXCLUDED."""
    served = remotes()
    passing = [
        case.id
        for draft in DRAFTS
        for case in cases(draft)
        if excluded(case)
        and ArticleValidator(declared(case.schema, draft), resources=served).is_valid(case.data)
        == case.valid
    ]
    assert passing == []


def cli_command() -> Any:
    """The command `curate.cli.main` runs, built once: Typer takes 40 ms to build it."""
    import typer

    from curate.cli.app import app

    return typer.main.get_command(app)


def run(command: Any, argv: list[str]) -> int:
    """What `curate.cli.main(argv)` does with the command."""
    try:
        command(args=argv, prog_name="curate")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 2
    return 0


def as_front_matter(data: dict[str, Any]) -> str:
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n"


def write_remotes(folder: Path) -> None:
    """The suite's remote documents, saved next to the schema under their URL as $id.

    As a user would: a document retrieved from a URL has that URL as its base, so
    giving the saved copy that ``$id`` (or ``id`` in draft 4) keeps its meaning.
    A document that declares its own ``$id`` keeps it.
    """
    for index, (url, document) in enumerate(remotes().items()):
        if isinstance(document, dict) and not ("$id" in document or "id" in document):
            document = {"$id": url, "id": url, **document}
        (folder / f"remote-{index:03d}.json").write_text(json.dumps(document), "utf-8")


@pytest.mark.parametrize("draft", list(DRAFTS))
def test_cli_verdicts_agree_with_the_suite(
    draft: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every case with mapping data, as an article checked by `curate validate --schema`."""
    groups: dict[tuple[str, str], list[Case]] = {}
    for case in cases(draft):
        if isinstance(case.data, dict) and not excluded(case):
            groups.setdefault((case.file, case.group), []).append(case)
    write_remotes(tmp_path)
    validate = cli_command()
    wrong = []
    for number, group in enumerate(groups.values()):
        schema_path = tmp_path / f"schema-{number:03d}.json"
        schema_path.write_text(json.dumps(declared(group[0].schema, draft)), "utf-8")
        site = tmp_path / f"site-{number:03d}"
        site.mkdir()
        by_name = {}
        for index, case in enumerate(group):
            path = site / f"case-{index:03d}.md"
            path.write_text(as_front_matter(case.data), "utf-8")
            loaded = load_file(path).article
            assert loaded is not None and json.dumps(loaded.data) == json.dumps(case.data), case.id
            by_name[path.name] = case
        argv = ["validate", "--schema", str(schema_path), str(site), "--no-cache"]
        code = run(validate, [*argv, "--format", "json", "--jobs", "1"])
        captured = capsys.readouterr()
        assert code in (0, 1), (group[0].id, captured.err)
        invalid = {Path(d["path"]).name for d in json.loads(captured.out)}
        wrong += [case.id for name, case in by_name.items() if (name not in invalid) != case.valid]
    assert wrong == []
