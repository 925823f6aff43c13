"""The pre-commit hooks, run by the real pre-commit in a temporary git repository.

pre-commit installs curate from a snapshot of this checkout as it is on disk
(committed, modified and untracked files) into an environment of its own, from
PyPI. ``pre-commit try-repo`` is not used: it opens a fresh private store on each
call, so every call would install curate again, and it leaves untracked files
out. The editors' repository here has the ``.pre-commit-config.yaml`` that
try-repo would write (the snapshot's path and commit), and PRE_COMMIT_HOME is a
temporary folder: curate is installed once for the module, every commit reuses it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, write_article

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or importlib.util.find_spec("pre_commit") is None,
    reason="needs git and pre-commit",
)

GOOD = """---
category: news
title: "{title}"
publishedDateTime: 2021-06-30T12:00:00Z
webUrl: "https://example.com/{slug}"
type: article
quality: 80
heat: 90
published: {published}
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
  - url: "https://example.com/{slug}.jpg"
    width: 1200
    height: 630
---
"""


def git(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    gitconfig = home / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n")
    return {
        **os.environ,
        "PRE_COMMIT_HOME": str(home / "store"),
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_AUTHOR_NAME": "Editor",
        "GIT_AUTHOR_EMAIL": "editor@example.com",
        "GIT_COMMITTER_NAME": "Editor",
        "GIT_COMMITTER_EMAIL": "editor@example.com",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NO_COLOR": "1",
    }


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> tuple[Path, str]:
    """This checkout as it is now, committed in a repository of its own: (path, rev)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard", env=env)
    snapshot = tmp_path_factory.mktemp("curate-snapshot")
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(snapshot, "init", "-q", env=env)
    git(snapshot, "add", "-A", env=env)
    git(snapshot, "commit", "-q", "-m", "snapshot", env=env)
    rev = git(snapshot, "rev-parse", "HEAD", env=env).stdout.strip()
    return snapshot, rev


@pytest.fixture(scope="module")
def editors_repo(
    tmp_path_factory: pytest.TempPathFactory, env: dict[str, str], hook_repo: tuple[Path, str]
) -> Iterator[Path]:
    """A site's repository with both hooks installed (curate is installed here, once)."""
    repo = tmp_path_factory.mktemp("site")
    git(repo, "init", "-q", env=env)
    (repo / "_config.yml").write_text("title: site\nurl: https://news.example.org\n")
    (repo / "README.md").write_text("# Not an article: the hooks leave this file alone.\n")
    path, rev = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {rev}\n    hooks:\n"
        "      - id: curate-lint\n      - id: curate-validate\n"
    )
    pre_commit(repo, env, "install", "--install-hooks")
    yield repo


def pre_commit(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def commit(repo: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    git(repo, "add", "-A", env=env)
    return subprocess.run(
        ["git", "commit", "-m", message],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def write_site(repo: Path, *, b: str | None = None) -> None:
    """A published article, an unpublished draft and, if given, a third article."""
    write_article(
        repo, "_posts/2021-06-30-a.md", GOOD.format(title="A", slug="a", published="true")
    )
    draft = GOOD.format(title="Draft", slug="draft", published="false")
    write_article(repo, "_posts/2021-06-30-draft.md", draft)
    if b is not None:
        write_article(repo, "_posts/2021-06-30-b.md", b)


def linking_to(url: str) -> str:
    return GOOD.format(title="B", slug="b", published="true").replace(
        "images:\n  - url",
        f'related:\n  - title: "Related"\n    webUrl: "{url}"\nimages:\n  - url',
    )


def test_good_commit_passes(editors_repo: Path, env: dict[str, str]) -> None:
    write_site(editors_repo)
    result = commit(editors_repo, env, "two good articles")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "curate lint" in output and "curate validate" in output and "Passed" in output
    assert "Failed" not in output


def test_bad_commit_is_rejected_with_the_finding_then_fixed(
    editors_repo: Path, env: dict[str, str]
) -> None:
    # The draft's page on this site (url + the default permalink): a dead link.
    write_site(editors_repo, b=linking_to("https://news.example.org/news/2021/06/30/draft.html"))
    result = commit(editors_repo, env, "links to the unpublished draft")
    output = (result.stdout + result.stderr).replace("\\", "/")
    assert result.returncode != 0, output
    # Only the new file is given to curate; the draft it links to is found in the site.
    assert "_posts/2021-06-30-b.md" in output
    finding = r"21:13 +RL001 +error +related\[0\] links to this site's page"
    assert re.search(finding, output), output
    # The message may wrap at the terminal width: compare it with spaces folded.
    assert "(published: false in _posts/2021-06-30-draft.md)" in " ".join(output.split())
    assert "1 file checked: 1 error" in output
    # The article is valid against the schema: only the lint hook fails.
    assert re.search(r"curate validate\.+Passed", output), output
    status = git(editors_repo, "status", "--porcelain", env=env).stdout
    assert "_posts/2021-06-30-b.md" in status, "the commit must not have happened"

    write_site(editors_repo, b=linking_to("https://example.com/a"))
    result = commit(editors_repo, env, "links to a published article")
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(editors_repo, "status", "--porcelain", env=env).stdout == ""
