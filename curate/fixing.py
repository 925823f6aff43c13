"""Apply fixes: resolve them to text edits, apply the ones that do not overlap, re-check, repeat.

The design follows Ruff's: a fix is a list of edits plus an applicability
(safe / unsafe); the edits of several fixes are applied together when their
spans do not overlap, the file is checked again and the loop repeats until
nothing changes (at most :data:`MAX_ITERATIONS` times).

A fix says what to write (:class:`curate.model.Change`), not where: the edits
are computed here from the file's current text, so that a position remembered
from an earlier run never damages a file. Only the bytes of the fixed value or
key change: comments, key order, blank lines, indentation, the body, CRLF line
endings, a BOM and the final newline are kept, and a value keeps its quoting
style where YAML allows it.

A fix never turns a valid document into a worse one: if the result does not
parse, does not hold the intended value, or gains a finding of a code it did not
have as often before, the fix is dropped and reported.
"""

from __future__ import annotations

import copy
import difflib
import errno
import functools
import itertools
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from curate.loading import Locator, load_text, read_regular_file
from curate.model import Change, ChangeKind, Diagnostic, Edit, Fix

if TYPE_CHECKING:
    from curate.config import Settings
    from curate.corpus import CorpusIndex, Site

#: Rounds of "apply, check again" per file, as Ruff bounds its loop.
MAX_ITERATIONS = 10
_BOM = "\ufeff"

#: Checks one file's text; None when it no longer parses into an article.
TextChecker = Callable[[str, str], "list[Diagnostic] | None"]


class _Unfixable(Exception):
    """The change cannot be written into this text (its shape is not one we edit)."""


# --- Resolving changes into text edits ------------------------------------------------


def resolve(text: str, fix: Fix) -> tuple[Edit, ...] | None:
    """The text edits that make ``fix`` in ``text`` (LF line endings, no BOM), or None.

    None when a change cannot be written here: the value is gone, or written in a
    shape (a block scalar, a flow collection) this module does not edit.
    """
    locator = _parse(text)
    if locator is None or _ODD_BREAKS.search(text, 0, _front_matter_end(text)):
        return None
    lines = text.split("\n")
    try:
        edits = [edit for change in fix.changes for edit in _resolve(change, locator, lines)]
    except _Unfixable:
        return None
    edits.sort()
    if any(_overlap(a, b) for a, b in itertools.pairwise(edits)):
        return None
    return tuple(edits)


@functools.lru_cache(maxsize=4)
def _parse(text: str) -> Locator | None:
    """The nodes of ``text``, parsed once for all the fixes of a file."""
    return Locator.from_text(text)


#: Characters YAML takes for line breaks besides LF: lines would be counted differently.
_ODD_BREAKS = re.compile("[\r\x85\u2028\u2029]")


_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


def _front_matter_end(text: str) -> int:
    match = _FENCE.search(text, text.find("\n") + 1)
    return match.end() if match else len(text)


def _resolve(change: Change, locator: Locator, lines: list[str]) -> list[Edit]:
    if change.kind is ChangeKind.REPLACE:
        return [_replace(change, locator)]
    if change.kind is ChangeKind.REMOVE_ITEM:
        return _remove_item(change.pointer, locator, lines)
    return _remove_key(change.value, locator, lines)


def _replace(change: Change, locator: Locator) -> Edit:
    node, found = locator.node_at(change.pointer)
    if found != change.pointer or not isinstance(node, yaml.ScalarNode):
        raise _Unfixable
    start, end = node.start_mark, node.end_mark
    parent, _ = locator.node_at(change.pointer[:-1])
    in_flow = bool(getattr(parent, "flow_style", False))
    return Edit(
        start.line + 2,
        start.column + 1,
        end.line + 2,
        end.column + 1,
        render_scalar(change.value, node.style, in_flow=in_flow),
    )


def _remove_item(pointer: Any, locator: Locator, lines: list[str]) -> list[Edit]:
    """Delete the lines of a block sequence item (its own comments stay with the file)."""
    sequence, found = locator.node_at(pointer[:-1])
    index = pointer[-1] if pointer else None
    if (
        found != pointer[:-1]
        or not isinstance(sequence, yaml.SequenceNode)
        or sequence.flow_style
        or not isinstance(index, int)
        or not 0 <= index < len(sequence.value)
    ):
        raise _Unfixable
    item = sequence.value[index]
    first = _dash_line(item, lines)
    last = _last_content_line(item, lines)
    edits = [Edit(first + 1, 1, last + 2, 1, "")]
    if len(sequence.value) == 1:
        edits.append(_empty_list_after_key(pointer[:-1], locator, lines))
    return edits


def _dash_line(item: yaml.Node, lines: list[str]) -> int:
    """The 0-based file line of the ``-`` that opens a block sequence item."""
    line = item.start_mark.line + 1
    before = lines[line][: item.start_mark.column]
    if before.strip() == "-":
        return line
    if not before.strip() and line > 0 and lines[line - 1].strip() == "-":
        return line - 1
    raise _Unfixable


def _last_content_line(node: yaml.Node, lines: list[str]) -> int:
    """The 0-based file line where ``node``'s text ends, not counting trailing comment lines."""
    end = node.end_mark
    line = end.line + 1
    # A block collection ends where the next item or key begins, after its indentation.
    if line >= len(lines) or not lines[line][: end.column].strip():
        line -= 1
    literal = isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
    # Comment lines after a node belong to what follows (in a block scalar they are text).
    while line > node.start_mark.line + 1 and (
        not lines[line].strip() or (not literal and lines[line].strip().startswith("#"))
    ):
        line -= 1
    return line


def _empty_list_after_key(pointer: Any, locator: Locator, lines: list[str]) -> Edit:
    """Write ``[]`` after the key of a list whose last item is removed (it stays a list)."""
    if not pointer or not isinstance(pointer[-1], str):
        raise _Unfixable
    parent, found = locator.node_at(pointer[:-1])
    if found != pointer[:-1] or not isinstance(parent, yaml.MappingNode):
        raise _Unfixable
    keys = [k for k, _ in parent.value if isinstance(k, yaml.ScalarNode) and k.value == pointer[-1]]
    if not keys:
        raise _Unfixable
    key = keys[-1]
    line = key.end_mark.line + 1
    rest = lines[line][key.end_mark.column :]
    match = re.match(r"[ \t]*:", rest)
    if match is None or rest[match.end() :].strip() not in ("", *_comments(rest[match.end() :])):
        raise _Unfixable
    column = key.end_mark.column + match.end()
    return Edit(line + 1, column + 1, line + 1, column + 1, " []")


def _comments(text: str) -> tuple[str, ...]:
    stripped = text.strip()
    return (stripped,) if stripped.startswith("#") else ()


def _remove_key(position: Any, locator: Locator, lines: list[str]) -> list[Edit]:
    """Delete the occurrence of a key written at ``[line, column]`` (1-based), with its value."""
    line, column = position
    for mapping in _mappings(locator.root):
        if mapping.flow_style:
            continue
        for key, value in mapping.value:
            if (key.start_mark.line + 2, key.start_mark.column + 1) == (line, column):
                if lines[line - 1][: column - 1].strip():
                    raise _Unfixable  # "- key:" opens a list item: removing the line would too
                last = max(_last_content_line(value, lines), key.start_mark.line + 1)
                return [Edit(line, 1, last + 2, 1, "")]
    raise _Unfixable


def _mappings(node: yaml.Node) -> Iterable[yaml.MappingNode]:
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, yaml.MappingNode):
            yield current
            pending.extend(value for _, value in current.value)
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(current.value)


# --- Writing scalars in the style they had -------------------------------------------------

_DOUBLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def double_quoted(value: str) -> str:
    """``value`` as a YAML double-quoted scalar; what YAML needs escaped is escaped."""
    out = []
    for char in value:
        escaped = _DOUBLE_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char in "\u2028\u2029\ufeff":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _single_quotable(value: str) -> bool:
    return all(ord(char) >= 0x20 and char not in "\x7f\u2028\u2029\ufeff" for char in value)


def _plain_ok(value: str, in_flow: bool) -> bool:
    """Whether ``value`` written plain reads back as the same string."""
    if not value or value != value.strip() or not _single_quotable(value):
        return False
    if in_flow and any(char in value for char in ",[]{}"):
        return False
    try:
        node = yaml.compose(f"k: {value}\n", Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return False
    if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
        return False
    scalar = node.value[0][1]
    return (
        isinstance(scalar, yaml.ScalarNode)
        # curate reads timestamps as the strings they are written as
        and scalar.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp")
        and scalar.value == value
    )


def render_scalar(value: Any, style: str | None, *, in_flow: bool = False) -> str:
    """``value`` written in ``style`` (None or '' plain, '"', "'"), quoting when YAML needs it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise _Unfixable
    if style == "'" and _single_quotable(value):
        return "'" + value.replace("'", "''") + "'"
    if style in (None, "") and _plain_ok(value, in_flow):
        return value
    if style in (None, "", '"', "'"):
        return double_quoted(value)
    raise _Unfixable  # block scalars (| and >) are not rewritten


# --- Applying edits -------------------------------------------------------------------------


def _overlap(first: Edit, second: Edit) -> bool:
    """Whether two edits (sorted) touch the same span; two insertions at one point do too."""
    first_end = (first.end_line, first.end_column)
    second_start = (second.line, second.column)
    return first_end > second_start or (first_end == second_start and first == second)


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with ``edits`` (sorted, not overlapping) applied.

    ``text`` may have CRLF line endings: positions count lines by LF and columns
    within the line, so a ``\\r`` is only ever removed with its whole line.
    """
    starts = [0]
    for match in re.finditer("\n", text):
        starts.append(match.end())

    def offset(line: int, column: int) -> int:
        if line - 1 >= len(starts):
            return len(text)
        return starts[line - 1] + column - 1

    parts = []
    position = 0
    for edit in edits:
        start = offset(edit.line, edit.column)
        parts.append(text[position:start])
        parts.append(edit.content)
        position = offset(edit.end_line, edit.end_column)
    parts.append(text[position:])
    return "".join(parts)


# --- The loop over one file -----------------------------------------------------------------


@dataclass
class FileFix:
    """What fixing one file gave: its text before and after, what was fixed and what was not."""

    path: str
    original: bytes
    fixed: bytes
    applied: Counter[str] = field(default_factory=Counter)
    #: Fixes dropped, as ``(diagnostic, reason)``.
    dropped: list[tuple[Diagnostic, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


def _key(diagnostic: Diagnostic) -> tuple[str, tuple[Any, ...], str]:
    return (diagnostic.code, diagnostic.pointer, diagnostic.message)


def fix_text(path: str, raw: bytes, check: TextChecker, *, unsafe: bool) -> FileFix:
    """Apply the fixes of ``raw`` (a file's bytes) until nothing changes; nothing is written."""
    outcome = FileFix(path, raw, raw)
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return outcome
    bom = _BOM if decoded.startswith(_BOM) else ""
    current = decoded[len(bom) :]
    diagnostics = check(path, current)
    if diagnostics is None:
        return outcome
    refused: set[tuple[str, tuple[Any, ...], str]] = set()
    for _ in range(MAX_ITERATIONS):
        candidates = _candidates(current, diagnostics, unsafe, refused, outcome)
        if not candidates:
            break
        accepted = _try_together(path, current, diagnostics, candidates, check)
        if accepted is None:
            accepted = _try_alone(path, current, diagnostics, candidates, check, refused, outcome)
        if accepted is None:
            break
        text, found, fixed = accepted
        if text == current:
            break
        current, diagnostics = text, found
        outcome.applied.update(d.code for d in fixed)
    outcome.fixed = (bom + current).encode("utf-8")
    return outcome


def _candidates(
    text: str,
    diagnostics: Sequence[Diagnostic],
    unsafe: bool,
    refused: set[tuple[str, tuple[Any, ...], str]],
    outcome: FileFix,
) -> list[tuple[Diagnostic, tuple[Edit, ...]]]:
    """The applicable fixes with their edits, first come first served, no two over one span."""
    normalized = text.replace("\r\n", "\n")
    resolved: list[tuple[Diagnostic, tuple[Edit, ...]]] = []
    for diagnostic in diagnostics:
        fix = diagnostic.fix
        if fix is None or not fix.applies(unsafe) or _key(diagnostic) in refused:
            continue
        edits = resolve(normalized, fix)
        if edits is None:
            refused.add(_key(diagnostic))
            outcome.dropped.append(
                (diagnostic, "the value is written in a form curate does not edit")
            )
            continue
        if edits and _changes_text(normalized, edits):
            resolved.append((diagnostic, edits))
    resolved.sort(key=lambda item: item[1][0])
    chosen: list[tuple[Diagnostic, tuple[Edit, ...]]] = []
    taken: list[Edit] = []
    for diagnostic, edits in resolved:
        merged = sorted([*taken, *edits])
        if any(_overlap(a, b) for a, b in itertools.pairwise(merged)):
            continue  # the next round, on the new text, will take it
        taken = merged
        chosen.append((diagnostic, edits))
    return chosen


def _changes_text(text: str, edits: Sequence[Edit]) -> bool:
    return apply_edits(text, edits) != text


def _try_together(
    path: str,
    text: str,
    before: Sequence[Diagnostic],
    candidates: Sequence[tuple[Diagnostic, tuple[Edit, ...]]],
    check: TextChecker,
) -> tuple[str, list[Diagnostic], list[Diagnostic]] | None:
    edits = sorted(edit for _, item in candidates for edit in item)
    result = apply_edits(text, edits)
    fixes = [diagnostic.fix for diagnostic, _ in candidates if diagnostic.fix is not None]
    if not _does_only(text, result, fixes):
        return None
    after = check(path, result)
    if after is None or _gains(before, after):
        return None
    return result, after, [diagnostic for diagnostic, _ in candidates]


def _try_alone(
    path: str,
    text: str,
    before: Sequence[Diagnostic],
    candidates: Sequence[tuple[Diagnostic, tuple[Edit, ...]]],
    check: TextChecker,
    refused: set[tuple[str, tuple[Any, ...], str]],
    outcome: FileFix,
) -> tuple[str, list[Diagnostic], list[Diagnostic]] | None:
    """The first candidate that works on its own; the others that break the file are dropped."""
    for diagnostic, edits in candidates:
        result = apply_edits(text, edits)
        assert diagnostic.fix is not None
        if not _does_only(text, result, [diagnostic.fix]):
            after = None
            reason = "the result would not hold the intended value"
        else:
            after = check(path, result)
            if after is not None and not _gains(before, after):
                return result, after, [diagnostic]
            reason = "the result would not parse" if after is None else _gained(before, after)
        refused.add(_key(diagnostic))
        outcome.dropped.append((diagnostic, reason))
    return None


def front_matter_data(path: str, text: str) -> dict[str, Any] | None:
    """The parsed front matter of ``text``, or None if it does not parse."""
    article = load_text(path, text.encode("utf-8")).article
    return None if article is None else article.data


def _does_only(before: str, after: str, fixes: Sequence[Fix]) -> bool:
    """Whether the front matter of ``after`` is that of ``before`` with ``fixes`` made, exactly."""
    old = front_matter_data("", before)
    new = front_matter_data("", after)
    if old is None or new is None:
        return False
    changes = [change for fix in fixes for change in fix.changes]
    try:
        expected = expected_data(old, changes)
    except (KeyError, IndexError, TypeError):
        return False
    return bool(new == expected)


def expected_data(data: dict[str, Any], changes: Sequence[Change]) -> dict[str, Any]:
    """``data`` as ``changes`` should leave it: replacements first, then removals from the end."""
    result: dict[str, Any] = copy.deepcopy(data)
    for change in changes:
        if change.kind is ChangeKind.REPLACE:
            container = _walk(result, change.pointer[:-1])
            container[change.pointer[-1]] = change.value
    removals = [c.pointer for c in changes if c.kind is ChangeKind.REMOVE_ITEM]
    for pointer in sorted(removals, key=lambda p: p[-1], reverse=True):
        del _walk(result, pointer[:-1])[pointer[-1]]
    return result


def _walk(data: Any, pointer: Sequence[Any]) -> Any:
    for step in pointer:
        data = data[step]
    return data


def _gains(before: Sequence[Diagnostic], after: Sequence[Diagnostic]) -> bool:
    counts = Counter(d.code for d in before)
    return any(count > counts[code] for code, count in Counter(d.code for d in after).items())


def _gained(before: Sequence[Diagnostic], after: Sequence[Diagnostic]) -> str:
    counts = Counter(d.code for d in before)
    new = sorted(code for code, n in Counter(d.code for d in after).items() if n > counts[code])
    return f"the result would gain a finding ({', '.join(new)})"


# --- Checking a file's text as the engine would ---------------------------------------------


def text_checker(settings: Settings, site: Site, index: CorpusIndex | None) -> TextChecker:
    """Check a file's text as :mod:`curate.engine` checks the file, before it is written.

    The per-file checks are the engine's own; cross-article rules use ``index`` (the
    site as it was before the fixes).
    """
    from curate.engine import CheckOptions, FileChecker, to_diagnostic
    from curate.policy import Policy
    from curate.schema import load_schema

    policy = Policy.from_settings(settings, site.root)
    checker = FileChecker(CheckOptions(load_schema(settings.schema), site, policy, lint=True))
    corpus_rules = [rule for rule in policy.rules() if rule.check_corpus is not None]

    def check(path: str, text: str) -> list[Diagnostic] | None:
        loaded = load_text(path, text.encode("utf-8"))
        if loaded.article is None:
            return None
        report, _ = checker.check_loaded(path, loaded, None)
        diagnostics = list(report.diagnostics)
        record = report.record
        if record is not None and index is not None and corpus_rules:
            article = site.apply_defaults(loaded.article)
            for rule in corpus_rules:
                assert rule.check_corpus is not None
                for finding in rule.check_corpus(record, index, site):
                    diagnostic = to_diagnostic(article, rule, finding)
                    if report.suppressions is None or not report.suppressions.suppresses(
                        diagnostic
                    ):
                        diagnostics.append(diagnostic)
        return [d for d in diagnostics if policy.reports(d) and d.path == path]

    return check


# --- Files on disk ----------------------------------------------------------------------------


class ChangedOnDiskError(Exception):
    """The file changed since it was read: it is not overwritten."""


def read_bytes(path: str) -> bytes:
    """The bytes of a regular file (a FIFO named ``*.md`` is an OSError, not a wait)."""
    return read_regular_file(path)


def write_atomically(path: str, expected: bytes, content: bytes) -> bool:
    """Replace ``path`` by ``content`` if it still holds ``expected``; False when unchanged.

    A temporary file in the same folder is written, flushed and synced, given the
    file's mode, then renamed over it: a reader sees the old file or the new one.
    """
    if content == expected:
        return False
    target = os.path.realpath(path)  # a symlink stays a symlink
    if read_bytes(target) != expected:
        raise ChangedOnDiskError(path)
    if not os.access(target, os.W_OK):  # a rename would replace a read-only file
        raise PermissionError(errno.EACCES, "the file is read-only", path)
    mode = os.stat(target).st_mode & 0o7777
    folder, name = os.path.split(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".curate-fix", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    """A diff of one file that ``git apply`` (and ``patch -p1``) accepts."""
    name = Path(os.path.relpath(path)).as_posix()
    old = before.decode("utf-8").splitlines(keepends=True)
    new = after.decode("utf-8").splitlines(keepends=True)
    lines = []
    for line in difflib.unified_diff(old, new, f"a/{name}", f"b/{name}"):
        if line.startswith(("---", "+++")):
            line = line.rstrip("\n") + "\n"
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


# --- A whole run ------------------------------------------------------------------------------


@dataclass
class FixRun:
    """What ``curate lint --fix`` (or ``--diff``) did to the files of a run."""

    files: list[FileFix]
    #: Files not written because they changed on disk while being fixed, or could not be.
    not_written: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> list[FileFix]:
        return [outcome for outcome in self.files if outcome.changed]

    @property
    def applied(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for outcome in self.files:
            if outcome.changed:
                total.update(outcome.applied)
        return total

    @property
    def dropped(self) -> list[tuple[Diagnostic, str]]:
        return [item for outcome in self.files for item in outcome.dropped]


def fix_paths(
    targets: Sequence[Path],
    settings: Settings,
    *,
    unsafe: bool = False,
    write: bool = True,
) -> FixRun:
    """Fix the files of ``targets`` that have applicable fixes; write them unless told not to."""
    from curate import engine

    result = engine.run(targets, settings, lint=True, need_records=True)
    check = text_checker(settings, result.site, result.index)
    paths = sorted(
        {d.path for d in result.diagnostics if d.fix is not None and d.fix.applies(unsafe)}
    )
    run = FixRun([])
    for path in paths:
        try:
            raw = read_bytes(path)
        except OSError as error:
            run.not_written.append((path, f"cannot read: {error.strerror or error}"))
            continue
        outcome = fix_text(path, raw, check, unsafe=unsafe)
        run.files.append(outcome)
        if not write or not outcome.changed:
            continue
        try:
            write_atomically(path, raw, outcome.fixed)
        except ChangedOnDiskError:
            run.not_written.append((path, "it changed on disk while being fixed; run again"))
        except OSError as error:
            run.not_written.append((path, f"cannot write: {error.strerror or error}"))
    return run


def with_edits(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """``diagnostics`` with the edits of their fixes computed from their files' current text.

    A fix whose edits cannot be computed (the file changed or cannot be read) is left
    without edits.
    """
    texts: dict[str, str | None] = {}
    result = []
    for diagnostic in diagnostics:
        fix = diagnostic.fix
        if fix is None or fix.edits:
            result.append(diagnostic)
            continue
        if diagnostic.path not in texts:
            texts[diagnostic.path] = _normalized_text(diagnostic.path)
        text = texts[diagnostic.path]
        edits = resolve(text, fix) if text is not None else None
        result.append(diagnostic._replace(fix=fix._replace(edits=edits or ())))
    return result


def _normalized_text(path: str) -> str | None:
    try:
        text = read_bytes(path).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text.removeprefix(_BOM).replace("\r\n", "\n")
