"""Every lint rule is documented and has a failing and a passing fixture site.

A fixture is a small site under ``tests/fixtures/rules/<CODE>/{fail,pass}/``.
In a fail site, each line that must be reported carries a YAML comment
``# expect: CODE`` (or ``# expect-below: CODE`` on the line before, where a
comment cannot go, such as a stray ``---``). The online codes (WB) are checked
against the fake web of ``tests/httpserver_helpers.py``, which opens no socket.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from curate.config import Settings
from curate.engine import run_checks
from curate.rules import Rule, all_rules
from curate.rules.online import ONLINE_CODES
from tests.conftest import FIXTURES
from tests.httpserver_helpers import fake_web_diagnostics

RULE_FIXTURES = FIXTURES / "rules"
#: The clock of every fixture run, so date rules do not depend on today.
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
RULES = all_rules()
CODES = sorted(RULES)

_MARKER = re.compile(r"#\s*expect(-below)?:\s*([A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)")


def expected(site: Path, code: str) -> set[tuple[str, int]]:
    """The ``(file, line)`` pairs a fixture site marks for ``code``."""
    marks = set()
    for path in sorted(site.rglob("*")):
        # Organization files are checked whatever their name (theguardian.com has none).
        readable = path.suffix in (".md", ".yml", ".yaml") or path.parent.name == "organizations"
        if not path.is_file() or not readable:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = _MARKER.search(line)
            if match and code in re.split(r"\s*,\s*", match[2]):
                marks.add((path.relative_to(site).as_posix(), number + bool(match[1])))
    return marks


def lint_site(site: Path, *select: str) -> list[tuple[str, int, str, str]]:
    settings = Settings(cache=False, now=NOW, select=select)
    result = run_checks([site], settings, lint=True)
    diagnostics = result.diagnostics
    if site.parent.name in ONLINE_CODES:
        # Found only online: checked against a fake web (news.test, cdn.test, intranet.test).
        diagnostics += fake_web_diagnostics(result.files, result.site, settings)
    return [
        (Path(d.path).resolve().relative_to(site.resolve()).as_posix(), d.line, d.code, d.message)
        for d in diagnostics
    ]


@pytest.mark.parametrize("code", CODES)
def test_rule_is_documented(code: str) -> None:
    rule: Rule = RULES[code]
    assert re.fullmatch(r"[A-Z]{2}\d{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", rule.name), "names are kebab-case problems"
    for field in ("message", "summary", "why", "example", "fix"):
        assert getattr(rule, field).strip(), f"{code} has no {field}"
    assert rule.summary.endswith("."), "a summary is one sentence"


def test_names_are_unique_across_all_codes() -> None:
    from curate.rules import all_codes

    names = [doc.name for doc in all_codes().values()]
    assert len(names) == len(set(names))


def test_every_fixture_folder_belongs_to_a_rule() -> None:
    folders = {path.name for path in RULE_FIXTURES.iterdir() if path.is_dir()}
    assert folders <= set(CODES) | {"seeds"}


@pytest.mark.parametrize("code", CODES)
def test_fail_fixture_reports_the_marked_lines(code: str) -> None:
    site = RULE_FIXTURES / code / "fail"
    assert (site / "_config.yml").is_file(), f"{code} has no fail fixture site"
    marks = expected(site, code)
    assert marks, f"the fail fixture of {code} marks no line with '# expect: {code}'"
    # The rule alone: with the schema on, lint keeps one finding per value and a value
    # the schema already rejects (a URL with a space...) is reported as SC003 only.
    found = lint_site(site, code)
    assert not [f for f in found if "internal error" in f[3]]
    assert {(path, line) for path, line, found_code, _ in found if found_code == code} == marks


@pytest.mark.parametrize("code", CODES)
def test_pass_fixture_is_clean(code: str) -> None:
    site = RULE_FIXTURES / code / "pass"
    assert (site / "_config.yml").is_file(), f"{code} has no pass fixture site"
    assert not expected(site, code)
    # A pass site is a clean site: no rule at all may fire on it.
    assert lint_site(site) == []


_ODD_VALUES: list[object] = [
    None,
    "",
    " ",
    "text",
    "https://example.com/a ",
    0,
    -1,
    2.5,
    True,
    [],
    [None],
    ["x", 3],
    {},
    {"url": 5},
    [{"url": None, "width": "wide", "height": -3}],
    [{"webUrl": 7, "originalUrl": [], "provider": "x", "images": {"url": 1}, "quality": "q"}],
    {"name": 3, "domain": ["a"], "images": "logo.png"},
]
_KEYS = (
    "title",
    "publishedDateTime",
    "webUrl",
    "originalUrl",
    "ampWebUrl",
    "cdnAmpWebUrl",
    "quality",
    "heat",
    "published",
    "provider",
    "topics",
    "images",
    "related",
    "secured",
)


def _odd_articles() -> list[dict[str, object]]:
    base: dict[str, object] = {
        "title": "T",
        "publishedDateTime": "2021-06-30T12:00:00Z",
        "webUrl": "https://example.com/a",
        "published": True,
        "quality": 10,
        "heat": -1,
        "provider": {"name": "P", "domain": "p.example", "images": [{"url": "/assets/x.jpg"}]},
        "topics": ["AI"],
        "images": [{"url": "/assets/x.jpg"}],
        "related": [{"title": "R", "webUrl": "https://example.com/a"}],
        "secured": "a;b",
    }
    return [{**base, key: value} for key in _KEYS for value in _ODD_VALUES]


def test_rules_survive_any_shape_of_front_matter(tmp_path: Path) -> None:
    """The schema may have failed: a rule must not raise whatever the values are."""
    from curate.corpus import ArticleRecord, CorpusIndex, Site, Topic
    from curate.model import Article

    site = Site(
        tmp_path,
        url="https://news.example.org",
        baseurl="/blog",
        topics=(Topic("AI", "A", "ai", "t.yaml"),),
        organizations=frozenset({"example.com"}),
        settings=Settings(now=NOW),
    )
    articles = [
        Article(f"_posts/2021-06-{n % 28 + 1:02d}-same.md", data)
        for n, data in enumerate(_odd_articles())
    ]
    index = CorpusIndex(ArticleRecord.from_article(article) for article in articles)
    for rule in RULES.values():
        for article, record in zip(articles, index.records, strict=True):
            if rule.check is not None:
                findings = list(rule.check(article, site))
            elif rule.check_corpus is not None:
                findings = list(rule.check_corpus(record, index, site))
            else:
                continue
            assert all(isinstance(finding.message, str) for finding in findings)


def test_the_junk_title_search_in_two_parts_finds_what_one_search_finds() -> None:
    import random

    from curate.rules.titles import _JUNK_TITLES, junk_title

    words = [
        "Become a", "FT subscriber", "subscribe now to read", "Sign in", "login to continue",
        "to continue reading", "subscribers-only", "please include", "include AI",
        "in the title", "As an AI model", "Sure, here", "404 page not found", "title", "null",
        "Lorem ipsum", "AI", "news", " ", "x", "\u017fubscribe to read", "\u0130nclude", "\u212a",
    ]  # fmt: skip
    chooser = random.Random(13)
    for _ in range(5_000):
        text = " ".join(chooser.choice(words) for _ in range(chooser.randint(1, 5)))
        for candidate in (text, text.strip(), text[1:]):
            one, two = _JUNK_TITLES.search(candidate), junk_title(candidate)
            assert (one and one.span()) == (two and two.span()), candidate
