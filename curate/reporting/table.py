"""The human reporter: a Rich table of findings and a one-line summary."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import TextIO

from rich.table import Table
from rich.text import Text

from curate.model import Diagnostic, Severity
from curate.reporting.console import make_console
from curate.reporting.machine import Summary, statistics

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def write_table(diagnostics: Sequence[Diagnostic], summary: Summary, out: TextIO) -> None:
    console = make_console(out)
    for path, group in groupby(diagnostics, key=lambda d: d.path):
        # One table per file, under its path: long paths never squeeze the messages.
        console.print(Text(path, style="bold magenta"), soft_wrap=True)
        table = Table(show_header=False, box=None, pad_edge=False, padding=(0, 1))
        table.add_column("Line:Col", justify="right", no_wrap=True, width=9)
        table.add_column("Code", no_wrap=True, width=6)
        table.add_column("Severity", no_wrap=True, width=8)
        table.add_column("Message", overflow="fold", ratio=1)
        for d in group:
            table.add_row(
                f"{d.line}:{d.column}",
                Text(d.code, style="bold"),
                Text(d.severity.value, style=SEVERITY_STYLE[d.severity]),
                d.message,
            )
        console.print(table)
        console.print()
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
    for note in summary.notes:
        console.print(Text(note, style="dim"))


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
