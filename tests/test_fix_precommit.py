"""The ``curate-fix`` hook, run by the real pre-commit (set up as in tests/test_precommit.py).

It fixes the staged articles, and pre-commit then fails the commit because files
changed: the editor reviews the fix, stages it and commits again, as with Ruff's hook.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import write_article
from tests.test_precommit import GOOD, commit, env, git, hook_repo, pre_commit

__all__ = ["env", "hook_repo"]  # fixtures shared with tests/test_precommit.py

DUPLICATED = GOOD.format(title="B", slug="b", published="true").replace(
    "images:\n  - url",
    'related:\n  - title: "A"\n    webUrl: "https://example.com/a"\n'
    '  - title: "A again"\n    webUrl: "https://example.com/a/"\nimages:\n  - url',
)


@pytest.fixture(scope="module")
def fixing_repo(
    tmp_path_factory: pytest.TempPathFactory, env: dict[str, str], hook_repo: tuple[Path, str]
) -> Iterator[Path]:
    repo = tmp_path_factory.mktemp("site")
    git(repo, "init", "-q", env=env)
    (repo / "_config.yml").write_text("title: site\nurl: https://news.example.org\n")
    path, rev = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {rev}\n    hooks:\n      - id: curate-fix\n"
    )
    pre_commit(repo, env, "install", "--install-hooks")
    yield repo


def test_the_fix_hook_fixes_then_asks_to_stage(fixing_repo: Path, env: dict[str, str]) -> None:
    a = GOOD.format(title="A", slug="a", published="true")
    write_article(fixing_repo, "_posts/2021-06-30-a.md", a)
    post = write_article(fixing_repo, "_posts/2021-06-30-b.md", DUPLICATED)
    result = commit(fixing_repo, env, "a duplicate related entry")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "files were modified by this hook" in output
    assert "Fixed 1 finding (RL005 1) in 1 file." in output
    assert post.read_text(encoding="utf-8") == DUPLICATED.replace(
        '  - title: "A again"\n    webUrl: "https://example.com/a/"\n', ""
    )
    assert "_posts/2021-06-30-b.md" in git(fixing_repo, "diff", "--name-only", env=env).stdout

    result = commit(fixing_repo, env, "a duplicate related entry, fixed")
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(fixing_repo, "status", "--porcelain", env=env).stdout == ""
