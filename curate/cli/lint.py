"""``curate lint``: schema validation plus the editorial rules."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from curate.cli import options
from curate.cli.errors import handle_errors

if TYPE_CHECKING:
    from curate.config import Settings
    from curate.fixing import FixRun

Codes = Annotated[
    list[str] | None,
    typer.Option(
        help="Rule codes or prefixes, comma-separated or repeated (e.g. RL,IM002).",
        show_default=False,
    ),
]


def split_codes(values: list[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(
        code.strip().upper() for value in values for code in value.split(",") if code.strip()
    )


def parse_now(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time; naive values are taken as UTC."""
    from curate.corpus import parse_timestamp

    if value is None:
        return None
    moment = parse_timestamp(value)
    if moment is None:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 date or date-time (e.g. 2024-03-01T12:00:00Z)"
        )
    return moment


def lint(
    paths: options.Paths = None,
    output: options.Format = options.OutputFormat.table,
    select: Codes = None,
    ignore: Codes = None,
    extend_select: Codes = None,
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict", help="Fail (exit 1) on warnings too.", show_default=False
        ),
    ] = None,
    statistics: options.Statistics = False,
    now: Annotated[
        str | None,
        typer.Option(help="Pin the clock for date rules (ISO 8601).", show_default=False),
    ] = None,
    quality_threshold: Annotated[
        int | None,
        typer.Option(
            "--quality-threshold",
            help="Published articles need at least this quality (default 70).",
            show_default=False,
        ),
    ] = None,
    schema: options.Schema = None,
    root: options.Root = None,
    config: options.Config = None,
    no_cache: options.NoCache = False,
    cache_dir: options.CacheDir = None,
    jobs: options.Jobs = None,
    online: options.Online = False,
    exclude_url: options.ExcludeUrl = None,
    accept: options.Accept = None,
    max_cache_age: options.MaxCacheAge = None,
    concurrency: options.Concurrency = None,
    per_host: options.PerHost = None,
    timeout: options.Timeout = None,
    user_agent: options.UserAgent = None,
    allow_private: options.AllowPrivate = False,
    fix: Annotated[
        bool,
        typer.Option("--fix", help="Apply the safe fixes, then report what remains."),
    ] = False,
    unsafe_fixes: Annotated[
        bool,
        typer.Option("--unsafe-fixes", help="With --fix or --diff: apply the unsafe fixes too."),
    ] = False,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="Print a unified diff of what --fix would change; write nothing "
            "(exit 1 when there is something to change).",
        ),
    ] = False,
) -> None:
    """Lint articles: the schema plus editorial rules (related links, images, URLs, dates...).

    Given a few files (as pre-commit does), the whole site around them is indexed
    so cross-article rules work, and only the given files are reported. Errors exit 1;
    warnings only with --strict. 'curate rules' lists every rule.

    With --online, the related links, images and logos of the reported files are also
    checked over HTTP (as 'curate links' does).

    With --fix, the findings marked [*] are fixed in place (with --unsafe-fixes, those
    marked [~] too); --diff shows the changes instead of making them.
    """
    from curate.cli.check import OnlineArgs, resolve, run_and_report
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
            "extend_select": split_codes(extend_select),
            "strict": strict,
            "now": parse_now(now),
            "published_quality_threshold": quality_threshold,
            "schema": schema,
            "root": root,
            "cache": False if no_cache else None,
            "cache_dir": cache_dir,
            "jobs": jobs,
            "online": True if online else None,
            **online_args.overrides(),
        }
        settings = online_args.extend(resolve(overrides, config))
        check_codes((*settings.select, *settings.ignore, *settings.extend_select))
        for _, codes in settings.per_file_ignores:
            check_codes(codes)
        if diff:
            raise typer.Exit(show_fixes(paths, settings, unsafe=unsafe_fixes))
        written = apply_fixes(paths, settings, unsafe=unsafe_fixes) if fix else 0
        code = run_and_report("lint", paths, settings, output, lint=True, statistics=statistics)
    raise typer.Exit(max(code, written))


def _fix_run(paths: list[Path] | None, settings: Settings, *, unsafe: bool, write: bool) -> FixRun:
    from curate.cli.check import warn
    from curate.fixing import fix_paths

    targets = list(paths) if paths else [settings.root or Path.cwd()]
    run = fix_paths(targets, settings, unsafe=unsafe, write=write)
    for d, reason in run.dropped:
        warn(f"{d.path}:{d.line}:{d.column}: {d.code} not fixed: {reason}")
    for path, reason in run.not_written:
        warn(f"{path} not fixed: {reason}")
    return run


def _counted(run: FixRun) -> str:
    total = sum(run.applied.values())
    files = len(run.changed)
    codes = ", ".join(f"{code} {count}" for code, count in sorted(run.applied.items()))
    detail = f" ({codes})" if codes else ""
    return (
        f"{total} finding{'s' if total != 1 else ''}{detail} in "
        f"{files} file{'s' if files != 1 else ''}"
    )


def apply_fixes(paths: list[Path] | None, settings: Settings, *, unsafe: bool) -> int:
    """Fix the files in place; 1 when a file could not be written, else 0."""
    run = _fix_run(paths, settings, unsafe=unsafe, write=True)
    sys.stderr.write(f"Fixed {_counted(run)}.\n")
    return 1 if run.not_written else 0


def show_fixes(paths: list[Path] | None, settings: Settings, *, unsafe: bool) -> int:
    """Print the diff of what --fix would change; 1 when there is something to change."""
    from curate.fixing import unified_diff

    run = _fix_run(paths, settings, unsafe=unsafe, write=False)
    for outcome in run.changed:
        sys.stdout.write(unified_diff(outcome.path, outcome.original, outcome.fixed))
    sys.stderr.write(f"Would fix {_counted(run)}.\n")
    return 1 if run.changed else 0


def register(app: typer.Typer) -> None:
    app.command()(lint)
