"""Shortcuts taken for speed give what the long way gives."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from curate.cache import Store
from curate.cli import main
from curate.cli.common import shown, shown_path
from curate.model import Diagnostic, FileReport, Severity

SPELLINGS = [
    "a.md",
    "./a.md",
    "x/a.md",
    "x//a.md",
    "./x/./z.md",
    "x/../y/c.md",
    "../a.md",
    "../../a.md",
    "/a.md",
    "/tmp/a.md",
    "x/.",
    ".",
    "..",
]


@pytest.mark.parametrize("folder", ["site", "site/x", "/"])
def test_shown_paths_memoised_per_folder_are_shown_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    here = Path(folder) if folder.startswith("/") else tmp_path / folder
    here.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(here)
    paths = [*SPELLINGS, os.path.join(os.getcwd(), "a.md"), os.path.join(os.getcwd(), "q/b.md")]
    found = [Diagnostic(path, 1, 1, "FM001", Severity.ERROR, "m", "n", ()) for path in paths]
    assert [d.path for d in shown(found)] == [shown_path(path) for path in paths]


def _generated_site(root: Path, articles: int) -> None:
    benchmarks = Path(__file__).resolve().parent.parent / "benchmarks"
    spec = importlib.util.spec_from_file_location("speed_generate", benchmarks / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        module.generate_site(root, articles, seed=3)
    finally:
        del sys.modules[spec.name]


def _count_decoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of records each call of ``Store.records`` decodes, from now on."""
    decoded: list[int] = []
    records = Store.records

    def counting(self: Store, reports: Sequence[FileReport]) -> Any:
        decoded.append(sum(1 for report in reports if report.path in self._held))
        return records(self, reports)

    monkeypatch.setattr(Store, "records", counting)
    return decoded


def test_a_pre_commit_run_reads_only_the_rows_its_file_can_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the default rules, one edited file of a warm site decodes a few records, not all;
    an unchanged one decodes none (its cross-article findings are remembered)."""
    site = tmp_path / "site"
    _generated_site(site, 120)
    monkeypatch.chdir(site)
    posts = sorted((site / "_news").glob("*.md"))
    assert main(["lint", "--format", "json", "."]) in (0, 1)
    decoded = _count_decoded(monkeypatch)
    for post in (posts[40], posts[41]):
        one = str(post.relative_to(site))
        assert main(["lint", "--format", "json", one]) in (0, 1)
        assert sum(decoded) == 0, "an unchanged file's findings are remembered"
        post.write_text(post.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        capsys.readouterr()
        assert main(["lint", "--format", "json", one]) in (0, 1)
        cached = capsys.readouterr().out
        assert main(["lint", "--format", "json", "--no-cache", one]) in (0, 1)
        assert cached == capsys.readouterr().out
        assert decoded, "the pre-commit run decoded no record: the shape under test is gone"
        assert 0 < sum(decoded) < len(posts) // 4
        decoded.clear()


def test_a_warm_run_after_one_edit_finds_again_only_what_the_edit_affects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One title changed in a warm site: the cross-article rules run again on the files
    that can read its record, not on every file, and only their records are decoded."""
    from curate.cache import cache_factory
    from curate.config import Settings
    from curate.engine import run_checks

    site = tmp_path / "site"
    _generated_site(site, 120)
    monkeypatch.chdir(site)
    posts = sorted((site / "_news").glob("*.md"))
    settings = Settings()

    def warm() -> tuple[int, list[Diagnostic]]:
        result = run_checks(
            [Path(".")],
            settings,
            lint=True,
            cache_factory=cache_factory(settings),
            need_records=False,
        )
        return result.corpus_checked, result.diagnostics

    warm()
    assert warm()[0] == 0  # nothing changed: nothing found again
    decoded = _count_decoded(monkeypatch)
    edited = posts[40]
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("\ntitle: ", "\ntitle: Changed ", 1), encoding="utf-8")
    checked, found = warm()
    expected = run_checks([Path(".")], Settings(cache=False), lint=True).diagnostics
    assert found == expected
    assert 1 <= checked < len(posts) // 4
    assert sum(decoded) < len(posts) // 2
    assert warm()[0] == 0
