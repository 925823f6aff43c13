"""What Jekyll knows about a site: its collections, front-matter defaults, time zone and URLs.

curate reads ``_config.yml`` the way Jekyll 4 does, so that rules see each document
as the site renders it:

* which files are articles: the documents of the article collections (``_posts``,
  ``_news``, ``_drafts``, such a folder anywhere, or what curate's ``collections``
  configuration says), not the people, courses or samples beside them;
* front-matter ``defaults:`` (scopes by ``path`` and ``type``, anchors and merge keys),
  applied under the document's own front matter, later and more specific scopes winning
  (Jekyll's ``FrontmatterDefaults``);
* the site's ``timezone:``;
* each document's output URL, from the site, collection, default or front-matter
  ``permalink`` (Jekyll's ``URL`` and ``UrlDrop``).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone, tzinfo
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from curate.model import Article, Diagnostic, Pointer

if TYPE_CHECKING:
    from curate.config import Settings

#: Collections whose documents are news articles when curate's configuration says nothing
#: (drafts are posts Jekyll only renders with --drafts).
ARTICLE_COLLECTIONS = ("posts", "news", "drafts")
#: What curate's ``collections`` configuration may say of a collection or glob (or the
#: path of a JSON Schema its documents are validated against).
KINDS = ("article", "skip")
#: Jekyll's built-in permalink styles (Configuration#style_to_permalink).
PERMALINK_STYLES = {
    "pretty": "/:categories/:year/:month/:day/:title/",
    "none": "/:categories/:title:output_ext",
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
}
_MARKDOWN = (".md", ".markdown", ".mkdown", ".mkdn", ".mkd")
_DATE_NAME = re.compile(r"^(\d{2,4}-\d{1,2}-\d{1,2})-(.*)(\.[^.]+)$")
_DATELESS_NAME = re.compile(r"^(.*)(\.[^.]+)$")
_SLUG_DEFAULT = re.compile(r"(?:[^\w]|_)+")
_SLUG_PRETTY = re.compile(r"(?:[^\w._~!$&'()+,;=@]|_)+")
_PLACEHOLDER = re.compile(r":([a-z_]+)")


@dataclass(frozen=True)
class Collection:
    """A collection of ``_config.yml`` (or an article folder Jekyll-like sites use)."""

    label: str
    output: bool = True
    permalink: str | None = None
    declared: bool = True


@dataclass(frozen=True)
class DefaultSet:
    """One entry of ``defaults:``: where it applies, its values, where they are written."""

    path: str
    type: str | None
    values: Mapping[str, Any]
    #: ``key -> (line, column)`` of each value in ``_config.yml`` (1-based).
    positions: Mapping[str, tuple[int, int]] = field(default_factory=dict, compare=False)


class Place(NamedTuple):
    """Where a file sits in the site."""

    #: The path relative to the site root (``/``-separated).
    relative: str
    #: The collection label (``posts``, ``news``, ``people``), or None for a page.
    collection: str | None
    #: The path under the collection's folder (``2021-06-30-a.md``).
    inner: str
    #: The folders above a ``_posts`` folder (Jekyll makes them categories).
    folders: tuple[str, ...]
    article: bool
    #: The schema file its documents are validated against instead (not an article).
    schema: str | None = None


@dataclass(frozen=True)
class JekyllConfig:
    """The parts of ``_config.yml`` that change what a document is, says or where it goes."""

    config_path: str | None = None
    collections_dir: str = ""
    collections: tuple[Collection, ...] = ()
    defaults: tuple[DefaultSet, ...] = ()
    permalink: str = "date"
    timezone: str | None = None
    #: curate's own ``collections`` setting: ``(collection label or glob, kind)``.
    kinds: tuple[tuple[str, str], ...] = ()

    def collection(self, label: str) -> Collection:
        for collection in self.collections:
            if collection.label == label:
                return collection
        return Collection(label, declared=False)

    def place(self, relative: str) -> Place:
        """Which collection ``relative`` (a path under the site root) belongs to."""
        parts = relative.split("/")
        inside = parts
        if self.collections_dir and relative.startswith(self.collections_dir + "/"):
            inside = parts[len(self.collections_dir.split("/")) :]
        label: str | None = None
        start = 0
        folders: tuple[str, ...] = ()
        declared = self._declared
        if len(inside) > 1 and inside[0].startswith("_") and inside[0][1:] in declared:
            label, start = inside[0][1:], 1
        else:
            for position, part in enumerate(inside[:-1]):
                if part in ("_posts", "_news", "_drafts"):
                    label, start = part[1:], position + 1
                    folders = tuple(inside[:position])
                    break
            else:
                if len(inside) > 1 and inside[0].startswith("_"):
                    label, start = inside[0][1:], 1
        inner = "/".join(inside[start:])
        kind = self._kind(relative, label)
        return Place(
            relative,
            label,
            inner,
            folders,
            kind == "article",
            kind if kind not in KINDS else None,
        )

    @cached_property
    def _declared(self) -> frozenset[str]:
        return frozenset(c.label for c in self.collections)

    def _kind(self, relative: str, label: str | None) -> str:
        """``article``, ``skip``, or the schema file of the documents at ``relative``."""
        for pattern, kind in self.kinds:
            if pattern == label or fnmatch.fnmatch(relative, pattern):
                return kind
        return "article" if label is None or label in ARTICLE_COLLECTIONS else "skip"

    def schemas(self) -> tuple[str, ...]:
        """The schema files curate's configuration gives collections."""
        return tuple(dict.fromkeys(kind for _, kind in self.kinds if kind not in KINDS))

    def time_zone(self) -> tzinfo | None:
        return zone(self.timezone) if self.timezone else None


def zone(name: str) -> tzinfo | None:
    """The time zone called ``name`` (``Asia/Shanghai``, ``UTC+8``...), or None if unknown."""
    match = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", name.strip())
    if match:
        minutes = int(match[2]) * 60 + int(match[3] or 0)
        if minutes > 14 * 60 or int(match[3] or 0) >= 60:
            return None  # no place on Earth is further from UTC
        return timezone(timedelta(minutes=-minutes if match[1] == "-" else minutes))
    if name.strip().upper() in ("UTC", "GMT", "Z"):
        return timezone.utc
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name.strip())
    except (ValueError, KeyError, OSError, ImportError):
        return None


# --- reading _config.yml ---------------------------------------------------------


def read_config(
    config: Mapping[str, Any],
    config_path: Path | None,
    settings: Settings | None,
) -> tuple[JekyllConfig, list[str]]:
    """The Jekyll settings of a loaded ``_config.yml``, and what is wrong with them."""
    complaints: list[str] = []
    raw_collections = config.get("collections")
    if isinstance(raw_collections, list):
        raw_collections = {str(label): {} for label in raw_collections}
    collections: dict[str, Collection] = {}
    for label, meta in (raw_collections or {}).items() if isinstance(raw_collections, dict) else ():
        meta = meta if isinstance(meta, dict) else {}
        permalink = meta.get("permalink")
        collections[str(label)] = Collection(
            str(label),
            output=meta.get("output") is True or label == "posts",
            permalink=permalink if isinstance(permalink, str) else None,
        )
    permalink = config.get("permalink")
    permalink = permalink if isinstance(permalink, str) and permalink.strip() else "date"
    posts = collections.get("posts", Collection("posts"))
    collections["posts"] = Collection(
        "posts", True, posts.permalink or _style_to_permalink(permalink), posts.declared
    )
    collections_dir = config.get("collections_dir")
    own_zone = getattr(settings, "timezone", None)
    if own_zone is not None and zone(own_zone) is None:
        from curate.config import ConfigError

        raise ConfigError(f"timezone {own_zone!r} is not a known time zone (Asia/Shanghai, UTC+8)")
    time_zone = own_zone or config.get("timezone")
    if time_zone is not None and (not isinstance(time_zone, str) or zone(time_zone) is None):
        complaints.append(f"has timezone {time_zone!r}, which is not a known time zone")
        time_zone = None
    defaults = tuple(_default_sets(config.get("defaults"), config_path))
    kinds = tuple(getattr(settings, "collections", ()) or ())
    return (
        JekyllConfig(
            str(config_path) if config_path else None,
            collections_dir.strip("/")
            if isinstance(collections_dir, str) and collections_dir.strip("/.")
            else "",
            tuple(collections.values()),
            defaults,
            permalink,
            time_zone,
            kinds,
        ),
        complaints,
    )


def _style_to_permalink(style: str) -> str:
    return PERMALINK_STYLES.get(style.strip(), style)


def _default_sets(raw: Any, config_path: Path | None) -> Iterator[DefaultSet]:
    if not isinstance(raw, list):
        return
    positions = _default_positions(config_path) if config_path else []
    for number, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("values"), dict):
            continue  # Jekyll warns "An invalid front-matter default set was found" and skips it
        scope = entry.get("scope")
        scope = scope if isinstance(scope, dict) else {}
        path = scope.get("path")
        kind = scope.get("type")
        yield DefaultSet(
            path if isinstance(path, str) else "",
            _type_name(kind) if isinstance(kind, str) else None,
            entry["values"],
            positions[number] if number < len(positions) else {},
        )


def _type_name(kind: str) -> str:
    """Jekyll's update_deprecated_types: the old singular types name their collections."""
    return {"page": "pages", "post": "posts", "draft": "drafts"}.get(kind, kind)


def _default_positions(config_path: Path) -> list[dict[str, tuple[int, int]]]:
    """For each entry of ``defaults:``, where each of its values is written."""
    try:
        node = yaml.compose(config_path.read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    defaults = _mapping_child(node, "defaults")
    if not isinstance(defaults, yaml.SequenceNode):
        return []
    return [_key_positions(_mapping_child(item, "values")) for item in defaults.value]


def _mapping_child(node: Any, key: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value_node
    return None


def _key_positions(node: Any, depth: int = 0) -> dict[str, tuple[int, int]]:
    """``key -> (line, column)`` of a mapping node, following merge keys (``<<: *x``)."""
    positions: dict[str, tuple[int, int]] = {}
    if not isinstance(node, yaml.MappingNode) or depth > 8:
        return positions
    merged: dict[str, tuple[int, int]] = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            sources = (
                value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            )
            for source in sources:
                for key, where in _key_positions(source, depth + 1).items():
                    merged.setdefault(key, where)
        elif isinstance(key_node, yaml.ScalarNode):
            mark = value_node.start_mark
            positions[key_node.value] = (mark.line + 1, mark.column + 1)
    return {**merged, **positions}


# --- front-matter defaults -------------------------------------------------------


def _sanitize(path: str) -> str:
    if not path:
        return ""
    return path.strip("/") if path.startswith("/") else path


def _applies(default: DefaultSet, place: Place, config: JekyllConfig) -> bool:
    kind = place.collection or "pages"
    if default.type is not None and default.type != kind:
        return False
    scope = default.path
    if not scope:
        return True
    relative = _sanitize(_strip_collections_dir(place.relative, config))
    scope = _strip_collections_dir(_sanitize(scope), config)
    if "*" in scope:
        # Jekyll globs the scope on disk and takes every match as a folder prefix.
        return fnmatch.fnmatch(relative, scope) or fnmatch.fnmatch(relative, scope + "/*")
    return relative.startswith(scope)


def _strip_collections_dir(path: str, config: JekyllConfig) -> str:
    prefix = config.collections_dir + "/" if config.collections_dir else ""
    return path[len(prefix) :] if prefix and path.startswith(prefix) else path


def _has_precedence(old: DefaultSet | None, new: DefaultSet) -> bool:
    """Jekyll's has_precedence?: a longer path wins; at equal length a typed scope wins."""
    if old is None:
        return True
    new_path, old_path = _sanitize(new.path), _sanitize(old.path)
    if len(new_path) != len(old_path):
        return len(new_path) >= len(old_path)
    return new.type is not None or old.type is None


class Provided(NamedTuple):
    """The values the defaults give a document, and which default set gave each key."""

    values: dict[str, Any]
    #: Top-level key (as written: YAML keys need not be text) -> the set that gave it.
    sources: dict[Any, DefaultSet]


def defaults_for(place: Place, config: JekyllConfig) -> Provided:
    """The merged ``defaults:`` values for a document at ``place`` (FrontmatterDefaults#all)."""
    values: dict[str, Any] = {}
    sources: dict[Any, DefaultSet] = {}
    old: DefaultSet | None = None
    for default in config.defaults:
        if not _applies(default, place, config):
            continue
        if _has_precedence(old, default):
            values = deep_merge(values, default.values)
            sources.update(dict.fromkeys(default.values, default))
            old = default
        else:
            values = deep_merge(default.values, values)
            for key in default.values:
                sources.setdefault(key, default)
    return Provided(values, sources)


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Jekyll's Utils.deep_merge_hashes: mappings merge key by key, other values replace."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _given_pointers(defaults: Mapping[str, Any], data: Mapping[str, Any]) -> Iterator[Pointer]:
    """Pointers of the values that come from the defaults, not from the front matter."""
    for key, value in defaults.items():
        if key not in data:
            yield (key,)
        elif isinstance(value, dict) and isinstance(data[key], dict):
            for pointer in _given_pointers(value, data[key]):
                yield (key, *pointer)


@dataclass(frozen=True, slots=True)
class Document(Article):
    """An article as Jekyll renders it: the defaults applied, its place and output URL known."""

    place: Place | None = None
    #: The URL path the site renders it at (``/2021/06/30/a-story/``), or None.
    url: str | None = None
    #: The absolute URL of that page (the site's url and baseurl, then ``url``), or None.
    page: str | None = None
    #: The site's own logo file (its URL) for a provider given without images, if it has one.
    logo: str | None = None
    #: Pointers of values the defaults gave, with the default set that gave each.
    given: Mapping[Pointer, DefaultSet] = field(default_factory=dict, compare=False)


def apply_defaults(
    article: Article,
    config: JekyllConfig,
    root: Path | None,
    prefix: str = "",
    *,
    with_url: bool = True,
    logo: Callable[[Mapping[str, Any]], str | None] | None = None,
) -> Document:
    """``article`` with the site's defaults under its front matter, and its output URL.

    ``with_url=False`` leaves the URL unknown: a plain validate reads no rule or record
    that needs it, and computing it is a tenth of a cold validate's time. ``logo`` gives
    the site's own logo for the merged front matter (see :attr:`Document.logo`).
    """
    relative = relative_path(article.path, root)
    place = config.place(relative)
    data = article.data
    given: dict[Pointer, DefaultSet] = {}
    if config.defaults:
        provided = defaults_for(place, config)
        if provided.values:
            given = {
                pointer: provided.sources[pointer[0]]
                for pointer in _given_pointers(provided.values, data)
            }
            data = deep_merge(provided.values, data)
    url = output_url(data, place, config) if with_url and place.collection is not None else None
    return Document(
        article.path,
        data,
        article.locator,
        article.suppressions,
        place=place,
        url=url,
        page=prefix + url if prefix and url else None,
        logo=None if logo is None else logo(data),
        given=given,
    )


def relative_path(path: str, root: Path | None) -> str:
    absolute = os.path.abspath(path)
    if root is not None:
        base = os.path.abspath(root)
        if absolute.startswith(base + os.sep):
            return absolute[len(base) + 1 :].replace(os.sep, "/")
    return os.path.basename(path)


def relocate(
    document: Article, diagnostics: Sequence[Diagnostic], config: JekyllConfig
) -> list[Diagnostic]:
    """Diagnostics about a value the defaults gave, moved to where ``_config.yml`` writes it."""
    given = getattr(document, "given", None)
    if not given or config.config_path is None:
        return list(diagnostics)
    from curate.corpus import display_path

    place = getattr(document, "place", None)
    name = place.relative if place is not None else display_path(document.path)
    moved = []
    for diagnostic in diagnostics:
        source = next(
            (
                default
                for pointer, default in given.items()
                if diagnostic.pointer[: len(pointer)] == pointer and diagnostic.pointer
            ),
            None,
        )
        if source is None:
            moved.append(diagnostic)
            continue
        line, column = source.positions.get(str(diagnostic.pointer[0]), (1, 1))
        moved.append(
            diagnostic._replace(
                path=display_path(config.config_path),
                line=line,
                column=column,
                end_line=0,
                end_column=0,
                fix=None,  # the fix would edit the article, not _config.yml
                message=f"{diagnostic.message} (a default in _config.yml, for {name})",
            )
        )
    return moved


# --- output URLs -----------------------------------------------------------------


def slugify(text: str, *, pretty: bool = False, cased: bool = False) -> str:
    """Jekyll's Utils.slugify in its default and pretty modes."""
    slug = (_SLUG_PRETTY if pretty else _SLUG_DEFAULT).sub("-", text).strip("-")
    return slug if cased else slug.lower()


def _categories(data: Mapping[str, Any], place: Place) -> list[str]:
    found: list[str] = list(place.folders) if place.collection == "posts" else []
    for key in ("categories", "category"):
        value = data.get(key)
        if isinstance(value, str):
            found.extend(value.split() if key == "categories" else [value])
        elif isinstance(value, list):
            found.extend(str(item) for item in value if item is not None)
        elif value is not None and not isinstance(value, (dict, bool)):
            found.append(str(value))
    return list(dict.fromkeys(found))


def _document_date(data: Mapping[str, Any], named: str | None, config: JekyllConfig) -> date | None:
    from curate.corpus import parse_timestamp

    written = data.get("date")
    moment = parse_timestamp(written) if isinstance(written, str) else None
    if moment is not None:
        return moment.astimezone(config.time_zone() or timezone.utc).date()
    if isinstance(written, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", written.strip()):
        return date.fromisoformat(written.strip())
    if named:
        try:
            year, month, day = (int(part) for part in named.split("-"))
            return date(year, month, day)
        except ValueError:
            return None
    return None


def url_template(data: Mapping[str, Any], place: Place, config: JekyllConfig) -> str | None:
    """The permalink template of a document, or None when its collection is not rendered."""
    permalink = data.get("permalink")
    if isinstance(permalink, str) and permalink.strip():
        return permalink.strip()
    if place.collection in (None, "drafts"):
        return None
    collection = config.collection(place.collection)
    if not collection.declared and place.article:
        # An article folder the config does not declare is read as posts are (the site's
        # permalink), as the generators of these sites publish it.
        return _style_to_permalink(config.permalink)
    if not collection.output:
        return None
    if collection.permalink:
        return _style_to_permalink(collection.permalink)
    return _permalink_suffix("/:collection/:path", config.permalink)


def _permalink_suffix(template: str, style: str) -> str:
    if style == "pretty":
        return template + "/"
    if style in ("date", "ordinal", "none"):
        return template + ":output_ext"
    if style.endswith("/"):
        return template + "/"
    if style.endswith(":output_ext"):
        return template + ":output_ext"
    return template


#: The placeholders whose values come from the document's date.
_DATE_KEYS = frozenset(
    {
        "year",
        "month",
        "day",
        "i_month",
        "i_day",
        "short_year",
        "y_day",
        "week",
        "short_day",
        "hour",
        "minute",
        "second",
    }
)


@lru_cache(maxsize=64)
def _template_parts(template: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """``template`` split at its placeholders (text, name, text, name, ..., text), and the
    values that can fill them (each name, and the name without trailing ``_``)."""
    parts = tuple(_PLACEHOLDER.split(template))
    names = parts[1::2]
    return parts, frozenset((*names, *(name.rstrip("_") for name in names)))


def output_url(data: Mapping[str, Any], place: Place, config: JekyllConfig) -> str | None:
    """The URL path Jekyll renders a document at (``/2021/06/30/a-story/``), or None."""
    template = url_template(data, place, config)
    if template is None:
        return None
    parts, wanted = _template_parts(template)
    name = place.inner.rsplit("/", 1)[-1]
    dated = _DATE_NAME.match(name)
    plain = dated or _DATELESS_NAME.match(name)
    stem = (dated[2] if dated else plain[1]) if plain else name
    extension = (dated[3] if dated else plain[2]) if plain else ""
    # Only the values the template names are computed: slugs and dates are most of the cost.
    values: dict[str, str] = {}
    if "collection" in wanted:
        values["collection"] = place.collection or ""
    if "path" in wanted:
        inner_path = place.inner[: -len(extension)] if extension else place.inner
        values["path"] = "/" + inner_path.rstrip(".")
    if "output_ext" in wanted:
        values["output_ext"] = ".html" if extension.lower() in _MARKDOWN else extension
    if "name" in wanted:
        values["name"] = slugify(name[: -len(extension)] if extension else name)
    if "title" in wanted or "slug" in wanted:
        own_slug = data.get("slug")
        slug_source = own_slug if isinstance(own_slug, str) and own_slug else stem
        if "title" in wanted:
            values["title"] = slugify(slug_source, pretty=True, cased=True)
        if "slug" in wanted:
            values["slug"] = slugify(slug_source)
    if "categories" in wanted:
        values["categories"] = "/".join(dict.fromkeys(c.lower() for c in _categories(data, place)))
    if not _DATE_KEYS.isdisjoint(wanted):
        when = _document_date(data, dated[1] if dated else None, config)
        if when is not None:
            values.update(
                year=f"{when.year:04d}",
                month=f"{when.month:02d}",
                day=f"{when.day:02d}",
                i_month=str(when.month),
                i_day=str(when.day),
                short_year=f"{when.year % 100:02d}",
                hour="00",
                minute="00",
                second="00",
            )
            if "y_day" in wanted:
                values["y_day"] = when.strftime("%j")
            if "week" in wanted:
                values["week"] = when.strftime("%V")
            if "short_day" in wanted:
                values["short_day"] = when.strftime("%a").upper()

    pieces = [parts[0]]
    for at in range(1, len(parts), 2):
        key = parts[at]
        for candidate in (key, key.rstrip("_")):
            if candidate in values:
                pieces.append(values[candidate] + key[len(candidate) :])
                break
        else:
            pieces.append(":" + key)
        pieces.append(parts[at + 1])
    url = ("/" + "".join(pieces)).replace("..", "/").replace("./", "")
    while "//" in url:  # runs of slashes made one
        url = url.replace("//", "/")
    return url


def destination(url: str) -> str:
    """The file a URL is written to under ``_site`` (Jekyll's Document#destination)."""
    path = url + "index" if url.endswith("/") else url
    return path if path.endswith(".html") else path + ".html"
