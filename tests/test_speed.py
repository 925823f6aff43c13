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


def test_a_pre_commit_run_reads_only_the_rows_its_file_can_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the default rules, one file of a warm site decodes a few records, not all."""
    site = tmp_path / "site"
    _generated_site(site, 120)
    monkeypatch.chdir(site)
    posts = sorted((site / "_news").glob("*.md"))
    assert main(["lint", "--format", "json", "."]) in (0, 1)
    decoded: list[int] = []
    records = Store.records

    def counting(self: Store, reports: Sequence[FileReport]) -> Any:
        decoded.append(len(reports))
        return records(self, reports)

    monkeypatch.setattr(Store, "records", counting)
    for post in (posts[40], posts[41]):
        one = str(post.relative_to(site))
        capsys.readouterr()
        assert main(["lint", "--format", "json", one]) in (0, 1)
        cached = capsys.readouterr().out
        assert main(["lint", "--format", "json", "--no-cache", one]) in (0, 1)
        assert cached == capsys.readouterr().out
    assert decoded, "the pre-commit runs decoded no record: the shape under test is gone"
    assert sum(decoded) < len(posts)
