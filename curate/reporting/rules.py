"""How ``curate rules`` shows the codes: a table of all of them, one code's documentation, JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from curate.codes import CodeDoc

#: What each family of codes is about, by prefix.
FAMILIES = {
    "FM": "file: reading the file and its front matter",
    "SC": "schema: keys, types and formats",
    "RL": "related links",
    "IM": "images",
    "UR": "URLs",
    "TI": "titles",
    "DT": "dates",
    "DU": "duplicates",
    "TX": "taxonomy",
    "PB": "publishing",
    "WB": "the web behind the links",
}


def family_order(doc: CodeDoc) -> tuple[int, str]:
    """Files first, then the schema, then the rule families in the order of FAMILIES."""
    families = list(FAMILIES)
    prefix = doc.code[:2]
    return (families.index(prefix) if prefix in families else len(families), doc.code)


def scope(code: str) -> str:
    """What a code checks: a file, the schema, an article, the corpus, the site or the web."""
    from curate.rules import all_rules

    rule = all_rules().get(code)
    if rule is None or rule.scope is None:
        return "file" if code.startswith("FM") else "schema"
    return rule.scope


def doc_dict(doc: CodeDoc, message: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "code": doc.code,
        "name": doc.name,
        "severity": doc.severity.value,
        "scope": scope(doc.code),
        "summary": doc.summary,
        "why": doc.why,
        "example": doc.example,
        "fix": doc.fix,
        "autofix": _autofix_dict(doc.code),
    }
    if message is not None:
        document["message"] = message
    return document


def _autofix_dict(code: str) -> dict[str, Any] | None:
    from curate.rules import autofix

    found = autofix(code)
    if found is None:
        return None
    applicability = found.applicability
    return {"applicability": applicability and applicability.value, "how": found.how}


def fix_label(code: str) -> str:
    """``safe`` or ``unsafe`` when ``curate lint --fix`` mends the code, else empty."""
    from curate.rules import autofix

    found = autofix(code)
    return found.applicability.value if found and found.applicability else ""


def write_json(documents: Any, out: TextIO) -> None:
    json.dump(documents, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_table(docs: Sequence[CodeDoc], out: TextIO) -> None:
    from rich.table import Table
    from rich.text import Text

    from curate.reporting.console import make_console
    from curate.reporting.table import SEVERITY_STYLE

    console = make_console(out)
    table = Table(header_style="bold", show_edge=False, pad_edge=False)
    table.add_column("Code", no_wrap=True, style="bold")
    table.add_column("Name", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Fix", no_wrap=True)
    table.add_column("What it flags", overflow="fold", ratio=1)
    for index, doc in enumerate(docs):
        family = doc.code[:2]
        last_of_family = index + 1 == len(docs) or docs[index + 1].code[:2] != family
        table.add_row(
            doc.code,
            doc.name,
            Text(doc.severity.value, style=SEVERITY_STYLE[doc.severity]),
            fix_label(doc.code),
            doc.summary,
            end_section=last_of_family,
        )
    console.print(table)
    console.print(
        Text(
            f"{len(docs)} codes. 'curate rules CODE' explains one; "
            "lint --select/--ignore take codes or prefixes (RL, IM0); "
            "lint --fix mends the safe ones, --unsafe-fixes the others.",
            style="dim",
        )
    )


def write_doc(doc: CodeDoc, message: str | None, out: TextIO) -> None:
    from rich.padding import Padding
    from rich.syntax import Syntax
    from rich.text import Text

    from curate.reporting.console import make_console
    from curate.reporting.table import SEVERITY_STYLE

    console = make_console(out)
    family = FAMILIES.get(doc.code[:2], "")
    console.print(
        Text.assemble(
            (doc.code, "bold"),
            "  ",
            (doc.name, "bold cyan"),
            "  ",
            (doc.severity.value, SEVERITY_STYLE[doc.severity]),
            (f"  ({family}; checks {_scope_words(scope(doc.code))})", "dim"),
        )
    )
    sections: list[tuple[str, Any]] = [
        ("What it flags", doc.summary),
        ("Why it matters", doc.why),
        (
            "Example",
            Syntax(doc.example, "yaml", theme="ansi_dark", background_color="default"),
        ),
        ("How to fix", doc.fix),
    ]
    from curate.rules import autofix

    automatic = autofix(doc.code)
    if automatic is not None:
        sections.append(("Automatic fix", automatic.describe()))
    if message is not None:
        sections.append(("Message", message))
    for title, body in sections:
        console.print()
        console.print(Text(title, style="bold"))
        console.print(Padding(body, (0, 0, 0, 2), expand=False))


def _scope_words(scope_name: str) -> str:
    return {
        "file": "each file as it is read",
        "schema": "each article against the JSON Schema",
        "article": "each article on its own",
        "corpus": "each article against the whole site",
        "site": "the site's taxonomy files",
        "online": "each link and image over HTTP, with lint --online and links",
    }[scope_name]
