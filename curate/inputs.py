"""What a run read, for a stored result of it to depend on (see :mod:`curate.replay`).

A build system's view of a run: every file opened, every folder listed, every path
whose existence was asked, each with its ``stat`` signature taken *before* it was
read, so that a later run can tell, with ``stat`` alone, whether all of them are
still as they were. The run also says what ``stat`` cannot see: that it read the
clock, that a clock rule fired, which cache it used.

Off unless the process entry turns it on (:func:`start`): then every helper
here is the plain check it wraps. Two sources feed it: the read points of the core
call :func:`is_file`, :func:`is_dir` and :func:`record` (existence checks make no
system event), and an audit hook records every file opened for reading and every
folder listed, wherever in the process that happens.
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # imported only by type checkers: the replay path imports nothing it can avoid
    from collections.abc import Iterable
    from typing import Any

#: (st_mode, st_size, st_mtime_ns, st_ctime_ns, st_ino); a path that cannot be stat-ed
#: is (0, errno, 0, 0, 0), and a dangling symlink has the symlink's own signature.
Signature = tuple[int, int, int, int, int]
FIELDS = 5

#: Where files change by themselves: never inputs.
_NOT_INPUTS = ("/proc/", "/sys/")
#: Devices and terminals (whose times change as they are used) are not inputs; the
#: files and folders there are (a site copied to /dev/shm).
_DEVICES = "/dev/"
_WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def signature(path: str) -> Signature:
    """What ``stat`` says of ``path`` now (see :data:`Signature`)."""
    try:
        status = os.stat(path)
    except OSError as error:
        try:
            status = os.lstat(path)
        except OSError:
            return (0, error.errno or 0, 0, 0, 0)
    except ValueError:  # a NUL in the path
        return (0, -1, 0, 0, 0)
    return (status.st_mode, status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


class Recorder:
    """The inputs of one run and the facts about it a stored result depends on."""

    def __init__(self, started_ns: int) -> None:
        self.started_ns = started_ns
        self.signatures: dict[str, Signature] = {}
        #: The time of day was read for the output (not only by clock rules).
        self.clock = False
        #: A clock rule found something: its findings disappear as time passes.
        self.clock_fired = False
        #: An answer the run used differs from the signature taken for it (a race).
        self.inconsistent = False
        #: The cache folders the run used; None among them: a run without its cache,
        #: or one whose cache said something (locked, not writable).
        self.caches: list[str | None] = []
        self.stdin_read = False

    def record(self, path: str | bytes | os.PathLike[Any]) -> Signature:
        name = os.fsdecode(path)
        known = self.signatures.get(name)
        if known is None:
            known = self.signatures[name] = signature(name)
        return known


_active: Recorder | None = None
_hooked = False


def active() -> Recorder | None:
    return _active


def start(started_ns: int) -> Recorder:
    """Record the inputs of this process (not of its children) until :func:`stop`."""
    global _active, _hooked
    if not _hooked:
        sys.addaudithook(_audit)
        os.register_at_fork(after_in_child=stop)
        _hooked = True
    recorder = _active = Recorder(started_ns)
    return recorder


def stop() -> None:
    """Record nothing more (also what a forked worker does: its parent records)."""
    global _active
    _active = None


def _audit(event: str, arguments: tuple[Any, ...]) -> None:
    """Files opened for reading and folders listed, wherever the run does it."""
    recorder = _active
    if recorder is None:
        return
    try:
        if event == "open":
            path, mode, flags = arguments
            if mode is None:  # os.open
                if flags & _WRITING:
                    return
            elif any(letter in mode for letter in "wax+"):
                return
        elif event in ("os.scandir", "os.listdir"):
            path = arguments[0]
            if path is None:
                path = "."
        else:
            return
        if isinstance(path, int):  # a file descriptor: its path was recorded when opened
            return
        name = os.fsdecode(path)
        if name.startswith(_NOT_INPUTS):
            return
        if name.startswith(_DEVICES) and not _file_or_folder(name):
            return
        recorder.record(name)
        if name.endswith(".pyc"):
            # A module imported from its compiled copy: Python checked the source's
            # stat first, and compiles the source again once it changes.
            source = _source_of(name)
            if source is not None:
                recorder.record(source)
    except Exception:  # an audit hook that raises would fail the audited call
        pass


def _file_or_folder(path: str) -> bool:
    mode = signature(path)[0]
    return stat.S_ISREG(mode) or stat.S_ISDIR(mode)


def _source_of(compiled: str) -> str | None:
    """``pkg/mod.py`` for ``pkg/__pycache__/mod.cpython-311.pyc`` (importlib's layout)."""
    cache, name = os.path.split(compiled)
    folder, cache_name = os.path.split(cache)
    if cache_name != "__pycache__" or "." not in name:
        return None
    return os.path.join(folder, name.partition(".")[0] + ".py")


def record(path: str | bytes | os.PathLike[Any]) -> None:
    """``path`` is an input of the run (read, or looked at, after this call)."""
    recorder = _active
    if recorder is not None:
        recorder.record(path)


def record_all(paths: Iterable[str]) -> None:
    recorder = _active
    if recorder is not None:
        for path in paths:
            recorder.record(path)


def is_file(path: str | os.PathLike[Any]) -> bool:
    """``os.path.isfile``, recorded: the answer is the one the signature gives."""
    recorder = _active
    if recorder is None:
        return os.path.isfile(path)
    return stat.S_ISREG(recorder.record(path)[0])


def is_dir(path: str | os.PathLike[Any]) -> bool:
    """``os.path.isdir``, recorded (a folder's signature changes as entries come and go)."""
    recorder = _active
    if recorder is None:
        return os.path.isdir(path)
    return stat.S_ISDIR(recorder.record(path)[0])


def record_lookups(root: str | os.PathLike[Any] | None, reads: Iterable[tuple[str, bool]]) -> None:
    """Existence answers another process gave (``(path below root, existed)``)."""
    recorder = _active
    if recorder is None or root is None:
        return
    for relative, existed in reads:
        if stat.S_ISREG(recorder.record(os.path.join(root, relative))[0]) != existed:
            recorder.inconsistent = True


def note_clock() -> None:
    """The time of day was read, and may be in the output."""
    if _active is not None:
        _active.clock = True


def note_clock_finding() -> None:
    """A clock rule (``Rule.clock``) found something."""
    if _active is not None:
        _active.clock_fired = True


def note_cache(directory: str | os.PathLike[Any] | None) -> None:
    """The run used the cache in ``directory`` (None: it ran without a cache that works)."""
    if _active is not None:
        _active.caches.append(None if directory is None else os.path.realpath(directory))
