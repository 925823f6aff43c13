"""What validate and lint share: resolve settings, run the checks, report, exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curate.cli.options import OutputFormat

if TYPE_CHECKING:
    from curate.config import Settings
    from curate.engine import RunResult


def resolve(overrides: dict[str, Any], config: Path | None) -> Settings:
    from curate.config import resolve_settings

    return resolve_settings(overrides, config=config)


def run_and_report(
    command: str,
    paths: Sequence[Path] | None,
    settings: Settings,
    output: OutputFormat,
    *,
    lint: bool,
    statistics: bool = False,
) -> int:
    from curate.cache import cache_factory
    from curate.engine import run_checks
    from curate.model import Severity
    from curate.reporting import REPORTERS, Summary

    targets = list(paths) if paths else [settings.root or Path.cwd()]
    result: RunResult = run_checks(
        targets, settings, lint=lint, cache_factory=cache_factory(settings), need_records=lint
    )
    notes = tuple(result.extra.get("notes", ()))
    summary = Summary(command, len(result.files), statistics, notes)
    REPORTERS[output.value](result.diagnostics, summary, sys.stdout)
    if not result.files and not result.diagnostics:
        sys.stderr.write(
            f"curate: warning: no article files found in {', '.join(map(str, targets))}\n"
        )
    failing = {Severity.ERROR} if lint else set(Severity)
    if lint and settings.strict:
        failing.add(Severity.WARNING)
    return 1 if any(d.severity in failing for d in result.diagnostics) else 0
