"""Linting a few files of a site (pre-commit) with a warm cache gives what an uncached run gives.

Such a run decodes only the cached articles that share a URL or a post name with the
files given; this checks that nothing a cross-article rule needs is left out.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from curate.cache import cache_factory
from curate.config import Settings
from curate.engine import run_checks

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    spec = importlib.util.spec_from_file_location("shape_generate", BENCHMARKS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    root = tmp_path_factory.mktemp("shape") / "site"
    module.generate_site(root, 300, seed=7)
    del sys.modules[spec.name]
    yield root


def lint(paths: list[Path], *, cached: bool) -> list[tuple[str, int, int, str, str]]:
    settings = Settings(cache=cached)
    result = run_checks(
        paths,
        settings,
        lint=True,
        cache_factory=cache_factory(settings) if cached else None,
        need_records=False,
    )
    return [(d.path, d.line, d.column, d.code, d.message) for d in result.diagnostics]


def cross_article_files(site: Path) -> list[Path]:
    """Files with findings of cross-article rules (RL001, RL006, RL007, DU001, DU002...)."""
    found = lint([site], cached=False)
    codes = {"RL001", "RL006", "RL007", "RL008", "DU001", "DU002", "DU003"}
    names = sorted({path for path, _, _, code, _ in found if code in codes})
    assert len(names) >= 4, "the generated site should have cross-article findings"
    return [Path(name) for name in names[:6]]


def test_few_files_of_a_warm_site_match_an_uncached_run(site: Path) -> None:
    lint([site], cached=True)  # warm the cache for every file
    files = cross_article_files(site)
    for path in files:
        assert lint([path], cached=True) == lint([path], cached=False)
    assert lint(files, cached=True) == lint(files, cached=False)


def test_a_changed_file_in_a_warm_site(site: Path) -> None:
    lint([site], cached=True)
    [path, *_] = cross_article_files(site)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: ", "title: Changed ", 1), encoding="utf-8")
    try:
        assert lint([path], cached=True) == lint([path], cached=False)
    finally:
        path.write_text(text, encoding="utf-8")
