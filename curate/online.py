"""Check over HTTP that linked pages and images still answer: the engine of the online checks.

:func:`check_links` takes ``(url, kind)`` targets and returns one :class:`LinkResult` for
each, whatever the network does: a failure is a result, never an exception. Callers stay
synchronous; an event loop runs inside.

Outcomes:

``ok``
    2xx, or a status listed in ``accept``; an image must also be an image (below).
``broken``
    404, 410 and the other 4xx; 500, 502 and the other 5xx once retries are spent; a host
    that DNS says does not exist; a connection refused once retries are spent; a TLS
    failure; a redirect loop or too many redirects; an image URL that answers with a page.
``unverified``
    The site would not say: 401, 403, 999; 429, 503 or 504 once retries are spent; time-outs,
    dropped connections and failing DNS once retries are spent; a redirect to a URL that is
    not http(s). A warning, never an error.
``skipped``
    Not requested: not http(s), excluded by a pattern, or a host that resolves to a
    loopback, private, link-local, reserved, multicast or cloud-metadata address.

Server errors split the way transport failures already do. A 502 (the gateway's origin
refused or crashed) is a refused connection one hop further, so it is broken; a 504 (the
origin did not answer in time) is a time-out one hop further, so it is unverified. A 503
says by definition that the condition is temporary, and bot and DDoS protection (Cloudflare's
challenge among others) answers with it, so it is unverified too. Any other 5xx that lasts
through the retries, a 500 above all, means the page itself fails, so it is broken, as
lychee reports it. Only results that are ok are cached, so every failure is checked again
on the next run.

Safety: a host is resolved before it is contacted, on every redirect hop, and refused if
any of its addresses is not public. The default transport then connects to exactly the
addresses that were checked, never to a second lookup's, so a DNS server cannot answer a
public address to the check and a private one to the connection (DNS rebinding). TLS still
verifies the certificate against the host name. A caller's own ``transport`` gets the
check but not the pinning. Proxies from the environment are not used: a proxy would
resolve the name itself and make the check meaningless.

Cost: a HEAD reads no body, so the connection is kept for the next URL on that host. The
GET sent when HEAD is refused reads the status and headers and then closes the
connection. It reads body bytes only for an image whose Content-Type is missing or
``application/octet-stream``, and then stops at 512 bytes (one network read, usually),
which are matched against image signatures.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import email.utils
import enum
import ipaddress
import random
import re
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timezone
from typing import Any, NamedTuple, Protocol

import httpcore
import httpx

from curate.__about__ import __version__

__all__ = [
    "IMAGE",
    "PAGE",
    "LinkCache",
    "LinkResult",
    "MemoryLinkCache",
    "OnlineOptions",
    "Outcome",
    "check_links",
]

#: The kinds of target: a page must answer, an image must answer with an image.
PAGE = "page"
IMAGE = "image"
_KINDS = frozenset({PAGE, IMAGE})

_SCHEMES = frozenset({"http", "https"})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Servers that mishandle HEAD answer with these; a GET gets the real answer.
_HEAD_REFUSED = frozenset({400, 403, 405, 501})
# The site exists but will not tell a robot whether the page does; see the module docstring
# for why 503 and 504 are here.
_UNVERIFIED_STATUSES = frozenset({401, 403, 429, 503, 504, 999})
# 5xx answers that describe what the server supports, not how it is doing right now.
_PERMANENT_SERVER_ERRORS = frozenset({501, 505})
# Content-Types that say nothing about the bytes; storage services serve images as these.
_UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_SNIFF_BYTES = 512
_IMAGE_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"\x00\x00\x01\x00",  # ICO
    b"BM",
)
_METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_NO_SUCH_HOST = frozenset({socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)})


@dataclass(frozen=True, slots=True)
class OnlineOptions:
    """How the online checks behave.

    Times are in seconds. ``min_host_interval`` spaces the starts of requests to one host;
    ``timeout`` bounds one request from its first byte out to its last byte read;
    ``max_total_time`` bounds everything one URL may take, retries and waits included
    (time queued behind other URLs is not counted). ``backoff`` is the base of the
    exponential back-off between retries, which is fully jittered. A ``Retry-After`` longer
    than ``max_retry_after`` is not waited for: the answer stands. ``accept`` lists extra
    statuses that count as ok; URLs matching a regular expression in ``exclude`` are
    skipped; ``allow_private`` lets hosts resolve to loopback or private addresses.
    """

    concurrency: int = 32
    per_host: int = 4
    min_host_interval: float = 0.0
    connect_timeout: float = 5.0
    timeout: float = 15.0
    max_redirects: int = 10
    retries: int = 3
    backoff: float = 0.5
    max_retry_after: float = 30.0
    max_total_time: float = 300.0
    user_agent: str = f"curate/{__version__}"
    accept: frozenset[int] = frozenset()
    exclude: tuple[str, ...] = ()
    allow_private: bool = False

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.per_host < 1:
            raise ValueError("concurrency and per_host must be at least 1")
        if self.retries < 0 or self.max_redirects < 0:
            raise ValueError("retries and max_redirects cannot be negative")


class Outcome(str, enum.Enum):
    """What checking a URL established."""

    OK = "ok"
    BROKEN = "broken"
    UNVERIFIED = "unverified"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class LinkResult:
    """What checking one URL found.

    ``status`` is the last HTTP status received (None when nothing answered); ``reason``
    says what happened in words, e.g. ``404 Not Found`` or ``DNS lookup failed: no such
    host example.invalid``; ``final_url`` is the last URL of the redirect chain that was
    tried (None when nothing was tried); ``attempts`` counts tries of the URL, 1 plus the
    retries (0 when nothing was tried); ``elapsed`` is the time the check took in seconds,
    not counting time queued behind other URLs.
    """

    url: str
    outcome: Outcome
    status: int | None
    reason: str
    final_url: str | None
    attempts: int
    elapsed: float


class LinkCache(Protocol):
    """Where ok results are kept between runs; failures are never stored."""

    def get_ok(self, url: str, kind: str, max_age: float) -> LinkResult | None: ...

    def put_ok(self, result: LinkResult, kind: str) -> None: ...


class MemoryLinkCache:
    """A :class:`LinkCache` in memory, for tests and for sharing results within one process."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[float, LinkResult]] = {}

    def get_ok(self, url: str, kind: str, max_age: float) -> LinkResult | None:
        entry = self._entries.get((url, kind))
        if entry is None or time.time() - entry[0] >= max_age:
            return None
        return entry[1]

    def put_ok(self, result: LinkResult, kind: str) -> None:
        self._entries[(result.url, kind)] = (time.time(), result)


def check_links(
    targets: Iterable[tuple[str, str]],
    options: OnlineOptions,
    *,
    cache: LinkCache | None = None,
    max_cache_age: float = 86400.0,
    on_result: Callable[[LinkResult], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[tuple[str, str], LinkResult]:
    """Check every distinct ``(url, kind)`` target; ``kind`` is :data:`PAGE` or :data:`IMAGE`.

    Results come back keyed by target in completion order: sort them for stable output.
    ``on_result`` is called once per distinct target as its result is known, cached and
    skipped ones included. Ok results younger than ``max_cache_age`` seconds are taken from
    ``cache`` and fresh ok results are stored in it. ``transport`` replaces the network,
    e.g. with an ``httpx.MockTransport``; it is closed at the end.

    Raises ``ValueError`` for an unknown kind and ``re.error`` for a bad exclude pattern.
    """
    patterns = [re.compile(pattern) for pattern in options.exclude]
    results: dict[tuple[str, str], LinkResult] = {}
    pending: list[tuple[tuple[str, str], httpx.URL]] = []

    def record(target: tuple[str, str], result: LinkResult) -> None:
        results[target] = result
        if on_result is not None:
            on_result(result)

    for target in dict.fromkeys(targets):
        url, kind = target
        if kind not in _KINDS:
            raise ValueError(f"unknown kind of link {kind!r}: expected {PAGE!r} or {IMAGE!r}")
        screened = _screen(url, patterns)
        if isinstance(screened, LinkResult):
            record(target, screened)
            continue
        cached = cache.get_ok(url, kind, max_cache_age) if cache is not None else None
        if cached is not None:
            record(target, cached)
        else:
            pending.append((target, screened))

    def finish(target: tuple[str, str], result: LinkResult) -> None:
        if cache is not None and result.outcome is Outcome.OK:
            cache.put_ok(result, target[1])
        record(target, result)

    if pending:
        asyncio.run(_check_all(pending, options, transport, finish))
    return results


def _screen(url: str, patterns: list[re.Pattern[str]]) -> LinkResult | httpx.URL:
    """The result for a URL that needs no request, or the parsed URL to request."""
    for pattern in patterns:
        if pattern.search(url):
            return _unchecked(url, Outcome.SKIPPED, f"excluded by pattern {pattern.pattern!r}")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return _unchecked(url, Outcome.BROKEN, f"invalid URL: {exc}")
    if parsed.scheme not in _SCHEMES:
        return _unchecked(url, Outcome.SKIPPED, "not an http(s) URL")
    if not parsed.host:
        return _unchecked(url, Outcome.BROKEN, "invalid URL: no host")
    return parsed


def _unchecked(url: str, outcome: Outcome, reason: str) -> LinkResult:
    return LinkResult(url, outcome, None, reason, None, 0, 0.0)


async def _check_all(
    pending: list[tuple[tuple[str, str], httpx.URL]],
    options: OnlineOptions,
    transport: httpx.AsyncBaseTransport | None,
    finish: Callable[[tuple[str, str], LinkResult], None],
) -> None:
    # Name lookups run in threads; the default pool (a handful) would make DNS the
    # bottleneck of a run over many hosts. asyncio.run shuts the pool down.
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="curate-dns")
    )
    resolver = _Resolver(allow_private=options.allow_private, timeout=options.connect_timeout)
    if transport is None:
        transport = _PinnedTransport(resolver, options.concurrency)
    async with transport:
        checker = _Checker(options, transport, resolver)

        async def check(
            target: tuple[str, str], url: httpx.URL
        ) -> tuple[tuple[str, str], LinkResult]:
            return target, await checker.check(target[0], url, target[1])

        # Requests queue for slots in the order the checks start: grouped by host, a host's
        # requests follow one another and reuse its connections (see _Checker._slot).
        by_host = sorted(pending, key=lambda item: item[1].raw_host)
        # Tasks start in the order they are created; as_completed would shuffle coroutines.
        tasks = [asyncio.create_task(check(target, url)) for target, url in by_host]
        for next_done in asyncio.as_completed(tasks):
            finish(*await next_done)


class _Failure(NamedTuple):
    """A try that got no usable HTTP answer, and whether trying again may help."""

    outcome: Outcome
    reason: str
    retryable: bool


class _Response(NamedTuple):
    """The parts of an HTTP answer the verdict needs."""

    status: int
    phrase: str
    media_type: str
    location: str | None
    retry_after: float | None
    #: Whether the body is an image; None when only the bytes could tell and none were read.
    image: bool | None

    @property
    def label(self) -> str:
        return f"{self.status} {self.phrase}".rstrip()

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


_Answer = _Failure | _Response


class _Unreachable(Exception):
    """A host that must not or cannot be contacted; raised through httpx from a connect."""

    def __init__(self, failure: _Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


class _Lookup(NamedTuple):
    addresses: tuple[str, ...]
    failure: _Failure | None


class _Resolver:
    """Looks each host up once per run and decides whether it may be contacted."""

    def __init__(self, *, allow_private: bool, timeout: float) -> None:
        self._allow_private = allow_private
        self._timeout = timeout
        self._lookups: dict[str, asyncio.Task[_Lookup]] = {}

    async def addresses(self, host: str) -> tuple[str, ...]:
        """The checked addresses of ``host``; raises :class:`_Unreachable`."""
        lookup = await self._lookup(host)
        if lookup.failure is not None:
            raise _Unreachable(lookup.failure)
        return lookup.addresses

    async def _lookup(self, host: str) -> _Lookup:
        task = self._lookups.get(host)
        if task is None:
            task = self._lookups[host] = asyncio.create_task(self._resolve(host))
        if task.done():
            lookup = task.result()
        else:
            try:
                # Shielded: one URL timing out must not cancel the lookup others wait for.
                lookup = await asyncio.wait_for(asyncio.shield(task), self._timeout)
            except asyncio.TimeoutError:
                reason = f"DNS lookup for {host} timed out"
                return _Lookup((), _Failure(Outcome.UNVERIFIED, reason, True))
        retryable = lookup.failure is not None and lookup.failure.retryable
        if retryable and self._lookups.get(host) is task:
            # Forgotten so that the retry asks again.
            del self._lookups[host]
        return lookup

    async def _resolve(self, host: str) -> _Lookup:
        try:
            addresses: tuple[str, ...] = (str(ipaddress.ip_address(host)),)
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, None, type=socket.SOCK_STREAM
                )
            except socket.gaierror as exc:
                return _Lookup((), _dns_failure(host, exc))
            except UnicodeError:
                return _Lookup((), _Failure(Outcome.BROKEN, f"invalid host name {host!r}", False))
            addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
            named = f"{host} resolves to "
        else:
            named = ""
        if not self._allow_private:
            # One non-public address refuses the host: a public site has no reason to
            # publish one, and a caller's transport may connect to any of them.
            for address in addresses:
                kind = _non_public_kind(address)
                if kind is not None:
                    reason = f"refused: {named}{kind} address {address}"
                    return _Lookup((), _Failure(Outcome.SKIPPED, reason, False))
        return _Lookup(addresses, None)


def _non_public_kind(address: str) -> str | None:
    """Why ``address`` must not be contacted, or None when it is a public address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA_ADDRESSES:
        return "cloud metadata"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "reserved"
    return None


def _dns_failure(host: str, exc: socket.gaierror) -> _Failure:
    if exc.errno in _NO_SUCH_HOST:
        return _Failure(Outcome.BROKEN, f"DNS lookup failed: no such host {host}", False)
    return _Failure(Outcome.UNVERIFIED, f"DNS lookup failed for {host}: {exc.strerror}", True)


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the addresses the resolver checked instead of looking the host up again."""

    def __init__(self, resolver: _Resolver) -> None:
        self._resolver = resolver
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        *fallbacks, last = await self._resolver.addresses(host)
        for address in fallbacks:
            with contextlib.suppress(httpcore.ConnectError, httpcore.ConnectTimeout):
                return await self._backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
        return await self._backend.connect_tcp(last, port, timeout, local_address, socket_options)


class _PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport over a :class:`_PinnedBackend`."""

    def __init__(self, resolver: _Resolver, connections: int) -> None:
        ssl_context = httpx.create_ssl_context()
        super().__init__(verify=ssl_context)
        # httpx has no public way to choose httpcore's network backend, so the pool it
        # built is replaced by the same pool over ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=5.0,
            network_backend=_PinnedBackend(resolver),
        )


@dataclass
class _Progress:
    """What one URL's check has used so far."""

    started: float
    attempts: int = 1
    queued: float = 0.0

    def spent(self, now: float) -> float:
        return now - self.started - self.queued


@dataclass
class _HostLimits:
    semaphore: asyncio.Semaphore
    next_start: float = 0.0
    #: Requests waiting for this host's semaphore.
    waiting: int = 0
    #: Global slots that finished requests passed on to waiting requests for this host.
    passed_on: int = 0


class _Checker:
    """Checks URLs over one transport, within the global and per-host limits.

    Requests go to the transport itself rather than through an ``httpx.AsyncClient``: even
    with redirects off, the client works out where a redirect leads and raises on a
    Location it cannot resolve (``mailto:``, a malformed URL), losing the answer. Here
    redirects are handled in one place, :meth:`check`.
    """

    def __init__(
        self, options: OnlineOptions, transport: httpx.AsyncBaseTransport, resolver: _Resolver
    ) -> None:
        self._options = options
        self._transport = transport
        self._headers = httpx.Headers(
            {"User-Agent": options.user_agent, "Accept": "*/*", "Accept-Encoding": "gzip, deflate"}
        )
        self._timeout = httpx.Timeout(options.timeout, connect=options.connect_timeout).as_dict()
        # Some sites redirect to the same URL once to set a cookie, and loop without it.
        self._cookies = httpx.Cookies()
        self._resolver = resolver
        self._loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(options.concurrency)
        self._hosts: dict[str, _HostLimits] = {}

    async def check(self, url: str, parsed: httpx.URL, kind: str) -> LinkResult:
        progress = _Progress(self._loop.time())
        current = parsed
        # Reported as given until a redirect, not as httpx normalised it.
        reached = url
        # Two visits are allowed, for a redirect to the same URL that sets a cookie.
        visits: collections.Counter[str] = collections.Counter()
        redirects = 0
        while True:
            visits[_without_fragment(current)] += 1
            answer = await self._hop(current, kind, progress)
            if isinstance(answer, _Failure):
                return self._result(url, reached, progress, answer.outcome, answer.reason, None)
            status = answer.status
            if status not in _REDIRECT_STATUSES or answer.location is None:
                outcome, reason = self._verdict(answer, kind)
                return self._result(url, reached, progress, outcome, reason, status)
            try:
                target = current.join(answer.location)
            except httpx.InvalidURL:
                reason = f"{answer.label} to an invalid URL {answer.location!r}"
                return self._result(url, reached, progress, Outcome.BROKEN, reason, status)
            redirects += 1
            if redirects > self._options.max_redirects:
                reason = f"more than {self._options.max_redirects} redirects"
                return self._result(url, reached, progress, Outcome.BROKEN, reason, status)
            if target.scheme not in _SCHEMES or not target.host:
                reason = f"{answer.label} to {target}, which is not an http(s) URL"
                return self._result(url, reached, progress, Outcome.UNVERIFIED, reason, status)
            if visits[_without_fragment(target)] >= 2:
                reason = f"redirect loop at {target}"
                return self._result(url, reached, progress, Outcome.BROKEN, reason, status)
            current = target
            reached = str(target)

    def _result(
        self,
        url: str,
        final_url: str,
        progress: _Progress,
        outcome: Outcome,
        reason: str,
        status: int | None,
    ) -> LinkResult:
        if progress.attempts > 1 and outcome is not Outcome.OK:
            reason = f"{reason} after {progress.attempts} attempts"
        elapsed = progress.spent(self._loop.time())
        return LinkResult(url, outcome, status, reason, final_url, progress.attempts, elapsed)

    def _verdict(self, answer: _Response, kind: str) -> tuple[Outcome, str]:
        if answer.is_success:
            if kind == IMAGE and not answer.image:
                shown = (
                    f"Content-Type {answer.media_type}" if answer.media_type else "no Content-Type"
                )
                return Outcome.BROKEN, f"{answer.status} but {shown}, not an image"
            return Outcome.OK, answer.label
        if answer.status in self._options.accept:
            return Outcome.OK, f"{answer.label} (accepted)"
        if answer.status in _REDIRECT_STATUSES:
            return Outcome.BROKEN, f"{answer.label} without a Location header"
        if answer.status in _UNVERIFIED_STATUSES:
            return Outcome.UNVERIFIED, answer.label
        return Outcome.BROKEN, answer.label

    async def _hop(self, url: httpx.URL, kind: str, progress: _Progress) -> _Answer:
        """Request one URL of a redirect chain, HEAD first, retrying what may pass."""
        method = "HEAD"
        while True:
            answer = await self._request(method, url, kind, progress)
            if (
                method == "HEAD"
                and isinstance(answer, _Response)
                and (
                    answer.status in _HEAD_REFUSED
                    or (kind == IMAGE and answer.is_success and answer.image is None)
                )
            ):
                method = "GET"
                continue
            delay = self._retry_delay(answer, progress)
            if delay is None:
                return answer
            progress.attempts += 1
            await asyncio.sleep(delay)

    def _retry_delay(self, answer: _Answer, progress: _Progress) -> float | None:
        """How long to wait before trying again, or None to let ``answer`` stand."""
        options = self._options
        if progress.attempts > options.retries:
            return None
        if isinstance(answer, _Failure):
            if not answer.retryable:
                return None
            delay = None
        else:
            if answer.status in options.accept or not _is_transient(answer.status):
                return None
            delay = answer.retry_after
            if delay is not None and delay > options.max_retry_after:
                return None
        if delay is None:
            # Full jitter: clients that failed together do not come back together.
            delay = random.uniform(0, options.backoff * 2 ** (progress.attempts - 1))
        if progress.spent(self._loop.time()) + delay >= options.max_total_time:
            return None
        return delay

    async def _request(
        self, method: str, url: httpx.URL, kind: str, progress: _Progress
    ) -> _Answer:
        """One request, within the limits and time left; network failures become values."""
        host = url.raw_host.decode("ascii")
        try:
            if not self._options.allow_private:
                await self._resolver.addresses(host)
            queued_since = self._loop.time()
            async with self._slot(host):
                now = self._loop.time()
                progress.queued += now - queued_since
                limit = min(
                    self._options.timeout, self._options.max_total_time - progress.spent(now)
                )
                if limit <= 0:
                    reason = f"gave up after {self._options.max_total_time:g} s"
                    return _Failure(Outcome.UNVERIFIED, reason, False)
                try:
                    return await asyncio.wait_for(self._send(method, url, kind), limit)
                except asyncio.TimeoutError:
                    return _Failure(Outcome.UNVERIFIED, f"no response within {limit:g} s", True)
        except _Unreachable as exc:
            return exc.failure
        except httpx.ConnectTimeout:
            return _Failure(Outcome.UNVERIFIED, "connection timed out", True)
        except httpx.TimeoutException:
            return _Failure(Outcome.UNVERIFIED, "timed out", True)
        except httpx.HTTPError as exc:
            return _transport_failure(exc, host)

    async def _send(self, method: str, url: httpx.URL, kind: str) -> _Response:
        request = httpx.Request(
            method, url, headers=self._headers, extensions={"timeout": self._timeout}
        )
        # The cookie jar is slow (tens of microseconds a call): only touched when in use.
        if self._cookies.jar:
            self._cookies.set_cookie_header(request)
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            if "set-cookie" in response.headers:
                self._cookies.extract_cookies(response)
            media_type = response.headers.get("content-type", "").partition(";")[0]
            media_type = media_type.strip().lower()
            image: bool | None = media_type.startswith("image/")
            if method == "HEAD":
                # Reading the (empty) body returns the connection to the pool.
                await response.aread()
                if media_type in _UNTYPED:
                    image = None
            elif kind == IMAGE and response.is_success and media_type in _UNTYPED:
                image = _looks_like_image(await _first_bytes(response))
            return _Response(
                status=response.status_code,
                phrase=response.reason_phrase,
                media_type=media_type,
                location=response.headers.get("location"),
                retry_after=_retry_after_seconds(response.headers.get("retry-after")),
                image=image,
            )
        finally:
            await response.aclose()

    @contextlib.asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """Hold a global and a per-host slot, started no sooner than the host's interval.

        A finished request passes its global slot straight on to the next request for the
        same host, if one is waiting: that request then reuses the connection just freed,
        where one for another host would have the pool close it and open a new one.
        """
        limits = self._hosts.get(host)
        if limits is None:
            limits = self._hosts[host] = _HostLimits(asyncio.Semaphore(self._options.per_host))
        limits.waiting += 1
        try:
            await limits.semaphore.acquire()
        finally:
            limits.waiting -= 1
        try:
            if limits.passed_on:
                limits.passed_on -= 1
            else:
                await self._acquire_global(limits)
            limits.next_start = self._loop.time() + self._options.min_host_interval
            try:
                yield
            finally:
                if limits.waiting > limits.passed_on and not self._options.min_host_interval:
                    limits.passed_on += 1
                else:
                    self._slots.release()
        finally:
            limits.semaphore.release()

    async def _acquire_global(self, limits: _HostLimits) -> None:
        while True:
            wait = limits.next_start - self._loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            # The global slot is taken after the wait so that a throttled host does not
            # hold slots that other hosts could use; another request to this host may have
            # started meanwhile, hence the loop.
            await self._slots.acquire()
            if limits.next_start <= self._loop.time():
                return
            self._slots.release()


def _without_fragment(url: httpx.URL) -> str:
    return str(url).partition("#")[0]


def _is_transient(status: int) -> bool:
    return status == 429 or (500 <= status < 600 and status not in _PERMANENT_SERVER_ERRORS)


def _transport_failure(exc: httpx.HTTPError, host: str) -> _Failure:
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return _dns_failure(host, cause)
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _Failure(
                Outcome.BROKEN, f"TLS certificate rejected: {cause.verify_message}", False
            )
        if isinstance(cause, ssl.SSLError):
            return _Failure(Outcome.BROKEN, f"TLS handshake failed: {cause.reason}", False)
        if isinstance(cause, ConnectionRefusedError):
            return _Failure(Outcome.BROKEN, "connection refused", True)
    # Anything else (unreachable network, connection reset, malformed answer) may be on
    # our side or a robot filter's doing: the site did not say the page is gone.
    return _Failure(
        Outcome.UNVERIFIED, f"connection failed: {str(exc) or type(exc).__name__}", True
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - time.time())


async def _first_bytes(response: httpx.Response) -> bytes:
    data = b""
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= _SNIFF_BYTES:
            break
    return data[:_SNIFF_BYTES]


def _looks_like_image(data: bytes) -> bool:
    if data.startswith(_IMAGE_SIGNATURES):
        return True
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return data[4:8] == b"ftyp" and data[8:12] in {b"avif", b"avis", b"heic", b"heix", b"mif1"}
