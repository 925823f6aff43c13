"""Loading front matter exactly: every bad input is a diagnostic at its line, never a crash."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from curate.loading import collect_paths, load_file, load_text, locate_file

VALID = """---
title: "Hello"
publishedDateTime: 2021-06-30T12:00:00Z
quality: 70
related:
  - title: Other
    webUrl: https://example.com/a
---
Body text.
"""


def codes(raw: bytes) -> list[tuple[str, int]]:
    result = load_text("a.md", raw)
    return [(d.code, d.line) for d in result.diagnostics]


def test_valid_front_matter_keeps_timestamps_as_strings() -> None:
    result = load_text("a.md", VALID.encode())
    assert result.diagnostics == ()
    assert result.article is not None
    assert result.article.data["publishedDateTime"] == "2021-06-30T12:00:00Z"
    assert result.article.data["quality"] == 70


def test_positions_count_the_opening_fence() -> None:
    article = load_text("a.md", VALID.encode()).article
    assert article is not None
    location = article.locate(("related", 0, "webUrl"))
    assert (location.line, location.column) == (7, 13)
    assert article.locate(("quality",)).line == 4
    # A pointer that goes nowhere stops at the deepest node that exists.
    assert article.locate(("related", 5, "title")).line == 6


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(b"", [("FM001", 1)], id="empty"),
        pytest.param(b"  \n\n", [("FM001", 1)], id="blank"),
        pytest.param(b"title: x\n", [("FM002", 1)], id="no-front-matter"),
        pytest.param(b"---\ntitle: x\n", [("FM003", 1)], id="never-closed"),
        pytest.param(b"---\n- a\n- b\n---\n", [("FM004", 2)], id="list"),
        pytest.param(b"---\njust words\n---\n", [("FM004", 2)], id="scalar"),
        pytest.param(b"---\ntitle: x\nbad: [1, 2\n---\n", [("FM005", 4)], id="syntax-error"),
        pytest.param(b"---\na: 1\nb: 2\na: 3\n---\n", [("FM006", 4)], id="duplicate-key"),
        pytest.param(
            b"---\ntitle: !!python/object/apply:os.system ['echo owned']\n---\n",
            [("FM007", 2)],
            id="python-tag",
        ),
        pytest.param(b"---\ntitle: caf\xe9\n---\n", [("FM009", 2)], id="latin-1"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", [("FM010", 1)], id="binary"),
        pytest.param(b"---\na: &a [*a]\n---\n", [("FM008", 2)], id="recursive-alias"),
    ],
)
def test_bad_input_is_a_diagnostic(raw: bytes, expected: list[tuple[str, int]]) -> None:
    assert codes(raw) == expected


def test_duplicate_key_keeps_the_last_value_and_names_the_first_line() -> None:
    result = load_text("a.md", b"---\nquality: 70\nquality: 40\n---\n")
    assert result.article is not None and result.article.data["quality"] == 40
    assert "first at line 2" in result.diagnostics[0].message


def test_python_tag_is_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "owned"
    raw = f"---\nx: !!python/object/apply:os.system ['touch {marker}']\n---\n".encode()
    load_text("a.md", raw)
    assert not marker.exists()


def test_bom_and_crlf_are_handled() -> None:
    raw = b"\xef\xbb\xbf---\r\ntitle: x\r\nquality: 1\r\n---\r\nbody\r\n"
    result = load_text("a.md", raw)
    assert result.diagnostics == ()
    assert result.article is not None and result.article.data == {"title": "x", "quality": 1}
    assert result.article.locate(("quality",)).line == 3


def test_jekyll_dots_close_front_matter_and_empty_front_matter_is_a_mapping() -> None:
    assert load_text("a.md", b"---\ntitle: x\n...\nbody").diagnostics == ()
    empty = load_text("a.md", b"---\n---\n")
    assert empty.article is not None and empty.article.data == {}


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["---", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    raw = ("\n".join([*lines, "---", ""])).encode()
    started = time.perf_counter()
    result = load_text("bomb.md", raw)
    elapsed = time.perf_counter() - started
    assert [d.code for d in result.diagnostics] == ["FM008"]
    assert elapsed < 5  # generous: the point is that it ends, not how fast


def test_deep_nesting_is_refused_without_crashing_libyaml() -> None:
    raw = b"---\na: " + b"[" * 60000 + b"]" * 60000 + b"\n---\n"
    assert [d.code for d in load_text("deep.md", raw).diagnostics] == ["FM008"]


def test_merge_keys_are_supported() -> None:
    raw = b"---\nbase: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n---\n"
    article = load_text("a.md", raw).article
    assert article is not None and article.data["other"] == {"x": 1, "y": 3}


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    assert [d.code for d in load_file(tmp_path / "nope.md").diagnostics] == ["FM012"]
    files, problems = collect_paths([tmp_path / "nope"])
    assert files == [] and [d.code for d in problems] == ["FM012"]


def test_site_walk_skips_pages_data_and_hidden_folders(tmp_path: Path) -> None:
    (tmp_path / "_config.yml").write_text("title: x\n")
    for name in [
        "README.md",
        "about.md",
        "_posts/2021-01-01-a.md",
        "_archive/_news/2020-01-01-b.markdown",
        "_data/organizations/x.md",
        ".github/c.md",
        "_site/d.md",
        "node_modules/e.md",
        "_posts/notes.txt",
    ]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\ntitle: x\n---\n")
    files, _ = collect_paths([tmp_path], root=tmp_path)
    found = sorted(Path(p).relative_to(tmp_path).as_posix() for p in files)
    assert found == ["_archive/_news/2020-01-01-b.markdown", "_posts/2021-01-01-a.md"]
    # A file named explicitly is always checked.
    files, _ = collect_paths([tmp_path / "README.md"])
    assert files == [str(tmp_path / "README.md")]


def test_suppression_comments_are_read() -> None:
    raw = b"---\ntitle: x  # curate: ignore[SC002, RL]\n# curate: ignore-file[IM001]\n---\n"
    article = load_text("a.md", raw).article
    assert article is not None and article.suppressions is not None
    assert article.suppressions.by_line == {2: frozenset({"SC002", "RL"})}
    assert article.suppressions.whole_file == frozenset({"IM001"})


@pytest.mark.parametrize(
    "value",
    [
        '!!int "abc"',
        '!!int ""',
        '!!int "0x"',
        '!!int "-"',
        '!!float "abc"',
        '!!float "1:2:x"',
        '!!bool "maybe"',
        "!!int",
        "!!bool",
        "!!float",
    ],
)
def test_a_tagged_value_that_is_not_of_its_type_is_a_finding(value: str) -> None:
    result = load_text("a.md", f"---\ntitle: x\nquality: {value}\n---\n".encode())
    assert [(d.code, d.line, d.column) for d in result.diagnostics] == [("FM005", 3, 10)]
    assert result.article is None


def test_a_tagged_key_that_is_not_of_its_type_is_a_finding() -> None:
    assert codes(b'---\n!!int "abc": 1\n---\n') == [("FM005", 2)]


BIG = "9" * 5000


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(BIG, id="plain"),
        pytest.param("-" + BIG, id="negative"),
        pytest.param("0x" + "f" * 5000, id="hex"),
        pytest.param("0x" + "f" * 300, id="hex-short-but-huge"),
        pytest.param("0" + "7" * 5000, id="octal"),
        pytest.param("0b" + "1" * 5000, id="binary"),
        pytest.param("1" + ":59" * 2000, id="sexagesimal"),
        pytest.param("1" + ":1" * 190, id="sexagesimal-short-but-huge"),
        pytest.param("1" + ":59" * 2000 + ".5", id="sexagesimal-float"),
        pytest.param("1" + ":1" * 190 + ".5", id="sexagesimal-float-short-but-huge"),
        pytest.param('!!int "' + BIG + '"', id="tagged"),
        pytest.param("[" + BIG + "]", id="in-a-list"),
    ],
)
def test_numbers_too_large_to_handle_are_refused_where_read(value: str) -> None:
    result = load_text("a.md", f"---\ntitle: x\nheat: {value}\n---\n".encode())
    assert [(d.code, d.line) for d in result.diagnostics] == [("FM008", 3)]
    assert len(result.diagnostics[0].message) < 200


def test_numbers_that_fit_are_kept() -> None:
    raw = (
        b"---\na: 0x"
        + b"f" * 200
        + b"\nb: 1:30\nc: 1:30.5\nd: .inf\ne: -9"
        + b"9" * 300
        + b"\n---\n"
    )
    result = load_text("a.md", raw)
    assert result.diagnostics == ()
    assert result.article is not None
    data = result.article.data
    assert data["a"] == 16**200 - 1 and data["b"] == 90 and data["c"] == 90.5
    assert data["d"] == float("inf") and data["e"] == -(10**301 - 1)


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


@needs_fifo
def test_a_fifo_is_a_finding_never_a_hang(tmp_path: Path) -> None:
    (tmp_path / "_posts").mkdir()
    fifo = tmp_path / "_posts" / "pipe.md"
    os.mkfifo(fifo)
    (tmp_path / "_posts" / "a.md").write_text(VALID)
    # Found by the walk and named explicitly, it is a file that cannot be read.
    files, problems = collect_paths([tmp_path / "_posts"])
    assert sorted(files) == sorted([str(fifo), str(tmp_path / "_posts" / "a.md")])
    files, problems = collect_paths([fifo])
    assert files == [str(fifo)] and problems == []
    result = load_file(fifo)
    assert [d.code for d in result.diagnostics] == ["FM012"]
    assert "FIFO" in result.diagnostics[0].message
    assert locate_file(fifo) is None


def test_a_device_is_never_read() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    result = load_file("/dev/zero")
    assert [d.code for d in result.diagnostics] == ["FM012"]
    assert "device" in result.diagnostics[0].message


needs_symlinks = pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")


@needs_symlinks
def test_symlink_loops_are_findings_and_folder_loops_walked_once(tmp_path: Path) -> None:
    posts = tmp_path / "_posts"
    posts.mkdir()
    (posts / "good.md").write_text(VALID)
    (posts / "a.md").symlink_to("b.md")
    (posts / "b.md").symlink_to("a.md")
    (posts / "loop").symlink_to(".")
    (posts / "up").symlink_to("..")
    files, problems = collect_paths([posts])
    assert problems == []
    assert sorted(Path(f).name for f in files) == ["a.md", "b.md", "good.md"]
    assert [d.code for d in load_file(posts / "a.md").diagnostics] == ["FM012"]
    # Named explicitly: a finding, not "no such file".
    files, problems = collect_paths([posts / "a.md"])
    assert files == [] and [d.code for d in problems] == ["FM012"]
    assert "no such file" not in problems[0].message


def test_a_name_that_is_not_utf8_is_walked_and_read(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.md")
    try:
        (tmp_path / name).write_text(VALID)
    except (UnicodeEncodeError, OSError):
        pytest.skip("the file system refuses names that are not UTF-8")
    files, _ = collect_paths([tmp_path])
    assert [Path(f).name for f in files] == [name]
    assert load_file(files[0]).diagnostics == ()


@pytest.mark.parametrize(
    "raw",
    [b"---\ntitle: x\n\tquality: 5\n---\n", b"---\nprovider:\n\tname: x\n---\n"],
)
def test_a_tab_indenting_the_front_matter_is_named(raw: bytes) -> None:
    (diagnostic,) = load_text("a.md", raw).diagnostics
    assert (diagnostic.code, diagnostic.line) == ("FM005", 3)
    assert diagnostic.message == (
        "YAML syntax error: a tab indents this line: YAML does not allow tabs for indentation "
        "(use spaces)"
    )


def test_a_yaml_syntax_error_is_one_clean_line() -> None:
    (diagnostic,) = load_text("a.md", b"---\ntitle: x\nbad: [1, 2\nmore: 3\n---\n").diagnostics
    assert "<unicode string>" not in diagnostic.message and "\n" not in diagnostic.message
    assert "that starts at line 3" in diagnostic.message


def test_the_closing_fence_is_found_where_the_jekyll_expression_finds_it() -> None:
    import random
    import re

    from curate.loading import _closing_fence

    fence = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
    pieces = ["---", "...", "-", ".", " ", "\t", "\r", "\n", "\n", "a: b", "--", "----", "x---"]
    chooser = random.Random(13)
    for _ in range(20_000):
        text = "".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 12)))
        start = chooser.choice([0, *(i + 1 for i, char in enumerate(text) if char == "\n")])
        match = fence.search(text, start)
        assert _closing_fence(text, start) == (-1 if match is None else match.start()), text


@pytest.mark.parametrize(
    "value", ["0", "7", "42", "0755", "1_000", "+12", "-3", "0x1F", "0b101", "1:30", "9" * 300]
)
def test_integers_read_as_pyyaml_reads_them(value: str) -> None:
    import yaml

    result = load_text("a.md", f"---\nn: {value}\nm: !!int '{value}'\n---\n".encode())
    assert result.article is not None
    expected = yaml.safe_load(f"n: {value}")["n"]
    assert result.article.data == {"n": expected, "m": expected}
