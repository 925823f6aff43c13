"""The online checks against real HTTP servers on loopback addresses, never the internet."""

from __future__ import annotations

import dataclasses
import email.utils
import itertools
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any, NamedTuple

import httpx
import pytest

from curate.__about__ import __version__
from curate.online import (
    IMAGE,
    PAGE,
    LinkResult,
    MemoryLinkCache,
    OnlineOptions,
    Outcome,
    check_links,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)
# Small delays and time-outs keep the file fast; the server is local.
FAST = OnlineOptions(allow_private=True, retries=2, backoff=0.01, timeout=0.5, connect_timeout=0.5)


class Reply(NamedTuple):
    status: int
    headers: Mapping[str, str] = MappingProxyType({})
    body: bytes = b""
    delay: float = 0.0


class Asked(NamedTuple):
    method: str
    #: How many requests the path had before this one.
    seen: int
    cookie: str


#: What each path answers.
ROUTES: dict[str, Callable[[Asked], Reply]] = {
    "/ok": lambda asked: Reply(200, {"Content-Type": "text/html"}, b"<html>ok</html>"),
    "/moved": lambda asked: Reply(301, {"Location": "/ok"}),
    "/loop-a": lambda asked: Reply(302, {"Location": "/loop-b"}),
    "/loop-b": lambda asked: Reply(302, {"Location": "/loop-a"}),
    "/to-self": lambda asked: (
        Reply(200)
        if "visited=1" in asked.cookie
        else Reply(302, {"Location": "/to-self", "Set-Cookie": "visited=1; Path=/"})
    ),
    "/chain": lambda asked: Reply(302, {"Location": f"/chain?{asked.seen + 1}"}),
    "/to-mailto": lambda asked: Reply(302, {"Location": "mailto:desk@example.org"}),
    "/missing": lambda asked: Reply(404),
    "/gone": lambda asked: Reply(410),
    "/teapot": lambda asked: Reply(418),
    "/auth": lambda asked: Reply(401),
    "/forbidden": lambda asked: Reply(403),
    "/linkedin": lambda asked: Reply(999),
    "/no-head": lambda asked: Reply(405 if asked.method == "HEAD" else 200),
    "/rate-limited": lambda asked: (
        Reply(429, {"Retry-After": "1"}) if asked.seen == 0 else Reply(200)
    ),
    "/rate-limited-long": lambda asked: Reply(429, {"Retry-After": "120"}),
    "/rate-limited-until": lambda asked: Reply(
        429, {"Retry-After": email.utils.formatdate(time.time() + 3600, usegmt=True)}
    ),
    "/flaky": lambda asked: Reply(503) if asked.seen < 2 else Reply(200),
    "/error": lambda asked: Reply(500),
    "/bad-gateway": lambda asked: Reply(502),
    "/unavailable": lambda asked: Reply(503),
    "/gateway-timeout": lambda asked: Reply(504),
    "/slow": lambda asked: Reply(200, delay=5.0),
    "/busy": lambda asked: Reply(200, delay=0.1),
    "/photo.png": lambda asked: Reply(200, {"Content-Type": "image/png"}, PNG),
    "/untyped-png": lambda asked: Reply(200, {"Content-Type": "application/octet-stream"}, PNG),
    "/untyped-html": lambda asked: Reply(
        200, {"Content-Type": "application/octet-stream"}, b"<html>" + bytes(1000)
    ),
}


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


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: str, shared: Gauge | None = None) -> None:
        super().__init__((address, 0), Handler)
        self.lock = threading.Lock()
        self.log: list[tuple[str, str, float]] = []
        self.user_agents: set[str] = set()
        self.client_ports: set[int] = set()
        self.gauge = Gauge()
        self.shared = shared or Gauge()
        self.stopping = threading.Event()

    def url(self, path: str) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://{host}:{port}{path}"

    def requests(self, path: str | None = None) -> list[str]:
        """The methods requested, of one path or of all."""
        with self.lock:
            return [method for method, logged, _ in self.log if path in (None, logged)]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The client closing a connection early (a GET cut short, a time-out) is expected.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def do_HEAD(self) -> None:
        self.answer("HEAD")

    def do_GET(self) -> None:
        self.answer("GET")

    def answer(self, method: str) -> None:
        path = self.path.partition("?")[0]
        with self.server.lock:
            seen = sum(1 for _, logged, _ in self.server.log if logged == path)
            self.server.log.append((method, path, time.monotonic()))
            self.server.user_agents.add(self.headers.get("User-Agent", ""))
            self.server.client_ports.add(self.client_address[1])
        reply = ROUTES[path](Asked(method, seen, self.headers.get("Cookie", "")))
        with self.server.gauge, self.server.shared:
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


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    servers: list[tuple[Server, threading.Thread]] = []

    def start(address: str = "127.0.0.1", shared: Gauge | None = None) -> Server:
        server = Server(address, shared)
        thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
        thread.start()
        servers.append((server, thread))
        return server

    yield start
    for server, thread in servers:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    started: Server = start_server()
    return started


def check_one(url: str, options: OnlineOptions = FAST, kind: str = PAGE) -> LinkResult:
    return check_links([(url, kind)], options)[(url, kind)]


@pytest.mark.parametrize(
    ("path", "outcome", "methods", "attempts", "reason"),
    [
        ("/ok", Outcome.OK, ["HEAD"], 1, "200 OK"),
        ("/moved", Outcome.OK, ["HEAD", "HEAD"], 1, "200 OK"),
        ("/to-self", Outcome.OK, ["HEAD", "HEAD"], 1, "200 OK"),
        ("/no-head", Outcome.OK, ["HEAD", "GET"], 1, "200 OK"),
        ("/flaky", Outcome.OK, ["HEAD"] * 3, 3, "200 OK"),
        ("/missing", Outcome.BROKEN, ["HEAD"], 1, "404 Not Found"),
        ("/gone", Outcome.BROKEN, ["HEAD"], 1, "410 Gone"),
        ("/teapot", Outcome.BROKEN, ["HEAD"], 1, "418 I'm a Teapot"),
        ("/error", Outcome.BROKEN, ["HEAD"] * 3, 3, "500 Internal Server Error after 3 attempts"),
        ("/bad-gateway", Outcome.BROKEN, ["HEAD"] * 3, 3, "502 Bad Gateway after 3 attempts"),
        ("/auth", Outcome.UNVERIFIED, ["HEAD"], 1, "401 Unauthorized"),
        ("/forbidden", Outcome.UNVERIFIED, ["HEAD", "GET"], 1, "403 Forbidden"),
        ("/linkedin", Outcome.UNVERIFIED, ["HEAD"], 1, "999"),
        (
            "/unavailable",
            Outcome.UNVERIFIED,
            ["HEAD"] * 3,
            3,
            "503 Service Unavailable after 3 attempts",
        ),
        (
            "/gateway-timeout",
            Outcome.UNVERIFIED,
            ["HEAD"] * 3,
            3,
            "504 Gateway Timeout after 3 attempts",
        ),
        ("/rate-limited-long", Outcome.UNVERIFIED, ["HEAD"], 1, "429 Too Many Requests"),
        (
            "/to-mailto",
            Outcome.UNVERIFIED,
            ["HEAD"],
            1,
            "302 Found to mailto:desk@example.org, which is not an http(s) URL",
        ),
    ],
)
def test_outcome_of_each_answer(
    server: Server, path: str, outcome: Outcome, methods: list[str], attempts: int, reason: str
) -> None:
    result = check_one(server.url(path))

    assert (result.outcome, result.reason, result.attempts) == (outcome, reason, attempts)
    assert server.requests() == methods


def test_redirect_is_followed_and_reported(server: Server) -> None:
    moved = check_one(server.url("/moved"))
    direct = check_one(server.url("/ok"))

    assert (moved.final_url, moved.status) == (server.url("/ok"), 200)
    assert (direct.final_url, direct.status) == (server.url("/ok"), 200)


def test_redirect_loop_is_broken_after_a_bounded_number_of_requests(server: Server) -> None:
    result = check_one(server.url("/loop-a"))

    assert result.outcome is Outcome.BROKEN
    assert result.reason.startswith("redirect loop")
    assert len(server.requests()) == 4


def test_too_many_redirects_is_broken(server: Server) -> None:
    options = dataclasses.replace(FAST, max_redirects=3)

    result = check_one(server.url("/chain"), options)

    assert (result.outcome, result.reason) == (Outcome.BROKEN, "more than 3 redirects")
    assert len(server.requests()) == 4


def test_retry_after_is_honoured(server: Server) -> None:
    started = time.monotonic()

    result = check_one(server.url("/rate-limited"))

    assert result.outcome is Outcome.OK
    assert result.attempts == 2
    assert server.requests("/rate-limited") == ["HEAD", "HEAD"]
    assert time.monotonic() - started >= 0.9


@pytest.mark.parametrize("path", ["/rate-limited-long", "/rate-limited-until"])
def test_retry_after_beyond_the_cap_is_not_waited_for(server: Server, path: str) -> None:
    started = time.monotonic()

    result = check_one(server.url(path))

    assert (result.outcome, result.attempts) == (Outcome.UNVERIFIED, 1)
    assert server.requests() == ["HEAD"]
    assert time.monotonic() - started < 1


def test_slow_answer_times_out_as_unverified(server: Server) -> None:
    options = dataclasses.replace(FAST, timeout=0.2, retries=1)

    result = check_one(server.url("/slow"), options)

    assert result.outcome is Outcome.UNVERIFIED
    assert result.reason == "no response within 0.2 s after 2 attempts"
    assert server.requests("/slow") == ["HEAD", "HEAD"]
    assert result.elapsed < 1


def test_total_time_bounds_the_retries(server: Server) -> None:
    options = dataclasses.replace(FAST, retries=5, backoff=10.0, max_total_time=0.5)
    started = time.monotonic()

    result = check_one(server.url("/unavailable"), options)

    assert result.outcome is Outcome.UNVERIFIED
    assert len(server.requests()) < 6
    assert time.monotonic() - started < 1


def test_accepted_status_is_ok(server: Server) -> None:
    options = dataclasses.replace(FAST, accept=frozenset({418}))

    result = check_one(server.url("/teapot"), options)

    assert (result.outcome, result.reason) == (Outcome.OK, "418 I'm a Teapot (accepted)")


@pytest.mark.parametrize(
    ("path", "outcome", "methods", "reason"),
    [
        ("/photo.png", Outcome.OK, ["HEAD"], "200 OK"),
        ("/ok", Outcome.BROKEN, ["HEAD"], "200 but Content-Type text/html, not an image"),
        ("/untyped-png", Outcome.OK, ["HEAD", "GET"], "200 OK"),
        (
            "/untyped-html",
            Outcome.BROKEN,
            ["HEAD", "GET"],
            "200 but Content-Type application/octet-stream, not an image",
        ),
    ],
)
def test_image_must_be_an_image(
    server: Server, path: str, outcome: Outcome, methods: list[str], reason: str
) -> None:
    result = check_one(server.url(path), kind=IMAGE)

    assert (result.outcome, result.reason, server.requests(path)) == (outcome, reason, methods)


def test_connection_refused_is_broken_after_retries() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    result = check_one(f"http://127.0.0.1:{port}/")

    assert (result.outcome, result.reason) == (
        Outcome.BROKEN,
        "connection refused after 3 attempts",
    )


def test_user_agent_names_curate(server: Server) -> None:
    check_one(server.url("/ok"))

    assert server.user_agents == {f"curate/{__version__}"}


def test_per_host_limit_is_never_exceeded(server: Server) -> None:
    options = dataclasses.replace(FAST, concurrency=16, per_host=3)
    targets = [(server.url(f"/busy?{i}"), PAGE) for i in range(15)]

    results = check_links(targets, options)

    assert {result.outcome for result in results.values()} == {Outcome.OK}
    assert server.gauge.most == 3


def test_connections_are_kept_and_reused(server: Server) -> None:
    options = dataclasses.replace(FAST, per_host=2)

    check_links([(server.url(f"/busy?{i}"), PAGE) for i in range(8)], options)

    assert len(server.client_ports) == 2


def test_global_limit_holds_across_hosts(start_server: Callable[..., Server]) -> None:
    shared = Gauge()
    servers = [start_server(f"127.0.0.{n}", shared) for n in range(1, 5)]
    options = dataclasses.replace(FAST, concurrency=5, per_host=2)
    targets = [(server.url(f"/busy?{i}"), PAGE) for server in servers for i in range(6)]

    results = check_links(targets, options)

    assert {result.outcome for result in results.values()} == {Outcome.OK}
    assert shared.most == 5
    assert max(server.gauge.most for server in servers) == 2


def test_requests_to_a_host_are_spaced_by_the_minimum_interval(server: Server) -> None:
    options = dataclasses.replace(FAST, min_host_interval=0.2)

    check_links([(server.url(f"/ok?{i}"), PAGE) for i in range(4)], options)

    starts = sorted(started for _, _, started in server.log)
    assert min(later - earlier for earlier, later in itertools.pairwise(starts)) >= 0.15


def test_targets_are_deduplicated_and_each_reported_once(server: Server) -> None:
    ok, missing = server.url("/ok"), server.url("/missing")
    reported: list[LinkResult] = []
    targets = [(ok, PAGE), (missing, PAGE), (ok, PAGE), ("mailto:desk@example.org", PAGE)]

    results = check_links(targets, FAST, on_result=reported.append)

    assert set(results) == {(ok, PAGE), (missing, PAGE), ("mailto:desk@example.org", PAGE)}
    assert sorted(result.url for result in reported) == sorted(url for url, _ in results)
    assert server.requests() == ["HEAD", "HEAD"]


def test_only_ok_results_are_cached(server: Server) -> None:
    cache = MemoryLinkCache()
    targets = [(server.url("/ok"), PAGE), (server.url("/missing"), PAGE)]

    first = check_links(targets, FAST, cache=cache)
    second = check_links(targets, FAST, cache=cache)

    assert server.requests("/ok") == ["HEAD"]
    assert server.requests("/missing") == ["HEAD", "HEAD"]
    assert second[targets[0]] == first[targets[0]]


def test_cached_results_older_than_the_maximum_age_are_checked_again(server: Server) -> None:
    cache = MemoryLinkCache()
    targets = [(server.url("/ok"), PAGE)]

    check_links(targets, FAST, cache=cache)
    check_links(targets, FAST, cache=cache, max_cache_age=0)

    assert server.requests("/ok") == ["HEAD", "HEAD"]


def test_cache_keeps_pages_and_images_apart(server: Server) -> None:
    cache = MemoryLinkCache()

    check_links([(server.url("/ok"), PAGE)], FAST, cache=cache)
    result = check_links([(server.url("/ok"), IMAGE)], FAST, cache=cache)

    assert result[(server.url("/ok"), IMAGE)].outcome is Outcome.BROKEN


@pytest.mark.parametrize("url", ["mailto:desk@example.org", "ftp://example.org/a", "/local"])
def test_urls_that_are_not_http_are_skipped(url: str) -> None:
    result = check_one(url)

    assert (result.outcome, result.reason, result.attempts) == (
        Outcome.SKIPPED,
        "not an http(s) URL",
        0,
    )


def test_excluded_urls_are_skipped_without_a_request(server: Server) -> None:
    options = dataclasses.replace(FAST, exclude=(r"/missing$",))

    result = check_one(server.url("/missing"), options)

    assert (result.outcome, result.reason) == (Outcome.SKIPPED, "excluded by pattern '/missing$'")
    assert server.requests() == []


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "refused: loopback address 127.0.0.1"),
        ("[::1]", "refused: loopback address ::1"),
        ("[::ffff:10.0.0.1]", "refused: private address ::ffff:a00:1"),
        ("localhost", "refused: localhost resolves to loopback address 127.0.0.1"),
    ],
)
def test_private_addresses_are_refused_without_a_request(
    server: Server, host: str, reason: str
) -> None:
    options = dataclasses.replace(FAST, allow_private=False)
    url = server.url("/ok").replace("127.0.0.1", host)

    result = check_one(url, options)

    assert (result.outcome, result.reason) == (Outcome.SKIPPED, reason)
    assert server.requests() == []


class FakeDNS:
    """Stands in for ``socket.getaddrinfo`` for the ``.test`` names, counting lookups."""

    def __init__(self, answers: dict[str, list[str | int]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []
        self._real = socket.getaddrinfo

    def __call__(self, host: str, port: str | int | None, *args: Any, **kwargs: Any) -> Any:
        if not host.endswith(".test"):
            return self._real(host, port, *args, **kwargs)
        self.lookups.append(host)
        answer = self.answers[host].pop(0) if len(self.answers[host]) > 1 else self.answers[host][0]
        if isinstance(answer, int):
            raise socket.gaierror(answer, "fake failure")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, 0))]


def test_each_redirect_hop_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", FakeDNS({"public.test": ["93.184.215.14"]}))
    requested: list[str] = []

    def redirect_to_metadata(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"})

    result = check_links(
        [("http://public.test/", PAGE)],
        OnlineOptions(),
        transport=httpx.MockTransport(redirect_to_metadata),
    )[("http://public.test/", PAGE)]

    assert (result.outcome, result.final_url) == (Outcome.SKIPPED, "http://169.254.169.254/latest/")
    assert result.reason == "refused: cloud metadata address 169.254.169.254"
    assert requested == ["http://public.test/"]


def test_connections_go_to_the_address_looked_up_once(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second lookup would answer an address where nothing listens: had the connection
    # looked the name up again (as DNS rebinding needs), the check would fail.
    dns = FakeDNS({"rebind.test": ["127.0.0.1", "127.0.0.2"]})
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    url = server.url("/moved").replace("127.0.0.1", "rebind.test")

    result = check_one(url)

    assert result.outcome is Outcome.OK
    assert dns.lookups == ["rebind.test"]
    assert server.requests() == ["HEAD", "HEAD"]


def test_unknown_host_is_broken_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    dns = FakeDNS({"nowhere.test": [socket.EAI_NONAME]})
    monkeypatch.setattr(socket, "getaddrinfo", dns)

    result = check_one("http://nowhere.test/", dataclasses.replace(FAST, allow_private=False))

    assert (result.outcome, result.reason) == (
        Outcome.BROKEN,
        "DNS lookup failed: no such host nowhere.test",
    )
    assert dns.lookups == ["nowhere.test"]


def test_failing_dns_is_retried_then_unverified(monkeypatch: pytest.MonkeyPatch) -> None:
    dns = FakeDNS({"flaky.test": [socket.EAI_AGAIN]})
    monkeypatch.setattr(socket, "getaddrinfo", dns)

    result = check_one("http://flaky.test/")

    assert (result.outcome, result.attempts) == (Outcome.UNVERIFIED, 3)
    assert dns.lookups == ["flaky.test"] * 3


def test_unknown_kind_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        check_links([("http://example.org/", "video")], FAST)


def test_options_reject_a_concurrency_of_zero() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        OnlineOptions(concurrency=0)
