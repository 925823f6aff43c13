"""What validate, lint and links share: the code and online options, run, report, exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from curate.cli.common import OptionGroup, shown, targets, warn

if TYPE_CHECKING:
    from curate.config import Settings
    from curate.links import LinkReport
    from curate.model import Diagnostic


def split_codes(values: list[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(
        code.strip().upper() for value in values for code in value.split(",") if code.strip()
    )


@dataclass(frozen=True)
class CodeOptions(OptionGroup):
    """Which codes a run reports, as Ruff chooses them."""

    select: Annotated[
        list[str] | None,
        typer.Option(
            metavar="CODES",
            help="Report only these codes or prefixes (e.g. RL,IM002 or WB001), instead of "
            "the config file's select; comma-separated or repeated.",
            show_default=False,
        ),
    ] = None
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            metavar="CODES",
            help="Never report these codes or prefixes, on top of the config file's ignore.",
            show_default=False,
        ),
    ] = None
    extend_select: Annotated[
        list[str] | None,
        typer.Option(
            metavar="CODES",
            help="Report these codes or prefixes too, on top of what select chooses "
            "(e.g. --select RL --extend-select IM001).",
            show_default=False,
        ),
    ] = None

    def overrides(self) -> dict[str, Any]:
        return {
            "select": split_codes(self.select),
            "ignore": split_codes(self.ignore),
            "extend_select": split_codes(self.extend_select),
        }


@dataclass(frozen=True)
class OnlineOptions(OptionGroup):
    """The options of the checks over HTTP, as typed, before they meet the config file."""

    exclude_url: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude-url",
            metavar="REGEX",
            help="Do not request URLs matching this regular expression (searched anywhere in "
            "the URL). Repeatable; added to online-exclude of the config file.",
            show_default=False,
        ),
    ] = None
    accept: Annotated[
        list[str] | None,
        typer.Option(
            "--accept",
            metavar="STATUS",
            help="HTTP statuses that count as ok (e.g. 403,429), comma-separated or "
            "repeated; added to online-accept of the config file.",
            show_default=False,
        ),
    ] = None
    max_cache_age: Annotated[
        str | None,
        typer.Option(
            "--max-cache-age",
            metavar="DURATION",
            help="Reuse ok results younger than this: seconds, or with a unit (90s, 30m, "
            "12h, 1d, 1w). Failures are always checked again. Default 1d.",
            show_default=False,
        ),
    ] = None
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            min=1,
            help="Requests in flight at once (default 32).",
            show_default=False,
        ),
    ] = None
    per_host: Annotated[
        int | None,
        typer.Option(
            "--per-host",
            min=1,
            help="Requests in flight to one host at once (default 4).",
            show_default=False,
        ),
    ] = None
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help="Time-out of one request, in seconds (default 15).",
            show_default=False,
        ),
    ] = None
    user_agent: Annotated[
        str | None,
        typer.Option(
            "--user-agent",
            help="User-Agent header of the requests, printable ASCII (default curate/VERSION).",
            show_default=False,
        ),
    ] = None
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private",
            help="Also request hosts that resolve to loopback, private or link-local "
            "addresses (an intranet site, a test server). Off by default: those are "
            "reported as WB003.",
        ),
    ] = False

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


def parse_duration(value: str | None) -> float | None:
    """``--max-cache-age`` in seconds: ``3600``, ``90s``, ``30m``, ``12h``, ``1d``, ``1w``."""
    from curate.errors import UsageError
    from curate.timeparse import parse_duration as parse

    if value is None:
        return None
    try:
        return parse(value, bare_seconds=True, allow_zero=True).total_seconds()
    except UsageError as error:
        raise UsageError(f"--max-cache-age: {error}") from None


def parse_statuses(values: list[str] | None) -> tuple[int, ...]:
    """HTTP statuses from ``--accept 403,429 --accept 999``."""
    from curate.errors import UsageError

    statuses = []
    for value in values or ():
        for item in value.split(","):
            if not item.strip():
                continue
            if not item.strip().isdigit() or not 100 <= int(item) <= 999:
                raise UsageError(f"--accept: {item.strip()!r} is not an HTTP status (100 to 999)")
            statuses.append(int(item))
    return tuple(statuses)


def check_codes(settings: Settings) -> None:
    """Every code the settings name exists; else an UnknownCodeError with a suggestion."""
    from curate.rules import check_codes as check

    check((*settings.select, *settings.ignore, *settings.extend_select))
    for _, codes in settings.per_file_ignores:
        check(codes)


def run_and_report(
    command: str,
    paths: Sequence[Path] | None,
    settings: Settings,
    output: str,
    *,
    lint: bool,
    statistics: bool = False,
) -> int:
    """Resolve the targets, run the core, render the findings, return the exit code."""
    from curate.engine import run
    from curate.reporting import REPORTERS, Summary
    from curate.reporting.progress import link_progress

    online = lint and settings.online
    if online:
        check_online_settings(settings)
    chosen = targets(paths, settings)
    result = run(chosen, settings, lint=lint, online=online, link_progress=link_progress)
    for message in result.warnings:
        warn(message)
    notes = offline_warning(result.links, tuple(result.extra.get("notes", ())))
    if not result.files and not result.diagnostics:
        if output not in HUMAN_FORMATS:  # a program still gets a document it can parse
            REPORTERS[output]([], Summary(command, 0, statistics, notes), sys.stdout)
        warn(f"no article files found in {', '.join(map(str, chosen))}")
        return 0
    summary = Summary(command, files_checked(result.files, result.diagnostics), statistics, notes)
    REPORTERS[output](shown(result.diagnostics), summary, sys.stdout)
    return exit_code(result.diagnostics, settings, lint=lint)


#: The formats read by people, which need no output at all when there is nothing to check.
HUMAN_FORMATS = ("table", "concise")


def files_checked(files: Sequence[str], diagnostics: Sequence[Diagnostic]) -> int:
    """Every file named or found, including those that cannot be read (a dangling symlink)."""
    from curate.codes import BUILTIN_CODES

    builtin = {doc.code for doc in BUILTIN_CODES}
    known = set(files)
    unread = {d.path for d in diagnostics if d.code in builtin and d.path not in known}
    return len(known) + len(unread)


def offline_warning(report: LinkReport | None, notes: tuple[str, ...]) -> tuple[str, ...]:
    """The summary notes, without the one that says the network was unavailable: that one
    is a warning on stderr, which every format shows (a JSON reader would miss a note).
    """
    if report is None or not report.not_checked:
        return notes
    offline = report.note()
    warn(offline)
    return tuple(note for note in notes if note != offline)


def exit_code(diagnostics: Sequence[Diagnostic], settings: Settings, *, lint: bool) -> int:
    """1 when a finding fails the run: an error (lint), a warning too with --strict, or any."""
    from curate.model import Severity

    failing = {Severity.ERROR} if lint else set(Severity)
    if lint and settings.strict:
        failing.add(Severity.WARNING)
    return 1 if any(d.severity in failing for d in diagnostics) else 0


def online_options(settings: Settings) -> Any:
    """The online engine's options; a setting it cannot use is a UsageError."""
    # Imported only here: httpx costs a plain lint 100 ms of start-up.
    from curate.errors import UsageError
    from curate.links import online_options as options

    try:
        return options(settings)
    except UsageError:
        raise
    except ValueError as error:  # links.online_options documents ValueError for a bad setting
        raise UsageError(str(error)) from None


def check_online_settings(settings: Settings) -> None:
    """Usage errors before the offline checks, not after them; a word if no WB code is on."""
    from curate.links import enabled_codes

    online_options(settings)
    if not enabled_codes(settings):
        warn("no online code (WB) is selected: no URL was checked")
