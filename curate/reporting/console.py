"""The one place a Rich Console is configured."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from rich.console import Console

#: Width for output that goes to a file or a pipe, where there is no terminal to ask.
PIPE_WIDTH = 120


def make_console(out: TextIO | None = None, *, stderr: bool = False) -> Console:
    """A console that colours only a terminal and honours NO_COLOR."""
    stream = out or (sys.stderr if stderr else sys.stdout)
    is_tty = hasattr(stream, "isatty") and stream.isatty()
    no_color = "NO_COLOR" in os.environ
    width = None if is_tty or "COLUMNS" in os.environ else PIPE_WIDTH
    return Console(
        file=stream,
        width=width,
        no_color=no_color,
        color_system="auto" if is_tty and not no_color else None,
        highlight=False,
        soft_wrap=False,
    )
