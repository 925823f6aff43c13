"""Replay: an unchanged run prints its stored output instead of running again.

As a build system reuses an output (ccache, make), the process entry keeps the
output of a run under the exact *invocation* (curate's version and source files,
the Python and its options, the arguments, the current folder, the environment, the
user and their groups, which standard streams are terminals and their size) with a
manifest of every *input* it read
(:mod:`curate.inputs`: each file opened, folder listed and path looked up, with its
``stat`` signature). The next identical invocation ``stat``-s the manifest; when
every signature still holds, it writes the stored stdout and stderr text, in the
order the run wrote and flushed them, and returns the stored exit code, before
Typer, Rich or the engine is imported.

Only runs that nothing but those inputs decides are stored: ``lint`` (not
``--fix``, ``--unsafe-fixes``, ``--diff`` or ``--online``), ``validate``, ``list``,
``stats`` and ``rank``, with the cache on, in the site's own cache folder; not a
run that read the time of day for its output (``rank``/``list`` without
``--now``) or on which a clock rule fired (DT002), nor one that read stdin, failed
(exit 2), wrote bytes past the text streams (or from a forked worker), lost its
reader (``| head``), had its terminal resized, or read an input modified within
:data:`RACY_WINDOW_NS` of its start (a later change in the same timestamp tick would
be invisible to ``stat``).
A stored run is not replayed while the clock reads earlier than when it was stored.

The results live in ``<site root>/.curate_cache/replay.sqlite3``, the
:data:`KEEP` most recently used; ``curate cache clear`` removes them. Anything wrong
with the file (locked, corrupt, unwritable) means "run normally", never an error.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
import zlib
from array import array

from curate import inputs
from curate.__about__ import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:  # the replay path imports only what it needs at run time
    from collections.abc import Callable, Sequence
    from typing import Any, TextIO

#: Bump when what is stored, or how, changes.
FORMAT = 1
DB_NAME = "replay.sqlite3"
#: Mirrors curate.cache.CACHE_DIR_NAME and curate.corpus.CONFIG_NAMES (tested).
CACHE_DIR_NAME = ".curate_cache"
CONFIG_NAMES = ("_config.yml", "_config.yaml")
#: Stored runs kept, the most recently used.
KEEP = 16
#: An input modified this close to (or after) the run's start is not trusted to stat.
RACY_WINDOW_NS = 2_000_000_000
BUSY_TIMEOUT_S = 0.2
#: The commands whose output only their inputs decide.
COMMANDS = frozenset({"lint", "validate", "list", "stats", "rank"})
#: Options that make a run change files, go on the network, or skip the cache.
NOT_REPLAYED = ("--fix", "--unsafe-fixes", "--diff", "--online", "--no-cache", "--cache-dir")
#: Environment entries a shell changes on its own, which no curate output depends on.
VOLATILE = frozenset({"_", "OLDPWD", "SHLVL"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    invocation TEXT PRIMARY KEY,
    exit_code INTEGER NOT NULL,
    paths BLOB NOT NULL,
    signatures BLOB NOT NULL,
    output BLOB NOT NULL,
    stored_ns INTEGER NOT NULL,
    used_ns INTEGER NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0
);
-- Replays since the file was made (those of evicted runs too): what cache info says.
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters VALUES ('replayed', 0);
"""

Chunk = tuple[int, "str | None"]  # (1 stdout or 2 stderr, text written; None: a flush)
Terminal = tuple[bool, "tuple[int, ...] | None"]  # a terminal?, and its (columns, lines)


def entry(args: Sequence[str], run: Callable[[list[str]], int]) -> int:
    """``run(args)``, or its stored result when the invocation and its inputs are unchanged."""
    args = list(args)
    try:
        invocation = Invocation.of(args)
    except Exception:  # replay is an optimisation: never the reason a run fails
        invocation = None
    if invocation is None:
        return run(args)
    stored = invocation.lookup()
    if stored is not None:
        return stored.replay()
    return invocation.record(run)


class Invocation:
    """An eligible command line in its context, and where its results are kept."""

    def __init__(self, args: list[str], folder: str) -> None:
        self.args = args
        #: The cache folder the run should use (checked against the one it did use).
        self.folder = folder
        self.database = os.path.join(folder, DB_NAME)
        self._key: str | None = None
        #: The terminals as the key saw them.
        self.terminals: list[Terminal] = []
        #: curate's own files, as the key saw them.
        self.fingerprint: list[tuple[str, inputs.Signature]] = []

    @classmethod
    def of(cls, args: list[str]) -> Invocation | None:
        """The invocation, if its command can be replayed at all (from the arguments alone)."""
        if not args or args[0] not in COMMANDS:
            return None
        for arg in args:
            if arg in ("-h", "--help") or arg.startswith(NOT_REPLAYED):
                return None
        return cls(args, cache_folder(args[1:]))

    @property
    def key(self) -> str:
        if self._key is None:
            self.fingerprint = package_fingerprint()
            self.terminals = terminals()
            self._key = invocation_key(self.args, self.fingerprint, self.terminals)
        return self._key

    def lookup(self) -> Stored | None:
        if not os.path.isfile(self.database):
            return None
        try:
            with _closing(_connect(self.database)) as db:
                row = db.execute(
                    "SELECT exit_code, paths, signatures, output, stored_ns FROM runs"
                    " WHERE invocation = ?",
                    (self.key,),
                ).fetchone()
                if row is None:
                    return None
                code, paths, signatures, output, stored_ns = row
                if time.time_ns() < stored_ns:
                    # The clock was set back: a date rule that did not fire then may now.
                    return None
                inputs_held = Manifest.decode(paths, signatures)
                if inputs_held is None or not inputs_held.holds():
                    return None
                chunks = decode_tape(zlib.decompress(output))
                if chunks is None:
                    return None
                try:
                    with db:
                        db.execute(
                            "UPDATE runs SET used_ns = ?, hits = hits + 1 WHERE invocation = ?",
                            (time.time_ns(), self.key),
                        )
                        db.execute("UPDATE counters SET value = value + 1 WHERE name = 'replayed'")
                except sqlite3.Error:
                    pass  # another curate is writing: replayed all the same, not counted
                return Stored(code, chunks)
        except Exception:  # locked, corrupt, unreadable: run instead
            return None

    def record(self, run: Callable[[list[str]], int]) -> int:
        """Run, recording the output and the inputs; store the result if it may be replayed."""
        started = time.time_ns()
        try:
            self.key  # noqa: B018 - the invocation as it is before the run, not after
        except Exception:
            return run(self.args)
        tape = Tape()
        known = set(sys.modules)
        recorder = inputs.start(started)
        tape.install()
        stop_watching = _watch_resizes(tape)
        try:
            code = run(self.args)
        finally:
            stop_watching()
            tape.uninstall()
            inputs.stop()
        if terminals() != self.terminals:  # resized: the output is not the key's width
            tape.unfaithful = True
        try:
            _record_extensions(recorder, known)
            if self.storable(code, tape, recorder):
                self.store(code, tape, recorder)
        except Exception:
            pass  # not stored: the next run runs
        return code

    def storable(self, code: int, tape: Tape, recorder: inputs.Recorder) -> bool:
        if code not in (0, 1) or tape.unfaithful or recorder.stdin_read:
            return False
        if recorder.clock or recorder.clock_fired or recorder.inconsistent:
            return False
        # The run used the cache, without a word about it, in the folder a lookup reads.
        if not recorder.caches or any(
            folder != os.path.realpath(self.folder) for folder in recorder.caches
        ):
            return False
        if package_fingerprint() != self.fingerprint:  # curate itself edited meanwhile
            return False
        newest = recorder.started_ns - RACY_WINDOW_NS
        signatures = [*recorder.signatures.values(), *(s for _, s in self.fingerprint)]
        return all(signature[2] < newest and signature[3] < newest for signature in signatures)

    def store(self, code: int, tape: Tape, recorder: inputs.Recorder) -> None:
        paths = list(recorder.signatures)
        flat = array("q")
        for path in paths:
            flat.extend(recorder.signatures[path])
        now = time.time_ns()
        row = (
            self.key,
            code,
            zlib.compress("\0".join(paths).encode("utf-8", "surrogateescape"), 1),
            zlib.compress(flat.tobytes(), 1),
            zlib.compress(tape.encode(), 1),
            now,
            now,
        )
        try:
            self._insert(row)
        except sqlite3.DatabaseError as error:
            if "locked" in str(error) or "busy" in str(error):
                return  # another curate is writing: this result is not kept
            clear(self.folder)  # unreadable: start again
            self._insert(row)

    def _insert(self, row: tuple[Any, ...]) -> None:
        with _closing(_connect(self.database, create=True)) as db, db:
            db.execute(
                "INSERT OR REPLACE INTO runs (invocation, exit_code, paths, signatures, output,"
                " stored_ns, used_ns) VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            db.execute(
                "DELETE FROM runs WHERE invocation NOT IN"
                " (SELECT invocation FROM runs ORDER BY used_ns DESC LIMIT ?)",
                (KEEP,),
            )


def _record_extensions(recorder: inputs.Recorder, known: set[str]) -> None:
    """Compiled modules the run imported: loaded without an ``open`` the audit hook sees."""
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if name not in known and isinstance(path, str) and path.endswith((".so", ".pyd")):
            recorder.record(path)


class Manifest:
    """The inputs of a stored run, each with the signature it had when the run read it."""

    def __init__(self, paths: list[str], signatures: list[int]) -> None:
        self.paths = paths
        self.signatures = signatures

    @classmethod
    def decode(cls, paths: bytes, signatures: bytes) -> Manifest | None:
        names = zlib.decompress(paths).decode("utf-8", "surrogateescape").split("\0")
        flat = array("q")
        flat.frombytes(zlib.decompress(signatures))
        if len(flat) != len(names) * inputs.FIELDS:
            return None
        return cls(names, flat.tolist())

    def holds(self) -> bool:
        """Every input still has the signature it had when the run read it."""
        stat = os.stat
        expected = self.signatures
        at = 0
        for path in self.paths:
            try:
                status = stat(path)
            except OSError:
                if tuple(expected[at : at + 5]) != inputs.signature(path):
                    return False
            else:
                if (
                    status.st_mtime_ns != expected[at + 2]
                    or status.st_ctime_ns != expected[at + 3]
                    or status.st_size != expected[at + 1]
                    or status.st_ino != expected[at + 4]
                    or status.st_mode != expected[at]
                ):
                    return False
            at += 5
        return True


class Stored:
    """A stored run's output and exit code."""

    def __init__(self, code: int, chunks: list[Chunk]) -> None:
        self.code = code
        self.chunks = chunks

    def replay(self) -> int:
        """Write the stored output as the run did (writes and flushes, in order); its exit code."""
        streams = {1: sys.stdout, 2: sys.stderr}
        broken: set[int] = set()
        for number, text in self.chunks:
            if number in broken:
                continue
            stream = streams[number]
            try:
                if text is None:
                    stream.flush()
                else:
                    stream.write(text)
            except BrokenPipeError:
                broken.add(number)
                _silence(stream)
            except Exception:  # closed, or no stream at all: nowhere left to write
                broken.add(number)
        return self.code


def _silence(stream: TextIO) -> None:
    """What Python would still flush at exit goes nowhere (as curate.cli.errors does)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except Exception:
        pass


# -- the output --------------------------------------------------------------------


class Tape:
    """stdout and stderr as the run writes them: every write and flush, in order."""

    def __init__(self) -> None:
        self.chunks: list[Chunk] = []
        #: Output the tape cannot reproduce: bytes below the text layer, a reader gone.
        self.unfaithful = False
        self._saved: tuple[Any, Any, Any] | None = None
        self.pid = os.getpid()
        #: Where a forked worker that writes says so: its writes are not on this tape.
        self._pipe: tuple[int, int] | None = None

    def install(self) -> None:
        self.pid = os.getpid()
        try:
            self._pipe = os.pipe()
            os.set_blocking(self._pipe[0], False)
        except OSError:
            self._pipe = None
        self._saved = (sys.stdout, sys.stderr, sys.stdin)
        sys.stdout = _Tee(sys.stdout, 1, self)
        sys.stderr = _Tee(sys.stderr, 2, self)
        if sys.stdin is not None:
            sys.stdin = _Stdin(sys.stdin)

    def uninstall(self) -> None:
        if self._saved is not None:
            stdin = sys.stdin
            if isinstance(stdin, _Stdin) and stdin.touched:
                self.unfaithful = True
            sys.stdout, sys.stderr, sys.stdin = self._saved
            self._saved = None
        if self._pipe is not None:
            try:
                if os.read(self._pipe[0], 1):
                    self.unfaithful = True
            except BlockingIOError:
                pass  # no worker wrote
            except OSError:
                self.unfaithful = True
            for descriptor in self._pipe:
                os.close(descriptor)
            self._pipe = None

    def written_elsewhere(self) -> None:
        """A forked worker wrote to the inherited stream (the parent's tape never sees it)."""
        self.unfaithful = True
        if self._pipe is not None:
            import contextlib

            with contextlib.suppress(OSError):
                os.write(self._pipe[1], b"!")

    def encode(self) -> bytes:
        """A table of (stream, length in characters or -1 for a flush), then the text."""
        table = array("q")
        for number, text in self.chunks:
            table.extend((number, -1 if text is None else len(text)))
        text = "".join(text for _, text in self.chunks if text is not None)
        return b"%d\n" % len(table) + table.tobytes() + text.encode("utf-8", "surrogatepass")


def decode_tape(raw: bytes) -> list[Chunk] | None:
    try:
        end = raw.index(b"\n")
        count = int(raw[:end])
        table = array("q")
        size = count * table.itemsize
        table.frombytes(raw[end + 1 : end + 1 + size])
        text = raw[end + 1 + size :].decode("utf-8", "surrogatepass")
    except (ValueError, UnicodeDecodeError):
        return None
    if len(table) % 2:
        return None
    chunks: list[Chunk] = []
    at = 0
    numbers = table[0::2]
    lengths = table[1::2]
    for number, length in zip(numbers, lengths, strict=True):
        if number not in (1, 2) or length < -1:
            return None
        if length == -1:
            chunks.append((number, None))
        else:
            chunks.append((number, text[at : at + length]))
            at += length
    if at != len(text):
        return None
    return chunks


class _Tee:
    """A standard stream that records what goes through it, otherwise the stream itself.

    Every other attribute (isatty, fileno, encoding...) is the stream's, so that Rich
    and Click choose colour, width and encoding exactly as without it.
    """

    def __init__(self, stream: TextIO, number: int, tape: Tape) -> None:
        self._stream = stream
        self._number = number
        self._tape = tape

    def write(self, text: str) -> int:
        if os.getpid() != self._tape.pid:
            self._tape.written_elsewhere()
        try:
            written = self._stream.write(text)
        except BrokenPipeError:
            self._tape.unfaithful = True
            raise
        if type(text) is str:
            if text:
                self._tape.chunks.append((self._number, text))
        else:
            self._tape.unfaithful = True
        return written

    def writelines(self, lines: Sequence[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._tape.unfaithful = True
            raise
        self._tape.chunks.append((self._number, None))

    @property
    def buffer(self) -> Any:
        self._tape.unfaithful = True  # bytes written there are not on the tape
        return self._stream.buffer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Stdin:
    """Standard input that notes being read: a run that reads it is not replayed."""

    _QUIET = frozenset({"isatty", "fileno", "encoding", "errors", "closed", "name", "mode"})

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.touched = False

    def __getattr__(self, name: str) -> Any:
        if name not in self._QUIET:
            self.touched = True
        return getattr(self._stream, name)

    def __iter__(self) -> Any:
        self.touched = True
        return iter(self._stream)


# -- the invocation ----------------------------------------------------------------


def cache_folder(arguments: Sequence[str]) -> str:
    """The cache folder the run will use, worked out as the engine does, without it.

    The site root is ``--root``, else the nearest folder with ``_config.yml`` at or
    above the first argument that exists (else the current folder); the cache is in
    its ``.curate_cache`` (the current folder's without a site). A configuration that
    says otherwise only means the result is not stored.
    """
    root = None
    for at, arg in enumerate(arguments):
        if arg == "--root" and at + 1 < len(arguments):
            root = arguments[at + 1]
        elif arg.startswith("--root="):
            root = arg[len("--root=") :]
    if root is None:
        start = next(
            (arg for arg in arguments if not arg.startswith("-") and os.path.exists(arg)), "."
        )
        folder = os.path.abspath(start)
        if not os.path.isdir(folder):
            folder = os.path.dirname(folder)
        root = site_root(os.path.realpath(folder))
    return os.path.join(root if root is not None else os.getcwd(), CACHE_DIR_NAME)


def site_root(folder: str) -> str | None:
    while True:
        if any(os.path.isfile(os.path.join(folder, name)) for name in CONFIG_NAMES):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def terminals() -> list[Terminal]:
    """Which of stdin, stdout and stderr are terminals, and their sizes (Rich asks all three)."""
    found: list[Terminal] = []
    for descriptor in (0, 1, 2):
        try:
            tty = os.isatty(descriptor)
            size = tuple(os.get_terminal_size(descriptor)) if tty else None
        except OSError:
            tty, size = False, None
        found.append((tty, size))
    return found


def _watch_resizes(tape: Tape) -> Callable[[], None]:
    """Until the call it returns, a resized terminal (SIGWINCH) makes the tape unfaithful:
    Rich asks the width as it prints, so a run resized and back printed at two widths."""
    import signal  # the run imports it anyway (Click)

    def resized(number: int, frame: object) -> None:
        tape.unfaithful = True

    try:
        previous = signal.signal(signal.SIGWINCH, resized)
    except Exception:  # no SIGWINCH (Windows), or not the main thread
        return lambda: None

    def restore() -> None:
        signal.signal(signal.SIGWINCH, previous)

    return restore


def invocation_key(
    args: Sequence[str],
    fingerprint: list[tuple[str, inputs.Signature]],
    terminals: list[Terminal],
) -> str:
    """Everything, besides the files it reads, that a run's output can depend on."""
    environment = sorted((k, v) for k, v in os.environ.items() if k not in VOLATILE)
    # The streams as Rich sees them: in process they need not be descriptors 1 and 2.
    streams = [
        (getattr(stream, "encoding", None), getattr(stream, "errors", None), _isatty(stream))
        for stream in (sys.stdout, sys.stderr)
    ]
    # Who reads the files: the groups too (a file readable by a group the user just joined).
    identity = [
        getattr(os, name)()
        for name in ("getuid", "geteuid", "getgid", "getegid", "getgroups")
        if hasattr(os, name)
    ]
    return repr(
        [
            FORMAT,
            __version__,
            sys.version,
            sys.executable,
            tuple(sys.flags),
            sys.warnoptions,  # -W error makes a warning a failure
            getattr(sys, "_xoptions", None),
            sys.path,
            fingerprint,
            list(args),
            os.getcwd(),
            environment,
            terminals,
            streams,
            identity,
        ]
    )


def _isatty(stream: object) -> bool | None:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except Exception:  # no such method, or a closed stream
        return None


def package_fingerprint() -> list[tuple[str, inputs.Signature]]:
    """The signature of each of curate's own files: an edited checkout never replays."""
    top = os.path.dirname(os.path.abspath(__file__))
    found = []
    pending = [top]
    while pending:
        folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        pending.append(entry.path)
                else:
                    found.append((entry.path, inputs.signature(entry.path)))
    found.sort()
    return found


# -- the file ----------------------------------------------------------------------


def _connect(path: str, *, create: bool = False) -> sqlite3.Connection:
    if not create and not os.path.isfile(path):
        raise OSError(f"no {path}")
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        if create:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        # A cache: a torn write is a file rebuilt, never a wrong result (rows are checked).
        db.execute("PRAGMA synchronous=OFF")
    except BaseException:
        db.close()
        raise
    return db


class _closing:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()


def clear(folder: str | os.PathLike[str]) -> bool:
    """Delete the stored runs in the cache ``folder``; True if there were any."""
    path = os.path.join(folder, DB_NAME)
    import contextlib

    existed = os.path.exists(path)
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            os.unlink(path + suffix)
    return existed


def describe(folder: str | os.PathLike[str]) -> str | None:
    """One line for ``curate cache info``: how many runs are stored, how often replayed."""
    path = os.path.join(folder, DB_NAME)
    if not os.path.isfile(path):
        return None
    try:
        with _closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            runs = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            hits = db.execute("SELECT value FROM counters WHERE name = 'replayed'").fetchone()[0]
    except sqlite3.Error as error:
        return f"{path}: unreadable ({error}); the next run rebuilds it"
    return (
        f"{runs} stored run{'s' if runs != 1 else ''} for replay, "
        f"replayed {hits} time{'s' if hits != 1 else ''}"
    )
