"""``curate lsp`` as an editor meets it: a subprocess spoken to over stdio by a real LSP client."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SERVER = [sys.executable, "-m", "curate", "lsp"]
UNPUBLISHED = "2021-06-30-shenzhen-rolls-out-chinas-first-general-ai-regulation.md"
LINKS_TO_UNPUBLISHED = (
    "2021-06-30-shenzhen-chinas-silicon-valley-plans-to-turbocharge-local-ai-development.md"
)
QUALITY_WORD = "2021-07-06-quality-written-as-a-word.md"
VALID = "2021-07-05-ibm-opens-an-ai-ethics-lab.md"

#: The tests share one server (and its event loop): starting one costs a second.
shared_server = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site") / "site"
    shutil.copytree(EXAMPLES, root)
    return root


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=SERVER),
)
async def client(lsp_client: LanguageClient, site: Path) -> AsyncIterator[LanguageClient]:
    registered: list[lsp.Registration] = []

    @lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:
        registered.extend(params.registrations)

    lsp_client.registered = registered  # type: ignore[attr-defined]
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(
                text_document=lsp.TextDocumentClientCapabilities(
                    completion=lsp.CompletionClientCapabilities(
                        completion_item=lsp.ClientCompletionItemOptions(
                            documentation_format=[lsp.MarkupKind.Markdown]
                        )
                    ),
                    hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
                ),
                workspace=lsp.WorkspaceClientCapabilities(
                    did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(
                        dynamic_registration=True
                    )
                ),
            ),
            root_uri=site.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=site.as_uri(), name="site")],
            initialization_options={"debounce": 0},
        )
    )
    yield lsp_client
    await lsp_client.shutdown_session()


def post(site: Path, name: str) -> Path:
    return site / "_posts" / name


async def open_document(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri,
                language_id="markdown",
                version=1,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri


async def diagnostics_until(
    client: LanguageClient, uri: str, ready: Callable[[list[lsp.Diagnostic]], bool]
) -> list[lsp.Diagnostic]:
    """Wait for diagnostics of ``uri`` that satisfy ``ready`` (the timeout guards a hang)."""

    async def wait() -> list[lsp.Diagnostic]:
        while True:
            found = client.diagnostics.get(uri)
            if found is not None and ready(found):
                return found
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    return await asyncio.wait_for(wait(), 60)


def codes(diagnostics: list[lsp.Diagnostic]) -> set[str]:
    return {str(d.code) for d in diagnostics}


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


@shared_server
async def test_diagnostic_at_the_value_with_rule_link(client: LanguageClient, site: Path) -> None:
    uri = await open_document(client, post(site, QUALITY_WORD))
    diagnostics = await diagnostics_until(client, uri, lambda found: "SC002" in codes(found))
    wrong = next(d for d in diagnostics if d.code == "SC002")
    # `quality: high` on line 8: the range is the value, not the line.
    assert wrong.range == lsp.Range(
        start=lsp.Position(line=7, character=9), end=lsp.Position(line=7, character=13)
    )
    assert wrong.severity == lsp.DiagnosticSeverity.Error
    assert wrong.source == "curate"
    assert wrong.code_description is not None
    assert wrong.code_description.href.endswith("#diagnostic-codes")


@shared_server
async def test_ignore_action_edits_the_line_and_silences_it(
    client: LanguageClient, site: Path
) -> None:
    path = post(site, QUALITY_WORD)
    uri = path.as_uri()
    diagnostics = await diagnostics_until(client, uri, lambda found: "SC002" in codes(found))
    wrong = next(d for d in diagnostics if d.code == "SC002")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=wrong.range,
            context=lsp.CodeActionContext(diagnostics=[wrong]),
        )
    )
    assert actions is not None
    ignore = next(a for a in actions if isinstance(a, lsp.CodeAction) and "Ignore SC002" in a.title)
    assert ignore.edit is not None and ignore.edit.changes is not None
    (edit,) = ignore.edit.changes[uri]
    assert edit.range.start == lsp.Position(line=7, character=13)
    assert edit.new_text == "  # curate: ignore[SC002]"

    lines = path.read_text(encoding="utf-8").split("\n")
    lines[7] += edit.new_text
    change(client, uri, 2, "\n".join(lines))
    await diagnostics_until(client, uri, lambda found: "SC002" not in codes(found))


@shared_server
async def test_fixes_are_offered_and_fix_all_applies_the_safe_ones(
    client: LanguageClient, site: Path
) -> None:
    pytest.importorskip("curate.fixing", reason="the fix engine is not in this curate yet")
    path = post(site, "2021-07-07-a-key-written-twice.md")
    uri = await open_document(client, path)
    diagnostics = await diagnostics_until(client, uri, lambda found: "FM006" in codes(found))
    twice = next(d for d in diagnostics if d.code == "FM006")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=twice.range,
            context=lsp.CodeActionContext(diagnostics=[twice]),
        )
    )
    fixes = [
        a
        for a in actions or ()
        if isinstance(a, lsp.CodeAction) and a.edit and not a.title.startswith("Ignore")
    ]
    assert fixes, "the fix of a key written twice is offered"
    fix_all = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=twice.range,
            context=lsp.CodeActionContext(diagnostics=[], only=["source.fixAll.curate"]),
        )
    )
    (whole,) = [a for a in fix_all or () if isinstance(a, lsp.CodeAction)]
    assert whole.kind == "source.fixAll.curate"
    assert whole.edit is not None and whole.edit.changes is not None
    (edit,) = whole.edit.changes[uri]
    assert edit.new_text.count("quality:") == 1


@shared_server
async def test_cross_article_finding_points_at_the_other_file(
    client: LanguageClient, site: Path
) -> None:
    uri = await open_document(client, post(site, LINKS_TO_UNPUBLISHED))
    diagnostics = await diagnostics_until(client, uri, lambda found: "RL007" in codes(found))
    unpublished = next(d for d in diagnostics if d.code == "RL007")
    assert unpublished.range.start.line == 36  # related[0].webUrl
    assert unpublished.code_description is not None
    assert unpublished.code_description.href.endswith("#rules")
    (related,) = unpublished.related_information or []
    assert related.location.uri == post(site, UNPUBLISHED).as_uri()
    assert related.location.range.start.line == 12  # its `published: false`


@shared_server
async def test_an_open_buffer_replaces_its_file_in_the_index(
    client: LanguageClient, site: Path
) -> None:
    target = post(site, UNPUBLISHED)
    linking = post(site, LINKS_TO_UNPUBLISHED).as_uri()
    await diagnostics_until(client, linking, lambda found: "RL007" in codes(found))
    target_uri = await open_document(client, target)
    published = target.read_text(encoding="utf-8").replace("published: false", "published: true")
    change(client, target_uri, 2, published)
    # Publishing the target (unsaved) clears the other open file's RL007.
    await diagnostics_until(client, linking, lambda found: "RL007" not in codes(found))
    client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=target_uri))
    )
    await diagnostics_until(client, linking, lambda found: "RL007" in codes(found))


@shared_server
async def test_completion_offers_the_sites_topics(client: LanguageClient, site: Path) -> None:
    path = post(site, VALID)
    text = path.read_text(encoding="utf-8")
    uri = await open_document(client, path, text)
    lines = text.split("\n")
    row = lines.index("  - Machine Learning")
    lines[row] = "  - Mach"
    change(client, uri, 2, "\n".join(lines))
    result = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=row, character=8),
        )
    )
    assert isinstance(result, lsp.CompletionList)
    labels = {item.label for item in result.items}
    assert {"AI", "AI Ethics", "Machine Learning"} <= labels
    item = next(item for item in result.items if item.label == "Machine Learning")
    assert isinstance(item.text_edit, lsp.TextEdit)
    assert item.text_edit.range.start == lsp.Position(line=row, character=4)


@shared_server
async def test_completion_offers_keys_with_descriptions(client: LanguageClient, site: Path) -> None:
    path = post(site, VALID)
    uri = path.as_uri()
    result = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=1, character=3),
        )
    )
    assert isinstance(result, lsp.CompletionList)
    keys = {item.label: item for item in result.items}
    assert {"title", "publishedDateTime", "related"} <= set(keys)
    documentation = keys["title"].documentation
    assert isinstance(documentation, lsp.MarkupContent)
    assert "headline" in documentation.value


@shared_server
async def test_hover_shows_the_fields_description(client: LanguageClient, site: Path) -> None:
    path = post(site, VALID)
    uri = await open_document(client, path)
    row = path.read_text(encoding="utf-8").split("\n").index("published: true")
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=row, character=3),
        )
    )
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert "**published**" in hover.contents.value
    assert "boolean" in hover.contents.value


@shared_server
async def test_hover_on_a_related_url_shows_the_target(client: LanguageClient, site: Path) -> None:
    uri = await open_document(client, post(site, LINKS_TO_UNPUBLISHED))
    await diagnostics_until(client, uri, lambda found: "RL007" in codes(found))
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=36, character=20),
        )
    )
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    text = hover.contents.value
    assert "Shenzhen Rolls Out" in text and "unpublished" in text  # the target article
    assert "RL007" in text  # the rule documentation of the finding there


@shared_server
async def test_definition_of_a_related_url_is_the_target_file(
    client: LanguageClient, site: Path
) -> None:
    path = post(site, UNPUBLISHED)
    uri = await open_document(client, path)
    row = next(
        index
        for index, line in enumerate(path.read_text(encoding="utf-8").split("\n"))
        if line.startswith("    webUrl:")
    )
    result = await client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=row, character=20),
        )
    )
    assert isinstance(result, list)
    assert [location.uri for location in result] == [post(site, LINKS_TO_UNPUBLISHED).as_uri()]


@shared_server
async def test_definition_of_a_topic_is_its_data_file(client: LanguageClient, site: Path) -> None:
    path = post(site, VALID)
    uri = path.as_uri()
    await open_document(client, path)
    row = path.read_text(encoding="utf-8").split("\n").index("  - AI Ethics")
    result = await client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=row, character=6),
        )
    )
    assert isinstance(result, list)
    assert [location.uri for location in result] == [
        (site / "_data" / "topics" / "04-ai-ethics.yaml").as_uri()
    ]


@shared_server
async def test_a_new_topic_file_is_picked_up(client: LanguageClient, site: Path) -> None:
    registered = client.registered  # type: ignore[attr-defined]

    async def watching() -> None:
        while not any(r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in registered):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(watching(), 60)  # asked for right after `initialized`
    topic = site / "_data" / "topics" / "05-robotics.yaml"
    topic.write_text("taxonomy: topic\n_id: robotics\nname: Robotics\n", encoding="utf-8")
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=topic.as_uri(), type=lsp.FileChangeType.Created)]
        )
    )
    # Every text this file is ever checked with names the new topic: its TX001 goes
    # away once the site is indexed again.
    path = post(site, "2021-07-08-a-date-editors-wrote-by-hand.md")
    lines = path.read_text(encoding="utf-8").split("\n")
    row = lines.index("  - AI")
    lines[row] = "  - Robotics"
    uri = await open_document(client, path, "\n".join(lines))
    await diagnostics_until(client, uri, lambda found: "TX001" not in codes(found))
    result = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=row, character=6),
        )
    )
    assert isinstance(result, lsp.CompletionList)
    assert "Robotics" in {item.label for item in result.items}


@shared_server
async def test_half_typed_yaml_is_a_finding_and_the_server_stays_up(
    client: LanguageClient, site: Path
) -> None:
    path = post(site, "2021-07-07-a-key-written-twice.md")
    uri = await open_document(client, path)
    for version, text in enumerate(("---\ntitle: [", "---\ntitle: [\n---\n", "---\n- : {"), 2):
        change(client, uri, version, text)
    await diagnostics_until(client, uri, lambda found: "FM005" in codes(found))
    completion = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=1, character=4),
        )
    )
    assert completion is not None  # still answering


@shared_server
async def test_a_file_saved_outside_the_editor_is_picked_up(
    client: LanguageClient, site: Path
) -> None:
    target = post(site, UNPUBLISHED)
    # Closed in the editor (an earlier test opened it): its file on disk counts.
    client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(
            text_document=lsp.TextDocumentIdentifier(uri=target.as_uri())
        )
    )
    linking = await open_document(client, post(site, LINKS_TO_UNPUBLISHED))
    await diagnostics_until(client, linking, lambda found: "RL007" in codes(found))
    original = target.read_text(encoding="utf-8")

    def saved(text: str) -> None:
        target.write_text(text, encoding="utf-8")
        client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams(
                changes=[lsp.FileEvent(uri=target.as_uri(), type=lsp.FileChangeType.Changed)]
            )
        )

    saved(original.replace("published: false", "published: true"))
    await diagnostics_until(client, linking, lambda found: "RL007" not in codes(found))
    saved(original)
    await diagnostics_until(client, linking, lambda found: "RL007" in codes(found))


def _send(stream: Any, message: dict[str, Any]) -> None:
    body = json.dumps(message).encode()
    stream.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    stream.flush()


def _receive(stream: Any) -> dict[str, Any]:
    length = 0
    while (line := stream.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    message: dict[str, Any] = json.loads(stream.read(length))
    return message


def _until(stream: Any, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    while not wanted(message := _receive(stream)):
        pass
    return message


def test_bad_configuration_is_a_message_and_shutdown_is_clean(site: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(site, broken)
    (broken / "curate.toml").write_text("not-a-key = 1\n", encoding="utf-8")
    with subprocess.Popen(
        SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=broken
    ) as server:
        try:
            initialize = {"processId": None, "rootUri": broken.as_uri(), "capabilities": {}}
            _send(
                server.stdin,
                {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize},
            )
            answer = _until(server.stdout, lambda m: m.get("id") == 1)
            assert answer["result"]["serverInfo"]["name"] == "curate"
            _send(server.stdin, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
            shown = _until(server.stdout, lambda m: m.get("method") == "window/showMessage")
            assert "unknown key 'not-a-key'" in shown["params"]["message"]
            # The server goes on with the default settings, and ends when asked.
            _send(server.stdin, {"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
            assert _until(server.stdout, lambda m: m.get("id") == 2)["result"] is None
            _send(server.stdin, {"jsonrpc": "2.0", "method": "exit"})
            assert server.wait(timeout=60) == 0
            assert server.stderr is not None
            assert b"Traceback" not in server.stderr.read()
        finally:
            if server.poll() is None:
                server.kill()


HALF_TYPED = """---
title: "A story"
provider:
  na
topics:
  - AI
  - Mach
related:
  - title: Other
    webUrl: "https://example.com/a"
  -
---
"""


@pytest.mark.parametrize(
    ("row", "character", "pointer", "in_value", "text"),
    [
        (1, 2, ("title",), False, "title"),
        (1, 10, ("title",), True, '"A story"'),
        (3, 4, ("provider",), False, "na"),  # a key being typed into provider
        (6, 8, ("topics", 1), True, "Mach"),
        (9, 12, ("related", 0, "webUrl"), True, '"https://example.com/a"'),
        (10, 4, ("related", 1), False, ""),  # a new related entry
    ],
)
def test_the_cursor_is_found_in_half_typed_yaml(
    row: int, character: int, pointer: tuple[str | int, ...], in_value: bool, text: str
) -> None:
    from curate.lsp.cursor import cursor_at

    cursor = cursor_at(HALF_TYPED.split("\n"), row, character)
    assert cursor is not None
    assert (cursor.pointer, cursor.in_value, cursor.text) == (pointer, in_value, text)


def test_outside_the_front_matter_there_is_no_cursor() -> None:
    from curate.lsp.cursor import cursor_at

    lines = [*HALF_TYPED.split("\n"), "Body text: not YAML"]
    assert cursor_at(lines, 0, 0) is None
    assert cursor_at(lines, len(lines) - 1, 3) is None


@pytest.mark.parametrize(
    ("line", "start", "end"),
    [
        ("quality: high", 9, 13),
        ('title: "a \\" b"  # note', 7, 15),
        ("webUrl: https://x.org/a # c", 8, 23),
        ("heat:", 5, 5),
    ],
)
def test_a_value_ends_at_its_quote_comment_or_line_end(line: str, start: int, end: int) -> None:
    from curate.lsp.server import value_end

    assert value_end(line, start) == end


def test_values_offered_for_booleans_dates_and_providers(tmp_path: Path) -> None:
    from curate.config import Settings
    from curate.lsp import assist
    from curate.lsp.cursor import cursor_at
    from curate.session import Session

    root = tmp_path / "site"
    shutil.copytree(EXAMPLES, root)
    session = Session.start(root, Settings(cache=False))
    lines = ["---", "published: ", "publishedDateTime: 2", "provider:", "  domain: sc", "---"]

    def labels(row: int, character: int) -> set[str]:
        cursor = cursor_at(lines, row, character)
        assert cursor is not None
        return {choice.label for choice in assist.completions(session, session.schema, cursor)}

    assert labels(1, 11) == {"true", "false"}
    (now,) = labels(2, 20)
    assert now.endswith("Z") and "T" in now
    assert labels(4, 12) == {"scmp.com"}
    cursor = cursor_at(lines, 4, 11)
    assert cursor is not None
    assert assist.definition(session, cursor._replace(text="scmp.com")) == [
        str(root / "_data" / "organizations" / "scmp.com.md")
    ]
