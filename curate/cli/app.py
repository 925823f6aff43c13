"""The root Typer app, with the commands a run needs.

Only the module of the command being run is imported (``curate list`` never loads
the linter's rules, nor ``curate lint`` the ranking tables); ``--help`` imports them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from curate.__about__ import __version__

#: Command name -> module, in the order --help lists them; each module has register(app).
COMMANDS = {
    "validate": "curate.cli.validate",
    "lint": "curate.cli.lint",
    "links": "curate.cli.links",
    "rank": "curate.cli.rank",
    "list": "curate.cli.listing",
    "stats": "curate.cli.stats",
    "rules": "curate.cli.rules",
    "cache": "curate.cli.cache_cmd",
    "lsp": "curate.cli.lsp",
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"curate {__version__}")
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Validate, lint, rank and filter the front matter of a Jekyll news site.

    Exit codes: 0 nothing wrong, 1 findings, 2 usage or configuration error.
    """


def build_app(args: Sequence[str] = ()) -> typer.Typer:
    """The app with the command ``args`` names, or every command when it names none."""
    app = typer.Typer(
        name="curate",
        help="Validate, lint, rank and filter the front matter of a Jekyll news site.",
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
    )
    app.callback()(root)
    chosen = next((arg for arg in args if not arg.startswith("-")), None)
    names = [chosen] if chosen in COMMANDS else list(COMMANDS)
    for name in names:
        importlib.import_module(COMMANDS[name]).register(app)
    return app


def __getattr__(name: str) -> Any:
    """``app``: the app with every command (for tests and documentation tools)."""
    if name == "app":
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
