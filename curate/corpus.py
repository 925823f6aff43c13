"""The site around the articles: its root, settings, taxonomy, assets and article index."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

try:  # the C loader: a site has dozens of taxonomy files, read on every run
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from curate import inputs
from curate.jekyll import JekyllConfig, apply_defaults, read_config, relocate
from curate.model import Article, Diagnostic
from curate.rules import PlacedFinding

if TYPE_CHECKING:
    from curate.config import Settings

CONFIG_NAMES = ("_config.yml", "_config.yaml")
#: Changes when what the index records, or how URLs are compared, changes.
RECORD_VERSION = 2


def find_site_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds a Jekyll ``_config.yml``."""
    directory = start if inputs.is_dir(start) else start.parent
    # As typed too: a link on the way (a site swapped for another release) resolves elsewhere.
    inputs.record(directory)
    directory = directory.resolve()
    for candidate in (directory, *directory.parents):
        if any(inputs.is_file(candidate / name) for name in CONFIG_NAMES):
            return candidate
    return None


_URL_PARTS = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)?([^/?#]*)([^?#]*)(\?[^#]*)?")
#: Query parameters that only say where a reader came from (newsletters, ads, shares).
TRACKING_PARAMETER = re.compile(
    r"(?:utm_[a-z_]*|_mc|mc_[ce]id|fbclid|gclid|dclid|gclsrc|msclkid|yclid|igshid|_ga|_gl|"
    r"ocid|cmpid|icid|ncid|mkt_tok|sr_share|__twitter_impression|_hsenc|_hsmi|spm|"
    r"ns_(?:source|mchannel|campaign|linkname|fee)|trk|trkcampaign)\Z",
    re.IGNORECASE,
)


def _without_tracking(query: str) -> str:
    kept = [
        part
        for part in query[1:].split("&")
        if part and not TRACKING_PARAMETER.match(part.split("=", 1)[0])
    ]
    return "?" + "&".join(kept) if kept else ""


def normalize_url(url: str) -> str:
    """The identity of an article URL: the same page whatever the link's cosmetics.

    Scheme and host lower-cased, ``www.`` dropped, no trailing slash, no fragment,
    no surrounding whitespace, and no tracking parameters (``utm_*``, ``_mc``...).
    A regular expression rather than urlsplit: it runs for every URL of every
    article of the site.
    """
    match = _URL_PARTS.match(url.strip())
    assert match is not None  # every part of the pattern is optional
    scheme, host, path, query = match.groups()
    if query:
        query = _without_tracking(query)
    if scheme is None:
        normal = (host + path).rstrip("/") + (query or "")
    else:
        host = host.lower()
        if host.startswith("www."):
            host = host[4:]
        normal = scheme.lower() + host + path.rstrip("/") + (query or "")
    # The same string object when nothing changed: the index of a large site keeps
    # every URL, and most are already normal.
    return url if normal == url else normal


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 / ISO 8601 date-time as an aware datetime (naive means UTC), or None."""
    if not isinstance(value, str):
        return None
    candidate = value.strip()
    if candidate[-1:] in ("Z", "z"):
        candidate = candidate[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


_POST_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})-(.+?)(?:\.[A-Za-z]+)?$")


def post_name(path: str) -> tuple[str, str] | None:
    """``(date, slug)`` of a Jekyll post name such as ``2021-06-30-a-story.md``."""
    match = _POST_NAME.match(os.path.basename(path))
    return (match[1], match[2]) if match else None


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
    problems: tuple[PlacedFinding, ...] = ()
    #: What _config.yml tells Jekyll: collections, defaults, time zone, permalinks.
    jekyll: JekyllConfig = field(default_factory=JekyllConfig)
    #: The schemas (by file) of collections that curate's configuration maps to one.
    schemas: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: The run's settings, for the rules that read one (the quality threshold, --now).
    settings: Settings | None = field(default=None, compare=False, repr=False)
    _asset_cache: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)
    _folder_kinds: dict[str, tuple[bool, bool]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _asset_reads: list[str] = field(default_factory=list, compare=False, repr=False)

    @property
    def has_taxonomy(self) -> bool:
        return bool(self.topics)

    @property
    def topic_names(self) -> frozenset[str]:
        return frozenset(topic.name for topic in self.topics)

    def identity(self) -> str:
        """What of the site changes the result of checking a file (for the cache)."""
        return repr(
            (RECORD_VERSION, self.url, self.baseurl, self.exclude, self.topics, self.jekyll)
        )

    def is_article(self, relative: str) -> bool:
        """Whether the file at ``relative`` (to the site root) is checked as an article."""
        return self._kind(relative)[0]

    def is_checked(self, relative: str) -> bool:
        """Whether the file is checked: an article, or a document with a schema of its own."""
        article, schema = self._kind(relative)
        return article or schema

    def _kind(self, relative: str) -> tuple[bool, bool]:
        # Asked for every file of the site on every run: without globs in curate's
        # `collections`, the answer depends on the folder only.
        if self.jekyll.kinds:
            place = self.jekyll.place(relative)
            return place.article, place.schema is not None
        folder = relative.rpartition("/")[0]
        known = self._folder_kinds.get(folder)
        if known is None:
            place = self.jekyll.place(relative)
            known = self._folder_kinds[folder] = (place.article, place.schema is not None)
        return known

    def schema_for(self, article: Article) -> str | None:
        """The schema file of a document that is not an article but has a schema of its own."""
        place = getattr(article, "place", None)
        return place.schema if place is not None else None

    def apply_defaults(self, article: Article, *, with_url: bool = True) -> Article:
        """The article as Jekyll renders it: front-matter defaults applied, URL computed."""
        return apply_defaults(
            article,
            self.jekyll,
            self.root,
            self.site_prefix(),
            with_url=with_url,
            # Like the URL, only rules and index records read the logo.
            logo=self._provider_logo if with_url else None,
        )

    def _provider_logo(self, data: Mapping[str, Any]) -> str | None:
        """The site's logo file for the provider of ``data`` when it gives no images."""
        provider = data.get("provider")
        if isinstance(provider, dict) and provider.get("images") in (None, []):
            return self.logo_of(_text(provider.get("domain")))
        return None

    def logo_of(self, domain: str | None) -> str | None:
        """The URL of the site's logo file for a provider's domain, if the site has one."""
        if not domain or self.root is None:
            return None
        relative = f"assets/images/organizations/{domain.strip().lower()}-50x50.jpg"
        if not self.asset_exists(relative):
            return None
        prefix = self.site_prefix()
        return f"{prefix}/{relative}" if prefix else f"/{relative}"

    def relocate_defaults(
        self, article: Article, diagnostics: Iterable[Diagnostic]
    ) -> list[Diagnostic]:
        """Findings about values the defaults gave, moved to _config.yml where they are set."""
        return relocate(article, list(diagnostics), self.jekyll)

    def page_url(self, path: str) -> str:
        """The absolute URL of a page of the site from its URL path (``/2021/06/30/a/``)."""
        return self.site_prefix() + path

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
        self._asset_reads.append(relative)
        known = self._asset_cache.get(relative)
        if known is None:
            known = inputs.is_file(self.root / relative)
            self._asset_cache[relative] = known
        return known

    def take_asset_reads(self) -> tuple[tuple[str, bool], ...]:
        """The files looked up since the last call, and whether each exists.

        A cached result that read them holds only while each answer is the same.
        """
        reads = tuple(
            (relative, self._asset_cache[relative]) for relative in dict.fromkeys(self._asset_reads)
        )
        self._asset_reads.clear()
        return reads


class _DataFile(NamedTuple):
    """A data file read tolerantly: its first YAML document and what is wrong with it."""

    data: Any
    text: str
    complaint: str | None = None
    #: The line the complaint is about (1-based).
    line: int = 1


def _invalid_yaml(error: yaml.YAMLError, text: str, first_line: int = 1) -> str:
    """``is not valid YAML: <the problem, in one line>``; the finding gives the line."""
    from curate.loading import yaml_problem

    if isinstance(error, yaml.MarkedYAMLError):
        return f"is not valid YAML: {yaml_problem(error, text, first_line)}"
    return f"is not valid YAML: {' '.join(str(error).split())}"


def _tolerant_yaml(path: Path) -> _DataFile:
    """The first YAML document of a data file, and a complaint if the file is malformed."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return _DataFile(None, "", f"cannot read: {error}")
    try:
        documents = [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return _DataFile(None, text, _invalid_yaml(error, text), line)
    separators = [
        number for number, line in enumerate(text.splitlines(), 1) if line.rstrip() == "---"
    ]
    stray = [number for number in separators if number != 1]
    complaint = None
    if len(documents) > 1:
        complaint = "holds several YAML documents; only the first is used"
    elif stray:
        complaint = "has a stray '---' document separator; Jekyll may refuse the file"
    return _DataFile(documents[0] if documents else None, text, complaint, stray[0] if stray else 1)


def _front_matter_yaml(path: Path) -> _DataFile:
    """An organization file: YAML front matter between '---' lines, or plain YAML."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return _DataFile(None, "", f"cannot read: {error}")
    lines = text.splitlines()
    if lines and lines[0].rstrip() == "---":
        closing = next(
            (index for index, line in enumerate(lines[1:], 1) if line.rstrip() == "---"),
            len(lines),
        )
        document = "\n".join(lines[1:closing])
    else:
        document = text
    try:
        return _DataFile(yaml.load(document, Loader=_Loader), text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        offset = int(text != document)
        line = mark.line + 1 + offset if mark is not None else 1
        return _DataFile(None, text, _invalid_yaml(error, document, 1 + offset), line)


def _load_topics(
    root: Path,
) -> tuple[tuple[Topic, ...], list[PlacedFinding], list[tuple[Path, _DataFile]]]:
    topics: list[Topic] = []
    problems: list[PlacedFinding] = []
    files: list[tuple[Path, _DataFile]] = []
    folder = root / "_data" / "topics"
    if not inputs.is_dir(folder):  # recorded: a file added or removed changes the folder
        return (), problems, files
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yml", ".yaml"):
            continue
        loaded = _tolerant_yaml(path)
        files.append((path, loaded))
        data = loaded.data
        if loaded.complaint:
            problems.append(_taxonomy_problem(path, loaded.complaint, loaded.line))
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            topics.append(
                Topic(
                    data["name"],
                    _text(data.get("shortname")),
                    _text(data.get("_id")),
                    str(path),
                )
            )
        elif loaded.complaint is None:
            problems.append(_taxonomy_problem(path, "has no 'name'; the topic is unusable"))
    return tuple(topics), problems, files


def _taxonomy_problem(path: Path, complaint: str, line: int = 1) -> PlacedFinding:
    return PlacedFinding(
        "TX003", display_path(path), line, 1, {"file": "taxonomy file", "problem": complaint}
    )


def _collection_schema(path: Path) -> Any:
    """A collection's schema, checked now: an unusable one stops the run (exit 2)."""
    from curate.schema import ArticleValidator, load_schema

    schema = load_schema(path)
    ArticleValidator(schema).compiled  # noqa: B018 - raises SchemaError if unusable
    return schema


def _config_problem(path: Path, complaint: str, line: int = 1) -> PlacedFinding:
    return PlacedFinding(
        "TX003", display_path(path), line, 1, {"file": "site config", "problem": complaint}
    )


ORGANIZATION_SUFFIXES = (".md", ".markdown", ".yml", ".yaml")


def _organization_extensions(paths: Iterable[Path]) -> Iterator[PlacedFinding]:
    """TX005: an organization file without an extension, which the site does not read."""
    for path in paths:
        if path.name.startswith(".") or path.name.endswith(ORGANIZATION_SUFFIXES):
            continue
        yield PlacedFinding("TX005", display_path(path), 1, 1, {"name": path.name})


def _organization_files(root: Path) -> list[Path] | None:
    folder = root / "_data" / "organizations"
    if not inputs.is_dir(folder):
        return None
    return sorted(path for path in folder.iterdir() if inputs.is_file(path))


def _organization_names(paths: Iterable[Path]) -> frozenset[str]:
    names = set()
    for path in paths:
        name = path.name
        for suffix in ORGANIZATION_SUFFIXES:
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        names.add(name.lower())
    return frozenset(names)


def _image_urls(data: Any) -> Iterator[str]:
    """The image URLs a topic (a list of URLs) or an organization (url entries) refers to."""
    images = data.get("images") if isinstance(data, dict) else None
    for image in images if isinstance(images, list) else ():
        url = image.get("url") if isinstance(image, dict) else image
        if isinstance(url, str) and url.strip():
            yield url


def _missing_data_images(
    site: Site, files: Iterable[tuple[Path, _DataFile]]
) -> list[PlacedFinding]:
    """TX004: images that taxonomy files refer to but that are not under the site root."""
    problems = []
    for path, loaded in files:
        for url in _image_urls(loaded.data):
            relative = site.local_path(url)
            if relative is None or site.asset_exists(relative):
                continue
            line, column = 1, 1
            for number, text in enumerate(loaded.text.splitlines(), 1):
                if url in text:
                    line, column = number, text.index(url) + 1
                    break
            fields = {"url": url, "relative": relative}
            problems.append(PlacedFinding("TX004", display_path(path), line, column, fields))
    return problems


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _label(value: Any) -> str | None:
    """A short value repeated across articles (a domain, a topic): one shared string."""
    return sys.intern(value) if isinstance(value, str) and value else None


def load_site(root: Path | None, settings: Settings | None = None) -> Site:
    """Read a site's ``_config.yml`` and taxonomy; a malformed file is a problem, not a crash."""
    if root is None:
        return Site(None, settings=settings)
    config: dict[str, Any] = {}
    config_path: Path | None = None
    problems: list[PlacedFinding] = []
    for name in CONFIG_NAMES:
        path = root / name
        if inputs.is_file(path):
            config_path = path
            loaded = _tolerant_yaml(path)
            if isinstance(loaded.data, dict):
                config = loaded.data
            if loaded.complaint and loaded.data is None and loaded.text:
                # Jekyll stops on a _config.yml it cannot parse: an error, not a warning.
                problems.append(
                    PlacedFinding(
                        "TX006",
                        display_path(path),
                        loaded.line,
                        1,
                        {"problem": loaded.complaint},
                    )
                )
            elif loaded.complaint:
                problems.append(_config_problem(path, loaded.complaint, loaded.line))
            break
    jekyll, complaints = read_config(config, config_path, settings)
    problems += (_config_problem(config_path or root, complaint) for complaint in complaints)
    topics, topic_problems, topic_files = _load_topics(root)
    organization_files = _organization_files(root)
    exclude = config.get("exclude")
    site = Site(
        root=root,
        url=_text(config.get("url")) or "",
        baseurl=_text(config.get("baseurl")) or "",
        exclude=tuple(item for item in exclude if isinstance(item, str))
        if isinstance(exclude, list)
        else (),
        topics=topics,
        organizations=None
        if organization_files is None
        else _organization_names(organization_files),
        settings=settings,
        jekyll=jekyll,
    )
    for schema_path in jekyll.schemas():
        site.schemas[schema_path] = _collection_schema(Path(schema_path))
    organization_data = [(path, _front_matter_yaml(path)) for path in organization_files or ()]
    problems += topic_problems
    problems += (
        _taxonomy_problem(path, loaded.complaint, loaded.line)
        for path, loaded in organization_data
        if loaded.complaint
    )
    problems += _missing_data_images(site, [*topic_files, *organization_data])
    problems += _organization_extensions(organization_files or ())
    return dataclasses.replace(site, problems=tuple(problems))


class RelatedRef(NamedTuple):
    """What cross-article rules need of one ``related`` entry (the ``position``-th)."""

    position: int
    url: str | None
    key: str | None
    title: str | None
    published_at: str | None
    provider_domain: str | None
    quality: int | None


class ArticleRecord(NamedTuple):
    """The few fields of an article that ranking and cross-article rules read.

    It is what the index and the cache keep, instead of whole documents: a
    NamedTuple, because a warm run rebuilds tens of thousands of them from the
    cache, and a tuple is built several times faster than a frozen dataclass.
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
    #: The URL path the site renders the article at (``/2021/06/30/a/``); None if not rendered.
    output_url: str | None = None
    #: The provider has a logo (provider.images), or no provider at all.
    provider_logo: bool = True
    #: When it has none: the URL of the site's own logo file for its domain, if there is one.
    site_logo: str | None = None

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
        urls = [_text(data.get(key)) for key in ("webUrl", "originalUrl", "ampWebUrl")]
        # The site's own page of the article is one of its URLs too (related links to it).
        urls.append(getattr(article, "page", None))
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
            provider_name=_label(provider.get("name")),
            provider_domain=_label(provider.get("domain")),
            topics=tuple(sys.intern(t) for t in topics if isinstance(t, str))
            if isinstance(topics, list)
            else (),
            type=_label(data.get("type")),
            has_image=isinstance(images, list) and bool(images),
            related=tuple(_related_refs(related)) if isinstance(related, list) else (),
            url_keys=tuple(dict.fromkeys(normalize_url(u) for u in urls if u and u.strip())),
            valid=valid,
            output_url=getattr(article, "url", None),
            provider_logo=not provider or provider.get("images") not in (None, []),
            site_logo=getattr(article, "logo", None),
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
            position=index,
            url=link,
            key=normalize_url(link) if link else None,
            title=_text(entry.get("title")),
            published_at=_text(entry.get("publishedDateTime")),
            provider_domain=_label(provider.get("domain")) if isinstance(provider, dict) else None,
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

    def find_key(self, key: str) -> list[ArticleRecord]:
        """Like :meth:`find`, for a URL already normalised (RelatedRef.key)."""
        return self._by_url.get(key, [])

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
