"""curate: validate, lint, rank and filter the front matter of a Jekyll news site.

The public library API. Names are imported on first use, so that importing
curate (as ``curate --version`` does) costs nothing. This package never imports
the command line.
"""

from __future__ import annotations

import importlib

from curate.__about__ import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:  # not imported at run time: typing alone costs a replay 10 ms
    from typing import Any

_EXPORTS = {
    "Article": "curate.model",
    "Diagnostic": "curate.model",
    "Location": "curate.model",
    "Severity": "curate.model",
    "Settings": "curate.config",
    "UsageError": "curate.errors",
    "resolve_settings": "curate.config",
    "load_file": "curate.loading",
    "load_text": "curate.loading",
    "ArticleValidator": "curate.schema",
    "load_schema": "curate.schema",
    "ArticleRecord": "curate.corpus",
    "CorpusIndex": "curate.corpus",
    "Site": "curate.corpus",
    "load_site": "curate.corpus",
    "run_checks": "curate.engine",
    "RunResult": "curate.engine",
    "all_rules": "curate.rules",
    "filter_articles": "curate.ranking",
    "rank": "curate.ranking",
    "sort_articles": "curate.ranking",
    "score_article": "curate.ranking",
    "resolve_topics": "curate.ranking",
    "corpus_stats": "curate.ranking",
    "Criteria": "curate.ranking",
    "RankOptions": "curate.ranking",
    "RankedArticle": "curate.ranking",
    "ScoreParts": "curate.ranking",
    "UnknownTopicError": "curate.ranking",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'curate' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
