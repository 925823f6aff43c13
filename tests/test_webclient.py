"""The lean HTTP/1.1 client of the online checks: URLs, answer heads, connections, bodies."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import gzip
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import trustme

from curate import online, webclient
from curate.online import IMAGE, PAGE, OnlineOptions, Outcome, check_links
from curate.webclient import InvalidURL, ProtocolError, parse_head, parse_url
from tests.httpserver_helpers import PNG, Reply, raw_server, serving

FAST = OnlineOptions(allow_private=True, retries=1, backoff=0.01, timeout=2.0, connect_timeout=1.0)


@pytest.fixture(autouse=True)
def network_probe(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The network probe on loopback: no test reaches the internet when nothing answers."""
    with serving({"/": Reply(200)}) as probe:
        monkeypatch.setattr(online, "NETWORK_PROBE", probe.url("/"))
        yield


# --- URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "host", "port", "target", "shown"),
    [
        ("http://Example.COM", "example.com", None, "/", "http://example.com"),
        ("HTTPS://example.com:443/a", "example.com", None, "/a", "https://example.com/a"),
        ("http://example.com:8080/a?b=c", "example.com", 8080, "/a?b=c", None),
        ("http://example.com/a b/é", "example.com", None, "/a%20b/%C3%A9", None),
        ("http://example.com/a%2Fb?q=%20", "example.com", None, "/a%2Fb?q=%20", None),
        ("http://example.com/a#part", "example.com", None, "/a", "http://example.com/a#part"),
        ("http://[::1]:8000/", "::1", 8000, "/", "http://[::1]:8000/"),
        ("http://bücher.example/", "xn--bcher-kva.example", None, "/", None),
        ("http://127.1/", "127.1", None, "/", None),
        ("http://user:pw@example.com/", "example.com", None, "/", None),
    ],
)
def test_urls_are_parsed_once_into_what_a_request_needs(
    text: str, host: str, port: int | None, target: str, shown: str | None
) -> None:
    url = parse_url(text)

    assert (url.host, url.port, url.target) == (host, port, target)
    if shown is not None:
        assert url.text == shown


@pytest.mark.parametrize(
    "text",
    [
        "http://0177.0.0.1/",
        "http://256.0.0.1/",
        "http://example.com:99999/",
        "http://example.com:8o/",
        "http://[::1/",
        "http://exa mple.com/",
        "http://example.com/\x00",
        "http://" + "a" * 70_000,
    ],
)
def test_urls_that_cannot_be_requested_are_refused(text: str) -> None:
    with pytest.raises(InvalidURL):
        parse_url(text)


def test_other_schemes_are_kept_as_written() -> None:
    url = parse_url("mailto:desk@example.org")

    assert (url.scheme, url.host, url.text) == ("mailto", "", "mailto:desk@example.org")


@pytest.mark.parametrize(
    ("location", "joined"),
    [
        ("/b?c", "http://example.com/b?c"),
        ("d", "http://example.com/a/d"),
        ("//other.example/e", "http://other.example/e"),
        ("https://example.com/", "https://example.com/"),
        ("mailto:desk@example.org", "mailto:desk@example.org"),
    ],
)
def test_redirects_are_joined_to_the_url_they_came_from(location: str, joined: str) -> None:
    assert parse_url("http://example.com/a/z").join(location).text == joined


# --- answer heads ----------------------------------------------------------------------


def test_a_head_gives_status_phrase_headers_and_every_cookie() -> None:
    answer, keep_alive = parse_head(
        b"HTTP/1.1 302 Found\r\nLocation: /x\r\nSet-Cookie: a=1\r\n"
        b"set-cookie: b=2; Path=/\r\nVary: A\r\nVary: B\r\nContent-Length: 0"
    )

    assert (answer.status, answer.phrase, keep_alive) == (302, "Found", True)
    assert answer.headers == {"location": "/x", "vary": "A, B", "content-length": "0"}
    assert answer.cookies == ("a=1", "b=2; Path=/")


def test_a_location_in_latin_1_is_read_as_latin_1() -> None:
    answer, _ = parse_head(b"HTTP/1.0 301 Moved\nLocation: /\xe9")

    assert answer.headers["location"] == "/é"


@pytest.mark.parametrize(
    "head",
    [
        b"garbage",
        b"HTTP/2 200 OK",
        b"HTTP/1.1 2000 OK",
        b"HTTP/1.1 200 OK\r\nno colon here",
        b"HTTP/1.1 200 OK\r\nBad Name: x",
        b"HTTP/1.1 200 OK\r\nX: a\x00b",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2",
    ],
)
def test_malformed_heads_are_protocol_errors(head: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_head(head)


# --- connections and bodies ------------------------------------------------------------


@contextmanager
def one_answer_per_connection(answer: bytes) -> Iterator[tuple[str, list[int]]]:
    """A server that answers each connection's first request with ``answer``, then hangs up.

    The answer says nothing of closing: a client that keeps the connection finds it closed
    at its next request. Yields the base URL and a list that counts the connections.
    """
    connections: list[int] = []

    def reply(connection: socket.socket) -> None:
        connections.append(1)
        connection.sendall(answer)

    with raw_server(reply) as base:
        yield base, connections


def test_a_kept_connection_the_server_closed_is_replaced_without_a_retry() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n"
    with one_answer_per_connection(answer) as (base, connections):
        targets = [(f"{base}/{i}", PAGE) for i in range(3)]

        results = check_links(targets, dataclasses.replace(FAST, per_host=1, retries=0))

    assert [(r.outcome, r.attempts) for r in results.values()] == [(Outcome.OK, 1)] * 3
    assert len(connections) == 3


def test_a_chunked_image_body_is_sniffed() -> None:
    body = gzip.compress(PNG)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:5], body[5:]))
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    )
    with one_answer_per_connection(answer) as (base, _):
        result = check_links([(f"{base}/logo", IMAGE)], FAST)[(f"{base}/logo", IMAGE)]

    assert (result.outcome, result.reason) == (Outcome.OK, "200 OK")


def test_a_get_whose_whole_body_came_keeps_its_connection() -> None:
    routes = {"/page": lambda asked: Reply(405 if asked.method == "HEAD" else 200, body=b"ok")}
    with serving(routes) as server:
        targets = [(server.url(f"/page?{i}"), PAGE) for i in range(3)]

        results = check_links(targets, dataclasses.replace(FAST, per_host=1))

    assert {r.outcome for r in results.values()} == {Outcome.OK}
    assert sorted(server.requests()) == ["GET"] * 3 + ["HEAD"] * 3
    assert len(server.client_ports) == 1


def test_the_checks_do_not_import_httpx(tmp_path: object) -> None:
    with serving({"/ok": Reply(200)}) as server:
        script = textwrap.dedent(
            f"""
            import sys
            from curate.online import PAGE, OnlineOptions, check_links
            options = OnlineOptions(allow_private=True)
            results = check_links([({server.url("/ok")!r}, PAGE)], options)
            assert [r.outcome.value for r in results.values()] == ["ok"], results
            assert "httpx" not in sys.modules and "httpcore" not in sys.modules
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
        )

    assert done.returncode == 0, done.stderr


class _FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.reading = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def is_reading(self) -> bool:
        return self.reading

    def is_closing(self) -> bool:
        return False


def test_a_connection_stops_reading_what_nobody_asked_for() -> None:
    async def stream() -> tuple[bool, bool]:
        connection = webclient._Connection(set())
        transport = _FakeTransport()
        connection.connection_made(transport)
        for _ in range(300):
            connection.data_received(bytes(1024))
        paused = not transport.reading
        connection.buffer.clear()
        asking = asyncio.ensure_future(connection.more())
        await asyncio.sleep(0)
        resumed = transport.reading
        connection.data_received(b"x")
        await asking
        return paused, resumed

    assert asyncio.run(stream()) == (True, True)


# --- every connection closed -----------------------------------------------------------


ANSWER_THEN_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@contextmanager
def tls_server_that_never_hangs_up(
    certificate_authority: trustme.CA,
) -> Iterator[str]:
    """A TLS server that answers one request per connection, then neither reads nor hangs up.

    It never answers the client's close_notify: a client that waits for it to close the
    socket keeps the socket open until the test is over.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1").configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stopping = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stopping.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            raw.settimeout(5)
            try:
                connection = context.wrap_socket(raw, server_side=True)
                connection.recv(65536)
                connection.sendall(ANSWER_THEN_CLOSE)
                held.append(connection)
            except OSError:
                raw.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        thread.join()
        listener.close()
        for connection in held:
            connection.close()


def test_a_tls_connection_is_closed_when_the_run_ends_though_the_server_never_hangs_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    certificate_authority = trustme.CA()

    def trusting_the_test_authority() -> ssl.SSLContext:
        context = ssl.create_default_context()
        certificate_authority.configure_trust(context)
        return context

    monkeypatch.setattr(webclient, "default_tls_context", trusting_the_test_authority)
    with tls_server_that_never_hangs_up(certificate_authority) as base:
        targets = [(f"{base}/{i}", PAGE) for i in range(2)]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = check_links(targets, dataclasses.replace(FAST, per_host=1, retries=0))
            gc.collect()  # a socket left open warns when its transport is collected

    assert {r.outcome for r in results.values()} == {Outcome.OK}
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_a_failed_tls_handshake_leaves_no_socket_open() -> None:
    with serving({"/": Reply(200)}) as server:  # speaks plain HTTP only
        target = (server.url("/").replace("http://", "https://"), PAGE)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = check_links([target], dataclasses.replace(FAST, retries=0))[target]
            gc.collect()

    assert result.reason.startswith("TLS handshake failed: ")
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
