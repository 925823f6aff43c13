"""The keys under which the cache finds the articles a corpus rule may look up.

Each cached row is stored with its keys in an indexed table:

* the keys it is *found by* (:func:`keys_of`): its URLs, its output file, its provider,
  the slugs of the pages its related entries link to. A run that computes the
  cross-article findings of a few files reads only the rows that share a :func:`key`
  with them (see ``Rule.looks_up``).
* the keys it *looks for* beyond those (:func:`looks_for`): the URLs its related entries
  link to, the slug of its own page, its post name. When a row's record changes, the
  rows that hold one of the keys it :func:`affects` (old record and new) have their
  remembered cross-article findings dropped.

Each key is computed exactly as the rule that groups by it computes it, so the rows
found are a superset of the records the rule can meet.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from curate.corpus import ArticleRecord, post_name
from curate.jekyll import destination
from curate.rules.related import page_key, page_slug
from curate.rules.taxonomy import provider_key

if TYPE_CHECKING:
    from curate.corpus import Site

URL_KEY = "u"
OUTPUT_FILE = "o"
PROVIDER = "p"
LINKED_SLUG = "l"
#: What a row looks for, beyond the kinds above (which are shared both ways): the URLs
#: its related entries link to, the slug of its own page, the slug of its post name.
RELATED_URL = "r"
OWN_PAGE_SLUG = "L"
POST_NAME_SLUG = "n"


def key(kind: str, value: str) -> str:
    """One lookup key, as :func:`stored_keys` stores it."""
    # As JSON escapes it: always valid UTF-8 for SQLite (lone surrogates included).
    return kind + json.dumps(value)[1:-1]


def keys_of(record: ArticleRecord) -> set[tuple[str, str]]:
    """The keys the record is found by: its URLs, its output file, its provider, the slugs
    of the pages its related entries link to."""
    keys: set[tuple[str, str]] = {(URL_KEY, url) for url in record.url_keys}
    if record.output_url is not None:
        keys.add((OUTPUT_FILE, destination(record.output_url)))
    provider = provider_key(record.provider_domain, record.provider_name)
    if provider is not None:
        keys.add((PROVIDER, provider))
    keys.update((LINKED_SLUG, page_slug(ref.key)) for ref in record.related if ref.key)
    return keys


def looks_for(record: ArticleRecord, site: Site | None, path: str) -> set[tuple[str, str]]:
    """The keys, beyond :func:`keys_of`, of the rows whose records the record's
    cross-article findings may read: the URLs its related entries link to, the slug of
    its own page (the articles linking to it, and whether the page they link to still
    exists), the slug of its post name."""
    keys: set[tuple[str, str]] = {(RELATED_URL, ref.key) for ref in record.related if ref.key}
    if site is not None and (page := page_key(record, site)) is not None:
        keys.add((OWN_PAGE_SLUG, page_slug(page)))
    name = post_name(path)
    if name is not None:
        keys.add((POST_NAME_SLUG, name[1]))
    return keys


def affects(record: ArticleRecord, path: str) -> set[str]:
    """The keys held by the rows whose cross-article findings may read ``record``: the
    rows that share a URL, an output file, a provider or a post name with it, that link
    to one of its URLs, and the pages whose slug it links to or is found at (whether a
    linked page still exists)."""
    keys = {(kind, value) for kind, value in keys_of(record) if kind != LINKED_SLUG}
    keys.update((RELATED_URL, url) for url in record.url_keys)
    keys.update((OWN_PAGE_SLUG, page_slug(url)) for url in record.url_keys)
    keys.update((OWN_PAGE_SLUG, page_slug(ref.key)) for ref in record.related if ref.key)
    name = post_name(path)
    if name is not None:
        keys.add((POST_NAME_SLUG, name[1]))
    return {key(kind, value) for kind, value in keys}


def stored_keys(
    record: ArticleRecord | None, site: Site | None = None, path: str = ""
) -> list[str]:
    """The lookup keys stored with a cached row: those it is found by and looks for."""
    if record is None:
        return []
    keys = keys_of(record) | looks_for(record, site, path or record.path)
    return sorted(key(kind, value) for kind, value in keys)
