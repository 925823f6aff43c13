"""The embedded store: per-file results and link checks in one SQLite file.

Lives in ``<site root>/.curate_cache/cache.sqlite3`` (with its own ``.gitignore``).

* A file's result is reused when its path, size, mtime and ctime match and the run's
  fingerprint (curate version, schema, settings, rule set, site taxonomy and
  assets) is the same. The ctime changes on every write, even when a tool puts the
  old mtime back, as git's index relies on. A file modified within two seconds of being checked is
  "racily clean" (as git calls it): its content hash decides, so an edit in the
  same second with the same size is never missed.
* Results are stored as JSON, never pickled: a cache file is data, and one that
  cannot be read is rebuilt, not trusted.
* WAL mode and a busy timeout let several curate processes (pre-commit runs hooks
  in parallel) share the file; if it stays locked, the run goes on uncached.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curate.__about__ import __version__
from curate.corpus import ArticleRecord, RelatedRef, Site
from curate.loading import NO_SUPPRESSIONS, Suppressions
from curate.model import Diagnostic, Fix, Severity

if TYPE_CHECKING:
    from curate.config import Settings
    from curate.engine import FileReport

CACHE_DIR_NAME = ".curate_cache"
DB_NAME = "cache.sqlite3"
#: Bump when the stored layout changes; old rows are then ignored.
FORMAT = 5
#: Files modified this close to (or after) the time they were checked are hashed.
RACY_WINDOW_NS = 2_000_000_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    fingerprint TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL,
    checked_ns INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    diagnostics TEXT NOT NULL,
    record TEXT NOT NULL,
    positions TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (fingerprint, path)
);
CREATE TABLE IF NOT EXISTS memo (
    fingerprint TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    clock_ns INTEGER NOT NULL,
    diagnostics TEXT NOT NULL,
    clocked TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS links (
    url TEXT NOT NULL,
    kind TEXT NOT NULL,
    result TEXT NOT NULL,
    checked_at REAL NOT NULL,
    PRIMARY KEY (url, kind)
);
"""


def default_cache_dir(site: Site) -> Path:
    return (site.root or Path.cwd()) / CACHE_DIR_NAME


def cache_factory(settings: Settings) -> Callable[[Site, str], Store | None] | None:
    """What the engine calls to open the cache for a run, or None with --no-cache."""
    if not settings.cache:
        return None

    def open_for(site: Site, fingerprint: str) -> Store | None:
        directory = settings.cache_dir or default_cache_dir(site)
        return Store.open(
            directory, f"{FORMAT}|{__version__}|{fingerprint}|{site_fingerprint(site)}"
        )

    return open_for


def site_fingerprint(site: Site) -> str:
    """What of the site changes lint results: config, taxonomy, organizations, assets."""
    if site.root is None:
        return "-"
    digest = hashlib.sha256()
    digest.update(repr((site.url, site.baseurl, site.exclude, site.topics)).encode())
    digest.update(repr(sorted(site.organizations or ())).encode())
    assets = site.root / "assets"
    if assets.is_dir():
        for current, dirnames, filenames in os.walk(assets):
            dirnames.sort()
            digest.update(current.encode())
            digest.update("\0".join(sorted(filenames)).encode())
    return digest.hexdigest()[:16]


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
    except OSError:
        return None


class Store:
    """One open cache database, bound to the fingerprint of the current run."""

    def __init__(self, connection: sqlite3.Connection, fingerprint: str, path: Path) -> None:
        self._db = connection
        self.fingerprint = fingerprint
        self.path = path
        self._started_ns = time.time_ns()
        self._stats: dict[str, tuple[int, int, int]] = {}
        self._raw_records: dict[str, str] = {}

    @classmethod
    def open(cls, directory: Path, fingerprint: str) -> Store | None:
        """Open (or create, or rebuild if corrupt) the cache; None if it cannot be used."""
        parent = directory.parent
        if not directory.exists() and parent.exists() and parent.stat().st_mode & 0o222 == 0:
            return None  # a read-only site (a shared copy, a release tarball): run uncached
        try:
            directory.mkdir(parents=True, exist_ok=True)
            ignore = directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by curate: the cache is not for version control.\n*\n")
        except OSError:
            return None
        path = directory / DB_NAME
        for attempt in range(2):
            try:
                return cls(_connect(path), fingerprint, path)
            except sqlite3.DatabaseError:
                if attempt == 0:
                    _remove_database(path)
        return None

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()

    def lookup(
        self,
        paths: Sequence[str],
        *,
        records: bool = True,
        lazy: bool = False,
        reported: Collection[str] | None = None,
    ) -> dict[str, FileReport]:
        """Reports still valid for ``paths``; stale, unreadable or missing rows are misses.

        ``records=False`` leaves out the index records (a plain validate needs none),
        which saves most of the decoding. ``lazy=True`` keeps them undecoded until
        :meth:`decode_records` asks: a lint run that reuses its remembered
        cross-article findings never needs them. Only the files in ``reported``
        (default: all) get their findings decoded; the others are only indexed.
        """
        columns = "diagnostics, record, positions" if records else "diagnostics, 'null', '{}'"
        try:
            rows = self._db.execute(
                f"SELECT path, size, mtime_ns, ctime_ns, digest, checked_ns, complete, {columns} "
                "FROM files WHERE fingerprint = ?",
                (self.fingerprint,),
            ).fetchall()
        except sqlite3.DatabaseError:
            self._recover()
            return {}
        stored = {row[0]: row[1:] for row in rows}
        found: dict[str, FileReport] = {}
        for path in paths:
            try:
                status = os.stat(path)
            except OSError:
                continue
            signature = (status.st_size, status.st_mtime_ns, status.st_ctime_ns)
            self._stats[path] = signature
            row = stored.get(path)
            if row is None or tuple(row[:3]) != signature:
                continue
            digest, checked_ns, complete, diagnostics, record, positions = row[3:]
            racy = max(signature[1], signature[2]) >= checked_ns - RACY_WINDOW_NS
            if racy and _digest(path) != digest:
                continue
            if lazy:
                self._raw_records[path] = record
                record = "null"
            if reported is not None and path not in reported:
                diagnostics = _NO_DIAGNOSTICS
            decoded = _decode_report(path, diagnostics, record, positions, bool(complete))
            if decoded is not None:
                found[path] = decoded
        return found

    def decode_records(self, reports: Sequence[FileReport]) -> list[FileReport]:
        """``reports`` from a lazy :meth:`lookup`, with their records decoded."""
        decoded = []
        for report in reports:
            raw = self._raw_records.get(report.path)
            if raw is None:  # not from this cache: checked in this run, record at hand
                decoded.append(report)
                continue
            record = None
            if raw != "null":
                try:
                    record = _decode_record(json.loads(raw))
                except (ValueError, TypeError, IndexError):
                    record = None
            decoded.append(dataclasses.replace(report, record=record))
        return decoded

    def mentioning(self, paths: Sequence[str], needles: Iterable[str]) -> list[str]:
        """Those of ``paths`` whose undecoded record contains one of ``needles``.

        A cheap pre-filter on the stored JSON (``needles`` are escaped the same way);
        a false hit only costs a decode.
        """
        texts = sorted({json.dumps(needle)[1:-1] for needle in needles})
        if not texts:
            return []
        pattern = re.compile("|".join(map(re.escape, texts)))
        found = []
        for path in paths:
            raw = self._raw_records.get(path)
            if raw is not None and pattern.search(raw):
                found.append(path)
        return found

    def state(self, reported: Sequence[str], indexed: Sequence[str]) -> str | None:
        """A digest of which files are reported, which only indexed, and their stat signatures.

        All were stat-ed by :meth:`lookup`; None when one is missing.
        """
        digest = hashlib.blake2b(digest_size=16)
        for group in (reported, indexed):
            for path in group:
                signature = self._stats.get(path)
                if signature is None:
                    return None
                digest.update(f"{path}\0{signature}\0".encode())
            digest.update(b"\1")
        return digest.hexdigest()

    def get_memo(self, state: str) -> tuple[int, list[Diagnostic], list[FileReport]] | None:
        """The remembered cross-article findings of the site in ``state``, if any.

        Returns the clock they were found at, the findings of the rules that do not
        read the clock, and the reports on which a clock rule fired (to run it again).
        """
        try:
            row = self._db.execute(
                "SELECT clock_ns, diagnostics, clocked FROM memo"
                " WHERE fingerprint = ? AND state = ?",
                (self.fingerprint, state),
            ).fetchone()
            if row is None:
                return None
            found = _decode_diagnostics(json.loads(row[1]))
            clocked = []
            for path, diagnostics, record, positions in json.loads(row[2]):
                report = _decode_report(path, diagnostics, record, positions, True)
                if report is None:
                    return None
                clocked.append(report)
        except (sqlite3.DatabaseError, ValueError, TypeError, KeyError):
            return None
        return int(row[0]), found, clocked

    def put_memo(
        self,
        state: str,
        clock_ns: int,
        diagnostics: Sequence[Diagnostic],
        clocked: Sequence[FileReport],
    ) -> None:
        """Remember the cross-article findings of the site in ``state`` (one per fingerprint)."""
        encoded = [
            [
                report.path,
                *_encode_report(report),
                json.dumps({key: list(value) for key, value in report.positions.items()}),
            ]
            for report in clocked
        ]
        with contextlib.suppress(sqlite3.Error), self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO memo VALUES (?, ?, ?, ?, ?)",
                (
                    self.fingerprint,
                    state,
                    clock_ns,
                    json.dumps(_encode_diagnostics(diagnostics), separators=(",", ":")),
                    json.dumps(encoded, separators=(",", ":")),
                ),
            )

    def store(self, reports: Sequence[FileReport]) -> None:
        rows = []
        for report in reports:
            stat = self._stats.get(report.path)
            digest = _digest(report.path)
            if stat is None or digest is None:
                continue
            rows.append(
                (
                    self.fingerprint,
                    report.path,
                    *stat,
                    digest,
                    self._started_ns,
                    int(report.complete),
                    *_encode_report(report),
                )
            )
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO files (fingerprint, path, size, mtime_ns, ctime_ns,"
                    " digest, checked_ns, complete, diagnostics, record)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.OperationalError:
            pass  # locked by another curate for too long: this run stays uncached
        except sqlite3.DatabaseError:
            self._recover()

    def store_positions(self, positions: Mapping[str, Mapping[str, tuple[int, int]]]) -> None:
        """Remember where cross-article findings point, so warm runs parse nothing."""
        rows = [
            (json.dumps(found, separators=(",", ":")), self.fingerprint, path)
            for path, found in positions.items()
        ]
        try:
            with self._db:
                self._db.executemany(
                    "UPDATE files SET positions = ? WHERE fingerprint = ? AND path = ?", rows
                )
        except sqlite3.OperationalError:
            pass  # locked: the positions are found again next time
        except sqlite3.DatabaseError:
            self._recover()

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
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def put_link(self, url: str, kind: str, result: dict[str, Any]) -> None:
        with contextlib.suppress(sqlite3.Error), self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?)",
                (url, kind, json.dumps(result), time.time()),
            )

    def _recover(self) -> None:
        """The database went bad mid-run: drop it so the next run starts clean."""
        self.close()
        _remove_database(self.path)
        self._db = sqlite3.connect(":memory:")
        self._db.executescript(_SCHEMA)


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=10.0, isolation_level=None)
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
            files, runs = db.execute(
                "SELECT COUNT(*), COUNT(DISTINCT fingerprint) FROM files"
            ).fetchone()
            links = db.execute("SELECT COUNT(*) FROM links").fetchone()[0]
    except sqlite3.DatabaseError as error:
        return f"{path}: unreadable ({error}); the next run rebuilds it"
    size = sum(
        Path(f"{path}{suffix}").stat().st_size
        for suffix in ("", "-wal")
        if Path(f"{path}{suffix}").exists()
    )
    return (
        f"{path}\n{files} file results for {runs} configuration(s), "
        f"{links} link results, {size / 1024:.0f} KiB"
    )


_NO_DIAGNOSTICS = "[[],{},null]"
_SEVERITIES = {severity.value: severity for severity in Severity}


def _encode_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[list[Any]]:
    return [
        [d.path, d.line, d.column, d.code, d.severity.value, d.message, d.name, list(d.pointer)]
        + ([d.end_line, d.end_column, d.fix and d.fix.encode()] if d.end_line or d.fix else [])
        for d in diagnostics
    ]


def _decode_diagnostics(rows: Iterable[list[Any]]) -> list[Diagnostic]:
    return [
        Diagnostic(
            path,
            line,
            column,
            code,
            _SEVERITIES[severity],
            message,
            name,
            tuple(pointer),
            *((end[0], end[1], Fix.decode(end[2])) if end else ()),
        )
        for path, line, column, code, severity, message, name, pointer, *end in rows
    ]


def _encode_report(report: FileReport) -> tuple[str, str]:
    """The diagnostics (with the suppressions) and the record, as two JSON texts."""
    record = report.record
    diagnostics = [
        _encode_diagnostics(report.diagnostics),
        {str(line): sorted(codes) for line, codes in report.suppressions.by_line.items()},
        None if report.suppressions.whole_file is None else sorted(report.suppressions.whole_file),
    ]
    return (
        json.dumps(diagnostics, separators=(",", ":")),
        json.dumps(None if record is None else _encode_record(record), separators=(",", ":")),
    )


def _encode_record(record: ArticleRecord) -> list[Any]:
    return [
        record.path,
        record.title,
        record.published_at,
        record.web_url,
        record.original_url,
        record.amp_url,
        record.quality,
        record.heat,
        record.published,
        record.provider_name,
        record.provider_domain,
        list(record.topics),
        record.type,
        record.has_image,
        [
            [r.position, r.url, r.key, r.title, r.published_at, r.provider_domain, r.quality]
            for r in record.related
        ],
        list(record.url_keys),
        record.valid,
    ]


def _decode_report(
    path: str, diagnostics: str, record: str, positions: str, complete: bool
) -> FileReport | None:
    """A stored report, or None if the row is not what this version wrote."""
    from curate.engine import FileReport

    try:
        # Most files are clean: skip the parser for the common empty values.
        found, by_line, whole_file = (
            ([], {}, None) if diagnostics == _NO_DIAGNOSTICS else json.loads(diagnostics)
        )
        fields = json.loads(record)
        suppressions = (
            Suppressions(
                {int(line): frozenset(codes) for line, codes in by_line.items()},
                None if whole_file is None else frozenset(whole_file),
            )
            if by_line or whole_file is not None
            else NO_SUPPRESSIONS
        )
        return FileReport(
            path,
            tuple(_decode_diagnostics(found)),
            None if fields is None else _decode_record(fields),
            suppressions,
            complete,
            {}
            if positions == "{}"
            else {key: (line, column) for key, (line, column) in json.loads(positions).items()},
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _decode_record(fields: list[Any]) -> ArticleRecord:
    """The inverse of :func:`_encode_record`: the fields in order, lists back to tuples."""
    fields[_TOPICS] = tuple(fields[_TOPICS])
    fields[_RELATED] = tuple(map(RelatedRef._make, fields[_RELATED]))
    fields[_URL_KEYS] = tuple(fields[_URL_KEYS])
    return ArticleRecord._make(fields)


#: Positions of the tuple fields in an encoded record.
_TOPICS, _RELATED, _URL_KEYS = 11, 14, 15
