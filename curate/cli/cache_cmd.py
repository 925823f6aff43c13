"""``curate cache``: look at or clear the embedded cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli.common import CacheDir

cache_app = typer.Typer(
    help="Inspect or clear the cache curate keeps in <site root>/.curate_cache/.",
    no_args_is_help=True,
)

Where = Annotated[
    Path | None,
    typer.Argument(
        help="A path inside the site (default: the current folder).", show_default=False
    ),
]


def _directory(where: Path | None, cache_dir: Path | None) -> Path:
    from curate.cache import CACHE_DIR_NAME
    from curate.corpus import find_site_root

    if cache_dir is not None:
        return cache_dir
    start = where or Path.cwd()
    root = find_site_root(start) if start.exists() else None
    return (root or (start if start.is_dir() else start.parent)) / CACHE_DIR_NAME


@cache_app.command()
def clear(where: Where = None, cache_dir: CacheDir = None) -> None:
    """Delete the cache: the next run checks every file again."""
    from curate.cache import clear as clear_cache

    directory = _directory(where, cache_dir)
    removed = clear_cache(directory)
    typer.echo(f"cleared {directory}" if removed else f"no cache in {directory}")


@cache_app.command()
def info(where: Where = None, cache_dir: CacheDir = None) -> None:
    """Show where the cache is and how much it holds."""
    from curate.cache import describe

    directory = _directory(where, cache_dir)
    typer.echo(describe(directory))


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache", short_help="Inspect or clear the cache.")
