"""``curate cache``: look at or clear the embedded cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli.common import CacheDir, Config, Root, shown_path

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


def _directory(
    where: Path | None, cache_dir: Path | None, root: Path | None, config: Path | None
) -> Path:
    """The cache ``curate lint`` would use: the same settings, the same site root."""
    from curate.cache import cache_directory
    from curate.config import resolve_settings
    from curate.corpus import Site, find_site_root

    settings = resolve_settings({"cache_dir": cache_dir, "root": root}, config=config)
    start = where or settings.root or Path.cwd()
    site_root = settings.root or (find_site_root(start) if start.exists() else None)
    return Path(shown_path(str(cache_directory(settings, Site(site_root)))))


@cache_app.command()
def clear(
    where: Where = None,
    cache_dir: CacheDir = None,
    root: Root = None,
    config: Config = None,
) -> None:
    """Delete the cache: the next run checks every file again."""
    from curate.cache import clear as clear_cache

    directory = _directory(where, cache_dir, root, config)
    removed = clear_cache(directory)
    typer.echo(f"cleared {directory}" if removed else f"no cache in {directory}")


@cache_app.command()
def info(
    where: Where = None,
    cache_dir: CacheDir = None,
    root: Root = None,
    config: Config = None,
) -> None:
    """Show where the cache is and how much it holds."""
    from curate.cache import describe

    directory = _directory(where, cache_dir, root, config)
    typer.echo(describe(directory))


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache", short_help="Inspect or clear the cache.")
