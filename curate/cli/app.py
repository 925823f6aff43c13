"""The root Typer app; every command module adds itself here."""

from __future__ import annotations

from typing import Annotated

import typer

from curate.__about__ import __version__
from curate.cli import cache_cmd, links, lint, listing, lsp, rank, rules, stats, validate

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


# In the order --help lists them; each command module adds itself with register(app).
for module in (validate, lint, links, rank, listing, stats, rules, cache_cmd, lsp):
    module.register(app)
