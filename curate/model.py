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
#: Where a value is written: line, column, end line, end column (as in Diagnostic).
Span = tuple[int, int, int, int]


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
    """A 1-based line and column in a file (the opening ``---`` is line 1).

    ``end_line``/``end_column`` say where the value or key ends (exclusive); 0 when
    unknown.
    """

    line: int
    column: int
    end_line: int = 0
    end_column: int = 0


class Applicability(str, enum.Enum):
    """Whether a fix keeps the meaning of the article (safe) or may change it (unsafe)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


class Edit(NamedTuple):
    """Replace the text from ``line:column`` up to ``end_line:end_column`` by ``content``.

    1-based like diagnostics, the end exclusive; columns count characters. An
    insertion has equal start and end.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    content: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": {"line": self.line, "column": self.column},
            "end": {"line": self.end_line, "column": self.end_column},
            "content": self.content,
        }


class ChangeKind(str, enum.Enum):
    """What a fix does to the front matter, in terms of its values."""

    #: Write ``value`` at ``pointer`` (a scalar), keeping the quoting style where YAML allows.
    REPLACE = "replace"
    #: Remove the list item at ``pointer`` (with its comment lines).
    REMOVE_ITEM = "remove-item"
    #: Remove the earlier occurrence of a key written twice: the key written at
    #: ``value`` = ``[line, column]`` in the mapping at ``pointer``.
    REMOVE_KEY = "remove-key"


class Change(NamedTuple):
    """One change of a fix, said in terms of the front matter.

    A fix carries what to write, not where: the edits are computed from the file's
    text when the fix is shown or applied (:func:`curate.fixing.resolve`), so a
    position remembered from an earlier run can never damage a file.
    """

    kind: ChangeKind
    pointer: Pointer
    value: Any = None


class Fix(NamedTuple):
    """How to mend a finding: changes, whether that is safe, and a one-line title."""

    title: str
    applicability: Applicability
    changes: tuple[Change, ...]
    #: The text edits, once computed from the file's text (empty until then).
    edits: tuple[Edit, ...] = ()

    def applies(self, unsafe: bool) -> bool:
        return unsafe or self.applicability is Applicability.SAFE


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
    #: Where the value or key ends (exclusive); 0 when unknown.
    end_line: int = 0
    end_column: int = 0
    fix: Fix | None = None

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
            "end_line": self.end_line or self.line,
            "end_column": self.end_column or self.column,
            **({"fix": self.fix_dict()} if self.fix is not None else {}),
        }

    def fix_dict(self) -> dict[str, Any]:
        """The fix as JSON shows it."""
        assert self.fix is not None
        return {
            "applicability": self.fix.applicability.value,
            "title": self.fix.title,
            "edits": [edit.to_dict() for edit in self.fix.edits],
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
