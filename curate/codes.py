"""The stable codes of the file and schema checks, with their documentation.

Lint rules register their own codes in :mod:`curate.rules`; these are the codes
every command can report, because they come from reading and validating a file.
"""

from __future__ import annotations

from typing import NamedTuple

from curate.model import Severity


class CodeDoc(NamedTuple):
    """How a code is explained to an editor (``curate rules CODE``)."""

    code: str
    name: str
    severity: Severity
    summary: str
    why: str
    example: str
    fix: str


_E = Severity.ERROR

BUILTIN_CODES: tuple[CodeDoc, ...] = (
    CodeDoc(
        "FM001",
        "empty-file",
        _E,
        "The file is empty.",
        "Jekyll publishes nothing useful from an empty article file.",
        "(a file of zero bytes or only blank lines)",
        "Delete the file or write its front matter.",
    ),
    CodeDoc(
        "FM002",
        "missing-front-matter",
        _E,
        "The file does not start with a '---' line.",
        "Jekyll only reads front matter that starts on the very first line; without it the "
        "article has no title, date or URL.",
        "title: Foo\n---",
        "Put '---' on the first line, the YAML after it, and '---' after the YAML.",
    ),
    CodeDoc(
        "FM003",
        "unclosed-front-matter",
        _E,
        "The front matter has no closing '---' line.",
        "Jekyll then treats the whole file as content and the article loses all its data.",
        "---\ntitle: Foo\n(no closing line)",
        "Add a '---' line after the last key.",
    ),
    CodeDoc(
        "FM004",
        "front-matter-not-mapping",
        _E,
        "The front matter is a list or a single value, not keys with values.",
        "Every field the site reads (title, webUrl, ...) must be a key of a mapping.",
        "---\n- title\n- url\n---",
        "Write 'key: value' lines.",
    ),
    CodeDoc(
        "FM005",
        "yaml-syntax-error",
        _E,
        "The front matter is not valid YAML, or a tagged value is not of its type.",
        "Jekyll fails to build or silently drops the article's data.",
        'title: "Unclosed quote\nquality: !!int "high"',
        "Fix the YAML at the line shown (quotes, indentation, a ':' in an unquoted value, a"
        " value that its tag such as !!int does not allow).",
    ),
    CodeDoc(
        "FM006",
        "duplicate-key",
        _E,
        "A key appears twice in the same mapping.",
        "YAML keeps only the last value, so an edit to the first one is silently lost.",
        "quality: 70\nquality: 40",
        "Keep one of the two keys.",
    ),
    CodeDoc(
        "FM007",
        "yaml-tag-not-allowed",
        _E,
        "A YAML tag such as '!!python/object' asks for a non-plain value.",
        "Front matter is data; such tags are how YAML files execute code. curate never "
        "constructs them.",
        "title: !!python/object/apply:os.system ['rm -rf /']",
        "Remove the tag and write the plain value.",
    ),
    CodeDoc(
        "FM008",
        "yaml-too-complex",
        _E,
        "The YAML nests too deeply, its aliases expand to too many values, or a number is too"
        " large to read.",
        "Such documents (a 'billion laughs' anchor bomb, a 5,000-digit number) exhaust memory"
        " or time in tools and builds.",
        "a: &a [1,1,1]\nb: &b [*a,*a,*a]\n...",
        "Write the values out plainly; front matter needs no anchors. Quote a long number that"
        " is really text (an ID).",
    ),
    CodeDoc(
        "FM009",
        "not-utf8",
        _E,
        "The file is not valid UTF-8.",
        "Jekyll reads UTF-8; other encodings turn into garbled titles or a failed build.",
        "(a file saved as Latin-1 with 'café' in the title)",
        "Re-save the file as UTF-8.",
    ),
    CodeDoc(
        "FM010",
        "binary-file",
        _E,
        "The file contains NUL bytes: it is binary, not text.",
        "A binary file with a .md name is usually a mistake of an upload or a tool.",
        "(an image saved as post.md)",
        "Remove the file or give it its real extension.",
    ),
    CodeDoc(
        "FM011",
        "file-too-large",
        _E,
        "The file or its front matter is too large to check.",
        "Articles are a few kilobytes; a huge one is a generated or corrupted file.",
        "(a 50 MB .md file)",
        "Find out what wrote it; split or shrink it.",
    ),
    CodeDoc(
        "FM012",
        "unreadable-file",
        _E,
        "The path does not exist or cannot be read.",
        "A file the site expects is missing or has the wrong permissions.",
        "curate validate _news/missing.md",
        "Check the path and the file's permissions.",
    ),
    CodeDoc(
        "SC001",
        "missing-required-key",
        _E,
        "A key the schema requires is missing.",
        "The site's templates and feeds read these keys; without them the article breaks.",
        "(an article with no 'title')",
        "Add the key; 'curate rules SC001' and the README's schema table list the required keys.",
    ),
    CodeDoc(
        "SC002",
        "wrong-type",
        _E,
        "A value has the wrong type (text where a number belongs...).",
        "Templates compare and sort these values; a wrong type breaks ranking and filters.",
        'quality: "high"',
        "Write the value with the expected type (quality: 80).",
    ),
    CodeDoc(
        "SC003",
        "invalid-format",
        _E,
        "A date or URL is not well-formed.",
        "A malformed date sorts wrongly; a malformed URL is a dead link.",
        "publishedDateTime: 30/06/2021",
        "Use ISO 8601 dates (2021-06-30T12:00:00Z) and absolute URLs.",
    ),
    CodeDoc(
        "SC004",
        "out-of-range",
        _E,
        "A number is outside its allowed range.",
        "Ranking and publishing thresholds assume these ranges (quality >= 0, heat >= -1).",
        "heat: -5",
        "Correct the value.",
    ),
    CodeDoc(
        "SC005",
        "invalid-value",
        _E,
        "A value does not have the expected form (an empty title, a malformed 'secured').",
        "The site shows or decodes these values as they are.",
        'title: ""',
        "Correct the value as the message says.",
    ),
)

LOAD_CODES: dict[str, str] = {doc.code: doc.name for doc in BUILTIN_CODES}
