"""``curate lint``: schema validation plus the editorial rules."""

from __future__ import annotations

from typing import Annotated

import typer

from curate.cli.check import CodeOptions, OnlineOptions
from curate.cli.common import (
    FindingFormat,
    Now,
    Paths,
    Schema,
    SiteOptions,
    Statistics,
    command,
    parse_now,
)


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
            "--quality-threshold",
            metavar="N",
            help="Published articles need at least this quality (default 70).",
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
) -> int:
    """Lint articles: the schema plus editorial rules (related links, images, URLs, dates...).

    Given a few files (as pre-commit does), the whole site around them is indexed
    so cross-article rules work, and only the given files are reported. Errors exit 1;
    warnings only with --strict. 'curate rules' lists every rule.

    With --online, the related links, images and logos of the reported files are also
    checked over HTTP (as 'curate links' does).
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
    return run_and_report("lint", paths, settings, output, lint=True, statistics=statistics)


def register(app: typer.Typer) -> None:
    app.command(short_help="The schema plus the editorial rules.")(lint)
