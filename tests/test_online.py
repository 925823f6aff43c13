"""The online checks against real HTTP servers on loopback addresses, never the internet."""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import gzip
import itertools
import pathlib
import socket
import ssl
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack

import httpx
import pytest
import trustme

from curate import online, webclient
from curate.__about__ import __version__
from curate.online import (
    IMAGE,
    NETWORK_UNAVAILABLE,
    PAGE,
    LinkResult,
    MemoryLinkCache,
    OnlineOptions,
    OnlineOptionsError,
    Outcome,
    check_links,
    non_public_kind,
)
from tests.httpserver_helpers import (
    PNG,
    FakeDNS,
    Gauge,
    Reply,
    Route,
    Web,
    no_network,
    raw_server,
    serving,
)

# Small delays and time-outs keep the file fast; the server is local.
FAST = OnlineOptions(allow_private=True, retries=2, backoff=0.01, timeout=0.5, connect_timeout=0.5)


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes compressed twice, as ``Content-Encoding: gzip, gzip`` says."""
    inner = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 20)
    layer = b"".join(inner.compress(block) for _ in range(size >> 20)) + inner.flush()
    return gzip.compress(layer, 9)


#: What each path answers.
ROUTES: dict[str, Route] = {
    "/ok": Reply(200, {"Content-Type": "text/html"}, b"<html>ok</html>"),
    "/moved": Reply(301, {"Location": "/ok"}),
    "/loop-a": Reply(302, {"Location": "/loop-b"}),
    "/loop-b": Reply(302, {"Location": "/loop-a"}),
    "/to-self": lambda asked: (
        Reply(200)
        if "visited=1" in asked.cookie
        else Reply(302, {"Location": "/to-self", "Set-Cookie": "visited=1; Path=/"})
    ),
    "/chain": lambda asked: Reply(302, {"Location": f"/chain?{asked.seen + 1}"}),
    "/to-mailto": Reply(302, {"Location": "mailto:desk@example.org"}),
    "/missing": Reply(404),
    "/gone": Reply(410),
    "/teapot": Reply(418),
    "/auth": Reply(401),
    "/forbidden": Reply(403),
    "/linkedin": Reply(999),
    "/no-head": lambda asked: Reply(405 if asked.method == "HEAD" else 200),
    "/head-404": lambda asked: Reply(404 if asked.method == "HEAD" else 200),
    "/head-500": lambda asked: Reply(500 if asked.method == "HEAD" else 200),
    "/head-410": lambda asked: Reply(410 if asked.method == "HEAD" else 200),
    "/rate-limited": lambda asked: (
        Reply(429, {"Retry-After": "1"}) if asked.seen == 0 else Reply(200)
    ),
    "/rate-limited-long": Reply(429, {"Retry-After": "120"}),
    "/rate-limited-until": lambda asked: Reply(
        429, {"Retry-After": email.utils.formatdate(time.time() + 3600, usegmt=True)}
    ),
    "/flaky": lambda asked: Reply(503) if asked.seen < 2 else Reply(200),
    "/error": Reply(500),
    "/bad-gateway": Reply(502),
    "/unavailable": Reply(503),
    "/gateway-timeout": Reply(504),
    "/slow": Reply(200, delay=5.0),
    "/busy": Reply(200, delay=0.1),
    "/photo.png": Reply(200, {"Content-Type": "image/png"}, PNG),
    "/untyped-png": Reply(200, {"Content-Type": "application/octet-stream"}, PNG),
    "/untyped-html": Reply(
        200, {"Content-Type": "application/octet-stream"}, b"<html>" + bytes(1000)
    ),
    "/gzipped-png": Reply(
        200,
        {"Content-Type": "application/octet-stream", "Content-Encoding": "gzip"},
        gzip.compress(PNG),
    ),
    "/brotli": Reply(
        200, {"Content-Type": "application/octet-stream", "Content-Encoding": "br"}, b"\x0b"
    ),
}


@pytest.fixture(autouse=True)
def network_probe(monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    """The network probe on loopback: no test reaches the internet when nothing answers."""
    with serving({"/": Reply(200)}) as probe:
        monkeypatch.setattr(online, "NETWORK_PROBE", probe.url("/"))
        yield probe


def offline_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe by name, as in production: a resolver that fails every lookup fails it too."""
    monkeypatch.setattr(online, "NETWORK_PROBE", "http://example.com/")


@pytest.fixture
def start_server() -> Iterator[Callable[..., Web]]:
    with ExitStack() as stack:

        def start(
            address: str = "127.0.0.1",
            shared: Gauge | None = None,
            routes: Mapping[str, Route] = ROUTES,
        ) -> Web:
            return stack.enter_context(serving(routes, address, shared))

        yield start


@pytest.fixture
def server(start_server: Callable[..., Web]) -> Web:
    started: Web = start_server()
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
        ("/head-404", Outcome.OK, ["HEAD", "GET"], 1, "200 OK"),
        ("/head-410", Outcome.OK, ["HEAD", "GET"], 1, "200 OK"),
        ("/head-500", Outcome.OK, ["HEAD", "GET"], 1, "200 OK"),
        ("/flaky", Outcome.OK, ["HEAD", "GET", "GET"], 2, "200 OK"),
        ("/missing", Outcome.BROKEN, ["HEAD", "GET"], 1, "404 Not Found"),
        ("/gone", Outcome.BROKEN, ["HEAD", "GET"], 1, "410 Gone"),
        ("/teapot", Outcome.BROKEN, ["HEAD", "GET"], 1, "418 I'm a Teapot"),
        (
            "/error",
            Outcome.BROKEN,
            ["HEAD", "GET", "GET", "GET"],
            3,
            "500 Internal Server Error after 3 attempts",
        ),
        (
            "/bad-gateway",
            Outcome.BROKEN,
            ["HEAD", "GET", "GET", "GET"],
            3,
            "502 Bad Gateway after 3 attempts",
        ),
        ("/auth", Outcome.UNVERIFIED, ["HEAD", "GET"], 1, "401 Unauthorized"),
        ("/forbidden", Outcome.UNVERIFIED, ["HEAD", "GET"], 1, "403 Forbidden"),
        ("/linkedin", Outcome.UNVERIFIED, ["HEAD", "GET"], 1, "999"),
        (
            "/unavailable",
            Outcome.UNVERIFIED,
            ["HEAD", "GET", "GET", "GET"],
            3,
            "503 Service Unavailable after 3 attempts",
        ),
        (
            "/gateway-timeout",
            Outcome.UNVERIFIED,
            ["HEAD", "GET", "GET", "GET"],
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
    server: Web, path: str, outcome: Outcome, methods: list[str], attempts: int, reason: str
) -> None:
    result = check_one(server.url(path))

    assert (result.outcome, result.reason, result.attempts) == (outcome, reason, attempts)
    assert server.requests() == methods


def test_redirect_is_followed_and_reported(server: Web) -> None:
    moved = check_one(server.url("/moved"))
    direct = check_one(server.url("/ok"))

    assert (moved.final_url, moved.status) == (server.url("/ok"), 200)
    assert (direct.final_url, direct.status) == (server.url("/ok"), 200)


def test_redirect_loop_is_broken_after_a_bounded_number_of_requests(server: Web) -> None:
    result = check_one(server.url("/loop-a"))

    assert result.outcome is Outcome.BROKEN
    assert result.reason.startswith("redirect loop")
    assert len(server.requests()) == 4


def test_too_many_redirects_is_broken(server: Web) -> None:
    options = dataclasses.replace(FAST, max_redirects=3)

    result = check_one(server.url("/chain"), options)

    assert (result.outcome, result.reason) == (Outcome.BROKEN, "more than 3 redirects")
    assert len(server.requests()) == 4


def test_retry_after_is_honoured(server: Web) -> None:
    started = time.monotonic()

    result = check_one(server.url("/rate-limited"))

    assert result.outcome is Outcome.OK
    assert result.attempts == 2
    assert server.requests("/rate-limited") == ["HEAD", "HEAD"]
    assert time.monotonic() - started >= 0.9


@pytest.mark.parametrize("path", ["/rate-limited-long", "/rate-limited-until"])
def test_retry_after_beyond_the_cap_is_not_waited_for(server: Web, path: str) -> None:
    result = check_one(server.url(path))

    assert (result.outcome, result.attempts) == (Outcome.UNVERIFIED, 1)
    assert server.requests() == ["HEAD"]
    assert result.elapsed < FAST.max_retry_after


@pytest.mark.parametrize(
    "value",
    [
        "\u00b2",
        "\u00b9\u00b3",
        "1\u00b2",
        "garbage",
        "-1",
        "1.5",
        "",
        "9" * 5000,
        "Wed, 99 Foo 2024",
    ],
)
def test_any_retry_after_value_leaves_a_verdict(
    start_server: Callable[..., Web], value: str
) -> None:
    # "²" passes str.isdigit and fails float(): it once stopped the whole run.
    server = start_server(routes={"/hostile": Reply(429, {"Retry-After": value})})
    urls = [(server.url("/hostile"), PAGE), (server.url("/other"), PAGE)]

    results = check_links(urls, FAST)

    assert results[urls[0]].outcome is Outcome.UNVERIFIED
    assert results[urls[0]].reason.startswith("429 Too Many Requests")
    assert results[urls[1]].outcome is Outcome.BROKEN, "the other URL is still checked"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("\u00b2", None),
        ("\u0663", None),  # ARABIC-INDIC DIGIT THREE
        ("\uff11", None),  # FULLWIDTH DIGIT ONE
        ("1e3", None),
        ("nan", None),
        ("inf", None),
        ("9" * 5000, float("inf")),
        ("Mon, 01 Jan 1900 00:00:00 GMT", 0.0),
        ("Fri, 31 Dec 99999 23:59:59 GMT", None),
        ("Tue, 32 Foo 2024 25:61:61 XYZ", None),
    ],
)
def test_retry_after_parsing(value: str, seconds: float | None) -> None:
    assert online._retry_after_seconds(value) == seconds


def test_slow_answer_times_out_as_unverified(server: Web) -> None:
    options = dataclasses.replace(FAST, timeout=0.2, retries=1)

    result = check_one(server.url("/slow"), options)

    assert result.outcome is Outcome.UNVERIFIED
    assert result.reason == "no response within 0.2 s after 2 attempts"
    assert server.requests("/slow") == ["HEAD", "HEAD"]
    assert result.elapsed < 1


def test_total_time_bounds_the_retries(server: Web) -> None:
    options = dataclasses.replace(FAST, retries=5, backoff=10.0, max_total_time=0.5)
    started = time.monotonic()

    result = check_one(server.url("/unavailable"), options)

    assert result.outcome is Outcome.UNVERIFIED
    assert len(server.requests()) < 6
    assert time.monotonic() - started < 1


def test_accepted_status_is_ok(server: Web) -> None:
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
        ("/gzipped-png", Outcome.OK, ["HEAD", "GET"], "200 OK"),
        (
            "/brotli",
            Outcome.UNVERIFIED,
            ["HEAD", "GET"],
            "200 with Content-Type application/octet-stream and a body that could not be read",
        ),
    ],
)
def test_image_must_be_an_image(
    server: Web, path: str, outcome: Outcome, methods: list[str], reason: str
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


def test_user_agent_names_curate(server: Web) -> None:
    check_one(server.url("/ok"))

    assert server.user_agents == {f"curate/{__version__}"}


def test_per_host_limit_is_never_exceeded(server: Web) -> None:
    options = dataclasses.replace(FAST, concurrency=16, per_host=3)
    targets = [(server.url(f"/busy?{i}"), PAGE) for i in range(15)]

    results = check_links(targets, options)

    assert {result.outcome for result in results.values()} == {Outcome.OK}
    assert server.gauge.most == 3


def test_connections_are_kept_and_reused(server: Web) -> None:
    options = dataclasses.replace(FAST, per_host=2)

    check_links([(server.url(f"/busy?{i}"), PAGE) for i in range(8)], options)

    assert len(server.client_ports) == 2


def test_idle_connections_stay_bounded_over_many_hosts(start_server: Callable[..., Web]) -> None:
    servers = [start_server(f"127.0.0.{n}") for n in range(1, 7)]

    async def visit_each_host() -> int:
        resolver = online._Resolver(FakeDNS(), allow_private=True, timeout=1.0)
        pool = webclient.Pool(resolver.addresses, connect_timeout=1.0, max_idle=2)
        try:
            for server in servers:
                async with pool.request("HEAD", webclient.parse_url(server.url("/ok")), b""):
                    pass
            return pool.origins_kept, pool.idle_connections
        finally:
            pool.close()

    assert asyncio.run(visit_each_host()) == (2, 2), "the two most recent kept, no more"


def test_global_limit_holds_across_hosts(start_server: Callable[..., Web]) -> None:
    shared = Gauge()
    servers = [start_server(f"127.0.0.{n}", shared) for n in range(1, 5)]
    options = dataclasses.replace(FAST, concurrency=5, per_host=2)
    targets = [(server.url(f"/busy?{i}"), PAGE) for server in servers for i in range(6)]

    results = check_links(targets, options)

    assert {result.outcome for result in results.values()} == {Outcome.OK}
    assert shared.most == 5
    assert max(server.gauge.most for server in servers) == 2


def test_requests_to_a_host_are_spaced_by_the_minimum_interval() -> None:
    # Measured where the interval is kept, on the client side, on the event loop's clock:
    # when each request is handed to the transport. A server's clock would add the
    # scheduling of its threads, which a loaded machine makes arbitrary.
    interval = 0.2
    starts: list[float] = []

    def record(request: httpx.Request) -> httpx.Response:
        starts.append(time.monotonic())
        return httpx.Response(200)

    options = dataclasses.replace(FAST, min_host_interval=interval, allow_private=False)
    targets = [(f"http://spaced.test/{i}", PAGE) for i in range(4)]

    results = check_links(
        targets,
        options,
        transport=httpx.MockTransport(record),
        resolve=FakeDNS({"spaced.test": ["93.184.215.14"]}),
    )

    assert {result.outcome for result in results.values()} == {Outcome.OK}
    assert len(starts) == 4
    # asyncio never wakes a timer early by more than the clock's resolution.
    assert min(later - earlier for earlier, later in itertools.pairwise(starts)) >= interval - 1e-3


def test_targets_are_deduplicated_and_each_reported_once(server: Web) -> None:
    ok, missing = server.url("/ok"), server.url("/missing")
    reported: list[LinkResult] = []
    targets = [(ok, PAGE), (missing, PAGE), (ok, PAGE), ("mailto:desk@example.org", PAGE)]

    results = check_links(targets, FAST, on_result=reported.append)

    assert set(results) == {(ok, PAGE), (missing, PAGE), ("mailto:desk@example.org", PAGE)}
    assert sorted(result.url for result in reported) == sorted(url for url, _ in results)
    assert server.requests() == ["HEAD", "HEAD", "GET"]


def test_only_ok_results_are_cached(server: Web) -> None:
    cache = MemoryLinkCache()
    targets = [(server.url("/ok"), PAGE), (server.url("/missing"), PAGE)]

    first = check_links(targets, FAST, cache=cache)
    second = check_links(targets, FAST, cache=cache)

    assert server.requests("/ok") == ["HEAD"]
    assert server.requests("/missing") == ["HEAD", "GET", "HEAD", "GET"]
    assert second[targets[0]] == first[targets[0]]


def test_cached_results_older_than_the_maximum_age_are_checked_again(server: Web) -> None:
    cache = MemoryLinkCache()
    targets = [(server.url("/ok"), PAGE)]

    check_links(targets, FAST, cache=cache)
    check_links(targets, FAST, cache=cache, max_cache_age=0)

    assert server.requests("/ok") == ["HEAD", "HEAD"]


def test_cache_keeps_pages_and_images_apart(server: Web) -> None:
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


def test_excluded_urls_are_skipped_without_a_request(server: Web) -> None:
    options = dataclasses.replace(FAST, exclude=(r"/missing$",))

    result = check_one(server.url("/missing"), options)

    assert (result.outcome, result.reason) == (Outcome.SKIPPED, "excluded by pattern '/missing$'")
    assert server.requests() == []


def test_each_redirect_hop_is_checked() -> None:
    dns = FakeDNS({"public.test": ["93.184.215.14"]})
    requested: list[str] = []

    def redirect_to_metadata(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"})

    result = check_links(
        [("http://public.test/", PAGE)],
        OnlineOptions(),
        transport=httpx.MockTransport(redirect_to_metadata),
        resolve=dns,
    )[("http://public.test/", PAGE)]

    assert (result.outcome, result.final_url) == (Outcome.SKIPPED, "http://169.254.169.254/latest/")
    assert result.reason == "refused: cloud metadata address 169.254.169.254"
    assert requested == ["http://public.test/"]


def test_connections_go_to_the_address_looked_up_once(server: Web) -> None:
    # A second lookup would answer an address where nothing listens: had the connection
    # looked the name up again (as DNS rebinding needs), the check would fail.
    dns = FakeDNS({"rebind.test": ["127.0.0.1", "127.0.0.2"]})
    url = server.url("/moved").replace("127.0.0.1", "rebind.test")

    result = check_links([(url, PAGE)], FAST, resolve=dns)[(url, PAGE)]

    assert result.outcome is Outcome.OK
    assert dns.lookups == ["rebind.test"]
    assert server.requests() == ["HEAD", "HEAD"]


def test_unknown_host_is_broken_at_once(server: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    # Other URLs answered: the network is there, so the host is gone.
    dns = FakeDNS({"nowhere.test": [socket.EAI_NONAME], "alive.test": ["127.0.0.1"]})
    targets = [
        ("http://nowhere.test/", PAGE),
        (server.url("/ok").replace("127.0.0.1", "alive.test"), PAGE),
    ]

    results = check_links(targets, FAST, resolve=dns)

    assert (results[targets[0]].outcome, results[targets[0]].reason) == (
        Outcome.BROKEN,
        "DNS lookup failed: no such host nowhere.test",
    )
    assert dns.lookups.count("nowhere.test") == 1


def test_failing_dns_is_retried_then_unverified(server: Web) -> None:
    dns = FakeDNS({"flaky.test": [socket.EAI_AGAIN], "alive.test": ["127.0.0.1"]})
    targets = [
        ("http://flaky.test/", PAGE),
        (server.url("/ok").replace("127.0.0.1", "alive.test"), PAGE),
    ]

    result = check_links(targets, FAST, resolve=dns)[targets[0]]

    assert (result.outcome, result.attempts) == (Outcome.UNVERIFIED, 3)
    assert dns.lookups.count("flaky.test") == 3


def test_unknown_kind_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        check_links([("http://example.org/", "video")], FAST)


def test_options_reject_a_concurrency_of_zero() -> None:
    with pytest.raises(OnlineOptionsError, match="at least 1"):
        OnlineOptions(concurrency=0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timeout": float("nan")}, "timeout must be a number of seconds above 0, not nan"),
        ({"timeout": float("inf")}, "timeout must be a number of seconds above 0, not inf"),
        ({"connect_timeout": 0.0}, "connect timeout must be"),
        ({"max_total_time": -1.0}, "max total time must be"),
        ({"backoff": float("nan")}, "backoff must be a number of seconds, 0 or more"),
        ({"min_host_interval": -0.1}, "min host interval must be"),
        ({"user_agent": "curate\r\nX-Injected: 1"}, "must be printable ASCII"),
        ({"user_agent": "curate\n"}, "must be printable ASCII"),
        ({"user_agent": "curaté"}, "must be printable ASCII"),
        ({"user_agent": "curate\x00"}, "must be printable ASCII"),
        ({"user_agent": "  "}, "is empty"),
    ],
)
def test_options_that_cannot_work_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(OnlineOptionsError, match=message):
        dataclasses.replace(OnlineOptions(), **changes)


def test_a_bug_costs_one_url_its_verdict_not_the_run() -> None:
    def crash_on_one(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/crash":
            raise RuntimeError("boom")
        return httpx.Response(200)

    targets = [("http://a.test/crash", PAGE), ("http://a.test/fine", PAGE)]
    results = check_links(
        targets,
        dataclasses.replace(FAST, allow_private=False),
        transport=httpx.MockTransport(crash_on_one),
        resolve=FakeDNS({"a.test": ["93.184.215.14"]}),
    )

    crashed = results[targets[0]]
    assert (crashed.outcome, crashed.reason) == (
        Outcome.UNVERIFIED,
        "internal error while checking: RuntimeError: boom",
    )
    assert results[targets[1]].outcome is Outcome.OK


# --- TLS -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(certificate_authority: trustme.CA) -> Iterator[Web]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1").configure_cert(context)
    with serving(ROUTES, tls=context) as server:
        yield server


def test_https_is_checked_and_its_connections_kept(
    tls_server: Web, certificate_authority: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    def trusting_the_test_authority(*args: object, **kwargs: object) -> ssl.SSLContext:
        context = ssl.create_default_context()
        certificate_authority.configure_trust(context)
        return context

    monkeypatch.setattr(webclient, "default_tls_context", trusting_the_test_authority)
    options = dataclasses.replace(FAST, per_host=1)
    targets = [(tls_server.url(f"/ok?{i}"), PAGE) for i in range(3)]
    targets.append((tls_server.url("/photo.png"), IMAGE))

    results = check_links(targets, options)

    assert {result.outcome for result in results.values()} == {Outcome.OK}
    assert len(tls_server.client_ports) == 1


def test_the_certificate_store_named_by_ssl_cert_file_is_used(
    tls_server: Web,
    certificate_authority: trustme.CA,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: pathlib.Path,
) -> None:
    store = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(store))
    monkeypatch.setenv("SSL_CERT_FILE", str(store))

    result = check_one(tls_server.url("/ok"))

    assert (result.outcome, result.reason) == (Outcome.OK, "200 OK")


def test_the_default_store_verifies_certificates_and_host_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)

    context = webclient.default_tls_context()

    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert context.cert_store_stats()["x509_ca"] > 50, "certifi's authorities are loaded"


def test_an_untrusted_certificate_is_broken(tls_server: Web) -> None:
    result = check_one(tls_server.url("/ok"))

    assert result.outcome is Outcome.BROKEN
    assert result.reason.startswith("TLS certificate rejected: ")
    assert tls_server.requests() == []


def test_a_server_that_does_not_speak_tls_is_broken(server: Web) -> None:
    result = check_one(server.url("/ok").replace("http://", "https://"))

    assert result.outcome is Outcome.BROKEN
    assert result.reason.startswith("TLS handshake failed: ")


# --- hostile answers -------------------------------------------------------------------


def test_decompression_bomb_is_read_no_further_than_a_sniff(
    start_server: Callable[..., Web],
) -> None:
    bomb = gzip_bomb(256 << 20)  # 256 MB of zeros in a few hundred bytes
    headers = {"Content-Type": "application/octet-stream", "Content-Encoding": "gzip, gzip"}
    server = start_server(
        routes={"/bomb": Reply(200, headers, bomb), "/page": Reply(200, headers, bomb)}
    )
    targets = [(server.url("/bomb"), IMAGE), (server.url("/page"), PAGE)]

    tracemalloc.start()
    try:
        results = check_links(targets, FAST)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(bomb) < 1 << 20
    assert results[targets[0]].reason == (
        "200 but Content-Type application/octet-stream, not an image"
    )
    assert results[targets[1]].outcome is Outcome.OK
    # Decoding the image's body, or even its first layer, would take 256 MB.
    assert peak < 32 << 20, f"peak {peak / 2**20:.1f} MB while checking"


@pytest.mark.parametrize(
    "encoding", ["gzip", "x-gzip", "deflate", "gzip, deflate", "identity, gzip", "gzip, gzip, gzip"]
)
def test_bounded_decoding_of_each_encoding(encoding: str) -> None:
    body = PNG + bytes(10_000)
    for name in [part.strip() for part in encoding.split(",")]:
        if name in ("gzip", "x-gzip"):
            body = gzip.compress(body)
        elif name == "deflate":
            body = zlib.compress(body)
    decoder = online._BoundedDecoder.for_encodings(encoding)
    assert decoder is not None

    decoded = b"".join(decoder.decode(body[i : i + 7], 512) for i in range(0, len(body), 7))

    assert decoded.startswith(PNG)


def test_raw_deflate_is_decoded_too() -> None:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = packer.compress(PNG) + packer.flush()
    decoder = online._BoundedDecoder.for_encodings("deflate")
    assert decoder is not None

    assert decoder.decode(body, 512) == PNG


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, compress", "gzip, " * 5 + "gzip"])
def test_encodings_that_cannot_be_read_safely_are_not_read(encoding: str) -> None:
    assert online._BoundedDecoder.for_encodings(encoding) is None


def endless_headers(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    for _ in range(2000):
        connection.sendall(b"X-Padding: " + b"a" * 100 + b"\r\n")


def endless_body(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(2000):
        connection.sendall(b"400\r\n" + bytes(1024) + b"\r\n")


@pytest.mark.parametrize(
    "answer",
    [
        b"",
        b"garbage\r\n\r\n",
        b"<html>HTTP/0.9</html>",
        b"HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 1000 Big\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 404 " + b"N" * 50_000 + b"\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 301 Moved\r\nLocation: /\xe9\xff\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 301 Moved\r\nLocation: http://" + b"a" * 60_000 + b"/\r\n\r\n",
        b"HTTP/1.1 301 Moved\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 429 Slow\r\nRetry-After: \u00b2\r\nContent-Length: 0\r\n\r\n".encode("latin-1"),
        b"HTTP/1.1 503 No\r\nRetry-After: 99999999999999999999\r\nContent-Length: 0\r\n\r\n",
        endless_headers,
        endless_body,
    ],
    ids=lambda answer: (
        answer[:24].decode("latin-1") if isinstance(answer, bytes) else answer.__name__
    ),
)
def test_a_hostile_server_gets_a_verdict_never_an_exception(
    answer: bytes | Callable[[socket.socket], None],
) -> None:
    with raw_server(answer) as base:
        targets = [(f"{base}/page", PAGE), (f"{base}/image", IMAGE)]

        results = check_links(targets, dataclasses.replace(FAST, retries=1))

    for result in results.values():
        assert result.outcome in {Outcome.OK, Outcome.BROKEN, Outcome.UNVERIFIED}
        assert len(result.reason) < 400


# --- the address guard -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        # IPv4
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("0.0.0.0", "reserved"),
        ("0.1.2.3", "reserved"),
        ("192.0.0.1", "reserved"),
        ("192.0.0.9", "reserved"),
        ("192.0.0.170", "reserved"),
        ("192.0.2.1", "reserved"),
        ("198.18.0.1", "reserved"),
        ("203.0.113.9", "reserved"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("93.184.215.14", None),
        ("8.8.8.8", None),
        ("172.32.0.1", None),
        # IPv6
        ("::1", "loopback"),
        ("0:0:0:0:0:0:0:1", "loopback"),
        ("::", "reserved"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("FE80::ABCD", "link-local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("fd00:ec2::254", "cloud metadata"),
        ("fec0::1", "private"),
        ("fef0::1", "private"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "reserved"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"),  # Teredo
        ("100::1", "reserved"),
        ("2606:4700:4700::1111", None),
        ("2a00:1450:4001:80b::200e", None),
        # IPv6 carrying an IPv4 address
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:7f00:1", "loopback"),
        ("::FFFF:10.0.0.1", "private"),
        ("0:0:0:0:0:ffff:a9fe:a9fe", "cloud metadata"),
        ("::ffff:93.184.215.14", None),
        ("64:ff9b::10.0.0.1", "private"),
        ("64:ff9b::7f00:1", "loopback"),
        ("64:ff9b::169.254.169.254", "cloud metadata"),
        ("64:ff9b::192.0.0.1", "reserved"),
        ("64:ff9b::93.184.215.14", None),  # how IPv6-only networks (DNS64) reach public sites
        ("64:ff9b:1::1", "private"),
        ("64:ff9b:1::93.184.215.14", "private"),
        ("2002:7f00:1::1", "loopback"),
        ("2002:a00:1::", "private"),
        ("2002:c0a8:101:0:0:0:0:1", "private"),
        ("2002:a9fe:a9fe::1", "cloud metadata"),
        ("2002:5db8:d70e::1", None),
        ("::127.0.0.1", "loopback"),
        ("::10.0.0.1", "private"),
        ("::93.184.215.14", "reserved"),  # IPv4-compatible: deprecated
        ("::ffff:0:127.0.0.1", "loopback"),
        ("::ffff:0:10.0.0.1", "private"),
        ("::ffff:0:93.184.215.14", "reserved"),  # IPv4-translated: deprecated
        # not addresses
        ("example.org", "invalid"),
        ("", "invalid"),
        ("1.2.3", "invalid"),
    ],
)
def test_address_guard(address: str, kind: str | None) -> None:
    assert non_public_kind(address) == kind


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "refused: loopback address 127.0.0.1"),
        ("127.1", "refused: loopback address 127.0.0.1"),
        ("2130706433", "refused: loopback address 127.0.0.1"),
        ("0x7f000001", "refused: loopback address 127.0.0.1"),
        ("0x7f.0.0.1", "refused: loopback address 127.0.0.1"),
        ("127.0.0.1.", "refused: loopback address 127.0.0.1"),
        ("[::1]", "refused: loopback address ::1"),
        ("[0:0:0:0:0:0:0:1]", "refused: loopback address ::1"),
        ("[::ffff:10.0.0.1]", "refused: private address ::ffff:a00:1"),
        ("[64:ff9b::a9fe:a9fe]", "refused: cloud metadata address 64:ff9b::a9fe:a9fe"),
        ("[2002:a00:1::1]", "refused: private address 2002:a00:1::1"),
        ("[fec0::1]", "refused: private address fec0::1"),
        ("192.0.0.8", "refused: reserved address 192.0.0.8"),
        ("localhost", "refused: localhost resolves to loopback address 127.0.0.1"),
        ("nat64.test", "refused: nat64.test resolves to private address 64:ff9b::a00:1"),
        ("sixtofour.test", "refused: sixtofour.test resolves to loopback address 2002:7f00:1::"),
    ],
)
def test_non_public_hosts_are_refused_without_a_request(
    server: Web, host: str, reason: str
) -> None:
    dns = FakeDNS(
        {
            "localhost": ["127.0.0.1"],
            "nat64.test": ["64:ff9b::a00:1"],
            "sixtofour.test": ["2002:7f00:1::"],
        }
    )
    options = dataclasses.replace(FAST, allow_private=False)
    url = server.url("/ok").replace("127.0.0.1", host)

    result = check_links([(url, PAGE)], options, resolve=dns)[(url, PAGE)]

    assert (result.outcome, result.reason) == (Outcome.SKIPPED, reason)
    assert server.requests() == []


def test_an_address_httpx_cannot_read_is_never_requested(server: Web) -> None:
    # Browsers read 0177.0.0.1 as octal (127.0.0.1); httpx refuses leading zeros.
    url = server.url("/ok").replace("127.0.0.1", "0177.0.0.1")

    result = check_links([(url, PAGE)], dataclasses.replace(FAST, allow_private=False))[(url, PAGE)]

    assert result.reason.startswith("invalid URL")
    assert server.requests() == []


def test_a_resolver_answering_something_else_than_an_address_is_never_followed(
    server: Web,
) -> None:
    dns = FakeDNS({"odd.test": ["not-an-address"]})
    url = server.url("/ok").replace("127.0.0.1", "odd.test")

    result = check_links([(url, PAGE)], FAST, resolve=dns)[(url, PAGE)]

    assert (result.outcome, result.reason) == (
        Outcome.SKIPPED,
        "refused: odd.test resolves to invalid address not-an-address",
    )
    assert server.requests() == []


# --- no network ------------------------------------------------------------------------

OFFLINE_TARGETS = [
    ("https://news.example.org/a", PAGE),
    ("https://news.example.org/b", PAGE),
    ("http://cdn.example.net/logo.png", IMAGE),
    ("https://gone.example.com/", PAGE),
]


@pytest.mark.parametrize("allow_private", [False, True])
def test_without_a_network_nothing_is_called_broken(
    allow_private: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    offline_probe(monkeypatch)
    calls: list[str] = []

    def resolver(host: str) -> list[str]:
        calls.append(host)
        return no_network(host)

    reported: list[LinkResult] = []
    options = dataclasses.replace(FAST, allow_private=allow_private)

    results = check_links(OFFLINE_TARGETS, options, resolve=resolver, on_result=reported.append)

    assert {(r.outcome, r.reason) for r in results.values()} == {
        (Outcome.SKIPPED, NETWORK_UNAVAILABLE)
    }
    assert len(reported) == len(OFFLINE_TARGETS), "each reported once"
    assert "example.com" in calls, "the probe was asked before concluding"


def test_when_every_lookup_says_no_such_host_the_network_is_checked_before_broken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An offline machine without a resolver says "no such host" of every name.
    offline_probe(monkeypatch)
    dns = FakeDNS({})

    results = check_links(OFFLINE_TARGETS, FAST, resolve=dns)

    assert {r.reason for r in results.values()} == {NETWORK_UNAVAILABLE}


def test_when_nothing_can_connect_the_network_is_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setattr(online, "NETWORK_PROBE", f"http://example.com:{port}/")
    dns = FakeDNS({"example.com": ["127.0.0.1"], "news.test": ["127.0.0.1"]})
    targets = [(f"http://news.test:{port}/{i}", PAGE) for i in range(3)]

    results = check_links(targets, FAST, resolve=dns)

    assert {r.reason for r in results.values()} == {NETWORK_UNAVAILABLE}


@pytest.mark.parametrize("allow_private", [False, True])
def test_dead_hosts_on_a_working_network_are_still_broken(
    server: Web, monkeypatch: pytest.MonkeyPatch, allow_private: bool
) -> None:
    # Nothing the site links to answers, but the probe does: the hosts are dead. The
    # probe is curate's own URL: the guard against private addresses is not for it.
    monkeypatch.setattr(
        online, "NETWORK_PROBE", server.url("/ok").replace("127.0.0.1", "probe.test")
    )
    dns = FakeDNS({"probe.test": ["127.0.0.1"]})

    options = dataclasses.replace(FAST, allow_private=allow_private)
    result = check_links([("http://dead.test/", PAGE)], options, resolve=dns)[
        ("http://dead.test/", PAGE)
    ]

    assert (result.outcome, result.reason) == (
        Outcome.BROKEN,
        "DNS lookup failed: no such host dead.test",
    )
    assert server.requests("/ok") == ["HEAD"], "one probe"


def test_an_answer_from_any_host_means_the_network_works(server: Web) -> None:
    dns = FakeDNS({"alive.test": ["127.0.0.1"]})
    targets = [
        ("http://dead.test/", PAGE),
        (server.url("/ok").replace("127.0.0.1", "alive.test"), PAGE),
    ]

    results = check_links(targets, FAST, resolve=dns)

    assert results[targets[0]].outcome is Outcome.BROKEN
    assert "example.com" not in dns.lookups, "no probe needed"
