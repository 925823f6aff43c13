"""Load the article JSON Schema and turn its errors into diagnostics an editor understands.

One engine, jsonschema-rs, gives both the verdict and its explanation, so they
cannot disagree: it implements the draft the schema declares (4, 6, 7, 2019-09 or
2020-12, default 2020-12), reads ``pattern`` as ECMA-262 as the specification says,
never writes into the data and never goes on the network. ``$ref``s outside the
schema resolve only to JSON files next to it and to the bundled metaschemas.
``format`` is asserted whatever the draft: a malformed date or URL is SC003.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urldefrag, urljoin, urlparse

from curate import inputs
from curate.codes import LOAD_CODES
from curate.model import Article, Diagnostic, Pointer, Severity

SCHEMA_NAME = "article.schema.json"

#: A schema (or a file next to it) larger than this is not read: /dev/zero or a
#: mistaken path must give an error, not fill the memory.
MAX_SCHEMA_BYTES = 4 * 1024 * 1024
#: How many JSON files next to a schema with external $refs are looked at, and how many bytes.
MAX_NEIGHBOURS = 200
MAX_NEIGHBOUR_BYTES = 16 * 1024 * 1024

_TYPE_WORDS = {
    "string": "text",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "nothing",
}
_FORMAT_WORDS = {
    "date-time": "an RFC 3339 date-time such as 2021-06-30T12:00:00Z",
    "uri": "an absolute URL such as https://example.com/page",
    "iri": "an absolute URL such as https://example.com/page",
    "uri-reference": "a URL or a site path such as /assets/images/logo.jpg",
    "iri-reference": "a URL or a site path such as /assets/images/logo.jpg",
}
_CODE_BY_KEYWORD = {
    "required": "SC001",
    "type": "SC002",
    "format": "SC003",
    "minimum": "SC004",
    "maximum": "SC004",
    "exclusiveMinimum": "SC004",
    "exclusiveMaximum": "SC004",
}
_REFERENCE_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")


class SchemaError(Exception):
    """The schema itself cannot be used (missing file, bad JSON, invalid schema, remote $ref)."""


class LoadedSchema(dict[str, Any]):
    """A schema document, with the file it came from and the local documents it refers to.

    A dict, so that code which only reads the schema keeps working; ``resources``
    maps a URI to a JSON document found next to the schema.
    """

    source: Path | None
    resources: dict[str, Any]

    def __init__(
        self,
        document: Mapping[str, Any],
        source: Path | None = None,
        resources: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(document)
        self.source = source
        self.resources = resources or {}


def bundled_schema_path() -> Path:
    """The schema shipped with curate: inside the wheel, or in the source tree."""
    packaged = resources.files("curate") / "schemas" / SCHEMA_NAME
    if packaged.is_file():
        return Path(str(packaged))
    # An editable install or a source checkout keeps the schema at the top level.
    return Path(__file__).resolve().parent.parent / "schemas" / SCHEMA_NAME


def _read_json(path: Path) -> Any:
    try:
        if stat.S_ISFIFO(os.stat(path).st_mode):
            raise SchemaError(f"schema {path} is a pipe, not a file; not read")
        with open(path, "rb") as handle:
            raw = handle.read(MAX_SCHEMA_BYTES + 1)
    except OSError as error:
        raise SchemaError(f"cannot read schema {path}: {error.strerror or error}") from None
    if len(raw) > MAX_SCHEMA_BYTES:
        limit = MAX_SCHEMA_BYTES // (1024 * 1024)
        raise SchemaError(f"schema {path} is larger than {limit} MiB; not read")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SchemaError(f"schema {path} is not valid JSON: {error}") from None
    except RecursionError:
        raise SchemaError(f"schema {path} is nested too deeply to read") from None


def load_schema(path: Path | None = None) -> LoadedSchema:
    schema_path = path or bundled_schema_path()
    schema = _read_json(schema_path)
    if not isinstance(schema, dict):
        raise SchemaError(f"schema {schema_path} is not a JSON object")
    wanted = _refers_outside(schema) or _custom_metaschema(schema)
    local = _local_documents(schema, schema_path) if wanted else {}
    return LoadedSchema(schema, schema_path, local)


def _refers_outside(schema: Any) -> bool:
    """Whether any reference of the schema names another document."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _REFERENCE_KEYWORDS and isinstance(value, str):
                    if not value.startswith("#"):
                        return True
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return False


_DRAFT_URIS = {
    "http://json-schema.org/draft-04/schema",
    "http://json-schema.org/draft-06/schema",
    "http://json-schema.org/draft-07/schema",
    "https://json-schema.org/draft/2019-09/schema",
    "https://json-schema.org/draft/2020-12/schema",
}


def _custom_metaschema(schema: dict[str, Any]) -> bool:
    declared = schema.get("$schema")
    return isinstance(declared, str) and urldefrag(declared)[0] not in _DRAFT_URIS


def _document_id(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    identifier = document.get("$id", document.get("id"))
    if not isinstance(identifier, str) or not identifier.strip("#"):
        return None
    return urldefrag(identifier)[0]


def _local_documents(schema: dict[str, Any], schema_path: Path) -> dict[str, Any]:
    """The JSON files next to the schema, by file URI and by the ``$id`` each declares.

    A file without ``$id`` is also known by its name relative to the schema's own
    ``$id``, so that ``{"$ref": "defs.json"}`` in a schema with an https ``$id``
    finds the copy of ``defs.json`` saved beside it.
    """
    folder = schema_path.resolve().parent
    root_id = _document_id(schema)
    found: dict[str, Any] = {}
    try:
        candidates = [entry for entry in os.scandir(folder) if entry.name.endswith(".json")]
        # Inputs even when not read: their kind and size decide which are (a replay).
        inputs.record_all(entry.path for entry in candidates)
        sizes = {entry.name: entry.stat().st_size for entry in candidates if entry.is_file()}
    except OSError:
        return found
    budget = MAX_NEIGHBOUR_BYTES
    for name in sorted(sizes)[:MAX_NEIGHBOURS]:
        path = folder / name
        budget -= sizes[name]
        if path == schema_path.resolve() or budget < 0:
            continue
        try:
            document = _read_json(path)
        except SchemaError:
            continue  # an unrelated file; a $ref to it is reported as unresolvable
        found[path.as_uri()] = document
        identifier = _document_id(document)
        if identifier is not None:
            found[identifier] = document
        elif root_id is not None:
            found[urljoin(root_id, name)] = document
    return found


def _metaschemas() -> dict[str, Any]:
    """The metaschemas of every draft, read from jsonschema-specifications' files.

    Read directly (not imported: importing it builds a registry, 0.1 s).
    """
    import importlib.util

    spec = importlib.util.find_spec("jsonschema_specifications")
    if spec is None or not spec.submodule_search_locations:
        return {}
    found: dict[str, Any] = {}
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder, "schemas").rglob("*")):
            if path.is_file():
                try:
                    document = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                identifier = _document_id(document)
                if identifier is not None:
                    found[identifier] = document
    return found


def check_schema(schema: dict[str, Any]) -> None:
    """Raise SchemaError unless ``schema`` can be used: valid, every ``$ref`` resolvable."""
    ArticleValidator(schema).compiled  # noqa: B018 - compiling is the check


def schema_fingerprint(schema: dict[str, Any]) -> str:
    local = getattr(schema, "resources", {})
    text = json.dumps([schema, local], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _is_iri(value: Any) -> bool:
    """An IRI (RFC 3987) is a URI once its non-ASCII characters are percent-encoded."""
    return not isinstance(value, str) or _uri_checks()[0].is_valid(_percent_encoded(value))


def _is_iri_reference(value: Any) -> bool:
    return not isinstance(value, str) or _uri_checks()[1].is_valid(_percent_encoded(value))


def _percent_encoded(value: str) -> str:
    if value.isascii():
        return value  # the URI check rejects spaces and control characters itself
    if any(char.isspace() or not char.isprintable() for char in value):
        return " "  # a no-break space pasted into a URL is a mistake, not an IRI
    return "".join(quote(char, safe="") if ord(char) > 127 else char for char in value)


@cache
def _uri_checks() -> tuple[Any, Any]:
    """jsonschema-rs's own `uri` and `uri-reference` checks (20x faster than rfc3986-validator)."""
    import jsonschema_rs

    uri = jsonschema_rs.validator_for({"format": "uri"}, validate_formats=True)
    reference = jsonschema_rs.validator_for({"format": "uri-reference"}, validate_formats=True)
    return uri, reference


_FORMATS = {"iri": _is_iri, "iri-reference": _is_iri_reference}


class ArticleValidator:
    """A schema compiled once and used for every article of a run.

    ``resources`` (URI -> document) and ``base_uri`` default to what
    :func:`load_schema` found next to the schema file.
    """

    def __init__(
        self,
        schema: dict[str, Any] | bool,
        resources: Mapping[str, Any] | None = None,
        base_uri: str | None = None,
    ) -> None:
        self.schema = schema
        self.resources = dict(
            resources if resources is not None else getattr(schema, "resources", {})
        )
        source = getattr(schema, "source", None)
        if base_uri is None and source is not None:
            base_uri = Path(source).resolve().as_uri()
        self.base_uri = base_uri
        self.name = str(source) if source is not None else "the schema"

    @cached_property
    def compiled(self) -> Any:
        import jsonschema_rs

        missing: list[str] = []
        # Metaschemas are registered up front (jsonschema-rs asks no retriever for
        # them); the local documents only when a reference asks for one, so that an
        # unrelated file next to the schema cannot break it.
        bundled = _metaschemas() if _refers_outside(self.schema) else {}
        declared = self.schema.get("$schema") if isinstance(self.schema, dict) else None
        if isinstance(declared, str) and urldefrag(declared)[0] in self.resources:
            # A custom metaschema, looked up by its URI like the bundled ones.
            bundled[urldefrag(declared)[0]] = self.resources[urldefrag(declared)[0]]

        def retrieve(uri: str) -> Any:
            document = self.resources.get(urldefrag(uri)[0])
            if document is None:
                missing.append(uri)
                raise ValueError(f"{uri} is not a local file")
            return document

        try:
            draft = _DRAFTS[jsonschema_rs.validator_cls_for(self.schema).__name__]
            registry = jsonschema_rs.Registry(
                list(bundled.items()), draft=draft, retriever=retrieve
            )
            return jsonschema_rs.validator_for(
                self.schema,
                validate_formats=True,
                formats=_FORMATS,
                registry=registry,
                base_uri=self.base_uri,
            )
        except jsonschema_rs.ValidationError as error:
            absent = _ABSENT.search(error.message)
            if missing or absent:
                uri = missing[0] if missing else absent.group(1) if absent else ""
                raise SchemaError(_unresolvable(self.name, uri)) from None
            where = "/".join(str(step) for step in error.instance_path)
            pointer = f" at /{where}" if where else ""
            raise SchemaError(
                f"{self.name} is not a usable JSON Schema{pointer}: {error.message}"
            ) from None
        except (jsonschema_rs.ReferencingError, ValueError) as error:
            if missing:
                raise SchemaError(_unresolvable(self.name, missing[0])) from None
            raise SchemaError(f"{self.name} is not a usable JSON Schema: {error}") from None

    def is_valid(self, data: Any) -> bool:
        try:
            return bool(self.compiled.is_valid(data))
        except _UNCHECKABLE:
            # Keys that are not text (YAML allows `2021: x`): judge the JSON form.
            try:
                return bool(self.compiled.is_valid(_as_json(data)))
            except _UNCHECKABLE:
                return False  # nested beyond what the engine follows: explained below

    def validate(self, article: Article) -> Iterator[Diagnostic]:
        """Diagnostics for every schema error of the article, positioned in its file."""
        if self.is_valid(article.data):
            return
        explained = False
        for diagnostic in self.explain(article):
            explained = True
            yield diagnostic
        if not explained:  # the explanation never overrules the verdict
            yield _diagnostic(
                article, "SC005", (), "the article does not match the schema", located=False
            )

    def explain(self, article: Article) -> Iterator[Diagnostic]:
        try:
            raw = list(self.compiled.iter_errors(article.data))
        except _UNCHECKABLE:
            try:
                raw = list(self.compiled.iter_errors(_as_json(article.data)))
            except _UNCHECKABLE as error:
                message = f"the article cannot be checked against the schema: {error}"
                yield _diagnostic(article, "SC005", (), message, located=False)
                return
        failures = sorted((self._failure(error) for error in raw), key=_failure_order)
        reported: set[Pointer] = set()
        for failure in failures:
            for chosen in _chosen(failure):
                for diagnostic in _diagnostics(article, chosen):
                    # One finding per value: a URL with a space breaks both its format and
                    # its pattern, but the editor has one thing to fix.
                    if diagnostic.pointer not in reported or chosen.keyword == "required":
                        reported.add(diagnostic.pointer)
                        yield diagnostic

    def _failure(self, error: Any) -> _Failure:
        keyword = error.kind.name
        context: list[list[_Failure]] = []
        if keyword in ("anyOf", "oneOfNotValid"):
            context = [[self._failure(sub) for sub in branch] for branch in error.kind.context]
        location = error.absolute_keyword_location
        if location:
            uri, fragment = urldefrag(location)
            steps: list[str | int] = [
                unquote(step).replace("~1", "/").replace("~0", "~")
                for step in fragment.split("/")[1:]
            ]
            document = self._document(uri)
        else:
            steps, document = list(error.schema_path), self.schema
        schema = _follow(document, steps)
        if steps and not isinstance(schema, dict):  # the keyword itself: its schema holds it
            schema = _follow(document, steps[:-1])
        return _Failure(
            keyword if keyword != "oneOfNotValid" else "oneOf",
            tuple(error.instance_path),
            error.instance,
            error.message,
            schema if isinstance(schema, dict) else {},
            error.kind.as_dict() if not context else {},
            context,
        )

    def _document(self, uri: str) -> Any:
        if uri in self.resources:
            return self.resources[uri]
        if uri in (self.base_uri, _document_id(self.schema)):
            return self.schema
        return {}


#: What jsonschema-rs raises for data it cannot take: keys that are not text, deep nesting.
_UNCHECKABLE = (ValueError, TypeError, OverflowError, RecursionError)

_DRAFTS = {
    "Draft4Validator": 4,
    "Draft6Validator": 6,
    "Draft7Validator": 7,
    "Draft201909Validator": 19,
    "Draft202012Validator": 20,
}


_ABSENT = re.compile(r"Resource '([^']*)' is not present in a registry")


def _unresolvable(name: str, uri: str) -> str:
    if uri.startswith("file:"):
        path = Path(unquote(urlparse(uri).path))
        if path.is_file():
            try:
                _read_json(path)
            except SchemaError as error:
                return f"{name} refers to {path}, which cannot be used: {error}"
    return (
        f"{name} refers to {uri}, which curate does not fetch (it never goes on the network): "
        "save that document as a JSON file next to the schema and refer to it by its file name "
        "(or keep the reference and give the saved file that $id)"
    )


def _as_json(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


def _follow(document: Any, steps: list[str | int]) -> Any:
    node = document
    for step in steps:
        if isinstance(node, dict):
            node = node.get(str(step))
        elif isinstance(node, list) and str(step).isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return None
    return node


@dataclass
class _Failure:
    """One error of jsonschema-rs, with the subschema that holds the failed keyword."""

    keyword: str
    pointer: Pointer
    instance: Any
    message: str
    schema: dict[str, Any]
    details: dict[str, Any]
    context: list[list[_Failure]] = field(default_factory=list)


_KEYWORD_ORDER = {"required": 0, "type": 1, "format": 2}


def _failure_order(failure: _Failure) -> tuple[tuple[str, ...], int, str]:
    path = tuple(str(step) for step in failure.pointer)
    return path, _KEYWORD_ORDER.get(failure.keyword, 3), failure.keyword


def _chosen(failure: _Failure) -> list[_Failure]:
    """The failures to report for one error: the closest branch of an ``anyOf``/``oneOf``."""
    if not failure.context or not any(failure.context):
        return [failure]
    flat = [sub for branch in failure.context for sub in branch]
    if all(sub.keyword == "required" for sub in flat):
        names = sorted({str(sub.details.get("property", "")) for sub in flat})
        return [
            _Failure(
                "required",
                failure.pointer,
                failure.instance,
                "needs at least one of: " + ", ".join(names),
                failure.schema,
                {"alternatives": names},
            )
        ]
    # The branch that got furthest: the deepest error first, then the fewest errors.
    branches = [branch for branch in failure.context if branch]
    best = min(branches, key=lambda b: (-max(len(s.pointer) for s in b), len(b)))
    return [chosen for sub in sorted(best, key=_failure_order) for chosen in _chosen(sub)]


def _diagnostics(article: Article, failure: _Failure) -> Iterator[Diagnostic]:
    if failure.keyword in ("additionalProperties", "unevaluatedProperties"):
        unexpected = failure.details.get("unexpected") or []
        for key in unexpected:
            pointer = (*failure.pointer, key)
            message = f"{_prefix(pointer)}unexpected key '{key}'"
            yield _diagnostic(article, "SC005", pointer, message, key=True)
        if unexpected:
            return
    code = _CODE_BY_KEYWORD.get(failure.keyword, "SC005")
    yield _diagnostic(article, code, failure.pointer, _message(failure))


def _diagnostic(
    article: Article,
    code: str,
    pointer: Pointer,
    message: str,
    key: bool = False,
    located: bool = True,
) -> Diagnostic:
    locator = article.locator
    if key and locator is not None and hasattr(locator, "locate_key"):
        location = locator.locate_key(pointer)
    else:
        location = article.locate(pointer)
    return Diagnostic(
        article.path,
        location.line,
        location.column,
        code,
        Severity.ERROR,
        message,
        LOAD_CODES[code],
        pointer if located else (),
        location.end_line,
        location.end_column,
    )


def format_pointer(pointer: Pointer) -> str:
    text = ""
    for step in pointer:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def describe_value(value: Any, limit: int = 60) -> str:
    """A value as a message quotes it: text in quotes (shortened), the rest in words."""
    if isinstance(value, str):
        shown = value if len(value) <= limit else value[: limit - 3] + "..."
        return json.dumps(shown, ensure_ascii=False)
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a mapping"
    return str(value)


def _url_problem(value: Any, iri: bool) -> str:
    """Why a URL-looking string is not a URI, in the words an editor would use."""
    if not isinstance(value, str):
        return ""
    if value != value.strip():
        return " (it has leading or trailing whitespace)"
    if any(char.isspace() for char in value):
        return " (it contains a space; write it as %20)"
    odd = sorted({char for char in value if ord(char) > 127})
    if odd and not iri:
        return f" (it contains {''.join(odd)}, which must be percent-encoded)"
    return ""


def _expected(schema: dict[str, Any]) -> str:
    """What a value should be, in words: its type and bounds (``an integer >= 0``)."""
    types = schema.get("type")
    names = [types] if isinstance(types, str) else list(types or [])
    parts = [" or ".join(_TYPE_WORDS.get(str(name), str(name)) for name in names)]
    for bound, inclusive, exclusive in (("minimum", ">=", ">"), ("maximum", "<=", "<")):
        strict = f"exclusive{bound[0].upper()}{bound[1:]}"
        if bound in schema:
            sign = exclusive if schema.get(strict) is True else inclusive
            parts.append(f"{sign} {schema[bound]}")
        if strict in schema and not isinstance(schema[strict], bool):
            parts.append(f"{exclusive} {schema[strict]}")
    return " ".join(part for part in parts if part) or "another value"


def _prefix(pointer: Pointer) -> str:
    where = format_pointer(pointer)
    return f"{where}: " if where else ""


def _message(failure: _Failure) -> str:
    prefix = _prefix(failure.pointer)
    keyword, schema, details = failure.keyword, failure.schema, failure.details
    got = describe_value(failure.instance)
    if keyword == "required":
        if "alternatives" in details:
            return f"{prefix}{failure.message}"
        return f"{prefix}missing required key '{details.get('property', '')}'"
    if keyword in ("type", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return f"{prefix}expected {_expected(schema)}, got {got}"
    if keyword == "format":
        name = str(details.get("format", schema.get("format", "")))
        expected = _FORMAT_WORDS.get(name, f"a valid {name}")
        reason = _url_problem(failure.instance, name.startswith("iri")) if "ri" in name else ""
        return f"{prefix}expected {expected}, got {got}{reason}"
    if keyword == "falseSchema":
        return f"{prefix}not allowed by the schema"
    if keyword == "minLength" and schema.get("minLength") == 1:
        return f"{prefix}must not be empty"
    if keyword == "pattern":
        hint = schema.get("description", "")
        return f"{prefix}{got} does not have the expected form. {hint}".strip()
    if keyword == "enum":
        allowed = ", ".join(describe_value(value) for value in details.get("options", []))
        return f"{prefix}expected one of {allowed}, got {got}"
    return f"{prefix}{failure.message}"
