"""`curate lint --online` and `curate links` against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from curate import online
from curate.cache import Store
from curate.cli import main
from curate.cli.check import parse_duration, parse_statuses
from curate.config import Settings
from curate.corpus import load_site
from curate.links import (
    StoreLinkCache,
    check_files,
    collect_links,
    link_occurrences,
    online_options,
)
from curate.loading import load_file
from curate.online import IMAGE, PAGE, LinkResult, Outcome
from curate.reporting.progress import link_progress
from tests.conftest import write_article
from tests.httpserver_helpers import IMAGE_OK, PAGE_OK, Reply, Web, no_network, serving

ROUTES = {
    "/ok": PAGE_OK,
    "/original-only": PAGE_OK,
    "/slow-gone": Reply(410, delay=0.1),
    "/missing": Reply(404),
    "/forbidden": Reply(403),
    "/photo.png": IMAGE_OK,
    "/logo.png": IMAGE_OK,
    "/page.jpg": PAGE_OK,
}

STORY = """---
category: news
title: "A story"
publishedDateTime: 2021-06-30T12:00:00Z
webUrl: "https://example.com/a"
type: article
quality: 80
heat: 90
published: true
provider:
  name: Example
  domain: example.com
  images:
    - url: "{base}/logo.png"
      width: 50
      height: 50
topics:
  - AI
images:
  - url: "{base}/photo.png"
    width: 1200
    height: 630
  - url: "{base}/blog/assets/images/a.jpg"
    width: 1200
    height: 630
related:
  - title: "Gone, and slow to say so"
    webUrl: "{base}/slow-gone"
  - title: "Gone"
    webUrl: "{base}/missing"
  - title: "Turns robots away"
    webUrl: "{base}/forbidden"
    images:
      - url: "{base}/page.jpg"
        width: 1200
        height: 630
  - title: "Known by its original address only"
    originalUrl: "{base}/original-only"
  - title: "Fine"
    webUrl: "{base}/ok"
    originalUrl: "{base}/never-requested"
  - title: "A story of this site: left to the offline rules"
    webUrl: "{base}/blog/2021/07/01/b/"
---
"""

OTHER = """---
category: news
title: "Another story"
publishedDateTime: 2021-07-01T12:00:00Z
webUrl: "https://example.com/b"
type: article
quality: 80
heat: 90
published: true
provider:
  name: Example
  domain: example.com
  images:
    - url: "/assets/images/a.jpg"
      width: 50
      height: 50
topics:
  - AI
images:
  - url: "{base}/photo.png"
    width: 1200
    height: 630
related:
  - title: "Gone, linked twice"
    webUrl: "{base}/missing"
---
"""

A = "_posts/2021-06-30-a.md"
B = "_posts/2021-07-01-b.md"


@pytest.fixture(autouse=True)
def network_probe(monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    """The network probe on loopback: no test reaches the internet when nothing answers."""
    with serving({"/": Reply(200)}) as probe:
        monkeypatch.setattr(online, "NETWORK_PROBE", probe.url("/"))
        yield probe


@pytest.fixture
def server() -> Iterator[Web]:
    with serving(ROUTES) as started:
        yield started


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from an empty folder: no curate.toml of the checkout applies."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def site(tmp_path: Path, server: Web) -> Path:
    """Two articles linking to the server; the site's own URL is on the server too."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "_config.yml").write_text(f"title: test\nurl: {server.base}\nbaseurl: /blog\n")
    (root / "assets" / "images").mkdir(parents=True)
    (root / "assets" / "images" / "a.jpg").write_bytes(b"")
    write_article(root, A, STORY.format(base=server.base))
    write_article(root, B, OTHER.format(base=server.base))
    return root


def run_json(
    capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[dict[str, object]], str]:
    code = main([*args, "--format", "json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def web_findings(findings: list[dict[str, object]]) -> list[tuple[str, int, int, str]]:
    return [
        (Path(str(f["path"])).name, int(str(f["line"])), int(str(f["column"])), str(f["code"]))
        for f in findings
        if str(f["code"]).startswith("WB")
    ]


def position(path: Path, text: str) -> tuple[int, int]:
    """Line and column of the quoted value that starts with ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if f'"{text}' in line:
            return number, line.index(f'"{text}') + 1
    raise AssertionError(f"{text} is not in {path}")


# --- lint --online -------------------------------------------------------------------


def test_lint_online_reports_each_failure_at_its_value(
    site: Path, server: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    code, findings, err = run_json(capsys, "lint", str(site), "--online", "--allow-private")

    base = server.base
    a, b = site / A, site / B
    assert code == 1
    assert web_findings(findings) == [
        ("2021-06-30-a.md", *position(a, f"{base}/slow-gone"), "WB001"),
        ("2021-06-30-a.md", *position(a, f"{base}/missing"), "WB001"),
        ("2021-06-30-a.md", *position(a, f"{base}/forbidden"), "WB002"),
        ("2021-06-30-a.md", *position(a, f"{base}/page.jpg"), "WB001"),
        ("2021-07-01-b.md", *position(b, f"{base}/missing"), "WB001"),
    ]
    messages = [str(f["message"]) for f in findings if str(f["code"]).startswith("WB")]
    assert messages == [
        f"related[0].webUrl {base}/slow-gone is broken: 410 Gone",
        f"related[1].webUrl {base}/missing is broken: 404 Not Found",
        f"related[2].webUrl {base}/forbidden could not be verified: 403 Forbidden",
        f"related[2].images[0].url {base}/page.jpg is broken: "
        "200 but Content-Type text/html, not an image",
        f"related[0].webUrl {base}/missing is broken: 404 Not Found",
    ]
    assert "IM004" in {f["code"] for f in findings}, "the offline rules still run"
    assert err == ""


def test_each_url_is_requested_once_and_site_paths_never(
    site: Path, server: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    run_json(capsys, "lint", str(site), "--online", "--allow-private", "--no-cache")

    assert server.requests("/missing") == ["HEAD", "GET"], "two articles link to it: one check"
    assert server.hits("/photo.png") == 1
    assert server.paths() == {
        "/slow-gone",
        "/missing",
        "/forbidden",
        "/photo.png",
        "/logo.png",
        "/page.jpg",
        "/original-only",
        "/ok",
    }


def test_all_ok_is_clean(tmp_path: Path, server: Web) -> None:
    root = tmp_path / "clean"
    root.mkdir()
    (root / "_config.yml").write_text("title: test\nurl: https://news.example.org\n")
    text = OTHER.format(base=server.base).replace("/missing", "/ok")
    write_article(root, B, text)

    assert main(["links", str(root), "--allow-private", "--no-cache"]) == 0
    assert server.paths() == {"/ok", "/photo.png"}


def test_unverified_fails_only_with_strict(
    site: Path, server: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    ignore_broken = ["--ignore", "WB001", "--allow-private", "--no-cache"]
    assert main(["links", str(site), *ignore_broken]) == 0
    assert main(["links", str(site), *ignore_broken, "--strict"]) == 1
    assert "WB002" in capsys.readouterr().out


def test_without_allow_private_loopback_is_refused_without_a_request(
    site: Path, server: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    code, findings, _ = run_json(capsys, "links", str(site), "--no-cache")

    assert code == 0, "WB003 is an info"
    assert {f["code"] for f in findings} == {"WB003"}
    assert len(findings) == 10, "one per place written: 8 URLs in a, 2 in b"
    assert str(findings[0]["message"]).endswith(
        "leads to a non-public address and was not checked (refused: loopback address "
        "127.0.0.1): readers on the internet cannot reach it either"
    )
    assert server.hits() == 0


def test_output_order_does_not_depend_on_completion_order(
    site: Path, server: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    # /slow-gone is written first and answers last; one at a time, answers come in order.
    args = ["links", str(site), "--allow-private", "--no-cache"]
    _, parallel, _ = run_json(capsys, *args)
    _, serial, _ = run_json(capsys, *args, "--concurrency", "1")
    _, again, _ = run_json(capsys, *args)

    assert parallel == serial == again
    assert [(f["path"], f["line"]) for f in parallel] == sorted(
        (f["path"], f["line"]) for f in parallel
    )


def test_without_a_network_no_link_is_called_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The links of the sample are public names; the machine resolves none, not even the
    # probe's: it is offline, and says so once instead of 10 broken links.
    monkeypatch.setattr(online, "system_resolve", no_network)
    monkeypatch.setattr(online, "NETWORK_PROBE", "http://example.com/")
    root = tmp_path / "offline"
    root.mkdir()
    (root / "_config.yml").write_text("title: test\nurl: https://news.example.org\n")
    write_article(root, A, STORY.format(base="https://elsewhere.example.net"))
    write_article(root, B, OTHER.format(base="https://cdn.example.com"))

    code = main(["links", str(root), "--no-cache"])
    out, err = capsys.readouterr()

    assert code == 0
    assert "WB00" not in out and "network unavailable" not in out
    # A warning on stderr, which every format shows (a note in the table would be lost in JSON).
    assert err == "curate: warning: network unavailable: 12 links not checked\n"
    for command in (["links"], ["lint", "--online"]):
        code, findings, err = run_json(capsys, *command, str(root), "--no-cache")
        assert web_findings(findings) == []
        assert err == "curate: warning: network unavailable: 12 links not checked\n"


# --- links -----------------------------------------------------------------------------


def test_links_reports_only_web_codes_and_unreadable_files(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_article(site, "_posts/2021-07-02-c.md", "---\ntitle: never closed\n")

    code, findings, _ = run_json(capsys, "links", str(site), "--allow-private", "--no-cache")

    assert code == 1
    assert sorted({str(f["code"]) for f in findings}) == ["FM003", "WB001", "WB002"]


def test_exclude_url_skips_matching_urls(
    site: Path, server: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    code, findings, _ = run_json(
        capsys,
        *("links", str(site), "--allow-private", "--no-cache"),
        *("--exclude-url", "(missing|gone)$", "--exclude-url", r"forbidden|page\.jpg"),
    )

    assert (code, findings) == (0, [])
    assert server.paths().isdisjoint({"/slow-gone", "/missing", "/forbidden", "/page.jpg"})
    assert server.hits("/ok") == 1


def test_config_lists_and_command_line_add_up(
    site: Path, server: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    (site / "curate.toml").write_text('online-exclude = ["/missing$"]\nonline-accept = [403]\n')
    args = ["links", str(site), "--config", str(site / "curate.toml"), "--allow-private"]

    _, findings, _ = run_json(capsys, *args, "--no-cache")
    assert [f["code"] for f in findings] == ["WB001", "WB001"]
    _, findings, _ = run_json(capsys, *args, "--no-cache", "--exclude-url", "page|slow")
    assert findings == []
    assert server.hits("/missing") == 0


def test_accept_makes_a_status_ok(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, findings, _ = run_json(
        capsys, "links", str(site), "--allow-private", "--no-cache", "--accept", "404,403"
    )

    assert [str(f["message"]).split()[0] for f in findings] == [
        "related[0].webUrl",
        "related[2].images[0].url",
    ], "410 and the HTML page served as an image are still broken"


def test_suppressed_url_is_not_requested(
    site: Path, server: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    path = site / B
    path.write_text(path.read_text().replace('/missing"', '/missing"  # curate: ignore[WB]'))

    _, findings, _ = run_json(capsys, "links", str(site / B), "--allow-private", "--no-cache")

    assert findings == []
    assert server.hits("/missing") == 0


@pytest.mark.parametrize(
    ("ignores", "pattern", "comment"),
    [
        ('"_posts/*-b.md" = ["WB001"]', "/slow-gone", "ignore[WB]"),
        ('"_posts/*-a.md" = ["WB"]', "/missing", "ignore[WB001]"),
        ('"*" = ["WB002", "FM003"]', "/ok", "ignore[ALL]"),
        ('"_posts/*-b.md" = ["WB002"]', "/ok", "ignore-file[WB001]"),
    ],
)
def test_links_and_lint_online_decide_alike(
    site: Path,
    capsys: pytest.CaptureFixture[str],
    ignores: str,
    pattern: str,
    comment: str,
) -> None:
    """One Policy: per-file-ignores, --ignore and inline suppressions, the same findings."""
    (site / "curate.toml").write_text(f"[per-file-ignores]\n{ignores}\n")
    path = site / A
    path.write_text(path.read_text().replace(f'{pattern}"', f'{pattern}"  # curate: {comment}'))
    write_article(site, "_posts/2021-07-02-c.md", "---\ntitle: never closed\n")
    config = ("--config", str(site / "curate.toml"))
    common = (str(site), *config, "--allow-private", "--no-cache", "--ignore", "WB003")

    _, by_links, _ = run_json(capsys, "links", *common)
    _, by_lint, _ = run_json(capsys, "lint", "--online", *common)

    shown = web_findings(by_links)
    assert shown, "the case must leave findings to compare"
    assert shown == web_findings(by_lint)
    unreadable = [f["code"] for f in by_links if not str(f["code"]).startswith("WB")]
    assert unreadable == ([] if "FM003" in ignores else ["FM003"])
    assert unreadable == [f["code"] for f in by_lint if f["code"] == "FM003"]


def test_links_imports_no_rule_module_it_does_not_report(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the WB rules are needed: the others (and their imports) are not loaded."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from curate.cli import main\n"
        "main(sys.argv[1:])\n"
        "print(sorted(m for m in sys.modules if m.startswith('curate.rules.')))\n"
    )
    args = ["links", str(site), "--allow-private", "--no-cache", "--format", "json"]
    for extra in ([], ["--select", "WB,FM"], ["--ignore", "WB003"]):
        done = subprocess.run(
            [sys.executable, "-c", script, *args, *extra], capture_output=True, text=True
        )
        loaded = done.stdout.splitlines()[-1]
        assert "curate.rules.titles" not in loaded, (extra, loaded)
        assert "curate.rules.online" in loaded
    done = subprocess.run(
        [sys.executable, "-c", script, *args, "--select", "TI9"], capture_output=True, text=True
    )
    assert "unknown rule code 'TI9'" in done.stderr, "other codes are still checked"


def test_a_run_in_process_leaves_the_garbage_collector_as_it_was(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the process entry spares its shutdown the collections (curate.cli._ending)."""
    import gc

    frozen = gc.get_freeze_count()
    run_json(capsys, "links", str(site), "--allow-private", "--no-cache")
    assert gc.get_freeze_count() == frozen


def test_only_the_given_files_are_checked(
    site: Path, server: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    _, findings, _ = run_json(
        capsys, "lint", str(site / B), "--online", "--allow-private", "--no-cache"
    )

    assert {Path(str(f["path"])).name for f in findings} == {"2021-07-01-b.md"}
    assert server.paths() == {"/missing", "/photo.png"}


def test_no_web_code_selected_requests_nothing(
    site: Path, server: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    _, findings, err = run_json(
        capsys, "lint", str(site), "--online", "--allow-private", "--select", "IM"
    )

    assert not web_findings(findings)
    assert "no online code (WB) is selected" in err
    assert server.hits() == 0


# --- the cache -------------------------------------------------------------------------


def test_second_run_reuses_ok_results_and_checks_failures_again(
    site: Path, server: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["lint", str(site), "--online", "--allow-private"]
    first = run_json(capsys, *args)
    requests = server.hits()
    second = run_json(capsys, *args)

    assert second[:2] == first[:2]
    assert server.hits("/ok") == server.hits("/photo.png") == 1, "ok results are reused"
    assert server.hits("/missing") == 4, "failures are checked again (HEAD, then GET)"
    assert server.hits("/forbidden") == 4, "HEAD refused, then GET: twice"
    assert server.hits() - requests == 7

    assert main([*args, "--max-cache-age", "0"]) == 1
    assert server.hits("/ok") == 2, "older than the maximum age"
    assert main([*args, "--no-cache"]) == 1
    assert server.hits("/ok") == 3, "--no-cache reads no result"


def test_summary_says_what_came_from_the_cache(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["links", str(site), "--allow-private"]
    main(args)
    assert "8 URLs checked online: 8 requested, 0 from the cache" in capsys.readouterr().out
    main(args)
    assert "8 URLs checked online: 4 requested, 4 from the cache" in capsys.readouterr().out
    main([*args, "--exclude-url", "slow"])
    out = capsys.readouterr().out
    assert "8 URLs checked online: 3 requested, 4 from the cache, 1 excluded" in out


def test_results_of_private_hosts_are_not_reused_without_allow_private(
    site: Path, server: Web, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["links", str(site), "--allow-private"])
    requests = server.hits()
    capsys.readouterr()

    _, findings, _ = run_json(capsys, "links", str(site))

    assert {f["code"] for f in findings} == {"WB003"}
    assert server.hits() == requests
    main(["links", str(site), "--allow-private"])
    assert "4 requested, 4 from the cache" in capsys.readouterr().out


def test_no_cache_writes_no_result(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["links", str(site), "--allow-private", "--no-cache"])

    assert not (site / ".curate_cache").exists()


def test_store_keeps_only_ok_results_and_rejects_bad_rows(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "cache", "links")
    assert store is not None
    ok = LinkResult("https://a.test/", Outcome.OK, 200, "200 OK", "https://a.test/", 1, 0.1)
    broken = LinkResult("https://b.test/", Outcome.BROKEN, 404, "404 Not Found", None, 1, 0.1)
    cache = StoreLinkCache(store)
    cache.put_ok(ok, PAGE)
    cache.put_ok(broken, PAGE)
    assert cache.get_ok(ok.url, PAGE, 60) is None, "written when closed"
    cache.close()

    reopened = Store.open(tmp_path / "cache", "links")
    assert reopened is not None
    cache = StoreLinkCache(reopened)
    assert cache.get_ok(ok.url, PAGE, 60) == ok
    assert cache.get_ok(ok.url, IMAGE, 60) is None
    assert cache.get_ok(broken.url, PAGE, 60) is None
    reopened.put_link("https://c.test/", PAGE, {"url": "https://c.test/", "outcome": "ok"})
    assert cache.get_ok("https://c.test/", PAGE, 60) is None
    cache.close()


def test_store_keeps_results_of_private_hosts_for_runs_that_allow_them(tmp_path: Path) -> None:
    def open_cache(*, allow_private: bool) -> StoreLinkCache:
        store = Store.open(tmp_path / "cache", "links")
        assert store is not None
        return StoreLinkCache(store, allow_private=allow_private)

    ok = LinkResult("http://10.0.0.7/", Outcome.OK, 200, "200 OK", "http://10.0.0.7/", 1, 0.1)
    writer = open_cache(allow_private=True)
    writer.put_ok(ok, PAGE)
    writer.close()
    strict, lenient = open_cache(allow_private=False), open_cache(allow_private=True)

    assert strict.get_ok(ok.url, PAGE, 60) is None
    assert lenient.get_ok(ok.url, PAGE, 60) == ok
    strict.close()
    lenient.close()


# --- collecting ------------------------------------------------------------------------


def test_which_urls_are_collected(site: Path, server: Web) -> None:
    loaded = load_file(site / A)
    assert loaded.article is not None

    found = [(o.pointer, o.kind) for o in link_occurrences(loaded.article, load_site(site))]

    assert found == [
        (("related", 0, "webUrl"), PAGE),
        (("related", 1, "webUrl"), PAGE),
        (("related", 2, "webUrl"), PAGE),
        (("related", 3, "originalUrl"), PAGE),
        (("related", 4, "webUrl"), PAGE),
        (("images", 0, "url"), IMAGE),
        (("provider", "images", 0, "url"), IMAGE),
        (("related", 2, "images", 0, "url"), IMAGE),
    ]


def test_values_that_are_not_http_urls_are_not_collected(tmp_path: Path) -> None:
    text = OTHER.format(base="ftp://files.example.org").replace("/missing", " ")
    path = write_article(tmp_path, B, text)

    collected = collect_links([str(path)], load_site(None))

    assert collected.occurrences == ()


def test_unreadable_files_are_reported_not_checked(tmp_path: Path) -> None:
    path = write_article(tmp_path, "_posts/2021-07-02-c.md", "---\ntitle: never closed\n")

    collected = collect_links([str(path)], load_site(None), Settings())

    assert [d.code for d in collected.unreadable] == ["FM003"]


# --- the command line ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("3600", 3600.0), ("90s", 90.0), ("30m", 1800.0), ("12h", 43200.0), ("1d", 86400.0)],
)
def test_cache_age_forms(value: str, seconds: float) -> None:
    assert parse_duration(value) == seconds


def test_accept_forms() -> None:
    assert parse_statuses(["403,429", "999"]) == (403, 429, 999)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-cache-age", "1y"], "is not a duration"),
        (["--accept", "ok"], "is not an HTTP status"),
        (["--accept", "42"], "is not an HTTP status"),
        (["--exclude-url", "("], "is not a valid regular expression"),
        (["--timeout", "0"], "time-out must be more than 0"),
        (["--concurrency", "0"], "0 is not in the range"),
        (["--timeout", "nan"], "not nan"),
        (["--timeout", "inf"], "not inf"),
        (["--user-agent", "curate\r\nX-Injected: 1"], "give printable ASCII"),
        (["--user-agent", "curaté"], "give printable ASCII"),
    ],
)
def test_bad_online_options_are_usage_errors(
    site: Path, server: Web, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["links", str(site), "--allow-private", *args]) == 2
    assert message in capsys.readouterr().err
    assert server.hits() == 0


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["links", str(site), "--allow-private", "--no-cache", "--format", "concise"])

    captured = capsys.readouterr()
    assert captured.err == ""
    assert all(line.count(": WB00") == 1 for line in captured.out.splitlines())


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    broken = LinkResult("https://b.test/", Outcome.BROKEN, 404, "404 Not Found", None, 1, 0.1)

    with link_progress(2) as advance:
        advance(broken)
        advance(broken)

    drawn = terminal.getvalue()
    assert "Checking links" in drawn
    assert "2/2" in drawn
    assert "2 broken" in drawn


# --- requests while reading ----------------------------------------------------------


def test_requests_leave_while_the_articles_are_still_being_read(
    tmp_path: Path, server: Web
) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "_config.yml").write_text("title: test\n")
    files = [
        str(write_article(root, f"_posts/2021-06-{day:02d}-a.md", STORY.format(base=server.base)))
        for day in range(1, 29)
    ]
    requests_seen: list[int] = []

    def slowly(paths: list[str]) -> Iterator[str]:
        """Each file as if the disk were slow, noting how many requests the server has had."""
        for path in paths:
            time.sleep(0.01)
            requests_seen.append(server.hits())
            yield path

    settings = Settings(allow_private=True, cache=False)
    collected, report = check_files(
        slowly(files), load_site(root), settings, online_options(settings)
    )

    assert requests_seen[-1] > 0, "a request left before the last file was read"
    one_file = collect_links(files[:1], load_site(root), settings).occurrences
    assert len(collected.occurrences) == 28 * len(one_file)
    assert {result.outcome for result in report.results.values()} == {
        Outcome.OK,
        Outcome.BROKEN,
        Outcome.UNVERIFIED,
    }
    assert {d.path for d in report.diagnostics} == set(files), "every file's failures reported"


def test_the_progress_opens_once_the_urls_are_counted_and_hears_of_every_result(
    site: Path,
) -> None:
    opened: list[int] = []
    advanced: list[str] = []

    @contextmanager
    def progress(total: int) -> Iterator[Callable[[LinkResult], None]]:
        opened.append(total)
        yield lambda result: advanced.append(result.url)

    settings = Settings(allow_private=True, cache=False)
    files = [str(site / A), str(site / B)]
    collected, report = check_files(
        files, load_site(site), settings, online_options(settings), progress=progress
    )

    assert opened == [len(collected.targets)]
    assert sorted(advanced) == sorted(url for url, _ in report.results)
