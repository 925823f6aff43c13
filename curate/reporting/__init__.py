"""Reporters: one per output format, all behind the same signature.

``REPORTERS[name](diagnostics, summary, out)`` writes the findings of a run.
Only :mod:`curate.reporting.table` imports Rich, and only when it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TextIO

from curate.model import Diagnostic
from curate.reporting.machine import (
    Summary,
    write_concise,
    write_github,
    write_json,
    write_sarif,
)


def write_table(diagnostics: Sequence[Diagnostic], summary: Summary, out: TextIO) -> None:
    from curate.reporting.table import write_table as write

    write(diagnostics, summary, out)


Reporter = Callable[[Sequence[Diagnostic], Summary, TextIO], None]

REPORTERS: dict[str, Reporter] = {
    "table": write_table,
    "concise": write_concise,
    "json": write_json,
    "github": write_github,
    "sarif": write_sarif,
}

__all__ = ["REPORTERS", "Reporter", "Summary"]
