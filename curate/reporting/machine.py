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
from curate.model import Diagnostic, Severity
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


def write_concise(diagnostics: Sequence[Diagnostic], summary: Summary, out: TextIO) -> None:
    for d in diagnostics:
        out.write(
            f"{display_path(d.path)}:{d.line}:{d.column}: {d.code} [{d.severity.value}]"
            f" {printable(d.message)}\n"
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


def sarif_document(diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    from curate.rules import all_codes

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
                        "region": {"startLine": d.line, "startColumn": d.column},
                    }
                }
            ],
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
