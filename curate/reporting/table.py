"""The human reporter: findings grouped under each file, in aligned columns, and a summary.

The findings are laid out here rather than by rich.Table: a site can have tens of
thousands of them, and Rich's layout engine takes about a millisecond a row. Rich
still decides the width and whether to colour, and renders the styles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import groupby
from typing import TextIO

from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from curate.model import Diagnostic, Severity
from curate.reporting.console import make_console
from curate.reporting.escape import display_path, printable
from curate.reporting.machine import Summary, fix_mark, fixable_note, statistics

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_COLOR_SYSTEMS = {
    "standard": ColorSystem.STANDARD,
    "256": ColorSystem.EIGHT_BIT,
    "truecolor": ColorSystem.TRUECOLOR,
    "windows": ColorSystem.WINDOWS,
}
#: Width of "line:col", code and severity columns with their gaps.
_PREFIX = 9 + 2 + 6 + 1 + 8 + 2


def _painter(console: Console) -> Callable[[str, str], str]:
    """Style text as the console would: ANSI codes on a colour terminal, else nothing."""
    system = _COLOR_SYSTEMS.get(console.color_system or "")
    if system is None:
        return lambda text, style: text
    styles: dict[str, Style] = {}

    def paint(text: str, style: str) -> str:
        parsed = styles.get(style)
        if parsed is None:
            parsed = styles[style] = Style.parse(style)
        return parsed.render(text, color_system=system)

    return paint


def _wrap(text: str, width: int) -> list[str]:
    """Greedy wrapping at spaces; textwrap is slower.

    A word longer than the width (a URL) gets a line of its own, whole: a URL cut in
    two cannot be clicked or copied. No continuation line starts with ``:``, which a
    CI log could read as a workflow command (``::error``).
    """
    lines = []
    while len(text) > width:
        cut = text.rfind(" ", 0, width + 1)
        while cut > 0 and text[cut:].lstrip(" ").startswith(":"):
            cut = text.rfind(" ", 0, cut)
        if cut <= 0:
            cut = _next_break(text, width)
            if cut < 0:
                break
        lines.append(text[:cut])
        text = text[cut:].lstrip(" ")
    lines.append(text)
    return lines


def _next_break(text: str, start: int) -> int:
    """The first space at or after ``start`` where the rest does not start with ``:``."""
    cut = text.find(" ", start)
    while cut >= 0 and text[cut:].lstrip(" ").startswith(":"):
        cut = text.find(" ", cut + 1)
    return cut


def write_table(diagnostics: Sequence[Diagnostic], summary: Summary, out: TextIO) -> None:
    console = make_console(out)
    paint = _painter(console)
    width = max(30, console.width - _PREFIX)
    for path, group in groupby(diagnostics, key=lambda d: d.path):
        lines = [paint(display_path(path), "bold magenta")]
        for d in group:
            prefix = (
                f"{fix_mark(d)}{d.line}:{d.column}".rjust(9)
                + "  "
                + paint(d.code.ljust(6), "bold")
                + " "
                + paint(d.severity.value.ljust(8), SEVERITY_STYLE[d.severity])
                + "  "
            )
            message, *more = _wrap(printable(d.message), width)
            lines.append(prefix + message)
            lines.extend(" " * _PREFIX + line for line in more)
        out.write("\n".join(lines) + "\n\n")
    if summary.statistics and diagnostics:
        stats = Table(title="Findings per code", show_edge=False, header_style="bold")
        stats.add_column("Count", justify="right")
        stats.add_column("Code")
        stats.add_column("Name")
        stats.add_column("Severity")
        for (code, name, severity), count in statistics(diagnostics):
            stats.add_row(str(count), code, name, severity)
        console.print(stats)
    console.print(summary_line(diagnostics, summary))
    fixable = fixable_note(diagnostics)
    if fixable is not None:
        console.print(Text(fixable))
    for note in summary.notes:
        console.print(Text(printable(note), style="dim"))


def summary_line(diagnostics: Sequence[Diagnostic], summary: Summary) -> Text:
    counts = Summary.counts(diagnostics)
    files = f"{summary.files} file{'s' if summary.files != 1 else ''} checked"
    if not diagnostics:
        return Text.assemble(("✓ ", "bold green"), f"{files}, no problems found")
    parts = [
        (f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}", SEVERITY_STYLE[s])
        for s in Severity
        if counts[s]
    ]
    text = Text(f"{files}: ")
    for index, (label, style) in enumerate(parts):
        if index:
            text.append(", ")
        text.append(label, style=style)
    return text
