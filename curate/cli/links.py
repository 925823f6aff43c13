"""``curate links``: only the online checks: related links, images and logos over HTTP."""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from curate.cli.check import CodeOptions, OnlineOptions
from curate.cli.common import FindingFormat, Paths, SiteOptions, Statistics, command

if TYPE_CHECKING:
    from curate.config import Settings
    from curate.online import LinkResult


@command
def links(
    paths: Paths = None,
    output: FindingFormat = "table",
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict",
            help="Fail (exit 1) on unverified links (warnings) too.",
            show_default=False,
        ),
    ] = None,
    statistics: Statistics = False,
    *,
    codes: CodeOptions,
    site: SiteOptions,
    web: OnlineOptions,
) -> int:
    """Check over HTTP that related links, article images and provider logos still answer.

    The web part of 'curate lint --online', alone: WB001 broken (an error: exit 1),
    WB002 unverified (a warning: exit 1 only with --strict), WB003 not requested because
    the host is not a public address (info). Paths of the site itself (/assets/...) are
    not requested; ok answers are cached for --max-cache-age, failures never. Files that
    cannot be parsed are reported, since their links were not checked.
    """
    settings = web.extend(site.settings(**codes.overrides(), **web.overrides(), strict=strict))
    if not _names_only_known_codes(settings):
        from curate.cli.check import check_codes

        check_codes(settings)
    return report_links(paths, settings, output, statistics=statistics)


def _names_only_known_codes(settings: Settings) -> bool:
    """Every code the settings name is a WB or a file code (or ALL), known without
    importing every rule module, as checking the others does (curate.rules.check_codes)."""
    from curate.codes import BUILTIN_CODES
    from curate.rules.online import ONLINE_CODES

    named = (*settings.select, *settings.ignore, *settings.extend_select)
    named += tuple(code for _, codes in settings.per_file_ignores for code in codes)
    known = (*ONLINE_CODES, *(doc.code for doc in BUILTIN_CODES))
    return all(
        pattern.upper() == "ALL" or any(code.startswith(pattern) for code in known)
        for pattern in named
    )


def report_links(
    paths: Sequence[Path] | None,
    settings: Settings,
    output: str,
    *,
    statistics: bool = False,
) -> int:
    from curate.cli.check import (
        HUMAN_FORMATS,
        check_online_settings,
        exit_code,
        files_checked,
        offline_warning,
    )
    from curate.cli.common import shown, targets, warn
    from curate.engine import check_links, prepare
    from curate.model import Diagnostic
    from curate.policy import Policy

    check_online_settings(settings)
    chosen = targets(paths, settings)
    site, files, missing = prepare(chosen, settings)
    # What reporting needs is imported while the requests wait for their answers.
    importing = _Importer(_reporting(output))
    try:
        collected, report = check_links(files, site, settings, importing.progress)
    finally:
        importing.join()
    # The decision `lint --online` makes too: the WB findings were chosen by the same
    # Policy while the files were read (curate.links), before any request.
    policy = Policy.from_settings(settings, site.root)
    unchecked = [d for d in (*missing, *collected.unreadable) if policy.reports(d)]
    diagnostics = sorted([*unchecked, *report.diagnostics], key=Diagnostic.sort_key)
    from curate.reporting import REPORTERS, Summary

    notes = offline_warning(report, (report.note(),))
    if not files and not diagnostics:
        if output not in HUMAN_FORMATS:  # a program still gets a document it can parse
            REPORTERS[output]([], Summary("links", 0, statistics, notes), sys.stdout)
        warn(f"no article files found in {', '.join(map(str, chosen))}")
        return 0
    summary = Summary("links", files_checked(files, diagnostics), statistics, notes)
    REPORTERS[output](shown(diagnostics), summary, sys.stdout)
    return exit_code(diagnostics, settings, lint=True)


class _Importer:
    """Imports modules in a thread once the links are read, as the progress bar opens.

    From then on the main thread mostly waits for answers; the imports (Rich for a table:
    about 30 ms) are done by the time the last one comes, instead of after it.
    """

    def __init__(self, modules: Sequence[str]) -> None:
        self._modules = modules
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def progress(self, total: int) -> Iterator[Callable[[LinkResult], None]]:
        from curate.reporting.progress import link_progress

        self._thread = threading.Thread(target=self._run, name="curate-imports", daemon=True)
        self._thread.start()
        with link_progress(total) as advance:
            yield advance

    def _run(self) -> None:
        for name in self._modules:
            # The main thread imports it again, and says what went wrong, if anything did.
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()


def _reporting(output: str) -> tuple[str, ...]:
    """The modules that reporting in ``output`` imports."""
    modules = ("curate.reporting", "curate.codes")
    return (*modules, "curate.reporting.table") if output == "table" else modules


def register(app: typer.Typer) -> None:
    app.command(short_help="Check related links, images and logos over HTTP.")(links)
