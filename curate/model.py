"""The values curate passes around: articles, diagnostics and where they point."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from curate.corpus import ArticleRecord
    from curate.loading import Suppressions

#: A path into the front matter, e.g. ``("related", 0, "webUrl")``.
Pointer = tuple[str | int, ...]


class Severity(str, enum.Enum):
    """How much a finding matters; ordered from most to least severe."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based line and column in a file (the opening ``---`` is line 1)."""

    line: int
    column: int


class Diagnostic(NamedTuple):
    """One finding about one file, with a stable code and a readable message.

    A NamedTuple: a warm run over a large site rebuilds thousands from the cache.
    """

    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str
    name: str = ""
    pointer: Pointer = ()

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Article:
    """A parsed article: its front matter and the file it came from.

    ``data`` is the front matter as plain Python values (timestamps kept as the
    strings they were written as). ``locate`` maps a pointer into ``data`` to a
    position in the file; it is cheap to keep and only walks the YAML nodes
    when something is reported.
    """

    path: str
    data: dict[str, Any]
    locator: Any = field(default=None, compare=False, repr=False)
    suppressions: Any = field(default=None, compare=False, repr=False)

    def locate(self, pointer: Pointer) -> Location:
        if self.locator is None:
            return Location(1, 1)
        location: Location = self.locator.locate(pointer)
        return location

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


@dataclass(frozen=True, slots=True)
class FileReport:
    """The result of checking one file: its diagnostics and its index record."""

    path: str
    diagnostics: tuple[Diagnostic, ...]
    record: ArticleRecord | None
    #: The file's ``# curate: ignore`` comments (the corpus stage applies them too).
    suppressions: Suppressions | None = None
    #: False for a file only indexed for cross-article rules: its diagnostics are unknown.
    complete: bool = True
