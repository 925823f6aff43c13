"""The embedded store: per-file results and link checks in one SQLite file.

Lives in ``<site root>/.curate_cache/cache.sqlite3`` (with its own ``.gitignore``).

* A file's row is keyed by its path relative to the site root, however the path
  was typed (``.``, ``$PWD/_posts/x.md``, ``../site``), so every spelling shares it.
* A file's result is reused when its size, mtime and ctime match and the run's
  fingerprint (curate version, stored layout, schema, settings, rule set, site
  configuration and taxonomy) is the same. The ctime changes on every write, even
  when a tool puts the old mtime back, as git's index relies on. A file modified
  within two seconds of being checked is "racily clean" (as git calls it): the hash
  of the bytes that were parsed decides, so an edit in the same second with the
  same size is never missed.
* A result also depends on the site files its rules looked up (IM006: does
  ``assets/x.png`` exist?): each is checked again, and a different answer is a miss.
* Results are stored as JSON by field name, never pickled: a cache file is data.
  A row that does not decode to exactly the values this version writes is a miss,
  recomputed, never a result; a database that cannot be read is rebuilt.
* WAL mode and a short busy timeout let several curate processes (pre-commit runs
  hooks in parallel) share the file; if it stays locked, the run goes on uncached
  and says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import json
import os
import sqlite3
import time
import types
import typing
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from curate import inputs
from curate.__about__ import __version__
from curate.corpus import ArticleRecord, RelatedRef, Site
from curate.loading import Suppressions, read_regular_file
from curate.lookups import affects, stored_keys
from curate.model import Diagnostic, FileReport, Span

if TYPE_CHECKING:
    from curate.config import Settings

CACHE_DIR_NAME = ".curate_cache"
DB_NAME = "cache.sqlite3"
#: Bump when the stored layout changes; old rows are then ignored.
FORMAT = 12
#: Files modified this close to (or after) the time they were checked are hashed.
RACY_WINDOW_NS = 2_000_000_000
_FILE_TYPE = 0o170000  # stat.S_IFMT's mask
_REGULAR = 0o100000  # stat.S_IFREG
#: How long to wait for another curate holding the write lock before running uncached.
BUSY_TIMEOUT_S = 2.0
#: Above this many lookup keys, a write drops every row's cross-article findings
#: (one pass) instead of finding the rows that look for each key.
INVALIDATE_ALL_KEYS = 2000
#: A write of more changed records than this drops every row's cross-article findings
#: without computing which rows each affects (a first run).
_FEW_CHANGED = 100

_SCHEMA = """
-- Each kind of run (its fingerprint: curate's version, the schema, the settings...) by a
-- small number, which every row of the other tables holds.
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS files (
    run INTEGER NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL,
    checked_ns INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    -- 1: its record is in the index the cross-article findings were found against
    member INTEGER NOT NULL DEFAULT 0,
    depends TEXT NOT NULL DEFAULT '[]',
    -- Its cross-article findings: whether they are known (0: no, or dropped when a row
    -- they may read changed, 1: known and none, 2: in corpus), whether a clock rule
    -- fired, and the clock they were found at.
    corpus_state INTEGER NOT NULL DEFAULT 0,
    clocked INTEGER NOT NULL DEFAULT 0,
    corpus_clock_ns INTEGER NOT NULL DEFAULT 0,
    corpus TEXT,
    positions TEXT NOT NULL DEFAULT '{}',
    -- the long columns last: reading the others never walks their overflow pages
    diagnostics TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (run, path)
);
-- What a warm run reads of every row: an index that holds it, read without the rows.
CREATE INDEX IF NOT EXISTS files_stat ON files (run, path, size, mtime_ns, ctime_ns,
    digest, checked_ns, complete, member, depends, corpus_state, clocked, corpus_clock_ns);
-- Each row's lookup keys (curate.lookups.stored_keys), written with it: the keys it is
-- found by, and those it looks for. Point queries find the rows sharing a key with a
-- file (its neighbours), and the rows whose cross-article findings a change affects.
CREATE TABLE IF NOT EXISTS lookup (
    run INTEGER NOT NULL,
    key TEXT NOT NULL,
    path TEXT NOT NULL
);
-- The key first: without statistics, SQLite would take any index that starts with
-- the run, and scan every row of it.
CREATE INDEX IF NOT EXISTS lookup_key ON lookup (key, run);
CREATE INDEX IF NOT EXISTS lookup_path ON lookup (path, run);
-- Bumped by every write that drops or stores cross-article findings: findings computed
-- by a run that another process overtook are not stored.
CREATE TABLE IF NOT EXISTS generation (
    run INTEGER NOT NULL PRIMARY KEY,
    n INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS links (
    url TEXT NOT NULL,
    kind TEXT NOT NULL,
    result TEXT NOT NULL,
    checked_at REAL NOT NULL,
    PRIMARY KEY (url, kind)
);
"""


class CacheUnavailable(Exception):
    """The cache cannot be used for this run; the message says why."""


class Provenance(NamedTuple):
    """What a stored result depends on besides the file's stat signature."""

    #: Hash of the bytes that were parsed; None: not cacheable (the file was not read).
    digest: str | None
    #: Site files the rules looked up (relative to the root), and whether each existed.
    assets: tuple[tuple[str, bool], ...] = ()
    #: The report already encoded as :meth:`Store.put` stores it (``encode_row``), when a
    #: worker process did that; None: put encodes it.
    row: tuple[str, str, str] | None = None


class CorpusEntry(NamedTuple):
    """A file's remembered cross-article findings."""

    #: The findings of the rules that do not read the clock, positioned.
    findings: tuple[Diagnostic, ...]
    #: Whether a rule that reads the clock fired (it runs again on every run).
    clocked: bool
    #: The clock they were found at: a run at an earlier clock finds them again.
    clock_ns: int


def digest_bytes(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def default_cache_dir(site: Site) -> Path:
    return (site.root or Path.cwd()) / CACHE_DIR_NAME


def cache_directory(settings: Settings, site: Site) -> Path:
    """Where the cache of ``site`` lives under ``settings`` (``cache-dir`` or the default)."""
    return settings.cache_dir or default_cache_dir(site)


def cache_factory(settings: Settings) -> Callable[[Site, str], Store] | None:
    """What the engine calls to open the cache for a run, or None with --no-cache.

    The returned function raises :class:`CacheUnavailable` with the reason.
    """
    if not settings.cache:
        return None

    def open_for(site: Site, fingerprint: str) -> Store:
        store = Store.connect(
            cache_directory(settings, site),
            f"{FORMAT}|{__version__}|{_LAYOUT}|{fingerprint}|{site_fingerprint(site)}",
            site.root,
            quiet_if_read_only=settings.cache_dir is None,
        )
        store.site = site
        return store

    return open_for


def site_fingerprint(site: Site) -> str:
    """What of the site changes lint results: config, taxonomy, organizations.

    Asset files are not listed here: each result records the ones it looked up.
    """
    if site.root is None:
        return "-"
    digest = hashlib.sha256()
    digest.update(site.identity().encode())
    digest.update(repr(sorted(site.organizations or ())).encode())
    return digest.hexdigest()[:16]


def _file_digest(path: str) -> str | None:
    try:  # never open() a FIFO named *.md: it would wait for a writer forever
        return digest_bytes(read_regular_file(path, -1))
    except OSError:
        return None


class Store:
    """One open cache database, bound to the fingerprint of the current run."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        fingerprint: str,
        path: Path,
        root: Path | None = None,
    ) -> None:
        self._db = connection
        self.fingerprint = fingerprint
        #: The number standing for the fingerprint in the tables.
        self._run = _run_id(connection, fingerprint)
        self.path = path
        self._root = None if root is None else os.path.realpath(root)
        #: Where the current folder is in the site ("" at the root, "news/" below it);
        #: None outside it.
        self._here: str | None = None
        here = os.getcwd()
        if self._root is not None and os.sep == "/":
            if here == self._root:
                self._here = ""
            elif here.startswith(self._root + "/"):
                self._here = here[len(self._root) + 1 :] + "/"
        self._started_ns = time.time_ns()
        self._keys: dict[str, str] = {}
        #: The site whose rows these are (the slug of an article's own page is a key).
        self.site: Site | None = None
        self._stats: dict[str, tuple[int, int, int]] = {}
        #: Row key -> stat signature and digest, of the rows this run found valid or wrote.
        self._signatures: dict[str, tuple[int, int, int, str]] = {}
        #: Rows whose record a lazy get() left in the database: path -> key.
        #: (Their stat signature and digest are in _signatures.)
        self._held: dict[str, str] = {}
        self._path_of: dict[str, str] = {}
        #: The rows that are members of the index, and those that should be (index_members).
        self._members: set[str] = set()
        self._index: set[str] | None = None
        #: The generation read by get(), plus this run's own writes; overtaken: another
        #: process dropped cross-article findings meanwhile.
        self._generation = 0
        self._overtaken = False
        #: Row key -> (corpus_state, clocked, corpus_clock_ns) as get() read it, of the
        #: rows whose findings were known; and the rows whose findings this run dropped.
        self._corpus_state: dict[str, tuple[int, int, int]] = {}
        self._dropped: set[str] = set()
        self._dropped_all = False
        self._positions: dict[str, dict[str, Span]] = {}
        self._assets: dict[str, bool] = {}
        self._depends: dict[str, bool] = {}
        #: Said once to the user: why this run is (partly) uncached.
        self.warnings: list[str] = []
        self._usable = True

    @classmethod
    def connect(
        cls,
        directory: Path,
        fingerprint: str,
        root: Path | None = None,
        *,
        quiet_if_read_only: bool = False,
    ) -> Store:
        """Open (or create, or rebuild if corrupt) the cache; CacheUnavailable says why not.

        With ``quiet_if_read_only``, a read-only site (a shared copy, a release
        tarball) runs uncached without a word: there is nothing the user should change.
        """
        parent = directory.parent
        if not directory.exists() and parent.is_dir() and not os.access(parent, os.W_OK):
            if quiet_if_read_only:
                raise CacheUnavailable("")
            raise CacheUnavailable(f"cannot create {directory}: {parent} is not writable")
        if directory.exists() and not directory.is_dir():
            raise CacheUnavailable(f"{directory} is not a folder")
        try:
            directory.mkdir(parents=True, exist_ok=True)
            ignore = directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by curate: the cache is not for version control.\n*\n")
        except OSError as error:
            raise CacheUnavailable(f"cannot use {directory}: {error.strerror or error}") from None
        path = directory / DB_NAME
        for attempt in range(2):
            try:
                return cls(_connect(path), fingerprint, path, root)
            except sqlite3.OperationalError as error:
                if _is_locked(error):
                    raise CacheUnavailable(_locked_message(path)) from None
                if attempt == 0:
                    _remove_database(path)
            except sqlite3.DatabaseError:
                if attempt == 0:
                    _remove_database(path)
        raise CacheUnavailable(f"cannot open {path}")

    @classmethod
    def open(cls, directory: Path, fingerprint: str, root: Path | None = None) -> Store | None:
        """Like :meth:`connect`, None when the cache cannot be used."""
        try:
            return cls.connect(directory, fingerprint, root)
        except CacheUnavailable:
            return None

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()

    def key(self, path: str) -> str:
        """The row key of ``path``: relative to the site root, however it was typed."""
        known = self._keys.get(path)
        if known is None:
            known = self._keys[path] = self._key(path)
        return known

    def _keys_of(self, paths: Iterable[str]) -> list[str]:
        """:meth:`key` of each of ``paths``, in bulk: the walk's absolute, normal paths
        below the root (nearly all of them) are cut without a call each."""
        root = self._root
        known = self._keys
        if root is None:
            return [self.key(path) for path in paths]
        prefix = root + "/"
        cut = len(prefix)
        keys: list[str] = []
        add = keys.append
        for path in paths:
            key = known.get(path)
            if key is None:
                rest = path[cut - 1 :]
                if (
                    path.startswith(prefix)
                    and "/." not in rest
                    and "//" not in rest
                    and rest[-1] != "/"
                    and rest.isascii()  # else _storable decides
                ):
                    key = known[path] = path[cut:]
                else:
                    key = self.key(path)
            add(key)
        return keys

    def _key(self, path: str) -> str:
        root = self._root
        if root is not None and path.startswith(root + "/"):
            rest = path[len(root) :]
            if ("/." not in rest and "//" not in rest and rest[-1] != "/") or os.path.normpath(
                path
            ) == path:
                # An absolute path in normal form (what the walk of the site yields):
                # what the abspath below gives, without its cost.
                return _storable(rest[1:])
        if self._here is not None:
            # The common case, a normal relative path typed inside the site, without
            # the cost of abspath: the same key.
            plain = path[2:] if path.startswith("./") else path
            if (
                plain
                and plain[0] != "/"
                and os.path.normpath(plain) == plain
                and plain != ".."
                and not plain.startswith("../")
            ):
                return _storable(self._here + plain)
        absolute = os.path.abspath(path)
        if root is not None and absolute.startswith(root + os.sep):
            return _storable(absolute[len(root) + 1 :].replace(os.sep, "/"))
        resolved = os.path.realpath(path)
        if root is not None and resolved.startswith(root + os.sep):
            return _storable(resolved[len(root) + 1 :].replace(os.sep, "/"))
        return _storable(resolved)

    # -- per-file results ------------------------------------------------------

    def get(
        self,
        paths: Sequence[str],
        *,
        records: bool = True,
        lazy: bool = False,
        reported: Collection[str] | None = None,
    ) -> dict[str, FileReport]:
        """Reports still valid for ``paths``; stale, undecodable or missing rows are misses.

        Reads the stat columns of every row (from an index that holds them) and stats
        every file; then only the findings of the valid rows of the files in
        ``reported`` (default: all) that have any. ``records=False`` leaves out the
        index records (a plain validate needs none). ``lazy=True`` leaves them in the
        database until :meth:`records` asks: a lint run whose cross-article findings
        are remembered needs none of them, and a changed file only its neighbours'.
        """
        if not self._usable:
            return {}
        keys = self._keys_of(paths)
        try:
            self._generation = self._read_generation()
            stored: dict[str, tuple[Any, ...]] = {
                row[0]: row
                for row in self._db.execute(
                    "SELECT path, size, mtime_ns, ctime_ns, digest, checked_ns, complete,"
                    " depends, member, corpus_state, clocked, corpus_clock_ns"
                    " FROM files INDEXED BY files_stat WHERE run = ?",
                    (self._run,),
                )
            }
        except sqlite3.DatabaseError as error:
            self._fail(error)
            return {}
        self._members = {key for key, row in stored.items() if row[8]}
        valid: dict[str, tuple[str, int]] = {}
        stats = self._stats
        signatures = self._signatures
        corpus_state = self._corpus_state
        known_depends = self._depends
        racy_before = RACY_WINDOW_NS
        # The walk of the site has just taken each article's signature for the replay
        # manifest (before anything read it): the same answer, without a second stat.
        recorder = inputs.active()
        seen: Mapping[str, inputs.Signature] = {} if recorder is None else recorder.signatures
        stat = os.stat
        pop = stored.pop
        for path, key in zip(paths, keys, strict=True):
            taken = seen.get(path)
            if taken is not None and taken[0] & _FILE_TYPE == _REGULAR:
                size, mtime_ns, ctime_ns = taken[1], taken[2], taken[3]
            else:
                try:
                    status = stat(path)
                except OSError:
                    continue
                size, mtime_ns, ctime_ns = status.st_size, status.st_mtime_ns, status.st_ctime_ns
            row = pop(key, None)  # each row freed once seen: 100,000 of them
            if row is None or row[1] != size or row[2] != mtime_ns or row[3] != ctime_ns:
                stats[path] = (size, mtime_ns, ctime_ns)
                continue
            if (mtime_ns if mtime_ns > ctime_ns else ctime_ns) >= row[5] - racy_before and (
                _file_digest(path) != row[4]
            ):
                stats[path] = (size, mtime_ns, ctime_ns)
                continue
            depends = row[7]
            if depends != "[]":
                holds = known_depends.get(depends)  # many articles look up the same files
                if holds is None:
                    holds = known_depends[depends] = self._check_assets(depends)
                if not holds:
                    stats[path] = (size, mtime_ns, ctime_ns)
                    continue
            valid[path] = (key, row[6])
            signatures[key] = row[1:5]
            if row[9]:
                corpus_state[key] = row[9:12]
        rows = len(stored) + len(valid)
        del stored
        wanted = [key for path, (key, _) in valid.items() if reported is None or path in reported]
        texts = self._texts("diagnostics", wanted, rows, _NO_DIAGNOSTICS)
        record_texts = (
            self._texts("record", [key for key, _ in valid.values()], rows, "null")
            if records and not lazy
            else {}
        )
        found: dict[str, FileReport] = {}
        hold = lazy and records
        for path, (key, stored_complete) in valid.items():
            complete = bool(stored_complete)
            if key not in texts and key not in record_texts:
                # Most rows of a warm run: what _decode_report gives, without the calls.
                found[path] = FileReport(path, (), None, None, complete)
                if hold:
                    self._held[path] = key
                    self._path_of[key] = path
                continue
            held = self._signatures[key]
            diagnostics = _text_of(texts, key, held, _NO_DIAGNOSTICS)
            record = _text_of(record_texts, key, held, "null")
            if diagnostics is None or record is None:  # replaced meanwhile
                continue
            report = _decode_report(path, diagnostics, record, complete)
            if report is None:
                continue
            if hold:
                self._held[path] = key
                self._path_of[key] = path
            found[path] = report
        return found

    def _texts(
        self, column: str, keys: Sequence[str], rows: int, default: str
    ) -> dict[str, tuple[Any, ...]]:
        """The ``column`` of the rows ``keys`` that is not ``default``, with each row's
        stat signature and digest: by one pass over the rows when most are wanted,
        else by point queries."""
        found: dict[str, tuple[Any, ...]] = {}
        if not keys:
            return found
        columns = f"path, size, mtime_ns, ctime_ns, digest, {column}"
        try:
            if len(keys) * 4 > rows:
                wanted = set(keys)
                for row in self._db.execute(
                    f"SELECT {columns} FROM files WHERE run = ? AND {column} != ?",
                    (self._run, default),
                ):
                    if row[0] in wanted:
                        found[row[0]] = row
                return found
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                for row in self._db.execute(
                    f"SELECT {columns} FROM files WHERE run = ?"
                    f" AND path IN ({','.join('?' * len(chunk))}) AND {column} != ?",
                    (self._run, *chunk, default),
                ):
                    found[row[0]] = row
        except sqlite3.DatabaseError as error:
            self._fail(error)
            return {key: (key, None, None, None, None, default) for key in keys}
        return found

    def records(self, reports: Sequence[FileReport]) -> tuple[list[FileReport], list[str]]:
        """``reports`` from a lazy :meth:`get` with their records read and decoded.

        Also returns the paths whose stored record does not decode, or whose row
        another process replaced meanwhile: misses, for the caller to check again.
        """
        held = [report for report in reports if report.path in self._held]
        raw: dict[str, tuple[Any, ...]] = {}
        for start in range(0, len(held), _CHUNK):
            chunk = [self._held[report.path] for report in held[start : start + _CHUNK]]
            try:
                rows = self._db.execute(
                    "SELECT path, size, mtime_ns, ctime_ns, digest, record FROM files"
                    f" WHERE run = ? AND path IN ({','.join('?' * len(chunk))})",
                    (self._run, *chunk),
                ).fetchall()
            except sqlite3.DatabaseError as error:
                self._fail(error)
                rows = []
            raw.update((row[0], row) for row in rows)
        decoded = []
        failed = []
        for report in reports:
            key = self._held.pop(report.path, None)
            if key is None:  # not from this cache: checked in this run, record at hand
                decoded.append(report)
                continue
            row = raw.get(key)
            record = (
                _decode_record(report.path, row[5])
                if row is not None and tuple(row[1:5]) == self._signatures.get(key)
                else _MALFORMED
            )
            if record is _MALFORMED:
                failed.append(report.path)
                continue
            assert record is None or isinstance(record, ArticleRecord)
            decoded.append(dataclasses.replace(report, record=record))
        return decoded, failed

    def sharing(self, paths: Sequence[str], keys: Iterable[str]) -> list[str]:
        """Those of ``paths`` whose row, still in the database, has one of the lookup ``keys``
        (``curate.lookups.key``): point queries on an index; a row found costs a decode."""
        texts = sorted(set(keys))
        candidates = set(paths)
        found: set[str] = set()
        for start in range(0, len(texts), _CHUNK):
            chunk = texts[start : start + _CHUNK]
            try:
                rows = self._db.execute(
                    "SELECT DISTINCT path FROM lookup WHERE run = ?"
                    f" AND key IN ({','.join('?' * len(chunk))})",
                    (self._run, *chunk),
                ).fetchall()
            except sqlite3.DatabaseError as error:
                self._fail(error)
                return list(paths)  # no pre-filter: every article is indexed
            for (key,) in rows:
                path = self._path_of.get(key)
                if path is not None and path in candidates and path in self._held:
                    found.add(path)
        return [path for path in paths if path in found] if found else []

    def positions(self, path: str) -> Mapping[str, Span]:
        """Where the cross-article findings of ``path`` were found to point (once
        :meth:`load_positions` read them)."""
        return self._positions.get(path, {})

    def load_positions(self, paths: Sequence[str]) -> None:
        """Read where the cross-article findings of ``paths`` point (those about to be
        found again: a warm run parses none of them)."""
        keys = {self.key(path): path for path in paths}
        texts = self._texts("positions", list(keys), len(self._members) or 1, "{}")
        for key, row in texts.items():
            if self._signatures.get(key) != tuple(row[1:5]):
                continue
            decoded = _decode_positions(row[5])
            if decoded is not None:
                self._positions[keys[key]] = decoded

    def index_members(self, paths: Collection[str]) -> None:
        """The files whose records make the index of this run (the site's articles, and
        the files reported): rows are written as members of it or not."""
        self._index = set(self._keys_of(paths))

    def put(self, results: Iterable[tuple[FileReport, Provenance]]) -> None:
        """Store fresh results (each with the stat taken by :meth:`get` before checking).

        A row whose record enters, leaves or changes in the index drops the
        cross-article findings of the rows that look for one of its keys (old and new).
        """
        if not self._usable:
            return
        rows = []
        keys: list[tuple[int, str, str]] = []
        fresh: dict[str, ArticleRecord | None] = {}
        index = self._index
        for report, provenance in results:
            stat = self._stats.get(report.path)
            if stat is None:  # a valid row checked again (its findings were not stored)
                signature = self._signatures.get(self.key(report.path))
                stat = None if signature is None else signature[:3]
            if stat is None or provenance.digest is None:
                continue
            encoded = provenance.row or encode_row(report, provenance)
            if encoded is None:
                continue  # not storable (an integer of 5,000 digits): checked again next time
            diagnostics_text, record, depends = encoded
            key = self.key(report.path)
            member = index is not None and key in index
            rows.append(
                (
                    self._run,
                    key,
                    *stat,
                    provenance.digest,
                    self._started_ns,
                    int(report.complete),
                    diagnostics_text,
                    record,
                    depends,
                    int(member),
                )
            )
            self._signatures[key] = (*stat, provenance.digest)
            fresh[key] = report.record if member else None
            keys.extend(
                (self._run, stored, key) for stored in stored_keys(report.record, self.site, key)
            )
        if not rows:
            return
        try:
            with self._db:  # one transaction: a row is never without its lookup keys
                before = self._before([row[1] for row in rows])
                changed: list[tuple[str, str]] = []
                for row in rows:
                    key, record_text = row[1], row[9]
                    old = before.get(key)
                    new_text = record_text if fresh[key] is not None else "null"
                    old_text = old[1] if old is not None and old[0] else "null"
                    if old_text != new_text:
                        changed.append((key, old_text))
                affected: set[str] = set()
                if len(changed) > _FEW_CHANGED:
                    affected.add(_EVERY)  # a first run: no need to find which rows
                for key, old_text in changed if len(changed) <= _FEW_CHANGED else ():
                    affected |= _affected_by(old_text, key)
                    new_record = fresh[key]
                    if new_record is not None:
                        affected |= affects(new_record, key)
                self._db.executemany(
                    "DELETE FROM lookup WHERE run = ? AND path = ?",
                    [(self._run, row[1]) for row in rows],
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO files (run, path, size, mtime_ns, ctime_ns,"
                    " digest, checked_ns, complete, diagnostics, record, depends, member)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                self._db.executemany("INSERT INTO lookup VALUES (?, ?, ?)", keys)
                self._invalidate(affected)
            self._dropped.update(row[1] for row in rows)
            self._members.update(row[1] for row in rows if row[-1])
            self._members.difference_update(row[1] for row in rows if not row[-1])
        except sqlite3.DatabaseError as error:
            self._fail(error)

    def sync_members(self) -> None:
        """Make the rows of :meth:`index_members` (and only those) members of the index,
        dropping the cross-article findings that rows entering or leaving it affect
        (an article added, removed, or renamed)."""
        index = self._index
        if index is None or not self._usable:
            return
        entering = [key for key in index if key in self._signatures and key not in self._members]
        leaving = [key for key in self._members if key not in index]
        if not entering and not leaving:
            return
        try:
            with self._db:
                before = self._before([*entering, *leaving])
                affected: set[str] = set()
                for key in (*entering, *leaving):
                    old = before.get(key)
                    if old is not None:
                        affected |= _affected_by(old[1], key)
                self._db.executemany(
                    "UPDATE files SET member = ? WHERE run = ? AND path = ?",
                    [(1, self._run, key) for key in entering]
                    + [(0, self._run, key) for key in leaving],
                )
                self._invalidate(affected)
            self._members.update(entering)
            self._members.difference_update(leaving)
        except sqlite3.DatabaseError as error:
            self._fail(error)

    def _before(self, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        """``(member, record)`` of the stored rows ``keys``, inside a write transaction."""
        found: dict[str, tuple[int, str]] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            for path, member, record in self._db.execute(
                "SELECT path, member, record FROM files WHERE run = ?"
                f" AND path IN ({','.join('?' * len(chunk))})",
                (self._run, *chunk),
            ):
                found[path] = (member, record)
        return found

    def _invalidate(self, affected: set[str]) -> None:
        """Drop the cross-article findings of the rows that look for one of ``affected``
        (inside a write transaction), and bump the generation."""
        if not affected:
            return
        current = self._read_generation()
        if len(affected) > INVALIDATE_ALL_KEYS or _EVERY in affected:
            # Unless this run already dropped them all, and nothing was written since.
            if not self._dropped_all or current != self._generation:
                self._db.execute(
                    "UPDATE files SET corpus = NULL, corpus_state = 0"
                    " WHERE run = ? AND corpus_state != 0",
                    (self._run,),
                )
            self._dropped_all = True
        else:
            texts = sorted(affected)
            paths: set[str] = set()
            for start in range(0, len(texts), _CHUNK):
                chunk = texts[start : start + _CHUNK]
                paths.update(
                    path
                    for (path,) in self._db.execute(
                        "SELECT path FROM lookup WHERE run = ?"
                        f" AND key IN ({','.join('?' * len(chunk))})",
                        (self._run, *chunk),
                    )
                )
            self._write_in_transaction(
                "UPDATE files SET corpus = NULL, corpus_state = 0"
                " WHERE run = ? AND path = ? AND corpus_state != 0",
                [(self._run, path) for path in paths],
            )
            self._dropped |= paths
        self._bump(current)

    def _bump(self, current: int) -> None:
        """Count a write (inside its transaction); ``current``: the generation before it."""
        if current != self._generation:
            self._overtaken = True  # another process wrote since this run read the rows
        self._generation = current + 1
        self._db.execute(
            "INSERT OR REPLACE INTO generation VALUES (?, ?)", (self._run, current + 1)
        )

    def _write_in_transaction(self, statement: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            self._db.executemany(statement, rows)

    def _read_generation(self) -> int:
        row = self._db.execute("SELECT n FROM generation WHERE run = ?", (self._run,)).fetchone()
        return 0 if row is None else int(row[0])

    # -- cross-article findings, per file ---------------------------------------

    def corpus(self, paths: Sequence[str]) -> dict[str, CorpusEntry]:
        """The remembered cross-article findings of ``paths`` that still hold.

        A row that is not a member of the index, that changed since this run read it,
        or whose findings were dropped, is left out (to be found again). Decodes only
        the rows with findings.
        """
        if not self._usable or not paths or self._dropped_all:
            return {}
        found: dict[str, CorpusEntry] = {}
        texts_of: dict[str, str] = {}
        for path in paths:
            key = self.key(path)
            state = self._corpus_state.get(key)
            if state is None or key in self._dropped or key not in self._members:
                continue
            if state[0] == 1:
                found[path] = CorpusEntry((), bool(state[1]), state[2])
            else:
                texts_of[key] = path
        texts = self._texts("corpus", list(texts_of), len(self._signatures), _NO_DIAGNOSTICS)
        for key, row in texts.items():
            path = texts_of[key]
            if self._signatures.get(key) != tuple(row[1:5]):
                continue
            findings = _decode_findings(path, row[5])
            if findings is not None:
                state = self._corpus_state[key]
                found[path] = CorpusEntry(findings, bool(state[1]), state[2])
        return found

    def put_corpus(self, found: Mapping[str, CorpusEntry]) -> None:
        """Remember the cross-article findings of each file, unless another process
        changed a row since this run read them (they may have been found against it)."""
        if not self._usable or not found or self._overtaken:
            return
        rows = []
        for path, entry in found.items():
            key = self.key(path)
            signature = self._signatures.get(key)
            if signature is None:
                continue
            try:
                text = (
                    _NO_DIAGNOSTICS
                    if not entry.findings
                    else _dumps(
                        [
                            {k: v for k, v in _plain(d).items() if k != "path" or v != path}
                            for d in entry.findings
                        ]
                    )
                )
            except (ValueError, TypeError, RecursionError):
                continue
            state = 1 if text == _NO_DIAGNOSTICS else 2
            rows.append(
                (
                    None if state == 1 else text,
                    state,
                    int(entry.clocked),
                    entry.clock_ns,
                    self._run,
                    key,
                    *signature,
                )
            )
        try:
            with self._db:
                current = self._read_generation()
                if current != self._generation:
                    self._overtaken = True
                    return
                self._bump(current)
                self._db.executemany(
                    "UPDATE files SET corpus = ?, corpus_state = ?, clocked = ?,"
                    " corpus_clock_ns = ? WHERE run = ? AND path = ? AND member = 1"
                    " AND size = ? AND mtime_ns = ? AND ctime_ns = ? AND digest = ?",
                    rows,
                )
        except sqlite3.DatabaseError as error:
            self._fail(error)

    def put_positions(self, positions: Mapping[str, Mapping[str, Span]]) -> None:
        """Remember where cross-article findings point, so warm runs parse nothing."""
        for path, found in positions.items():
            self._positions[path] = dict(found)  # small ints: always storable
        rows = [(_dumps(found), self._run, self.key(path)) for path, found in positions.items()]
        self._write("UPDATE files SET positions = ? WHERE run = ? AND path = ?", rows)

    def _check_assets(self, depends: str) -> bool:
        try:
            reads = json.loads(depends)
            for relative, existed in reads:
                if self._asset_exists(relative) != existed:
                    return False
        except (ValueError, TypeError, RecursionError):
            return False
        return True

    def _asset_exists(self, relative: str) -> bool:
        known = self._assets.get(relative)
        if known is None:
            known = self._root is not None and inputs.is_file(os.path.join(self._root, relative))
            self._assets[relative] = known
        return known

    # -- links (curate links, lint --online) -------------------------------------

    def get_link(self, url: str, kind: str, max_age: float) -> dict[str, Any] | None:
        try:
            row = self._db.execute(
                "SELECT result, checked_at FROM links WHERE url = ? AND kind = ?", (url, kind)
            ).fetchone()
        except sqlite3.DatabaseError:
            return None
        if row is None or time.time() - row[1] > max_age:
            return None
        try:
            value = json.loads(row[0])
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None

    def put_link(self, url: str, kind: str, result: dict[str, Any]) -> None:
        with contextlib.suppress(sqlite3.Error), self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?)",
                (url, kind, json.dumps(result), time.time()),
            )

    # -- failures --------------------------------------------------------------

    def _write(self, statement: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        try:
            with self._db:
                self._db.executemany(statement, rows)
        except sqlite3.DatabaseError as error:
            self._fail(error)

    def _fail(self, error: sqlite3.DatabaseError) -> None:
        """Locked: say so and go on uncached. Broken: drop it so the next run starts clean."""
        self._usable = False
        if isinstance(error, sqlite3.OperationalError) and _is_locked(error):
            self.warnings.append(_locked_message(self.path))
            return
        self.close()
        _remove_database(self.path)


def _run_id(connection: sqlite3.Connection, fingerprint: str) -> int:
    """The number of the kind of run ``fingerprint`` (a new one the first time)."""
    row = connection.execute("SELECT id FROM runs WHERE fingerprint = ?", (fingerprint,)).fetchone()
    if row is None:
        with connection:
            connection.execute(
                "INSERT OR IGNORE INTO runs (fingerprint) VALUES (?)", (fingerprint,)
            )
        row = connection.execute(
            "SELECT id FROM runs WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
    return int(row[0])


def _storable(key: str) -> str:
    """``key`` as SQLite can store it: a name that is not UTF-8 (kept by Python as lone
    surrogates) becomes its bytes in hex, behind a NUL no file name contains."""
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return "\0bytes:" + os.fsencode(key).hex()
    return key


def _is_locked(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _locked_message(path: Path) -> str:
    return (
        f"the cache {path} is locked by another process; "
        f"this run is not cached (waited {BUSY_TIMEOUT_S:g} s)"
    )


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        if connection.execute("PRAGMA user_version").fetchone()[0] != FORMAT:
            _migrate(connection)
    except sqlite3.DatabaseError:
        connection.close()
        raise
    connection.isolation_level = "DEFERRED"
    return connection


def _migrate(connection: sqlite3.Connection) -> None:
    """Create the tables, dropping any written by another version (under a write lock)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        if connection.execute("PRAGMA user_version").fetchone()[0] != FORMAT:
            connection.execute("DROP TABLE IF EXISTS files")
            connection.execute("DROP TABLE IF EXISTS links")
            connection.execute("DROP TABLE IF EXISTS memo")
            connection.execute("DROP TABLE IF EXISTS generation")
            connection.execute("DROP TABLE IF EXISTS runs")
            connection.execute("DROP TABLE IF EXISTS lookup")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {FORMAT}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(f"{path}{suffix}").unlink()


def clear(directory: Path) -> bool:
    """Delete the cache database in ``directory``; True if there was one."""
    existed = (directory / DB_NAME).exists()
    _remove_database(directory / DB_NAME)
    return existed


def describe(directory: Path) -> str:
    """A few lines about the cache in ``directory`` (``curate cache info``)."""
    path = directory / DB_NAME
    if not path.exists():
        return f"no cache in {directory}"
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            if db.execute("PRAGMA user_version").fetchone()[0] != FORMAT:
                return f"{path}: written by another version of curate; the next run rebuilds it"
            files, runs = db.execute("SELECT COUNT(*), COUNT(DISTINCT run) FROM files").fetchone()
            links = db.execute("SELECT COUNT(*) FROM links").fetchone()[0]
    except sqlite3.DatabaseError as error:
        return f"{path}: unreadable ({error}); the next run rebuilds it"
    size = sum(
        Path(f"{path}{suffix}").stat().st_size
        for suffix in ("", "-wal")
        if Path(f"{path}{suffix}").exists()
    )
    kinds = "kind of run" if runs == 1 else "kinds of run"
    return (
        f"{path}\n{files} file results from {runs} {kinds} (commands and settings), "
        f"{links} link results, {size / 1024:.0f} KiB"
    )


# -- values as JSON, by field name ----------------------------------------------------


class _Malformed(Exception):
    """A stored value is not what this version writes."""


_MALFORMED: Any = object()


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _plain(value: Any) -> Any:
    """``value`` as JSON values: NamedTuples and dataclasses by field name."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: _plain(item) for name, item in zip(value._fields, value, strict=True)}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, frozenset):
        return sorted(_plain(item) for item in value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


@cache
def _decoder(hint: Any) -> Callable[[Any], Any]:
    """A function turning JSON values back into a value of type ``hint``, strictly.

    Built once per type from its annotations, so a field added to a stored value
    needs no code here. Anything unexpected raises :class:`_Malformed`.
    """
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    simple = _simple_kinds(hint)
    if simple is not None:
        return _exactly(*simple)
    if origin is typing.Union or origin is types.UnionType:
        if len(args) == 2 and type(None) in args:
            inner = _decoder(next(arg for arg in args if arg is not type(None)))
            return lambda value: None if value is None else inner(value)
        options = [_decoder(arg) for arg in args]

        def union(value: Any) -> Any:
            for option in options:
                try:
                    return option(value)
                except _Malformed:
                    continue
            raise _Malformed

        return union
    if origin in (tuple, frozenset):
        if origin is frozenset or (len(args) == 2 and args[1] is Ellipsis):
            item = _decoder(args[0])
            build = tuple if origin is tuple else frozenset
            kinds = _simple_kinds(args[0])

            def sequence(value: Any) -> Any:
                if type(value) is not list:
                    raise _Malformed
                if kinds is not None:
                    for entry in value:
                        if type(entry) not in kinds:
                            raise _Malformed
                    return build(value)
                return build(item(entry) for entry in value)

            return sequence
        items = [_decoder(arg) for arg in args]

        def fixed(value: Any) -> Any:
            if type(value) is not list or len(value) != len(items):
                raise _Malformed
            return tuple(item(entry) for item, entry in zip(items, value, strict=True))

        return fixed
    if origin in (dict, Mapping, typing.Mapping):
        key = _key_decoder(args[0])
        item = _decoder(args[1])

        def mapping(value: Any) -> Any:
            if type(value) is not dict:
                raise _Malformed
            return {key(k): item(v) for k, v in value.items()}

        return mapping
    if hint is Any:
        return lambda value: value
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            members = {member.value: member for member in hint}

            def member(value: Any) -> Any:
                try:
                    return members[value]
                except (KeyError, TypeError):
                    raise _Malformed from None

            return member
        if (issubclass(hint, tuple) and hasattr(hint, "_fields")) or dataclasses.is_dataclass(hint):
            return _record_decoder(hint)
    raise TypeError(f"the cache cannot store values of type {hint!r}")


#: JSON values that are already the Python value, and the types they stand for.
_SIMPLE: dict[Any, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    bool: (bool,),
    float: (float, int),
    type(None): (type(None),),
}


def _simple_kinds(hint: Any) -> frozenset[type] | None:
    """The JSON types a value of ``hint`` may have, if it needs no conversion."""
    if hint in _SIMPLE:
        return frozenset(_SIMPLE[hint])
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        kinds: set[type] = set()
        for arg in typing.get_args(hint):
            if arg not in _SIMPLE:
                return None
            kinds.update(_SIMPLE[arg])
        return frozenset(kinds)
    return None


def _exactly(*kinds: type) -> Callable[[Any], Any]:
    allowed = frozenset(kinds)

    def check(value: Any) -> Any:
        if type(value) not in allowed:
            raise _Malformed
        return value

    return check


def _key_decoder(hint: Any) -> Callable[[str], Any]:
    if hint is int:

        def integer(key: str) -> int:
            if not key.lstrip("-").isdigit():
                raise _Malformed
            return int(key)

        return integer
    return _exactly(str)


def _record_decoder(cls: type) -> Callable[[Any], Any]:
    if _is_record(cls):
        return _tuple_decoder(cls, ())
    hints = {
        name: hint for name, hint in typing.get_type_hints(cls).items() if not name.startswith("_")
    }
    # Most fields are plain JSON values: checked inline, without a call each.
    simple = {name: kinds for name, hint in hints.items() if (kinds := _simple_kinds(hint))}
    converted = {name: _decoder(hint) for name, hint in hints.items() if name not in simple}

    def build_fields(value: Any) -> Any:
        if type(value) is not dict:
            raise _Malformed
        fields = {}
        try:
            for name, item in value.items():
                kinds = simple.get(name)
                if kinds is None:
                    fields[name] = converted[name](item)
                elif type(item) in kinds:
                    fields[name] = item
                else:
                    raise _Malformed
            return cls(**fields)
        except (KeyError, TypeError):
            raise _Malformed from None

    return build_fields


def _is_record(hint: Any) -> bool:
    """Whether ``hint`` is a NamedTuple class."""
    return isinstance(hint, type) and issubclass(hint, tuple) and hasattr(hint, "_fields")


@cache
def _tuple_decoder(cls: type, given: tuple[str, ...]) -> Callable[..., Any]:
    """A decoder for the NamedTuple ``cls``, generated once from its annotations.

    It takes the stored JSON object, then the fields named in ``given`` (those left out
    of a stored row, such as its path). Plain fields, and tuples of plain values, are
    checked inline: a warm run decodes ten thousand records with one call each. Exactly
    as strict as a field-by-field decode: a missing field without a default, a field
    of another type or a field the class does not have raises :class:`_Malformed`
    (a stored value of a ``given`` field is replaced, as ``{**stored, "path": path}`` would).
    """
    hints = typing.get_type_hints(cls)
    defaults: dict[str, Any] = getattr(cls, "_field_defaults", {})
    fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    names: dict[str, Any] = {"_Malformed": _Malformed, "_MISSING": object(), "_new": tuple.__new__}
    names["_cls"] = cls
    required = 0
    lines = [f"def decode(value, {', '.join(given)}):" if given else "def decode(value):"]
    lines.append("    if type(value) is not dict: raise _Malformed")
    lines.append("    get = value.get")
    lines.append("    present = 0")
    for index, name in enumerate(fields):
        if name in given:  # a stored value of it is allowed, and replaced
            lines.append(f"    if {name!r} in value: present += 1")
            continue
        hint = hints[name]
        var = f"v{index}"
        if name in defaults:
            names[f"_default{index}"] = defaults[name]
            lines.append(f"    {var} = get({name!r}, _MISSING)")
            lines.append(f"    if {var} is _MISSING: {var} = _default{index}")
            lines.append("    else:")
            lines.append("        present += 1")
            indent = " " * 8
        else:
            required += 1
            lines.append(f"    {var} = value[{name!r}]")  # a KeyError if missing
            indent = " " * 4
        kinds = _simple_kinds(hint)
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        items = (
            _simple_kinds(args[0])
            if origin is tuple and len(args) == 2 and args[1] is Ellipsis
            else None
        )
        if kinds is not None:
            names[f"_kinds{index}"] = kinds
            lines.append(f"{indent}if type({var}) not in _kinds{index}: raise _Malformed")
        elif origin is tuple and len(args) == 2 and args[1] is Ellipsis and _is_record(args[0]):
            names[f"_item{index}"] = _tuple_decoder(args[0], ())
            lines.append(f"{indent}if type({var}) is not list: raise _Malformed")
            lines.append(f"{indent}{var} = tuple([_item{index}(item) for item in {var}])")
        elif items is not None:
            names[f"_kinds{index}"] = items
            lines.append(f"{indent}if type({var}) is not list: raise _Malformed")
            lines.append(f"{indent}for item in {var}:")
            lines.append(f"{indent}    if type(item) not in _kinds{index}: raise _Malformed")
            lines.append(f"{indent}{var} = tuple({var})")
        else:
            names[f"_convert{index}"] = _decoder(hint)
            lines.append(f"{indent}{var} = _convert{index}({var})")
    lines.append(f"    if len(value) != present + {required}: raise _Malformed")
    values = ", ".join(name if name in given else f"v{index}" for index, name in enumerate(fields))
    lines.append(f"    return _new(_cls, ({values},))")
    body = ("  " + line for line in lines[1:])
    ending = ("  except KeyError:", "    raise _Malformed from None")
    source = "\n".join([lines[0], "  try:", *body, *ending])
    exec(source, names)  # code built above from the class's own annotations
    decode: Callable[..., Any] = names["decode"]
    return decode


#: The stored types' fields: a change of any of them makes old rows misses.
_LAYOUT = hashlib.sha256(
    repr([typing.get_type_hints(cls) for cls in (Diagnostic, ArticleRecord, Suppressions)]).encode()
).hexdigest()[:12]

_NO_DIAGNOSTICS = "[]"
#: Values bound in one statement (SQLite allows at least 999).
_CHUNK = 500
_NO_SUPPRESSIONS = "null"


def encode_row(report: FileReport, provenance: Provenance) -> tuple[str, str, str] | None:
    """The diagnostics, the record and the assets read, as :meth:`Store.put` stores them;
    None if they cannot be stored (an integer of 5,000 digits): checked again next time."""
    try:
        diagnostics, record = _encode_report(report)
        return diagnostics, record, _dumps([list(read) for read in provenance.assets])
    except (ValueError, TypeError, RecursionError):
        return None


def _encode_report(report: FileReport) -> tuple[str, str]:
    """The diagnostics and the suppressions, and the record, as two JSON texts.

    Paths are left out: a file's findings are about the file, whatever its spelling.
    The same texts as :func:`_plain` gives, built field by field: a cold run encodes
    every report of the site.
    """
    path = report.path
    found = [_encode_diagnostic(d, path) for d in report.diagnostics]
    suppressions = report.suppressions if report.suppressions else None
    diagnostics = (
        _NO_DIAGNOSTICS
        if not found and suppressions is None
        else _dumps([found, _plain(suppressions)])
    )
    record = report.record
    if record is None:
        return diagnostics, "null"
    values: dict[str, Any] = dict(zip(_RECORD_FIELDS, record, strict=True))
    del values["path"]
    if record.related:
        values["related"] = [dict(zip(_REF_FIELDS, ref, strict=True)) for ref in record.related]
    return diagnostics, _dumps(values)


_RECORD_FIELDS = ArticleRecord._fields
_REF_FIELDS = RelatedRef._fields


def _encode_diagnostic(diagnostic: Diagnostic, path: str) -> dict[str, Any]:
    """A diagnostic as JSON values, without its path when it is ``path``."""
    if diagnostic.fix is not None:
        return {k: v for k, v in _plain(diagnostic).items() if k != "path" or v != path}
    found: dict[str, Any] = {} if diagnostic.path == path else {"path": diagnostic.path}
    found["line"] = diagnostic.line
    found["column"] = diagnostic.column
    found["code"] = diagnostic.code
    found["severity"] = diagnostic.severity.value
    found["message"] = diagnostic.message
    found["name"] = diagnostic.name
    found["pointer"] = diagnostic.pointer
    found["end_line"] = diagnostic.end_line
    found["end_column"] = diagnostic.end_column
    found["fix"] = None
    return found


def _decode_report(path: str, diagnostics: str, record: str, complete: bool) -> FileReport | None:
    """A stored report of the file now at ``path``, or None if the row does not decode."""
    try:
        found: tuple[Diagnostic, ...] = ()
        suppressions = None
        if diagnostics != _NO_DIAGNOSTICS:
            rows, stored_suppressions = json.loads(diagnostics)
            if type(rows) is not list:
                raise _Malformed
            decode = _decoder(Diagnostic)
            found = tuple(decode({"path": path, **row}) for row in rows)
            suppressions = _decoder(Suppressions | None)(stored_suppressions)
    except (_Malformed, ValueError, TypeError, RecursionError):
        return None
    decoded = _decode_record(path, record)
    if decoded is _MALFORMED:
        return None
    return FileReport(path, found, decoded, suppressions, complete)


def _decode_record(path: str, raw: str) -> ArticleRecord | None:
    """The stored record of the file now at ``path``, None, or _MALFORMED."""
    if raw == "null":
        return None
    try:
        record: ArticleRecord = _tuple_decoder(ArticleRecord, ("path",))(json.loads(raw), path)
    except (_Malformed, ValueError, TypeError, RecursionError):
        return _MALFORMED  # type: ignore[no-any-return]
    return record


def _text_of(
    texts: Mapping[str, tuple[Any, ...]], key: str, signature: tuple[Any, ...], default: str
) -> str | None:
    """The text read by :meth:`Store._texts` for ``key``; None if the row changed since."""
    row = texts.get(key)
    if row is None:
        return default
    if tuple(row[1:5]) != signature:
        return None
    text: str = row[5]
    return text


#: In a set of affected keys: every row's cross-article findings are affected.
_EVERY = "\0every"


def _affected_by(record: str, key: str) -> set[str]:
    """The lookup keys a stored record text affects (every row's if it does not decode)."""
    if record == "null":
        return set()
    decoded = _decode_record(key, record)
    if decoded is _MALFORMED:
        return {_EVERY}
    return set() if decoded is None else affects(decoded, key)


def _decode_findings(path: str, raw: str) -> tuple[Diagnostic, ...] | None:
    try:
        rows = json.loads(raw)
        if type(rows) is not list:
            raise _Malformed
        decode = _decoder(Diagnostic)
        return tuple(decode({"path": path, **row}) for row in rows)
    except (_Malformed, ValueError, TypeError, RecursionError):
        return None


def _decode_positions(raw: str) -> dict[str, Span] | None:
    try:
        positions: dict[str, Span] = _decoder(dict[str, Span])(json.loads(raw))
    except (_Malformed, ValueError, TypeError, RecursionError):
        return None
    return positions
