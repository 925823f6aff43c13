from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: The shared material beside a developer's checkout; absent on a user's clone.
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "everyday-cc-ai"


@pytest.fixture
def real_corpus() -> Path:
    if not (CORPUS / "_news").is_dir():
        pytest.skip("the real everyday-cc sample (../shared/corpus) is not present")
    return CORPUS


def write_article(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
