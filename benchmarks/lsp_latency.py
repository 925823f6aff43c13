"""How long an edit waits for its diagnostics from ``curate lsp``, in a large site.

    python benchmarks/generate.py /tmp/site10k --articles 10000
    python benchmarks/lsp_latency.py /tmp/site10k [--edits 30]

Starts ``curate lsp`` as a real client would (a subprocess over stdio, pygls's
client), waits until the site is indexed, opens one article, then makes N edits,
each a whole-document change a second apart (longer than the debounce, so each
is checked at once, as a pause in typing is), and measures from sending the
change to receiving its ``textDocument/publishDiagnostics``. Prints the median
and the slowest; the index time is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient


async def measure(site: Path, edits: int) -> tuple[float, list[float]]:
    client = LanguageClient("curate-latency", "1")
    published: asyncio.Queue[tuple[float, lsp.PublishDiagnosticsParams]] = asyncio.Queue()
    indexed = asyncio.Event()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        published.put_nowait((time.perf_counter(), params))

    @client.feature(lsp.WINDOW_LOG_MESSAGE)
    def on_log(params: lsp.LogMessageParams) -> None:
        if params.message.startswith("indexed "):
            indexed.set()

    await client.start_io(sys.executable, "-m", "curate", "lsp")
    begun = time.perf_counter()
    await client.initialize_async(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(),
            root_uri=site.as_uri(),
            initialization_options={"debounce": 0.2},
        )
    )
    client.initialized(lsp.InitializedParams())
    await asyncio.wait_for(indexed.wait(), 600)
    index_seconds = time.perf_counter() - begun

    articles = sorted(site.glob("_*/*.md"))
    article = articles[len(articles) // 2]
    uri = article.as_uri()
    text = article.read_text(encoding="utf-8")
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri, language_id="markdown", version=1, text=text
            )
        )
    )
    await _diagnostics_of(published, uri, 1)
    latencies = []
    for version in range(2, edits + 2):
        await asyncio.sleep(1.0)
        edited = text.replace("\ntitle: ", f"\ntitle: Edit {version} ", 1)
        sent = time.perf_counter()
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=edited)],
            )
        )
        received = await _diagnostics_of(published, uri, version)
        latencies.append(received - sent)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return index_seconds, latencies


async def _diagnostics_of(
    queue: asyncio.Queue[tuple[float, lsp.PublishDiagnosticsParams]], uri: str, version: int
) -> float:
    while True:
        at, params = await queue.get()
        if params.uri == uri and params.version == version:
            return at


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="a site made by benchmarks/generate.py")
    parser.add_argument("--edits", type=int, default=30)
    args = parser.parse_args(argv)
    index_seconds, latencies = asyncio.run(measure(args.site.resolve(), args.edits))
    articles = len(list(args.site.glob("_*/*.md")))
    print(f"site: {articles} articles, indexed in {index_seconds:.2f} s (cache as it was)")
    print(
        f"edit -> diagnostics over {len(latencies)} edits: "
        f"median {statistics.median(latencies) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
