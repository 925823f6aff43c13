"""Data from articles is shown as text, never obeyed by the terminal or the CI log.

Front matter and file names are written by whoever can open a pull request. Shown
raw, ``\\x1b[2J`` clears the reader's screen, an OSC 52 sequence writes their
clipboard, a right-to-left override reverses what they read, and a newline starts a
line that GitHub Actions takes for a command (``::error``, ``::stop-commands::``).
Every human format passes data through :func:`printable`; the machine formats keep
the data but replace what their encoding cannot carry (:func:`encodable`).
"""

from __future__ import annotations

import re

#: C0 controls (newline and tab included), DEL, C1 controls, the bidirectional
#: marks, embeddings, overrides and isolates, the Unicode line and paragraph
#: separators, and lone surrogates (a file name that is not UTF-8).
_CONTROL_CHARS = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[{_CONTROL_CHARS}]")
_UNSAFE = re.compile(f"[{_CONTROL_CHARS}\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SURROGATES = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # the byte Python could not decode in a file name
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control, bidi and undecodable character written as an escape.

    ``printable("a\\x1b[2Jb") == "a\\\\x1b[2Jb"``: the reader sees the escape sequence,
    the terminal never gets it. The result is one line and valid UTF-8.
    """
    return text if text.isprintable() else _UNSAFE.sub(_escape, text)


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a control or bidi character (a lone surrogate does not count)."""
    return not text.isprintable() and _CONTROLS.search(text) is not None


def line_start(text: str) -> str:
    """:func:`printable`, made safe to start a line: a CI log never reads it as a command.

    GitHub Actions takes a line whose first non-blank characters are ``::`` for a
    workflow command (``::error``, ``::stop-commands::``, ``::add-mask::``).
    """
    shown = printable(text)
    return "\\" + shown if shown.lstrip().startswith("::") else shown


def display_path(path: str) -> str:
    """A file name for people: escaped, and never starting a line with ``::``."""
    shown = printable(path)
    return "./" + shown if shown.lstrip().startswith(":") else shown


def _byte_escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def encodable(text: str) -> str:
    """``text`` with lone surrogates written as ``\\xe9`` escapes: valid UTF-8 whatever the name.

    For the machine formats (JSON, SARIF, CSV), which keep every other character as is.
    Applied to serialized JSON, it turns a surrogate into an escaped backslash, so the
    document stays valid JSON.
    """
    if text.isascii():
        return text
    return _SURROGATES.sub(_byte_escape, text)


def encodable_json(text: str) -> str:
    """Serialized JSON (``ensure_ascii=False``) made valid UTF-8, and still valid JSON."""
    if text.isascii():
        return text
    return _SURROGATES.sub(lambda match: "\\" + _byte_escape(match), text)
