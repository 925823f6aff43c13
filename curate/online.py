"""Check over HTTP that linked pages and images still answer: the engine of the online checks.

:func:`check_links` takes ``(url, kind)`` targets and returns one :class:`LinkResult` for
each, whatever the network or a server does: a failure is a result, never an exception,
and an unexpected error while checking one URL makes that URL unverified, not the run
stop. Callers stay synchronous; an event loop runs inside.

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
    not http(s); an untyped image body in an encoding that cannot be read. A warning, never
    an error.
``skipped``
    Not requested: not http(s), excluded by a pattern, a host that resolves to a
    loopback, private, link-local, reserved, multicast or cloud-metadata address, or no
    network (below).

A page is called broken only on what a GET gets, as a reader's browser would: HEAD comes
first, because it reads no body, but any failing answer to it (404, 405, 500, ...) is
asked again with GET, whose answer stands. Server errors split the way transport failures
already do. A 502 (the gateway's origin refused or crashed) is a refused connection one hop
further, so it is broken; a 504 (the origin did not answer in time) is a time-out one hop
further, so it is unverified. A 503 says by definition that the condition is temporary,
and bot and DDoS protection (Cloudflare's challenge among others) answers with it, so it
is unverified too. Any other 5xx that lasts through the retries, a 500 above all, means
the page itself fails, so it is broken, as lychee reports it. Only results that are ok are
cached, so every failure is checked again on the next run.

No network: when not one URL got an HTTP answer, curate asks :data:`NETWORK_PROBE`. If that
does not answer either, the network is unavailable (an offline laptop, a CI runner without
egress, where every name is "no such host"): the URLs that could not be resolved or
connected to are skipped with :data:`NETWORK_UNAVAILABLE`, never called broken.

Safety: a host is resolved before it is contacted, on every redirect hop, and refused if
any of its addresses is not public (:func:`non_public_kind`, which also sees through the
IPv6 forms that carry an IPv4 address). The client (:mod:`curate.webclient`) then
connects to exactly the addresses that were checked, never to a second lookup's, so a DNS
server cannot answer a public address to the check and a private one to the connection
(DNS rebinding). TLS verifies the certificate against the host name, with certifi's store
(or ``SSL_CERT_FILE``/``SSL_CERT_DIR``). A caller's own ``transport`` gets the check but
not the pinning. Proxies from the environment are not used: a proxy would resolve the name
itself and make the check meaningless. A server cannot make curate wait or grow: a
``Retry-After`` beyond ``max_retry_after`` (or not a number) is not waited for, an answer
head over 64 KB is refused, and a body is read only to sniff an image, at most 64 KB off
the wire and 512 bytes decoded however many layers of compression it claims (a "gzip,
gzip" bomb stays a few KB), or to keep the connection (below).

Cost: a URL costs one HEAD on a kept-alive connection, its request written as one
``bytes`` and its answer's head parsed from a buffer; no general HTTP client runs, and
httpx is imported only for a caller's own ``transport``. A GET reads the status and
headers, then the body only when it is small (16 KB) and comes at once, to keep the
connection, or when an image's Content-Type is missing or ``application/octet-stream``:
512 bytes are then matched against image signatures. Targets are taken from
:func:`check_links`'s iterable as the checks run, so requests leave while the caller is
still producing them (reading articles).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import ipaddress
import itertools
import math
import random
import re
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from curate.__about__ import __version__
from curate.errors import UsageError
from curate.webclient import (
    ConnectError,
    ConnectTimeout,
    InvalidURL,
    Pool,
    TransportError,
    WebURL,
    _within,
    parse_url,
)

if TYPE_CHECKING:
    import httpx

__all__ = [
    "IMAGE",
    "NETWORK_UNAVAILABLE",
    "PAGE",
    "LinkCache",
    "LinkResult",
    "MemoryLinkCache",
    "OnlineOptions",
    "OnlineOptionsError",
    "Outcome",
    "Resolve",
    "check_links",
    "non_public_kind",
    "system_resolve",
]

#: The kinds of target: a page must answer, an image must answer with an image.
PAGE = "page"
IMAGE = "image"
_KINDS = frozenset({PAGE, IMAGE})

_SCHEMES = frozenset({"http", "https"})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Servers that mishandle HEAD answer with these; a GET gets the real answer.
# The site exists but will not tell a robot whether the page does; see the module docstring
# for why 503 and 504 are here.
_UNVERIFIED_STATUSES = frozenset({401, 403, 429, 503, 504, 999})
# 5xx answers that describe what the server supports, not how it is doing right now.
_PERMANENT_SERVER_ERRORS = frozenset({501, 505})
# Content-Types that say nothing about the bytes; storage services serve images as these.
_UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_SNIFF_BYTES = 512
# What a sniff reads off the wire at most, and what one layer of a compressed body may
# expand to in one step: a body compressed twice over (gzip, gzip) expands a few KB to GBs.
_RAW_BYTES = 64 * 1024
_LAYER_BYTES = 64 * 1024
_MAX_ENCODINGS = 4
# The body of a GET whose verdict does not need it is read to its end, to keep the
# connection, only if it is this small and comes this fast; otherwise the connection closes.
_DRAIN_BYTES = 16 * 1024
_DRAIN_SECONDS = 1.0
_IMAGE_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"\x00\x00\x01\x00",  # ICO
    b"BM",
)
# How long reading more targets may keep the requests already started from leaving.
_PRODUCER_SLICE = 0.001
# Event-loop turns given to the requests at each pause: a new one takes about five
# (connect, connected, transport made, connection_made, request written) to leave.
_PRODUCER_PAUSE_TURNS = 6
_METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_NO_SUCH_HOST = frozenset({socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)})

#: The reason given for each URL not checked because the network is unavailable.
NETWORK_UNAVAILABLE = "not checked: network unavailable"
#: Asked (HEAD) only when no URL got any answer, to tell an absent network from dead hosts:
#: IANA keeps this name for examples, so it always answers where there is a network.
NETWORK_PROBE = "http://example.com/"

#: Looks a host name up: its addresses as strings, or ``socket.gaierror``. Run in a thread.
Resolve = Callable[[str], Sequence[str]]


def system_resolve(host: str) -> list[str]:
    """The addresses of ``host`` from the system's resolver (getaddrinfo)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class OnlineOptionsError(UsageError):
    """An online option that cannot work, e.g. ``timeout=nan``; the message names it."""


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
            raise OnlineOptionsError("concurrency and per_host must be at least 1")
        if self.retries < 0 or self.max_redirects < 0:
            raise OnlineOptionsError("retries and max_redirects cannot be negative")
        for name in ("connect_timeout", "timeout", "max_total_time"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise OnlineOptionsError(
                    f"{name.replace('_', ' ')} must be a number of seconds above 0, not {value}"
                )
        for name in ("min_host_interval", "backoff", "max_retry_after"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise OnlineOptionsError(
                    f"{name.replace('_', ' ')} must be a number of seconds, 0 or more, not {value}"
                )
        problem = user_agent_problem(self.user_agent)
        if problem is not None:
            raise OnlineOptionsError(f"user agent {self.user_agent!r} {problem}")


def user_agent_problem(value: str) -> str | None:
    """Why ``value`` cannot be sent as a User-Agent header, or None when it can."""
    if not value.strip():
        return "is empty"
    # A CR or LF would end the header and start another (header injection); httpx would
    # also refuse non-ASCII text mid-run, after the offline checks.
    if not all(" " <= character <= "~" or character == "\t" for character in value):
        return "must be printable ASCII (no line breaks, control or non-ASCII characters)"
    return None


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
    resolve: Resolve | None = None,
) -> dict[tuple[str, str], LinkResult]:
    """Check every distinct ``(url, kind)`` target; ``kind`` is :data:`PAGE` or :data:`IMAGE`.

    Results come back keyed by target in completion order: sort them for stable output.
    ``on_result`` is called once per distinct target as its result is known, cached and
    skipped ones included. Ok results younger than ``max_cache_age`` seconds are taken from
    ``cache`` and fresh ok results are stored in it. ``transport`` replaces the network,
    e.g. with an ``httpx.MockTransport``; it is closed at the end. ``resolve`` replaces the
    system's name lookups (:func:`system_resolve`), e.g. with a fake DNS in tests.

    When no URL got any answer and the network itself cannot be reached (see
    :data:`NETWORK_PROBE`), the URLs that failed to connect or to resolve are not called
    broken: each is skipped with the reason :data:`NETWORK_UNAVAILABLE`.

    Raises ``ValueError`` for an unknown kind and ``re.error`` for a bad exclude pattern.
    """
    patterns = [re.compile(pattern) for pattern in options.exclude]
    results: dict[tuple[str, str], LinkResult] = {}

    def record(target: tuple[str, str], result: LinkResult) -> None:
        results[target] = result
        if on_result is not None:
            on_result(result)

    def to_request() -> Iterator[tuple[tuple[str, str], WebURL] | None]:
        """Each target to request; None for one that needs none (seen, skipped, cached),
        so that a slow ``targets`` is paused for the requests under way (see _check_all)."""
        seen: set[tuple[str, str]] = set()
        for target in targets:
            if target in seen:
                yield None
                continue
            seen.add(target)
            url, kind = target
            if kind not in _KINDS:
                raise ValueError(f"unknown kind of link {kind!r}: expected {PAGE!r} or {IMAGE!r}")
            screened = _screen(url, patterns)
            if isinstance(screened, LinkResult):
                record(target, screened)
                yield None
                continue
            cached = cache.get_ok(url, kind, max_cache_age) if cache is not None else None
            if cached is not None:
                record(target, cached)
                yield None
            else:
                yield target, screened

    def finish(target: tuple[str, str], result: LinkResult) -> None:
        if cache is not None and result.outcome is Outcome.OK:
            cache.put_ok(result, target[1])
        record(target, result)

    pending = to_request()
    # No event loop, no threads, when nothing needs a request.
    first = next((item for item in pending if item is not None), None)
    if first is not None:
        queue = itertools.chain((first,), pending)
        asyncio.run(_check_all(queue, options, transport, resolve or system_resolve, finish))
    return results


def _screen(url: str, patterns: list[re.Pattern[str]]) -> LinkResult | WebURL:
    """The result for a URL that needs no request, or the parsed URL to request."""
    for pattern in patterns:
        if pattern.search(url):
            return _unchecked(url, Outcome.SKIPPED, f"excluded by pattern {pattern.pattern!r}")
    try:
        parsed = parse_url(url)
    except InvalidURL as exc:
        return _unchecked(url, Outcome.BROKEN, f"invalid URL: {exc}")
    if parsed.scheme not in _SCHEMES:
        return _unchecked(url, Outcome.SKIPPED, "not an http(s) URL")
    if not parsed.host:
        return _unchecked(url, Outcome.BROKEN, "invalid URL: no host")
    return parsed


def _unchecked(url: str, outcome: Outcome, reason: str) -> LinkResult:
    return LinkResult(url, outcome, None, shorten(reason), None, 0, 0.0)


def shorten(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters: servers choose reason phrases and Locations."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _check_all(
    pending: Iterator[tuple[tuple[str, str], WebURL] | None],
    options: OnlineOptions,
    transport: httpx.AsyncBaseTransport | None,
    resolve: Resolve,
    finish: Callable[[tuple[str, str], LinkResult], None],
) -> None:
    """Check each target of ``pending`` as it comes, then decide about the unreached ones.

    ``pending`` may be slow to produce (the articles are read as it goes): every
    millisecond it is paused so that the requests started so far leave meanwhile. It
    yields None for what needs no request, so that the pauses come even then.
    """
    loop = asyncio.get_running_loop()
    # Name lookups run in threads; the default pool (a handful) would make DNS the
    # bottleneck of a run over many hosts. asyncio.run shuts the pool down.
    loop.set_default_executor(
        ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="curate-dns")
    )
    resolver = _Resolver(
        resolve, allow_private=options.allow_private, timeout=options.connect_timeout
    )
    sender: _Sender
    if transport is None:
        pool = Pool(
            resolver.addresses,
            connect_timeout=options.connect_timeout,
            max_idle=max(2 * options.concurrency, options.per_host),
        )
        sender = _NativeSender(pool, options)
    else:
        sender = _HttpxSender(transport, options)
    # Failures to reach a host, held back until something answers: if nothing does and the
    # network is down, they were never the hosts' fault.
    unreached: list[tuple[tuple[str, str], LinkResult]] = []
    checker = _Checker(options, sender, resolver)

    async def check(target: tuple[str, str], url: WebURL) -> None:
        try:
            checked = await checker.check(target[0], url, target[1])
        except Exception as exc:  # a bug must cost one URL its verdict, not the run
            reason = f"internal error while checking: {type(exc).__name__}: {exc}"
            checked = _Checked(_unchecked(target[0], Outcome.UNVERIFIED, reason), False)
        if checked.unreached and not checker.answered:
            unreached.append((target, checked.result))
        else:
            finish(target, checked.result)

    try:
        tasks = []
        paused = loop.time()
        for item in pending:
            if item is not None:
                tasks.append(loop.create_task(check(*item)))
            if loop.time() - paused > _PRODUCER_SLICE:
                for _ in range(_PRODUCER_PAUSE_TURNS):
                    await asyncio.sleep(0)
                paused = loop.time()
        await asyncio.gather(*tasks)
        offline = bool(unreached) and not checker.answered
        if offline:
            resolver.trust(parse_url(NETWORK_PROBE).host)
            offline = not await _network_reachable(sender, options)
    finally:
        await sender.aclose()
    for target, result in unreached:
        if offline:
            result = _unchecked(result.url, Outcome.SKIPPED, NETWORK_UNAVAILABLE)
        finish(target, result)


class _Failure(NamedTuple):
    """A try that got no usable HTTP answer, and whether trying again may help."""

    outcome: Outcome
    reason: str
    retryable: bool
    #: The host was not reached at all (no address, no connection): maybe no network.
    unreached: bool = False


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


class _Checked(NamedTuple):
    """A URL's result, and whether its host was never reached (see :class:`_Failure`)."""

    result: LinkResult
    unreached: bool


class _Unreachable(Exception):
    """A host that must not or cannot be contacted; raised through httpx from a connect."""

    def __init__(self, failure: _Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


class _Lookup(NamedTuple):
    addresses: tuple[str, ...]
    failure: _Failure | None


# Old spellings of IPv4 addresses that resolvers accept (inet_aton): 2130706433, 0x7f.1,
# 0177.0.0.1, 127.1. Read here, whatever the resolver, so the guard sees the address.
_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.I)


class _Resolver:
    """Looks each host up once per run and decides whether it may be contacted."""

    def __init__(self, resolve: Resolve, *, allow_private: bool, timeout: float) -> None:
        self._resolve_name = resolve
        self._allow_private = allow_private
        self._timeout = timeout
        self._lookups: dict[str, asyncio.Task[_Lookup]] = {}
        #: Lookups done, but for those a retry must ask again.
        self._known: dict[str, _Lookup] = {}
        self._trusted: set[str] = set()

    def trust(self, host: str) -> None:
        """Let ``host``, of curate's own choosing (the network probe), be at any address."""
        self._trusted.add(host)
        self._lookups.pop(host, None)
        self._known.pop(host, None)

    async def addresses(self, host: str) -> tuple[str, ...]:
        """The checked addresses of ``host``; raises :class:`_Unreachable`."""
        lookup = await self._lookup(host)
        if lookup.failure is not None:
            raise _Unreachable(lookup.failure)
        return lookup.addresses

    async def _lookup(self, host: str) -> _Lookup:
        known = self._known.get(host)
        if known is not None:
            return known
        address = _ip_literal(host)
        if address is not None:
            # Nothing to look up: judged at once, without a task or a thread.
            known = self._known[host] = self._judge(host, (address,), "")
            return known
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
                return _Lookup((), _Failure(Outcome.UNVERIFIED, reason, True, unreached=True))
        retryable = lookup.failure is not None and lookup.failure.retryable
        if self._lookups.get(host) is task:
            # Forgotten once done: kept as known unless the retry must ask again.
            del self._lookups[host]
            if not retryable:
                self._known[host] = lookup
        return lookup

    async def _resolve(self, host: str) -> _Lookup:
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(None, self._resolve_name, host)
        except socket.gaierror as exc:
            return _Lookup((), _dns_failure(host, exc))
        except UnicodeError:
            return _Lookup((), _Failure(Outcome.BROKEN, f"invalid host name {host!r}", False))
        except OSError as exc:
            reason = f"DNS lookup failed for {host}: {exc.strerror or exc}"
            return _Lookup((), _Failure(Outcome.UNVERIFIED, reason, True, unreached=True))
        addresses = tuple(dict.fromkeys(found))
        if not addresses:
            reason = f"DNS lookup failed: no address for {host}"
            return _Lookup((), _Failure(Outcome.BROKEN, reason, False, unreached=True))
        return self._judge(host, addresses, f"{host} resolves to ")

    def _judge(self, host: str, addresses: tuple[str, ...], named: str) -> _Lookup:
        # One non-public address refuses the host: a public site has no reason to publish
        # one, and a caller's transport may connect to any of them. An address that is
        # not one at all (a resolver's mistake) is never contacted either.
        allowed = self._allow_private or host in self._trusted
        for address in addresses:
            kind = non_public_kind(address)
            if kind == "invalid" or (kind is not None and not allowed):
                reason = f"refused: {named}{kind} address {address}"
                return _Lookup((), _Failure(Outcome.SKIPPED, reason, False))
        return _Lookup(addresses, None)


def _ip_literal(host: str) -> str | None:
    """The address a host written as an IP address stands for, in its usual spelling."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host.rstrip(".")):
        try:
            return socket.inet_ntoa(socket.inet_aton(host.rstrip(".")))
        except OSError:
            return None
    return None


def _networks(
    *entries: tuple[str, str],
) -> tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...]:
    return tuple((ipaddress.ip_network(network), kind) for network, kind in entries)


# What is not on the public internet, from IANA's special-purpose address registries,
# kept here so the verdict does not depend on the Python version's ipaddress tables.
_NON_PUBLIC_IPV4 = _networks(
    ("0.0.0.0/8", "reserved"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "private"),  # carrier-grade NAT
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
    ("192.0.2.0/24", "reserved"),
    ("192.88.99.0/24", "reserved"),  # 6to4 relays
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "reserved"),
    ("198.51.100.0/24", "reserved"),
    ("203.0.113.0/24", "reserved"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
)
_NON_PUBLIC_IPV6 = _networks(
    ("::/128", "reserved"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "private"),  # local-use NAT64
    ("100::/64", "reserved"),
    ("2001::/23", "reserved"),  # IETF protocol assignments, Teredo among them
    ("2001:db8::/32", "reserved"),
    ("3fff::/20", "reserved"),
    ("5f00::/16", "reserved"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "private"),  # site-local
    ("ff00::/8", "multicast"),
)
_IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIXTOFOUR = ipaddress.ip_network("2002::/16")
# Deprecated forms no public site is reached by: IPv4-compatible (::a.b.c.d) and the
# SIIT "IPv4-translated" (::ffff:0:a.b.c.d).
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


def non_public_kind(address: str) -> str | None:
    """Why ``address`` must not be contacted, or None when it is a public address.

    One of ``cloud metadata``, ``loopback``, ``link-local``, ``multicast``, ``private``,
    ``reserved``, or ``invalid`` for text that is not an address. An IPv6 address that
    carries an IPv4 one (IPv4-mapped, NAT64, 6to4, and the deprecated IPv4-compatible and
    IPv4-translated forms) is judged by the IPv4 address it carries, so that
    ``64:ff9b::10.0.0.1`` is as private as ``10.0.0.1``.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "invalid"
    if ip in _METADATA_ADDRESSES:
        return "cloud metadata"
    if isinstance(ip, ipaddress.IPv6Address):
        ip = ip.__class__(int(ip))  # without a %zone, which membership tests ignore anyway
        embedded, deprecated = _embedded_ipv4(ip)
        if embedded is not None:
            kind = non_public_kind(str(embedded))
            return kind if kind is not None or not deprecated else "reserved"
        table = _NON_PUBLIC_IPV6
    else:
        table = _NON_PUBLIC_IPV4
    for network, kind in table:
        if ip in network:
            return kind
    return None if ip.is_global else "reserved"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address | None, bool]:
    """The IPv4 address ``ip`` carries, and whether its form is deprecated."""
    low = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _IPV4_MAPPED or ip in _NAT64:
        return low, False
    if ip in _SIXTOFOUR:
        return ip.sixtofour, False
    if ip in _IPV4_TRANSLATED:
        return low, True
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        return low, True
    return None, False


def _dns_failure(host: str, exc: socket.gaierror) -> _Failure:
    if exc.errno in _NO_SUCH_HOST:
        reason = f"DNS lookup failed: no such host {host}"
        return _Failure(Outcome.BROKEN, reason, False, unreached=True)
    reason = f"DNS lookup failed for {host}: {exc.strerror}"
    return _Failure(Outcome.UNVERIFIED, reason, True, unreached=True)


async def _network_reachable(sender: _Sender, options: OnlineOptions) -> bool:
    """Whether :data:`NETWORK_PROBE` answers anything."""
    try:
        await _within(
            sender.send("HEAD", parse_url(NETWORK_PROBE), PAGE, None),
            options.connect_timeout * 2,
        )
    except Exception:  # whatever stops it, the network is not there for us
        return False
    return True


class _TimedOut(TransportError):
    """A caller's transport gave up waiting (httpx's read, write or pool time-out)."""


class _Sender(Protocol):
    """Sends one request and reads what the verdict needs of the answer."""

    async def send(
        self, method: str, url: WebURL, kind: str, cookie: str | None
    ) -> tuple[_Response, tuple[str, ...]]:
        """The answer, and the Set-Cookie values that came with it.

        Raises :class:`~curate.webclient.TransportError` (and :class:`_Unreachable`).
        """
        ...

    async def aclose(self) -> None: ...


def _media_type(content_type: str | None) -> str:
    return (content_type or "").partition(";")[0].strip().lower()


class _NativeSender:
    """HTTP/1.1 over :class:`curate.webclient.Pool`, connected to the checked addresses only."""

    def __init__(self, pool: Pool, options: OnlineOptions) -> None:
        self._pool = pool
        self._headers = (
            f"User-Agent: {options.user_agent}\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\n"
        ).encode("ascii")

    async def send(
        self, method: str, url: WebURL, kind: str, cookie: str | None
    ) -> tuple[_Response, tuple[str, ...]]:
        headers = self._headers
        if cookie is not None:
            headers += b"Cookie: " + cookie.encode("utf-8", "replace") + b"\r\n"
        async with self._pool.request(method, url, headers) as (answer, body):
            fields = answer.headers
            media_type = _media_type(fields.get("content-type"))
            image: bool | None = media_type.startswith("image/")
            if method == "HEAD":
                if media_type in _UNTYPED:
                    image = None
            elif kind == IMAGE and 200 <= answer.status < 300 and media_type in _UNTYPED:
                chunks = body.chunks(_RAW_BYTES)
                sniffed = await _sniff(chunks, fields.get("content-encoding", ""))
                image = None if sniffed is None else _looks_like_image(sniffed)
            else:
                # A small page read to its end keeps the connection for the next URL.
                await body.drain(_DRAIN_BYTES, _DRAIN_SECONDS)
            response = _Response(
                status=answer.status,
                phrase=answer.phrase,
                media_type=media_type,
                location=fields.get("location"),
                retry_after=_retry_after_seconds(fields.get("retry-after")),
                image=image,
            )
            return response, answer.cookies

    async def aclose(self) -> None:
        self._pool.close()


class _HttpxSender:
    """A caller's ``httpx.AsyncBaseTransport`` (e.g. ``httpx.MockTransport`` in tests).

    httpx is imported only here: the checks themselves do not need it.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport, options: OnlineOptions) -> None:
        import httpx

        self._httpx = httpx
        self._transport = transport
        self._headers = {
            "User-Agent": options.user_agent,
            "Accept": "*/*",
            "Accept-Encoding": "gzip, deflate",
        }
        self._timeout = httpx.Timeout(options.timeout, connect=options.connect_timeout).as_dict()

    async def send(
        self, method: str, url: WebURL, kind: str, cookie: str | None
    ) -> tuple[_Response, tuple[str, ...]]:
        httpx = self._httpx
        try:
            return await self._send(method, url, kind, cookie)
        except httpx.ConnectTimeout as exc:
            raise ConnectTimeout(str(exc) or "connection timed out") from exc
        except httpx.TimeoutException as exc:
            raise _TimedOut(str(exc) or "timed out") from exc
        except httpx.ConnectError as exc:
            raise ConnectError(str(exc) or type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            raise TransportError(str(exc) or type(exc).__name__) from exc

    async def _send(
        self, method: str, url: WebURL, kind: str, cookie: str | None
    ) -> tuple[_Response, tuple[str, ...]]:
        headers = self._headers if cookie is None else {**self._headers, "Cookie": cookie}
        request = self._httpx.Request(
            method, url.text, headers=headers, extensions={"timeout": self._timeout}
        )
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            media_type = _media_type(response.headers.get("content-type"))
            image: bool | None = media_type.startswith("image/")
            if method == "HEAD":
                if media_type in _UNTYPED:
                    image = None
            elif kind == IMAGE and response.is_success and media_type in _UNTYPED:
                # A MockTransport may hand over a body already in memory.
                stream = (
                    _as_async([response.content])
                    if response.is_stream_consumed
                    else response.aiter_raw()
                )
                sniffed = await _sniff(stream, response.headers.get("content-encoding", ""))
                image = None if sniffed is None else _looks_like_image(sniffed)
            answer = _Response(
                status=response.status_code,
                phrase=response.reason_phrase,
                media_type=media_type,
                location=response.headers.get("location"),
                retry_after=_retry_after_seconds(response.headers.get("retry-after")),
                image=image,
            )
            return answer, tuple(response.headers.get_list("set-cookie"))
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()


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
    """Checks URLs through one sender, within the global and per-host limits.

    Redirects are followed here, in one place (:meth:`check`), not by a client: a client
    that follows them works out where a redirect leads and raises on a Location it cannot
    resolve (``mailto:``, a malformed URL), losing the answer.
    """

    def __init__(self, options: OnlineOptions, sender: _Sender, resolver: _Resolver) -> None:
        self._options = options
        self._sender = sender
        # Some sites redirect to the same URL once to set a cookie, and loop without it.
        # Kept per host, sent back to that host only.
        self._cookies: dict[str, dict[str, str]] = {}
        self._resolver = resolver
        self._loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(options.concurrency)
        self._hosts: dict[str, _HostLimits] = {}
        #: Whether any request got an HTTP answer: the network works.
        self.answered = False

    async def check(self, url: str, parsed: WebURL, kind: str) -> _Checked:
        progress = _Progress(self._loop.time())
        current = parsed
        # Reported as given until a redirect, not as parsed.
        reached = url
        # Two visits are allowed, for a redirect to the same URL that sets a cookie.
        visits: collections.Counter[str] = collections.Counter()
        redirects = 0
        while True:
            visits[current.without_fragment] += 1
            answer = await self._hop(current, kind, progress)
            if isinstance(answer, _Failure):
                return self._result(
                    url, reached, progress, answer.outcome, answer.reason, None, answer.unreached
                )
            status = answer.status
            if status not in _REDIRECT_STATUSES or answer.location is None:
                outcome, reason = self._verdict(answer, kind)
                return self._result(url, reached, progress, outcome, reason, status)
            try:
                target = current.join(answer.location)
            except InvalidURL:
                reason = f"{answer.label} to an invalid URL {answer.location!r}"
                return self._result(url, reached, progress, Outcome.BROKEN, reason, status)
            redirects += 1
            if redirects > self._options.max_redirects:
                reason = f"more than {self._options.max_redirects} redirects"
                return self._result(url, reached, progress, Outcome.BROKEN, reason, status)
            if target.scheme not in _SCHEMES or not target.host:
                reason = f"{answer.label} to {target.text}, which is not an http(s) URL"
                return self._result(url, reached, progress, Outcome.UNVERIFIED, reason, status)
            if visits[target.without_fragment] >= 2:
                reason = f"redirect loop at {target.text}"
                return self._result(url, reached, progress, Outcome.BROKEN, reason, status)
            current = target
            reached = target.text

    def _result(
        self,
        url: str,
        final_url: str,
        progress: _Progress,
        outcome: Outcome,
        reason: str,
        status: int | None,
        unreached: bool = False,
    ) -> _Checked:
        reason = shorten(reason)
        if progress.attempts > 1 and outcome is not Outcome.OK:
            reason = f"{reason} after {progress.attempts} attempts"
        elapsed = progress.spent(self._loop.time())
        result = LinkResult(url, outcome, status, reason, final_url, progress.attempts, elapsed)
        return _Checked(result, unreached)

    def _verdict(self, answer: _Response, kind: str) -> tuple[Outcome, str]:
        if answer.is_success:
            if kind == IMAGE and not answer.image:
                shown = (
                    f"Content-Type {answer.media_type}" if answer.media_type else "no Content-Type"
                )
                if answer.image is None:
                    reason = f"{answer.status} with {shown} and a body that could not be read"
                    return Outcome.UNVERIFIED, reason
                return Outcome.BROKEN, f"{answer.status} but {shown}, not an image"
            return Outcome.OK, answer.label
        if answer.status in self._options.accept:
            return Outcome.OK, f"{answer.label} (accepted)"
        if answer.status in _REDIRECT_STATUSES:
            return Outcome.BROKEN, f"{answer.label} without a Location header"
        if answer.status in _UNVERIFIED_STATUSES:
            return Outcome.UNVERIFIED, answer.label
        return Outcome.BROKEN, answer.label

    async def _hop(self, url: WebURL, kind: str, progress: _Progress) -> _Answer:
        """Request one URL of a redirect chain, HEAD first, retrying what may pass."""
        method = "HEAD"
        while True:
            answer = await self._request(method, url, kind, progress)
            if method == "HEAD" and isinstance(answer, _Response) and self._ask_get(answer, kind):
                method = "GET"
                continue
            delay = self._retry_delay(answer, progress)
            if delay is None:
                return answer
            progress.attempts += 1
            await asyncio.sleep(delay)

    def _ask_get(self, head: _Response, kind: str) -> bool:
        """Whether a HEAD answer needs a GET to be sure.

        Every failure does: many servers answer HEAD wrongly (404, 405, 500) for pages a GET
        gets, and a page is called broken only on what a reader's browser would get. So
        does an image whose type only its bytes can tell. A redirect is followed with HEAD;
        a 429 asks to wait, and the retry waits.
        """
        if head.is_success:
            return kind == IMAGE and head.image is None
        return not (
            head.status in _REDIRECT_STATUSES
            or head.status in self._options.accept
            or head.status == 429
        )

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

    async def _request(self, method: str, url: WebURL, kind: str, progress: _Progress) -> _Answer:
        """One request, within the limits and time left; network failures become values."""
        host = url.host
        try:
            if not self._options.allow_private:
                # Before the sender: a caller's own transport gets the check too.
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
                jar = self._cookies.get(host)
                cookie = (
                    "; ".join(f"{name}={value}" for name, value in jar.items()) if jar else None
                )
                try:
                    response, cookies = await _within(
                        self._sender.send(method, url, kind, cookie), limit
                    )
                except asyncio.TimeoutError:
                    return _Failure(Outcome.UNVERIFIED, f"no response within {limit:g} s", True)
        except _Unreachable as exc:
            return exc.failure
        except ConnectTimeout:
            return _Failure(Outcome.UNVERIFIED, "connection timed out", True, unreached=True)
        except _TimedOut:
            return _Failure(Outcome.UNVERIFIED, "timed out", True)
        except TransportError as exc:
            return _transport_failure(exc, host)
        self.answered = True
        if cookies:
            self._keep_cookies(host, cookies)
        return response

    def _keep_cookies(self, host: str, values: Sequence[str]) -> None:
        jar = self._cookies.setdefault(host, {})
        for value in values:
            pair, _, attributes = value.partition(";")
            name, equals, content = pair.partition("=")
            name = name.strip()
            if not equals or not name or not _COOKIE_NAME.fullmatch(name):
                continue
            if _COOKIE_EXPIRED.search(attributes):
                jar.pop(name, None)
            else:
                jar[name] = content.strip()

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


def _is_transient(status: int) -> bool:
    return status == 429 or (500 <= status < 600 and status not in _PERMANENT_SERVER_ERRORS)


def _transport_failure(exc: TransportError, host: str) -> _Failure:
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
            return _Failure(Outcome.BROKEN, "connection refused", True, unreached=True)
    # Anything else (unreachable network, connection reset, malformed answer) may be on
    # our side or a robot filter's doing: the site did not say the page is gone.
    reason = f"connection failed: {str(exc) or type(exc).__name__}"
    return _Failure(Outcome.UNVERIFIED, reason, True, unreached=isinstance(exc, ConnectError))


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


_DELAY_SECONDS = re.compile(r"[0-9]+")
_COOKIE_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_COOKIE_EXPIRED = re.compile(r"(?i)(?:^|;)\s*max-age\s*=\s*(?:0|-[0-9]+)\s*(?:;|$)")


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date); None if neither.

    Only ASCII digits are delay-seconds (``str.isdigit`` takes ``²`` too, which ``float``
    refuses); a number too long to wait for is infinite, so it is never waited for.
    """
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value) if len(value) <= 15 else math.inf
    import datetime
    import email.utils  # only for the rare HTTP-date

    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


async def _sniff(chunks: AsyncIterator[bytes], encodings: str) -> bytes | None:
    """Up to the first 512 bytes of a body, decoded; None when it cannot be decoded.

    Reads at most 64 KB off the wire (the caller's ``chunks`` stop there) and lets no
    layer of compression expand beyond 64 KB, whatever the body claims to be.
    """
    decoder = _BoundedDecoder.for_encodings(encodings)
    if decoder is None:
        return None
    data = b""
    read = 0
    try:
        async for chunk in chunks:
            read += len(chunk)
            data += decoder.decode(chunk, _SNIFF_BYTES - len(data))
            if len(data) >= _SNIFF_BYTES or read >= _RAW_BYTES:
                break
    except zlib.error:
        return data or None
    return data[:_SNIFF_BYTES]


async def _as_async(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


class _BoundedDecoder:
    """Undoes Content-Encodings (gzip, deflate) without letting any layer grow unbounded."""

    def __init__(self, layers: list[Any]) -> None:
        # zlib decompressors, outermost last; the last encoding applied is the first to undo.
        self._layers = layers[::-1]
        self._tails = [b""] * len(layers)

    @classmethod
    def for_encodings(cls, header: str) -> _BoundedDecoder | None:
        names = [name.strip().lower() for name in header.split(",") if name.strip()]
        names = [name for name in names if name != "identity"]
        if len(names) > _MAX_ENCODINGS:
            return None
        layers: list[Any] = []
        for name in names:
            if name in ("gzip", "x-gzip"):
                layers.append(zlib.decompressobj(zlib.MAX_WBITS | 16))
            elif name == "deflate":
                layers.append(None)  # chosen by the first bytes: see _deflate_wbits
            else:
                return None
        return cls(layers)

    def decode(self, chunk: bytes, wanted: int) -> bytes:
        data = chunk
        last = len(self._layers) - 1
        for index, layer in enumerate(self._layers):
            pending = self._tails[index] + data
            if layer is None:
                if len(pending) < 2:
                    self._tails[index] = pending
                    return b""
                layer = self._layers[index] = zlib.decompressobj(_deflate_wbits(pending))
            data = layer.decompress(pending, wanted if index == last else _LAYER_BYTES)
            self._tails[index] = layer.unconsumed_tail
        return data


def _deflate_wbits(start: bytes) -> int:
    """zlib's window bits for a deflate body: zlib-wrapped as the standard says, or raw."""
    wrapped = start[0] & 0x0F == 8 and int.from_bytes(start[:2], "big") % 31 == 0
    return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS


def _looks_like_image(data: bytes) -> bool:
    if data.startswith(_IMAGE_SIGNATURES):
        return True
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return data[4:8] == b"ftyp" and data[8:12] in {b"avif", b"avis", b"heic", b"heix", b"mif1"}
