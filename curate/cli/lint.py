"""``curate lint``: schema validation plus the editorial rules."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from curate.cli.check import CodeOptions, OnlineOptions
from curate.cli.common import (
    FindingFormat,
    Now,
    OptionGroup,
    Paths,
    Schema,
    SiteOptions,
    Statistics,
    command,
    parse_now,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from curate.config import Settings
    from curate.fixing import FixRun


@dataclass(frozen=True)
class FixOptions(OptionGroup):
    """Ruff's fix options: apply the fixes, also the unsafe ones, or only show them."""

    fix: Annotated[
        bool, typer.Option("--fix", help="Apply the safe fixes ([*]), then report what remains.")
    ] = False
    unsafe_fixes: Annotated[
        bool,
        typer.Option("--unsafe-fixes", help="With --fix or --diff: the unsafe fixes ([~]) too."),
    ] = False
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="Print a unified diff of what --fix would change and write nothing "
            "(exit 1 when there is something to change).",
        ),
    ] = False


@command
def lint(
    paths: Paths = None,
    output: FindingFormat = "table",
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict", help="Fail (exit 1) on warnings too.", show_default=False
        ),
    ] = None,
    statistics: Statistics = False,
    now: Now = None,
    quality_threshold: Annotated[
        int | None,
        typer.Option(
            "--publish-threshold",
            "--quality-threshold",
            metavar="N",
            help="PB001: published articles need at least this value of 'published-field' "
            "(default 70, compared with heat). --quality-threshold is its deprecated old name.",
            show_default=False,
        ),
    ] = None,
    schema: Schema = None,
    *,
    codes: CodeOptions,
    site: SiteOptions,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Also check over HTTP that related links, images and logos still answer "
            "(the WB codes; 'curate links' runs only these).",
        ),
    ] = False,
    web: OnlineOptions,
    fixes: FixOptions,
) -> int:
    """Lint articles: the schema plus editorial rules (related links, images, URLs, dates...).

    Given a few files (as pre-commit does), the whole site around them is indexed
    so cross-article rules work, and only the given files are reported. Errors exit 1;
    warnings only with --strict. 'curate rules' lists every rule.

    With --online, the related links, images and logos of the reported files are also
    checked over HTTP (as 'curate links' does).

    With --fix, the findings marked [*] are fixed in place (with --unsafe-fixes, those
    marked [~] too); --diff shows the changes instead of making them.
    """
    from curate.cli.check import check_codes, run_and_report

    settings = site.settings(
        **codes.overrides(),
        **web.overrides(),
        strict=strict,
        now=parse_now(now),
        published_quality_threshold=quality_threshold,
        schema=schema,
        online=True if online else None,
    )
    settings = web.extend(settings)
    check_codes(settings)
    if fixes.diff:
        return show_fixes(paths, settings, unsafe=fixes.unsafe_fixes)
    unwritten = apply_fixes(paths, settings, unsafe=fixes.unsafe_fixes) if fixes.fix else 0
    code = run_and_report("lint", paths, settings, output, lint=True, statistics=statistics)
    return max(code, unwritten)


def _fix_run(
    paths: Sequence[Path] | None, settings: Settings, *, unsafe: bool, write: bool
) -> FixRun:
    from curate.cli.common import shown_path, targets, warn
    from curate.fixing import fix_paths

    run = fix_paths(targets(paths, settings), settings, unsafe=unsafe, write=write)
    for d, reason in run.dropped:
        warn(f"{shown_path(d.path)}:{d.line}:{d.column}: {d.code} not fixed: {reason}")
    for path, reason in run.not_written:
        warn(f"{shown_path(path)} not fixed: {reason}")
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


def apply_fixes(paths: Sequence[Path] | None, settings: Settings, *, unsafe: bool) -> int:
    """Fix the files in place; 1 when a file could not be written, else 0."""
    run = _fix_run(paths, settings, unsafe=unsafe, write=True)
    sys.stderr.write(f"Fixed {_counted(run)}.\n")
    return 1 if run.not_written else 0


def show_fixes(paths: Sequence[Path] | None, settings: Settings, *, unsafe: bool) -> int:
    """Print the diff of what --fix would change; 1 when there is something to change."""
    from curate.fixing import unified_diff

    run = _fix_run(paths, settings, unsafe=unsafe, write=False)
    for outcome in run.changed:
        sys.stdout.write(unified_diff(outcome.path, outcome.original, outcome.fixed))
    sys.stderr.write(f"Would fix {_counted(run)}.\n")
    return 1 if run.changed else 0


def register(app: typer.Typer) -> None:
    app.command(short_help="The schema plus the editorial rules.")(lint)
