"""What the editor asks about a position: completions, hover text, definitions.

Pure functions of the session, the buffer's lines and a :class:`~curate.lsp.cursor.Cursor`;
the server turns their answers into protocol values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, NamedTuple

from curate.corpus import ArticleRecord, display_path
from curate.lsp.cursor import Cursor, unquote
from curate.model import Pointer
from curate.session import Session

#: The keys of a related entry (or the article) whose value is an article URL.
URL_KEYS = frozenset({"webUrl", "originalUrl", "ampWebUrl"})


class Choice(NamedTuple):
    """One completion: what is inserted, what the menu shows beside it, its documentation."""

    label: str
    kind: str  # "key" or "value"
    detail: str = ""
    documentation: str = ""
    insert: str | None = None


def schema_at(schema: dict[str, Any], pointer: Pointer) -> dict[str, Any] | None:
    """The subschema that describes the value at ``pointer`` (None if the schema says nothing)."""
    node: Any = _resolve(schema, schema)
    for step in pointer:
        if not isinstance(node, dict):
            return None
        if isinstance(step, int):
            node = node.get("items")
        else:
            node = (node.get("properties") or {}).get(step)
        node = _resolve(schema, node)
    return node if isinstance(node, dict) else None


def _resolve(schema: dict[str, Any], node: Any) -> Any:
    for _ in range(8):  # a few hops of $ref, never a loop
        if not isinstance(node, dict) or not isinstance(node.get("$ref"), str):
            return node
        target: Any = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        node = target
    return node


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type")
    return {kind} if isinstance(kind, str) else set(kind) if isinstance(kind, list) else set()


def describe(node: dict[str, Any], key: str) -> str:
    """A field's documentation in Markdown: its title, description, type and format."""
    title = node.get("title")
    parts = [f"**{key}**" + (f" ({title})" if isinstance(title, str) else "")]
    if isinstance(node.get("description"), str):
        parts.append(node["description"])
    facts = []
    if _types(node):
        facts.append("type: " + " or ".join(sorted(_types(node))))
    if isinstance(node.get("format"), str):
        facts.append(f"format: {node['format']}")
    if isinstance(node.get("enum"), list):
        facts.append("one of: " + ", ".join(f"`{value}`" for value in node["enum"]))
    if facts:
        parts.append("; ".join(facts))
    return "\n\n".join(parts)


def now_text() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def completions(session: Session, schema: dict[str, Any], cursor: Cursor) -> list[Choice]:
    """The keys or values that fit where the cursor is."""
    node = schema_at(schema, cursor.pointer)
    if cursor.bare and node is not None and "object" in _types(node):
        return _keys(schema, cursor.pointer)  # a key being typed into this mapping
    if not cursor.bare and not cursor.in_value:
        return _keys(schema, cursor.container)
    return _values(session, node, cursor.pointer)


def _keys(schema: dict[str, Any], mapping: Pointer) -> list[Choice]:
    node = schema_at(schema, mapping)
    properties = (node or {}).get("properties") or {}
    choices = []
    for key, value in properties.items():
        sub = _resolve(schema, value)
        sub = sub if isinstance(sub, dict) else {}
        blocky = _types(sub) & {"object", "array"}
        choices.append(
            Choice(
                key,
                "key",
                sub.get("title", "") if isinstance(sub.get("title"), str) else "",
                describe(sub, key),
                f"{key}:" + ("" if blocky else " "),
            )
        )
    return choices


def _values(session: Session, node: dict[str, Any] | None, pointer: Pointer) -> list[Choice]:
    last = pointer[-1] if pointer else None
    parent = pointer[-2] if len(pointer) >= 2 else None
    if pointer[:1] == ("topics",) and len(pointer) <= 2:
        return [
            Choice(
                topic.name, "value", "topic", f"Topic `{topic.name}` ({display_path(topic.path)})"
            )
            for topic in session.site.topics
        ]
    if parent == "provider" and last == "name":
        return [
            Choice(org.name, "value", org.domain, f"Organization {org.name} ({org.domain})")
            for org in session.organizations
            if org.name
        ]
    if parent == "provider" and last == "domain":
        return [
            Choice(org.domain, "value", org.name or "", f"Organization {org.name or org.domain}")
            for org in session.organizations
        ]
    if last == "publishedDateTime":
        return [Choice(now_text(), "value", "now (UTC)", "The current time, in UTC.")]
    if node is None:
        return []
    choices: list[Choice] = []
    if "boolean" in _types(node):
        choices += [Choice("true", "value"), Choice("false", "value")]
    for field in ("enum", "examples"):
        values = node.get(field)
        if isinstance(values, list):
            choices += [
                Choice(str(value), "value", field.rstrip("s")) for value in values if value != ""
            ]
    return list({choice.label: choice for choice in choices}.values())


def related_target(session: Session, cursor: Cursor) -> tuple[str, list[ArticleRecord]] | None:
    """The URL under the cursor, if it is a related entry's, and the site's articles at it."""
    pointer = cursor.pointer
    if not (cursor.in_value and pointer and pointer[-1] in URL_KEYS):
        return None
    url = unquote(cursor.text)
    if not url:
        return None
    own = pointer[0] != "related"
    targets = session.find_articles(url)
    return url, [t for t in targets if not own]


def article_summary(record: ArticleRecord) -> str:
    state = {True: "published", False: "**unpublished** (published: false)", None: "published"}
    return (
        f"**{record.title or '(no title)'}**\n\n"
        f"{record.published_at or 'no date'} · {state[record.published]}"
        + ("" if record.published is not None else " (no `published` key)")
        + f"\n\n`{display_path(record.path)}`"
    )


def hover_text(
    session: Session, schema: dict[str, Any], cursor: Cursor, lines: Sequence[str]
) -> list[str]:
    """Markdown sections about what is under the cursor."""
    sections = []
    target = related_target(session, cursor)
    if target is not None:
        url, records = target
        if records:
            sections += [article_summary(record) for record in records]
        elif cursor.pointer[0] == "related":
            sections.append(f"`{url}` is not an article of this site.")
    pointer = cursor.pointer
    key = next((step for step in reversed(pointer) if isinstance(step, str)), None)
    node = schema_at(schema, pointer)
    if key is not None and node is not None and not cursor.bare:
        sections.append(describe(node, key))
    elif cursor.bare and cursor.in_value and node is not None and pointer[:1] == ("topics",):
        topic = next((t for t in session.site.topics if unquote(cursor.text) in t.aliases()), None)
        if topic is not None:
            sections.append(f"Topic **{topic.name}** (`{display_path(topic.path)}`)")
    return sections


def definition(session: Session, cursor: Cursor) -> list[str]:
    """The files the value under the cursor refers to."""
    pointer = cursor.pointer
    value = unquote(cursor.text)
    if not cursor.in_value or not value:
        return []
    target = related_target(session, cursor)
    if target is not None:
        return [record.path for record in target[1]]
    if pointer[:1] == ("topics",) and len(pointer) == 2:
        found = session.topic_file(value)
        return [found] if found else []
    if pointer[-2:] == ("provider", "domain"):
        found = session.organization_file(value)
        return [found] if found else []
    return []
