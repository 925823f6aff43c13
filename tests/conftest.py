from __future__ import annotations

import shutil
import subprocess
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


def copy_tracked(source: Path, target: Path) -> Path:
    """Copy the files of ``source`` that the repository tracks, and only those.

    A developer's checkout holds ignored files (``examples/.curate_cache`` from the
    README's first command) that must not leak into a test. Outside a git checkout
    (an unpacked sdist), the folder is copied without what .gitignore names.
    """
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z", "--", "."],
            cwd=source,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        ignored = [
            line.strip().rstrip("/")
            for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(*ignored))
        return target
    target.mkdir(parents=True)
    for name in filter(None, listing.split(b"\0")):
        relative = Path(name.decode("utf-8", "surrogateescape"))
        if not (source / relative).exists():
            continue  # deleted in the work tree, not yet committed
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, target / relative)
    return target
