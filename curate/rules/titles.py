"""TI: the titles readers see, of the article and of its related entries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from curate.model import Applicability, Pointer, Severity
from curate.rules import AutoFix, Finding, replace_value, rule
from curate.rules._common import describe, related_entries

if TYPE_CHECKING:
    from curate.corpus import Site
    from curate.model import Article, Fix

#: A lead byte of UTF-8 read as Windows-1252, then a continuation byte read the same way.
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
    "\u02dc\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030"
    "\u2039\u203a\u20ac\u2122]"
)
#: Spaces a title should not hold: non-breaking, thin, zero-width, ideographic...
_ODD_SPACE = re.compile("[\u00a0\u1680\u2000-\u200b\u202f\u205f\u2060\u3000\ufeff]")
_DOUBLED_SPACE = re.compile(r"\S(?: {2,}|[\t\r\n])\S")
_JUNK_TITLES = re.compile(
    r"""
    ^become\ an?\ .{0,40}subscriber
    | subscribe\ (?:now\ )?to\ (?:read|continue)
    | (?:sign\ in|log\ ?in|register)\ to\ (?:read|continue)
    | to\ continue\ reading
    | subscribers?[-\ ]only
    | ^please\ include\b
    | \binclude\b.{0,80}\bin\ the\ title\b
    | ^(?:as\ an\ ai\ (?:language\ )?model\b|i'?m\ sorry,?\ but\b|sure,?\ here\b
        |here\ is\ (?:a|the)\ (?:title|headline)\b)
    | ^(?:access\ denied|page\ not\ found|404(?:\ (?:error|not\ found|page\ not\ found))?
        |403\ forbidden|just\ a\ moment\.*|attention\ required!?.*|are\ you\ a\ robot\??
        |robot\ check|enable\ javascript.*|you\ are\ being\ redirected.*
        |untitled(?:\ document)?|no\ title|title|\[removed\]|null|undefined|none|n/a|tbd
        |lorem\ ipsum.*)$
    """,
    re.IGNORECASE | re.VERBOSE,
)
#: The alternatives of _JUNK_TITLES that can match after the first character, in the same
#: order: ``_JUNK_TITLES.match(t) or _JUNK_ANYWHERE.search(t, 1)`` is
#: ``_JUNK_TITLES.search(t)``, in half the time (a title is tried at each character).
_JUNK_ANYWHERE = re.compile(
    r"""
      subscribe\ (?:now\ )?to\ (?:read|continue)
    | (?:sign\ in|log\ ?in|register)\ to\ (?:read|continue)
    | to\ continue\ reading
    | subscribers?[-\ ]only
    | \binclude\b.{0,80}\bin\ the\ title\b
    """,
    re.IGNORECASE | re.VERBOSE,
)


def junk_title(text: str) -> re.Match[str] | None:
    """What makes ``text`` a paywall's, a placeholder's or a tool's text, if anything."""
    return _JUNK_TITLES.match(text) or _JUNK_ANYWHERE.search(text, 1)


def _titles(data: dict[str, Any]) -> Iterator[tuple[Pointer, str]]:
    if isinstance(data.get("title"), str):
        yield ("title",), data["title"]
    for index, entry in related_entries(data):
        if isinstance(entry.get("title"), str):
            yield ("related", index, "title"), entry["title"]


def _cp1252_bytes(text: str) -> bytes | None:
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                return None
            out.append(ord(char))  # the five bytes Windows-1252 leaves undefined
    return bytes(out)


def repair_mojibake(text: str) -> str | None:
    """``text`` with UTF-8 read as Windows-1252 undone, or None if it is not such text."""
    if text.isascii() or not _MOJIBAKE.search(text):  # ASCII: nothing of the pattern
        return None
    repaired = []
    # Only the garbled runs are re-decoded: the rest may hold characters 1252 lacks.
    for run in re.split(r"([\u0080-\u00ff\u0152-\u2122]+)", text):
        if run and _MOJIBAKE.search(run):
            raw = _cp1252_bytes(run)
            try:
                run = raw.decode("utf-8") if raw is not None else run
            except UnicodeDecodeError:
                return None
        repaired.append(run)
    fixed = "".join(repaired)
    return fixed if fixed != text else None


@rule(
    "TI001",
    "title-mojibake",
    Severity.ERROR,
    message="{where} is garbled text (UTF-8 read as Windows-1252): {value} should be {fixed}",
    summary="A title holds mojibake such as 'â€™' where a curly quote was meant.",
    why="Readers see the garbled characters on every listing and page; the text was encoded "
    "twice somewhere upstream, and search engines index it garbled.",
    example='title: "Why \u00e2\u20ac\u02dcSensitive Data\u00e2\u20ac\u2122 Matters"',
    fix="Write the title with the characters meant (here: \u2018Sensitive Data\u2019); the "
    "message "
    "gives the repaired text.",
    autofix=AutoFix(
        Applicability.UNSAFE,
        "the title is repaired by ftfy (its fix_encoding, which undoes text encoded twice); "
        "when ftfy sees no mojibake, nothing is changed. Unsafe: a rare title really holds "
        "such characters, and the editor should read the repaired text.",
    ),
)
def title_mojibake(article: Article, site: Site) -> Iterator[Finding]:
    for pointer, title in _titles(article.data):
        fixed = repair_mojibake(title)
        if fixed is not None:
            yield Finding.of(
                pointer,
                value=describe(title),
                fixed=describe(fixed),
                fix=_mojibake_fix(pointer, title),
            )


def _mojibake_fix(pointer: Pointer, title: str) -> Fix | None:
    import ftfy  # only when a title is garbled: it takes a while to import

    repaired = ftfy.fix_encoding(title)
    if repaired == title:
        return None
    return replace_value("Repair the garbled title (ftfy)", Applicability.UNSAFE, pointer, repaired)


def _space_problems(title: str) -> list[str]:
    problems = []
    if title != title.lstrip():
        problems.append("leading whitespace")
    if title != title.rstrip():
        problems.append("trailing whitespace")
    if not title.isascii() and _ODD_SPACE.search(title):
        problems.append("a non-breaking or invisible space")
    if _DOUBLED_SPACE.search(title):
        problems.append("doubled spaces or a line break")
    return problems


def clean_title(title: str) -> str:
    return " ".join((title if title.isascii() else _ODD_SPACE.sub(" ", title)).split())


@rule(
    "TI002",
    "title-whitespace",
    Severity.WARNING,
    message="{where} has {problems}: write {fixed}",
    summary="A title has leading or trailing whitespace, a non-breaking or invisible space, "
    "or doubled spaces.",
    why="Titles are compared, sorted and turned into slugs; stray spaces make the same title "
    "differ, and a non-breaking space keeps words glued when a title wraps.",
    example='title: " AI finds new drugs\u00a0for Alzheimer\'s "',
    fix="Delete the extra spaces and write ordinary spaces; the message gives the clean title.",
    autofix=AutoFix(
        Applicability.SAFE,
        "the title is written with single ordinary spaces, nothing around it. Safe when only "
        "ordinary whitespace changes (readers cannot see it); unsafe when a non-breaking or "
        "invisible space is replaced, which some typography (French) means.",
    ),
)
def title_whitespace(article: Article, site: Site) -> Iterator[Finding]:
    for pointer, title in _titles(article.data):
        if not title.strip():
            continue  # an empty title is the schema's to report
        problems = _space_problems(title)
        if problems:
            yield Finding.of(
                pointer,
                problems=" and ".join(problems),
                fixed=describe(clean_title(title)),
                fix=replace_value(
                    "Clean the spaces of the title",
                    Applicability.UNSAFE if _ODD_SPACE.search(title) else Applicability.SAFE,
                    pointer,
                    clean_title(title),
                ),
            )


@rule(
    "TI003",
    "title-placeholder",
    Severity.ERROR,
    message="{where} {value} is not a headline but {kind}",
    summary="A title is a paywall or error-page text, a placeholder, or an instruction leaked "
    "from the tool that wrote it.",
    why="The site publishes the title as it is: 'Become an FT subscriber to read:' or 'Please "
    "include CSIRO, AI, and Australia in the Title...' on the front page tells readers the "
    "data is broken, and the article under it is usually not the story either.",
    example='title: "Become an FT subscriber to read:"',
    fix="Write the real headline of the story (from its webUrl), or set 'published: false' "
    "and delete the article if the page was never the story.",
)
def title_placeholder(article: Article, site: Site) -> Iterator[Finding]:
    for pointer, title in _titles(article.data):
        text = clean_title(title).rstrip(":.… ")
        match = junk_title(text)
        if match is None:
            continue
        found = match.group(0).lower()
        if ("title" in found and found != "title") or found.startswith(("please", "as an ai")):
            kind = "an instruction to the tool that wrote it"
        elif any(word in found for word in ("subscri", "sign in", "log", "register", "continue")):
            kind = "a paywall's text"
        else:
            kind = "a placeholder or an error page's text"
        yield Finding.of(pointer, value=describe(title), kind=kind)
