"""The checking pipeline: find files, check each (in parallel when it pays), then the corpus.

:func:`run` is the one entry the commands call: ``run(paths, settings, lint=...,
online=...) -> RunResult``. Per-file work (parse, schema, article rules, index
record) happens in :class:`FileChecker`, in a process pool for large runs; its results
are plain frozen values, which the cache stores. Cross-article rules run afterwards
on the index of the site; the online checks last. Whether a finding is reported is
decided by one :class:`~curate.policy.Policy`.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curate import inputs
from curate.cache import (
    CacheUnavailable,
    CorpusEntry,
    Provenance,
    Store,
    cache_factory,
    digest_bytes,
    encode_row,
)
from curate.corpus import (
    ArticleRecord,
    CorpusIndex,
    Site,
    find_site_root,
    load_site,
    post_name,
)
from curate.globs import Globs
from curate.jekyll import destination
from curate.loading import (
    MAX_FILE_BYTES,
    LoadResult,
    collect_paths,
    iter_article_files,
    load_file,
    load_text,
    locate_file,
    read_regular_file,
)
from curate.lookups import LINKED_SLUG, OUTPUT_FILE, URL_KEY
from curate.lookups import PROVIDER as PROVIDER_KEY
from curate.lookups import key as lookup_key
from curate.model import Article, Diagnostic, FileReport, Severity, Span
from curate.policy import Policy, relative_to_root
from curate.rules import (
    LINKED_BY,
    OUTPUT_URL,
    POST_NAME,
    PROVIDER,
    RELATED_TARGET,
    URL,
    Finding,
    Rule,
    lend_fixes,
    placed_diagnostic,
)
from curate.rules.related import page_key, page_slug
from curate.rules.taxonomy import provider_key
from curate.schema import ArticleValidator, check_schema, load_schema, schema_fingerprint

if TYPE_CHECKING:
    from curate.config import Settings
    from curate.links import CollectedLinks, LinkReport
    from curate.online import LinkResult

__all__ = [
    "PARALLEL_THRESHOLD",
    "FileChecker",
    "FileReport",
    "RunResult",
    "check_links",
    "prepare",
    "run",
    "run_checks",
]

#: Below this many files a process pool costs more than it saves. Measured on 2 cores
#: shared with other work (load average 3-4): at 1,000 articles the pool and one process
#: took the same wall time (1.0-1.8 s) and the pool 0.1 s more CPU; at 10,000 the pool
#: saved a fifth of the wall time. On idle cores the pool pays from a few hundred.
PARALLEL_THRESHOLD = 1000

#: Results written to the cache per transaction.
_PUT_BATCH = 2000

#: A cache opener: ``(site, fingerprint) -> Store``, raising CacheUnavailable.
CacheFactory = Callable[[Site, str], Store]
#: ``link_progress(total)`` gives a context with a callback per checked URL.
LinkProgress = Callable[[int], AbstractContextManager[Callable[["LinkResult"], None]]]


@dataclass(frozen=True)
class CheckOptions:
    """What a worker needs to check a file; sent once to each worker process."""

    schema: dict[str, Any]
    site: Site
    policy: Policy
    lint: bool
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
    #: The reported files whose cross-article findings were found again (not remembered).
    corpus_checked: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    #: Said once to the user on stderr (e.g. why the run is not cached).
    warnings: list[str] = field(default_factory=list)
    #: The online checks, when asked for.
    links: LinkReport | None = None
    collected: CollectedLinks | None = None

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity is severity)


Checked = tuple[FileReport, Provenance]


class FileChecker:
    """The per-file check: one compiled validator and the selected rules, built once.

    The engine's workers, the fixer (which checks a fixed text again) and the language
    server (which checks an unsaved buffer) all use it, so they report alike.
    """

    def __init__(self, options: CheckOptions, *, encode: bool = False) -> None:
        self.options = options
        #: The results go to the cache: hash the bytes of each file, and encode each result
        #: as the cache stores it (``Provenance.row``) where it is checked, so a pool's
        #: workers do that work, not the parent. Without it ``Provenance.digest`` is None.
        self.encode = encode
        self.validator = ArticleValidator(options.schema)
        self.validators: dict[str, ArticleValidator] = {}
        self.rules: list[Rule] = (
            [r for r in options.policy.rules() if r.check is not None] if options.lint else []
        )
        self._checks = [(rule, rule.check) for rule in self.rules if rule.check is not None]
        options.site.take_asset_reads()  # those of loading the site belong to no file

    def check(self, path: str) -> Checked:
        loaded, digest = _load(path) if self.encode else (_parse(path)[0], None)
        return self.check_loaded(path, loaded, digest)

    def check_loaded(self, path: str, loaded: LoadResult, digest: str | None) -> Checked:
        """Check a file already parsed (``curate lint --fix`` checks texts not yet written)."""
        diagnostics = list(loaded.diagnostics)
        article = loaded.article
        if article is None:
            return FileReport(path, tuple(diagnostics), None), Provenance(digest)
        site = self.options.site
        # Only rules and index records read the output URL; a plain validate skips it.
        article = site.apply_defaults(article, with_url=self.options.lint or self.options.records)
        own_schema = site.schema_for(article)
        if own_schema is not None:  # a person, a course...: its schema, no article rules
            diagnostics.extend(self._validator(own_schema).validate(article))
            return _document_report(path, article, diagnostics, digest, site)
        schema_errors = list(self.validator.validate(article))
        diagnostics.extend(schema_errors)
        # One finding per value: rules say nothing more about a value the schema rejected.
        rejected = self.options.policy.rejected_by_schema(schema_errors)
        lent: list[Finding] = []
        for rule, check in self._checks:
            try:  # as _guarded does, without a closure per rule and file
                findings = list(check(article, site))
            except Exception as error:
                findings = [Finding((), f"internal error in rule {rule.code}: {error!r}")]
            if not findings:
                continue
            lent.extend(f for f in findings if f.pointer in rejected)
            diagnostics.extend(
                to_diagnostic(article, rule, finding)
                for finding in findings
                if finding.pointer not in rejected
            )
        if lent:
            diagnostics = lend_fixes(diagnostics, lent)
        diagnostics = site.relocate_defaults(article, diagnostics)
        suppressions = article.suppressions
        kept = tuple(
            d for d in diagnostics if suppressions is None or not suppressions.suppresses(d)
        )
        record = (
            ArticleRecord.from_article(article, valid=not schema_errors)
            if self.options.records
            else None
        )
        report = FileReport(path, kept, record, suppressions or None)
        return report, Provenance(digest, site.take_asset_reads())

    def index(self, path: str) -> Checked:
        loaded, digest = _load(path) if self.encode else (_parse(path)[0], None)
        if loaded.article is None:
            return FileReport(path, (), None, complete=False), Provenance(digest)
        site = self.options.site
        article = site.apply_defaults(loaded.article)
        valid = self.validator.is_valid(article.data)
        record = ArticleRecord.from_article(article, valid=valid)
        report = FileReport(path, (), record, complete=False)
        return report, Provenance(digest, site.take_asset_reads())

    def run(self, job: tuple[str, bool]) -> Checked:
        path, full = job
        checked = self.check(path) if full else self.index(path)
        if self.encode and checked[1].digest is not None:  # else it is not stored
            report, provenance = checked
            row = encode_row(report, provenance)
            if row is not None:
                return report, provenance._replace(row=row)
        return checked

    def _validator(self, schema: str) -> ArticleValidator:
        validator = self.validators.get(schema)
        if validator is None:
            validator = self.validators[schema] = ArticleValidator(
                self.options.site.schemas[schema]
            )
        return validator


def _document_report(
    path: str, article: Article, diagnostics: list[Diagnostic], digest: str | None, site: Site
) -> Checked:
    """The report of a document that is not an article: no index record."""
    diagnostics = site.relocate_defaults(article, diagnostics)
    suppressions = article.suppressions
    kept = tuple(d for d in diagnostics if suppressions is None or not suppressions.suppresses(d))
    return FileReport(path, kept, None, suppressions or None), Provenance(
        digest, site.take_asset_reads()
    )


def _guarded(rule: Rule, check: Callable[[], Iterator[Finding]]) -> list[Finding]:
    """A rule's findings; a bug in the rule is a finding, never the end of the run."""
    try:
        return list(check())
    except Exception as error:
        return [Finding((), f"internal error in rule {rule.code}: {error!r}")]


def _load(path: str) -> tuple[LoadResult, str | None]:
    """Parse ``path``, with the hash of exactly the bytes parsed (None: not cacheable)."""
    loaded, raw = _parse(path)
    return loaded, None if raw is None else digest_bytes(raw)


def _parse(path: str) -> tuple[LoadResult, bytes | None]:
    """Parse ``path``, with the bytes parsed (None: the file was not read here).

    Anything but a readable regular file of a sane size is left to :func:`load_file`,
    which says what is wrong with it.
    """
    try:  # checked before opening: a device or a FIFO is never opened
        raw = read_regular_file(path)
    except OSError:
        return load_file(path), None
    if len(raw) > MAX_FILE_BYTES:
        return load_file(path), None
    return load_text(path, raw), raw


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
        rule.message_for(finding),
        rule.name,
        finding.pointer,
        location.end_line,
        location.end_column,
        finding.fix,
    )


# -- the process pool ------------------------------------------------------------------

_WORKER: FileChecker | None = None


def _init_worker(options: CheckOptions | None, parent: int, encode: bool) -> None:
    global _WORKER
    # Ctrl-C is the parent's to handle: it stops the pool; a worker only stops with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    if options is not None:  # spawned: nothing inherited, so the checker is built here
        _WORKER = FileChecker(options, encode=encode)


def _die_with_parent(parent: int) -> None:
    """End this worker when the parent process ends, even by ``kill -9``."""
    if hasattr(os, "getppid"):
        try:  # Linux: the kernel sends the signal the moment the parent dies
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def watch() -> None:  # everywhere else (and if the parent died before prctl)
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="curate-parent-watch", daemon=True).start()


def _work(jobs: Sequence[tuple[str, bool]]) -> list[Checked]:
    assert _WORKER is not None
    return [_WORKER.run(job) for job in jobs]


def _run_jobs(
    jobs: Sequence[tuple[str, bool]],
    options: CheckOptions,
    workers: int,
    threshold: int,
    *,
    encode: bool = False,
) -> Iterator[Checked]:
    """Check ``jobs``: in this process, or in a pool of ``workers`` when there are enough.

    Results are yielded as they arrive, in order: the caller stores them while the
    workers go on, and never holds every encoded row of a large site at once. The
    checker (the compiled schema, the selected rules) is built here, before the pool
    forks: the workers inherit it instead of each building their own.
    """
    if not jobs:
        return
    global _WORKER
    checker = FileChecker(options, encode=encode)
    if workers <= 1 or len(jobs) < threshold:
        for job in jobs:
            yield checker.run(job)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    forked = "fork" in multiprocessing.get_all_start_methods()
    # A few large chunks per worker: each result crosses the pipe once per chunk, and
    # the last chunks are small enough that no worker waits long for another.
    batches = _batches(jobs, workers)
    workers = min(workers, len(batches))
    _WORKER = checker if forked else None
    # The workers share the parent's objects until they write to them: the collector of
    # each would visit (and so copy) every page of them; frozen, it leaves them alone.
    gc.freeze()
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork" if forked else "spawn"),
        initializer=_init_worker,
        initargs=(None if forked else options, os.getpid(), encode),
    )
    try:
        for batch in pool.map(_work, batches):
            yield from batch
    except BaseException:
        # Ctrl-C or a failure (here or in the caller): stop now, not after the queued chunks.
        _stop(pool)
        raise
    finally:
        _WORKER = None
        gc.unfreeze()
    pool.shutdown()


def _batches(jobs: Sequence[tuple[str, bool]], workers: int) -> list[Sequence[tuple[str, bool]]]:
    """``jobs`` in chunks: about eight per worker, at least 16 jobs each."""
    size = max(16, len(jobs) // (workers * 8))
    return [jobs[start : start + size] for start in range(0, len(jobs), size)]


def _stop(pool: Any) -> None:
    # Kill the workers first, then wait for the pool's own thread to see them gone: a pool
    # left shutting down races the interpreter's exit hook (a "Bad file descriptor" traceback).
    workers = list((getattr(pool, "_processes", None) or {}).values())
    for process in workers:
        process.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def _workers(settings: Settings) -> int:
    """Worker processes: ``jobs`` (default: one per CPU), never more than the CPUs."""
    cpus = os.cpu_count() or 1
    return max(1, min(settings.jobs or cpus, cpus))


# -- the run ---------------------------------------------------------------------------


def prepare(paths: Sequence[Path], settings: Settings) -> tuple[Site, list[str], list[Diagnostic]]:
    """The site around ``paths`` and the article files to report on."""
    start = paths[0] if paths else Path.cwd()
    root = settings.root or (find_site_root(start) if start.exists() else None)
    site = load_site(root, settings)
    files, missing = collect_paths(paths, (*settings.exclude, *site.exclude), root, site.is_checked)
    if settings.include:
        base = None if root is None else str(root.resolve())
        included = Globs(settings.include)
        files = [f for f in files if included.matches(relative_to_root(f, base))]
    return site, files, missing


def run(
    paths: Sequence[Path],
    settings: Settings,
    *,
    lint: bool,
    online: bool = False,
    need_records: bool = False,
    link_progress: LinkProgress | None = None,
    parallel_threshold: int | None = None,
) -> RunResult:
    """Check ``paths`` (files and folders) as ``settings`` say: the one core entry.

    ``lint`` adds the rules to the schema; ``online`` the HTTP checks of the
    articles' links (``curate lint --online``). The cache is used unless the
    settings say ``cache = false``. ``need_records`` asks for every report's index
    record (rank, stats); otherwise a warm lint may leave them undecoded.
    """
    result = run_checks(
        paths,
        settings,
        lint=lint,
        cache_factory=cache_factory(settings),
        need_records=need_records,
        parallel_threshold=parallel_threshold,
    )
    if online:
        _run_online(result, settings, link_progress)
    return result


def _run_online(result: RunResult, settings: Settings, progress: LinkProgress | None) -> None:
    collected, report = check_links(result.files, result.site, settings, progress)
    result.collected = collected
    result.links = report
    result.diagnostics = sorted([*result.diagnostics, *report.diagnostics], key=Diagnostic.sort_key)
    result.extra["notes"] = (*result.extra.get("notes", ()), report.note())


def check_links(
    files: Sequence[str], site: Site, settings: Settings, progress: LinkProgress | None = None
) -> tuple[CollectedLinks, LinkReport]:
    """Check the URLs of ``files`` over HTTP (``lint --online``, ``curate links``).

    Requests start while the files are still being read (:func:`curate.links.check_files`).
    """
    from curate.links import check_files, online_options, open_link_cache

    options = online_options(settings)
    cache = open_link_cache(settings, site)
    try:
        return check_files(
            files,
            site,
            settings,
            options,
            cache=cache,
            max_cache_age=settings.max_cache_age,
            progress=progress,
        )
    finally:
        if cache is not None:
            cache.close()


def run_checks(
    paths: Sequence[Path],
    settings: Settings,
    *,
    lint: bool,
    cache_factory: CacheFactory | None = None,
    need_records: bool = True,
    parallel_threshold: int | None = None,
) -> RunResult:
    """Check ``paths`` (files and folders) and return every diagnostic, sorted.

    The offline part of :func:`run`, with the cache given by the caller. With
    ``need_records=False`` the reports may come without their index records,
    which makes a warm validate or lint cheaper.
    """
    schema = load_schema(settings.schema)
    site, files, missing = prepare(paths, settings)
    policy = Policy.from_settings(settings, site.root)
    with_records = need_records or lint
    options = CheckOptions(schema, site, policy, lint, with_records)
    corpus_rules = [r for r in policy.rules() if r.check_corpus is not None] if lint else []

    reported = files
    index_only: list[str] = []
    covers_site = site.root is not None and any(_contains(p, site.root) for p in paths)
    # A run over the whole site already holds every article (unless `include` narrows it).
    if corpus_rules and site.root is not None and not (covers_site and not settings.include):
        wanted = {os.path.abspath(path) for path in reported}
        exclude = (*settings.exclude, *site.exclude)
        top = os.fspath(site.root)
        # The walk joins names to the root: paths already absolute and normal if it is.
        normal = os.path.abspath(top) == top
        index_only = [
            path
            for path in iter_article_files(site.root, exclude, site.root, site.is_article)
            if (path if normal else os.path.abspath(path)) not in wanted
        ]

    # The current folder too: messages name other files (a default in _config.yml) as
    # display paths, relative to it.
    fingerprint = (
        f"{schema_fingerprint(schema)}|{settings.fingerprint()}|lint={lint}|records={with_records}"
        f"|{os.fsencode(os.getcwd()).hex()}"
    )
    warnings: list[str] = []
    cache: Store | None = None
    if cache_factory is not None:
        try:
            cache = cache_factory(site, fingerprint)
        except CacheUnavailable as error:
            if str(error):
                warnings.append(f"running without the cache: {error}")
    # Lint output needs no records; cross-article rules do, unless remembered findings serve.
    lazy = lint and not need_records and cache is not None
    # Cross-article findings remembered per file, unless a rule reads the whole index.
    per_file = (
        cache is not None
        and bool(corpus_rules)
        and all(r.looks_up is not None for r in corpus_rules)
    )
    threshold = PARALLEL_THRESHOLD if parallel_threshold is None else parallel_threshold
    stage = _Stage(options, cache, _workers(settings), threshold)
    try:
        jobs = [(p, True) for p in reported] + [(p, False) for p in index_only]
        if per_file:
            assert cache is not None
            cache.index_members([p for p, _ in jobs])
        cached = (
            cache.get(
                [p for p, _ in jobs],
                records=with_records,
                lazy=lazy,
                reported=set(reported) if index_only else None,
            )
            if cache is not None
            else {}
        )
        stage.by_path.update(cached)
        todo = [
            (path, full)
            for path, full in jobs
            if path not in cached or (full and not cached[path].complete)
        ]
        if todo and not cached:
            # A schema with cached results was checked by the run that stored them
            # (the cache is keyed by the schema): only a first run pays for the check.
            check_schema(schema)
        stage.check(todo)
        if per_file:
            assert cache is not None
            cache.sync_members()

        index = None
        corpus_found: list[Diagnostic] = []
        corpus_checked = 0
        if lint:
            corpus_found, index, corpus_checked = stage.corpus(
                reported, index_only, corpus_rules, settings, lazy=lazy, per_file=per_file
            )
        reports = [stage.by_path[p] for p in reported]
        diagnostics = list(missing)
        for report in reports:
            diagnostics.extend(report.diagnostics)
        diagnostics.extend(corpus_found)
        if lint and covers_site:
            diagnostics.extend(map(placed_diagnostic, site.problems))
    finally:
        if cache is not None:
            warnings.extend(cache.warnings)
            cache.close()
        # A replay needs a run that used its cache without a word (the words are output).
        inputs.note_cache(cache.path.parent if cache is not None and not warnings else None)
    diagnostics = [d for d in diagnostics if policy.reports(d)]
    diagnostics.sort(key=Diagnostic.sort_key)
    return RunResult(
        diagnostics,
        reported,
        reports,
        site,
        index,
        cache_hits=len(cached),
        corpus_checked=corpus_checked,
        warnings=list(dict.fromkeys(warnings)),
    )


def _contains(path: Path, root: Path) -> bool:
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return False
    return resolved.is_dir() and (resolved == root or resolved in root.parents)


def _clock_ns(settings: Settings) -> int:
    return int(settings.clock().timestamp() * 1_000_000_000)


class _Stage:
    """The reports of one run, completed from the cache or by checking."""

    def __init__(
        self, options: CheckOptions, cache: Store | None, workers: int, threshold: int
    ) -> None:
        self.options = options
        self.cache = cache
        self.workers = workers
        self.threshold = threshold
        self.by_path: dict[str, FileReport] = {}

    def check(self, jobs: Sequence[tuple[str, bool]]) -> None:
        cache = self.cache
        root = self.options.site.root
        by_path = self.by_path
        batch: list[Checked] = []
        # Stored in batches as they arrive: the encoded rows of a whole site are never
        # held at once.
        for checked in _run_jobs(
            jobs, self.options, self.workers, self.threshold, encode=cache is not None
        ):
            report, provenance = checked
            inputs.record_lookups(root, provenance.assets)  # what workers looked up
            by_path[report.path] = report
            if cache is not None:
                batch.append(checked)
                if len(batch) >= _PUT_BATCH:
                    cache.put(batch)
                    batch = []
        if cache is not None and batch:
            cache.put(batch)

    def decode(self, paths: Sequence[str], full: set[str]) -> None:
        """Decode the records of ``paths`` held back by a lazy lookup; check bad rows again."""
        if self.cache is None:
            return
        decoded, failed = self.cache.records([self.by_path[p] for p in paths])
        self.by_path.update((report.path, report) for report in decoded)
        self.check([(path, path in full) for path in failed])

    def corpus(
        self,
        reported: Sequence[str],
        index_only: Sequence[str],
        rules: Sequence[Rule],
        settings: Settings,
        *,
        lazy: bool,
        per_file: bool,
    ) -> tuple[list[Diagnostic], CorpusIndex | None, int]:
        """Cross-article findings of the reported files: remembered ones where they hold,
        else found on an index of the articles they can meet.

        Remembered findings are kept per file (``per_file``) and dropped by the cache
        when a row they may read changes (see :meth:`Store.put`). They serve a run at
        the same or a later clock; the rules that read the clock run again on the
        articles they fired on: their findings only disappear as time passes.
        """
        cache = self.cache
        site = self.options.site
        policy = self.options.policy
        clock = _clock_ns(settings)
        site.take_asset_reads()
        if not per_file or cache is None:
            if lazy:
                self.decode([*reported, *index_only], set(reported))
            records = (self.by_path[p].record for p in (*reported, *index_only))
            whole = CorpusIndex(r for r in records if r is not None)
            if cache is not None:
                cache.load_positions(reported)
            found: list[Diagnostic] = []
            positions_of: dict[str, dict[str, Span]] = {}
            for path in reported:
                diagnostics, _, positions = _corpus_of(
                    self.by_path[path], whole, site, rules, policy, cache
                )
                found.extend(diagnostics)
                if positions is not None:
                    positions_of[path] = positions
            if cache is not None and positions_of:
                cache.put_positions(positions_of)
            return found, whole, len(reported)

        remembered = cache.corpus(reported)
        clock_rules = [rule for rule in rules if rule.clock]
        # A clock rule that looks nothing up runs again on its own record.
        alone = all(rule.looks_up == frozenset() for rule in clock_rules)
        stale: list[str] = []
        again: list[str] = []
        found = []
        for path in reported:
            entry = remembered.get(path)
            if entry is None or entry.clock_ns > clock or (entry.clocked and not alone):
                stale.append(path)
                continue
            found.extend(entry.findings)
            if entry.clocked:
                again.append(path)
        if again:
            self.decode(again, set(reported))
            nothing = CorpusIndex(())
            for path in again:
                report = self.by_path[path]
                found.extend(_corpus_of(report, nothing, site, clock_rules, policy, cache)[0])
        index: CorpusIndex | None = None
        if stale or not lazy:
            members = [*reported, *index_only]
            if not lazy or len(stale) * 8 > len(members):
                self.decode(members, set(reported))
                near: Sequence[str] = members
            else:
                stale_set = set(stale)
                self.decode(stale, set(reported))
                others = [p for p in members if p not in stale_set]
                full = set(reported)
                near = [*stale, *_related_to(stale, others, self, cache, rules, site, full)]
            records = (self.by_path[p].record for p in near)
            index = CorpusIndex(r for r in records if r is not None)
        if stale:
            assert index is not None
            cache.load_positions(stale)
            learned: dict[str, dict[str, Span]] = {}
            fresh: dict[str, CorpusEntry] = {}
            for path in stale:
                report = self.by_path[path]
                diagnostics, fired, positions = _corpus_of(
                    report, index, site, rules, policy, cache
                )
                found.extend(diagnostics)
                if positions is not None:
                    learned[path] = positions
                if site.take_asset_reads():
                    continue  # a rule read a site file: found again next time
                clock_codes = {rule.code for rule in clock_rules}
                kept = tuple(d for d in diagnostics if d.code not in clock_codes)
                fresh[path] = CorpusEntry(kept, fired, clock)
            if learned:
                cache.put_positions(learned)
            cache.put_corpus(fresh)
        return found, None if lazy else index, len(stale)


def _related_to(
    reported: Sequence[str],
    index_only: Sequence[str],
    stage: _Stage,
    cache: Store,
    rules: Sequence[Rule],
    site: Site,
    full: set[str],
) -> list[str]:
    """The site's other articles that the reported ones can meet in cross-article rules.

    Derived from what each rule declares it looks up (``Rule.looks_up``): linting a
    few files of a large site (pre-commit) then decodes only the articles that share
    a URL, a related link, a post name, an output file, a provider or a linked page
    with them. A rule that declares nothing gets the whole index. Decodes what it
    returns.
    """
    lookups: set[str] = set()
    for rule in rules:
        if rule.looks_up is None:
            stage.decode(index_only, full)
            return list(index_only)
        lookups |= rule.looks_up
    by_path = stage.by_path
    keys: set[str] = set()
    slugs: set[str] = set()
    for path in reported:
        record = by_path[path].record
        if record is None:
            continue
        if URL in lookups:
            keys.update(lookup_key(URL_KEY, key) for key in record.url_keys)
        if RELATED_TARGET in lookups:
            keys.update(lookup_key(URL_KEY, ref.key) for ref in record.related if ref.key)
        if OUTPUT_URL in lookups and record.output_url is not None:
            keys.add(lookup_key(OUTPUT_FILE, destination(record.output_url)))
        if PROVIDER in lookups:
            provider = provider_key(record.provider_domain, record.provider_name)
            if provider is not None:
                keys.add(lookup_key(PROVIDER_KEY, provider))
        if LINKED_BY in lookups and (page := page_key(record, site)) is not None:
            slugs.add(page_slug(page))
    keys.update(lookup_key(LINKED_SLUG, slug) for slug in slugs)
    names = (
        {name[1] for name in map(post_name, reported) if name is not None}
        if POST_NAME in lookups
        else set()
    )

    def reachable(hits: set[str]) -> list[str]:
        return [
            path
            for path in index_only
            if path in hits
            or by_path[path].record is not None  # checked in this run: already at hand
            or (names and (name := post_name(path)) is not None and name[1] in names)
        ]

    found = reachable(set(cache.sharing(index_only, keys)))
    stage.decode(found, full)
    if not slugs:
        return found
    # Whether a linked page still exists: the articles at the URLs the linkers link to.
    linked = {
        lookup_key(URL_KEY, ref.key)
        for path in found
        if (record := by_path[path].record) is not None
        for ref in record.related
        if ref.key and page_slug(ref.key) in slugs
    }
    more = reachable(set(cache.sharing(index_only, linked)))
    stage.decode(more, full)
    return more


def position_key(finding: Finding) -> str:
    """How a finding's position is remembered in the cache."""
    steps = "/".join(f"#{step}" if isinstance(step, int) else step for step in finding.pointer)
    return ("k:" if finding.at_key else "v:") + steps


def _corpus_of(
    report: FileReport,
    index: CorpusIndex,
    site: Site,
    rules: Sequence[Rule],
    policy: Policy,
    cache: Store | None,
) -> tuple[list[Diagnostic], bool, dict[str, Span] | None]:
    """Run cross-article rules on one report's record against ``index``.

    Returns its findings, whether a rule that reads the clock fired, and the positions
    learned (None: all were known). Findings need positions: a file with findings is
    parsed again, once; the positions are then kept in the cache, and a warm run
    parses nothing.
    """
    diagnostics: list[Diagnostic] = []
    record = report.record
    if record is None:
        return diagnostics, False, None
    known = cache.positions(report.path) if cache is not None else {}
    learned: dict[str, Span] | None = None
    article: Article | None = None  # parsed for positions at most once, then dropped
    fired = False
    for rule in rules:
        check = rule.check_corpus
        assert check is not None
        findings = _guarded(rule, lambda: check(record, index, site))  # noqa: B023
        fired = fired or (rule.clock and bool(findings))
        for finding in findings:
            key = position_key(finding)
            position = known.get(key)
            if position is None:
                if article is None:
                    article = Article(report.path, {}, locate_file(report.path))
                diagnostic = to_diagnostic(article, rule, finding)
                if learned is None:
                    learned = dict(known)
                learned[key] = (
                    diagnostic.line,
                    diagnostic.column,
                    diagnostic.end_line,
                    diagnostic.end_column,
                )
            else:
                diagnostic = Diagnostic(
                    report.path,
                    position[0],
                    position[1],
                    rule.code,
                    rule.severity,
                    rule.message_for(finding),
                    rule.name,
                    finding.pointer,
                    position[2],
                    position[3],
                    finding.fix,
                )
            if policy.reports(diagnostic, report.suppressions):
                diagnostics.append(diagnostic)
    if fired:
        inputs.note_clock_finding()
    return diagnostics, fired, learned
