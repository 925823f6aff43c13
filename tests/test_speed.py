"""Shortcuts taken for speed give what the long way gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from curate.cli.common import shown, shown_path
from curate.model import Diagnostic, Severity

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
