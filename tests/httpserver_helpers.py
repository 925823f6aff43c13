"""A web for the online checks to talk to: a real server on loopback, or a fake one in memory.

:class:`WebServer` is a real HTTP server on 127.0.0.1 that answers each path as told and
remembers every request. :func:`fake_web_diagnostics` runs the online checks of a site
against :data:`FAKE_WEB`, an ``httpx.MockTransport`` with a fake DNS: no socket is opened,
which suits the rule fixtures, whose URLs are fixed in files.
"""

from __future__ import annotations

import dataclasses
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any, NamedTuple
from unittest import mock

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


PAGE_OK = Reply(200, body=b"<html>ok</html>")
IMAGE_OK = Reply(200, {"Content-Type": "image/png"}, PNG)


class WebServer(ThreadingHTTPServer):
    """Answers ``routes[path]`` (404 for any other path) and logs ``(method, path)``."""

    daemon_threads = True

    def __init__(self, routes: Mapping[str, Reply]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = dict(routes)
        self.lock = threading.Lock()
        self.log: list[tuple[str, str]] = []
        self.stopping = threading.Event()

    @property
    def base(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def hits(self, path: str | None = None) -> int:
        """How many requests a path had, or all paths."""
        with self.lock:
            return sum(1 for _, logged in self.log if path in (None, logged))

    def paths(self) -> set[str]:
        with self.lock:
            return {path for _, path in self.log}

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The client closing a connection early (a GET cut short) is expected.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: WebServer
    protocol_version = "HTTP/1.1"

    def do_HEAD(self) -> None:
        self.answer("HEAD")

    def do_GET(self) -> None:
        self.answer("GET")

    def answer(self, method: str) -> None:
        path = self.path.partition("?")[0]
        with self.server.lock:
            self.server.log.append((method, path))
        reply = self.server.routes.get(path, Reply(404))
        self.server.stopping.wait(reply.delay)
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
def serving(routes: Mapping[str, Reply]) -> Iterator[WebServer]:
    server = WebServer(routes)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()


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


def _fake_getaddrinfo(real: Callable[..., Any]) -> Callable[..., Any]:
    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in FAKE_HOSTS:
            if host.endswith(".test"):
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (FAKE_HOSTS[host], 0))]

    return getaddrinfo


def fake_web_diagnostics(files: Sequence[str], site: Site, settings: Settings) -> list[Diagnostic]:
    """The online findings of ``files`` with the fake web: public and private hosts, no socket."""
    # No retries: the fake web answers the same every time.
    options = dataclasses.replace(online_options(settings.replace(allow_private=False)), retries=0)
    collected = collect_links(files, site, settings)
    with mock.patch.object(socket, "getaddrinfo", _fake_getaddrinfo(socket.getaddrinfo)):
        report = check_collected(collected, options, transport=httpx.MockTransport(_fake_answer))
    return list(report.diagnostics)
