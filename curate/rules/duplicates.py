"""DU: the same article in two files of the site."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

from curate.corpus import display_path, post_name
from curate.model import Severity
from curate.rules import POST_NAME, URL, Finding, rule
from curate.rules._common import message

if TYPE_CHECKING:
    from curate.corpus import ArticleRecord, CorpusIndex, Site

#: How many other files a message names before it says "and N more".
_SHOWN = 3


def _files(records: list[ArticleRecord]) -> str:
    names = [display_path(record.path) for record in records[:_SHOWN]]
    more = len(records) - _SHOWN
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


@rule(
    "DU001",
    "duplicate-article-url",
    Severity.WARNING,
    message="{field} {url} is also the URL of {files}",
    summary="Two files of the site are the same article: they share a webUrl, originalUrl or "
    "ampWebUrl (compared without scheme/host case, a trailing slash or surrounding spaces).",
    why="Readers see the same story twice in listings, and related links to it pick one of "
    "the copies at random.",
    example="# _posts/2021-03-04-story.md and _posts/2021-03-06-story-again.md both have\n"
    'webUrl: "https://example.com/story"',
    fix="Keep one of the files (usually the older) and delete the other.",
    corpus=True,
    looks_up=(URL,),
)
def duplicate_article_url(
    record: ArticleRecord, index: CorpusIndex, site: Site
) -> Iterator[Finding]:
    if all(len(index.find_key(key)) < 2 for key in record.url_keys):
        return  # the usual case, answered without normalising anything again
    named: set[str] = {record.path}
    fields = (
        ("webUrl", record.web_url),
        ("originalUrl", record.original_url),
        ("ampWebUrl", record.amp_url),
    )
    for field, url in fields:
        if url is None or not url.strip():
            continue
        others = [other for other in index.find(url) if other.path not in named]
        if others:
            named.update(other.path for other in others)
            yield Finding(
                (field,), message("DU001", field=field, url=url.strip(), files=_files(others))
            )


#: The files of each slug, built once per index (the index lives for one run).
_SLUGS: weakref.WeakKeyDictionary[CorpusIndex, dict[str, list[ArticleRecord]]] = (
    weakref.WeakKeyDictionary()
)


#: The paths whose slug is shared, per index.
_SHARED_PATHS: weakref.WeakKeyDictionary[CorpusIndex, set[str]] = weakref.WeakKeyDictionary()


def _by_slug(index: CorpusIndex) -> dict[str, list[ArticleRecord]]:
    """Slug -> the records of the slugs used more than once."""
    slugs = _SLUGS.get(index)
    if slugs is None:
        every: dict[str, list[ArticleRecord]] = {}
        for record in index.records:
            name = post_name(record.path)
            if name is not None:
                every.setdefault(name[1], []).append(record)
        slugs = {slug: records for slug, records in every.items() if len(records) > 1}
        _SHARED_PATHS[index] = {record.path for records in slugs.values() for record in records}
        _SLUGS[index] = slugs
    return slugs


@rule(
    "DU002",
    "duplicate-slug",
    Severity.WARNING,
    message="the slug '{slug}' is also used by {files}: the same article posted twice?",
    summary="Two post files have the same name after the date: the same slug on two dates.",
    why="The slug comes from the title, so two files with one slug are usually the same story "
    "posted again on another day, shown twice in listings.",
    example="_posts/2021-03-04-ai-finds-drugs-for-alzheimers.md\n"
    "_posts/2021-03-06-ai-finds-drugs-for-alzheimers.md",
    fix="Delete the later copy, or retitle and rename one if they are different stories.",
    corpus=True,
    looks_up=(POST_NAME,),
)
def duplicate_slug(record: ArticleRecord, index: CorpusIndex, site: Site) -> Iterator[Finding]:
    _by_slug(index)
    if record.path not in _SHARED_PATHS[index]:
        return
    name = post_name(record.path)
    if name is None:
        return
    others = [other for other in _by_slug(index).get(name[1], []) if other.path != record.path]
    if others:
        dated = sorted(others, key=lambda other: other.path)
        yield Finding(("title",), message("DU002", slug=name[1], files=_files(dated)))
