"""What the rules say: the specifics an editor needs (values, suggestions, time zones)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from curate.cli import main
from curate.config import Settings
from curate.engine import run_checks
from curate.rules.publishing import secured_problem
from curate.rules.urls import amp_cache_url
from tests.conftest import write_article

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)

ARTICLE = """---
category: news
title: "A story"
publishedDateTime: {date}
webUrl: "https://example.com/a"
type: article
provider:
  name: Example
  domain: example.com
{provider_images}topics:
{topics}
images:
  - url: "https://example.com/a.jpg"
    width: 1200
    height: 630
{extra}---
"""


def site_with(
    tmp_path: Path,
    *,
    name: str = "2021-06-30-a.md",
    date: str = "2021-06-30T12:00:00Z",
    topics: str = "  - AI",
    extra: str = "",
    provider_images: str = "",
    files: tuple[str, ...] = (),
) -> Path:
    (tmp_path / "_config.yml").write_text(
        "title: t\nurl: https://news.example.org\nbaseurl: /blog\n"
    )
    text = ARTICLE.format(date=date, topics=topics, extra=extra, provider_images=provider_images)
    write_article(tmp_path, f"_posts/{name}", text)
    for relative in files:
        write_article(tmp_path, relative, "")
    return tmp_path


def messages(site: Path, code: str, now: datetime = NOW) -> list[str]:
    result = run_checks([site], Settings(cache=False, now=now, select=(code,)), lint=True)
    return [d.message for d in result.diagnostics]


@pytest.mark.parametrize(
    ("name", "date", "zone", "expected"),
    [
        (
            "2021-03-06-a.md",
            "2021-03-05T20:19:00Z",
            "UTC",
            "the filename date 2021-03-06 is 1 day after the date of publishedDateTime "
            "2021-03-05T20:19:00Z in the site's time zone UTC; the file name has the date of "
            "time zones from UTC+03:41 eastward",
        ),
        (
            "2021-03-04-a.md",
            "2021-03-05T02:00:00Z",
            "Europe/Paris",
            "the filename date 2021-03-04 is 1 day before the date of publishedDateTime "
            "2021-03-05T02:00:00Z in the site's time zone Europe/Paris; the file name has the "
            "date of time zones west of UTC-02:00",
        ),
        ("2021-03-06-a.md", "2021-03-05T20:19:00Z", "Asia/Shanghai", None),
        ("2021-03-06-a.md", "2021-03-05T20:19:00Z", None, None),
        ("2021-03-04-a.md", "2021-03-05T02:00:00Z", None, None),
        (
            "2021-03-01-a.md",
            "2021-03-05T12:00:00Z",
            None,
            "the filename date 2021-03-01 is 4 days before the date of publishedDateTime "
            "2021-03-05T12:00:00Z (UTC); no time zone explains it: it would take UTC-84:00",
        ),
        (
            "2021-03-06-a.md",
            "2021-03-05T08:00:00Z",
            None,
            "the filename date 2021-03-06 is 1 day after the date of publishedDateTime "
            "2021-03-05T08:00:00Z (UTC); no time zone explains it: it would take UTC+16:00",
        ),
    ],
)
def test_filename_date_mismatch_in_the_site_time_zone(
    tmp_path: Path, name: str, date: str, zone: str | None, expected: str | None
) -> None:
    """Jekyll dates files in the site's timezone; with none set, any real offset will do."""
    site = site_with(tmp_path, name=name, date=date)
    if zone is not None:
        with (site / "_config.yml").open("a") as config:
            config.write(f"timezone: {zone}\n")
    assert messages(site, "DT001") == ([expected] if expected else [])


def test_curate_timezone_setting_overrides_the_site(tmp_path: Path) -> None:
    site = site_with(tmp_path, name="2021-03-06-a.md", date="2021-03-05T20:19:00Z")
    settings = Settings(cache=False, now=NOW, select=("DT001",), timezone="UTC")
    assert len(run_checks([site], settings, lint=True).diagnostics) == 1
    settings = settings.replace(timezone="UTC+8")
    assert run_checks([site], settings, lint=True).diagnostics == []


def test_filename_date_compares_the_date_as_written(tmp_path: Path) -> None:
    """An editor in UTC+2 writes the local date and time: that is the article's date."""
    site = site_with(tmp_path, name="2021-07-01-a.md", date="2021-07-01T01:00:00+02:00")
    assert messages(site, "DT001") == []


def test_future_date_uses_the_pinned_clock(tmp_path: Path) -> None:
    site = site_with(tmp_path)
    assert messages(site, "DT002") == []
    past = datetime(2021, 6, 29, 12, 0, tzinfo=timezone.utc)
    assert messages(site, "DT002", now=past) == [
        "publishedDateTime 2021-06-30T12:00:00Z is in the future: 24 hours after now "
        "(2021-06-29T12:00:00Z)"
    ]


def test_now_option_of_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = site_with(tmp_path)
    args = ["lint", str(site), "--no-cache", "--select", "DT002", "--format", "concise"]
    assert main([*args, "--now", "2021-01-01", "--strict"]) == 1
    assert "is in the future: 180 days after now (2021-01-01T00:00:00Z)" in capsys.readouterr().out
    assert main([*args, "--now", "2024-01-01", "--strict"]) == 0
    assert main([*args, "--now", "soon"]) == 2


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        (
            "AI Ethic",
            'topic "AI Ethic" is not a topic of the site (_data/topics); did you mean "AI Ethics"?',
        ),
        (
            "Ethics",
            'topic "Ethics" is not a topic of the site (_data/topics); did you mean "AI Ethics"?',
        ),
        (
            "ai ethics",
            'topic "ai ethics" is not a topic of the site (_data/topics); did you mean '
            '"AI Ethics"?',
        ),
        ("Gardening", 'topic "Gardening" is not a topic of the site (_data/topics)'),
    ],
)
def test_unknown_topic_suggests_the_close_match(tmp_path: Path, topic: str, expected: str) -> None:
    site = site_with(tmp_path, topics=f"  - {topic}")
    write_article(
        site,
        "_data/topics/04-ai-ethics.yaml",
        "name: AI Ethics\nshortname: Ethics\n_id: ai-ethics\n",
    )
    write_article(site, "_data/topics/00-ai.yaml", "name: AI\n")
    assert messages(site, "TX001") == [expected]


def test_no_taxonomy_no_topic_or_organization_findings(tmp_path: Path) -> None:
    site = site_with(tmp_path, topics="  - Anything at all")
    assert messages(site, "TX") == []


def test_provider_logo_missing_points_at_an_existing_logo(tmp_path: Path) -> None:
    site = site_with(tmp_path, files=("assets/images/organizations/example.com-50x50.jpg",))
    assert messages(site, "IM005") == [
        "provider example.com has no logo (no provider.images) in its 1 article; "
        "the site has one: "
        "https://news.example.org/blog/assets/images/organizations/example.com-50x50.jpg"
    ]


def test_local_image_missing_names_the_file(tmp_path: Path) -> None:
    logo = (
        "  images:\n    - url: https://news.example.org/blog/assets/images/organizations/"
        "example.com-50x50.jpg\n      width: 50\n      height: 50\n"
    )
    site = site_with(tmp_path, provider_images=logo)
    assert messages(site, "IM006") == [
        "provider.images[0].url is https://news.example.org/blog/assets/images/organizations/"
        "example.com-50x50.jpg, but the site has no file "
        "assets/images/organizations/example.com-50x50.jpg"
    ]
    write_article(site, "assets/images/organizations/example.com-50x50.jpg", "")
    assert messages(site, "IM006") == []


@pytest.mark.parametrize(
    ("amp", "expected"),
    [
        (
            "https://amp.scmp.com/tech/a",
            "https://amp-scmp-com.cdn.ampproject.org/c/s/amp.scmp.com/tech/a",
        ),
        (
            "https://syncedreview.com/2021/x/amp/",
            "https://syncedreview-com.cdn.ampproject.org/c/s/syncedreview.com/2021/x/amp/",
        ),
        (
            "https://my-site.example.org/a?b=1",
            ("https://my--site-example-org.cdn.ampproject.org/c/s/my-site.example.org/a?b=1"),
        ),
        (
            "http://amp.example.com/a",
            "https://amp-example-com.cdn.ampproject.org/c/amp.example.com/a",
        ),
        ("amp.example.com/a", None),
    ],
)
def test_amp_cache_url(amp: str, expected: str | None) -> None:
    assert amp_cache_url(amp) == expected


def test_amp_cache_mismatch_shows_the_expected_url(tmp_path: Path) -> None:
    extra = (
        'ampWebUrl: "https://amp.example.com/a"\n'
        'cdnAmpWebUrl: "https://amp-example-com.cdn.ampproject.org/c/s/amp.example.com/b"\n'
    )
    assert messages(site_with(tmp_path, extra=extra), "UR002") == [
        "cdnAmpWebUrl is not the AMP cache form of ampWebUrl: expected "
        "https://amp-example-com.cdn.ampproject.org/c/s/amp.example.com/a, got "
        "https://amp-example-com.cdn.ampproject.org/c/s/amp.example.com/b"
    ]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("dGhpcw==;AAECAwQFBgcICQoLDA0ODw==", None),
        ("dGhpcw==", "has 1 part separated by ';', not 2"),
        ("a;b;c", "has 3 parts separated by ';', not 2"),
        (
            "dGhpcw=;AAECAwQFBgcICQoLDA0ODw==",
            "has a ciphertext (before ';') that is not valid base64",
        ),
        ("dGhpcw==;AAECAwQFBgcICQoL", "has an IV of 12 bytes, not 16"),
        ("dGhpcw==;not base64!", "has an IV (after ';') that is not valid base64"),
        (";AAECAwQFBgcICQoLDA0ODw==", "has a ciphertext (before ';') that is not valid base64"),
    ],
)
def test_secured_problems(value: str, problem: str | None) -> None:
    assert secured_problem(value) == problem


def test_quality_threshold_comes_from_the_settings(tmp_path: Path) -> None:
    site = site_with(tmp_path, extra="heat: 65\npublished: true\n")
    assert messages(site, "PB001") == [
        "published: true, but heat 65 is below the publishing threshold 70"
    ]
    result = run_checks(
        [site],
        Settings(cache=False, select=("PB001",), published_quality_threshold=60),
        lint=True,
    )
    assert result.diagnostics == []
