"""The site around the articles: its root, settings, taxonomy, assets and article index."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from curate.model import Article, Diagnostic, Severity

CONFIG_NAMES = ("_config.yml", "_config.yaml")


def find_site_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds a Jekyll ``_config.yml``."""
    directory = start if start.is_dir() else start.parent
    directory = directory.resolve()
    for candidate in (directory, *directory.parents):
        if any((candidate / name).is_file() for name in CONFIG_NAMES):
            return candidate
    return None


def normalize_url(url: str) -> str:
    """The identity of an article URL: scheme and host lower-cased, no trailing slash."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


@dataclass(frozen=True)
class Topic:
    name: str
    shortname: str | None
    id: str | None
    path: str

    def aliases(self) -> tuple[str, ...]:
        return tuple(alias for alias in (self.name, self.shortname, self.id) if alias)


@dataclass(frozen=True)
class Site:
    """What the rules need to know about the site, loaded once per run."""

    root: Path | None
    url: str = ""
    baseurl: str = ""
    exclude: tuple[str, ...] = ()
    topics: tuple[Topic, ...] = ()
    organizations: frozenset[str] | None = None
    problems: tuple[Diagnostic, ...] = ()
    _asset_cache: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @property
    def has_taxonomy(self) -> bool:
        return bool(self.topics)

    @property
    def topic_names(self) -> frozenset[str]:
        return frozenset(topic.name for topic in self.topics)

    def site_prefix(self) -> str:
        """The absolute URL of the site's root, e.g. ``https://everyday-cc.github.io/ai``."""
        return (self.url.rstrip("/") + "/" + self.baseurl.strip("/")).rstrip("/")

    def local_path(self, url: str) -> str | None:
        """The path under the site root an image URL refers to, if it is one of the site's."""
        text = url.strip()
        if text.startswith("/") and not text.startswith("//"):
            relative = text
            base = "/" + self.baseurl.strip("/") if self.baseurl.strip("/") else ""
            if base and relative.startswith(base + "/"):
                relative = relative[len(base) :]
        else:
            prefix = self.site_prefix()
            if not prefix or not text.lower().startswith(prefix.lower() + "/"):
                return None
            relative = text[len(prefix) :]
        relative = relative.split("?", 1)[0].split("#", 1)[0]
        return relative.lstrip("/") or None

    def asset_exists(self, relative: str) -> bool:
        if self.root is None:
            return True
        known = self._asset_cache.get(relative)
        if known is None:
            known = (self.root / relative).is_file()
            self._asset_cache[relative] = known
        return known


def _tolerant_yaml(path: Path) -> tuple[Any, str | None]:
    """The first YAML document of a data file, and a complaint if the file is malformed."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return None, f"cannot read: {error}"
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as error:
        return None, f"not valid YAML: {error}".replace("\n", " ")
    separators = sum(1 for line in text.splitlines() if line.rstrip() == "---")
    complaint = None
    if len(documents) > 1:
        complaint = "holds several YAML documents; only the first is used"
    elif separators and not text.lstrip().startswith("---") or separators > 1:
        complaint = "has a stray '---' document separator; Jekyll may refuse the file"
    return (documents[0] if documents else None), complaint


def _load_topics(root: Path) -> tuple[tuple[Topic, ...], list[Diagnostic]]:
    topics: list[Topic] = []
    problems: list[Diagnostic] = []
    folder = root / "_data" / "topics"
    if not folder.is_dir():
        return (), problems
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yml", ".yaml"):
            continue
        data, complaint = _tolerant_yaml(path)
        if complaint:
            problems.append(_taxonomy_problem(path, complaint))
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            topics.append(
                Topic(
                    data["name"],
                    _text(data.get("shortname")),
                    _text(data.get("_id")),
                    str(path),
                )
            )
        elif complaint is None:
            problems.append(_taxonomy_problem(path, "has no 'name'; the topic is unusable"))
    return tuple(topics), problems


def _taxonomy_problem(path: Path, complaint: str) -> Diagnostic:
    return Diagnostic(
        display_path(path), 1, 1, "TX003", Severity.WARNING,
        f"taxonomy file {complaint}", "taxonomy-file-malformed",
    )


def _load_organizations(root: Path) -> frozenset[str] | None:
    folder = root / "_data" / "organizations"
    if not folder.is_dir():
        return None
    names = set()
    for path in folder.iterdir():
        name = path.name
        for suffix in (".md", ".markdown", ".yml", ".yaml"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        names.add(name.lower())
    return frozenset(names)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def load_site(root: Path | None) -> Site:
    """Read a site's ``_config.yml`` and taxonomy; a malformed file is a problem, not a crash."""
    if root is None:
        return Site(None)
    config: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    for name in CONFIG_NAMES:
        path = root / name
        if path.is_file():
            data, complaint = _tolerant_yaml(path)
            if isinstance(data, dict):
                config = data
            if complaint:
                problems.append(
                    Diagnostic(display_path(path), 1, 1, "TX003", Severity.WARNING,
                               f"site config {complaint}", "taxonomy-file-malformed")
                )
            break
    topics, topic_problems = _load_topics(root)
    exclude = config.get("exclude")
    return Site(
        root=root,
        url=_text(config.get("url")) or "",
        baseurl=_text(config.get("baseurl")) or "",
        exclude=tuple(item for item in exclude if isinstance(item, str))
        if isinstance(exclude, list)
        else (),
        topics=topics,
        organizations=_load_organizations(root),
        problems=(*problems, *topic_problems),
    )


@dataclass(frozen=True, slots=True)
class RelatedRef:
    """What cross-article rules need of one ``related`` entry."""

    index: int
    url: str | None
    key: str | None
    title: str | None
    published_at: str | None
    provider_domain: str | None
    quality: int | None


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """The few fields of an article that ranking and cross-article rules read.

    It is what the index and the cache keep, instead of whole documents.
    """

    path: str
    title: str | None
    published_at: str | None
    web_url: str | None
    original_url: str | None
    amp_url: str | None
    quality: int | None
    heat: int | None
    published: bool | None
    provider_name: str | None
    provider_domain: str | None
    topics: tuple[str, ...]
    type: str | None
    has_image: bool
    related: tuple[RelatedRef, ...]
    #: The normalised URLs that identify the article (see :func:`normalize_url`).
    url_keys: tuple[str, ...] = ()
    valid: bool = True

    @property
    def link(self) -> str | None:
        return self.web_url or self.original_url

    @classmethod
    def from_article(cls, article: Article, *, valid: bool = True) -> ArticleRecord:
        data = article.data
        provider = data.get("provider")
        provider = provider if isinstance(provider, dict) else {}
        topics = data.get("topics")
        images = data.get("images")
        related = data.get("related")
        urls = (_text(data.get(key)) for key in ("webUrl", "originalUrl", "ampWebUrl"))
        return cls(
            path=article.path,
            title=_text(data.get("title")),
            published_at=_text(data.get("publishedDateTime")),
            web_url=_text(data.get("webUrl")),
            original_url=_text(data.get("originalUrl")),
            amp_url=_text(data.get("ampWebUrl")),
            quality=_integer(data.get("quality")),
            heat=_integer(data.get("heat")),
            published=data.get("published") if isinstance(data.get("published"), bool) else None,
            provider_name=_text(provider.get("name")),
            provider_domain=_text(provider.get("domain")),
            topics=tuple(t for t in topics if isinstance(t, str)) if isinstance(topics, list) else (),
            type=_text(data.get("type")),
            has_image=isinstance(images, list) and bool(images),
            related=tuple(_related_refs(related)) if isinstance(related, list) else (),
            url_keys=tuple(dict.fromkeys(normalize_url(u) for u in urls if u and u.strip())),
            valid=valid,
        )


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _related_refs(entries: list[Any]) -> Iterator[RelatedRef]:
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        provider = entry.get("provider")
        link = _text(entry.get("webUrl")) or _text(entry.get("originalUrl"))
        yield RelatedRef(
            index=index,
            url=link,
            key=normalize_url(link) if link else None,
            title=_text(entry.get("title")),
            published_at=_text(entry.get("publishedDateTime")),
            provider_domain=_text(provider.get("domain")) if isinstance(provider, dict) else None,
            quality=_integer(entry.get("quality")),
        )


class CorpusIndex:
    """Every article of the site, findable by its normalised URLs."""

    def __init__(self, records: Iterable[ArticleRecord]) -> None:
        self.records: tuple[ArticleRecord, ...] = tuple(records)
        by_url: dict[str, list[ArticleRecord]] = {}
        for record in self.records:
            for key in record.url_keys:
                by_url.setdefault(key, []).append(record)
        self._by_url = by_url

    def __len__(self) -> int:
        return len(self.records)

    def find(self, url: str) -> list[ArticleRecord]:
        return self._by_url.get(normalize_url(url), [])

    def by_url(self) -> dict[str, list[ArticleRecord]]:
        return self._by_url


def display_path(path: Path | str) -> str:
    """A path as an editor would type it: relative to the current folder when shorter."""
    text = str(path)
    try:
        relative = os.path.relpath(text)
    except ValueError:
        return text
    return relative if len(relative) < len(text) else text
