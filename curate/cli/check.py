"""What validate, lint and links share: resolve settings, run the checks, report, exit code."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import typer

from curate.cli.options import OutputFormat

if TYPE_CHECKING:
    from curate.config import Settings
    from curate.corpus import Site
    from curate.engine import RunResult
    from curate.links import CollectedLinks, LinkReport
    from curate.model import Diagnostic


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
    from curate.model import Diagnostic
    from curate.reporting import REPORTERS, Summary

    online = lint and settings.online
    if online:
        # Imported only here: httpx costs a plain lint 100 ms of start-up.
        from curate.links import online_options

        # A bad online option is a usage error before the offline checks, not after them.
        online_options(settings)
    targets = list(paths) if paths else [settings.root or Path.cwd()]
    result: RunResult = run_checks(
        targets, settings, lint=lint, cache_factory=cache_factory(settings), need_records=False
    )
    for message in result.warnings:
        warn(message)
    diagnostics = result.diagnostics
    notes = tuple(result.extra.get("notes", ()))
    if online:
        _, report = check_online(result.files, result.site, settings)
        diagnostics = sorted([*diagnostics, *report.diagnostics], key=Diagnostic.sort_key)
        notes += (report.note(),)
    summary = Summary(command, len(result.files), statistics, notes)
    REPORTERS[output.value](diagnostics, summary, sys.stdout)
    if not result.files and not diagnostics:
        warn(f"no article files found in {', '.join(map(str, targets))}")
    return exit_code(diagnostics, settings, lint=lint)


def exit_code(diagnostics: Sequence[Diagnostic], settings: Settings, *, lint: bool) -> int:
    """1 when a finding fails the run: an error (lint), a warning too with --strict, or any."""
    from curate.model import Severity

    failing = {Severity.ERROR} if lint else set(Severity)
    if lint and settings.strict:
        failing.add(Severity.WARNING)
    return 1 if any(d.severity in failing for d in diagnostics) else 0


def warn(message: str) -> None:
    sys.stderr.write(f"curate: warning: {message}\n")


def check_online(
    files: Sequence[str], site: Site, settings: Settings
) -> tuple[CollectedLinks, LinkReport]:
    """Check the URLs of ``files`` over HTTP, with a progress bar on a terminal."""
    from curate.links import (
        check_collected,
        collect_links,
        enabled_codes,
        online_options,
        open_link_cache,
    )
    from curate.reporting.progress import link_progress

    options = online_options(settings)
    if not enabled_codes(settings):
        warn("no online code (WB) is selected: no URL was checked")
    collected = collect_links(files, site, settings)
    cache = open_link_cache(settings, site)
    try:
        with link_progress(len(collected.targets)) as advance:
            report = check_collected(
                collected,
                options,
                cache=cache,
                max_cache_age=settings.max_cache_age,
                on_result=advance,
            )
    finally:
        if cache is not None:
            cache.close()
    return collected, report


class OnlineArgs(NamedTuple):
    """The online options as typed on the command line, before they meet the config file."""

    exclude_url: list[str] | None = None
    accept: list[str] | None = None
    max_cache_age: str | None = None
    concurrency: int | None = None
    per_host: int | None = None
    timeout: float | None = None
    user_agent: str | None = None
    allow_private: bool = False

    def overrides(self) -> dict[str, Any]:
        """Settings that replace the config file's (None: not given)."""
        return {
            "max_cache_age": parse_duration(self.max_cache_age),
            "concurrency": self.concurrency,
            "per_host": self.per_host,
            "timeout": self.timeout,
            "user_agent": self.user_agent,
            "allow_private": True if self.allow_private else None,
        }

    def extend(self, settings: Settings) -> Settings:
        """``settings`` with the URL patterns and statuses added to the config file's."""
        return settings.replace(
            online_exclude=(*settings.online_exclude, *(self.exclude_url or ())),
            online_accept=(*settings.online_accept, *parse_statuses(self.accept)),
        )


_DURATION = re.compile(r"(\d+(?:\.\d*)?)\s*([smhd]?)", re.IGNORECASE)
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str | None) -> float | None:
    """Seconds from ``3600``, ``90s``, ``30m``, ``12h`` or ``1d``."""
    if value is None:
        return None
    match = _DURATION.fullmatch(value.strip())
    if match is None:
        raise typer.BadParameter(
            f"{value!r} is not a duration: give seconds (3600) or a number with s, m, h or d "
            "(12h, 1d)",
            param_hint="'--max-cache-age'",
        )
    return float(match[1]) * _SECONDS[match[2].lower()]


def parse_statuses(values: list[str] | None) -> tuple[int, ...]:
    """HTTP statuses from ``--accept 403,429 --accept 999``."""
    statuses = []
    for value in values or ():
        for item in value.split(","):
            if not item.strip():
                continue
            if not item.strip().isdigit() or not 100 <= int(item) <= 999:
                raise typer.BadParameter(
                    f"{item.strip()!r} is not an HTTP status (100 to 999)",
                    param_hint="'--accept'",
                )
            statuses.append(int(item))
    return tuple(statuses)
