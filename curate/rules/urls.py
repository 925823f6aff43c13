"""UR: the article's own URLs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from curate.corpus import TRACKING_PARAMETER
from curate.model import Applicability, Pointer, Severity
from curate.rules import AutoFix, Finding, replace_value, rule
from curate.rules._common import (
    LINK_KEYS,
    describe,
    related_entries,
    text,
    url_values,
)

if TYPE_CHECKING:
    from curate.corpus import Site
    from curate.model import Article


@rule(
    "UR001",
    "url-missing",
    Severity.ERROR,
    message="the article has neither webUrl nor originalUrl: it links nowhere",
    summary="An article has no webUrl and no originalUrl (or both are empty).",
    why="Every article on the site is a link to the source; without a URL readers cannot get to "
    "it, and curate cannot match related links or duplicates to it. (The bundled schema "
    "requires one of the two: lint then reports it once, as SC001.)",
    example="title: A story\nprovider:\n  name: Example\n  domain: example.com",
    fix="Add the webUrl of the article (its canonical address at the source).",
)
def url_missing(article: Article, site: Site) -> Iterator[Finding]:
    if not any(text(article.data.get(key)) for key in LINK_KEYS):
        yield Finding.of(())


def amp_cache_url(amp_url: str) -> str | None:
    """The Google AMP cache address of an AMP page, or None if it is not an http(s) URL.

    https://amp.example.com/a becomes
    https://amp-example-com.cdn.ampproject.org/c/s/amp.example.com/a
    """
    try:
        parts = urlsplit(amp_url)
        host = parts.hostname
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        return None
    subdomain = host.replace("-", "--").replace(".", "-")
    rest = amp_url.split("://", 1)[1]
    secure = "s/" if scheme == "https" else ""
    return f"https://{subdomain}.cdn.ampproject.org/c/{secure}{rest}"


def _same_url(left: str, right: str) -> bool:
    """Equal, ignoring the case of scheme and host (which URLs do not distinguish)."""
    try:
        a, b = urlsplit(left), urlsplit(right)
    except ValueError:
        return left == right
    return (a.scheme.lower(), a.netloc.lower(), a.path, a.query, a.fragment) == (
        b.scheme.lower(),
        b.netloc.lower(),
        b.path,
        b.query,
        b.fragment,
    )


def _amp_pairs(data: dict[str, Any]) -> Iterator[tuple[Pointer, dict[str, Any]]]:
    yield (), data
    for index, entry in related_entries(data):
        yield ("related", index), entry


@rule(
    "UR002",
    "amp-cache-url-mismatch",
    Severity.WARNING,
    message="{where} {problem}",
    summary="cdnAmpWebUrl is not the Google AMP cache address of ampWebUrl.",
    why="AMP readers are sent to cdnAmpWebUrl; when it does not match ampWebUrl they get "
    "another page, or an error from the AMP cache.",
    example='ampWebUrl: "https://amp.scmp.com/tech/article/1"\n'
    'cdnAmpWebUrl: "https://amp-scmp-com.cdn.ampproject.org/c/s/amp.scmp.com/tech/article/2"',
    fix="Derive cdnAmpWebUrl from ampWebUrl: replace '-' by '--' and '.' by '-' in the host, "
    "then https://<that>.cdn.ampproject.org/c/s/<ampWebUrl without https://>.",
    autofix=AutoFix(
        Applicability.SAFE,
        "cdnAmpWebUrl is rewritten as the AMP cache form of ampWebUrl. Safe: the cache address "
        "is a function of the AMP address, so the fix writes the only value that works. (Not "
        "fixed when ampWebUrl is missing: there is nothing to derive it from.)",
    ),
)
def amp_cache_url_mismatch(article: Article, site: Site) -> Iterator[Finding]:
    for base, entry in _amp_pairs(article.data):
        cdn = text(entry.get("cdnAmpWebUrl"))
        if cdn is None:
            continue
        pointer = (*base, "cdnAmpWebUrl")
        amp = text(entry.get("ampWebUrl"))
        if amp is None:
            yield Finding.of(pointer, problem="is set but ampWebUrl is not")
            continue
        expected = amp_cache_url(amp)
        if expected is not None and cdn != expected and not _same_url(cdn, expected):
            yield Finding.of(
                pointer,
                problem=f"is not the AMP cache form of ampWebUrl: expected {expected}, got {cdn}",
                fix=replace_value(
                    "Recompute cdnAmpWebUrl from ampWebUrl", Applicability.SAFE, pointer, expected
                ),
            )


def _whitespace(value: str) -> str:
    leading = value != value.lstrip()
    trailing = value != value.rstrip()
    side = "leading and trailing" if leading and trailing else "leading" if leading else "trailing"
    spaces = value[: len(value) - len(value.lstrip())] + value[len(value.rstrip()) :]
    kind = "space" if set(spaces) == {" "} else "whitespace"
    return f"{side} {kind}"


@rule(
    "UR003",
    "url-whitespace",
    Severity.WARNING,
    message="{where} has {whitespace}: {value}",
    summary="A URL (of the article, a related entry or an image) has leading or trailing "
    "whitespace.",
    why="The URL no longer matches the same URL elsewhere (related links, duplicates, the AMP "
    "cache form), and tools that do not trim it request a wrong address. (The bundled schema "
    "rejects such article URLs first: lint then reports them once, as SC003.)",
    example='ampWebUrl: "https://amp.rte.ie/amp/1238952/ "',
    fix="Delete the spaces inside the quotes.",
    autofix=AutoFix(
        Applicability.SAFE,
        "the whitespace around the URL is removed. Safe: no URL begins or ends with "
        "whitespace, and browsers and curate already strip it. (When the schema reports such a "
        "URL first, as SC003, that finding carries this fix.)",
    ),
)
def url_whitespace(article: Article, site: Site) -> Iterator[Finding]:
    for pointer, value in url_values(article.data):
        if value.strip() and value != value.strip():
            yield Finding.of(
                pointer,
                whitespace=_whitespace(value),
                value=describe(value),
                fix=replace_value(
                    "Remove the whitespace around the URL",
                    Applicability.SAFE,
                    pointer,
                    value.strip(),
                ),
            )


def encoded_url(value: str) -> str:
    """An IRI with its non-ASCII characters percent-encoded (UTF-8), as browsers send it."""
    return "".join(
        char if ord(char) < 128 else "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
        for char in value
    )


@rule(
    "UR004",
    "url-not-ascii",
    Severity.WARNING,
    message="{where} holds characters that URLs must encode ({chars}): write {encoded}",
    summary="A URL holds unencoded non-ASCII characters (an IRI), such as curly quotes.",
    why="Browsers open such a link by encoding it, but feeds, validators and other tools may "
    "reject it or encode it differently, so the same page gets two URLs and duplicates or "
    "related links no longer match.",
    example='webUrl: "https://example.com/Winners-of-“Machine-Learning-for-Good”-Hackathon"',
    fix="Write the URL percent-encoded; the message gives it.",
    autofix=AutoFix(
        Applicability.SAFE,
        "the non-ASCII characters are percent-encoded (UTF-8), as browsers encode them when "
        "they open the link: the same address, written so every tool reads it. (Not fixed "
        "when the host name is not ASCII: hosts are encoded otherwise, with punycode.)",
    ),
)
def url_not_ascii(article: Article, site: Site) -> Iterator[Finding]:
    for pointer, value in url_values(article.data):
        if value.isascii():
            continue
        chars = "".join(dict.fromkeys(char for char in value.strip() if ord(char) >= 128))
        if not chars:
            continue
        yield Finding.of(
            pointer,
            chars=" ".join(chars[:5]),
            encoded=encoded_url(value.strip()),
            fix=replace_value(
                "Percent-encode the URL", Applicability.SAFE, pointer, encoded_url(value)
            )
            if _ascii_host(value)
            else None,
        )


def _ascii_host(url: str) -> bool:
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return False
    return host is not None and host.isascii()


def without_tracking(url: str) -> str:
    """``url`` without its tracking query parameters; the others stay, in their order."""
    core = url.strip()
    start = core.find("?")
    if start == -1:
        return url
    end = core.find("#", start)
    end = len(core) if end == -1 else end
    parts = core[start + 1 : end].split("&")
    kept = [part for part in parts if not _tracking(part)]
    if len(kept) == len(parts):
        return url
    query = "?" + "&".join(kept) if any(kept) else ""
    cleaned = core[:start] + query + core[end:]
    leading = url[: len(url) - len(url.lstrip())]
    return leading + cleaned + url[len(url.rstrip()) :]


def _tracking(parameter: str) -> bool:
    return bool(parameter) and TRACKING_PARAMETER.match(parameter.split("=", 1)[0]) is not None


@rule(
    "UR005",
    "url-tracking-parameters",
    Severity.INFO,
    message="{where} carries tracking parameters ({names}): {url}",
    summary="A URL carries query parameters that only say where a reader came from "
    "(utm_*, fbclid, _mc...).",
    why="They were copied from a newsletter, an ad or a share button: they credit that "
    "campaign with this site's readers, show where the link was found, and make the same page "
    "look like several URLs to the tools that compare URLs literally.",
    example='webUrl: "https://example.com/story?utm_source=newsletter&id=7"',
    fix="Delete the tracking parameters and keep the others (here: ?id=7).",
    autofix=AutoFix(
        Applicability.UNSAFE,
        "the tracking parameters are deleted, the other parameters kept in their order. "
        "Unsafe: a few sites need a parameter that looks like tracking to show the page, and "
        "the publisher loses the attribution it may be owed.",
    ),
)
def url_tracking_parameters(article: Article, site: Site) -> Iterator[Finding]:
    for pointer, value in url_values(article.data):
        if "?" not in value:
            continue
        cleaned = without_tracking(value)
        if cleaned == value:
            continue
        query = value.strip().split("?", 1)[1].split("#", 1)[0]
        names = [part.split("=", 1)[0] for part in query.split("&") if _tracking(part)]
        yield Finding.of(
            pointer,
            names=", ".join(names),
            url=value.strip(),
            fix=replace_value(
                "Remove the tracking parameters", Applicability.UNSAFE, pointer, cleaned
            ),
        )
