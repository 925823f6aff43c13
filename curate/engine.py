"""The checking pipeline: find files, check each (in parallel when it pays), then the corpus.

``run_checks`` is what ``curate validate`` and ``curate lint`` call. Per-file work
(parse, schema, article rules, index record) happens in :func:`check_file`, in a
process pool for large runs; its results are plain frozen values, which the
cache stores. Cross-article rules run afterwards on the index of the whole site.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from curate.corpus import (
    ArticleRecord,
    CorpusIndex,
    Site,
    find_site_root,
    load_site,
    post_name,
)
from curate.loading import (
    NO_SUPPRESSIONS,
    Suppressions,
    collect_paths,
    iter_article_files,
    load_file,
    locate_file,
)
from curate.model import Article, Diagnostic, Severity
from curate.rules import Finding, Rule, Selection, lend_fixes
from curate.schema import ArticleValidator, check_schema, load_schema, schema_fingerprint

if TYPE_CHECKING:
    from curate.config import Settings

#: Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 400


@dataclass(frozen=True, slots=True)
class FileReport:
    """The result of checking one file: what the cache stores and the index reads."""

    path: str
    diagnostics: tuple[Diagnostic, ...]
    record: ArticleRecord | None
    suppressions: Suppressions = NO_SUPPRESSIONS
    #: False for a file only indexed for cross-article rules: its diagnostics are unknown.
    complete: bool = True
    #: Positions already resolved for cross-article findings, by :func:`position_key`.
    positions: Mapping[str, tuple[int, int]] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class CheckOptions:
    """What a worker needs to check a file; sent once to each worker process."""

    schema: dict[str, Any]
    site: Site
    selection: Selection
    lint: bool
    settings: Settings
    #: Build index records (lint, rank, stats); a plain validate needs none.
    records: bool = True


@dataclass
class RunResult:
    """Everything a command renders after a run."""

    diagnostics: list[Diagnostic]
    files: list[str]
    reports: list[FileReport]
    site: Site
    index: CorpusIndex | None = None
    cache_hits: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity is severity)


class ReportCache(Protocol):
    """Per-file results kept between runs (see :mod:`curate.cache`)."""

    def lookup(
        self,
        paths: Sequence[str],
        *,
        records: bool = True,
        lazy: bool = False,
        reported: Collection[str] | None = None,
    ) -> dict[str, FileReport]: ...

    def store(self, reports: Sequence[FileReport]) -> None: ...

    def store_positions(self, positions: Mapping[str, Mapping[str, tuple[int, int]]]) -> None: ...

    def decode_records(self, reports: Sequence[FileReport]) -> list[FileReport]: ...

    def mentioning(self, paths: Sequence[str], needles: Iterable[str]) -> list[str]: ...

    def state(self, reported: Sequence[str], indexed: Sequence[str]) -> str | None: ...

    def get_memo(self, state: str) -> tuple[int, list[Diagnostic], list[FileReport]] | None: ...

    def put_memo(
        self,
        state: str,
        clock_ns: int,
        diagnostics: Sequence[Diagnostic],
        clocked: Sequence[FileReport],
    ) -> None: ...

    def close(self) -> None: ...


class _Checker:
    """The per-process state of checking: one compiled validator, the selected rules."""

    def __init__(self, options: CheckOptions) -> None:
        self.options = options
        self.validator = ArticleValidator(options.schema)
        self.rules: list[Rule] = (
            [r for r in options.selection.rules() if r.check is not None] if options.lint else []
        )

    def check(self, path: str) -> FileReport:
        loaded = load_file(path)
        diagnostics = list(loaded.diagnostics)
        article = loaded.article
        if article is None:
            return FileReport(path, tuple(diagnostics), None)
        schema_errors = list(self.validator.validate(article))
        diagnostics.extend(schema_errors)
        # One finding per value: rules say nothing more about a value the schema rejected.
        rejected = {d.pointer for d in schema_errors if self.options.selection.enabled(d.code)}
        lent: list[Finding] = []
        for rule in self.rules:
            assert rule.check is not None
            try:
                findings = list(rule.check(article, self.options.site))
            except Exception as error:  # a rule bug must not hide the other findings
                findings = [Finding((), f"internal error in rule {rule.code}: {error!r}")]
            lent.extend(f for f in findings if f.pointer in rejected)
            diagnostics.extend(
                to_diagnostic(article, rule, f) for f in findings if f.pointer not in rejected
            )
        if lent:
            diagnostics = lend_fixes(diagnostics, lent)
        suppressions = article.suppressions or NO_SUPPRESSIONS
        kept = tuple(d for d in diagnostics if not suppressions.suppresses(d))
        record = (
            ArticleRecord.from_article(article, valid=not schema_errors)
            if self.options.records
            else None
        )
        return FileReport(path, kept, record, suppressions)

    def index(self, path: str) -> FileReport:
        loaded = load_file(path)
        if loaded.article is None:
            return FileReport(path, (), None, complete=False)
        valid = self.validator.is_valid(loaded.article.data)
        record = ArticleRecord.from_article(loaded.article, valid=valid)
        return FileReport(path, (), record, complete=False)


def to_diagnostic(article: Article, rule: Rule, finding: Finding) -> Diagnostic:
    locator = article.locator
    if finding.at_key and locator is not None:
        location = locator.locate_key(finding.pointer)
    else:
        location = article.locate(finding.pointer)
    return Diagnostic(
        article.path,
        location.line,
        location.column,
        rule.code,
        rule.severity,
        finding.message,
        rule.name,
        finding.pointer,
        location.end_line,
        location.end_column,
        finding.fix,
    )


_WORKER: _Checker | None = None


def _init_worker(options: CheckOptions) -> None:
    global _WORKER
    _WORKER = _Checker(options)


def _work(job: tuple[str, bool]) -> FileReport:
    assert _WORKER is not None
    path, full = job
    return _WORKER.check(path) if full else _WORKER.index(path)


def _run_jobs(jobs: list[tuple[str, bool]], options: CheckOptions) -> list[FileReport]:
    workers = options.settings.jobs or (os.cpu_count() or 1)
    if workers <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        checker = _Checker(options)
        return [checker.check(path) if full else checker.index(path) for path, full in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    chunk = max(16, len(jobs) // (workers * 8))
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(options,),
    ) as pool:
        return list(pool.map(_work, jobs, chunksize=chunk))


def prepare(paths: Sequence[Path], settings: Settings) -> tuple[Site, list[str], list[Diagnostic]]:
    """The site around ``paths`` and the article files to report on."""
    start = paths[0] if paths else Path.cwd()
    root = settings.root or (find_site_root(start) if start.exists() else None)
    site = load_site(root, settings)
    files, missing = collect_paths(paths, (*settings.exclude, *site.exclude), root)
    if settings.include:
        files = [f for f in files if _matches_any(f, settings.include, root)]
    return site, files, missing


def _matches_any(path: str, patterns: Iterable[str], root: Path | None) -> bool:
    text = _relative(path, root)
    return any(fnmatch.fnmatch(text, pattern) for pattern in patterns)


def _relative(path: Path | str, root: Path | None) -> str:
    text = os.path.abspath(path)
    if root is not None:
        base = str(root.resolve())
        if text.startswith(base + os.sep):
            return Path(text[len(base) + 1 :]).as_posix()
    return Path(os.path.relpath(text)).as_posix()


def run_checks(
    paths: Sequence[Path],
    settings: Settings,
    *,
    lint: bool,
    cache_factory: Callable[[Site, str], ReportCache | None] | None = None,
    need_records: bool = True,
) -> RunResult:
    """Check ``paths`` (files and folders) and return every diagnostic, sorted.

    With ``need_records=False`` (and ``lint=False``) the reports may come without
    their index records, which makes a warm validate cheaper.
    """
    schema = load_schema(settings.schema)
    site, files, missing = prepare(paths, settings)
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    with_records = need_records or lint
    options = CheckOptions(schema, site, selection, lint, settings, with_records)
    corpus_rules = [r for r in selection.rules() if r.check_corpus is not None] if lint else []

    reported = files
    index_only: list[str] = []
    covers_site = site.root is not None and any(_contains(p, site.root) for p in paths)
    # A run over the whole site already holds every article (unless `include` narrows it).
    if corpus_rules and site.root is not None and not (covers_site and not settings.include):
        wanted = {os.path.abspath(path) for path in reported}
        exclude = (*settings.exclude, *site.exclude)
        index_only = [
            path
            for path in iter_article_files(site.root, exclude, site.root)
            if os.path.abspath(path) not in wanted
        ]

    fingerprint = (
        f"{schema_fingerprint(schema)}|{settings.fingerprint()}|lint={lint}|records={with_records}"
    )
    cache = cache_factory(site, fingerprint) if cache_factory else None
    jobs = [(p, True) for p in reported] + [(p, False) for p in index_only]
    # Lint output needs no records; cross-article rules do, unless remembered findings serve.
    lazy = lint and not need_records
    try:
        cached = (
            cache.lookup(
                [p for p, _ in jobs],
                records=with_records,
                lazy=lazy,
                reported=set(reported) if index_only else None,
            )
            if cache
            else {}
        )
        todo = [
            (path, full)
            for path, full in jobs
            if path not in cached or (full and not cached[path].complete)
        ]
        if todo and not cached:
            # A schema with cached results was checked by the run that stored them
            # (the cache is keyed by the schema): only a first run pays jsonschema's import.
            check_schema(schema)
        fresh = _run_jobs(todo, options) if todo else []
        if cache is not None and fresh:
            cache.store(fresh)
        by_path = {r.path: r for r in cached.values()}
        by_path.update({r.path: r for r in fresh})

        reports = [by_path[p] for p in reported]
        diagnostics = list(missing)
        for report in reports:
            diagnostics.extend(report.diagnostics)

        index = None
        if lint:
            found, index = _corpus_stage(
                reported, index_only, by_path, site, corpus_rules, settings, cache, lazy, not todo
            )
            diagnostics.extend(found)
            if covers_site:
                diagnostics.extend(site.problems)
    finally:
        if cache is not None:
            cache.close()
    diagnostics = [
        d
        for d in diagnostics
        if selection.enabled(d.code) and not ignored_for_file(d, settings, site.root)
    ]
    diagnostics.sort(key=Diagnostic.sort_key)
    return RunResult(diagnostics, reported, reports, site, index, cache_hits=len(cached))


def _contains(path: Path, root: Path) -> bool:
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return resolved.is_dir() and (resolved == root or resolved in root.parents)


def _clock_ns(settings: Settings) -> int:
    if settings.now is not None:
        return int(settings.now.timestamp() * 1_000_000_000)
    return time.time_ns()


def _corpus_stage(
    reported: Sequence[str],
    index_only: Sequence[str],
    by_path: dict[str, FileReport],
    site: Site,
    rules: Sequence[Rule],
    settings: Settings,
    cache: ReportCache | None,
    lazy: bool,
    unchanged: bool,
) -> tuple[list[Diagnostic], CorpusIndex | None]:
    """Cross-article findings: remembered ones while no file changed, else from the index.

    Remembered findings serve only a run in which every file's cached result held
    (``unchanged``: same stat signature, and same content where that was in doubt),
    over the same files, at the same or a later clock. The rules that read the clock
    run again on the articles they fired on: their findings only disappear as time passes.
    """
    clock = _clock_ns(settings)
    state = cache.state(reported, index_only) if cache is not None and lazy else None
    if state is not None and unchanged:
        assert cache is not None
        memo = cache.get_memo(state)
        if memo is not None and clock >= memo[0]:
            remembered, rerun = memo[1], memo[2]
            clock_rules = [rule for rule in rules if rule.clock]
            again = _corpus_diagnostics(rerun, CorpusIndex(()), site, clock_rules)
            return [*remembered, *again], None
    indexed = index_only
    if lazy and cache is not None:
        decoded = cache.decode_records([by_path[p] for p in reported])
        by_path.update((report.path, report) for report in decoded)
        if len(reported) < len(index_only):
            indexed = _related_to(reported, index_only, by_path, cache)
        decoded = cache.decode_records([by_path[p] for p in indexed])
        by_path.update((report.path, report) for report in decoded)
    reports = [by_path[p] for p in reported]
    records = (by_path[p].record for p in (*reported, *indexed))
    index = CorpusIndex(r for r in records if r is not None)
    clocked: list[FileReport] = []
    found = _corpus_diagnostics(reports, index, site, rules, cache, clocked)
    if state is not None:
        assert cache is not None
        clock_codes = {rule.code for rule in rules if rule.clock}
        kept = [d for d in found if d.code not in clock_codes]
        cache.put_memo(state, clock, kept, clocked)
    return found, index


def _related_to(
    reported: Sequence[str],
    index_only: Sequence[str],
    by_path: Mapping[str, FileReport],
    cache: ReportCache,
) -> list[str]:
    """The site's other articles that the reported ones can meet in cross-article rules.

    Those rules look articles up only by URL (RL*, DU001) or by post name (DU002), so
    linting a few files of a large site (pre-commit) decodes only the articles that
    share a URL or a post name with them, not the whole index.
    """
    needles: set[str] = set()
    for path in reported:
        record = by_path[path].record
        if record is not None:
            needles.update(record.url_keys)
            needles.update(ref.key for ref in record.related if ref.key)
    slugs = {name[1] for name in map(post_name, reported) if name is not None}
    hits = set(cache.mentioning(index_only, needles))
    return [
        path
        for path in index_only
        if path in hits
        or by_path[path].record is not None  # checked in this run: already at hand
        or ((name := post_name(path)) is not None and name[1] in slugs)
    ]


def position_key(finding: Finding) -> str:
    """How a finding's position is remembered in the cache."""
    steps = "/".join(f"#{step}" if isinstance(step, int) else step for step in finding.pointer)
    return ("k:" if finding.at_key else "v:") + steps


def _corpus_diagnostics(
    reports: Sequence[FileReport],
    index: CorpusIndex,
    site: Site,
    rules: Sequence[Rule],
    cache: ReportCache | None = None,
    clocked: list[FileReport] | None = None,
) -> list[Diagnostic]:
    """Run cross-article rules on the index.

    Their findings need positions, so a file with findings is parsed again, once;
    the positions are then kept in the cache, and a warm run parses nothing. The
    reports on which a clock rule fired are added to ``clocked``.
    """
    diagnostics: list[Diagnostic] = []
    learned: dict[str, dict[str, tuple[int, int]]] = {}
    fired: list[FileReport] = []
    for report in reports:
        if report.record is None:
            continue
        article: Article | None = None  # parsed for positions at most once, then dropped
        for rule in rules:
            assert rule.check_corpus is not None
            findings = list(rule.check_corpus(report.record, index, site))
            if rule.clock and findings and (not fired or fired[-1] is not report):
                fired.append(report)
            for finding in findings:
                key = position_key(finding)
                known = report.positions.get(key)
                if known is None:
                    if article is None:
                        article = Article(report.path, {}, locate_file(report.path))
                    diagnostic = to_diagnostic(article, rule, finding)
                    learned.setdefault(report.path, dict(report.positions))[key] = (
                        diagnostic.line,
                        diagnostic.column,
                    )
                else:
                    diagnostic = Diagnostic(
                        report.path,
                        known[0],
                        known[1],
                        rule.code,
                        rule.severity,
                        finding.message,
                        rule.name,
                        finding.pointer,
                        fix=finding.fix,
                    )
                if not report.suppressions.suppresses(diagnostic):
                    diagnostics.append(diagnostic)
    if cache is not None and learned:
        cache.store_positions(learned)
    if clocked is not None:
        clocked.extend(
            dataclasses.replace(report, positions=learned.get(report.path, report.positions))
            for report in fired
        )
    return diagnostics


def ignored_for_file(diagnostic: Diagnostic, settings: Settings, root: Path | None) -> bool:
    if not settings.per_file_ignores:
        return False
    relative = _relative(diagnostic.path, root)
    for pattern, codes in settings.per_file_ignores:
        if fnmatch.fnmatch(relative, pattern) and any(
            code.upper() == "ALL" or diagnostic.code.startswith(code) for code in codes
        ):
            return True
    return False
