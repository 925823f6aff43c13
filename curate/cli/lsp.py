"""``curate lsp``: the language server, for editors (stdio)."""

from __future__ import annotations

import typer


def lsp() -> None:
    """Run the language server for editors (stdio).

    Diagnostics as you type, quick fixes, completion, hover and go-to-definition
    for the site's articles. Editors start it themselves; the README shows the
    configuration for Neovim, Helix, Zed, Emacs and VS Code.
    """
    from curate.lsp import serve

    raise typer.Exit(serve())


def register(app: typer.Typer) -> None:
    app.command()(lsp)
