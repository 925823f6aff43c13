"""The one place that decides whether a finding is reported.

Like flake8's ``DecisionEngine``: built once from the settings, asked by the engine
(file and cross-article findings), the corpus stage and the links collector. A
finding is reported when its code is selected (``select``/``ignore``/``extend-select``,
the most specific pattern wins), it is not ignored for its file (``per-file-ignores``),
not suppressed by a ``# curate: ignore`` comment, and a rule does not repeat what the
schema already rejected at the same pointer.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from curate.globs import Globs
from curate.model import Diagnostic, Pointer, Severity
from curate.rules import Rule, Selection

if TYPE_CHECKING:
    from curate.config import Settings
    from curate.loading import Suppressions


class Policy:
    """Whether a finding is reported, decided from the settings of one run."""

    def __init__(
        self,
        selection: Selection = Selection(),
        per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = (),
        root: Path | None = None,
    ) -> None:
        self.selection = selection
        self._per_file_ignores = per_file_ignores
        self._root = None if root is None else str(root.resolve())
        self._ignored_codes: dict[str, tuple[str, ...]] = {}
        self._enabled: dict[str, bool] = {}

    @classmethod
    def from_settings(cls, settings: Settings, root: Path | None = None) -> Policy:
        selection = Selection(settings.select, settings.ignore, settings.extend_select)
        return cls(selection, settings.per_file_ignores, root)

    def enabled(self, code: str) -> bool:
        """The code is selected (whatever the file)."""
        known = self._enabled.get(code)
        if known is None:
            known = self._enabled[code] = self.selection.enabled(code)
        return known

    def rules(self) -> list[Rule]:
        """The registered rules whose codes are selected."""
        return self.selection.rules()

    def ignored_for_file(self, path: str, code: str) -> bool:
        """``per-file-ignores`` turns ``code`` off for ``path``."""
        if not self._per_file_ignores:
            return False
        codes = self._ignored_codes.get(path)
        if codes is None:
            relative = relative_to_root(path, self._root)
            codes = tuple(
                code
                for pattern, listed in self._per_file_ignores
                if Globs((pattern,)).matches(relative)
                for code in listed
            )
            self._ignored_codes[path] = codes
        return any(prefix.upper() == "ALL" or code.startswith(prefix) for prefix in codes)

    def reports(self, diagnostic: Diagnostic, suppressions: Suppressions | None = None) -> bool:
        """The one question: is ``diagnostic`` reported?"""
        if suppressions is not None and suppressions.suppresses(diagnostic):
            return False
        return self.enabled(diagnostic.code) and not self.ignored_for_file(
            diagnostic.path, diagnostic.code
        )

    def reported_codes(
        self,
        path: str,
        line: int,
        codes: Iterable[str],
        suppressions: Suppressions | None = None,
    ) -> frozenset[str]:
        """Those of ``codes`` that would be reported at ``path:line`` (before checking)."""
        kept = set()
        for code in codes:
            probe = Diagnostic(path, line, 1, code, Severity.ERROR, "")
            if self.reports(probe, suppressions):
                kept.add(code)
        return frozenset(kept)

    def rejected_by_schema(self, schema_errors: Iterable[Diagnostic]) -> frozenset[Pointer]:
        """Pointers the schema reported at: rules say nothing more about those values."""
        return frozenset(d.pointer for d in schema_errors if self.enabled(d.code))


def relative_to_root(path: str, root: str | None) -> str:
    """``path`` relative to the site root (or to the current folder), with ``/``."""
    text = os.path.abspath(path)
    if root is not None and text.startswith(root + os.sep):
        return Path(text[len(root) + 1 :]).as_posix()
    return Path(os.path.relpath(text)).as_posix()
