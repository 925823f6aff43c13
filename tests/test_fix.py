"""``curate lint --fix``: every fix mends its finding and changes nothing else.

The property test runs over the fail fixture of every fixable rule
(``tests/fixtures/rules/<CODE>/fail``): after --fix the fixed findings are gone,
the parsed front matter differs only at the fixed pointers, every line outside
the edits is identical, and a second --fix changes nothing.
"""

from __future__ import annotations

import difflib
import shutil
import stat
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from curate.cli import main
from curate.config import Settings
from curate.engine import run_checks
from curate.fixing import (
    ChangedOnDiskError,
    apply_edits,
    double_quoted,
    fix_paths,
    fix_text,
    front_matter_data,
    render_scalar,
    resolve,
    with_edits,
    write_atomically,
)
from curate.model import Applicability, Change, ChangeKind, Diagnostic, Edit, Fix, Pointer
from curate.rules import all_rules, autofix
from tests.conftest import FIXTURES, write_article

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
FIXABLE = sorted(
    code
    for code, rule in all_rules().items()
    if rule.fixable is not None and (FIXTURES / "rules" / code / "fail").is_dir()
)

ARTICLE = """---
category: news
title: "A clean article"
publishedDateTime: 2021-06-30T12:00:00Z
webUrl: "https://example.com/a"
type: article
quality: 80
heat: 90
published: true
provider:
  name: Example
  domain: example.com
  images:
    - url: "https://example.com/logo.png"
      width: 50
      height: 50
topics:
  - AI
images:
  - url: "https://example.com/a.jpg"
    width: 1200
    height: 630
---
Body text.
"""


def settings(*select: str) -> Settings:
    return Settings(cache=False, now=NOW, select=select)


def lint(site: Path, *select: str) -> list[Diagnostic]:
    return run_checks([site], settings(*select), lint=True).diagnostics


def differing(before: Any, after: Any, at: Pointer = ()) -> set[Pointer]:
    """The pointers at which two parsed front matters differ (as deep as they agree on shape)."""
    if isinstance(before, dict) and isinstance(after, dict) and before.keys() == after.keys():
        return {p for key in before for p in differing(before[key], after[key], (*at, key))}
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return {
            p
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for p in differing(b, a, (*at, i))
        }
    return set() if before == after else {at}


def allowed(change: Change) -> Pointer:
    """Where a change may alter the parsed data: the value, or the list that loses an item."""
    if change.kind is ChangeKind.REMOVE_ITEM:
        return change.pointer[:-1]
    return change.pointer


def changed_lines(before: str, after: str) -> set[int]:
    """1-based lines of ``before`` that ``after`` replaces or deletes (or inserts after)."""
    lines: set[int] = set()
    matcher = difflib.SequenceMatcher(a=before.split("\n"), b=after.split("\n"), autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag != "equal":
            lines.update(range(i1 + 1, max(i2, i1 + 1) + 1))
    return lines


@pytest.mark.parametrize("code", FIXABLE)
def test_fix_mends_the_fail_fixture_and_nothing_else(code: str, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "rules" / code / "fail", site)
    before = lint(site, code)
    fixable = [d for d in with_edits(before) if d.fix is not None]
    assert fixable, f"the {code} fail fixture has no fixable finding"
    unsafe = any(d.fix and d.fix.applicability is Applicability.UNSAFE for d in fixable)
    texts = {d.path: Path(d.path).read_text(encoding="utf-8") for d in fixable}

    run = fix_paths([site], settings(code), unsafe=unsafe)
    assert run.applied[code] == len(fixable) and not run.dropped

    after = lint(site, code)
    assert not [d for d in after if d.fix is not None], "a fixed finding is still reported"
    assert len(after) == len(before) - len(fixable)
    for path, text in texts.items():
        fixed = Path(path).read_text(encoding="utf-8")
        mine = [d for d in fixable if d.path == path]
        assert mine and all(d.fix is not None for d in mine)
        # The parsed front matter differs only at the fixed pointers.
        old, new = front_matter_data(path, text), front_matter_data(path, fixed)
        assert old is not None and new is not None
        pointers = [allowed(c) for d in mine if d.fix for c in d.fix.changes]
        for pointer in differing(old, new):
            assert any(pointer[: len(p)] == p for p in pointers), (pointer, pointers)
        # Every line outside the edits is identical.
        edited = {
            line
            for d in mine
            if d.fix
            for edit in d.fix.edits
            for line in range(edit.line, edit.end_line + 1)
        }
        assert changed_lines(text, fixed) <= edited
        assert fixed.split("\n---\n", 1)[1] == text.split("\n---\n", 1)[1], "the body changed"

    again = fix_paths([site], settings(code), unsafe=unsafe)
    assert not again.changed, "a second --fix changed something"


def test_every_fixable_rule_has_a_fail_fixture() -> None:
    fixable = {code for code, rule in all_rules().items() if rule.fixable is not None}
    assert {"UR002", "UR003", "UR004", "UR005", "RL001", "RL005", "RL006", "RL007"} <= fixable
    assert {"TI001", "TI002", "TX001"} <= fixable
    assert fixable == set(FIXABLE)


def fixed(text: str, *select: str, tmp_path: Path, unsafe: bool = False) -> str:
    path = write_article(tmp_path / "_posts", "2021-06-30-a.md", "")
    path.write_bytes(text.encode("utf-8"))
    fix_paths([path], settings(*select), unsafe=unsafe)
    return path.read_bytes().decode("utf-8")


def test_whitespace_in_urls_of_every_quoting_style(tmp_path: Path) -> None:
    text = ARTICLE.replace(
        'webUrl: "https://example.com/a"\n',
        'webUrl: "https://example.com/a "  # double\n'
        "ampWebUrl: ' https://example.com/a/amp'  # single\n",
    ).replace(
        '  - url: "https://example.com/a.jpg"', "  - url: >-\n      https://example.com/a.jpg"
    )
    result = fixed(text, "UR003", "SC003", tmp_path=tmp_path)
    assert 'webUrl: "https://example.com/a"  # double\n' in result
    assert "ampWebUrl: 'https://example.com/a/amp'  # single\n" in result
    assert result.replace('webUrl: "https://example.com/a"  # double\n', "") == text.replace(
        'webUrl: "https://example.com/a "  # double\n', ""
    ).replace("' https://example.com/a/amp'", "'https://example.com/a/amp'")


def test_crlf_bom_comments_and_final_newline_are_kept(tmp_path: Path) -> None:
    text = "\ufeff" + ARTICLE.replace(
        "quality: 80\n", "# the editors' score\nquality: 80   # keep me\n\n"
    ).replace("ampWebUrl", "").replace(
        'webUrl: "https://example.com/a"',
        'webUrl: "https://example.com/a"\n'
        "ampWebUrl: https://amp.example.com/a\n"
        "cdnAmpWebUrl: https://example.com/wrong  # UR002",
    )
    text = text.replace("\n", "\r\n").rstrip("\r\n")  # no final newline either
    result = fixed(text, "UR002", tmp_path=tmp_path)
    expected = text.replace(
        "cdnAmpWebUrl: https://example.com/wrong",
        "cdnAmpWebUrl: https://amp-example-com.cdn.ampproject.org/c/s/amp.example.com/a",
    )
    assert result == expected
    assert result.startswith("\ufeff---\r\n") and result.count("\r\n") == text.count("\r\n")


def test_a_plain_value_is_quoted_when_yaml_needs_it() -> None:
    assert render_scalar("AI Ethics", None) == "AI Ethics"
    assert render_scalar("2021-06-30T12:00:00Z", None) == "2021-06-30T12:00:00Z"
    assert render_scalar("yes", None) == '"yes"'
    assert render_scalar("a: b", None) == '"a: b"'
    assert render_scalar("a #b", None) == '"a #b"'
    assert render_scalar("a, b", None, in_flow=True) == '"a, b"'
    assert render_scalar("it's", "'") == "'it''s'"
    assert render_scalar('say "hi"\\', '"') == '"say \\"hi\\"\\\\"'
    assert double_quoted("tab\there\x07") == '"tab\\there\\u0007"'
    assert render_scalar(80, None) == "80"


def test_topic_rename_keeps_a_flow_list(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "rules" / "TX001" / "fail", site)
    post = next((site / "_posts").glob("*.md"))
    text = post.read_text(encoding="utf-8")
    flow = text.replace("topics:\n  - AI Ethic  # expect: TX001\n", "topics: [AI Ethic, AI]\n")
    assert flow != text
    post.write_text(flow, encoding="utf-8")
    assert fix_paths([site], settings("TX001"), unsafe=False).changed == []  # unsafe only
    fix_paths([site], settings("TX001"), unsafe=True)
    assert post.read_text(encoding="utf-8") == flow.replace("[AI Ethic, AI]", "[AI Ethics, AI]")


def test_duplicate_key_keeps_the_occurrence_yaml_uses(tmp_path: Path) -> None:
    text = ARTICLE.replace(
        "heat: 90\n", "heat: 10  # old\nheat: 90\nprovider:\n  name: Old\n  domain: old.example\n"
    )
    path = write_article(tmp_path / "_posts", "2021-06-30-a.md", text)
    before = front_matter_data(str(path), text)
    result = fixed(text, "FM006", tmp_path=tmp_path)
    assert result == ARTICLE
    assert front_matter_data(str(path), result) == before
    assert autofix("FM006") is not None


def test_removing_entries_in_one_run(tmp_path: Path) -> None:
    entries = "".join(
        f'  - title: "Story {n}"\n    webUrl: "https://example.com/{url}"\n'
        for n, url in enumerate(["s", "t", "s/", "t", "u"])
    )
    text = ARTICLE.replace("images:\n  - url", f"related:\n{entries}images:\n  - url")
    result = fixed(text, "RL005", tmp_path=tmp_path)
    kept = "".join(
        f'  - title: "Story {n}"\n    webUrl: "https://example.com/{url}"\n'
        for n, url in [(0, "s"), (1, "t"), (4, "u")]
    )
    assert result == text.replace(entries, kept)


def test_diff_writes_nothing_and_applies_with_git(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "rules" / "RL006" / "fail", site)
    post = site / "_posts" / "2021-06-30-a.md"
    post.write_bytes(post.read_bytes().replace(b"\n", b"\r\n"))
    before = post.read_bytes()
    monkeypatch.chdir(site)
    assert main(["lint", ".", "--no-cache", "--diff"]) == 1
    captured = capsys.readouterr()
    assert post.read_bytes() == before
    assert "Would fix 2 findings (RL006 2) in 1 file." in captured.err
    patch = tmp_path / "fix.patch"
    patch.write_text(captured.out, encoding="utf-8", newline="")
    subprocess.run(["git", "init", "-q"], cwd=site, check=True)
    subprocess.run(["git", "apply", "--check", str(patch)], cwd=site, check=True)
    subprocess.run(["git", "apply", str(patch)], cwd=site, check=True)
    patched = post.read_bytes()
    assert main(["lint", ".", "--no-cache", "--fix"]) == 0
    capsys.readouterr()
    assert main(["lint", ".", "--no-cache", "--diff"]) == 0
    assert capsys.readouterr().out == ""
    post.write_bytes(before)
    assert main(["lint", ".", "--no-cache", "--fix"]) == 0
    assert post.read_bytes() == patched


def test_fix_reports_what_remains(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "rules" / "RL001" / "fail", site)
    assert main(["lint", str(site), "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert "[~] " in out and "[~] 1 fixable with --fix --unsafe-fixes" in out
    assert main(["lint", str(site), "--no-cache", "--fix"]) == 1
    captured = capsys.readouterr()
    assert "Fixed 0 findings in 0 files." in captured.err and "RL001" in captured.out
    assert main(["lint", str(site), "--no-cache", "--fix", "--unsafe-fixes"]) == 0
    captured = capsys.readouterr()
    assert "Fixed 1 finding (RL001 1) in 1 file." in captured.err
    assert "no problems found" in captured.out


def test_fix_respects_select_and_file_arguments(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "rules" / "RL006" / "fail", site)
    post = site / "_posts" / "2021-06-30-a.md"
    text = post.read_bytes()
    assert main(["lint", str(post), "--no-cache", "--fix", "--ignore", "RL006"]) == 0
    assert post.read_bytes() == text
    assert main(["lint", str(site / "_posts" / "2021-06-30-b.md"), "--no-cache", "--fix"]) == 0
    assert post.read_bytes() == text
    assert main(["lint", str(post), "--no-cache", "--fix", "--select", "RL"]) == 0
    assert post.read_bytes() != text


def test_json_and_sarif_carry_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "rules" / "RL005" / "fail", site)
    main(["lint", str(site), "--no-cache", "--format", "json"])
    [finding] = json.loads(capsys.readouterr().out)
    assert (finding["end_line"], finding["end_column"]) == (27, 41)
    assert finding["fix"]["applicability"] == "safe"
    assert finding["fix"]["title"] == "Remove related[1] (a second link to related[0])"
    assert finding["fix"]["edits"] == [
        {"start": {"line": 26, "column": 1}, "end": {"line": 28, "column": 1}, "content": ""}
    ]
    main(["lint", str(site), "--no-cache", "--format", "sarif"])
    [result] = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"]["endColumn"] == 41
    [fix] = result["fixes"]
    [change] = fix["artifactChanges"]
    assert change["replacements"][0]["deletedRegion"]["startLine"] == 26


def test_rules_shows_which_rules_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "RL005"]) == 0
    assert "Fixable with --fix (safe)" in capsys.readouterr().out
    assert main(["rules", "TX001"]) == 0
    assert "Fixable with --unsafe-fixes (unsafe)" in capsys.readouterr().out
    for code in ("DT001", "IM006"):
        assert main(["rules", code]) == 0
        assert "Not fixable automatically:" in capsys.readouterr().out


# --- The loop and the writes, on their own ----------------------------------------------------


def replace_fix(pointer: Pointer, value: Any) -> Fix:
    return Fix("set", Applicability.SAFE, (Change(ChangeKind.REPLACE, pointer, value),))


def finding(pointer: Pointer, fix: Fix | None, code: str = "XX001") -> Diagnostic:
    return Diagnostic(
        "a.md",
        1,
        1,
        code,
        __import__("curate.model").model.Severity.WARNING,
        "m",
        "",
        pointer,
        fix=fix,
    )


def test_a_fix_that_breaks_the_file_or_gains_a_finding_is_dropped() -> None:
    raw = b"---\ntitle: a\nheat: 1\n---\n"

    def check(path: str, text: str) -> list[Diagnostic] | None:
        data = front_matter_data(path, text)
        if data is None:
            return None
        found = []
        if data.get("title") == "a":
            found.append(finding(("title",), replace_fix(("title",), "b")))
        if data.get("title") == "b":
            found.append(finding(("title",), None, code="XX002"))
        return found

    outcome = fix_text("a.md", raw, check, unsafe=False)
    assert not outcome.changed
    assert [(d.code, reason) for d, reason in outcome.dropped] == [
        ("XX001", "the result would gain a finding (XX002)")
    ]


def test_the_loop_is_bounded() -> None:
    raw = b"---\nheat: 0\n---\n"
    count = []

    def check(path: str, text: str) -> list[Diagnostic] | None:
        data = front_matter_data(path, text)
        assert data is not None
        count.append(1)
        return [finding(("heat",), replace_fix(("heat",), data["heat"] + 1))]

    outcome = fix_text("a.md", raw, check, unsafe=False)
    assert outcome.fixed == b"---\nheat: 10\n---\n" and len(count) == 11


def test_two_fixes_over_one_span_are_never_applied_together() -> None:
    text = "---\ntitle: a\n---\n"
    first = resolve(text, replace_fix(("title",), "bb"))
    second = resolve(text, replace_fix(("title",), "cc"))
    assert first == (Edit(2, 8, 2, 9, "bb"),) and second is not None

    def check(path: str, current: str) -> list[Diagnostic] | None:
        data = front_matter_data(path, current)
        assert data is not None
        if data["title"] != "a":
            return []
        return [
            finding(("title",), replace_fix(("title",), "bb")),
            finding(("title",), replace_fix(("title",), "cc")),
        ]

    assert fix_text("a.md", text.encode(), check, unsafe=False).fixed == b"---\ntitle: bb\n---\n"
    assert apply_edits(text, first) == "---\ntitle: bb\n---\n"


def test_writes_are_atomic_keep_the_mode_and_refuse_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"old")
    path.chmod(0o640)
    link = tmp_path / "link.md"
    link.symlink_to(path)
    assert not write_atomically(str(path), b"old", b"old")  # unchanged: not written
    assert write_atomically(str(link), b"old", b"new")
    assert link.is_symlink() and path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    with pytest.raises(ChangedOnDiskError):
        write_atomically(str(path), b"old", b"newer")
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "link.md"]


def test_a_file_edited_while_fixing_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import curate.fixing

    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "rules" / "RL005" / "fail", site)
    post = site / "_posts" / "2021-06-30-a.md"
    real = curate.fixing.fix_text

    def editor_saves_meanwhile(*args: Any, **kwargs: Any) -> Any:
        outcome = real(*args, **kwargs)
        post.write_text(post.read_text(encoding="utf-8") + "More.\n", encoding="utf-8")
        return outcome

    monkeypatch.setattr(curate.fixing, "fix_text", editor_saves_meanwhile)
    assert main(["lint", str(site), "--no-cache", "--fix"]) == 1
    assert "changed on disk" in capsys.readouterr().err
    assert post.read_text(encoding="utf-8").endswith("More.\n")


def test_odd_line_breaks_make_a_file_unfixable() -> None:
    fix = replace_fix(("title",), "b")
    assert resolve("---\ntitle: a\n---\n", fix) == (Edit(2, 8, 2, 9, "b"),)
    for odd in ("\r", "\x85", "\u2028"):
        assert resolve(f"---\nnote: x{odd}y\ntitle: a\n---\n", fix) is None
    assert resolve("---\ntitle: a\n---\nbody\u2028text\n", fix) is not None


def test_duplicate_key_with_a_block_scalar_and_a_list(tmp_path: Path) -> None:
    text = ARTICLE.replace(
        "heat: 90\n",
        "heat: 90\nexcerpt: |\n  first\n  # text, not a comment\n\n# about topics\n"
        "topics:\n  - Old\nexcerpt: kept\n",
    )
    result = fixed(text, "FM006", tmp_path=tmp_path)
    # The text of the block scalar goes with it; the comment before the next key stays.
    assert result == ARTICLE.replace("heat: 90\n", "heat: 90\n\n# about topics\nexcerpt: kept\n")


def test_the_real_sample_is_fixed_where_findings_point(real_corpus: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(real_corpus, site)
    for name in (site / "ASSETS.txt").read_text(encoding="utf-8").split():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).touch()
    before = lint(site)
    pointed = {(d.path, line) for d in before if d.fix for line in range(d.line, d.end_line + 1)}
    texts = {path: Path(path).read_text(encoding="utf-8") for path, _ in pointed}
    run = fix_paths([site], settings(), unsafe=True)
    assert run.changed and not run.dropped and not run.not_written
    for path, text in texts.items():
        for line in changed_lines(text, Path(path).read_text(encoding="utf-8")):
            assert (path, line) in pointed, f"{path}:{line} changed, but no finding is there"
    after = lint(site)
    assert not [d for d in after if d.fix]
    assert len(after) == len(before) - sum(run.applied.values())


def test_the_readme_lists_every_fix() -> None:
    from tests.conftest import ROOT

    rows = {
        row.split("|")[1].strip(): row
        for row in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
        if row.startswith(("| safe |", "| unsafe |", "| none |"))
    }
    for code, rule in all_rules().items():
        if rule.fixable is not None:
            assert code in rows[rule.fixable.value], f"README: {code} is a {rule.fixable} fix"


def test_tracking_parameters_are_removed_and_the_others_kept() -> None:
    from curate.rules.urls import without_tracking

    assert (
        without_tracking("https://a.test/x?a=1&utm_source=n&b=2#f") == "https://a.test/x?a=1&b=2#f"
    )
    assert without_tracking(" https://a.test/x?fbclid=2 ") == " https://a.test/x "
    # An HTML entity in an image URL (&#038;) is not a tracking parameter.
    kept = "https://i0.wp.com/a.test/chip.jpg?fit=813%2C530&#038;ssl=1"
    assert without_tracking(kept) == kept
