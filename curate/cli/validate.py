"""``curate validate``: check every article against the JSON Schema."""

from __future__ import annotations

import typer

from curate.cli import options
from curate.cli.errors import handle_errors


def validate(
    paths: options.Paths = None,
    output: options.Format = options.OutputFormat.table,
    schema: options.Schema = None,
    root: options.Root = None,
    config: options.Config = None,
    no_cache: options.NoCache = False,
    cache_dir: options.CacheDir = None,
    jobs: options.Jobs = None,
    statistics: options.Statistics = False,
) -> None:
    """Validate articles against the JSON Schema and report each problem at path:line:col.

    Reads the front matter exactly (duplicate keys, bad encodings, YAML errors and
    unsafe tags are reported, never executed). Exit 0 when every article is valid,
    1 when something is wrong, 2 on a usage or configuration error.
    """
    from curate.cli.check import resolve, run_and_report

    with handle_errors():
        settings = resolve(
            {
                "schema": schema,
                "root": root,
                "cache": False if no_cache else None,
                "cache_dir": cache_dir,
                "jobs": jobs,
            },
            config,
        )
        code = run_and_report(
            "validate", paths, settings, output, lint=False, statistics=statistics
        )
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(validate)
