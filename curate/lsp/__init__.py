"""The language server (``curate lsp``): a thin adapter over :mod:`curate.session`.

Importing this package costs nothing; :func:`serve` imports pygls and lsprotocol,
so only ``curate lsp`` pays for them.
"""

from __future__ import annotations


def serve() -> int:
    """Speak the Language Server Protocol on stdin/stdout until the client says exit."""
    from curate.lsp.server import serve as run

    return run()
