"""Reading a site the way Jekyll reads it: collections, defaults, time zones, URLs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from curate.cli import main
from curate.config import ConfigError, Settings, resolve_settings
from curate.corpus import load_site, normalize_url
from curate.engine import run_checks
from curate.jekyll import (
    JekyllConfig,
    Place,
    defaults_for,
    output_url,
    read_config,
    slugify,
    zone,
)
from curate.loading import collect_paths
from curate.rules import placed_diagnostic
from curate.schema import SchemaError
from tests.conftest import FIXTURES, write_article

FAMILY = FIXTURES / "jekyll" / "family"
NEWS = "_news/2021-06-30-ai-finds-new-drugs.md"


@pytest.fixture
def family(tmp_path: Path) -> Path:
    return shutil.copytree(FAMILY, tmp_path / "site")


def lint(paths: list[Path], **settings: object) -> list[tuple[str, int, str, str]]:
    result = run_checks(paths, Settings(cache=False, **settings), lint=True)  # type: ignore[arg-type]
    root = result.site.root
    assert root is not None
    return [
        (
            Path(d.path).resolve().relative_to(root.resolve()).as_posix(),
            d.line,
            d.code,
            d.message,
        )
        for d in result.diagnostics
    ]


def config_of(text: str, tmp_path: Path, settings: Settings | None = None) -> JekyllConfig:
    path = tmp_path / "_config.yml"
    path.write_text(text, encoding="utf-8")
    site = load_site(tmp_path, settings)
    assert not site.problems, site.problems
    return site.jekyll


# --- which files are articles ---------------------------------------------------


def test_family_site_lints_clean_out_of_the_box(family: Path) -> None:
    """_people, _learning, _samples, _communities are not articles; defaults fill type."""
    assert lint([family]) == []


def test_family_site_checks_news_and_archive_only(family: Path) -> None:
    site = load_site(family)
    files, _ = collect_paths([family], (), family, site.is_article)
    relative = sorted(Path(f).relative_to(family).as_posix() for f in files)
    assert relative == [
        "_archive/_news/1997-05-11-deep-blue-wins.md",
        "_news/2021-06-30-ai-finds-new-drugs.md",
        "_news/2021-07-02-ai-finds-new-drugs.md",
    ]


def test_a_non_article_named_explicitly_is_skipped(
    family: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pre-commit names every file a commit touches: a person's page is not an article."""
    monkeypatch.chdir(family)
    assert main(["lint", "--no-cache", "_people/ada-lovelace.md", "_samples/haiku.md"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "no article files found" in err


def test_curate_configuration_maps_collections(family: Path, tmp_path: Path) -> None:
    config = tmp_path / "curate.toml"
    config.write_text('[collections]\nlearning = "article"\n"_archive/**" = "skip"\n')
    settings = resolve_settings({"cache": False}, config=config)
    found = lint([family], **{k: getattr(settings, k) for k in ("collections",)})
    paths = {path for path, *_ in found}
    assert paths == {"_learning/intro-to-ml.md"}  # an article now, and a broken one
    site = load_site(family, settings)
    assert not site.is_article("_archive/_news/1997-05-11-deep-blue-wins.md")


PERSON_SCHEMA = """{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["name", "type"],
  "properties": {"name": {"type": "string"}, "type": {"const": "profile"}}
}"""


def test_a_collection_with_a_schema_of_its_own(family: Path, tmp_path: Path) -> None:
    """_people checked against a person schema (with the defaults), not as articles."""
    (tmp_path / "person.schema.json").write_text(PERSON_SCHEMA)
    config = tmp_path / "curate.toml"
    config.write_text('[collections]\npeople = "person.schema.json"\n')
    settings = resolve_settings({}, config=config)
    found = lint([family], collections=settings.collections)
    # ada-lovelace.md has its name and gets type: profile from the defaults; the
    # collection page has no name, and the default gives it type: collection.
    assert sorted((path, code) for path, _, code, _ in found) == [
        ("_config.yml", "SC005"),
        ("_people/collections/pioneers.md", "SC001"),
    ]
    (tmp_path / "person.schema.json").write_text("{not json")
    with pytest.raises(SchemaError, match=r"person\.schema\.json"):
        lint([family], collections=settings.collections)


def test_collections_configuration_is_checked(tmp_path: Path) -> None:
    config = tmp_path / "curate.toml"
    config.write_text('[collections]\npeople = "person"\n')
    with pytest.raises(ConfigError, match="'collections' must be a table"):
        resolve_settings({}, config=config)


@pytest.mark.parametrize(
    ("relative", "collection", "article"),
    [
        ("_posts/2021-06-30-a.md", "posts", True),
        ("_news/2021-06-30-a.md", "news", True),
        ("_archive/_news/2019-12-16-a.md", "news", True),
        ("europe/_posts/2021-06-30-a.md", "posts", True),
        ("_drafts/a-story.md", "drafts", True),
        ("_people/ada.md", "people", False),
        ("_learning/intro.md", "learning", False),
        ("_samples/a.md", "samples", False),
        ("_communities/a.md", "communities", False),
        ("_authors/a.md", "authors", False),
        ("stray.md", None, True),
    ],
)
def test_place_of_a_file(relative: str, collection: str | None, article: bool) -> None:
    place = JekyllConfig().place(relative)
    assert (place.collection, place.article) == (collection, article)


def test_collections_dir(tmp_path: Path) -> None:
    config = config_of(
        "collections_dir: my_collections\ncollections:\n  people:\n    output: true\n", tmp_path
    )
    assert config.place("my_collections/_posts/2021-06-30-a.md").article
    assert not config.place("my_collections/_people/ada.md").article


# --- front-matter defaults ------------------------------------------------------


DEFAULTS = """
base: &base
  layout: post
  provider:
    name: Example
defaults:
  - scope: {path: ""}
    values: {layout: page, heat: 1}
  - scope: {path: "", type: posts}
    values:
      <<: *base
      heat: 2
  - scope: {path: "_posts/europe"}
    values: {heat: 3, provider: {domain: example.eu}}
  - scope: {path: "_posts", type: posts}
    values: {heat: 4}
  - scope: {path: "_posts/*/2021*"}
    values: {region: glob}
  - values: {ignored: [1]}
  - not a default set
"""


def test_defaults_follow_jekyll_precedence(tmp_path: Path) -> None:
    config = config_of(DEFAULTS, tmp_path)
    europe = defaults_for(config.place("_posts/europe/2021-06-30-a.md"), config).values
    # The longest scope path wins (3 over 4); a type wins over no type (post over page);
    # mappings are merged key by key; merge keys (<<: *base) are read; unscoped sets apply.
    assert europe == {
        "layout": "post",
        "heat": 3,
        "provider": {"name": "Example", "domain": "example.eu"},
        "region": "glob",
        "ignored": [1],
    }
    page = defaults_for(config.place("about.md"), config).values
    assert page == {"layout": "page", "heat": 1, "ignored": [1]}


def test_a_key_the_defaults_give_is_not_missing(family: Path) -> None:
    path = family / NEWS
    assert "type:" not in path.read_text() and "category:" not in path.read_text()
    assert lint([path]) == []


def test_a_finding_about_a_default_points_at_the_config(family: Path) -> None:
    config = family / "_config.yml"
    text = config.read_text()
    config.write_text(text.replace("  type: article\n", "  type: article\n  quality: high\n"))
    path = family / NEWS
    path.write_text(path.read_text().replace("quality: 80\n", ""))
    found = lint([path])
    line = config.read_text().splitlines().index("  quality: high") + 1
    assert [(path, number, code) for path, number, code, _ in found] == [
        ("_config.yml", line, "SC002")
    ]
    assert "(a default in _config.yml, for _news/2021-06-30-ai-finds-new-drugs.md)" in found[0][3]


def test_a_default_finding_keeps_its_place_in_a_warm_run(family: Path) -> None:
    from curate.cache import cache_factory

    config = family / "_config.yml"
    config.write_text(config.read_text().replace("  type: article\n", "  type: 7\n"))
    settings = Settings(cache_dir=family / "cache")
    runs = [
        run_checks([family], settings, lint=True, cache_factory=cache_factory(settings))
        for _ in range(2)
    ]
    cold, warm = ([(Path(d.path).name, d.line, d.code) for d in r.diagnostics] for r in runs)
    assert warm == cold
    assert {name for name, *_ in cold} == {"_config.yml"}
    assert runs[1].cache_hits


def test_the_front_matter_wins_over_the_defaults(family: Path) -> None:
    config = family / "_config.yml"
    config.write_text(config.read_text().replace("  type: article\n", "  type: 5\n"))
    path = family / NEWS
    path.write_text(path.read_text().replace("quality: 80\n", "quality: 80\ntype: article\n"))
    assert lint([path]) == []


# --- output URLs ------------------------------------------------------------------


def _url(relative: str, data: dict[str, object], config: JekyllConfig) -> str | None:
    return output_url(data, config.place(relative), config)


@pytest.mark.parametrize(
    ("permalink", "expected"),
    [
        (None, "/news/2021/06/30/a-story.html"),
        ("date", "/news/2021/06/30/a-story.html"),
        ("pretty", "/news/2021/06/30/a-story/"),
        ("ordinal", "/news/2021/181/a-story.html"),
        ("none", "/news/a-story.html"),
        ("/:year/:month/:day/:title/", "/2021/06/30/a-story/"),
        (
            "/api/:categories/:year/:month/:day/:title/index.json",
            "/api/news/2021/06/30/a-story/index.json",
        ),
        ("/:collection/:name:output_ext", "/posts/2021-06-30-a-story.html"),
        ("/:path/", "/2021-06-30-a-story/"),
        ("/:slug/", "/a-story/"),
    ],
)
def test_permalink_styles_and_placeholders(
    tmp_path: Path, permalink: str | None, expected: str
) -> None:
    config = config_of(f"permalink: {permalink}\n" if permalink else "title: t\n", tmp_path)
    data = {"category": "news", "title": "Ignored: the slug comes from the file name"}
    assert _url("_posts/2021-06-30-a-story.md", data, config) == expected


def test_front_matter_slug_permalink_and_collections(tmp_path: Path) -> None:
    config = config_of(
        "permalink: pretty\ncollections:\n  people:\n    output: true\n"
        "  recipes:\n    output: true\n    permalink: /food/:name/\n  drafts_box: {}\n",
        tmp_path,
    )
    assert _url("_posts/2021-06-30-a.md", {"slug": "My Story"}, config) == ("/2021/06/30/My-Story/")
    assert _url("_posts/2021-06-30-a.md", {"permalink": "/fixed/"}, config) == "/fixed/"
    assert _url("_people/ada.md", {}, config) == "/people/ada/"
    assert _url("_recipes/Tea Time.md", {}, config) == "/food/tea-time/"
    assert _url("_drafts_box/x.md", {}, config) is None  # output is false
    assert _url("_drafts/a.md", {}, config) is None  # rendered only with --drafts
    # An article folder _config.yml does not declare is read as posts are.
    assert _url("_news/2021-06-30-a.md", {"categories": ["AI", "News"]}, config) == (
        "/ai/news/2021/06/30/a/"
    )
    assert _url("europe/_posts/2021-06-30-a.md", {}, config) == "/europe/2021/06/30/a/"


@pytest.mark.parametrize(
    ("permalink", "dated", "undated"),
    [
        ("weekdate", "/news/2021/W26/WED/a-story.html", "/:year/W:week/:short_day/no-date.html"),
        # A trailing _ is kept after the value; an unknown placeholder is left as written.
        ("/:categories_/:title_x/:unknown/", "/news_/:title_x/:unknown/", "/_/:title_x/:unknown/"),
        (
            "//a//:i_month-:i_day-:short_year//:y_day/",
            "/a/6-30-21/181/",
            "/a/:i_month-:i_day-:short_year/:y_day/",
        ),
    ],
)
def test_only_the_placeholders_a_template_names_are_filled(
    tmp_path: Path, permalink: str, dated: str, undated: str
) -> None:
    config = config_of(f"permalink: {permalink}\n", tmp_path)
    assert _url("_posts/2021-06-30-a-story.md", {"category": "news", "title": "t"}, config) == dated
    assert _url("_posts/no-date.md", {}, config) == undated


def test_slugify_modes() -> None:
    assert slugify("Hello, World! It's_here") == "hello-world-it-s-here"
    assert slugify("Hello, World! It's_here", pretty=True, cased=True) == "Hello,-World!-It's-here"


def test_output_url_collision_is_reported_at_both_files(family: Path) -> None:
    twin = family / "_archive" / NEWS
    twin.parent.mkdir(parents=True, exist_ok=True)
    text = (family / NEWS).read_text().replace("example.com/drugs", "example.org/other")
    twin.write_text(text)
    found = [f for f in lint([family]) if f[2] == "DU003"]
    assert sorted(path for path, *_ in found) == ["_archive/" + NEWS, NEWS]
    assert "rendered at /2021/06/30/ai-finds-new-drugs/" in found[0][3]


def test_same_slug_on_two_dates_is_no_collision_under_dated_permalinks(family: Path) -> None:
    found = lint([family], select=("DU",))
    assert found == []  # _news holds ai-finds-new-drugs on 06-30 and on 07-02


def test_same_slug_collides_without_the_date(family: Path) -> None:
    config = family / "_config.yml"
    config.write_text(config.read_text().replace("/:year/:month/:day/:title/", "/:title/"))
    assert {code for _, _, code, _ in lint([family], select=("DU",))} == {"DU003"}
    path = family / "_news/2021-07-02-ai-finds-new-drugs.md"
    path.write_text(path.read_text().replace("published: true", "published: false"))
    found = lint([family], select=("DU",))
    assert {(p, code) for p, _, code, _ in found} == {
        (NEWS, "DU002"),
        ("_news/2021-07-02-ai-finds-new-drugs.md", "DU002"),
    }


# --- links between the site's articles -------------------------------------------

PAGE = "https://everyday-cc.github.io/ai/2021/06/30/ai-finds-new-drugs/"


def _link_from_the_archive(family: Path, url: str) -> Path:
    path = family / "_archive/_news/1997-05-11-deep-blue-wins.md"
    path.write_text(
        path.read_text().replace(
            "secured:", f'related:\n  - title: "AI finds new drugs"\n    webUrl: "{url}"\nsecured:'
        )
    )
    return path


def _unpublish(family: Path) -> Path:
    path = family / NEWS
    path.write_text(path.read_text().replace("published: true", "published: false"))
    return path


def test_a_link_to_an_unpublished_page_of_the_site_is_dead(family: Path) -> None:
    _link_from_the_archive(family, PAGE)
    _unpublish(family)
    found = {(path, code) for path, _, code, _ in lint([family], select=("RL",))}
    assert ("_archive/_news/1997-05-11-deep-blue-wins.md", "RL001") in found


def test_a_link_to_the_publisher_of_an_unpublished_article_is_a_recommendation(
    family: Path,
) -> None:
    _link_from_the_archive(family, "https://www.example.com/drugs?utm_source=feed")
    _unpublish(family)
    found = lint([family], select=("RL",))
    assert [code for _, _, code, _ in found] == ["RL007"]
    assert (
        'related[0] recommends "AI finds new drugs", an article this site chose not to '
        "publish (published: false in" in found[0][3]
    )


def test_unpublishing_a_linked_article_alone_is_stopped(family: Path) -> None:
    """The pre-commit shape: only the edited article is given, its linkers are found."""
    _link_from_the_archive(family, PAGE)
    path = _unpublish(family)
    found = lint([path])
    assert [(p, code) for p, _, code, _ in found] == [(NEWS, "RL008")]
    assert "1997-05-11-deep-blue-wins.md still link to " + PAGE in found[0][3]


def test_moving_a_linked_article_alone_is_stopped(family: Path) -> None:
    _link_from_the_archive(family, PAGE)
    old = family / NEWS
    moved = old.with_name("2021-07-01-ai-finds-new-drugs.md")
    old.rename(moved)
    found = lint([moved])
    assert [code for _, _, code, _ in found] == ["RL008"]
    assert "this article's page is now https://everyday-cc.github.io/ai/2021/07/01/" in found[0][3]


# --- URL identity, titles, providers ----------------------------------------------


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://WWW.Example.com/a/?utm_source=x&utm_medium=y", "https://example.com/a"),
        ("https://www.darkreading.com/a?_mc=NL_DR_EDT_DR_daily", "https://darkreading.com/a"),
        ("https://example.com/a?id=3&fbclid=abc#top", "https://example.com/a?id=3"),
        ("https://example.com/a?page=2", "https://example.com/a?page=2"),
    ],
)
def test_url_identity_ignores_tracking_and_www(url: str, normal: str) -> None:
    assert normalize_url(url) == normal


def test_duplicates_under_tracking_parameters(family: Path) -> None:
    path = family / "_news/2021-07-02-ai-finds-new-drugs.md"
    path.write_text(
        path.read_text().replace(
            "https://example.com/drugs-again", "https://www.example.com/drugs?_mc=NL_DR"
        )
    )
    found = lint([family], select=("DU001",))
    assert len(found) == 2
    assert "tracking parameters" in found[1][3]


def test_same_story_twice_in_one_related_list(family: Path) -> None:
    path = family / NEWS
    related = (
        'related:\n  - title: "Story"\n    webUrl: "https://news.example/story"\n'
        '  - title: "Story"\n    webUrl: "https://www.news.example/story/?utm_source=rss"\n'
    )
    path.write_text(path.read_text().replace("secured:", related + "secured:"))
    # (UR005 also reports the utm_source of the second entry.)
    assert [code for _, _, code, _ in lint([path], select=("RL",))] == ["RL005"]


def test_missing_organization_is_reported_once_per_provider(family: Path) -> None:
    (family / "_data/organizations/example.com.md").unlink()
    (family / "_data/organizations/other.example.md").write_text("---\nname: Other\n---\n")
    found = lint([family], select=("TX002",))
    assert [(path, code) for path, _, code, _ in found] == [
        ("_archive/_news/1997-05-11-deep-blue-wins.md", "TX002")
    ]
    assert "it provides 3 articles of the site (reported at the first)" in found[0][3]


def test_missing_logo_is_reported_once_per_provider(family: Path) -> None:
    logo = (
        '  images:\n    - url: "https://example.com/logo.png"\n      width: 50\n      height: 50\n'
    )
    for path in sorted((family / "_news").glob("*.md")):
        path.write_text(path.read_text().replace(logo, ""))
    found = lint([family], select=("IM005",))
    assert [(path, code) for path, _, code, _ in found] == [(NEWS, "IM005")]
    assert (
        "has no logo (no provider.images) in any of its 2 articles (reported at the first)"
        in found[0][3]
    )


def test_publishing_field_and_threshold(family: Path) -> None:
    path = family / NEWS
    path.write_text(path.read_text().replace("heat: 90", "heat: 65"))
    assert [code for _, _, code, _ in lint([path])] == ["PB001"]
    assert lint([path], published_field="quality") == []
    assert lint([path], published_quality_threshold=60) == []


def test_unknown_timezone_is_a_config_problem(tmp_path: Path) -> None:
    (tmp_path / "_config.yml").write_text("timezone: Mars/Olympus_Mons\n")
    site = load_site(tmp_path)
    assert [p.code for p in site.problems] == ["TX003"]
    assert "not a known time zone" in placed_diagnostic(site.problems[0]).message
    assert site.jekyll.timezone is None
    with pytest.raises(ConfigError, match="'Mars/Olympus_Mons' is not a known time zone"):
        load_site(tmp_path, Settings(timezone="Mars/Olympus_Mons"))


def test_read_config_tolerates_odd_values() -> None:
    config, complaints = read_config(
        {"collections": ["people", "events"], "defaults": "oops", "permalink": 5}, None, None
    )
    assert complaints == []
    assert {c.label for c in config.collections} == {"people", "events", "posts"}
    assert config.permalink == "date"
    assert Place("x", None, "x", (), True).article
    assert zone("+25:00") is None and zone("UTC+8") is not None and zone("Nowhere/Else") is None


def test_odd_defaults_do_not_break_a_run(family: Path) -> None:
    config = family / "_config.yml"
    config.write_text(
        config.read_text()
        + "  - scope: 5\n    values: {1: 2, excerpt: 3}\n"
        + "  - scope: {path: 7, type: [1]}\n    values: {title: 3}\n"
    )
    found = lint([family / NEWS])
    assert {(path, code) for path, _, code, _ in found} == {("_config.yml", "SC002")}


# --- the real sample ---------------------------------------------------------------


def test_the_real_sample(real_corpus: Path, tmp_path: Path) -> None:
    """What the issue asked of the everyday-cc sample, with its assets as empty files."""
    site = shutil.copytree(real_corpus, tmp_path / "sample")
    for line in (site / "ASSETS.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            write_article(site, line.strip(), "")
    found = lint([site])
    counts: dict[str, int] = {}
    for _, _, code, _ in found:
        counts[code] = counts.get(code, 0) + 1
    # The site's files are dated in UTC+8 and its permalinks hold the date.
    assert "DT001" not in counts and "DU002" not in counts and "DU003" not in counts
    # published follows heat >= 70 in _news; the three exceptions are in _archive.
    assert all("_archive" in path for path, _, code, _ in found if code == "PB001")
    assert counts.get("TI003") == 2  # the FT paywall and the leaked instruction
    assert counts.get("TX005") == 1  # _data/organizations/theguardian.com
    assert counts.get("UR004", 0) + counts.get("SC003", 0) >= 2  # the curly-quoted URL


def test_a_broken_config_is_reported_cleanly_at_its_line(family: Path) -> None:
    config = family / "_config.yml"
    config.write_text(config.read_text() + "broken: [a, b\nnext: 1\n")
    found = [f for f in lint([family]) if f[2] in ("TX003", "TX006")]
    assert len(found) == 1
    path, line, _, message = found[0]
    assert path == "_config.yml" and line == len(config.read_text().splitlines())
    assert found[0][2] == "TX006"  # an error: Jekyll stops the build
    assert message.startswith("site config is not valid YAML: did not find expected ',' or ']'")
    assert "<unicode string>" not in message
