"""The process pool ends with its parent: after ``kill -9``, and promptly on Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

#: A lint run whose workers hang in a rule, each saying its pid in ``MARKERS``.
SCRIPT = """
import os, sys, time
from pathlib import Path
from curate import engine
from curate.cli import main
from curate.model import Severity
from curate.rules import all_rules, rule

all_rules()

@rule("ZZ903", "slow-probe", Severity.INFO, message="", summary="", why="", example="", fix="")
def slow(article, site):
    Path(sys.argv[2], str(os.getpid())).touch()
    time.sleep(120)
    yield from ()

engine.PARALLEL_THRESHOLD = 1
sys.exit(main(["lint", "--no-cache", "--jobs", "2", sys.argv[1]]))
"""


@pytest.fixture
def hanging(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    site = tmp_path / "site"
    shutil.copytree(ROOT / "examples", site)
    markers = tmp_path / "markers"
    markers.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(site), str(markers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        yield process, markers
    finally:
        # Workers first: a live one holds the pipes open, and would keep the reader waiting.
        for marker in markers.iterdir():
            _kill(int(marker.name))
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)


def _kill(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return "\nState:\tZ" not in status  # a zombie has ended; only its exit status is left


def _wait(condition: object, limit: float = 60.0) -> bool:
    """Poll ``condition`` (a callable) for up to ``limit`` seconds: a bound, not a timing test."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_workers_die_with_a_killed_parent(
    hanging: tuple[subprocess.Popen[str], Path],
) -> None:
    process, markers = hanging
    assert _wait(lambda: any(markers.iterdir())), "no worker started"
    workers = [int(marker.name) for marker in markers.iterdir()]
    process.kill()  # kill -9: no chance to clean up
    process.wait()
    assert _wait(lambda: not any(_alive(pid) for pid in workers)), "orphaned workers live on"


def test_ctrl_c_stops_the_pool_promptly(
    hanging: tuple[subprocess.Popen[str], Path],
) -> None:
    process, markers = hanging
    assert _wait(lambda: any(markers.iterdir())), "no worker started"
    workers = [int(marker.name) for marker in markers.iterdir()]
    process.send_signal(signal.SIGINT)  # to the main process only, as the issue found it
    assert _wait(lambda: process.poll() is not None), "still running after Ctrl-C"
    err = process.stderr.read() if process.stderr is not None else ""
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err
    assert _wait(lambda: not any(_alive(pid) for pid in workers))


def test_rows_the_workers_encode_give_what_the_parent_would_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the cache on, the pool's workers encode each row; a warm run decodes them to the
    results of a run without the cache, and to the rows the parent encodes itself."""
    import sqlite3

    from curate.cache import cache_factory
    from curate.config import Settings
    from curate.engine import run_checks
    from tests.conftest import copy_tracked

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    sites = [copy_tracked(ROOT / "examples", tmp_path / name) for name in ("pool", "one")]

    def rows(site: Path, jobs: int) -> list[tuple[object, ...]]:
        config = Settings(jobs=jobs)
        run_checks(
            [site], config, lint=True, cache_factory=cache_factory(config), parallel_threshold=1
        )
        database = sqlite3.connect(site / ".curate_cache" / "cache.sqlite3")
        try:
            return database.execute(
                "SELECT path, diagnostics, record, depends FROM files ORDER BY path"
            ).fetchall()
        finally:
            database.close()

    assert rows(sites[0], 2) == rows(sites[1], 1)

    def findings(**settings: object) -> list[tuple[str, int, str, str]]:
        config = Settings(**settings)  # type: ignore[arg-type]
        factory = cache_factory(config) if config.cache else None
        result = run_checks([sites[0]], config, lint=True, cache_factory=factory)
        return [(Path(d.path).name, d.line, d.code, d.message) for d in result.diagnostics]

    assert findings() == findings(cache=False)


def test_reports_are_encoded_as_the_generic_encoder_encodes_them() -> None:
    """The row encoder written field by field gives the texts of the generic one, fixes and
    findings about another file included, over every rule's fixtures."""
    from curate.cache import _NO_DIAGNOSTICS, _dumps, _encode_report, _plain
    from curate.config import Settings
    from curate.engine import run_checks
    from curate.model import FileReport
    from tests.conftest import FIXTURES

    def generic(report: FileReport) -> tuple[str, str]:
        found = [
            {k: v for k, v in _plain(d).items() if k != "path" or v != report.path}
            for d in report.diagnostics
        ]
        suppressions = report.suppressions or None
        diagnostics = (
            _NO_DIAGNOSTICS
            if not found and suppressions is None
            else _dumps([found, _plain(suppressions)])
        )
        record = None if report.record is None else _plain(report.record)
        if record is not None:
            del record["path"]
        return diagnostics, _dumps(record)

    folders = sorted((FIXTURES / "rules").glob("*/*"))
    result = run_checks([ROOT / "examples", *folders], Settings(cache=False), lint=True)
    assert any(d.fix is not None for d in result.diagnostics)
    for report in result.reports:
        assert _encode_report(report) == generic(report), report.path
