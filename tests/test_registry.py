"""The registry is the single source of codes, names, severities, scopes and words.

Rules give the fields of their message template; the engine words them. The
README's code tables are checked against the registry here (not generated): a
row per code, with the registered name and severity, and no row for a code that
does not exist.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from curate.codes import BUILTIN_CODES
from curate.corpus import load_site
from curate.engine import to_diagnostic
from curate.model import Article, Severity
from curate.rules import Finding, PlacedFinding, Rule, all_codes, all_rules, placed_diagnostic

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
_ROW = re.compile(r"^\|\s*([A-Z]{2}\d{3})\b(.*)$", re.MULTILINE)
_SEVERITIES = {severity.value for severity in Severity}


def readme_rows() -> dict[str, list[tuple[str, str | None]]]:
    """``code -> [(name, severity or None)]`` for every table row of the README naming a code.

    Three shapes: ``| FM001 | name | meaning |``, ``| RL001 | name | severity | ... |``
    and ``| WB001 `name` | severity | ... |``.
    """
    rows: dict[str, list[tuple[str, str | None]]] = {}
    for match in _ROW.finditer(README):
        code = match.group(1)
        cells = [cell.strip() for cell in (code + match.group(2)).strip().strip("|").split("|")]
        first = cells[0].split("`")
        if len(first) > 1:
            name, rest = first[1], cells[1:]
        else:
            name, rest = cells[1], cells[2:]
        severity = rest[0] if rest and rest[0] in _SEVERITIES else None
        rows.setdefault(code, []).append((name, severity))
    return rows


def test_readme_tables_list_every_code_with_its_name_and_severity() -> None:
    rows = readme_rows()
    codes = all_codes()
    assert sorted(set(rows) - set(codes)) == [], "README rows for codes that do not exist"
    assert sorted(set(codes) - set(rows)) == [], "codes missing from the README tables"
    for code, doc in codes.items():
        assert len(rows[code]) == 1, f"{code} has {len(rows[code])} rows in the README"
        [(name, severity)] = rows[code]
        assert name == doc.name, code
        # The file and schema table has no severity column: those codes are all errors.
        assert (severity or Severity.ERROR.value) == doc.severity.value, code


def test_readme_marks_the_rules_that_read_the_whole_index() -> None:
    """The rules marked *site* in the README (they read the whole index) are the corpus rules."""
    rules = all_rules()
    marked = {
        match.group(1)
        for match in _ROW.finditer(README)
        if match.group(1) in rules and "(*site*)" in match.group(2)
    }
    assert marked == {code for code, rule in rules.items() if rule.scope == "corpus"}


def test_file_and_schema_codes_are_errors_as_the_readme_says() -> None:
    assert {doc.severity for doc in BUILTIN_CODES} == {Severity.ERROR}
    assert "file and schema codes are errors" in README


def test_every_rule_states_its_scope() -> None:
    scopes = {code: rule.scope for code, rule in all_rules().items()}
    assert {scopes[c] for c in ("TX003", "TX004", "TX005")} == {"site"}
    assert {scopes[c] for c in ("WB001", "WB002", "WB003")} == {"online"}
    assert scopes["TI001"] == "article" and scopes["RL001"] == "corpus"
    assert set(scopes.values()) == {"article", "corpus", "site", "online"}


def test_every_family_of_codes_is_described() -> None:
    """``curate rules CODE`` names the family of a code: a new prefix needs its words."""
    from curate.reporting.rules import FAMILIES

    assert {code[:2] for code in all_codes()} == set(FAMILIES)


def test_a_rule_without_a_check_must_say_its_scope() -> None:
    words = ("name", Severity.INFO, "m", "s", "w", "e", "f")
    with pytest.raises(ValueError, match="its scope is 'site' or 'online'"):
        Rule("ZZ001", *words)
    with pytest.raises(ValueError, match="checks the article, not the site"):
        Rule("ZZ001", *words, check=lambda article, site: iter(()), scope="site")


def test_no_rule_body_names_a_code() -> None:
    """A rule's code is said once, where it is registered; its body gives fields."""
    code = re.compile(r"[A-Z]{2}\d{3}")
    for path in sorted((ROOT / "curate" / "rules").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for statement in function.body:
                for node in ast.walk(statement):
                    if isinstance(node, ast.Constant) and isinstance(node.value, str):
                        assert not code.fullmatch(node.value), (
                            f"{path.name}: {function.name} names {node.value}"
                        )


def test_the_engine_words_a_finding_with_its_rule_template() -> None:
    rule = all_rules()["IM004"]
    article = Article("a.md", {"images": [{"url": "http://x.example/a.jpg"}]})
    pointer = ("images", 0, "url")
    finding = Finding.of(pointer, url="http://x.example/a.jpg")
    diagnostic = to_diagnostic(article, rule, finding)
    assert diagnostic.message == rule.message.format(
        where="images[0].url", url="http://x.example/a.jpg"
    )
    assert (diagnostic.code, diagnostic.name, diagnostic.severity) == (
        "IM004",
        "image-insecure-url",
        Severity.WARNING,
    )
    # {where} may be given when it is not the pointer; a plain message is kept as it is.
    assert rule.message_for(finding._replace(fields={"where": "w", "url": "u"})).startswith("w ")
    assert rule.message_for(Finding(pointer, "as written")) == "as written"


def test_a_field_the_rule_forgot_is_an_internal_error_not_a_crash() -> None:
    rule = all_rules()["IM004"]
    message = rule.message_for(Finding.of(("images", 0, "url")))
    assert message == "internal error in rule IM004: KeyError('url')"


def test_control_characters_in_fields_are_left_to_the_reporters() -> None:
    rule = all_rules()["IM004"]
    message = rule.message_for(Finding.of(("images", 0, "url"), url="http:/\x1b[31m{x}"))
    assert "\x1b[31m{x}" in message  # neither escaped nor formatted again


def test_site_findings_are_worded_through_the_registry(tmp_path: Path) -> None:
    (tmp_path / "_config.yml").write_text("timezone: Mars/Olympus_Mons\n")
    (tmp_path / "_data" / "organizations").mkdir(parents=True)
    (tmp_path / "_data" / "organizations" / "example.com").write_text("name: Example\n")
    site = load_site(tmp_path)
    assert all(isinstance(problem, PlacedFinding) for problem in site.problems)
    by_code = {d.code: d for d in map(placed_diagnostic, site.problems)}
    config = by_code["TX003"]
    assert config.path.endswith("_config.yml") and config.line == 1
    assert (config.severity, config.name) == (Severity.WARNING, "taxonomy-file-malformed")
    assert config.message.startswith("site config ") and "not a known time zone" in config.message
    assert by_code["TX005"].message == (
        "organization file example.com has no .md extension: the site does not read it as "
        "example.com.md"
    )


def test_taxonomy_problems_keep_their_words(tmp_path: Path) -> None:
    topics = tmp_path / "_data" / "topics"
    topics.mkdir(parents=True)
    (topics / "01-a.yaml").write_text("name: A\nimages:\n  - /assets/a.jpg\n---\n")
    (topics / "02-b.yaml").write_text("shortname: b\n")
    site = load_site(tmp_path)
    messages = sorted(placed_diagnostic(problem).message for problem in site.problems)
    assert messages == [
        "image /assets/a.jpg is missing: the site has no file assets/a.jpg",
        "taxonomy file has a stray '---' document separator; Jekyll may refuse the file",
        "taxonomy file has no 'name'; the topic is unusable",
    ]


def test_each_failed_outcome_of_a_request_has_its_online_rule() -> None:
    from curate.online import Outcome
    from curate.rules.online import CODE_OF_OUTCOME, ONLINE_CODES

    assert set(CODE_OF_OUTCOME) == {outcome.value for outcome in Outcome} - {Outcome.OK.value}
    online = {code for code, rule in all_rules().items() if rule.scope == "online"}
    assert set(CODE_OF_OUTCOME.values()) == set(ONLINE_CODES) == online


def test_a_rule_says_whether_it_can_fix() -> None:
    """The fix a rule declares (``autofix=``) is what ``curate rules`` and ``--fix`` go by."""
    rules = all_rules()
    fixable = {code for code, rule in rules.items() if rule.fixable is not None}
    assert {"UR003", "RL005", "TI002"} <= fixable
    assert not fixable & {"TI003", "DT001", "WB001", "TX004"}
