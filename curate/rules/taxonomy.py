"""TX: the site's taxonomy (_data/topics, _data/organizations) and the articles' use of it.

TX003 and TX004 are about the taxonomy files themselves: they are found when the
site is loaded (see :func:`curate.corpus.load_site`) and reported when lint is
given the whole site; they are registered here so they can be selected,
ignored and documented like every other rule.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from curate.model import Applicability, Severity
from curate.rules import AutoFix, Finding, Rule, register, replace_value, rule
from curate.rules._common import entries, mapping, message, text

if TYPE_CHECKING:
    from curate.corpus import Site
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
        yield Finding(
            pointer,
            message(
                "TX001",
                topic=f'"{topic}"',
                suggestion=f'; did you mean "{close}"?' if close else "",
            ),
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


@rule(
    "TX002",
    "organization-missing",
    Severity.INFO,
    message="provider domain {domain} has no organization entry (_data/organizations/{domain}.md)",
    summary="The provider's domain has no entry in the site's _data/organizations.",
    why="The organization entry gives the publisher its page, name and logo on the site; "
    "without it the provider is shown bare.",
    example="provider:\n  name: syncedreview\n  domain: syncedreview.com\n"
    "# ...and there is no _data/organizations/syncedreview.com.md",
    fix="Add _data/organizations/<domain>.md (taxonomy: organization, name, domain, images), "
    "or ignore this code if the site only describes its main publishers.",
)
def organization_missing(article: Article, site: Site) -> Iterator[Finding]:
    organizations = site.organizations
    if organizations is None:
        return
    domain = text(mapping(article.data.get("provider")).get("domain"))
    if domain is None:
        return
    if domain.lower() in organizations or organization_key(domain) in organizations:
        return
    yield Finding(("provider", "domain"), message("TX002", domain=organization_key(domain)))


register(
    Rule(
        "TX003",
        "taxonomy-file-malformed",
        Severity.WARNING,
        message="taxonomy file {problem}",
        summary="A file of _data/topics or _data/organizations (or _config.yml) is malformed: "
        "not valid YAML, several YAML documents, a stray '---', or a topic with no name.",
        why="Jekyll may refuse or misread the file, and curate reads what it can of it: the "
        "topic may be missing from the taxonomy that topic-unknown checks against.",
        example="# _data/topics/08-ai-in-finance.yaml\nname: AI in Finance\n---",
        fix="Delete the stray '---' (or fix the YAML at the line shown).",
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
    )
)
