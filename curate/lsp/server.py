"""``curate lsp``: the site's checks in the editor, as you type, over stdio.

A thin adapter, like the command line: a :class:`~curate.session.Session` checks
the buffers; this module speaks the protocol. Every handler is guarded: a
keystroke passes through half-typed YAML, and no input stops the server or sends
a traceback; problems go to the client's log (``window/logMessage``) and stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from curate.__about__ import __version__
from curate.lsp import assist
from curate.lsp.cursor import Cursor, cursor_at
from curate.model import Diagnostic, Severity
from curate.session import Session

#: Where each code's documentation is; ``{anchor}`` is the README section, ``{code}`` the code.
#: Editors may point elsewhere with the ``docsUrl`` initialization option.
DOCS_URL = "https://github.com/OWNER/curate/blob/main/README.md#{anchor}"
#: The default pause after a keystroke before a burst of edits is checked again.
DEBOUNCE_SECONDS = 0.2
#: The code action that applies every safe fix of a file (with the fix engine).
FIX_ALL_KIND = "source.fixAll.curate"

_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
}
#: Files whose change makes the whole site be indexed again (settings, schema, taxonomy).
_SITE_FILES = ("_config.yml", "_config.yaml", "curate.toml", "pyproject.toml")
_WATCHED = (
    "**/_config.{yml,yaml}",
    "**/_data/**",
    "**/curate.toml",
    "**/pyproject.toml",
    "**/*.{md,markdown}",
)
_IGNORE_COMMENT = re.compile(r"#\s*curate:\s*ignore\[([A-Za-z0-9_,\s]*)\]")

T = TypeVar("T")


class CurateServer(LanguageServer):
    """The server's state: one session per site, the open documents' last diagnostics."""

    def __init__(self) -> None:
        super().__init__("curate", __version__)
        self.session: Session | None = None
        self.root: Path | None = None
        self.config: Path | None = None
        self.docs_url = DOCS_URL
        self.debounce = DEBOUNCE_SECONDS
        self.indexing: asyncio.Task[None] | None = None
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.last_check: dict[str, float] = {}
        #: The diagnostics last published for each open document, with their protocol form.
        self.published: dict[str, list[tuple[lsp.Diagnostic, Diagnostic]]] = {}

    # -- logging ------------------------------------------------------------------------

    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
        sys.stderr.write(f"curate lsp: {message}\n")
        sys.stderr.flush()
        # No client to tell (not started yet, or gone): stderr has it.
        with contextlib.suppress(Exception):
            self.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    def report_server_error(self, error: Exception, source: Any) -> None:
        self.log(f"protocol error: {error!r}", lsp.MessageType.Error)

    def guard(self, name: str, default: T, run: Callable[[], T]) -> T:
        """Run a handler; an unexpected error is logged, never sent as a traceback."""
        try:
            return run()
        except Exception as error:
            if os.environ.get("CURATE_DEBUG"):
                traceback.print_exc()
            self.log(
                f"internal error in {name}: {error!r} (a bug in curate; CURATE_DEBUG=1 prints "
                "the traceback on stderr)",
                lsp.MessageType.Error,
            )
            return default

    # -- the session --------------------------------------------------------------------

    def start_session(self) -> None:
        """Index the site in a thread; open documents are checked when it is ready."""
        if self.root is None:
            return
        if self.indexing is not None and not self.indexing.done():
            self.indexing.cancel()
        self.indexing = asyncio.get_running_loop().create_task(self._index(self.root))

    async def _index(self, root: Path) -> None:
        from curate.cache import cache_factory
        from curate.config import ConfigError, Settings, resolve_settings
        from curate.schema import SchemaError

        begun = time.perf_counter()
        try:
            settings = resolve_settings({"root": root}, config=self.config, cwd=root)
        except ConfigError as error:
            self.show(f"curate: {error}; using the default settings", lsp.MessageType.Error)
            settings = Settings(root=root)
        if settings.cache and settings.jobs != 1:
            await self._warm_cache(root)
        try:
            # In this thread, files the cache lacks are checked in-process: a process
            # pool forked from a threaded server can deadlock.
            session = await asyncio.to_thread(
                Session.start, root, settings.replace(jobs=1), cache_factory(settings)
            )
        except (SchemaError, ConfigError, ValueError, OSError) as error:
            self.show(f"curate: cannot check the site: {error}", lsp.MessageType.Error)
            return
        except Exception as error:
            self.show(f"curate: indexing the site failed: {error!r}", lsp.MessageType.Error)
            return
        self.session = session
        self.log(
            f"indexed {len(session.index)} articles of {root} in "
            f"{time.perf_counter() - begun:.2f} s"
        )
        self.check_open_documents()

    async def _warm_cache(self, root: Path) -> None:
        """Check the site with ``curate lint`` in a child process, in parallel, to fill the cache.

        The first indexing of a large site is the slow part; a plain run parallelises
        it. Its findings are not read: the session reads the cache it leaves.
        """
        command = [sys.executable, "-m", "curate", "lint", str(root), "--format", "json"]
        if self.config is not None:
            command += ["--config", str(self.config)]
        try:
            child = await asyncio.create_subprocess_exec(
                *command,
                cwd=root,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            await child.wait()
        except OSError as error:
            self.log(f"could not fill the cache in a child process: {error}")

    def show(self, message: str, kind: lsp.MessageType) -> None:
        self.log(message, kind)
        with contextlib.suppress(Exception):
            self.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    def check_open_documents(self, skip: str | None = None) -> None:
        for uri in list(self.workspace.text_documents):
            if uri != skip:
                self.publish(uri)

    # -- diagnostics ----------------------------------------------------------------------

    def schedule(self, uri: str) -> None:
        """Check now after a quiet spell, else once the typing pauses (debounce)."""
        loop = asyncio.get_running_loop()
        pending = self.timers.pop(uri, None)
        if pending is not None:
            pending.cancel()
        quiet = loop.time() - self.last_check.get(uri, float("-inf")) >= self.debounce
        if quiet or self.debounce <= 0:
            self.publish(uri, others=True)
        else:
            self.timers[uri] = loop.call_later(self.debounce, self.publish, uri, True)

    def publish(self, uri: str, others: bool = False) -> None:
        self.guard("diagnostics", None, lambda: self._publish(uri, others))

    def _publish(self, uri: str, others: bool) -> None:
        self.timers.pop(uri, None)
        self.last_check[uri] = asyncio.get_running_loop().time()
        session = self.session
        path = to_fs_path(uri)
        if session is None or path is None or not session.is_article(path):
            return
        document = self.workspace.get_text_document(uri)
        checked = session.check(path, document.source)
        pairs = [(self.to_lsp(document, d, session), d) for d in checked.diagnostics]
        self.published[uri] = pairs
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(
                uri=uri, diagnostics=[pair[0] for pair in pairs], version=document.version
            )
        )
        if others:
            # Cross-article findings of the other open files may have changed with this one.
            self.check_open_documents(skip=uri)

    def clear(self, uri: str) -> None:
        self.published.pop(uri, None)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def to_lsp(
        self, document: TextDocument, diagnostic: Diagnostic, session: Session
    ) -> lsp.Diagnostic:
        related = [
            lsp.DiagnosticRelatedInformation(
                location=lsp.Location(
                    uri=from_fs_path(other.path) or other.path,
                    range=_point(other.location.line - 1, other.location.column - 1),
                ),
                message=other.note,
            )
            for other in session.related_locations(diagnostic)
        ]
        return lsp.Diagnostic(
            range=diagnostic_range(document, diagnostic),
            message=diagnostic.message,
            severity=_SEVERITY[diagnostic.severity],
            code=diagnostic.code,
            code_description=lsp.CodeDescription(href=self.docs_href(diagnostic.code)),
            source="curate",
            related_information=related or None,
            data={"name": diagnostic.name, "pointer": list(diagnostic.pointer)},
        )

    def docs_href(self, code: str) -> str:
        anchor = "diagnostic-codes" if code.startswith(("FM", "SC")) else "rules"
        return self.docs_url.format(code=code, anchor=anchor, name=code.lower())

    def markup(self, text: str, feature: str) -> lsp.MarkupContent:
        """Markdown where the client reads it for ``feature`` ("hover", "completion"), else text."""
        document = self.client_capabilities.text_document
        formats: Sequence[lsp.MarkupKind] | None = None
        if document is not None and feature == "hover" and document.hover is not None:
            formats = document.hover.content_format
        elif document is not None and feature == "completion" and document.completion is not None:
            item = document.completion.completion_item
            formats = item.documentation_format if item is not None else None
        if formats and lsp.MarkupKind.Markdown in formats:
            return lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text)
        return lsp.MarkupContent(kind=lsp.MarkupKind.PlainText, value=text)

    # -- positions --------------------------------------------------------------------------

    def cursor(self, uri: str, position: lsp.Position) -> tuple[TextDocument, Cursor] | None:
        document = self.workspace.get_text_document(uri)
        lines = [line.rstrip("\r\n") for line in document.lines]
        at = document.position_from_client_units(position)
        found = cursor_at(lines, at.line, at.character)
        return None if found is None else (document, found)


def _point(line: int, character: int) -> lsp.Range:
    position = lsp.Position(line=max(line, 0), character=max(character, 0))
    return lsp.Range(start=position, end=position)


def value_end(line: str, start: int) -> int:
    """Where the value (or key) starting at ``start`` of ``line`` ends: a quote, a comment, EOL."""
    if start >= len(line):
        return len(line)
    opening = line[start]
    if opening in "\"'":
        index = start + 1
        while index < len(line):
            if line[index] == "\\" and opening == '"':
                index += 2
                continue
            if line[index] == opening:
                return index + 1
            index += 1
        return len(line.rstrip())
    comment = line.find(" #", start)
    end = len(line) if comment == -1 else comment
    return max(len(line[:end].rstrip()), start + 1 if start < len(line) else start)


def diagnostic_range(document: TextDocument, diagnostic: Diagnostic) -> lsp.Range:
    """The span of the value a diagnostic is about, in the client's position units."""
    lines = document.lines
    row = min(max(diagnostic.line - 1, 0), max(len(lines) - 1, 0))
    start = max(diagnostic.column - 1, 0)
    end_line = getattr(diagnostic, "end_line", None)
    end_column = getattr(diagnostic, "end_column", None)
    if isinstance(end_line, int) and isinstance(end_column, int) and end_line >= diagnostic.line:
        end = ServerTextPosition(end_line - 1, max(end_column - 1, 0))
    else:
        text = lines[row].rstrip("\r\n") if lines else ""
        start = min(start, len(text))
        end = ServerTextPosition(row, value_end(text, start))
    span = ServerTextRange(ServerTextPosition(row, start), end)
    return document.range_to_client_units(span)


def ignore_edit(document: TextDocument, row: int, code: str) -> lsp.TextEdit:
    """Add ``code`` to line ``row``'s ``# curate: ignore[...]`` comment, or add the comment."""
    line = document.lines[row].rstrip("\r\n")
    match = _IGNORE_COMMENT.search(line)
    if match is not None:
        codes = [c.strip() for c in match[1].split(",") if c.strip()]
        text = f"# curate: ignore[{', '.join([*codes, code])}]"
        start, end = match.start(), match.end()
    else:
        text = f"  # curate: ignore[{code}]"
        start = end = len(line)
    span = ServerTextRange(ServerTextPosition(row, start), ServerTextPosition(row, end))
    return lsp.TextEdit(range=document.range_to_client_units(span), new_text=text)


def _workspace_edit(uri: str, edits: Sequence[lsp.TextEdit]) -> lsp.WorkspaceEdit:
    return lsp.WorkspaceEdit(changes={uri: list(edits)})


def create_server() -> CurateServer:
    server = CurateServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(params: lsp.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict):
            if isinstance(options.get("docsUrl"), str):
                server.docs_url = options["docsUrl"]
            if isinstance(options.get("debounce"), (int, float)):
                server.debounce = max(float(options["debounce"]), 0.0)
            if isinstance(options.get("config"), str):
                server.config = Path(options["config"])
        folders = [f.uri for f in params.workspace_folders or ()]
        for uri in (*folders, params.root_uri or ""):
            path = to_fs_path(uri) if uri else None
            if path:
                server.root = _site_root(Path(path))
                if server.root is not None:
                    break

    @server.feature(lsp.INITIALIZED)
    async def initialized(params: lsp.InitializedParams) -> None:
        watching = server.client_capabilities.workspace
        changes = watching.did_change_watched_files if watching else None
        if changes is not None and changes.dynamic_registration:
            registration = lsp.Registration(
                id="curate-watched-files",
                method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[lsp.FileSystemWatcher(glob_pattern=glob) for glob in _WATCHED]
                ),
            )
            try:
                await server.client_register_capability_async(
                    lsp.RegistrationParams(registrations=[registration])
                )
            except Exception as error:
                server.log(f"the client did not register file watching: {error!r}")
        if server.root is None:
            server.log("no Jekyll site (_config.yml) in the workspace yet; waiting for a file")
        server.start_session()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        if server.root is None:
            path = to_fs_path(uri)
            server.root = _site_root(Path(path)) if path else None
            if server.root is not None:
                server.start_session()
                return
        server.publish(uri, others=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        server.guard("didChange", None, lambda: server.schedule(params.text_document.uri))

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        pending = server.timers.pop(uri, None)
        if pending is not None:
            pending.cancel()
        path = to_fs_path(uri)
        if (path and os.path.basename(path) in _SITE_FILES) or "/_data/" in uri:
            server.start_session()
            return
        server.publish(uri, others=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri

        def close() -> None:
            pending = server.timers.pop(uri, None)
            if pending is not None:
                pending.cancel()
            path = to_fs_path(uri)
            if server.session is not None and path:
                server.session.close(path)
            server.clear(uri)
            server.check_open_documents()

        server.guard("didClose", None, close)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(params: lsp.DidChangeWatchedFilesParams) -> None:
        def changed() -> None:
            session = server.session
            paths = [to_fs_path(change.uri) for change in params.changes]
            if any(
                p and (os.path.basename(p) in _SITE_FILES or f"{os.sep}_data{os.sep}" in p)
                for p in paths
            ):
                server.log("the site's settings or data changed: indexing it again")
                server.start_session()
                return
            if session is None:
                return
            for path in paths:
                if path:
                    session.file_changed(path)
            server.check_open_documents()

        server.guard("didChangeWatchedFiles", None, changed)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
    )
    def code_action(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        return server.guard("codeAction", [], lambda: _code_actions(server, params))

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=[":", " ", "-"]),
    )
    def completion(params: lsp.CompletionParams) -> lsp.CompletionList:
        empty = lsp.CompletionList(is_incomplete=False, items=[])
        return server.guard("completion", empty, lambda: _completion(server, params) or empty)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(params: lsp.HoverParams) -> lsp.Hover | None:
        return server.guard("hover", None, lambda: _hover(server, params))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(params: lsp.DefinitionParams) -> list[lsp.Location]:
        return server.guard("definition", [], lambda: _definition(server, params))

    return server


def _site_root(path: Path) -> Path | None:
    from curate.corpus import find_site_root

    try:
        return find_site_root(path) if path.exists() else None
    except OSError:
        return None


def _code_actions(server: CurateServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    document = server.workspace.get_text_document(uri)
    wanted = params.context.only
    actions: list[lsp.CodeAction] = []
    fixing = _fixing()
    if wanted is None or any(kind.startswith(lsp.CodeActionKind.QuickFix) for kind in wanted):
        if fixing is not None:
            actions += _fix_actions(server, params, fixing)
        for diagnostic in params.context.diagnostics:
            if diagnostic.source != "curate" or not isinstance(diagnostic.code, str):
                continue
            row = diagnostic.range.start.line
            code = diagnostic.code
            # The loader's codes come before any comment is read (FM006 excepted).
            if row == 0 or (code.startswith("FM") and code != "FM006"):
                continue
            actions.append(
                lsp.CodeAction(
                    title=f"Ignore {code} on this line",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=_workspace_edit(uri, [ignore_edit(document, row, code)]),
                )
            )
    if fixing is not None and (wanted is None or any(FIX_ALL_KIND.startswith(k) for k in wanted)):
        fix_all = _fix_all_action(server, uri, fixing)
        if fix_all is not None:
            actions.append(fix_all)
    return actions


@functools.cache
def _fixing() -> Any:
    """The fix engine (:mod:`curate.fixing`), or None in a curate without it."""
    try:
        return importlib.import_module("curate.fixing")
    except ImportError:
        return None


def _safe(fix: Any) -> bool:
    return str(getattr(fix.applicability, "value", fix.applicability)) == "safe"


def _text_edit(document: TextDocument, edit: Any) -> lsp.TextEdit:
    """A fix engine's edit (1-based, end exclusive, in characters) in the client's units."""
    span = ServerTextRange(
        ServerTextPosition(edit.line - 1, edit.column - 1),
        ServerTextPosition(edit.end_line - 1, edit.end_column - 1),
    )
    return lsp.TextEdit(range=document.range_to_client_units(span), new_text=edit.content)


def _fix_actions(
    server: CurateServer, params: lsp.CodeActionParams, fixing: Any
) -> list[lsp.CodeAction]:
    """Each fix of the findings in the range: safe ones preferred, unsafe ones labelled."""
    uri = params.text_document.uri
    document = server.workspace.get_text_document(uri)
    text = document.source.replace("\r\n", "\n").removeprefix("\ufeff")
    actions = []
    for published, diagnostic in server.published.get(uri, ()):
        fix = getattr(diagnostic, "fix", None)
        if fix is None or not _overlaps(published.range, params.range):
            continue
        edits = fixing.resolve(text, fix)
        if not edits:
            continue
        safe = _safe(fix)
        actions.append(
            lsp.CodeAction(
                title=fix.title if safe else f"{fix.title} (unsafe fix)",
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[published],
                is_preferred=safe,
                edit=_workspace_edit(uri, [_text_edit(document, edit) for edit in edits]),
            )
        )
    return actions


def _fix_all_action(server: CurateServer, uri: str, fixing: Any) -> lsp.CodeAction | None:
    """ "Fix all safe fixes in this file": the fix engine's loop over the buffer's text."""
    session = server.session
    path = to_fs_path(uri)
    pairs = server.published.get(uri, ())
    fixable = any((fix := getattr(d, "fix", None)) is not None and _safe(fix) for _, d in pairs)
    if session is None or path is None or not fixable:
        return None
    document = server.workspace.get_text_document(uri)
    check = fixing.text_checker(session.settings, session.site, session.index)
    outcome = fixing.fix_text(path, document.source.encode("utf-8"), check, unsafe=False)
    if not outcome.changed:
        return None
    lines = document.lines
    end = ServerTextPosition(len(lines), 0)
    whole = document.range_to_client_units(ServerTextRange(ServerTextPosition(0, 0), end))
    return lsp.CodeAction(
        title="Fix all safe fixes in this file (curate)",
        kind=FIX_ALL_KIND,
        edit=_workspace_edit(
            uri, [lsp.TextEdit(range=whole, new_text=outcome.fixed.decode("utf-8"))]
        ),
    )


def _overlaps(first: lsp.Range, second: lsp.Range) -> bool:
    def key(position: lsp.Position) -> tuple[int, int]:
        return (position.line, position.character)

    return key(first.start) <= key(second.end) and key(second.start) <= key(first.end)


def _completion(server: CurateServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
    session = server.session
    found = server.cursor(params.text_document.uri, params.position)
    if session is None or found is None:
        return None
    document, cursor = found
    schema = session.schema
    choices = assist.completions(session, schema, cursor)
    row = document.position_from_client_units(params.position).line
    span = document.range_to_client_units(
        ServerTextRange(ServerTextPosition(row, cursor.start), ServerTextPosition(row, cursor.end))
    )
    items = [
        lsp.CompletionItem(
            label=choice.label,
            kind=lsp.CompletionItemKind.Property
            if choice.kind == "key"
            else lsp.CompletionItemKind.Value,
            detail=choice.detail or None,
            documentation=server.markup(choice.documentation, "completion")
            if choice.documentation
            else None,
            # A key already followed by its colon is renamed, not written again.
            text_edit=lsp.TextEdit(
                range=span,
                new_text=(choice.insert if cursor.bare or cursor.in_value else None)
                or choice.label,
            ),
            filter_text=choice.label,
        )
        for choice in choices
    ]
    return lsp.CompletionList(is_incomplete=False, items=items)


def _hover(server: CurateServer, params: lsp.HoverParams) -> lsp.Hover | None:
    uri = params.text_document.uri
    session = server.session
    sections: list[str] = []
    for published, diagnostic in server.published.get(uri, ()):
        if _contains(published.range, params.position):
            sections.append(_rule_doc(diagnostic))
    found = server.cursor(uri, params.position)
    if session is not None and found is not None:
        document, cursor = found
        lines = [line.rstrip("\r\n") for line in document.lines]
        sections += assist.hover_text(session, session.schema, cursor, lines)
    if not sections:
        return None
    return lsp.Hover(contents=server.markup("\n\n---\n\n".join(sections), "hover"))


def _rule_doc(diagnostic: Diagnostic) -> str:
    from curate.rules import all_codes

    doc = all_codes().get(diagnostic.code)
    if doc is None:
        return f"**{diagnostic.code}**"
    return (
        f"**{doc.code}** {doc.name} ({doc.severity.value})\n\n{doc.summary}\n\n{doc.why}\n\n"
        f"Example:\n\n```yaml\n{doc.example}\n```\n\nFix: {doc.fix}"
    )


def _contains(span: lsp.Range, position: lsp.Position) -> bool:
    after_start = (position.line, position.character) >= (span.start.line, span.start.character)
    before_end = (position.line, position.character) <= (span.end.line, span.end.character)
    return after_start and before_end


def _definition(server: CurateServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
    session = server.session
    found = server.cursor(params.text_document.uri, params.position)
    if session is None or found is None:
        return []
    return [
        lsp.Location(uri=from_fs_path(path) or path, range=_point(0, 0))
        for path in assist.definition(session, found[1])
    ]


def serve() -> int:
    """Run the server on stdin/stdout until the client says exit."""
    server = create_server()
    # The protocol owns the real standard output (a copy of it, which pygls closes at
    # exit); a stray print goes to stderr instead of corrupting the protocol.
    out = os.fdopen(os.dup(sys.__stdout__.fileno()), "wb")  # type: ignore[union-attr]
    protocol_out = cast(BinaryIO, out)
    saved, sys.stdout = sys.stdout, sys.stderr
    try:
        server.start_io(sys.stdin.buffer, protocol_out)
    finally:
        sys.stdout = saved
        with contextlib.suppress(OSError, ValueError):
            protocol_out.close()
    return 0
