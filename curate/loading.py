"""Find article files, split their front matter the way Jekyll does, parse it with positions.

Parsing goes through PyYAML's composer (the C one when available) and a small
constructor of our own, so that:

* only plain data is ever built: an unknown tag such as ``!!python/object`` is a
  diagnostic, never a call;
* duplicate keys, which PyYAML silently collapses, are reported;
* timestamps stay the strings they were written as, so the schema checks them;
* alias expansion is capped, so an anchor bomb costs milliseconds, not gigabytes;
* every value keeps its node, so a diagnostic can point at ``line:col``.
"""

from __future__ import annotations

import errno
import operator
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import yaml

from curate import inputs
from curate.codes import LOAD_CODES
from curate.globs import Globs
from curate.model import (
    Applicability,
    Article,
    Change,
    ChangeKind,
    Diagnostic,
    Fix,
    Location,
    Pointer,
    Severity,
)

try:
    from yaml import CSafeLoader as _Loader
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]

#: Files larger than this are not read at all.
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Front matter larger than this is not parsed.
MAX_FRONT_MATTER_BYTES = 1024 * 1024
#: Values built from one document, counting every alias expansion.
MAX_NODES = 100_000
#: Nesting depth of collections in one document.
MAX_DEPTH = 64
#: Numbers written with more characters than this are not converted: no real value
#: needs them, and converting (sexagesimal ``1:2:3...``) grows quadratically.
MAX_NUMBER_CHARS = 400
#: Integers beyond this many bits do not fit a float: sorting, scoring and caching
#: them would fail later, so they are refused where they are read.
MAX_INT_BITS = 1024
#: Below this many structural characters a document cannot nest deep enough
#: to overflow libyaml's recursive composer, so the depth pre-check is skipped.
_DEPTH_PRECHECK_THRESHOLD = 5_000

ARTICLE_SUFFIXES = (".md", ".markdown")
#: Folders that never hold articles: Jekyll's own and the usual tool folders.
SKIPPED_DIRS = frozenset(
    {"_site", "_data", "_includes", "_layouts", "_sass", "_plugins", "node_modules", "vendor"}
)
#: Repository documents that are Markdown but not articles.
SKIPPED_FILES = frozenset(
    name.lower()
    for name in (
        "README.md",
        "CHANGELOG.md",
        "CHANGES.md",
        "CONTRIBUTING.md",
        "LICENSE.md",
        "CODE_OF_CONDUCT.md",
        "SECURITY.md",
        "HISTORY.md",
        "AUTHORS.md",
    )
)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP})
_TEXT_TAGS = frozenset({_STR, _TIMESTAMP})

_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_KIND_TAGS = {yaml.SequenceNode: _SEQ, yaml.MappingNode: _MAP}


class _Composer(_Parser, yaml.resolver.BaseResolver):
    """libyaml's composer with a lean resolver.

    The stock resolver walks path resolvers (unused here) for every node and runs
    regular expressions on every plain scalar; keys repeat in every article, so the
    tag of a plain scalar is remembered per value. Same tags as PyYAML's SafeLoader.
    """

    #: Tags of short plain scalars seen so far, shared by every file of the process.
    _tags: ClassVar[dict[str, str]] = {}

    # Path resolvers are unused: the composer calls these twice per node, so they are
    # built-in functions that do nothing (no Python frame), not methods.
    descend_resolver = staticmethod(operator.is_)  # type: ignore[assignment]
    ascend_resolver = staticmethod(tuple)  # type: ignore[assignment]

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is not yaml.ScalarNode:
            return _KIND_TAGS[kind]
        if not implicit[0]:
            return _STR
        tag = self._tags.get(value)
        if tag is None:
            tag = _STR
            for candidate, regexp in _IMPLICIT.get(value[:1] if value else "", ()):
                if regexp.match(value):
                    tag = candidate
                    break
            if len(value) < 40 and len(self._tags) < 50_000:
                self._tags[value] = tag
        return tag


_SUPPRESSION = re.compile(r"#\s*curate:\s*(ignore-file|ignore)(?:\[([A-Za-z0-9_,\s]*)\])?")
_SCALAR_CONSTRUCTOR = yaml.SafeLoader("")


class LoadResult(NamedTuple):
    """What loading one file gives: the article if it could be built, and the problems."""

    path: str
    article: Article | None
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class Suppressions:
    """``# curate: ignore[CODE]`` comments of one file's front matter."""

    by_line: dict[int, frozenset[str]] = field(default_factory=dict)
    whole_file: frozenset[str] | None = None

    def suppresses(self, diagnostic: Diagnostic) -> bool:
        return _matches(self.whole_file, diagnostic.code) or _matches(
            self.by_line.get(diagnostic.line), diagnostic.code
        )

    def __bool__(self) -> bool:
        return bool(self.by_line) or self.whole_file is not None


def _matches(codes: frozenset[str] | None, code: str) -> bool:
    if codes is None:
        return False
    return not codes or any(code.startswith(prefix) for prefix in codes)


NO_SUPPRESSIONS = Suppressions()


class _LoadError(Exception):
    """A defect that makes the file unusable; carries its diagnostic."""

    def __init__(self, code: str, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column


class Locator:
    """Maps pointers into the front matter to positions in the file."""

    __slots__ = ("_line_offset", "_root")

    def __init__(self, root: yaml.Node, line_offset: int) -> None:
        self._root = root
        self._line_offset = line_offset

    @classmethod
    def from_text(cls, text: str) -> Locator | None:
        """The positions of a file's front matter, from its decoded text; None if unreadable."""
        try:
            front_matter, _ = split_front_matter(text)
            root = _compose(front_matter, 2)
        except (_LoadError, yaml.YAMLError, RecursionError):
            return None
        return None if root is None else cls(root, 2)

    @property
    def root(self) -> yaml.Node:
        return self._root

    def node_at(self, pointer: Pointer) -> tuple[yaml.Node, Pointer]:
        """The deepest node along ``pointer`` and the part of it that was found."""
        node = self._root
        found: list[str | int] = []
        for step in pointer:
            child = _child(node, step)
            if child is None:
                break
            node = child
            found.append(step)
        return node, tuple(found)

    def locate(self, pointer: Pointer) -> Location:
        node, _ = self.node_at(pointer)
        return self._location(node)

    def locate_key(self, pointer: Pointer) -> Location:
        """Where the key of the last step of ``pointer`` is written."""
        if not pointer:
            return self.locate(pointer)
        parent, found = self.node_at(pointer[:-1])
        if found == pointer[:-1] and isinstance(parent, yaml.MappingNode):
            for key_node, _ in parent.value:
                if key_node.value == pointer[-1]:
                    return self._location(key_node)
        return self.locate(pointer)

    def _location(self, node: yaml.Node) -> Location:
        start, end = node.start_mark, node.end_mark
        return Location(
            start.line + self._line_offset,
            start.column + 1,
            end.line + self._line_offset,
            end.column + 1,
        )


def _child(node: yaml.Node, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        match = None
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == step:
                match = value_node  # the last one wins, as in the parsed data
        return match
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int):
        return node.value[step] if 0 <= step < len(node.value) else None
    return None


@dataclass
class _Builder:
    """Builds plain Python values from YAML nodes, with the limits described above."""

    path: str
    line_offset: int
    budget: int = MAX_NODES
    duplicates: list[Diagnostic] = field(default_factory=list)

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        self.budget -= 1
        if type(node) is yaml.ScalarNode and self.budget >= 0:
            tag = node.tag
            # Most values are text: answer them without a call.
            return node.value if tag in (_STR, _TIMESTAMP) else self._scalar(node)
        if self.budget < 0:
            raise _LoadError(
                "FM008",
                f"the YAML expands to more than {MAX_NODES:,} values (an alias/anchor bomb?);"
                " refusing to expand it",
                *self._position(node),
            )
        if depth > MAX_DEPTH:
            raise _LoadError(
                "FM008",
                f"the YAML nests deeper than {MAX_DEPTH} levels (or an alias refers to itself)",
                *self._position(node),
            )
        if type(node) is yaml.ScalarNode:
            return self._scalar(node)
        if type(node) is yaml.SequenceNode:
            self._check_tag(node, _SEQ)
            return [self.build(item, depth + 1) for item in node.value]
        if type(node) is yaml.MappingNode:
            self._check_tag(node, _MAP)
            return self._mapping(node, depth)
        raise _LoadError("FM005", f"unsupported YAML node {node!r}", *self._position(node))

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        seen: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged = self.build(value_node, depth + 1)
                sources = merged if isinstance(merged, list) else [merged]
                for source in reversed(sources):
                    if isinstance(source, dict):
                        for key, value in source.items():
                            result.setdefault(key, value)
                continue
            if type(key_node) is not yaml.ScalarNode:
                raise _LoadError(
                    "FM005",
                    "a mapping key must be a plain value, not a list or mapping",
                    *self._position(key_node),
                )
            key = key_node.value if key_node.tag == _STR else self._scalar(key_node)
            if not isinstance(key, str):
                key = key_node.value
            if key in seen:
                first = seen[key]
                line, column = self._position(key_node)
                self.duplicates.append(
                    Diagnostic(
                        self.path,
                        line,
                        column,
                        "FM006",
                        Severity.ERROR,
                        f"duplicate key '{key}' (first at line "
                        f"{first.start_mark.line + self.line_offset}); YAML keeps only this one",
                        LOAD_CODES["FM006"],
                        end_line=key_node.end_mark.line + self.line_offset,
                        end_column=key_node.end_mark.column + 1,
                        fix=Fix(
                            f"Remove the first '{key}' (YAML ignores it)",
                            Applicability.SAFE,
                            (Change(ChangeKind.REMOVE_KEY, (), self._position(first)),),
                        ),
                    )
                )
            seen[key] = key_node
            if type(value_node) is yaml.ScalarNode and value_node.tag in _TEXT_TAGS:
                self.budget -= 1  # what build does for text, without the call
                if self.budget >= 0:
                    result[key] = value_node.value
                    continue
            result[key] = self.build(value_node, depth + 1)
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag in (_STR, _TIMESTAMP):
            return node.value
        if tag not in _SCALAR_TAGS:
            self._check_tag(node, _STR)
        constructor = _CONSTRUCTORS.get(tag)
        if constructor is None:
            return None
        kind = _KIND_NAMES[tag]
        if len(node.value) > MAX_NUMBER_CHARS:
            raise _LoadError(
                "FM008",
                f"{kind} of {len(node.value):,} characters is too large to read"
                f" (at most {MAX_NUMBER_CHARS}); quote it if it is text",
                *self._position(node),
            )
        text = node.value
        try:
            if tag == _INT and text.isdigit() and text.isascii() and text[0] != "0":
                value = int(text)  # what construct_yaml_int gives, without its steps
            else:
                value = constructor(node)
        except OverflowError:
            raise _LoadError(
                "FM008", f"{kind} {node.value[:40]!r} is too large to read", *self._position(node)
            ) from None
        except (ValueError, KeyError, IndexError):
            shown = f"{node.value[:40]!r}" if node.value else "an empty value"
            raise _LoadError(
                "FM005",
                f"{shown} is not {kind} (tag '{_short_tag(tag)}');"
                " write a valid one or remove the tag",
                *self._position(node),
            ) from None
        if type(value) is int and value.bit_length() > MAX_INT_BITS:
            raise _LoadError(
                "FM008",
                f"the integer {node.value[:20]!r}... is too large to compare or store"
                " (beyond ±1.8e308); quote it if it is text",
                *self._position(node),
            )
        return value

    def _check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != expected:
            raise _LoadError(
                "FM007",
                f"YAML tag '{node.tag}' is not allowed in front matter (only plain values are);"
                " nothing was constructed",
                *self._position(node),
            )

    def _position(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + self.line_offset, node.start_mark.column + 1


_CONSTRUCTORS: dict[str, Callable[[yaml.ScalarNode], Any]] = {
    _INT: _SCALAR_CONSTRUCTOR.construct_yaml_int,
    _FLOAT: _SCALAR_CONSTRUCTOR.construct_yaml_float,
    _BOOL: _SCALAR_CONSTRUCTOR.construct_yaml_bool,
}
_KIND_NAMES = {_INT: "an integer", _FLOAT: "a number", _BOOL: "a boolean"}


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:")


def _decode(raw: bytes) -> str:
    if b"\x00" in raw:
        raise _LoadError("FM010", "the file is binary (it contains NUL bytes), not a text article")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise _LoadError(
            "FM009",
            f"the file is not valid UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start});"
            " save it as UTF-8",
            line,
            column,
        ) from None
    return text.replace("\r\n", "\n") if "\r" in text else text


def split_front_matter(text: str) -> tuple[str, int]:
    """The front matter text and the number of lines before the closing fence.

    Follows Jekyll: the file must start with a ``---`` line, and the front
    matter ends at the next line that is ``---`` or ``...``.
    """
    if not text.strip():
        raise _LoadError("FM001", "the file is empty")
    first_end = text.find("\n")
    first_line = text if first_end == -1 else text[:first_end]
    if first_line.rstrip() != "---":
        raise _LoadError(
            "FM002",
            "no front matter: the file must start with a '---' line, as Jekyll requires",
        )
    body_start = first_end + 1
    closing = _closing_fence(text, body_start) if first_end != -1 else -1
    if closing != -1:
        return text[body_start:closing], text.count("\n", 0, closing)
    raise _LoadError(
        "FM003",
        "the front matter is never closed: add a '---' line after it",
        1,
        1,
    )


def _closing_fence(text: str, start: int) -> int:
    """Where the first line from ``start`` (a line's start) that is ``---`` or ``...``
    (then spaces or tabs) begins, or -1.

    What ``re.compile(r"^(?:---|\\.\\.\\.)[ \\t]*$", re.MULTILINE).search`` finds, by
    ``str.find``: it runs on every file, and the expression tries every line.
    """
    line = start
    while True:
        if text.startswith(("---", "..."), line):
            end = text.find("\n", line + 3)
            if not text[line + 3 : len(text) if end == -1 else end].strip(" \t"):
                return line
        found = [at for at in (text.find("\n---", line), text.find("\n...", line)) if at != -1]
        if not found:
            return -1
        line = min(found) + 1


def _check_depth(front_matter: str, line_offset: int) -> None:
    """Reject absurd nesting before libyaml's recursive composer can overflow the C stack."""
    if len(front_matter) < _DEPTH_PRECHECK_THRESHOLD:  # too short to hold that many
        return
    structural = sum(front_matter.count(char) for char in "[{-:?")
    if structural < _DEPTH_PRECHECK_THRESHOLD:
        return
    depth = 0
    for event in yaml.parse(front_matter, Loader=_Loader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                mark: Any = event.start_mark
                raise _LoadError(
                    "FM008",
                    f"the YAML nests deeper than {MAX_DEPTH} levels",
                    mark.line + line_offset,
                    mark.column + 1,
                )
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def yaml_problem(error: yaml.MarkedYAMLError, text: str, first_line: int = 1) -> str:
    """PyYAML's complaint in one clean line: what is wrong, and where a bracket or quote
    that was never closed was opened (``first_line``: the file's line number of ``text``'s first).

    A tab that indents the line gets its own message: YAML forbids tabs for indentation,
    and PyYAML's words for it vary ("found character that cannot start any token").
    """
    mark = error.problem_mark or error.context_mark
    lines = text.splitlines()
    if mark is not None and mark.line < len(lines):
        line = lines[mark.line]
        if "\t" in line[: len(line) - len(line.lstrip())]:
            return "a tab indents this line: YAML does not allow tabs for indentation (use spaces)"
    problem = " ".join((error.problem or str(error)).split())
    context = error.context
    if context and error.context_mark is not None and error.context_mark is not mark:
        opened = error.context_mark.line + first_line
        context = f"{context} that starts at line {opened}"
    return f"{problem} ({context})" if context else problem


def _compose(front_matter: str, line_offset: int) -> yaml.Node | None:
    _check_depth(front_matter, line_offset)
    loader = _Composer(front_matter)
    try:
        node: yaml.Node | None = loader.get_single_node()
    finally:
        loader.dispose()
    return node


def parse_suppressions(front_matter: str, line_offset: int) -> Suppressions:
    if "curate:" not in front_matter:
        return NO_SUPPRESSIONS
    by_line: dict[int, frozenset[str]] = {}
    file_codes: list[frozenset[str]] = []
    for index, line in enumerate(front_matter.split("\n")):
        match = _SUPPRESSION.search(line)
        if match is None:
            continue
        codes = frozenset(code.strip() for code in (match[2] or "").split(",") if code.strip())
        if match[1] == "ignore-file":
            file_codes.append(codes)
        else:
            by_line[index + line_offset] = codes
    # An empty set means "every code"; it wins over any list of codes.
    whole_file = None
    if file_codes:
        whole_file = frozenset() if not all(file_codes) else frozenset().union(*file_codes)
    return Suppressions(by_line, whole_file)


def load_text(path: str, raw: bytes) -> LoadResult:
    """Parse one file's bytes into an Article; every defect becomes a diagnostic."""
    line_offset = 2  # YAML line 0 is the line after the opening '---'
    try:
        text = _decode(raw)
        front_matter, _ = split_front_matter(text)
        if len(front_matter) > MAX_FRONT_MATTER_BYTES:
            raise _LoadError(
                "FM011",
                f"the front matter is larger than {MAX_FRONT_MATTER_BYTES // 1024} KiB; not parsed",
            )
        try:
            root = _compose(front_matter, line_offset)
        except yaml.MarkedYAMLError as error:
            mark: Any = error.problem_mark or error.context_mark
            line = mark.line + line_offset if mark is not None else 1
            column = mark.column + 1 if mark is not None else 1
            problem = error.problem or str(error)
            if "maximum nesting depth" in problem:
                # libyaml (0.2.5+) refuses deep flow nesting itself, as a scanner error.
                raise _LoadError(
                    "FM008", f"the YAML nests deeper than {MAX_DEPTH} levels", line, column
                ) from None
            problem = yaml_problem(error, front_matter, line_offset)
            raise _LoadError("FM005", f"YAML syntax error: {problem}", line, column) from None
        except yaml.YAMLError as error:
            raise _LoadError("FM005", f"YAML error: {error}") from None
        except RecursionError:
            raise _LoadError("FM008", "the YAML nests too deeply to be read") from None
        builder = _Builder(path, line_offset)
        data = {} if root is None else builder.build(root)
        if not isinstance(data, dict):
            kind = "a list" if isinstance(data, list) else f"a single value ({data!r:.40})"
            raise _LoadError(
                "FM004",
                f"the front matter is {kind}, not a mapping of keys to values",
                line_offset if root is None else root.start_mark.line + line_offset,
                1 if root is None else root.start_mark.column + 1,
            )
    except _LoadError as error:
        diagnostic = Diagnostic(
            path,
            error.line,
            error.column,
            error.code,
            Severity.ERROR,
            error.message,
            LOAD_CODES[error.code],
        )
        return LoadResult(path, None, (diagnostic,))
    locator = Locator(root, line_offset) if root is not None else None
    article = Article(path, data, locator, parse_suppressions(front_matter, line_offset))
    return LoadResult(path, article, tuple(builder.duplicates))


class NotRegularFileError(OSError):
    """The path is a FIFO, a device or a socket: reading it could block or never end."""


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file"


def read_regular_file(path: Path | str, limit: int = MAX_FILE_BYTES + 1) -> bytes:
    """Up to ``limit`` bytes of a regular file; anything else is a NotRegularFileError.

    The type is checked before opening, and again on the open descriptor, which is
    opened non-blocking: a FIFO named ``*.md`` would otherwise wait for a writer forever.
    """
    if not stat.S_ISREG(mode := os.stat(path).st_mode):
        raise NotRegularFileError(errno.EINVAL, f"{_kind_of(mode)}, not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    descriptor = os.open(path, flags | getattr(os, "O_BINARY", 0))
    with open(descriptor, "rb", closefd=True) as handle:
        if not stat.S_ISREG(mode := os.fstat(descriptor).st_mode):
            raise NotRegularFileError(errno.EINVAL, f"{_kind_of(mode)}, not a regular file")
        return handle.read(limit)


def locate_file(path: Path | str) -> Locator | None:
    """Only the positions of a file's front matter (no values built), or None if unreadable.

    Cross-article rules find problems from the index; this places them in the file.
    """
    try:
        raw = read_regular_file(path)
        front_matter, _ = split_front_matter(_decode(raw))
        root = _compose(front_matter, 2)
    except (OSError, _LoadError, yaml.YAMLError, RecursionError):
        return None
    return None if root is None else Locator(root, 2)


def load_file(path: Path | str) -> LoadResult:
    """Read and parse one article file; never raises for a bad or missing file."""
    name = os.fspath(path)
    try:
        raw = read_regular_file(path)
    except OSError as error:
        reason = error.strerror or str(error)
        return LoadResult(name, None, (_file_diagnostic(name, "FM012", f"cannot read: {reason}"),))
    if len(raw) > MAX_FILE_BYTES:
        message = f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not read"
        return LoadResult(name, None, (_file_diagnostic(name, "FM011", message),))
    return load_text(name, raw)


def _file_diagnostic(path: str, code: str, message: str) -> Diagnostic:
    return Diagnostic(path, 1, 1, code, Severity.ERROR, message, LOAD_CODES[code])


def is_article_name(name: str) -> bool:
    return name.endswith(ARTICLE_SUFFIXES) and name.lower() not in SKIPPED_FILES


def iter_article_files(
    directory: Path | str,
    exclude: Sequence[str] = (),
    relative_to: Path | str | None = None,
    is_article: Callable[[str], bool] | None = None,
) -> Iterator[str]:
    """Article files under ``directory``, sorted, skipping what is never an article.

    ``exclude`` holds glob patterns (and Jekyll ``exclude:`` names) matched
    against paths relative to ``relative_to`` (the site root) and against names.
    Paths are plain strings: a site has tens of thousands, and this runs every time.
    ``is_article`` tells, from a path relative to the site root, whether a file of a
    collection is an article (see :meth:`curate.corpus.Site.is_article`).
    """
    top = os.fspath(directory)
    excluded = Globs(exclude).matches
    prefix = ""
    if relative_to is not None:
        base = os.path.abspath(relative_to)
        absolute = os.path.abspath(top)
        if absolute.startswith(base + os.sep):
            prefix = absolute[len(base) + 1 :].replace(os.sep, "/") + "/"
    found: list[str] = []
    pending = [(top, prefix)]
    # Folders already walked, by identity: a symlink loop (``loop -> .``) is walked once.
    visited: set[tuple[int, int]] = set()
    while pending:
        current, relative = pending.pop()
        try:
            inputs.record(current)  # before listing it: an entry added later changes it
            status = os.stat(current)
            if (status.st_dev, status.st_ino) in visited:
                continue
            visited.add((status.st_dev, status.st_ino))
            entries = list(os.scandir(current))
        except OSError:
            continue
        names = {entry.name for entry in entries}
        # At a site's root, articles live in collections (_posts, _news, ...): the
        # Markdown pages beside _config.yml are pages, not articles.
        site_root = "_config.yml" in names or "_config.yaml" in names
        for entry in entries:
            name = entry.name
            if _is_dir(entry):
                if (
                    name.startswith(".")
                    or name in SKIPPED_DIRS
                    or (site_root and not name.startswith("_"))
                    or excluded(relative + name)
                ):
                    continue
                pending.append((entry.path, relative + name + "/"))
            elif (
                not site_root
                and is_article_name(name)
                and not excluded(relative + name)
                and (is_article is None or is_article(relative + name))
            ):
                found.append(entry.path)
            elif _is_link(entry):
                inputs.record(entry.path)  # a link to nothing may come to point at a folder
    found.sort()
    inputs.record_all(found)  # before anything reads them
    yield from found


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a folder we may not look into; a file then, reported when read
        return False


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return True


def _not_an_article(
    path: str, root: Path | str | None, is_article: Callable[[str], bool] | None
) -> bool:
    if is_article is None or root is None:
        return False
    absolute, base = os.path.abspath(path), os.path.abspath(root)
    if not absolute.startswith(base + os.sep):
        return False
    return not is_article(absolute[len(base) + 1 :].replace(os.sep, "/"))


def collect_paths(
    paths: Sequence[Path | str],
    exclude: Sequence[str] = (),
    root: Path | str | None = None,
    is_article: Callable[[str], bool] | None = None,
) -> tuple[list[str], list[Diagnostic]]:
    """Expand files and folders into article files; a missing path is a diagnostic.

    A file named explicitly is always checked, whatever its name, unless it is a
    document of a collection of the site that holds no articles (``_people/...``):
    pre-commit names every file a commit touches.
    """
    files: list[str] = []
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    for path in paths:
        name = os.fspath(path)
        inputs.record(name)
        try:
            is_folder = stat.S_ISDIR(os.stat(name).st_mode)
        except OSError as error:
            # A FIFO or an unreadable file is still a file: reading it says what is wrong.
            missing = error.errno == errno.ENOENT and not os.path.lexists(name)
            reason = "no such file or directory" if missing else f"cannot read: {error.strerror}"
            problems.append(_file_diagnostic(name, "FM012", reason))
            continue
        candidates: Iterable[str]
        if is_folder:
            candidates = iter_article_files(name, exclude, root, is_article)
        else:
            candidates = () if _not_an_article(name, root, is_article) else (name,)
        if len(paths) == 1:
            files.extend(candidates)  # one walk never yields a file twice
            continue
        for candidate in candidates:
            key = os.path.abspath(candidate)
            if key not in seen:
                seen.add(key)
                files.append(candidate)
    return files, problems
