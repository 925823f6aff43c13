"""The one error handler: usage errors, bugs, Ctrl-C and a reader that goes away."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from curate.cli import main
from tests.conftest import FIXTURES, ROOT

EXAMPLES = ROOT / "examples"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(FIXTURES / "rank", copy)
    return copy


def test_a_usage_error_is_one_line_and_exit_2(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rank", str(site), "--no-cache", "--half-life", "soon"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("curate: error: --half-life: 'soon' is not a duration")
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lint", "--format", "xml"], "'xml' is not one of table"),
        (["rank", "--limit", "-1"], "-1 is not in the range x>=0"),
        (["stats", "--top", "-1"], "-1 is not in the range x>=0"),
        (["cache", "frob"], "No such command 'frob'"),
        (["rules", "RL001", "extra"], "unexpected extra argument(s) (extra)"),
        (["lint", "--bogus"], "No such option: --bogus"),
        (["frob"], "No such command 'frob'"),
    ],
)
def test_clicks_usage_errors_are_one_curate_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("curate: error: ") and message in captured.err
    assert captured.err.count("\n") == 1
    assert "Usage:" not in captured.err and "Try " not in captured.err
    command = "curate" if args[0] == "frob" else f"curate {args[0]}"
    assert captured.err.endswith(f" (see '{command} --help')\n")


@pytest.mark.parametrize("command", ["validate", "lint", "links", "rank", "list", "stats"])
def test_a_missing_path_is_a_usage_error(
    command: str, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = site / "_news" / "gone.md"
    assert main([command, str(site / "_news"), str(missing), "--no-cache"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"curate: error: {missing}: no such file or directory\n"


def test_a_bug_is_an_internal_error_not_a_usage_error(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a bug, not the user's fault")

    monkeypatch.setattr("curate.engine.run_checks", broken)
    monkeypatch.delenv("CURATE_DEBUG", raising=False)
    assert main(["validate", str(site), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.startswith('curate: internal error: ValueError("a bug, not the user\'s fault")')
    assert "CURATE_DEBUG=1" in err and "Traceback" not in err
    assert "curate: error:" not in err and err.count("\n") == 1


def test_curate_debug_shows_the_traceback(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("curate.engine.run_checks", broken)
    monkeypatch.setenv("CURATE_DEBUG", "1")
    assert main(["lint", str(site), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: boom" in err
    assert "curate: internal error: RuntimeError('boom')" in err


def test_ctrl_c_is_exit_130_without_a_traceback(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("curate.engine.run_checks", interrupted)
    assert main(["rank", str(site), "--no-cache"]) == 130
    assert capsys.readouterr().err == "curate: interrupted\n"


def test_ctrl_c_while_importing_a_command_is_exit_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(args: object = ()) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("curate.cli.app.build_app", interrupted)
    assert main(["lint", "--help"]) == 130
    assert capsys.readouterr().err == "curate: interrupted\n"


def _run(*args: str, stdout: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "curate", *args],
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )


def test_a_closed_pipe_keeps_the_exit_code_and_says_nothing() -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before curate writes a byte
    try:
        found = _run("validate", "examples", "--no-cache", "-f", "concise", stdout=write)
        clean = _run("rules", "--format", "json", stdout=write)
    finally:
        os.close(write)
    assert found.returncode == 1, found.stderr  # the examples have findings
    assert clean.returncode == 0, clean.stderr
    assert found.stderr == clean.stderr == ""


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("head") is None, reason="no bash")
def test_piped_into_head_is_not_a_failure() -> None:
    command = f"{sys.executable} -m curate rules | head -1"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1 and result.stderr == ""


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_an_unreadable_file_is_a_finding_and_the_others_are_checked(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    articles = sorted((site / "_news").glob("*.md"))
    articles[0].chmod(0)
    try:
        code = main(["validate", *map(str, articles), "--no-cache", "-f", "concise"])
    finally:
        articles[0].chmod(0o644)
    out = capsys.readouterr().out
    assert code == 1
    assert f"{articles[0].name}:1:1: FM" in out


@pytest.mark.parametrize("module", ["curate.cli.errors", "curate.cli.app", "curate.engine"])
def test_ctrl_c_in_a_real_process_while_importing(tmp_path: Path, module: str) -> None:
    """SIGINT's KeyboardInterrupt, raised as ``module`` is imported: exit 130, no traceback."""
    (tmp_path / "sitecustomize.py").write_text(
        "import builtins\n"
        "_import = builtins.__import__\n"
        "def _interrupting(name, *args, **kwargs):\n"
        f"    if name == {module!r}:\n"
        "        raise KeyboardInterrupt\n"
        "    return _import(name, *args, **kwargs)\n"
        "builtins.__import__ = _interrupting\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-m", "curate", "validate", "examples", "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=120,
    )
    assert result.returncode == 130, result.stderr
    assert result.stderr == "curate: interrupted\n"


def test_a_file_that_cannot_be_opened_is_a_finding_among_the_others(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As pre-commit passes files: no usage box, the file reported, the others checked."""
    import builtins

    articles = sorted((site / "_news").glob("*.md"))
    locked = str(articles[0])

    def guarded_open(path: object, *args: object, **kwargs: object) -> object:
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return builtins.open(path, *args, **kwargs)  # type: ignore[call-overload]

    real_os_open = os.open

    def guarded_os_open(path: object, *args: object, **kwargs: object) -> int:
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_os_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("curate.loading.open", guarded_open, raising=False)
    monkeypatch.setattr(os, "open", guarded_os_open)
    code = main(["validate", *map(str, articles), "--no-cache", "-f", "json"])
    captured = capsys.readouterr()
    assert code == 1 and captured.err == ""
    found = {(d["path"], d["code"]) for d in json.loads(captured.out)}
    assert (locked, "FM012") in found
    # The other files were checked: the fixture's one invalid article is reported too.
    assert any(path != locked and code == "SC001" for path, code in found)


@pytest.mark.parametrize("command", ["validate", "lint", "links"])
def test_an_empty_folder_gives_only_the_warning(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, str(tmp_path), "--no-cache"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"curate: warning: no article files found in {tmp_path}\n"
    assert main([command, str(tmp_path), "--no-cache", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_every_file_named_counts_as_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dangling symlink cannot be read (FM012), but it was checked all the same."""
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    posts = EXAMPLES / "_posts"
    named = sorted(str(path) for path in posts.glob("2021-07-0[6-9]-*.md"))
    assert len(named) == 4
    assert main(["validate", "--no-cache", str(tmp_path / "dangling.md")]) == 1
    assert capsys.readouterr().out.endswith("1 file checked: 1 error\n")
    assert main(["validate", "--no-cache", *named, str(tmp_path / "dangling.md")]) == 1
    assert "5 files checked: 5 errors" in capsys.readouterr().out
