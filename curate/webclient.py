"""A lean HTTP/1.1 client for the online checks: HEAD and GET, kept-alive connections, no more.

The online checks need the status and headers of an answer, and at most the first bytes of
a body. A general client (httpx over httpcore and h11) costs about ten times the CPU per
request and 0.2 s of imports before the first one; this module is what is left: URLs parsed
once into :class:`WebURL`, a request written as one ``bytes``, the head of the answer
parsed from a buffer, and a small pool of connections per origin (:class:`Pool`).

What it refuses (a :class:`ProtocolError`): a head over 64 KB, a status line that is not
``HTTP/1.x NNN``, a header line that is not ``name: value`` or has control characters,
conflicting Content-Lengths, a chunk size that is not hex. A connection is reused only
when the answer left it clean: HTTP/1.1 without ``Connection: close``, and the whole body
(if any) already read.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import ipaddress
import os
import re
import ssl
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import NamedTuple, TypeVar
from urllib.parse import quote, urljoin, urlsplit

__all__ = [
    "Answer",
    "ConnectError",
    "ConnectTimeout",
    "InvalidURL",
    "Pool",
    "ProtocolError",
    "TransportError",
    "WebURL",
    "parse_url",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 65536
#: The most a response head (status line and headers) may take.
MAX_HEAD_BYTES = 64 * 1024
#: What a connection buffers at most before it stops reading (until more is asked for).
MAX_BUFFERED_BYTES = 256 * 1024
#: How long an idle connection is kept: servers close theirs after 5 to 15 s.
KEEPALIVE_SECONDS = 5.0

_NOT_PRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
_IPV4_STYLE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$")
_PLAIN_HOST = re.compile(r"^[a-z0-9._-]+$")
# RFC 3986: unreserved, sub-delims, ':' and '@' (and '/' between segments); '%' is kept as
# written, as httpx keeps valid escapes.
_PATH_SAFE = "!$&'()*+,;=:@/%~"
_QUERY_SAFE = _PATH_SAFE + "?"
_PLAIN_PATH = re.compile(r"^[A-Za-z0-9!$&'()*+,;=:@/%~._-]*$")
_PLAIN_QUERY = re.compile(r"^[A-Za-z0-9!$&'()*+,;=:@/%~._?-]*$")
_TOKEN = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_STATUS_LINE = re.compile(rb"^HTTP/1\.([0-9]) ([0-9]{3})(?: (.*))?$", re.DOTALL)
_CHUNK_SIZE = re.compile(rb"^([0-9A-Fa-f]{1,16})[ \t]*(?:;.*)?$")


class InvalidURL(ValueError):
    """Text that is not a URL curate can request; the message says why."""


class TransportError(Exception):
    """No usable answer: the connection failed, broke, or the server spoke something else."""


class ConnectError(TransportError):
    """The host could not be connected to (refused, unreachable, TLS failed)."""


class ConnectTimeout(ConnectError):
    """Connecting (TCP and TLS) took longer than the connect time-out."""


class ProtocolError(TransportError):
    """The server's answer is not HTTP/1.x as this client reads it."""


class _Dropped(TransportError):
    """The connection ended before any byte of an answer came."""


class WebURL(NamedTuple):
    """A URL parsed once: what a request needs, and its text as reported.

    For http(s): ``host`` is lower case and ASCII (IDNA), an IPv6 address without its
    brackets; ``port`` is None for the scheme's default; ``target`` is the path and query,
    percent-encoded. For other schemes only ``scheme`` and ``text`` are meaningful.
    """

    scheme: str
    host: str
    port: int | None
    target: str
    text: str

    @property
    def origin(self) -> tuple[str, str, int | None]:
        return (self.scheme, self.host, self.port)

    @property
    def authority(self) -> str:
        """The Host header: the host (IPv6 in brackets) and a port other than the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def without_fragment(self) -> str:
        return self.text.partition("#")[0]

    def join(self, location: str) -> WebURL:
        """Where ``location`` (a redirect's Location) leads from this URL."""
        if _NOT_PRINTABLE.search(location):
            raise InvalidURL("invalid non-printable character in URL")
        try:
            joined = urljoin(self.text, location)
        except ValueError as error:
            raise InvalidURL(str(error)) from None
        return parse_url(joined)


def parse_url(text: str) -> WebURL:
    """``text`` as a :class:`WebURL`; raises :class:`InvalidURL`."""
    if len(text) > MAX_URL_LENGTH:
        raise InvalidURL("URL too long")
    if _NOT_PRINTABLE.search(text):
        raise InvalidURL("invalid non-printable character in URL")
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise InvalidURL(str(error)) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return WebURL(scheme, "", None, "", text)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    if hostport.startswith("["):
        end = hostport.find("]")
        literal = hostport[1:end]
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            raise InvalidURL(f"invalid IPv6 address: {literal!r}") from None
        host, port_text = literal.lower(), hostport[end + 1 :]
        if port_text and not port_text.startswith(":"):
            raise InvalidURL(f"invalid port: {port_text!r}")
        port_text = port_text[1:]
    else:
        host, _, port_text = hostport.partition(":")
        host = _encode_host(host)
    port: int | None = None
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
            raise InvalidURL(f"invalid port: {port_text!r}")
        port = int(port_text)
        if port == _DEFAULT_PORTS[scheme]:
            port = None
    path = parts.path
    if not _PLAIN_PATH.match(path):
        path = quote(path, safe=_PATH_SAFE)
    target = path or "/"
    if parts.query or text.endswith("?") or "?#" in text:
        query = parts.query
        if not _PLAIN_QUERY.match(query):
            query = quote(query, safe=_QUERY_SAFE)
        target = f"{target}?{query}"
    authority = f"[{host}]" if ":" in host else host
    if port is not None:
        authority = f"{authority}:{port}"
    if userinfo:
        authority = f"{quote(userinfo, safe=_PATH_SAFE)}@{authority}"
    fragment = f"#{quote(parts.fragment, safe=_QUERY_SAFE)}" if parts.fragment else ""
    shown_path = target if path or "?" in target else ""
    return WebURL(scheme, host, port, target, f"{scheme}://{authority}{shown_path}{fragment}")


@functools.lru_cache(maxsize=1024)
def _encode_host(host: str) -> str:
    if not host:
        return ""
    if _IPV4_STYLE.match(host):
        # Browsers read 0177.0.0.1 as octal, some resolvers as decimal: refused, as httpx does.
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise InvalidURL(f"invalid IPv4 address: {host!r}") from None
        return host
    if host.isascii():
        host = host.lower()
        if not _PLAIN_HOST.match(host):
            raise InvalidURL(f"invalid host name: {host!r}")
        return host
    import idna  # only for international names: 10 ms to import

    try:
        return str(idna.encode(host.lower()).decode("ascii"))
    except idna.IDNAError:
        raise InvalidURL(f"invalid international host name: {host!r}") from None


class Answer(NamedTuple):
    """The head of an HTTP answer: status, reason phrase and headers (names in lower case)."""

    status: int
    phrase: str
    headers: dict[str, str]
    #: Every Set-Cookie value, which cannot be joined with commas like other headers.
    cookies: tuple[str, ...]

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def _decode(value: bytes) -> str:
    """A header value as httpx reads one: ASCII, else UTF-8, else Latin-1."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def parse_head(head: bytes) -> tuple[Answer, bool]:
    """The :class:`Answer` of a response head (without its blank line), and its HTTP minor.

    Raises :class:`ProtocolError`.
    """
    lines = head.split(b"\n")
    match = _STATUS_LINE.match(lines[0].rstrip(b"\r"))
    if match is None:
        raise ProtocolError(f"not an HTTP/1 status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for raw in lines[1:]:
        line = raw.rstrip(b"\r")
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.match(name):
            raise ProtocolError(f"malformed header line: {line[:80]!r}")
        value = value.strip(b" \t")
        if _BAD_VALUE.search(value):
            raise ProtocolError(f"control character in header {name.decode('ascii')}")
        key = name.decode("ascii").lower()
        text = _decode(value)
        if key == "set-cookie":
            cookies.append(text)
        elif key in headers:
            if key == "content-length" and headers[key] != text:
                raise ProtocolError("conflicting Content-Length headers")
            if key != "content-length":
                headers[key] = f"{headers[key]}, {text}"
        else:
            headers[key] = text
    phrase = (match.group(3) or b"").decode("ascii", "ignore").strip()
    answer = Answer(int(match.group(2)), phrase, headers, tuple(cookies))
    return answer, match.group(1) == b"1"


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection: the bytes received so far, and a waiter for more."""

    def __init__(self, opened: set[_Connection]) -> None:
        self._opened = opened
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.ended = False
        self.error: BaseException | None = None
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._opened.add(self)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > MAX_BUFFERED_BYTES and self.transport is not None:
            # Nobody reads that much: a server streaming a body must not grow the buffer.
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool | None:
        self.ended = True
        self._wake()
        return None

    def connection_lost(self, exc: BaseException | None) -> None:
        self.ended = True
        self.error = exc
        self._opened.discard(self)
        self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @property
    def usable(self) -> bool:
        """Whether an idle connection can take a request: open, and nothing unread."""
        return not self.ended and not self.buffer and self.transport is not None

    def close(self) -> None:
        self.ended = True
        # Once only: an asyncio TLS transport closed twice lets go of its protocol, and
        # could not be aborted any more (:meth:`Pool.aclose`).
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        """Close at once, without waiting for a TLS peer's close_notify."""
        self.ended = True
        if self.transport is not None:
            self.transport.abort()

    async def more(self) -> None:
        """Wait for more bytes or the end of the stream; raises at the end."""
        if self.ended:
            if self.error is not None:
                raise TransportError(str(self.error) or type(self.error).__name__) from self.error
            raise ProtocolError("the server closed the connection mid-answer")
        transport = self.transport
        if transport is not None and not transport.is_reading() and not transport.is_closing():
            transport.resume_reading()
        self._waiter = asyncio.get_running_loop().create_future()
        await self._waiter

    async def read_head(self) -> bytes:
        """The next response head, taken off the buffer with its blank line."""
        searched = 0
        while True:
            buffer = self.buffer
            end = buffer.find(b"\n\r\n", searched)
            size = 3
            bare = buffer.find(b"\n\n", searched)
            if bare != -1 and (end == -1 or bare < end):
                end, size = bare, 2
            if end != -1:
                head = bytes(buffer[:end])
                del buffer[: end + size]
                return head
            if len(buffer) > MAX_HEAD_BYTES:
                raise ProtocolError(f"response head over {MAX_HEAD_BYTES // 1024} KB")
            searched = max(0, len(buffer) - 2)
            if self.ended and not buffer:
                reason = "the server closed the connection without answering"
                if self.error is not None:
                    reason = str(self.error) or type(self.error).__name__
                raise _Dropped(reason) from self.error
            await self.more()


class _Origin:
    """The idle connections to one origin (the most recently used last), and its requests."""

    __slots__ = ("active", "idle")

    def __init__(self) -> None:
        self.idle: list[_Connection] = []
        self.active = 0


#: Connects to a host: the addresses to try (already checked), each as a string.
Addresses = Callable[[str], Awaitable[Sequence[str]]]
_T = TypeVar("_T")
_Key = tuple[str, str, int | None]


class Pool:
    """Kept-alive connections per origin, opened to the addresses ``addresses`` gives.

    A request takes the most recently used idle connection of its origin, or opens one;
    the caller bounds how many requests an origin has at once, so an origin has at most
    that many connections. At most ``max_idle`` idle connections are kept over all
    origins, those of the least recently used origins closed first, so a run over many
    hosts does not hold a socket open for each.
    """

    def __init__(
        self,
        addresses: Addresses,
        *,
        connect_timeout: float,
        max_idle: int,
        tls: Callable[[], ssl.SSLContext] | None = None,
    ) -> None:
        self._addresses = addresses
        self._connect_timeout = connect_timeout
        self._max_idle = max_idle
        self._tls_factory = tls or default_tls_context
        self._tls: ssl.SSLContext | None = None
        self._origins: dict[_Key, _Origin] = {}
        # The origins with idle connections, the least recently used first.
        self._idle: collections.OrderedDict[_Key, _Origin] = collections.OrderedDict()
        self._idle_count = 0
        # Every connection made and not yet lost, whether in use, idle or closing: a TLS
        # one that was closed stays open until the server answers its close_notify.
        self._opened: set[_Connection] = set()

    @property
    def origins_kept(self) -> int:
        """Origins with idle connections or requests in flight."""
        return len(self._origins)

    @property
    def idle_connections(self) -> int:
        return self._idle_count

    @contextlib.asynccontextmanager
    async def request(
        self, method: str, url: WebURL, headers: bytes
    ) -> AsyncIterator[tuple[Answer, _Body]]:
        """Send ``method url`` with ``headers`` (CRLF-ended lines); yields the answer and body.

        The body is read only as far as the caller reads it; the connection goes back to
        the pool only when the answer left it clean.
        """
        key = url.origin
        origin = self._origins.get(key)
        if origin is None:
            origin = self._origins[key] = _Origin()
        origin.active += 1
        message = f"{method} {url.target} HTTP/1.1\r\nHost: {url.authority}\r\n".encode("ascii")
        message += headers + b"\r\n"
        connection: _Connection | None = None
        keep = False
        try:
            connection = self._take_idle(key, origin)
            reused = connection is not None
            if connection is None:
                connection = await self._connect(url)
            try:
                answer, minor = await self._exchange(connection, message)
            except _Dropped:
                if not reused:
                    raise
                # A kept connection the server closed meanwhile: once more on a new one.
                connection.close()
                connection = await self._connect(url)
                answer, minor = await self._exchange(connection, message)
            body = _Body(connection, answer, method, minor)
            yield answer, body
            keep = body.finished()
        finally:
            origin.active -= 1
            if connection is not None:
                if keep:
                    self._keep_idle(key, origin, connection)
                else:
                    connection.close()
            if not origin.active and not origin.idle:
                del self._origins[key]

    def _take_idle(self, key: _Key, origin: _Origin) -> _Connection | None:
        found = None
        now = time.monotonic()
        while origin.idle:
            candidate = origin.idle.pop()
            self._idle_count -= 1
            if candidate.usable and now - candidate.idle_since < KEEPALIVE_SECONDS:
                found = candidate
                break
            candidate.close()
        if not origin.idle:
            self._idle.pop(key, None)
        return found

    def _keep_idle(self, key: _Key, origin: _Origin, connection: _Connection) -> None:
        connection.idle_since = time.monotonic()
        origin.idle.append(connection)
        self._idle_count += 1
        self._idle[key] = origin
        self._idle.move_to_end(key)
        while self._idle_count > self._max_idle:
            oldest_key, oldest = next(iter(self._idle.items()))
            oldest.idle.pop(0).close()
            self._idle_count -= 1
            if not oldest.idle:
                del self._idle[oldest_key]
                if not oldest.active:
                    del self._origins[oldest_key]

    async def _exchange(self, connection: _Connection, message: bytes) -> tuple[Answer, bool]:
        transport = connection.transport
        assert transport is not None
        if transport.is_closing():
            raise _Dropped("the connection is closed")
        transport.write(message)
        while True:
            answer, minor = parse_head(await connection.read_head())
            if not 100 <= answer.status < 200:
                return answer, minor
            if answer.status == 101:
                raise ProtocolError("the server switched protocols")

    async def _connect(self, url: WebURL) -> _Connection:
        *fallbacks, last = await self._addresses(url.host)
        port = url.port or _DEFAULT_PORTS[url.scheme]
        for address in fallbacks:
            with contextlib.suppress(ConnectError):
                return await self._open(url, address, port)
        return await self._open(url, last, port)

    async def _open(self, url: WebURL, address: str, port: int) -> _Connection:
        loop = asyncio.get_running_loop()
        secure = url.scheme == "https"
        if secure and self._tls is None:
            self._tls = self._tls_factory()
        tls = self._tls if secure else None
        try:
            _, connection = await _within(
                loop.create_connection(
                    functools.partial(_Connection, self._opened),
                    address,
                    port,
                    ssl=tls,
                    server_hostname=url.host if secure else None,
                    ssl_handshake_timeout=self._connect_timeout if secure else None,
                ),
                self._connect_timeout,
            )
        except asyncio.TimeoutError:
            raise ConnectTimeout(f"connecting to {address} timed out") from None
        except (OSError, ssl.SSLError) as error:
            raise ConnectError(str(error) or type(error).__name__) from error
        return connection

    def close(self) -> None:
        """Close the idle connections (those in use close when their request ends)."""
        for origin in self._idle.values():
            for connection in origin.idle:
                connection.close()
            origin.idle.clear()
        self._idle.clear()
        self._idle_count = 0

    async def aclose(self) -> None:
        """Close every connection, its socket included, before the event loop ends.

        Closing a TLS connection sends close_notify and keeps the socket until the server
        answers or 30 s pass: a loop closed meanwhile would leave the socket open. What is
        still open after the idle connections are closed is aborted, and the loop turns
        until the sockets are closed.
        """
        self.close()
        for connection in list(self._opened):
            connection.abort()
        for _ in range(10):  # the sockets close in the next turn, the protocols in the one after
            if not self._opened:
                break
            await asyncio.sleep(0)


class _Body:
    """The body of one answer, read only as far as asked (:meth:`chunks`)."""

    def __init__(self, connection: _Connection, answer: Answer, method: str, minor: bool) -> None:
        self._connection = connection
        status = answer.status
        self._reusable = minor and "close" not in answer.headers.get("connection", "").lower()
        self._length: int | None = None
        self._chunked = False
        if method == "HEAD" or status in (204, 304):
            self._length = 0
        elif "chunked" in answer.headers.get("transfer-encoding", "").lower():
            self._chunked = True
        else:
            declared = answer.headers.get("content-length")
            if declared is None:
                self._reusable = False  # the body ends when the connection does
            elif not declared.isascii() or not declared.isdigit():
                raise ProtocolError(f"invalid Content-Length {declared[:40]!r}")
            else:
                self._length = int(declared)
        self._consumed = False
        self._complete = self._length == 0

    def finished(self) -> bool:
        """Whether the connection can take another request: the whole body is behind it.

        A body already in the buffer is dropped; one still on the wire is not waited for
        here (see :meth:`drain`): the connection is closed instead.
        """
        if not self._reusable:
            return False
        buffer = self._connection.buffer
        if not self._consumed and self._length is not None and len(buffer) == self._length:
            buffer.clear()
            self._complete = True
        return self._complete and self._connection.usable

    async def drain(self, limit: int, seconds: float) -> None:
        """Read a body of at most ``limit`` bytes that comes within ``seconds``, to keep
        the connection; a bigger, slower or broken one is left (the connection closes)."""
        if self._complete or not self._reusable or self._consumed:
            return
        if self._length is not None and self._length > limit:
            return
        with contextlib.suppress(TransportError, asyncio.TimeoutError):
            await _within(self._read_all(limit), seconds)

    async def _read_all(self, limit: int) -> None:
        async for _ in self.chunks(limit):
            pass

    async def chunks(self, limit: int) -> AsyncIterator[bytes]:
        """The body's bytes as they come, up to about ``limit`` bytes off the wire."""
        self._consumed = True
        connection = self._connection
        buffer = connection.buffer
        read = 0
        if self._chunked:
            async for chunk in self._dechunk(limit):
                yield chunk
            return
        remaining = self._length if self._length is not None else limit
        if self._length is not None and len(buffer) >= remaining and remaining <= limit:
            # The whole body is here: the common case of a small page.
            piece = bytes(buffer[:remaining])
            del buffer[:remaining]
            self._complete = True
            if piece:
                yield piece
            return
        while remaining > 0 and read < limit:
            if not buffer:
                if connection.ended and self._length is None and connection.error is None:
                    return
                await connection.more()
                continue
            piece = bytes(buffer[:remaining])
            del buffer[: len(piece)]
            remaining -= len(piece)
            read += len(piece)
            if self._length is not None and not remaining:
                self._complete = True
            yield piece

    async def _dechunk(self, limit: int) -> AsyncIterator[bytes]:
        connection = self._connection
        buffer = connection.buffer
        read = 0
        while read < limit:
            end = buffer.find(b"\r\n")
            if end == -1:
                if len(buffer) > 1024:
                    raise ProtocolError("chunk size line too long")
                await connection.more()
                continue
            match = _CHUNK_SIZE.match(bytes(buffer[:end]))
            if match is None:
                raise ProtocolError("invalid chunk size")
            size = int(match.group(1), 16)
            del buffer[: end + 2]
            if size == 0:
                # No trailers expected: the blank line that ends the body.
                while len(buffer) < 2:
                    await connection.more()
                if buffer[:2] == b"\r\n":
                    del buffer[:2]
                    self._complete = True
                return
            while size and read < limit:
                if not buffer:
                    await connection.more()
                    continue
                piece = bytes(buffer[:size])
                del buffer[: len(piece)]
                size -= len(piece)
                read += len(piece)
                yield piece
            while len(buffer) < 2 and read < limit:
                await connection.more()
            if buffer[:2] != b"\r\n":
                raise ProtocolError("chunk not followed by CRLF")
            del buffer[:2]


def default_tls_context() -> ssl.SSLContext:
    """Certificates verified against certifi's store, as httpx does (SSL_CERT_FILE/DIR first).

    Loading the store takes about 80 ms: it is made for the first https origin only.
    """
    if os.environ.get("SSL_CERT_FILE"):
        context = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    elif os.environ.get("SSL_CERT_DIR"):
        context = ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    else:
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
    context.set_alpn_protocols(["http/1.1"])
    return context


async def _within(awaitable: Awaitable[_T], timeout: float | None) -> _T:
    """``awaitable``'s result, or asyncio.TimeoutError after ``timeout`` seconds."""
    if timeout is None:
        return await awaitable
    if sys.version_info >= (3, 11):
        # A deadline on the current task: no task of its own, unlike wait_for before 3.12.
        async with asyncio.timeout(timeout):
            return await awaitable
    return await asyncio.wait_for(awaitable, timeout)
