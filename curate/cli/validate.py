"""``curate validate``: check every article against the JSON Schema."""

from __future__ import annotations

import typer

from curate.cli.common import FindingFormat, Paths, Schema, SiteOptions, Statistics, command


@command
def validate(
    paths: Paths = None,
    output: FindingFormat = "table",
    schema: Schema = None,
    statistics: Statistics = False,
    *,
    site: SiteOptions,
) -> int:
    """Validate articles against the JSON Schema and report each problem at path:line:col.

    Reads the front matter exactly (duplicate keys, bad encodings, YAML errors and
    unsafe tags are reported, never executed). Exit 0 when every article is valid,
    1 when something is wrong, 2 on a usage or configuration error.
    """
    from curate.cli.check import run_and_report

    settings = site.settings(schema=schema)
    return run_and_report("validate", paths, settings, output, lint=False, statistics=statistics)


def register(app: typer.Typer) -> None:
    app.command(short_help="Check articles against the JSON Schema.")(validate)
