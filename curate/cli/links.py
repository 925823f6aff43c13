"""``curate links``: only the online checks: related links, images and logos over HTTP."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from curate.cli.check import CodeOptions, OnlineOptions
from curate.cli.common import FindingFormat, Paths, SiteOptions, Statistics, command

if TYPE_CHECKING:
    from curate.config import Settings


@command
def links(
    paths: Paths = None,
    output: FindingFormat = "table",
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict",
            help="Fail (exit 1) on unverified links (warnings) too.",
            show_default=False,
        ),
    ] = None,
    statistics: Statistics = False,
    *,
    codes: CodeOptions,
    site: SiteOptions,
    web: OnlineOptions,
) -> int:
    """Check over HTTP that related links, article images and provider logos still answer.

    The web part of 'curate lint --online', alone: WB001 broken (an error: exit 1),
    WB002 unverified (a warning: exit 1 only with --strict), WB003 not requested because
    the host is not a public address (info). Paths of the site itself (/assets/...) are
    not requested; ok answers are cached for --max-cache-age, failures never. Files that
    cannot be parsed are reported, since their links were not checked.
    """
    from curate.cli.check import check_codes

    settings = web.extend(site.settings(**codes.overrides(), **web.overrides(), strict=strict))
    check_codes(settings)
    return report_links(paths, settings, output, statistics=statistics)


def report_links(
    paths: Sequence[Path] | None,
    settings: Settings,
    output: str,
    *,
    statistics: bool = False,
) -> int:
    from curate.cli.check import (
        HUMAN_FORMATS,
        check_online,
        check_online_settings,
        exit_code,
        files_checked,
        offline_warning,
    )
    from curate.cli.common import shown, targets, warn
    from curate.engine import ignored_for_file, prepare
    from curate.model import Diagnostic
    from curate.reporting import REPORTERS, Summary
    from curate.rules import Selection

    check_online_settings(settings)
    chosen = targets(paths, settings)
    site, files, missing = prepare(chosen, settings)
    collected, report = check_online(files, site, settings)
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    unchecked = [
        d
        for d in (*missing, *collected.unreadable)
        if selection.enabled(d.code) and not ignored_for_file(d, settings, site.root)
    ]
    diagnostics = sorted([*unchecked, *report.diagnostics], key=Diagnostic.sort_key)
    notes = offline_warning(report, (report.note(),))
    if not files and not diagnostics:
        if output not in HUMAN_FORMATS:  # a program still gets a document it can parse
            REPORTERS[output]([], Summary("links", 0, statistics, notes), sys.stdout)
        warn(f"no article files found in {', '.join(map(str, chosen))}")
        return 0
    summary = Summary("links", files_checked(files, diagnostics), statistics, notes)
    REPORTERS[output](shown(diagnostics), summary, sys.stdout)
    return exit_code(diagnostics, settings, lint=True)


def register(app: typer.Typer) -> None:
    app.command(short_help="Check related links, images and logos over HTTP.")(links)
