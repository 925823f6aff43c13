"""TX: the site's taxonomy (_data/topics, _data/organizations) and the articles' use of it.

TX003 and TX004 are about the taxonomy files themselves: they are found when the
site is loaded (see :func:`curate.corpus.load_site`) and reported when lint is
given the whole site; they are registered here so they can be selected,
ignored and documented like every other rule.
"""

from __future__ import annotations

import difflib
import os
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from curate.model import Applicability, Severity
from curate.rules import PROVIDER, AutoFix, Finding, Rule, register, replace_value, rule
from curate.rules._common import entries

if TYPE_CHECKING:
    from curate.corpus import ArticleRecord, CorpusIndex, Site
    from curate.model import Article


def suggest_topic(name: str, site: Site) -> str | None:
    """The topic an editor most likely meant: same words in other case, an alias, or close."""
    folded = name.strip().casefold()
    for topic in site.topics:
        if any(alias.casefold() == folded for alias in topic.aliases()):
            return topic.name
    names = sorted(site.topic_names)
    close = difflib.get_close_matches(name.strip(), names, n=1, cutoff=0.75)
    if not close:
        by_folded = {topic.casefold(): topic for topic in names}
        close = [by_folded[m] for m in difflib.get_close_matches(folded, by_folded, n=1)]
    return close[0] if close else None


@rule(
    "TX001",
    "topic-unknown",
    Severity.WARNING,
    message="topic {topic} is not a topic of the site (_data/topics){suggestion}",
    summary="A topic is not the name of any topic in the site's _data/topics/*.yaml.",
    why="Topic pages and feeds list articles by exact topic name; an unknown or misspelt topic "
    "hides the article from its topic page.",
    example="topics:\n  - AI Ethic",
    fix="Use the exact name from _data/topics (here: AI Ethics), or add the topic to the taxonomy.",
    autofix=AutoFix(
        Applicability.UNSAFE,
        "the topic is renamed to the suggested one, when it is the only close match. Unsafe: "
        "the editor may have meant a new topic (to add to the taxonomy), and the article moves "
        "to another topic page.",
    ),
)
def topic_unknown(article: Article, site: Site) -> Iterator[Finding]:
    if not site.has_taxonomy:
        return
    names = site.topic_names
    for index, topic in enumerate(entries(article.data.get("topics"))):
        if not isinstance(topic, str) or not topic.strip() or topic in names:
            continue
        close = suggest_topic(topic, site)
        pointer = ("topics", index)
        yield Finding.of(
            pointer,
            topic=f'"{topic}"',
            suggestion=f'; did you mean "{close}"?' if close else "",
            fix=replace_value(
                f'Rename the topic to "{close}"', Applicability.UNSAFE, pointer, close
            )
            if close is not None and _only_close_match(topic, names)
            else None,
        )


def _only_close_match(name: str, names: set[str] | frozenset[str]) -> bool:
    """Whether at most one topic name is close to ``name`` (so the suggestion is not a guess)."""
    return len(difflib.get_close_matches(name.strip(), sorted(names), n=2, cutoff=0.75)) <= 1


def organization_key(domain: str) -> str:
    key = domain.strip().lower()
    return key[4:] if key.startswith("www.") else key


def provider_key(domain: str | None, name: str | None) -> str | None:
    """How articles of one provider are grouped: its domain without www., else its name."""
    if domain and domain.strip():
        return organization_key(domain)
    return name.strip().lower() if name and name.strip() else None


def provider_share(count: int) -> str:
    """What TX002 says of the provider's articles: one, or how many (reported at the first)."""
    if count == 1:
        return "it provides 1 article of the site"
    return f"it provides {count} articles of the site (reported at the first)"


def first_of_provider(
    record: ArticleRecord, index: CorpusIndex, wanted: Callable[[ArticleRecord], bool]
) -> int:
    """How many of the index's ``wanted`` records share ``record``'s provider, if ``record``
    is the first of them by path; 0 otherwise (the finding is reported once per provider)."""
    groups = _PROVIDER_GROUPS.setdefault(index, {}).get(wanted)
    if groups is None:
        groups = {}
        for other in index.records:
            key = provider_key(other.provider_domain, other.provider_name)
            if key is not None and wanted(other):
                groups.setdefault(key, []).append(other.path)
        for group in groups.values():
            # By the file, however its path is spelled (a pre-commit run mixes spellings).
            group.sort(key=os.path.abspath)
        _PROVIDER_GROUPS[index][wanted] = groups
    key = provider_key(record.provider_domain, record.provider_name)
    paths = groups.get(key) if key is not None else None
    return len(paths) if paths and paths[0] == record.path else 0


_PROVIDER_GROUPS: weakref.WeakKeyDictionary[
    CorpusIndex, dict[Callable[[ArticleRecord], bool], dict[str, list[str]]]
] = weakref.WeakKeyDictionary()


def _articles(count: int) -> str:
    return f"{count} article{'s' if count != 1 else ''}"


@rule(
    "TX002",
    "organization-missing",
    Severity.INFO,
    message="provider domain {domain} has no organization entry (_data/organizations/{domain}.md)"
    "; {share}",
    summary="A provider's domain has no entry in the site's _data/organizations (reported once "
    "per provider, at its first article, with the count).",
    why="The organization entry gives the publisher its page, name and logo on the site; "
    "without it the provider is shown bare.",
    example="provider:\n  name: syncedreview\n  domain: syncedreview.com\n"
    "# ...and there is no _data/organizations/syncedreview.com.md",
    fix="Add _data/organizations/<domain>.md (taxonomy: organization, name, domain, images), "
    "or ignore this code if the site only describes its main publishers.",
    corpus=True,
    looks_up=(PROVIDER,),
)
def organization_missing(
    record: ArticleRecord, index: CorpusIndex, site: Site
) -> Iterator[Finding]:
    if site.organizations is None or not record.provider_domain:
        return
    if not _lacks_organization(site.organizations)(record):
        return
    count = first_of_provider(record, index, _lacks_organization(site.organizations))
    if count:
        domain = organization_key(record.provider_domain)
        yield Finding.of(("provider", "domain"), domain=domain, share=provider_share(count))


_LACKS: dict[frozenset[str], Callable[[ArticleRecord], bool]] = {}


def _lacks_organization(organizations: frozenset[str]) -> Callable[[ArticleRecord], bool]:
    """A test per set of organizations, one object, so the grouping is computed once."""
    test = _LACKS.get(organizations)
    if test is None:

        def test(record: ArticleRecord) -> bool:
            domain = (record.provider_domain or "").strip()
            return bool(domain) and not (
                domain.lower() in organizations or organization_key(domain) in organizations
            )

        _LACKS.clear()
        _LACKS[organizations] = test
    return test


register(
    Rule(
        "TX003",
        "taxonomy-file-malformed",
        Severity.WARNING,
        message="{file} {problem}",
        summary="A file of _data/topics or _data/organizations (or _config.yml) is malformed: "
        "not valid YAML, several YAML documents, a stray '---', or a topic with no name.",
        why="Jekyll may refuse or misread the file, and curate reads what it can of it: the "
        "topic may be missing from the taxonomy that topic-unknown checks against.",
        example="# _data/topics/08-ai-in-finance.yaml\nname: AI in Finance\n---",
        fix="Delete the stray '---' (or fix the YAML at the line shown).",
        scope="site",
    )
)

register(
    Rule(
        "TX004",
        "taxonomy-image-missing",
        Severity.ERROR,
        message="image {url} is missing: the site has no file {relative}",
        summary="An image that a topic or organization file refers to does not exist under the "
        "site root.",
        why="Topic and organization pages show these pictures; a missing file is a broken "
        "picture on every such page.",
        example="# _data/organizations/google.com.md\nimages:\n"
        "  - url: /assets/images/organizations/google.com-50x50.jpg\n"
        "# ...and assets/images/organizations/google.com-50x50.jpg does not exist",
        fix="Add the image file, or correct or remove the reference.",
        scope="site",
    )
)

register(
    Rule(
        "TX006",
        "site-config-invalid",
        Severity.ERROR,
        message="site config {problem}",
        summary="The site's _config.yml is not valid YAML (or cannot be read).",
        why="Jekyll stops the build on a _config.yml it cannot parse: nothing of the site is "
        "published. curate goes on with Jekyll's defaults, so its other findings may not "
        "match the site.",
        example="# _config.yml\nexclude: [drafts, vendor\n# ...the '[' is never closed",
        fix="Correct the YAML at the line shown (close the bracket or quote; indent with "
        "spaces, never tabs).",
        scope="site",
    )
)

register(
    Rule(
        "TX005",
        "organization-file-extension-missing",
        Severity.WARNING,
        message="organization file {name} has no .md extension: the site does not read it as "
        "{name}.md",
        summary="A file of _data/organizations has no extension (theguardian.com instead of "
        "theguardian.com.md).",
        why="The site reads organization entries from their .md files; without the extension "
        "the publisher's page, name and logo are missing, while curate's organization-missing "
        "is silent because the entry seems to exist.",
        example="_data/organizations/theguardian.com",
        fix="Rename the file with its extension (git mv theguardian.com theguardian.com.md).",
        scope="site",
    )
)
