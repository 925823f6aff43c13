"""``curate links``: only the online checks: related links, images and logos over HTTP."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from curate.cli import options
from curate.cli.errors import handle_errors
from curate.cli.lint import Codes, split_codes

if TYPE_CHECKING:
    from curate.config import Settings


def links(
    paths: options.Paths = None,
    output: options.Format = options.OutputFormat.table,
    select: Codes = None,
    ignore: Codes = None,
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict",
            help="Fail (exit 1) on unverified links (warnings) too.",
            show_default=False,
        ),
    ] = None,
    statistics: options.Statistics = False,
    root: options.Root = None,
    config: options.Config = None,
    no_cache: options.NoCache = False,
    cache_dir: options.CacheDir = None,
    exclude_url: options.ExcludeUrl = None,
    accept: options.Accept = None,
    max_cache_age: options.MaxCacheAge = None,
    concurrency: options.Concurrency = None,
    per_host: options.PerHost = None,
    timeout: options.Timeout = None,
    user_agent: options.UserAgent = None,
    allow_private: options.AllowPrivate = False,
) -> None:
    """Check over HTTP that related links, article images and provider logos still answer.

    The web part of 'curate lint --online', alone: WB001 broken (an error: exit 1),
    WB002 unverified (a warning: exit 1 only with --strict), WB003 not requested because
    the host is not a public address (info). Paths of the site itself (/assets/...) are
    not requested; ok answers are cached for --max-cache-age, failures never. Files that
    cannot be parsed are reported, since their links were not checked.
    """
    from curate.cli.check import OnlineArgs, resolve
    from curate.rules import check_codes

    with handle_errors():
        online_args = OnlineArgs(
            exclude_url=exclude_url,
            accept=accept,
            max_cache_age=max_cache_age,
            concurrency=concurrency,
            per_host=per_host,
            timeout=timeout,
            user_agent=user_agent,
            allow_private=allow_private,
        )
        overrides = {
            "select": split_codes(select),
            "ignore": split_codes(ignore),
            "strict": strict,
            "root": root,
            "cache": False if no_cache else None,
            "cache_dir": cache_dir,
            **online_args.overrides(),
        }
        settings = online_args.extend(resolve(overrides, config))
        check_codes((*settings.select, *settings.ignore, *settings.extend_select))
        code = report_links(paths, settings, output, statistics=statistics)
    raise typer.Exit(code)


def report_links(
    paths: Sequence[Path] | None,
    settings: Settings,
    output: options.OutputFormat,
    *,
    statistics: bool = False,
) -> int:
    from curate.cli.check import check_online, exit_code, warn
    from curate.engine import ignored_for_file, prepare
    from curate.model import Diagnostic
    from curate.reporting import REPORTERS, Summary
    from curate.rules import Selection

    targets = list(paths) if paths else [settings.root or Path.cwd()]
    site, files, missing = prepare(targets, settings)
    collected, report = check_online(files, site, settings)
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    unchecked = [
        d
        for d in (*missing, *collected.unreadable)
        if selection.enabled(d.code) and not ignored_for_file(d, settings, site.root)
    ]
    diagnostics = sorted([*unchecked, *report.diagnostics], key=Diagnostic.sort_key)
    summary = Summary("links", len(files), statistics, (report.note(),))
    REPORTERS[output.value](diagnostics, summary, sys.stdout)
    if not files and not diagnostics:
        warn(f"no article files found in {', '.join(map(str, targets))}")
    return exit_code(diagnostics, settings, lint=True)


def register(app: typer.Typer) -> None:
    app.command()(links)
