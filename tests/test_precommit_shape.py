"""A warm cache never changes a result: cached runs against ``--no-cache``, from the registry.

A generated site goes through edits, renames, deletions, unpublishing, an image
deletion and a configuration change. After each, ``curate lint --format json`` of
the whole site and of a few files (the pre-commit shape, typed as absolute paths
after a ``lint .``) must print exactly what an uncached run prints, warm runs
included. The few files are chosen from the registry: for every corpus rule, a file
it reports. Every corpus rule registered today or later must fire at least once
along the way, or the comparison would prove nothing about it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from curate import rules as registry
from curate.cli import main
from curate.config import Settings
from curate.corpus import ArticleRecord, CorpusIndex, Site
from curate.engine import run_checks
from curate.model import Severity
from curate.rules import Finding, Rule, all_rules
from curate.rules.taxonomy import provider_key

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
#: The clock of every run: DT002's message says how far ahead a date is.
NOW = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("shape_generate", BENCHMARKS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    root = tmp_path_factory.mktemp("shape") / "site"
    module.generate_site(root, 200, seed=7)
    del sys.modules[spec.name]
    return root


@pytest.fixture
def site(generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    shutil.copytree(generated, root)
    monkeypatch.chdir(root)
    return root


def lint_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    code = main(["lint", "--format", "json", "--now", NOW, *args])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    assert "Traceback" not in captured.err
    found: list[dict[str, Any]] = json.loads(captured.out)
    return found


def corpus_codes() -> set[str]:
    return {code for code, rule in all_rules().items() if rule.check_corpus is not None}


def compare(capsys: pytest.CaptureFixture[str], site: Path, seen: set[str]) -> None:
    """Whole site, then a few files as pre-commit passes them: cached == uncached, twice."""
    expected = lint_json(capsys, ".", "--no-cache")
    assert lint_json(capsys, ".") == expected
    assert lint_json(capsys, ".") == expected  # warm: remembered cross-article findings
    codes = corpus_codes()
    seen.update(d["code"] for d in expected if d["code"] in codes)
    chosen: dict[str, str] = {}
    for finding in expected:
        if finding["code"] in codes and finding["path"].endswith(".md"):
            chosen.setdefault(finding["code"], finding["path"])
    files = sorted({str(site / path) for path in chosen.values()})
    if not files:
        return
    expected = lint_json(capsys, *files, "--no-cache")
    assert lint_json(capsys, *files) == expected
    assert lint_json(capsys, *files) == expected
    for path in files[:2]:  # one file at a time, as an editor saves
        assert lint_json(capsys, path) == lint_json(capsys, path, "--no-cache")
    # Files that share a lookup key with a reported one, but are not reported themselves
    # (the second article of a provider, the other article at an output file): a narrowed
    # index that missed the first would make them report.
    for path in neighbours(site, files):
        assert lint_json(capsys, path) == lint_json(capsys, path, "--no-cache")


def alone(capsys: pytest.CaptureFixture[str], *paths: Path) -> None:
    """Each file linted alone (pre-commit, typed relative), cached == uncached, in order."""
    for path in paths:
        one = os.path.relpath(path)
        assert lint_json(capsys, one) == lint_json(capsys, one, "--no-cache")


def neighbours(site: Path, files: list[str]) -> list[str]:
    found, _ = records(site)
    by_path = {str(Path(record.path).resolve()): record for record in found}
    chosen = [by_path[file] for file in files if file in by_path]
    keys = {provider_key(r.provider_domain, r.provider_name) for r in chosen} | {
        r.output_url for r in chosen
    }
    others: dict[object, str] = {}
    for path, record in sorted(by_path.items()):
        if path in files:
            continue
        for key in (provider_key(record.provider_domain, record.provider_name), record.output_url):
            if key is not None and key in keys:
                others.setdefault(key, path)
    return sorted(set(others.values()))[:4]


def records(site: Path) -> tuple[list[ArticleRecord], CorpusIndex]:
    result = run_checks([site], Settings(cache=False), lint=True)
    assert result.index is not None
    return list(result.index.records), result.index


def related_pair(site: Path) -> tuple[Path, Path]:
    """An article and the site's article its first internal related entry links to."""
    found, index = records(site)
    for record in found:
        for ref in record.related:
            targets = [t for t in index.find_key(ref.key or "") if t.path != record.path]
            if len(targets) == 1 and targets[0].published is not False:
                return Path(record.path), Path(targets[0].path)
    raise AssertionError("the generated site has no internal related link")


def edit(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} not in {path}"
    path.write_text(changed, encoding="utf-8")


def test_cached_runs_match_uncached_runs_through_a_site_history(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: set[str] = set()
    posts = sorted((site / "_news").glob("*.md"))
    compare(capsys, site, seen)

    # Edits: a related target's title changes (RL006), one article takes another's URL (DU001).
    source, target = related_pair(site)
    edit(target, r"^title: .*$", 'title: "A title changed since it was linked"')
    url = re.search(r"^webUrl: (.*)$", posts[5].read_text(encoding="utf-8"), re.MULTILINE)
    assert url is not None
    edit(posts[6], r"^webUrl: .*$", f"webUrl: {url[1]}")
    edit(posts[7], r"^publishedDateTime: .*$", "publishedDateTime: 2199-01-01T00:00:00Z")
    compare(capsys, site, seen)

    # Invalidation both ways: X takes Y's URL (Y's findings appear), then gives it back
    # (they disappear). Each checked first by a pre-commit run of X alone, then of Y alone,
    # then by the whole site.
    x, y = posts[12], posts[13]
    own = re.search(r"^webUrl: (.*)$", x.read_text(encoding="utf-8"), re.MULTILINE)
    theirs = re.search(r"^webUrl: (.*)$", y.read_text(encoding="utf-8"), re.MULTILINE)
    assert own is not None and theirs is not None
    edit(x, r"^webUrl: .*$", f"webUrl: {theirs[1]}")
    alone(capsys, x, y)
    assert any(d["code"] == "DU001" for d in lint_json(capsys, str(y)))
    compare(capsys, site, seen)
    edit(x, r"^webUrl: .*$", f"webUrl: {own[1]}")
    alone(capsys, x, y)
    assert not any(d["code"] == "DU001" for d in lint_json(capsys, str(y)))
    compare(capsys, site, seen)
    # The same, for Y's related entry pointing at X (RL006 on Y when X's title changes).
    target_text = target.read_text(encoding="utf-8")
    edit(target, r"^title: .*$", 'title: "Another title again"')
    alone(capsys, target, source)
    compare(capsys, site, seen)
    target.write_text(target_text, encoding="utf-8")
    alone(capsys, source, target)
    compare(capsys, site, seen)

    # A rename: a second file with the slug of another; a permalink without the date makes
    # them one page (DU003), or a page waiting for the unpublished copy (DU002).
    slug = posts[8].name[len("2021-01-01-") :]
    renamed = posts[9].rename(posts[9].with_name(f"2030-01-01-{slug}"))
    compare(capsys, site, seen)
    edit(site / "_config.yml", r"^permalink: .*$", "permalink: /:title/")
    compare(capsys, site, seen)
    edit(renamed, r"^published: .*$|^title:", "published: false\ntitle:")
    compare(capsys, site, seen)
    edit(site / "_config.yml", r"^permalink: .*$", "permalink: /:year/:month/:day/:title/")

    # A link to the target's page on this site; unpublishing the target makes it dead
    # (RL001, and RL008 on the target), then deleting it.
    [page] = [r.output_url for r in records(site)[0] if Path(r.path).name == target.name]
    link = (
        f'related:\n  - title: "Its page"\n    webUrl: "https://everyday-cc.github.io/ai{page}"\n'
    )
    edit(source, r"^related:\n", link)
    compare(capsys, site, seen)
    # The target's page moves (another date): the link dangles (RL008 on the target).
    moved = target.rename(target.with_name("2022-02-02-" + target.name[len("2021-01-01-") :]))
    compare(capsys, site, seen)
    target = moved.rename(target)
    edit(target, r"^published: .*$|^title:", "published: false\ntitle:")
    compare(capsys, site, seen)
    target.unlink()
    compare(capsys, site, seen)

    # A picture outside assets/ is removed after a clean run (IM006).
    (site / "images").mkdir()
    (site / "images" / "local.png").write_bytes(b"png")
    edit(source, r"^images:\n", "images:\n  - url: /ai/images/local.png\n")
    compare(capsys, site, seen)
    (site / "images" / "local.png").unlink()
    compare(capsys, site, seen)

    # Provider logos of the site removed (IM005's hint names the site's own logo file).
    logos = sorted((site / "assets" / "images" / "organizations").glob("*.jpg"))
    assert logos, "the generated site has provider logos"
    for logo in logos[:5]:
        logo.unlink()
    compare(capsys, site, seen)

    # A configuration change: the site's baseurl.
    edit(site / "_config.yml", r"^baseurl: .*$", 'baseurl: "/news"')
    compare(capsys, site, seen)

    missing = corpus_codes() - seen
    assert not missing, f"no scenario makes {sorted(missing)} fire: extend this test"


def _probe(record: ArticleRecord, index: CorpusIndex, site: Site) -> Iterator[Finding]:
    unpublished = sum(1 for other in index.records if other.published is False)
    yield Finding(("title",), f"the index holds {len(index)} articles, {unpublished} unpublished")


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Rule:
    rule = Rule(
        "ZZ901",
        "probe-whole-index",
        Severity.INFO,
        "the index holds ...",
        "A test rule that reads the whole index and declares no lookup.",
        "It proves that the warm pre-filter is off for a rule that declares nothing.",
        "",
        "",
        check_corpus=_probe,
    )
    all_rules()
    monkeypatch.setitem(registry._REGISTRY, rule.code, rule)
    return rule


def test_a_rule_that_declares_no_lookup_sees_the_whole_index(
    site: Path, capsys: pytest.CaptureFixture[str], probe: Rule
) -> None:
    assert probe.looks_up is None
    lint_json(capsys, ".")
    [path, *_] = sorted((site / "_news").glob("*.md"))
    expected = lint_json(capsys, str(path), "--no-cache", "--select", probe.code)
    [finding] = expected
    assert finding["message"].startswith(f"the index holds {len(records(site)[0])} articles")
    assert lint_json(capsys, str(path), "--select", probe.code) == expected
    assert lint_json(capsys, str(path)) == lint_json(capsys, str(path), "--no-cache")


def test_every_corpus_rule_declares_its_lookups() -> None:
    """With the default rules, a pre-commit run reads only the rows its files can reach."""
    undeclared = [
        code
        for code, rule in all_rules().items()
        if rule.check_corpus is not None and rule.looks_up is None
    ]
    assert not undeclared


def test_declared_lookups_are_known() -> None:
    for rule in all_rules().values():
        if rule.check_corpus is not None and rule.looks_up is not None:
            assert rule.looks_up <= registry.LOOKUPS, rule.code


def test_paths_typed_differently_share_the_cache(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings()
    from curate.cache import cache_factory

    run_checks([Path(".")], settings, lint=True, cache_factory=cache_factory(settings))
    [path, *_] = sorted((site / "_news").glob("*.md"))
    result = run_checks(
        [Path(os.path.abspath(path))], settings, lint=True, cache_factory=cache_factory(settings)
    )
    articles = len(list(site.glob("_news/*.md")))
    assert result.cache_hits == articles  # the file given, and every other for the index
    assert main(["cache", "info"]) == 0
    assert f"{articles} file results" in capsys.readouterr().out


def test_findings_of_a_run_overtaken_by_another_are_not_stored(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run A finds Z's cross-article findings; before A stores them, Y takes Z's URL and
    run B finds and stores Z's new ones (DU001). A's, older, must not replace them."""
    from curate.cache import Store

    lint_json(capsys, ".")
    posts = sorted((site / "_news").glob("*.md"))
    z, y = posts[20], posts[21]
    edit(z, r"^title: .*$", 'title: "A new title for Z"')  # Z's findings are found again
    url = re.search(r"^webUrl: (.*)$", z.read_text(encoding="utf-8"), re.MULTILINE)
    assert url is not None
    store = Store.put_corpus
    overtaken: list[bool] = []

    def put_corpus(self: Store, found: Any) -> None:
        if not overtaken:
            overtaken.append(True)
            edit(y, r"^webUrl: .*$", f"webUrl: {url[1]}")
            later = lint_json(capsys, ".")  # run B, while A has not stored its findings
            assert any(d["code"] == "DU001" and d["path"].endswith(z.name) for d in later)
        store(self, found)

    monkeypatch.setattr(Store, "put_corpus", put_corpus)
    first = lint_json(capsys, ".")  # run A
    assert overtaken
    assert not any(d["code"] == "DU001" and d["path"].endswith(z.name) for d in first)
    monkeypatch.setattr(Store, "put_corpus", store)
    assert lint_json(capsys, ".") == lint_json(capsys, ".", "--no-cache")
