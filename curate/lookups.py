"""The keys under which the cache finds the articles a corpus rule may look up.

Each cached row is stored with its record's keys (:func:`stored_keys`) in an
indexed table: a warm run of a few files reads only the rows that share a
:func:`key` with them (see ``Rule.looks_up``). Each key is computed exactly as the
rule that groups by it computes it, so the rows found are a superset of the
records the rule can meet.
"""

from __future__ import annotations

import json

from curate.corpus import ArticleRecord
from curate.jekyll import destination
from curate.rules.related import page_slug
from curate.rules.taxonomy import provider_key

URL_KEY = "u"
OUTPUT_FILE = "o"
PROVIDER = "p"
LINKED_SLUG = "l"


def key(kind: str, value: str) -> str:
    """One lookup key, as :func:`stored_keys` stores it."""
    # As JSON escapes it: always valid UTF-8 for SQLite (lone surrogates included).
    return kind + json.dumps(value)[1:-1]


def keys_of(record: ArticleRecord) -> set[tuple[str, str]]:
    """The record's keys: its URLs, its output file, its provider, the slugs of the pages
    its related entries link to."""
    keys: set[tuple[str, str]] = {(URL_KEY, url) for url in record.url_keys}
    if record.output_url is not None:
        keys.add((OUTPUT_FILE, destination(record.output_url)))
    provider = provider_key(record.provider_domain, record.provider_name)
    if provider is not None:
        keys.add((PROVIDER, provider))
    keys.update((LINKED_SLUG, page_slug(ref.key)) for ref in record.related if ref.key)
    return keys


def stored_keys(record: ArticleRecord | None) -> list[str]:
    """The lookup keys stored with a cached row."""
    if record is None:
        return []
    return sorted(key(kind, value) for kind, value in keys_of(record))
