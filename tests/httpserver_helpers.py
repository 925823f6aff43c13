"""A web for the online checks to talk to: real servers on loopback, or a fake one in memory.

:class:`Web` is the one HTTP server of the tests: on a loopback address, it answers each
path as its routes say and remembers every request; :func:`serving` starts and stops
one. :func:`fake_web_diagnostics` runs the online checks of a site against an
``httpx.MockTransport`` with a fake DNS: no socket is opened, which suits the rule
fixtures, whose URLs are fixed in files. :class:`FakeDNS` is a resolver to give
:func:`curate.online.check_links`: no test looks a real name up.
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any, NamedTuple

import httpx

from curate.config import Settings
from curate.corpus import Site
from curate.links import check_collected, collect_links, online_options
from curate.model import Diagnostic

PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)


class Reply(NamedTuple):
    status: int
    headers: Mapping[str, str] = MappingProxyType({"Content-Type": "text/html"})
    body: bytes = b""
    delay: float = 0.0


class Asked(NamedTuple):
    """A request as a route sees it."""

    method: str
    #: How many requests the path had before this one.
    seen: int
    cookie: str


class Logged(NamedTuple):
    method: str
    path: str
    user_agent: str
    client_port: int


PAGE_OK = Reply(200, body=b"<html>ok</html>")
IMAGE_OK = Reply(200, {"Content-Type": "image/png"}, PNG)

#: A route: a fixed reply, or one that depends on the request.
Route = Reply | Callable[[Asked], Reply]


class Gauge:
    """Counts requests in flight and remembers the most at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current = 0
        self.most = 0

    def __enter__(self) -> None:
        with self._lock:
            self.current += 1
            self.most = max(self.most, self.current)

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self.current -= 1


class Web(ThreadingHTTPServer):
    """Answers ``routes[path]`` (404 for any other path) on ``address``, logging each request.

    HTTP/1.1 with keep-alive, which the checker relies on and werkzeug's server (under
    ``pytest-httpserver``) does not offer: it closes every connection. ``shared`` gauges
    requests in flight across several servers.
    """

    daemon_threads = True
    request_queue_size = 64

    def __init__(
        self,
        routes: Mapping[str, Route],
        address: str = "127.0.0.1",
        shared: Gauge | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__((address, 0), _Handler)
        self.scheme = "http"
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
            self.scheme = "https"
        self.routes = dict(routes)
        self.lock = threading.Lock()
        self.log: list[Logged] = []
        self.gauge = Gauge()
        self.shared = shared or Gauge()
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, args=(0.01,), daemon=True)

    @property
    def base(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"{self.scheme}://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def requests(self, path: str | None = None) -> list[str]:
        """The methods requested, of one path or of all, in order."""
        with self.lock:
            return [logged.method for logged in self.log if path in (None, logged.path)]

    def hits(self, path: str | None = None) -> int:
        """How many requests a path had, or all paths."""
        return len(self.requests(path))

    def paths(self) -> set[str]:
        with self.lock:
            return {logged.path for logged in self.log}

    @property
    def user_agents(self) -> set[str]:
        with self.lock:
            return {logged.user_agent for logged in self.log}

    @property
    def client_ports(self) -> set[int]:
        with self.lock:
            return {logged.client_port for logged in self.log}

    def reply(self, handler: _Handler, method: str) -> Reply:
        path = handler.path.partition("?")[0]
        with self.lock:
            seen = sum(1 for logged in self.log if logged.path == path)
            user_agent = handler.headers.get("User-Agent", "")
            self.log.append(Logged(method, path, user_agent, handler.client_address[1]))
        route = self.routes.get(path, Reply(404))
        asked = Asked(method, seen, handler.headers.get("Cookie", ""))
        reply = route(asked) if callable(route) else route
        with self.gauge, self.shared:
            self.stopping.wait(reply.delay)
        return reply

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The client closing a connection early (a GET cut short, a time-out) or refusing
        # the certificate is expected.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)

    def start(self) -> Web:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
        self._thread.join()


class _Handler(BaseHTTPRequestHandler):
    server: Web
    protocol_version = "HTTP/1.1"

    def do_HEAD(self) -> None:
        self.answer("HEAD")

    def do_GET(self) -> None:
        self.answer("GET")

    def answer(self, method: str) -> None:
        reply = self.server.reply(self, method)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if method == "GET":
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(
    routes: Mapping[str, Route],
    address: str = "127.0.0.1",
    shared: Gauge | None = None,
    tls: ssl.SSLContext | None = None,
) -> Iterator[Web]:
    web = Web(routes, address, shared, tls).start()
    try:
        yield web
    finally:
        web.stop()


@contextmanager
def raw_server(answer: bytes | Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that answers every request with ``answer`` and hangs up.

    For what no HTTP server would send: malformed status lines and headers, bodies that
    never end. Yields the base URL.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    # Closing a socket does not wake a thread blocked in accept(): poll instead.
    listener.settimeout(0.05)
    stopping = threading.Event()

    def serve() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(10)
                try:
                    connection.recv(65536)
                    if callable(answer):
                        answer(connection)
                    else:
                        connection.sendall(answer)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        thread.join()
        listener.close()


class FakeDNS:
    """A resolver for :func:`curate.online.check_links`: each name's answers, in turn.

    An answer is an address, or a ``socket.gaierror`` errno to fail with; the last answer
    of a name repeats. A name it does not know fails as no such host. Lookups are logged.
    """

    def __init__(self, answers: Mapping[str, Sequence[str | int]] | None = None) -> None:
        self.answers = {name: list(given) for name, given in (answers or {}).items()}
        self.lookups: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, host: str) -> list[str]:
        with self._lock:
            self.lookups.append(host)
            given = self.answers.get(host, [socket.EAI_NONAME])
            answer = given.pop(0) if len(given) > 1 else given[0]
        if isinstance(answer, int):
            raise socket.gaierror(answer, "fake failure")
        return [answer]


def no_network(host: str) -> list[str]:
    """A resolver on a machine without a network: every lookup fails."""
    raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


# --- the fake web of the rule fixtures -----------------------------------------------

#: Host names of the fixtures and the addresses the fake DNS gives them.
FAKE_HOSTS = {
    "news.test": "93.184.215.14",
    "cdn.test": "93.184.215.15",
    "intranet.test": "10.0.0.7",
}


def _fake_answer(request: httpx.Request) -> httpx.Response:
    """``/status/NNN`` answers NNN; ``/image/...`` a PNG; any other path an HTML page."""
    path = request.url.path
    if path.startswith("/status/"):
        return httpx.Response(int(path.split("/")[2]), headers={"Content-Type": "text/html"})
    if path.startswith("/image/"):
        return httpx.Response(200, headers={"Content-Type": "image/png"}, content=PNG)
    return httpx.Response(200, headers={"Content-Type": "text/html"}, content=b"<html></html>")


def fake_web_diagnostics(files: Sequence[str], site: Site, settings: Settings) -> list[Diagnostic]:
    """The online findings of ``files`` with the fake web: public and private hosts, no socket."""
    # No retries: the fake web answers the same every time.
    options = dataclasses.replace(online_options(settings.replace(allow_private=False)), retries=0)
    collected = collect_links(files, site, settings)
    report = check_collected(
        collected,
        options,
        transport=httpx.MockTransport(_fake_answer),
        resolve=FakeDNS({name: [address] for name, address in FAKE_HOSTS.items()}),
    )
    return list(report.diagnostics)
