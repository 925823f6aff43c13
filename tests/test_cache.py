"""The SQLite cache: reuse, invalidation, concurrency, corruption, and identical results."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from curate.cache import DB_NAME, Store, cache_factory
from curate.cli import main
from curate.config import Settings
from curate.engine import run_checks
from tests.conftest import ROOT, copy_tracked


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return copy_tracked(ROOT / "examples", tmp_path / "site")


def run(site: Path, **settings: object) -> tuple[list[tuple[str, int, str]], int]:
    config = Settings(**settings)  # type: ignore[arg-type]
    result = run_checks([site], config, lint=True, cache_factory=cache_factory(config))
    return [(Path(d.path).name, d.line, d.code) for d in result.diagnostics], result.cache_hits


def test_warm_run_reuses_every_file_and_gives_the_same_result(site: Path) -> None:
    cold, hits = run(site)
    assert hits == 0
    warm, hits = run(site)
    assert warm == cold
    assert hits == 7
    assert (site / ".curate_cache" / ".gitignore").read_text().strip().endswith("*")


def test_no_cache_gives_identical_results(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for extra in (["--no-cache"], [], []):
        main(["lint", str(site), "--format", "json", *extra])
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0], "the example site has findings to compare"
    assert main(["cache", "info", str(site)]) == 0
    assert "7 file results" in capsys.readouterr().out, "the cached runs stored every file"


def test_edit_in_the_same_second_with_the_same_size_is_seen(site: Path) -> None:
    path = site / "_posts" / "2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    before = os.stat(path)
    run(site)
    text = path.read_text()
    path.write_text(text.replace("quality: 88", "quality: xx"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    assert os.stat(path).st_size == before.st_size
    found, hits = run(site)
    assert ("2021-07-05-ibm-opens-an-ai-ethics-lab.md", 9, "SC002") in found
    assert hits == 6


def test_schema_and_settings_changes_invalidate(site: Path, tmp_path: Path) -> None:
    run(site)
    schema = json.loads((ROOT / "schemas" / "article.schema.json").read_text())
    schema["properties"]["quality"]["maximum"] = 80
    changed = tmp_path / "schema.json"
    changed.write_text(json.dumps(schema))
    found, hits = run(site, schema=changed)
    assert hits == 0
    assert ("2021-07-05-ibm-opens-an-ai-ethics-lab.md", 9, "SC004") in found
    _, hits = run(site, published_quality_threshold=90)
    assert hits == 0


def test_corrupt_cache_is_rebuilt(site: Path) -> None:
    expected, _ = run(site)
    database = site / ".curate_cache" / DB_NAME
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.write_bytes(b"this is not a database" * 100)
    found, hits = run(site)
    assert found == expected and hits == 0
    _, hits = run(site)
    assert hits == 7


def test_garbage_rows_are_misses_not_trusted(site: Path) -> None:
    expected, _ = run(site)
    store = Store.open(site / ".curate_cache", "x")
    assert store is not None
    store._db.execute("UPDATE files SET diagnostics = '[1, 2', record = '{'")
    store._db.commit()
    store.close()
    found, hits = run(site)
    assert found == expected and hits == 0


def test_unwritable_cache_directory_runs_uncached(site: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    expected, _ = run(site, cache=False)
    found, hits = run(site, cache_dir=blocker / "cache")
    assert found == expected and hits == 0


def test_two_processes_at_once(site: Path) -> None:
    command = [sys.executable, "-m", "curate", "lint", str(site), "--format", "json"]
    expected = subprocess.run([*command, "--no-cache"], capture_output=True, text=True)
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == expected.returncode, err
        assert json.loads(out) == json.loads(expected.stdout)
        assert "Traceback" not in err


def test_cache_clear_command(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(site)
    assert main(["cache", "info", str(site)]) == 0
    assert "7 file results" in capsys.readouterr().out
    assert main(["cache", "clear", str(site)]) == 0
    assert "cleared" in capsys.readouterr().out
    _, hits = run(site)
    assert hits == 0


def test_cache_info_on_a_cache_of_another_version(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(site)
    database = site / ".curate_cache" / "cache.sqlite3"
    with contextlib.closing(sqlite3.connect(database)) as db:
        db.execute("PRAGMA user_version = 3")  # as an older curate left it
    assert main(["cache", "info", str(site)]) == 0
    out = capsys.readouterr().out
    assert "written by another version of curate; the next run rebuilds it" in out
    assert "unreadable" not in out
    _, hits = run(site)
    assert hits == 0
    assert main(["cache", "info", str(site)]) == 0
    assert "7 file results" in capsys.readouterr().out


def lint_run(site: Path, now: str | None = None) -> tuple[list[tuple[str, int, str, str]], bool]:
    """Findings of a cached lint (as the CLI runs it) and whether cross-article rules ran."""
    from datetime import datetime

    moment = datetime.fromisoformat(now) if now else None
    config = Settings(now=moment)
    result = run_checks(
        [site], config, lint=True, cache_factory=cache_factory(config), need_records=False
    )
    found = [(Path(d.path).name, d.line, d.code, d.message) for d in result.diagnostics]
    return found, result.corpus_checked > 0


def uncached(site: Path, now: str | None = None) -> list[tuple[str, int, str, str]]:
    from datetime import datetime

    config = Settings(cache=False, now=datetime.fromisoformat(now) if now else None)
    result = run_checks([site], config, lint=True)
    return [(Path(d.path).name, d.line, d.code, d.message) for d in result.diagnostics]


def future_article(site: Path) -> Path:
    source = site / "_posts" / "2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    target = site / "_posts" / "2030-01-01-ibm-opens-an-ai-ethics-lab-again.md"
    text = source.read_text().replace("2021-07-05T09:30:00Z", "2030-01-01T09:30:00Z")
    target.write_text(text.replace("3139999/ibm", "3139998/ibm"))
    source_stat = os.stat(source)
    old = source_stat.st_mtime_ns - 10_000_000_000
    os.utime(target, ns=(old, old))
    return target


def test_remembered_findings_serve_an_unchanged_site(site: Path) -> None:
    future_article(site)
    first, rebuilt = lint_run(site, "2029-06-01T00:00:00+00:00")
    assert rebuilt
    second, rebuilt = lint_run(site, "2029-06-01T00:00:00+00:00")
    assert not rebuilt, "an unchanged site reuses the remembered cross-article findings"
    assert second == first == uncached(site, "2029-06-01T00:00:00+00:00")
    assert any(code == "DT002" for _, _, code, _ in second)


def test_clock_rules_run_again_on_remembered_findings(site: Path) -> None:
    future_article(site)
    lint_run(site, "2029-06-01T00:00:00+00:00")
    later, rebuilt = lint_run(site, "2029-12-01T00:00:00+00:00")
    assert not rebuilt
    assert later == uncached(site, "2029-12-01T00:00:00+00:00")
    [message] = [m for _, _, code, m in later if code == "DT002"]
    assert "2029-12-01" in message
    past, _ = lint_run(site, "2030-02-01T00:00:00+00:00")
    assert not any(code == "DT002" for _, _, code, _ in past)
    # A clock earlier than the remembered one is not trusted: the index is rebuilt.
    earlier, rebuilt = lint_run(site, "2029-01-01T00:00:00+00:00")
    assert rebuilt
    assert earlier == uncached(site, "2029-01-01T00:00:00+00:00")


def test_a_changed_file_is_not_served_remembered_findings(site: Path) -> None:
    before, _ = lint_run(site)
    assert not any(code == "RL007" for name, _, code, _ in before if "ibm" in name)
    path = site / "_posts" / "2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    text = path.read_text()
    linked = text.replace(
        "secured:",
        "related:\n  - title: Shenzhen Rolls Out China\u2019s First General AI Regulation\n"
        '    webUrl: "https://syncedreview.com/2021/06/30/'
        'shenzhen-rolls-out-chinas-first-general-ai-regulation/"\nsecured:',
    )
    path.write_text(linked)
    after, rebuilt = lint_run(site)
    assert rebuilt
    assert any(code == "RL007" for name, _, code, _ in after if "ibm" in name)
    assert after == uncached(site)


def lint_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[list[object], str]:
    code = main(["lint", "--format", "json", *args])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    assert "Traceback" not in captured.err
    return json.loads(captured.out), captured.err


def test_cache_commands_use_the_cache_dir_of_the_config_file(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (site / "curate.toml").write_text('cache-dir = "elsewhere"\n')
    monkeypatch.chdir(site)
    lint_json(capsys, ".")
    assert (site / "elsewhere" / DB_NAME).exists()
    assert not (site / ".curate_cache").exists()
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "elsewhere" in out and "7 file results" in out
    assert main(["cache", "clear"]) == 0
    assert "cleared" in capsys.readouterr().out
    assert not (site / "elsewhere" / DB_NAME).exists()


def test_cache_commands_refuse_a_path_that_does_not_exist(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(site)
    lint_json(capsys, ".")
    for command in ("clear", "info"):
        assert main(["cache", command, "no-such-folder"]) == 2
        assert "no-such-folder: no such file or folder" in capsys.readouterr().err
    assert (site / ".curate_cache" / DB_NAME).exists()  # a typo never clears the site's cache


def test_a_path_typed_another_way_is_served_from_the_cache(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(site)
    config = Settings()
    run_checks([Path(".")], config, lint=True, cache_factory=cache_factory(config))
    path = site / "_posts" / "2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    result = run_checks([path.resolve()], config, lint=True, cache_factory=cache_factory(config))
    assert result.cache_hits == 7  # the file given, and the six others indexed for it
    assert main(["cache", "info"]) == 0
    assert "7 file results" in capsys.readouterr().out  # no row twice


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("record", "{not json"),
        ("record", '{"title": 5}'),
        ("record", "[" * 100_000 + "]" * 100_000),
        ("diagnostics", "[[1, 2, 3], null]"),
        ("diagnostics", '[[{"line": "x"}], null]'),
        ("diagnostics", "[" * 100_000 + "]" * 100_000),
        ("depends", "[[1]]"),
        ("positions", '{"v:title": "x"}'),
        ("corpus", '[{"line": "x"}]'),
    ],
    ids=[
        "corrupt-record",
        "record-of-another-shape",
        "deep-record",
        "diagnostics-of-another-shape",
        "diagnostic-field-of-another-type",
        "deep-diagnostics",
        "depends-of-another-shape",
        "positions-of-another-shape",
        "corpus-of-another-shape",
    ],
)
def test_a_row_that_does_not_decode_is_a_miss(
    site: Path, capsys: pytest.CaptureFixture[str], column: str, value: str
) -> None:
    expected, _ = lint_json(capsys, str(site), "--no-cache")
    assert lint_json(capsys, str(site))[0] == expected
    database = sqlite3.connect(site / ".curate_cache" / DB_NAME)
    with database:
        if column != "corpus":
            # Found again: records and positions are read.
            database.execute("UPDATE files SET corpus = NULL, corpus_state = 0")
        database.execute(f"UPDATE files SET {column} = ?", (value,))
    database.close()
    for _ in range(2):  # recomputed, then stored again
        assert lint_json(capsys, str(site))[0] == expected
    _, hits = run(site)
    assert hits == 7


def test_an_image_outside_assets_deleted_after_a_clean_run(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = site / "_posts" / "2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    text = path.read_text()
    path.write_text(text.replace("\nimages:\n", "\nimages:\n  - url: /ai/pictures/lab.png\n", 1))
    picture = site / "pictures" / "lab.png"
    picture.parent.mkdir()
    picture.write_bytes(b"png")
    clean, _ = lint_json(capsys, str(site))
    assert not any("lab.png" in json.dumps(d) for d in clean)
    picture.unlink()
    found, _ = lint_json(capsys, str(site))
    assert found == lint_json(capsys, str(site), "--no-cache")[0]
    assert any("IM006" in json.dumps(d) and "lab.png" in json.dumps(d) for d in found)
    picture.write_bytes(b"png")
    assert lint_json(capsys, str(site))[0] == clean


def test_an_edit_while_the_file_is_checked_is_seen_next_time(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same size, same mtime, within the same second: the bytes parsed are what is hashed."""
    from curate import engine

    path = site / "_posts" / "2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    before = os.stat(path)
    load = engine._load

    def load_then_edit(name: str) -> object:
        loaded = load(name)
        if Path(name).name == path.name:  # the user saves while curate is reading
            path.write_text(path.read_text().replace("quality: 88", "quality: xx"))
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        return loaded

    monkeypatch.setattr(engine, "_load", load_then_edit)
    first, _ = run(site)
    assert ("2021-07-05-ibm-opens-an-ai-ethics-lab.md", 9, "SC002") not in first
    monkeypatch.setattr(engine, "_load", load)
    assert os.stat(path).st_size == before.st_size
    found, hits = run(site)
    assert ("2021-07-05-ibm-opens-an-ai-ethics-lab.md", 9, "SC002") in found
    assert hits == 6


@pytest.mark.parametrize("primed", [True, False], ids=["warm", "first-run"])
def test_a_write_locked_cache_runs_uncached_and_says_so(
    site: Path, capsys: pytest.CaptureFixture[str], primed: bool
) -> None:
    expected, _ = lint_json(capsys, str(site), "--no-cache")
    if primed:
        lint_json(capsys, str(site))
        (site / "_posts" / "2021-07-05-ibm-opens-an-ai-ethics-lab.md").touch()
    else:
        (site / ".curate_cache").mkdir()
    holder = sqlite3.connect(site / ".curate_cache" / DB_NAME, isolation_level=None)
    try:
        holder.execute("PRAGMA journal_mode=WAL")
        holder.execute("CREATE TABLE IF NOT EXISTS other (x)")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("INSERT INTO other VALUES (1)")
        found, err = lint_json(capsys, str(site))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert found == expected
    assert "locked by another process" in err and "not cached" in err


def test_a_cache_dir_that_is_a_file_says_why_the_run_is_uncached(
    site: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    expected, _ = lint_json(capsys, str(site), "--no-cache")
    found, err = lint_json(capsys, str(site), "--cache-dir", str(blocker))
    assert found == expected
    assert "running without the cache" in err and "is not a folder" in err


def test_the_process_pool_gives_what_one_process_gives(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import concurrent.futures

    pools = []
    real_pool = concurrent.futures.ProcessPoolExecutor

    def counted(*args: object, **kwargs: object) -> object:
        pools.append(args)
        return real_pool(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", counted)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # jobs are capped at the CPUs

    def reports(jobs: int) -> tuple[object, ...]:
        config = Settings(cache=False, jobs=jobs)
        result = run_checks([site], config, lint=True, parallel_threshold=1)
        return tuple(result.diagnostics), tuple(result.reports)

    assert reports(2) == reports(1)
    assert len(pools) == 1, "the first run went through the pool, the second did not"


def test_a_pre_commit_run_keeps_the_whole_site_findings(site: Path) -> None:
    first, rebuilt = lint_run(site)
    assert rebuilt
    config = Settings()
    path = site / "_posts" / "2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    run_checks([path], config, lint=True, cache_factory=cache_factory(config), need_records=False)
    again, rebuilt = lint_run(site)
    assert not rebuilt, "the pre-commit run dropped the whole site's remembered findings"
    assert again == first


def test_a_crashing_corpus_rule_is_a_finding_and_loses_nothing(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from curate import rules
    from curate.model import Severity

    expected = uncached(site)

    def crash(record: object, index: object, site: object) -> Iterator[rules.Finding]:
        raise RuntimeError("boom")
        yield

    rules.all_rules()
    broken = rules.Rule(
        "ZZ904", "crashing-probe", Severity.ERROR, "", "", "", "", "", check_corpus=crash
    )
    monkeypatch.setitem(rules._REGISTRY, broken.code, broken)
    found = uncached(site)
    crashes = [f for f in found if f[2] == "ZZ904"]
    assert crashes and all("internal error in rule ZZ904" in f[3] for f in crashes)
    assert [f for f in found if f[2] != "ZZ904"] == expected


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux")
def test_a_file_name_that_is_not_utf8(site: Path) -> None:
    source = site / "_posts" / "2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    name = os.fsdecode(b"2021-07-10-caf\xe9-lab.md")
    (site / "_posts" / name).write_bytes(
        source.read_bytes().replace(b"3139999/ibm", b"3139990/ibm")
    )
    expected = uncached(site)
    assert any(name == found[0] for found in expected)
    first, _ = lint_run(site)
    second, rebuilt = lint_run(site)
    assert first == second == expected
    assert not rebuilt
    _, hits = run(site)
    assert hits == 8


def test_a_result_that_cannot_be_encoded_is_not_stored_and_no_crash(
    site: Path, tmp_path: Path
) -> None:
    from curate.cache import Provenance, digest_bytes
    from curate.corpus import ArticleRecord
    from curate.model import Article, FileReport

    path = str(site / "_posts" / "2021-07-05-ibm-opens-an-ai-ethics-lab.md")
    store = Store.connect(tmp_path / "cache", "x", site)
    assert store.get([path]) == {}
    # An integer of 5,000 digits: JSON cannot print it (Python's int-to-text limit).
    record = ArticleRecord.from_article(Article(path, {"heat": 10**5000}))
    digest = digest_bytes(Path(path).read_bytes())
    store.put([(FileReport(path, (), record), Provenance(digest))])
    assert store.get([path]) == {}
    store.put([(FileReport(path, (), None), Provenance(digest))])
    assert store.get([path]) != {}
    store.close()


def test_row_keys_are_the_same_however_the_path_is_spelled(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast key of a plain relative path is the key abspath/realpath would give."""
    (site / "news").mkdir(exist_ok=True)
    (site / "news" / "inner").mkdir(exist_ok=True)
    spellings = {
        ".": ["news/a.md", "./news/a.md", "news//a.md", "news/./a.md", "news/inner/../a.md"],
        "news": ["a.md", "./a.md", "inner/../a.md", "../news/a.md", str(site / "news/a.md")],
    }
    for folder, paths in spellings.items():
        monkeypatch.chdir(site / folder)
        store = Store.open(site / ".curate_cache", "x", root=site)
        assert store is not None
        try:
            assert {store.key(path) for path in paths} == {"news/a.md"}, folder
        finally:
            store.close()
    monkeypatch.chdir(site.parent)
    store = Store.open(site / ".curate_cache", "x", root=site)
    assert store is not None
    try:
        assert store.key(f"{site.name}/news/a.md") == "news/a.md"
    finally:
        store.close()


def test_the_generated_record_decoder_is_as_strict_as_the_field_by_field_one() -> None:
    """Each stored record field of another type, a missing field, an unknown one: a miss."""
    from curate.cache import _MALFORMED, _decode_record, _encode_report, _plain
    from curate.corpus import ArticleRecord, RelatedRef
    from curate.model import FileReport

    related = RelatedRef(0, "https://a.example/x", "a.example/x", "X", None, "a.example", 3)
    record = ArticleRecord(
        "a.md", "Title", "2024-01-01T00:00:00Z", "https://w", None, None, 5, None, True,
        "Name", "a.example", ("AI", "AI Ethics"), "news", False, (related,),
        url_keys=("w",), output_url="/a/",
    )  # fmt: skip
    _, raw = _encode_report(FileReport("a.md", (), record, None))
    assert _decode_record("b.md", raw) == record._replace(path="b.md")
    stored = json.loads(raw)
    without_defaults = {k: v for k, v in stored.items() if k not in ArticleRecord._field_defaults}
    assert _decode_record("a.md", json.dumps(without_defaults)) == record._replace(
        url_keys=(), output_url=None
    )
    assert _decode_record("a.md", json.dumps({**stored, "path": "x.md"})) == record
    other_types = {
        "title": 5, "quality": "5", "published": 1, "has_image": None, "topics": "AI",
        "related": [{**_plain(related), "position": "0"}], "url_keys": [1], "valid": "yes",
    }  # fmt: skip
    for name, value in other_types.items():
        assert _decode_record("a.md", json.dumps({**stored, name: value})) is _MALFORMED, name
    for name in ("title", "topics", "related"):
        missing = {k: v for k, v in stored.items() if k != name}
        assert _decode_record("a.md", json.dumps(missing)) is _MALFORMED, name
    for changed in ({**stored, "extra": 1}, [stored], "x", {**stored, "topics": ["AI", None]}):
        assert _decode_record("a.md", json.dumps(changed)) is _MALFORMED
    assert _decode_record("a.md", "null") is None


def test_bulk_row_keys_are_the_keys_one_at_a_time(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Store.get cuts the walk's paths in bulk: the same keys :meth:`Store.key` gives."""
    monkeypatch.chdir(site)
    root = str(site)
    paths = [
        f"{root}/_posts/a.md",
        f"{root}/_posts/./a.md",
        f"{root}//_posts/a.md",
        f"{root}/_posts/inner/../a.md",
        f"{root}/_posts/.hidden.md",
        f"{root}/_posts/caf\u00e9.md",
        f"{root}/_posts/bad\udcff.md",
        f"{root}/_posts/",
        f"{root}x/_posts/a.md",
        "_posts/a.md",
        "./_posts/a.md",
        root,
    ]
    store = Store.open(site / ".curate_cache", "x", root=site)
    assert store is not None
    try:
        expected = [store._key(path) for path in paths]
        assert store._keys_of(paths) == expected
        assert store._keys_of(paths) == expected  # from the memo
    finally:
        store.close()


def test_a_warm_run_takes_each_article_signature_once(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the input recorder on, Store.get reuses the signature the walk recorded
    (before anything read the file) instead of a second stat, and a file changed since
    its row was written is a miss."""
    from curate import inputs

    run(site)
    post = site / "_posts" / "2021-07-05-ibm-opens-an-ai-ethics-lab.md"
    post.write_text(post.read_text().replace("quality: 88", "quality: 87"))
    stats: list[str] = []
    real_stat = os.stat

    def counting_stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if sys._getframe(1).f_code.co_filename.endswith("cache.py"):
            stats.append(os.fsdecode(path))  # type: ignore[arg-type]
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    inputs.start(0)
    try:
        monkeypatch.setattr(os, "stat", counting_stat)
        config = Settings()
        result = run_checks([site], config, lint=True, cache_factory=cache_factory(config))
    finally:
        inputs.stop()
    assert [path for path in stats if "/_posts/" in path] == [], "no second stat"
    assert result.cache_hits == 6, "every article but the edited one is served"
    monkeypatch.setattr(os, "stat", real_stat)
    assert run(site)[0] == [
        (Path(d.path).name, d.line, d.code)
        for d in run_checks([site], Settings(), lint=True).diagnostics
    ]
