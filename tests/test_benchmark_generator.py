"""The benchmark corpus generator: deterministic, shaped like the real site, 1% broken."""

from __future__ import annotations

import base64
import importlib.util
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SITE = "https://everyday-cc.github.io/ai"
FILENAME = re.compile(r"\d{4}-\d{2}-\d{2}-[a-z0-9]+(-[a-z0-9]+)*\.md")
REQUIRED = ("title", "publishedDateTime", "provider", "topics", "secured")


@pytest.fixture(scope="module")
def generator() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("benchmark_generate", BENCHMARKS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the module executes.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


class StrictLoader(yaml.CSafeLoader):
    """Refuses duplicate keys, which plain PyYAML silently resolves to the last value."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        if len(keys) != len(set(keys)):
            raise yaml.constructor.ConstructorError(None, None, "duplicate key", node.start_mark)
        return super().construct_mapping(node, deep=deep)


def front_matter(path: Path) -> dict[str, Any]:
    """The article's front matter; raises ValueError naming the defect of a broken one."""
    text = path.read_text(encoding="utf-8")
    head, closing, _ = text.removeprefix("---\n").partition("\n---\n")
    if not closing:
        raise ValueError("unclosed front matter")
    try:
        data: dict[str, Any] = yaml.load(head, Loader=StrictLoader)
    except yaml.YAMLError as error:
        raise ValueError("yaml") from error
    except ValueError as error:  # PyYAML's own error for an impossible date such as Feb 30
        raise ValueError("bad date") from error
    if "title" not in data:
        raise ValueError("missing title")
    if not isinstance(data["publishedDateTime"], datetime):
        raise ValueError("bad date")
    if "quality" in data and not isinstance(data["quality"], int):
        raise ValueError("quality not an integer")
    return data


def defect(path: Path) -> str | None:
    try:
        front_matter(path)
    except ValueError as error:
        return str(error)
    return None


def articles(site: Path) -> list[Path]:
    return sorted((site / "_news").glob("*.md"))


def site_files(site: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()
    }


@dataclass(frozen=True)
class Site:
    root: Path
    broken: list[Path]
    valid: dict[Path, dict[str, Any]]


def generated(generator: ModuleType, root: Path, count: int) -> Site:
    broken = generator.generate_site(root, count, seed=0)
    valid = {path: front_matter(path) for path in articles(root) if path not in broken}
    return Site(root, broken, valid)


@pytest.fixture(scope="module")
def site200(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Site:
    return generated(generator, tmp_path_factory.mktemp("site200"), 200)


def test_same_count_and_seed_give_identical_bytes(generator: ModuleType, tmp_path: Path) -> None:
    generator.generate_site(tmp_path / "a", 50, seed=3)
    generator.generate_site(tmp_path / "b", 50, seed=3)
    generator.generate_site(tmp_path / "c", 50, seed=4)

    first = site_files(tmp_path / "a")
    assert len([name for name in first if name.startswith("_news/")]) == 50
    assert first == site_files(tmp_path / "b")
    assert first != site_files(tmp_path / "c")


def test_refuses_a_directory_with_files(generator: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")

    assert generator.main([str(tmp_path), "--articles", "5"]) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_about_one_percent_is_broken(site200: Site) -> None:
    assert len(site200.broken) == 2
    assert sorted(site200.broken) == [path for path in articles(site200.root) if defect(path)]


def test_every_kind_of_defect_is_what_it_says(generator: ModuleType, tmp_path: Path) -> None:
    site = generator.SiteGenerator(seed=0)
    article = site.article(0)
    defects: dict[str, str | None] = {}
    for kind in generator.BROKEN_KINDS:
        path = tmp_path / f"{kind}.md"
        path.write_text(site.render(article, [], kind), encoding="utf-8")
        defects[kind] = defect(path)

    assert defects == {
        "yaml-syntax": "yaml",
        "quality-not-integer": "quality not an integer",
        "missing-title": "missing title",
        "unclosed-front-matter": "unclosed front matter",
        "duplicate-key": "yaml",
        "bad-date": "bad date",
    }


def test_valid_articles_have_the_real_keys_and_values(site200: Site) -> None:
    topics = {
        yaml.safe_load(p.read_text(encoding="utf-8"))["name"]
        for p in (site200.root / "_data" / "topics").glob("*.yaml")
    }

    for path, data in site200.valid.items():
        assert all(key in data for key in REQUIRED), path
        assert "webUrl" in data or "originalUrl" in data
        assert FILENAME.fullmatch(path.name), path
        assert set(data["topics"]) <= topics
        cipher, nonce = data["secured"].split(";")
        assert base64.b64decode(cipher, validate=True)
        assert len(base64.b64decode(nonce, validate=True)) == 16
        if "quality" in data:
            assert 0 <= data["quality"] <= 160
            assert data["published"] is (data["quality"] >= 70)
            assert data["heat"] >= 0 or data["published"] is False


def test_shares_follow_the_real_data(site200: Site) -> None:
    def share(key: str) -> float:
        return sum(key in data for data in site200.valid.values()) / len(site200.valid)

    assert 0.60 < share("quality") < 0.74
    assert 0.70 < share("images") < 0.84
    assert 0.30 < share("ampWebUrl") < 0.46
    assert 0.22 < share("related") < 0.38


def test_amp_cache_urls_have_the_cache_form(site200: Site) -> None:
    entries = [e for data in site200.valid.values() for e in (data, *data.get("related", []))]
    with_amp = [entry for entry in entries if "ampWebUrl" in entry]

    assert with_amp
    for entry in with_amp:
        amp = entry["ampWebUrl"].removeprefix("https://")
        host = amp.partition("/")[0]
        cache = f"https://{host.replace('.', '-')}.cdn.ampproject.org/c/s/{amp}"
        assert entry["cdnAmpWebUrl"] == cache


def test_related_entries_point_at_other_articles(site200: Site) -> None:
    published = {data["webUrl"]: data.get("published") for data in site200.valid.values()}
    targets = [e["webUrl"] for data in site200.valid.values() for e in data.get("related", [])]
    internal = [url for url in targets if url in published]

    assert 0 < len(internal) < len(targets)
    assert any(published[url] is False for url in internal)


def test_referenced_logos_mostly_exist(generator: ModuleType, site200: Site) -> None:
    logos = [
        image["url"]
        for data in site200.valid.values()
        for image in data["provider"].get("images", [])
    ]
    files = [site200.root / url.removeprefix(SITE).lstrip("/") for url in logos]
    present = [file for file in files if file.exists()]

    assert len(present) >= 0.7 * len(files)
    assert len(present) < len(files)
    assert all(file.read_bytes()[:2] == b"\xff\xd8" for file in present)
    organizations = list((site200.root / "_data" / "organizations").glob("*.md"))
    assert len(generator.PROVIDERS) / 2 < len(organizations) < len(generator.PROVIDERS)
