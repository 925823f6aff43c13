"""The root Typer app; every command module adds itself here."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from curate.__about__ import __version__

app = typer.Typer(
    name="curate",
    help="Validate, lint, rank and filter the front matter of a Jekyll news site.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"curate {__version__}")
        raise typer.Exit()


@app.callback()
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


#: Command modules of curate.cli, in the order --help lists them; each has register(app).
COMMANDS = ("validate", "lint", "links", "rank", "listing", "stats", "rules", "cache_cmd")

for _name in COMMANDS:
    try:
        _module = importlib.import_module(f"curate.cli.{_name}")
    except ModuleNotFoundError as error:
        if error.name != f"curate.cli.{_name}":
            raise
        continue
    _module.register(app)
