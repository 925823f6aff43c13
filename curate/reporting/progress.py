"""The progress bar of the online checks: on stderr, and only when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curate.online import LinkResult


@contextmanager
def link_progress(total: int) -> Iterator[Callable[[LinkResult], None]]:
    """Show a bar of ``total`` URLs while the block runs; yields what to call per result.

    The bar is drawn on stderr so that stdout carries only the findings, and only when
    stderr is a terminal: in a pipe, a file or CI logs it would be noise. It is removed
    when the block ends; the summary says what was checked.
    """
    if total == 0 or not sys.stderr.isatty():
        yield _ignore
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from curate.reporting.console import make_console

    tally = {"broken": 0, "unverified": 0}
    progress = Progress(
        SpinnerColumn(),
        TextColumn("Checking links"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[tally]}"),
        TimeElapsedColumn(),
        console=make_console(stderr=True),
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with progress:
        task = progress.add_task("links", total=total, tally="")

        def advance(result: LinkResult) -> None:
            if result.outcome.value in tally:
                tally[result.outcome.value] += 1
            progress.update(task, advance=1, tally=_describe(tally))

        yield advance


def _describe(tally: dict[str, int]) -> str:
    styles = {"broken": "bold red", "unverified": "yellow"}
    return ", ".join(
        f"[{styles[outcome]}]{count} {outcome}[/]" for outcome, count in tally.items() if count
    )


def _ignore(result: LinkResult) -> None:
    """Nothing to show: no terminal, or nothing to check."""
