"""A site indexed once, then one file's unsaved text checked at a time: checking as you type.

:class:`Session` runs the engine over the whole site once (through the cache, as
``curate lint`` does) and keeps its index. :meth:`Session.check` then checks the
text of one buffer: loading, the schema, every article rule, and the
cross-article rules against the site's index, in which the open buffers' records
replace their records on disk. An edit costs the parse of one file, not a run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from curate.corpus import ArticleRecord, CorpusIndex, Site, post_name
from curate.engine import CacheFactory, CheckOptions, FileChecker, run_checks, to_diagnostic
from curate.loading import MAX_FILE_BYTES, load_file, load_text, locate_file
from curate.model import Article, Diagnostic, Location
from curate.policy import Policy
from curate.rules import Finding
from curate.schema import ArticleValidator, load_schema

if TYPE_CHECKING:
    from curate.config import Settings


class Organization(NamedTuple):
    """An entry of ``_data/organizations``: what completion and go-to-definition offer."""

    name: str | None
    domain: str
    path: str


class Related(NamedTuple):
    """Another file a diagnostic is about (e.g. the unpublished target of RL001)."""

    path: str
    location: Location
    note: str


class Checked(NamedTuple):
    """One buffer checked: what is reported, and the article (None if it did not load)."""

    path: str
    diagnostics: tuple[Diagnostic, ...]
    article: Article | None


class LiveIndex(CorpusIndex):
    """The site's index, in which a buffer's record replaces its record on disk.

    Updated in place, URL by URL: rebuilding the index of a large site on every
    keystroke would cost more than checking the buffer. A new LiveIndex is made only
    when files appear or disappear (per-index memos, such as the slugs of DU002, key
    on the set of paths).
    """

    def __init__(self, records: Iterable[ArticleRecord]) -> None:
        super().__init__(records)
        self._by_path = {record.path: record for record in self.records}

    def get(self, path: str) -> ArticleRecord | None:
        return self._by_path.get(path)

    def paths(self) -> Iterable[str]:
        return self._by_path.keys()

    def replace(self, path: str, record: ArticleRecord | None) -> None:
        by_url = self.by_url()
        old = self._by_path.pop(path, None)
        if old is not None:
            for key in old.url_keys:
                others = [r for r in by_url.get(key, ()) if r.path != path]
                if others:
                    by_url[key] = others
                else:
                    by_url.pop(key, None)
        if record is not None:
            self._by_path[path] = record
            for key in record.url_keys:
                by_url.setdefault(key, []).append(record)
        self.records = tuple(self._by_path.values())


def _absolute(path: str | Path) -> str:
    return os.path.abspath(path)


@dataclass
class Session:
    """The state of checking one site while its files are edited.

    Build one with :meth:`start`; it never raises for a bad article, only for an
    unusable configuration or schema (ConfigError, SchemaError), as a run would.
    """

    root: Path
    settings: Settings
    site: Site
    #: The article files ``curate lint`` would report (absolute paths).
    files: set[str]
    index: LiveIndex
    #: The article schema (completion and hover read its keys and descriptions).
    schema: dict[str, Any]
    validator: ArticleValidator
    policy: Policy
    checker: FileChecker
    organizations: tuple[Organization, ...]
    #: The text of each open buffer whose record replaces the one on disk.
    buffers: dict[str, str]

    @classmethod
    def start(
        cls,
        root: Path,
        settings: Settings,
        cache_factory: CacheFactory | None = None,
    ) -> Session:
        """Index the site under ``root`` (from the cache when it holds the files)."""
        root = root.resolve()
        settings = settings.replace(root=root)
        result = run_checks([root], settings, lint=True, cache_factory=cache_factory)
        # The root is absolute, so are the paths of the run.
        records = result.index.records if result.index is not None else ()
        files = {_absolute(path) for path in result.files}
        index = LiveIndex(records)
        schema = load_schema(settings.schema)
        policy = Policy.from_settings(settings, root)
        return cls(
            root=root,
            settings=settings,
            site=result.site,
            files=files,
            index=index,
            schema=schema,
            validator=ArticleValidator(schema),
            policy=policy,
            checker=FileChecker(CheckOptions(schema, result.site, policy, lint=True)),
            organizations=tuple(load_organizations(root)),
            buffers={},
        )

    def is_article(self, path: str) -> bool:
        """Whether ``path`` is one of the files ``curate lint`` reports on."""
        return _absolute(path) in self.files

    def check(self, path: str, text: str) -> Checked:
        """Check ``text`` as the content of ``path``; its record joins the index.

        The file's own checks are the engine's (:meth:`FileChecker.check_loaded`), so a
        buffer gets exactly what ``curate lint`` would say of the saved file.
        """
        path = _absolute(path)
        self.buffers[path] = text
        loaded = load_text(path, text.encode("utf-8", "surrogatepass"))
        report, _ = self.checker.check_loaded(path, loaded, None)
        self.index.replace(path, report.record)
        diagnostics = list(report.diagnostics)
        article = loaded.article
        if article is not None and report.record is not None:
            for rule in self.policy.rules():
                if rule.check_corpus is not None:
                    findings = _guarded(
                        rule.code, rule.check_corpus, report.record, self.index, self.site
                    )
                    diagnostics.extend(to_diagnostic(article, rule, f) for f in findings)
        kept = [d for d in diagnostics if self.policy.reports(d, report.suppressions)]
        kept.sort(key=Diagnostic.sort_key)
        return Checked(path, tuple(kept), article)

    def close(self, path: str) -> None:
        """The buffer of ``path`` is closed: its file on disk counts again."""
        path = _absolute(path)
        if self.buffers.pop(path, None) is not None:
            self.index.replace(path, self._record_on_disk(path))

    def file_changed(self, path: str) -> None:
        """A file was created, changed or deleted outside the editor's buffers."""
        path = _absolute(path)
        exists = os.path.isfile(path)
        known = path in self.files
        if exists and not known and self._selected(path):
            self.files.add(path)
            known = True
        elif not exists and known:
            self.files.discard(path)
            self.buffers.pop(path, None)
            self._renew_index(drop=path)
            return
        if not known or path in self.buffers:
            return
        record = self._record_on_disk(path)
        if self.index.get(path) is None and record is not None:
            self._renew_index(add=record)
        else:
            self.index.replace(path, record)

    def _renew_index(self, *, add: ArticleRecord | None = None, drop: str | None = None) -> None:
        records = [r for r in self.index.records if r.path != drop]
        if add is not None:
            records.append(add)
        self.index = LiveIndex(records)

    def _selected(self, path: str) -> bool:
        """Whether a new file is one ``curate lint`` would report: one walk of the site."""
        from curate.engine import prepare

        _, files, _ = prepare([self.root], self.settings)
        self.files = {_absolute(name) for name in files}
        return path in self.files

    def _record_on_disk(self, path: str) -> ArticleRecord | None:
        loaded = load_file(path)
        if loaded.article is None:
            return None
        valid = self.validator.is_valid(loaded.article.data)
        return ArticleRecord.from_article(loaded.article, valid=valid)

    def related_locations(self, diagnostic: Diagnostic) -> list[Related]:
        """The other files a cross-article finding is about."""
        path = _absolute(diagnostic.path)
        record = self.index.get(path)
        if record is None:
            return []
        pointer = diagnostic.pointer
        targets: list[ArticleRecord] = []
        focus: tuple[str, ...] = ()
        if len(pointer) >= 2 and pointer[0] == "related" and isinstance(pointer[1], int):
            ref = next((r for r in record.related if r.position == pointer[1]), None)
            if ref is not None and ref.key is not None:
                targets = [t for t in self.index.find_key(ref.key) if t.path != path]
            focus = ("published",) if diagnostic.code in ("RL001", "RL007") else ("title",)
        elif diagnostic.code == "DU001":
            seen = {path}
            for key in record.url_keys:
                for other in self.index.find_key(key):
                    if other.path not in seen:
                        seen.add(other.path)
                        targets.append(other)
            focus = ("webUrl",)
        elif diagnostic.code == "DU002" and (name := post_name(path)) is not None:
            targets = [
                other
                for other in self.index.records
                if other.path != path and (post_name(other.path) or ("", ""))[1] == name[1]
            ]
            focus = ("title",)
        return [
            Related(target.path, self.locate(target.path, focus), _describe(target))
            for target in targets[:20]
        ]

    def locate(self, path: str, pointer: tuple[str | int, ...]) -> Location:
        """Where ``pointer`` is written in ``path`` (its open buffer if there is one)."""
        text = self.buffers.get(_absolute(path))
        if text is not None:
            article = load_text(path, text.encode("utf-8", "surrogatepass")).article
            return article.locate(pointer) if article is not None else Location(1, 1)
        locator = locate_file(path)
        return locator.locate(pointer) if locator is not None else Location(1, 1)

    def find_articles(self, url: str) -> list[ArticleRecord]:
        return list(self.index.find(url))

    def topic_file(self, name: str) -> str | None:
        for topic in self.site.topics:
            if name in topic.aliases():
                return topic.path
        return None

    def organization_file(self, domain: str) -> str | None:
        wanted = domain.strip().lower()
        for organization in self.organizations:
            if organization.domain == wanted:
                return organization.path
        return None


def _describe(record: ArticleRecord) -> str:
    state = {True: "published", False: "unpublished", None: "published state unset"}
    return f"{record.title or '(no title)'} ({state[record.published]})"


def _guarded(code: str, check: Callable[..., Iterator[Finding]], *args: Any) -> list[Finding]:
    try:
        return list(check(*args))
    except Exception as error:  # a rule bug must not hide the other findings
        return [Finding((), f"internal error in rule {code}: {error!r}")]


def load_organizations(root: Path) -> Iterator[Organization]:
    """The organizations of ``_data/organizations``: file name (the domain) and display name."""
    folder = root / "_data" / "organizations"
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        domain = path.name
        for suffix in (".md", ".markdown", ".yml", ".yaml"):
            if domain.endswith(suffix):
                domain = domain[: -len(suffix)]
                break
        yield Organization(_organization_name(path), domain.lower(), str(path))


def _organization_name(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            text = handle.read(MAX_FILE_BYTES).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.splitlines()
    if lines and lines[0].rstrip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() == "---"), len(lines))
        text = "\n".join(lines[1:end])
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None
