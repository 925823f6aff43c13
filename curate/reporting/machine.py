"""Reporters for machines and editors: concise lines, JSON, GitHub annotations, SARIF."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from curate.__about__ import __version__
from curate.model import Applicability, Diagnostic, Severity
from curate.reporting.escape import display_path, encodable_json, printable


@dataclass(frozen=True)
class Summary:
    """What every reporter may mention besides the findings."""

    command: str
    files: int
    statistics: bool = False
    notes: tuple[str, ...] = field(default=())

    @staticmethod
    def counts(diagnostics: Sequence[Diagnostic]) -> Counter[Severity]:
        return Counter(d.severity for d in diagnostics)


def fix_mark(diagnostic: Diagnostic) -> str:
    """``[*] `` before a finding --fix mends, ``[~] `` before one --unsafe-fixes mends."""
    fix = diagnostic.fix
    if fix is None:
        return ""
    return "[*] " if fix.applicability is Applicability.SAFE else "[~] "


def fixable_note(diagnostics: Sequence[Diagnostic]) -> str | None:
    """``N fixable with --fix (M more with --unsafe-fixes)``, or None when nothing is."""
    safe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.SAFE)
    unsafe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.UNSAFE)
    if not safe and not unsafe:
        return None
    if not safe:
        return f"[~] {unsafe} fixable with --fix --unsafe-fixes"
    more = f" ({unsafe} more with --unsafe-fixes)" if unsafe else ""
    return f"[*] {safe} fixable with --fix{more}"


def write_concise(diagnostics: Sequence[Diagnostic], summary: Summary, out: TextIO) -> None:
    for d in diagnostics:
        out.write(
            f"{display_path(d.path)}:{d.line}:{d.column}: {d.code} [{d.severity.value}]"
            f" {fix_mark(d)}{printable(d.message)}\n"
        )
    if summary.statistics:
        write_statistics_text(diagnostics, out)


def write_statistics_text(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    for (code, name, severity), count in statistics(diagnostics):
        out.write(f"{count:6d}  {code:<6} {severity:<7} {name}\n")


def statistics(diagnostics: Sequence[Diagnostic]) -> list[tuple[tuple[str, str, str], int]]:
    """Count per code, most frequent first."""
    counts = Counter((d.code, d.name, d.severity.value) for d in diagnostics)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))


def write_json(diagnostics: Sequence[Diagnostic], summary: Summary, out: TextIO) -> None:
    diagnostics = _with_edits(diagnostics)
    if summary.statistics:
        document: Any = {
            "diagnostics": [d.to_dict() for d in diagnostics],
            "statistics": [
                {"code": code, "name": name, "severity": severity, "count": count}
                for (code, name, severity), count in statistics(diagnostics)
            ],
        }
    else:
        document = [d.to_dict() for d in diagnostics]
    write_json_document(document, out)


def write_json_document(document: Any, out: TextIO) -> None:
    """JSON as UTF-8 text; a file name that is not UTF-8 keeps its bytes as ``\\xe9`` escapes."""
    out.write(encodable_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n")


_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write_github(diagnostics: Sequence[Diagnostic], summary: Summary, out: TextIO) -> None:
    """GitHub Actions workflow commands: each finding becomes an annotation on the file."""
    for d in diagnostics:
        properties = ",".join(
            (
                f"file={_escape_property(d.path)}",
                f"line={d.line}",
                f"col={d.column}",
                f"title={_escape_property(f'{d.code} {d.name}'.strip())}",
            )
        )
        out.write(f"::{_GITHUB_LEVEL[d.severity]} {properties}::{_escape_data(d.message)}\n")


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def artifact_uri(path: str) -> str:
    """A file path as the URI reference SARIF requires (spaces and accents %-encoded)."""
    location = Path(path)
    if location.is_absolute():
        return location.as_uri()
    return quote(os.fsencode(location.as_posix()))  # the bytes of a name that is not UTF-8


def _with_edits(diagnostics: Sequence[Diagnostic]) -> Sequence[Diagnostic]:
    """The fixes' text edits, computed from the files (only when some finding has a fix)."""
    if not any(d.fix is not None for d in diagnostics):
        return diagnostics
    from curate.fixing import with_edits

    return with_edits(diagnostics)


def _region(d: Diagnostic) -> dict[str, int]:
    region = {"startLine": d.line, "startColumn": d.column}
    if d.end_line:
        region.update({"endLine": d.end_line, "endColumn": d.end_column})
    return region


def _sarif_fixes(d: Diagnostic) -> dict[str, Any]:
    """SARIF ``fixes`` of a result: its edits as replacements in its file."""
    if d.fix is None or not d.fix.edits:
        return {}
    replacements = [
        {
            "deletedRegion": {
                "startLine": edit.line,
                "startColumn": edit.column,
                "endLine": edit.end_line,
                "endColumn": edit.end_column,
            },
            "insertedContent": {"text": edit.content},
        }
        for edit in d.fix.edits
    ]
    return {
        "fixes": [
            {
                "description": {"text": f"{d.fix.title} ({d.fix.applicability.value})"},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": artifact_uri(d.path)},
                        "replacements": replacements,
                    }
                ],
            }
        ]
    }


def sarif_document(diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    from curate.rules import all_codes

    diagnostics = _with_edits(diagnostics)
    docs = all_codes()
    used = sorted({d.code for d in diagnostics})
    rule_index = {code: index for index, code in enumerate(used)}
    rules = []
    for code in used:
        doc = docs.get(code)
        entry: dict[str, Any] = {"id": code}
        if doc is not None:
            entry.update(
                {
                    "name": doc.name,
                    "shortDescription": {"text": doc.summary},
                    "fullDescription": {"text": doc.why},
                    "help": {"text": f"{doc.summary}\n\nWhy: {doc.why}\n\nFix: {doc.fix}"},
                    "defaultConfiguration": {"level": _SARIF_LEVEL[doc.severity]},
                }
            )
        rules.append(entry)
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": rule_index[d.code],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(d.path)},
                        "region": _region(d),
                    }
                }
            ],
            **_sarif_fixes(d),
        }
        for d in diagnostics
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "curate",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/curate/",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def write_sarif(diagnostics: Sequence[Diagnostic], summary: Summary, out: TextIO) -> None:
    write_json_document(sarif_document(diagnostics), out)
