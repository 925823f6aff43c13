"""The online checks of a site: which URLs its articles link to, and what their answers mean.

``curate lint --online`` and ``curate links`` run three steps, the first two at once
(:func:`check_files`: the first request leaves as soon as the first URL is read):

1. :func:`collect_links` reads the article files and lists every URL to request with
   where it is written: each related entry's ``webUrl`` (its ``originalUrl`` when that is
   its only link) and every image of the article, of its provider (the logo) and of its
   related entries. URLs of the site itself (``/assets/...``, or under its ``url`` and
   ``baseurl``) are left to the offline rules, which look in the repository: the deployed
   site may not have a new article or picture yet. Positions are taken while the file is
   parsed, so no file is read twice.
2. :func:`check_collected` requests each distinct ``(url, kind)`` once with
   :func:`curate.online.check_links`, through a :class:`~curate.online.LinkCache`, and
   turns the answers into one positioned :class:`~curate.model.Diagnostic` per place the
   URL is written: WB001 broken, WB002 unverified, WB003 refused (a non-public address).
3. The caller reports those with the rest.

A URL excluded by a pattern, or whose findings are all suppressed or ignored where it is
written, is not requested at all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from curate.loading import load_file
from curate.model import Article, Diagnostic, Pointer
from curate.online import (
    IMAGE,
    NETWORK_UNAVAILABLE,
    PAGE,
    LinkCache,
    LinkResult,
    OnlineOptions,
    OnlineOptionsError,
    Outcome,
    Resolve,
    check_links,
    shorten,
)
from curate.rules import PlacedFinding, Selection, placed_diagnostic
from curate.rules._common import images, related_entries, text
from curate.rules.online import CODE_OF_OUTCOME, ONLINE_CODES

if TYPE_CHECKING:
    import httpx

    from curate.cache import Store
    from curate.config import Settings
    from curate.corpus import Site

__all__ = [
    "CollectedLinks",
    "LinkOccurrence",
    "LinkReport",
    "StoreLinkCache",
    "check_collected",
    "check_files",
    "collect_links",
    "link_occurrences",
    "online_options",
    "open_link_cache",
]

_HTTP_URL = re.compile(r"https?://", re.IGNORECASE)
_DEFAULTS = OnlineOptions()


@dataclass(frozen=True, slots=True)
class LinkOccurrence:
    """One place an article writes a URL to check, and the codes it may be reported with.

    ``codes`` are the online codes that are selected and not suppressed or ignored at
    this place; ``url`` is the value without surrounding whitespace (which UR003 reports).
    """

    path: str
    pointer: Pointer
    kind: str
    url: str
    line: int
    column: int
    codes: frozenset[str] = frozenset(ONLINE_CODES)

    @property
    def target(self) -> tuple[str, str]:
        return (self.url, self.kind)


@dataclass(frozen=True)
class CollectedLinks:
    """What :func:`collect_links` found: the URLs to check, and the files it could not read."""

    occurrences: tuple[LinkOccurrence, ...]
    #: Why the files that could not be parsed were not checked (FM codes).
    unreadable: tuple[Diagnostic, ...] = ()

    @property
    def targets(self) -> list[tuple[str, str]]:
        """Each distinct ``(url, kind)`` once, in the order first written."""
        return list(dict.fromkeys(occurrence.target for occurrence in self.occurrences))


@dataclass(frozen=True)
class LinkReport:
    """What checking the collected URLs found."""

    diagnostics: tuple[Diagnostic, ...]
    results: Mapping[tuple[str, str], LinkResult] = field(default_factory=dict)
    #: Results taken from the cache instead of the network.
    from_cache: int = 0

    @property
    def not_checked(self) -> int:
        """URLs not checked because the network is unavailable (see curate.online)."""
        return sum(1 for result in self.results.values() if _network_unavailable(result))

    def note(self) -> str:
        """One line for the summary: how many URLs, and how many were requested."""
        total = len(self.results)
        if not total:
            return "no URLs to check online"
        excluded = refused = offline = 0
        for result in self.results.values():
            if _network_unavailable(result):
                offline += 1
            elif result.outcome is Outcome.SKIPPED:
                if _was_refused(result):
                    refused += 1
                else:
                    excluded += 1
        requested = total - self.from_cache - excluded - refused - offline
        parts = [f"{requested} requested", f"{self.from_cache} from the cache"]
        if excluded:
            parts.append(f"{excluded} excluded")
        if refused:
            parts.append(f"{refused} refused (not a public address)")
        if offline:
            # Said once, here, rather than as a finding per link.
            links = "link" if offline == 1 else "links"
            parts = [part for part in parts if not part.startswith("0 ")]
            others = f" ({', '.join(parts)})" if parts else ""
            return f"network unavailable: {offline} {links} not checked{others}"
        return f"{total} URL{'s' if total != 1 else ''} checked online: {', '.join(parts)}"


def enabled_codes(settings: Settings) -> tuple[str, ...]:
    """The online codes this run reports; none means the online checks have nothing to do."""
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    return tuple(code for code in ONLINE_CODES if selection.enabled(code))


def link_occurrences(article: Article, site: Site) -> Iterator[LinkOccurrence]:
    """Every http(s) URL of ``article`` to check, in the order written, with its position."""
    data = article.data
    found: list[tuple[Pointer, str, Any]] = []
    for index, entry in related_entries(data):
        key = "webUrl" if text(entry.get("webUrl")) else "originalUrl"
        found.append((("related", index, key), PAGE, entry.get(key)))
    found.extend(((*pointer, "url"), IMAGE, image.get("url")) for pointer, image in images(data))
    for pointer, kind, value in found:
        url = text(value)
        if url is None or not _HTTP_URL.match(url) or site.local_path(url) is not None:
            continue
        location = article.locate(pointer)
        yield LinkOccurrence(article.path, pointer, kind, url, location.line, location.column)


def collect_links(
    paths: Iterable[str], site: Site, settings: Settings | None = None
) -> CollectedLinks:
    """Read ``paths`` and list the URLs to check; unreadable files become diagnostics.

    With ``settings``, a URL is left out where every online code it could be reported
    with is deselected, suppressed by a ``# curate: ignore`` comment or ignored for the
    file (per-file-ignores): there is nothing to say about it, so nothing to request.
    """
    unreadable: list[Diagnostic] = []
    occurrences = tuple(_read_occurrences(paths, site, settings, unreadable))
    return CollectedLinks(occurrences, tuple(unreadable))


def _read_occurrences(
    paths: Iterable[str], site: Site, settings: Settings | None, unreadable: list[Diagnostic]
) -> Iterator[LinkOccurrence]:
    """The occurrences of :func:`collect_links`, file after file as each is read."""
    from curate.policy import Policy

    codes = enabled_codes(settings) if settings is not None else ONLINE_CODES
    if not codes:
        return
    policy = Policy.from_settings(settings, site.root) if settings is not None else Policy()
    for path in paths:
        loaded = load_file(path)
        article = loaded.article
        if article is None:
            unreadable.extend(loaded.diagnostics)
            continue
        suppressions = article.suppressions
        # Where no comment speaks, what is reported depends on the file only: asked once.
        unsuppressed = policy.reported_codes(article.path, 1, codes)
        by_line = suppressions.by_line if suppressions.whole_file is None else None
        for occurrence in link_occurrences(article, site):
            if by_line is not None and occurrence.line not in by_line:
                kept = unsuppressed
            else:
                kept = policy.reported_codes(occurrence.path, occurrence.line, codes, suppressions)
            if kept == occurrence.codes:
                yield occurrence
            elif kept:
                yield dataclasses.replace(occurrence, codes=kept)


#: Opens a progress display for a number of URLs; yields what to call with each result.
ProgressFactory = Callable[[int], AbstractContextManager[Callable[[LinkResult], None]]]


def check_files(
    paths: Iterable[str],
    site: Site,
    settings: Settings,
    options: OnlineOptions,
    *,
    cache: LinkCache | None = None,
    max_cache_age: float = 86400.0,
    progress: ProgressFactory | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    resolve: Resolve | None = None,
) -> tuple[CollectedLinks, LinkReport]:
    """:func:`collect_links` and :func:`check_collected` at once: requests leave while the
    articles are still being read, the first one as soon as the first URL is found.

    ``progress`` is opened once every file has been read (only then is the number of URLs
    known), and is first told of the results that came before.
    """
    unreadable: list[Diagnostic] = []
    occurrences: list[LinkOccurrence] = []
    early: list[LinkResult] = []
    advance: Callable[[LinkResult], None] = early.append

    def on_result(result: LinkResult) -> None:
        advance(result)

    with contextlib.ExitStack() as stack:

        def targets() -> Iterator[tuple[str, str]]:
            nonlocal advance
            for occurrence in _read_occurrences(paths, site, settings, unreadable):
                occurrences.append(occurrence)
                yield occurrence.target
            if progress is not None:
                total = len({occurrence.target for occurrence in occurrences})
                advance = stack.enter_context(progress(total))
                for result in early:
                    advance(result)

        collected_report = _check(
            targets(),
            occurrences,
            options,
            cache=cache,
            max_cache_age=max_cache_age,
            on_result=on_result,
            transport=transport,
            resolve=resolve,
        )
    return CollectedLinks(tuple(occurrences), tuple(unreadable)), collected_report


def check_collected(
    collected: CollectedLinks,
    options: OnlineOptions,
    *,
    cache: LinkCache | None = None,
    max_cache_age: float = 86400.0,
    on_result: Callable[[LinkResult], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    resolve: Resolve | None = None,
) -> LinkReport:
    """Check each distinct URL once; one diagnostic per place a failing URL is written.

    The diagnostics are sorted like the rest of curate's, whatever order the answers
    came in. ``on_result`` is called once per distinct URL (see
    :func:`curate.online.check_links`, which also explains ``cache``, ``transport`` and
    ``resolve``). URLs not checked because the network is unavailable get no diagnostic:
    :attr:`LinkReport.not_checked` counts them and :meth:`LinkReport.note` says so.
    """
    return _check(
        collected.targets,
        collected.occurrences,
        options,
        cache=cache,
        max_cache_age=max_cache_age,
        on_result=on_result,
        transport=transport,
        resolve=resolve,
    )


def _check(
    targets: Iterable[tuple[str, str]],
    occurrences: Sequence[LinkOccurrence],
    options: OnlineOptions,
    *,
    cache: LinkCache | None,
    max_cache_age: float,
    on_result: Callable[[LinkResult], None] | None,
    transport: httpx.AsyncBaseTransport | None,
    resolve: Resolve | None,
) -> LinkReport:
    """Check ``targets``; then one diagnostic per failing place of ``occurrences``.

    ``occurrences`` is read only once ``targets`` is exhausted: it may grow meanwhile.
    """
    counting = _CountingCache(cache) if cache is not None else None
    results = check_links(
        targets,
        options,
        cache=counting,
        max_cache_age=max_cache_age,
        on_result=on_result,
        transport=transport,
        resolve=resolve,
    )
    diagnostics = []
    for occurrence in occurrences:
        diagnostic = _diagnostic(occurrence, results[occurrence.target])
        if diagnostic is not None:
            diagnostics.append(diagnostic)
    diagnostics.sort(key=Diagnostic.sort_key)
    return LinkReport(tuple(diagnostics), results, counting.hits if counting is not None else 0)


def _network_unavailable(result: LinkResult) -> bool:
    return result.outcome is Outcome.SKIPPED and result.reason == NETWORK_UNAVAILABLE


def _was_refused(result: LinkResult) -> bool:
    """A skip after trying: the host's address was refused (an excluded URL is never tried)."""
    return result.outcome is Outcome.SKIPPED and result.final_url is not None


def _diagnostic(occurrence: LinkOccurrence, result: LinkResult) -> Diagnostic | None:
    if result.outcome is Outcome.OK:
        return None
    if result.outcome is Outcome.SKIPPED and not _was_refused(result):
        return None
    code = CODE_OF_OUTCOME[result.outcome.value]
    if code not in occurrence.codes:
        return None
    detail = result.reason
    if result.final_url is not None and result.final_url != result.url:
        detail += f" (redirected to {shorten(result.final_url)})"
    finding = PlacedFinding(
        code,
        occurrence.path,
        occurrence.line,
        occurrence.column,
        {"url": result.url, "detail": detail},
        occurrence.pointer,
    )
    return placed_diagnostic(finding)


def online_options(settings: Settings) -> OnlineOptions:
    """The engine's options from the run's settings.

    Raises :class:`~curate.online.OnlineOptionsError` (a :class:`~curate.errors.UsageError`)
    naming a setting that cannot be used.
    """
    for pattern in settings.online_exclude:
        try:
            re.compile(pattern)
        except re.error as error:
            raise OnlineOptionsError(
                f"URL pattern {pattern!r} is not a valid regular expression: {error}"
            ) from None
    wrong = [status for status in settings.online_accept if not 100 <= status <= 999]
    if wrong:
        raise OnlineOptionsError(f"accepted status {wrong[0]} is not an HTTP status (100 to 999)")
    if not math.isfinite(settings.timeout) or settings.timeout <= 0:
        raise OnlineOptionsError(
            f"the time-out must be more than 0 seconds, not {settings.timeout:g}"
        )
    extra: dict[str, Any] = {}
    if settings.user_agent:
        extra["user_agent"] = settings.user_agent
    return OnlineOptions(
        concurrency=settings.concurrency,
        per_host=settings.per_host,
        timeout=settings.timeout,
        connect_timeout=min(_DEFAULTS.connect_timeout, settings.timeout),
        accept=frozenset(settings.online_accept),
        exclude=settings.online_exclude,
        allow_private=settings.allow_private,
        **extra,
    )


class _CountingCache:
    """A LinkCache that counts the results it answered."""

    def __init__(self, cache: LinkCache) -> None:
        self._cache = cache
        self.hits = 0

    def get_ok(self, url: str, kind: str, max_age: float) -> LinkResult | None:
        result = self._cache.get_ok(url, kind, max_age)
        if result is not None:
            self.hits += 1
        return result

    def put_ok(self, result: LinkResult, kind: str) -> None:
        self._cache.put_ok(result, kind)


class StoreLinkCache:
    """The links table of curate's cache (:class:`curate.cache.Store`) as a LinkCache.

    A result obtained with ``allow_private`` is not reused by a run without it: that run
    must refuse the host (WB003), not answer ok from the cache. Results are written when
    the cache is closed, not as they come: a write can wait seconds for another
    curate's lock, and must not stall the requests in flight.
    """

    def __init__(self, store: Store, *, allow_private: bool = False) -> None:
        self._store = store
        self._allow_private = allow_private
        self._pending: list[tuple[str, str, dict[str, Any]]] = []

    def get_ok(self, url: str, kind: str, max_age: float) -> LinkResult | None:
        stored = self._store.get_link(url, kind, max_age)
        if stored is None or (stored.get("allow_private", True) and not self._allow_private):
            return None
        result = _decode_result(stored)
        if result is None or result.outcome is not Outcome.OK or result.url != url:
            return None
        return result

    def put_ok(self, result: LinkResult, kind: str) -> None:
        if result.outcome is Outcome.OK:
            stored = {**_encode_result(result), "allow_private": self._allow_private}
            self._pending.append((result.url, kind, stored))

    def close(self) -> None:
        for url, kind, stored in self._pending:
            self._store.put_link(url, kind, stored)
        self._pending.clear()
        self._store.close()


def open_link_cache(settings: Settings, site: Site) -> StoreLinkCache | None:
    """The cache of link results for this run, or None with --no-cache or if unusable."""
    from curate.cache import Store, default_cache_dir

    if not settings.cache:
        return None
    # The links table does not depend on the run's settings, only the files table does.
    store = Store.open(settings.cache_dir or default_cache_dir(site), "links")
    if store is None:
        return None
    return StoreLinkCache(store, allow_private=settings.allow_private)


def _encode_result(result: LinkResult) -> dict[str, Any]:
    return {
        "url": result.url,
        "outcome": result.outcome.value,
        "status": result.status,
        "reason": result.reason,
        "final_url": result.final_url,
        "attempts": result.attempts,
        "elapsed": result.elapsed,
    }


def _decode_result(stored: dict[str, Any]) -> LinkResult | None:
    """A stored result, or None if the row is not what this version wrote."""
    try:
        result = LinkResult(
            url=stored["url"],
            outcome=Outcome(stored["outcome"]),
            status=stored["status"],
            reason=stored["reason"],
            final_url=stored["final_url"],
            attempts=stored["attempts"],
            elapsed=stored["elapsed"],
        )
    except (KeyError, ValueError):
        return None
    valid = (
        isinstance(result.url, str)
        and isinstance(result.reason, str)
        and (result.status is None or type(result.status) is int)
        and (result.final_url is None or isinstance(result.final_url, str))
        and type(result.attempts) is int
        and isinstance(result.elapsed, (int, float))
    )
    return result if valid else None
