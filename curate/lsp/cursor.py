"""Where the cursor is in a front matter that may be half typed: which key, which value.

The YAML parser cannot help here: while typing, the document is mostly invalid.
This reads the lines the way a person does, by indentation: a key at a column
belongs to the nearest line above that starts further left, and a ``- `` item's
index is the number of ``- `` siblings above it at the same column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from curate.model import Pointer

_KEY = re.compile(
    r"""("[^"]*"|'[^']*'|[^\s#:'"\[\]{},&*!|>%@`-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?=\s|$)"""
)
_FENCE = re.compile(r"(?:---|\.\.\.)[ \t]*$")


class Token(NamedTuple):
    column: int
    kind: str  # "-", "key" or "scalar"
    text: str


class Cursor(NamedTuple):
    """What is under the cursor.

    ``pointer`` is the path of the key or value under the cursor; for a ``bare``
    word or an empty line, the path of the list item or mapping being typed into.
    ``container`` is the path of the collection that holds it; ``start``/``end``
    the token's columns on the line.
    """

    pointer: Pointer
    container: Pointer
    in_value: bool
    text: str
    start: int
    end: int
    #: A bare word (no colon yet): a key being typed, or an item of a list of values.
    bare: bool = False


def front_matter_end(lines: Sequence[str]) -> int | None:
    """The index of the closing fence line (len(lines) if never closed), None without one."""
    if not lines or lines[0].rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if _FENCE.match(lines[index]):
            return index
    return len(lines)


def tokens(line: str) -> list[Token]:
    """The structure of one line: ``- `` markers, a key, a scalar (comments dropped)."""
    found: list[Token] = []
    column = len(line) - len(line.lstrip(" "))
    if line[column:].startswith("#"):
        return found
    while line[column : column + 2] == "- " or line[column:].rstrip() == "-":
        found.append(Token(column, "-", "-"))
        column += 1
        while column < len(line) and line[column] == " ":
            column += 1
    match = _KEY.match(line, column)
    if match is not None:
        key = match[1]
        if key[:1] in "\"'":
            key = key[1:-1]
        found.append(Token(column, "key", key))
        column = match.end()
        while column < len(line) and line[column] == " ":
            column += 1
    rest = _strip_comment(line[column:]).rstrip()
    if rest:
        found.append(Token(column, "scalar", rest))
    return found


def _strip_comment(text: str) -> str:
    if text[:1] and text[0] in "\"'":
        close = text.find(text[0], 1)
        if close != -1:
            comment = text.find(" #", close)
            return text if comment == -1 else text[:comment]
    if text.startswith("#"):
        return ""
    comment = text.find(" #")
    return text if comment == -1 else text[:comment]


def unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text.lstrip("\"'")


def _significant(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def container_at(lines: Sequence[str], row: int, column: int, own: Sequence[Token] = ()) -> Pointer:
    """The path of the collection holding something at ``column`` of line ``row``.

    ``own`` are the tokens of line ``row`` left of ``column`` (``- `` markers, a key).
    """
    path: list[str | int] = []
    line_tokens = list(own)
    current = column
    while True:
        for token in reversed(line_tokens):
            if token.column >= current:
                continue
            if token.kind == "key":
                path.append(token.text)
            elif token.kind == "-":
                path.append(_item_index(lines, row, token.column))
            current = token.column
        if current == 0 or row <= 1:
            break
        row, line_tokens = _parent_line(lines, row, current)
        if row <= 0:
            break
    return tuple(reversed(path))


def _parent_line(lines: Sequence[str], row: int, column: int) -> tuple[int, list[Token]]:
    """The nearest line above ``row`` with a key or marker left of ``column``."""
    for above in range(row - 1, 0, -1):
        if not _significant(lines[above]):
            continue
        found = [t for t in tokens(lines[above]) if t.kind != "scalar"]
        if found and found[0].column < column:
            return above, found
    return 0, []


def _item_index(lines: Sequence[str], row: int, column: int) -> int:
    """How many ``- `` items at ``column`` come before the one on line ``row``."""
    index = 0
    for above in range(row - 1, 0, -1):
        if not _significant(lines[above]):
            continue
        found = tokens(lines[above])
        if not found:
            continue
        first = found[0]
        if first.column < column or (first.column == column and first.kind != "-"):
            break
        if any(t.kind == "-" and t.column == column for t in found):
            index += 1
    return index


def cursor_at(lines: Sequence[str], row: int, character: int) -> Cursor | None:
    """What the cursor at (``row``, ``character``), 0-based, is on; None outside the YAML."""
    end = front_matter_end(lines)
    if end is None or not 0 < row < end:
        return None
    line = lines[row] if row < len(lines) else ""
    if line.lstrip().startswith("#"):
        return None
    found = tokens(line)
    if not found or found[-1].kind == "-":
        # An empty line or a bare marker: a key (or an item) is about to be typed here.
        column = min(character, len(line))
        container = container_at(lines, row, column, found)
        return Cursor(container, container, False, "", column, column, bare=True)
    key = next((t for t in found if t.kind == "key"), None)
    scalar = next((t for t in found if t.kind == "scalar"), None)
    if key is not None:
        before = [t for t in found if t.column < key.column]
        container = container_at(lines, row, key.column, before)
        pointer = (*container, key.text)
        key_end = key.column + len(line[key.column :].split(":", 1)[0])
        if character <= key_end:
            return Cursor(pointer, container, False, key.text, key.column, key_end)
        if scalar is None:
            at = len(line.rstrip()) + (1 if not line.rstrip().endswith(" ") else 0)
            return Cursor(pointer, container, True, "", max(at, character), max(at, character))
        return Cursor(
            pointer, container, True, scalar.text, scalar.column, scalar.column + len(scalar.text)
        )
    assert scalar is not None
    markers = [t for t in found if t.kind == "-"]
    container = container_at(lines, row, scalar.column, markers)
    # A bare word: a list item, or a key being typed (then ``pointer`` is its mapping).
    return Cursor(
        container,
        container[:-1] if markers else container,
        bool(markers),
        scalar.text,
        scalar.column,
        scalar.column + len(scalar.text),
        bare=True,
    )
