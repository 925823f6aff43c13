"""``curate rules``: list every code curate reports, or explain one."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from curate.cli.common import command, format_option

if TYPE_CHECKING:
    from curate.codes import CodeDoc


#: The writers of --format, by name.
RULES_FORMATS = ("table", "json")


def find_docs(query: str | None) -> tuple[list[CodeDoc], bool]:
    """The codes ``query`` names (a code, a name or a prefix), and whether it named one.

    An unknown query raises UnknownCodeError with the closest codes.
    """
    from curate.reporting.rules import family_order
    from curate.rules import all_codes, check_codes

    docs = dict(sorted(all_codes().items(), key=lambda item: family_order(item[1])))
    if query is None or query.strip().upper() == "ALL":
        return list(docs.values()), False
    wanted = query.strip()
    by_name = {doc.name: doc for doc in docs.values()}
    exact = docs.get(wanted.upper()) or by_name.get(wanted.lower())
    if exact is not None:
        return [exact], True
    matching = [doc for code, doc in docs.items() if code.startswith(wanted.upper())]
    if not matching:
        check_codes([wanted])
    return matching, False


@command
def rules(
    code: Annotated[
        str | None,
        typer.Argument(
            help="A code (RL001), a rule name (related-link-unpublished) or a prefix (RL).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[str, format_option(RULES_FORMATS, "How to show the codes.")] = "table",
) -> int:
    """List every code curate reports (file, schema and lint rules), or explain one.

    'curate rules RL001' shows what the rule flags, why it matters to the site,
    an example and how to fix it. A prefix (RL) lists a family.
    """
    from curate.reporting.rules import doc_dict, write_doc, write_json, write_table
    from curate.rules import all_rules

    docs, single = find_docs(code)
    templates = {c: rule.message for c, rule in all_rules().items()}
    if output == "json":
        documents = [doc_dict(doc, templates.get(doc.code)) for doc in docs]
        write_json(documents[0] if single else documents, sys.stdout)
    elif single:
        write_doc(docs[0], templates.get(docs[0].code), sys.stdout)
    else:
        write_table(docs, sys.stdout)
    return 0


def register(app: typer.Typer) -> None:
    app.command(short_help="List the codes curate reports, or explain one.")(rules)
