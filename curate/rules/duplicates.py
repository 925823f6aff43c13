"""DU: the same article in two files of the site."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

from curate.corpus import display_path
from curate.jekyll import destination
from curate.model import Severity
from curate.rules import OUTPUT_URL, URL, Finding, rule

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
    message="{field} {url} is also the URL of {files}{variant}",
    summary="Two files of the site are the same article: they share a webUrl, originalUrl or "
    "ampWebUrl (compared without scheme/host case, www., a trailing slash, tracking "
    "parameters such as utm_* or _mc, or surrounding spaces).",
    why="Readers see the same story twice in listings, and related links to it pick one of "
    "the copies at random.",
    example="# _posts/2021-03-04-story.md has\n"
    'webUrl: "https://www.example.com/story?_mc=NL_DR"\n'
    "# and _posts/2021-03-06-story-again.md has\n"
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
            written = {
                (u or "").strip() for o in others for u in (o.web_url, o.original_url, o.amp_url)
            }
            variant = (
                ""
                if url.strip() in written
                else " (the same page once www., tracking parameters such as utm_* or _mc, and "
                "a trailing slash are ignored)"
            )
            yield Finding.of(
                (field,), field=field, url=url.strip(), files=_files(others), variant=variant
            )


#: The records rendered at each output file, per index (the index lives for one run).
_DESTINATIONS: weakref.WeakKeyDictionary[CorpusIndex, dict[str, list[ArticleRecord]]] = (
    weakref.WeakKeyDictionary()
)


def _by_destination(index: CorpusIndex) -> dict[str, list[ArticleRecord]]:
    """Output file -> the records rendered there, for the files shared by several."""
    shared = _DESTINATIONS.get(index)
    if shared is None:
        every: dict[str, list[ArticleRecord]] = {}
        for record in index.records:
            if record.output_url is not None:
                every.setdefault(destination(record.output_url), []).append(record)
        shared = {key: records for key, records in every.items() if len(records) > 1}
        _DESTINATIONS[index] = shared
    return shared


def _sharing(record: ArticleRecord, index: CorpusIndex) -> list[ArticleRecord]:
    """The other records rendered at the same output file as ``record``."""
    if record.output_url is None:
        return []
    others = _by_destination(index).get(destination(record.output_url), [])
    # By the file, however its path is spelled (a pre-commit run mixes spellings).
    return sorted(
        (o for o in others if o.path != record.path), key=lambda o: os.path.abspath(o.path)
    )


def _rendered(record: ArticleRecord) -> bool:
    return record.published is not False


@rule(
    "DU002",
    "duplicate-slug",
    Severity.WARNING,
    message="{subject} rendered at {url}, like {files}{unpublished}: publishing {which} would "
    "overwrite a page",
    summary="An unpublished article has the same output URL as another article of the site "
    "(under the site's permalinks), so publishing it would make them collide.",
    why="Only the output URL decides whether two articles collide: with a permalink that "
    "holds the date (/:year/:month/:day/:title/) the same slug on two dates is two pages, "
    "and different stories often share a headline. Without the date in the permalink, an "
    "unpublished copy is a collision waiting for its 'published: true'. (Two rendered "
    "articles at one URL are output-url-collision, an error.)",
    example="# _config.yml: permalink: /:title/\n"
    "_posts/2021-03-04-ai-finds-drugs.md (published: true)\n"
    "_posts/2021-03-06-ai-finds-drugs.md (published: false)",
    fix="Delete the copy, or give it another slug (file name or 'slug:') before publishing it.",
    corpus=True,
    looks_up=(OUTPUT_URL,),
)
def duplicate_slug(record: ArticleRecord, index: CorpusIndex, site: Site) -> Iterator[Finding]:
    others = _sharing(record, index)
    if not others or (_rendered(record) and sum(map(_rendered, others)) >= 1):
        return
    unpublished = not _rendered(record)
    yield Finding.of(
        (),
        subject="this unpublished article would be" if unpublished else "this article is",
        url=record.output_url,
        files=_files(others),
        unpublished="" if unpublished else " (unpublished)",
        which="it" if unpublished else "that one",
    )


@rule(
    "DU003",
    "output-url-collision",
    Severity.ERROR,
    message="this article is rendered at {url}, and so is {files}: one page overwrites the other",
    summary="Two published documents of the site have the same output URL (permalink).",
    why="Jekyll writes both to the same file of _site, warns 'Conflict: destination is shared "
    "by multiple files' and one of the two pages silently disappears. curate computes the "
    "URL as Jekyll does: the front-matter, default, collection or site 'permalink' with "
    ":year, :month, :day, :title, :slug, :categories, :path, :collection...",
    example="# _config.yml: permalink: /:categories/:title/\n"
    "_posts/2021-03-04-ai-finds-drugs.md and _posts/2021-03-06-ai-finds-drugs.md (category: "
    "news) are both /news/ai-finds-drugs/",
    fix="Delete one of the two if it is the same story; otherwise rename one file (or give "
    "it a 'slug:' or 'permalink:') so that the URLs differ.",
    corpus=True,
    looks_up=(OUTPUT_URL,),
)
def output_url_collision(
    record: ArticleRecord, index: CorpusIndex, site: Site
) -> Iterator[Finding]:
    if not _rendered(record):
        return
    others = [other for other in _sharing(record, index) if _rendered(other)]
    if others:
        yield Finding.of((), url=record.output_url, files=_files(others))
