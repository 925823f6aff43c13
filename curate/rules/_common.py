"""What several rule families share: walking images and URLs, describing values.

Rules run on front matter that may have failed the schema, so every helper
accepts any shape and yields nothing for what it cannot read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from curate.model import Pointer
from curate.schema import describe_value
from curate.timeparse import current_time

if TYPE_CHECKING:
    from curate.corpus import Site

#: The keys of an article or a related entry that hold article URLs.
URL_KEYS = ("webUrl", "originalUrl", "ampWebUrl", "cdnAmpWebUrl")
#: The keys that say where an article is: what a related link points to.
LINK_KEYS = ("webUrl", "originalUrl")
DEFAULT_QUALITY_THRESHOLD = 70
_T = TypeVar("_T")
_SPACE = re.compile(r"\s")
#: The usual absolute http(s) URL, accepted without parsing it.
_PLAIN_HTTP_URL = re.compile(
    r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?(?:[/?#][^\s]*)?", re.IGNORECASE
)


def describe(value: Any) -> str:
    """A value quoted for a message, shortened when long."""
    return describe_value(value, limit=80)


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def entries(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """A non-blank string, stripped; None for anything else."""
    return (value.strip() or None) if isinstance(value, str) else None


def integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _walked_once(
    walk: Callable[[dict[str, Any]], Iterator[_T]],
) -> Callable[[dict[str, Any]], Iterator[_T]]:
    """``walk``, remembering what it found in the last front matter it walked.

    A dozen rules walk the same article's images and URLs one after another: the
    article is walked once. The front matter of a checked article is never changed
    in place (it is a parse's own data), so the same dict means the same values.
    """
    last: tuple[Any, tuple[_T, ...]] = (None, ())

    @functools.wraps(walk)
    def walked(data: dict[str, Any]) -> Iterator[_T]:
        nonlocal last
        seen = last  # one read and one write: threads never pair one dict with another's
        if seen[0] is not data:
            seen = last = (data, tuple(walk(data)))
        return iter(seen[1])

    return walked


@_walked_once
def related_entries(data: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(index, entry)`` for every related entry that is a mapping."""
    for index, entry in enumerate(entries(data.get("related"))):
        if isinstance(entry, dict):
            yield index, entry


def image_lists(data: dict[str, Any]) -> Iterator[tuple[Pointer, list[Any]]]:
    """Every list of images of an article: its own, its provider's and its related entries'."""
    yield ("images",), entries(data.get("images"))
    yield ("provider", "images"), entries(mapping(data.get("provider")).get("images"))
    for index, entry in related_entries(data):
        yield ("related", index, "images"), entries(entry.get("images"))
        provider = mapping(entry.get("provider"))
        yield ("related", index, "provider", "images"), entries(provider.get("images"))


@_walked_once
def images(data: dict[str, Any]) -> Iterator[tuple[Pointer, dict[str, Any]]]:
    """``(pointer, image)`` for every image mapping anywhere in the article."""
    for base, items in image_lists(data):
        for index, image in enumerate(items):
            if isinstance(image, dict):
                yield (*base, index), image


@_walked_once
def url_values(data: dict[str, Any]) -> Iterator[tuple[Pointer, str]]:
    """``(pointer, url)`` for every URL string of the article, related entries and images."""
    for key in URL_KEYS:
        if isinstance(data.get(key), str):
            yield (key,), data[key]
    for index, entry in related_entries(data):
        for key in URL_KEYS:
            if isinstance(entry.get(key), str):
                yield ("related", index, key), entry[key]
    for pointer, image in images(data):
        if isinstance(image.get("url"), str):
            yield (*pointer, "url"), image["url"]


def http_url_problem(value: Any) -> str | None:
    """Why ``value`` is not an absolute http(s) URL, or None if it is one.

    Surrounding whitespace is not a problem here: url-whitespace reports it.
    """
    if not isinstance(value, str):
        return f"is {describe(value)}, not a URL"
    url = value.strip()
    if _PLAIN_HTTP_URL.fullmatch(url):
        return None
    if not url:
        return "is empty"
    if _SPACE.search(url):
        return "contains a space"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "is not a well-formed URL"
    if not parts.scheme:
        return "has no scheme: it should start with https://"
    if parts.scheme.lower() not in ("http", "https"):
        return f"uses {parts.scheme}:, not http: or https:"
    if not host or ("." not in host and host != "localhost"):
        return "has no valid host name"
    return None


def quality_threshold(site: Site) -> int:
    settings = site.settings
    return settings.published_quality_threshold if settings else DEFAULT_QUALITY_THRESHOLD


def now(site: Site) -> datetime:
    """The run's clock: ``--now`` when given, else the current time."""
    settings = site.settings
    return settings.clock() if settings is not None else current_time()
