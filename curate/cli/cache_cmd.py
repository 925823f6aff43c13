"""``curate cache``: look at or clear the embedded cache."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from curate.cli.common import CacheDir, Config, OptionGroup, Root, command, shown_path

cache_app = typer.Typer(
    help="Inspect or clear the cache curate keeps in <site root>/.curate_cache/.",
    no_args_is_help=True,
)


@dataclass(frozen=True)
class CacheLocation(OptionGroup):
    """Where the cache is: found as ``curate lint`` finds it, from the same settings."""

    where: Annotated[
        Path | None,
        typer.Argument(
            help="A path inside the site (default: the current folder).", show_default=False
        ),
    ] = None
    cache_dir: CacheDir = None
    root: Root = None
    config: Config = None

    def directory(self) -> Path:
        """The cache ``curate lint`` would use: the same settings, the same site root."""
        from curate.cache import cache_directory
        from curate.config import resolve_settings
        from curate.corpus import Site, find_site_root
        from curate.errors import UsageError

        if self.where is not None and not self.where.exists():
            raise UsageError(f"{shown_path(str(self.where))}: no such file or folder")
        settings = resolve_settings(
            {"cache_dir": self.cache_dir, "root": self.root}, config=self.config
        )
        start = self.where or settings.root or Path.cwd()
        site_root = settings.root or (find_site_root(start) if start.exists() else None)
        return Path(shown_path(str(cache_directory(settings, Site(site_root)))))


@cache_app.command()
@command
def clear(*, location: CacheLocation) -> int:
    """Delete the cache: the next run checks every file again."""
    from curate.cache import clear as clear_cache
    from curate.replay import clear as clear_replays

    directory = location.directory()
    removed = clear_cache(directory)
    removed = clear_replays(directory) or removed
    typer.echo(f"cleared {directory}" if removed else f"no cache in {directory}")
    return 0


@cache_app.command()
@command
def info(*, location: CacheLocation) -> int:
    """Show where the cache is and how much it holds."""
    from curate.cache import describe
    from curate.replay import describe as describe_replays

    directory = location.directory()
    typer.echo(describe(directory))
    replays = describe_replays(directory)
    if replays is not None:
        typer.echo(replays)
    return 0


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache", short_help="Inspect or clear the cache.")
