"""RL: the ``related`` entries, shown as links under an article."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from curate.corpus import display_path, normalize_url, parse_timestamp
from curate.model import Applicability, Pointer, Severity
from curate.rules import (
    LINKED_BY,
    RELATED_TARGET,
    AutoFix,
    Finding,
    remove_item,
    replace_value,
    rule,
)
from curate.rules._common import (
    LINK_KEYS,
    URL_KEYS,
    describe,
    http_url_problem,
    related_entries,
    text,
)

if TYPE_CHECKING:
    from curate.corpus import ArticleRecord, CorpusIndex, RelatedRef, Site
    from curate.model import Article


def _targets(ref: RelatedRef, record: ArticleRecord, index: CorpusIndex) -> list[ArticleRecord]:
    """The site's own articles a related entry links to, other than the article itself."""
    if ref.key is None:
        return []
    return [target for target in index.find_key(ref.key) if target.path != record.path]


def page_key(record: ArticleRecord, site: Site) -> str | None:
    """The normalised URL of the site's own page of ``record``, if the site has a URL."""
    if record.output_url is None or not site.site_prefix():
        return None
    return normalize_url(site.page_url(record.output_url))


def _is_page_of(ref: RelatedRef, target: ArticleRecord, site: Site) -> bool:
    return ref.key is not None and ref.key == page_key(target, site)


@rule(
    "RL001",
    "related-link-unpublished",
    Severity.ERROR,
    message="{where} links to this site's page {url}, but that article is unpublished "
    "(published: false in {path}): a dead link",
    summary="A related entry of a published article links to one of this site's own pages "
    "(its url, baseurl and permalink) whose article is 'published: false'.",
    why="The site does not build unpublished articles, so readers who follow the related link "
    "land on a missing page. (A related entry that links to the publisher's page of an "
    "unpublished article works: that is related-recommends-unpublished, a warning.)",
    example="# _config.yml: url: https://news.example.org, permalink: /:year/:month/:day/:title/\n"
    "related:\n"
    "  - title: Shenzhen Rolls Out China's First General AI Regulation\n"
    '    webUrl: "https://news.example.org/2021/06/30/shenzhen-rolls-out/"\n'
    "# ...while _posts/2021-06-30-shenzhen-rolls-out.md says: published: false",
    fix="Remove the related entry, link to another article, or publish the target article.",
    corpus=True,
    autofix=AutoFix(
        Applicability.UNSAFE,
        "the related entry is removed. Unsafe: the editor may rather publish the target "
        "article or link to another one, and the entry is lost.",
    ),
    looks_up=(RELATED_TARGET,),
)
def related_link_unpublished(
    record: ArticleRecord, index: CorpusIndex, site: Site
) -> Iterator[Finding]:
    if record.published is False:
        return  # an unpublished page shows no links
    for ref in record.related:
        targets = [t for t in _targets(ref, record, index) if _is_page_of(ref, t, site)]
        if targets and all(target.published is False for target in targets):
            yield Finding.of(
                ("related", ref.position, "webUrl"),
                where=f"related[{ref.position}]",
                url=ref.url,
                path=display_path(targets[0].path),
                fix=remove_item(
                    f"Remove related[{ref.position}] (it links to an unpublished article)",
                    Applicability.UNSAFE,
                    ("related", ref.position),
                ),
            )


@rule(
    "RL007",
    "related-recommends-unpublished",
    Severity.WARNING,
    message="{where} recommends {title}, an article this site chose not to publish "
    "(published: false in {path})",
    summary="A related entry of a published article links to the publisher's page of an "
    "article that this site has as 'published: false'.",
    why="The link works (it goes to the publisher), but the site recommends a story its own "
    "editors held back, often for its quality; readers of the site do not find it there.",
    example="related:\n"
    "  - title: Shenzhen Rolls Out China's First General AI Regulation\n"
    '    webUrl: "https://syncedreview.com/2021/06/30/shenzhen-rolls-out/"\n'
    "# ...and _posts/2021-06-30-shenzhen-rolls-out.md (that webUrl) says: published: false",
    fix="Keep the entry if the recommendation is wanted; otherwise replace it with a "
    "published article, or publish the article.",
    corpus=True,
    autofix=AutoFix(
        Applicability.UNSAFE,
        "the related entry is removed. Unsafe: the link works, and the editor may want the "
        "recommendation.",
    ),
    looks_up=(RELATED_TARGET,),
)
def related_recommends_unpublished(
    record: ArticleRecord, index: CorpusIndex, site: Site
) -> Iterator[Finding]:
    if record.published is False:
        return
    for ref in record.related:
        targets = [t for t in _targets(ref, record, index) if not _is_page_of(ref, t, site)]
        if targets and all(target.published is False for target in targets):
            yield Finding.of(
                ("related", ref.position, "webUrl"),
                where=f"related[{ref.position}]",
                title=describe(ref.title) if ref.title else ref.url,
                path=display_path(targets[0].path),
                fix=remove_item(
                    f"Remove related[{ref.position}] (it recommends an unpublished article)",
                    Applicability.UNSAFE,
                    ("related", ref.position),
                ),
            )


class _Link(NamedTuple):
    record: ArticleRecord
    ref: RelatedRef


#: Page key -> the links of published articles to that page of the site, per index.
_LINKS_TO_PAGES: weakref.WeakKeyDictionary[CorpusIndex, dict[str, list[_Link]]] = (
    weakref.WeakKeyDictionary()
)


#: Slug -> the links of published articles to pages of the site that no article has.
_DANGLING: weakref.WeakKeyDictionary[CorpusIndex, dict[str, list[tuple[str, list[_Link]]]]] = (
    weakref.WeakKeyDictionary()
)


def _links_to_pages(index: CorpusIndex, site: Site) -> dict[str, list[_Link]]:
    links = _LINKS_TO_PAGES.get(index)
    if links is None:
        prefix = normalize_url(site.site_prefix() + "/")
        links = {}
        for record in index.records:
            if record.published is False:
                continue
            for ref in record.related:
                if ref.key is not None and ref.key.startswith(prefix):
                    links.setdefault(ref.key, []).append(_Link(record, ref))
        _LINKS_TO_PAGES[index] = links
        dangling: dict[str, list[tuple[str, list[_Link]]]] = {}
        for key, linked in links.items():
            if not index.find_key(key):
                dangling.setdefault(page_slug(key), []).append((key, linked))
        _DANGLING[index] = dangling
    return links


def _linkers(links: list[_Link], record: ArticleRecord) -> str:
    paths = sorted({display_path(link.record.path) for link in links if link.record != record})
    more = len(paths) - 3
    return ", ".join(paths[:3]) + (f" and {more} more" if more > 0 else "")


def page_slug(url: str) -> str:
    """The last step of a page URL, lower-cased, without .html (how a moved page is found)."""
    return url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html").lower()


@rule(
    "RL008",
    "unpublished-article-still-linked",
    Severity.ERROR,
    message="{problem}: {files} still link to {url} in their related entries",
    summary="An article that is unpublished, or whose page moved, is still linked to by "
    "published articles' related entries (reported on the article itself).",
    why="Linting the changed article alone (as pre-commit does) would otherwise pass, and the "
    "commit that breaks the other articles' links goes through; reported here, it is stopped "
    "where the change is made.",
    example="# _posts/2021-06-30-shenzhen-rolls-out.md, edited to:\npublished: false\n"
    "# ...while _posts/2021-07-01-b.md (published) has related: webUrl: "
    "https://news.example.org/2021/06/30/shenzhen-rolls-out/",
    fix="Remove or replace the related entries in the articles named, in the same commit, or "
    "keep the article published (and at its URL).",
    corpus=True,
    looks_up=(LINKED_BY,),
)
def unpublished_article_still_linked(
    record: ArticleRecord, index: CorpusIndex, site: Site
) -> Iterator[Finding]:
    key = page_key(record, site)
    if key is None:
        return
    links = _links_to_pages(index, site)
    if record.published is False:
        linked = [link for link in links.get(key, ()) if link.record.path != record.path]
        if linked:
            yield Finding.of(
                ("published",),
                problem="this article is unpublished",
                files=_linkers(linked, record),
                url=site.page_url(record.output_url or ""),
            )
        return
    for _old, linked in _DANGLING[index].get(page_slug(key), ()):
        others = [link for link in linked if link.record.path != record.path]
        if others:
            yield Finding.of(
                (),
                problem=f"this article's page is now {site.page_url(record.output_url or '')}",
                files=_linkers(others, record),
                url=others[0].ref.url,
            )


@rule(
    "RL002",
    "related-url-missing",
    Severity.ERROR,
    message="{where} has neither webUrl nor originalUrl: it links nowhere",
    summary="A related entry has no webUrl and no originalUrl (or both are empty).",
    why="The site renders each related entry as a link; without a URL it is a link to nowhere.",
    example="related:\n  - title: A related story\n    type: article",
    fix="Add the webUrl of the related article, or remove the entry.",
)
def related_url_missing(article: Article, site: Site) -> Iterator[Finding]:
    for index, entry in related_entries(article.data):
        if not any(text(entry.get(key)) for key in LINK_KEYS):
            yield Finding.of(("related", index))


@rule(
    "RL003",
    "related-url-invalid",
    Severity.ERROR,
    message="{where} {problem}: {value} is not an absolute http(s) URL",
    summary="A URL of a related entry is not an absolute http:// or https:// URL.",
    why="Browsers resolve a URL without a scheme relative to the article's page, so the link "
    "goes to a missing page of this site; other schemes do not open a web page at all. "
    "(The bundled schema rejects most such URLs first: lint then reports them once, as SC003.)",
    example='related:\n  - title: A related story\n    webUrl: "www.example.com/story"',
    fix="Write the full URL, starting with https://.",
)
def related_url_invalid(article: Article, site: Site) -> Iterator[Finding]:
    for index, entry in related_entries(article.data):
        for key in URL_KEYS:
            if key not in entry or entry[key] is None:
                continue
            problem = http_url_problem(entry[key])
            if problem is not None:
                yield Finding.of(
                    ("related", index, key),
                    problem=problem,
                    value=describe(entry[key]),
                )


def _own_keys(article: Article) -> set[str]:
    return {
        normalize_url(value)
        for key in ("webUrl", "originalUrl", "ampWebUrl")
        if (value := text(article.data.get(key)))
    }


def _entry_keys(entry: dict[str, object]) -> dict[str, str]:
    """The normalised URLs of a related entry, by the key that holds each."""
    keys: dict[str, str] = {}
    for key in ("webUrl", "originalUrl", "ampWebUrl"):
        value = text(entry.get(key))
        if value:
            keys.setdefault(normalize_url(value), key)
    return keys


@rule(
    "RL004",
    "related-link-to-self",
    Severity.WARNING,
    message="{where} links to this article itself ({url})",
    summary="A related entry links to the article it is listed under.",
    why="A 'related' link back to the same page wastes a slot readers expect to lead elsewhere; "
    "it is usually a copy-paste slip.",
    example='webUrl: "https://example.com/story"\n'
    "related:\n"
    '  - title: The same story\n    webUrl: "https://example.com/story/"',
    fix="Remove the entry or replace it with another related article.",
)
def related_link_to_self(article: Article, site: Site) -> Iterator[Finding]:
    related = list(related_entries(article.data))
    own = _own_keys(article) if related else set()
    if not own:
        return
    for index, entry in related:
        for key, field in _entry_keys(entry).items():
            if key in own:
                yield Finding.of(
                    ("related", index, field),
                    url=entry[field].strip(),
                )
                break


@rule(
    "RL005",
    "related-link-duplicate",
    Severity.WARNING,
    message="{where} links to the same article as related[{first}] ({url})",
    summary="Two related entries of one article link to the same article (URLs compared "
    "without www., tracking parameters such as utm_* or _mc, or a trailing slash).",
    why="Readers see the same link twice under the article; one of the slots is wasted.",
    example="related:\n"
    '  - title: Story\n    webUrl: "https://example.com/story"\n'
    '  - title: Story\n    webUrl: "https://www.example.com/story/?utm_source=feed"',
    fix="Remove one of the two entries.",
    autofix=AutoFix(
        Applicability.SAFE,
        "the later entry is removed; the first one stays where it was. Safe: readers see the "
        "same links, once each.",
    ),
)
def related_link_duplicate(article: Article, site: Site) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for index, entry in related_entries(article.data):
        keys = _entry_keys(entry)
        repeated = next(((key, field) for key, field in keys.items() if key in seen), None)
        if repeated is not None:
            key, field = repeated
            yield Finding.of(
                ("related", index, field),
                first=seen[key],
                url=entry[field].strip(),
                fix=remove_item(
                    f"Remove related[{index}] (a second link to related[{seen[key]}])",
                    Applicability.SAFE,
                    ("related", index),
                ),
            )
        for key in keys:
            seen.setdefault(key, index)


def _same_title(left: str, right: str) -> bool:
    return " ".join(left.split()) == " ".join(right.split())


def _same_time(left: str, right: str) -> bool:
    left_time, right_time = parse_timestamp(left), parse_timestamp(right)
    if left_time is None or right_time is None:
        return left.strip() == right.strip()
    return left_time == right_time


def _drift(
    ref: RelatedRef, target: ArticleRecord
) -> Iterator[tuple[tuple[str, ...], str, str, str | int]]:
    """``(field path, related value, target value, value to write)`` for each disagreement."""
    if ref.title and target.title and not _same_title(ref.title, target.title):
        yield ("title",), describe(ref.title), describe(target.title), target.title
    if (
        ref.published_at
        and target.published_at
        and not _same_time(ref.published_at, target.published_at)
    ):
        yield (
            ("publishedDateTime",),
            ref.published_at,
            target.published_at,
            target.published_at,
        )
    if (
        ref.provider_domain
        and target.provider_domain
        and ref.provider_domain.strip().lower() != target.provider_domain.strip().lower()
    ):
        domain = target.provider_domain
        yield ("provider", "domain"), ref.provider_domain, domain, domain
    if ref.quality is not None and target.quality is not None and ref.quality != target.quality:
        yield ("quality",), str(ref.quality), str(target.quality), target.quality


@rule(
    "RL006",
    "related-metadata-drift",
    Severity.WARNING,
    message="{where} is {value}, but the article it links to ({path}) has {actual}",
    summary="A related entry's title, publishedDateTime, provider or quality disagrees with "
    "the site's own article it links to.",
    why="Related entries are copies of the linked article's metadata; when the article is "
    "edited and the copy is not, readers see a stale title or date under the link.",
    example="# _posts/2021-06-30-b.md has: title: Shenzhen Rolls Out China's First AI Rules\n"
    "related:\n"
    "  - title: Shenzhen Rolls Out AI Rules\n"
    '    webUrl: "https://example.com/b"',
    fix="Copy the current value from the linked article into the related entry.",
    corpus=True,
    autofix=AutoFix(
        Applicability.SAFE,
        "the linked article's current value is copied into the related entry. Safe: the entry "
        "is a copy of that article's metadata, and the site's own article is the source.",
    ),
    looks_up=(RELATED_TARGET,),
)
def related_metadata_drift(
    record: ArticleRecord, index: CorpusIndex, site: Site
) -> Iterator[Finding]:
    for ref in record.related:
        targets = _targets(ref, record, index)
        if not targets:
            continue
        target = targets[0]
        for field, value, actual, copied in _drift(ref, target):
            pointer: Pointer = ("related", ref.position, *field)
            yield Finding.of(
                pointer,
                value=value,
                path=display_path(target.path),
                actual=actual,
                fix=replace_value(
                    f"Copy {'.'.join(field)} from {display_path(target.path)}",
                    Applicability.SAFE,
                    pointer,
                    copied,
                ),
            )
