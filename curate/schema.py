"""Load the article JSON Schema and turn its errors into diagnostics an editor understands.

Validation has two stages. A validator compiled to Python code by
fastjsonschema answers "is this article valid?" about twenty times faster than
jsonschema; only for the few articles that fail does jsonschema run, because it
reports every error with its path and picks the best match inside ``anyOf``.
Both use jsonschema's format checker, so they agree on what a date-time or a URI is.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from curate.codes import LOAD_CODES
from curate.model import Article, Diagnostic, Pointer, Severity

SCHEMA_NAME = "article.schema.json"

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
    "uri-reference": "a URL or a site path such as /assets/images/logo.jpg",
}
_CODE_BY_VALIDATOR = {
    "required": "SC001",
    "type": "SC002",
    "format": "SC003",
    "minimum": "SC004",
    "maximum": "SC004",
    "exclusiveMinimum": "SC004",
    "exclusiveMaximum": "SC004",
}


class SchemaError(Exception):
    """The schema itself cannot be used (missing file, bad JSON, invalid schema)."""


def bundled_schema_path() -> Path:
    """The schema shipped with curate: inside the wheel, or in the source tree."""
    packaged = resources.files("curate") / "schemas" / SCHEMA_NAME
    if packaged.is_file():
        return Path(str(packaged))
    # An editable install or a source checkout keeps the schema at the top level.
    return Path(__file__).resolve().parent.parent / "schemas" / SCHEMA_NAME


def load_schema(path: Path | None = None) -> dict[str, Any]:
    schema_path = path or bundled_schema_path()
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SchemaError(f"cannot read schema {schema_path}: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SchemaError(f"schema {schema_path} is not valid JSON: {error}") from None
    if not isinstance(schema, dict):
        raise SchemaError(f"schema {schema_path} is not a JSON object")
    return schema


def check_schema(schema: dict[str, Any]) -> None:
    """Raise SchemaError unless ``schema`` is a valid JSON Schema.

    Separate from loading: a run whose every file is cached never imports jsonschema.
    """
    from jsonschema.exceptions import SchemaError as InvalidSchema
    from jsonschema.validators import validator_for

    try:
        validator_for(schema).check_schema(schema)
    except InvalidSchema as error:
        raise SchemaError(f"the schema is not a valid JSON Schema: {error.message}") from None


def schema_fingerprint(schema: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:16]


class ArticleValidator:
    """A schema compiled once and used for every article of a run."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    @cached_property
    def _detailed(self) -> Any:
        from jsonschema import FormatChecker
        from jsonschema.validators import validator_for

        cls = validator_for(self.schema)
        return cls(self.schema, format_checker=FormatChecker())

    @cached_property
    def _fast(self) -> Any:
        import fastjsonschema

        formats = _format_checks(self.schema)
        definition = copy.deepcopy(self.schema)
        # fastjsonschema knows drafts 4 to 7; the keywords this schema uses mean
        # the same in draft 7, and $defs is resolved as a plain JSON pointer.
        definition.pop("$schema", None)
        try:
            return fastjsonschema.compile(definition, formats=formats)
        except Exception:  # a keyword fastjsonschema cannot compile: explain every article
            return None

    def is_valid(self, data: dict[str, Any]) -> bool:
        fast = self._fast
        if fast is None:
            return not any(True for _ in self._detailed.iter_errors(data))
        import fastjsonschema

        try:
            fast(data)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    def validate(self, article: Article) -> Iterator[Diagnostic]:
        """Diagnostics for every schema error of the article, positioned in its file."""
        if self.is_valid(article.data):
            return
        yield from self.explain(article)

    def explain(self, article: Article) -> Iterator[Diagnostic]:
        from jsonschema.exceptions import best_match

        errors = sorted(self._detailed.iter_errors(article.data), key=_error_order)
        reported: set[Pointer] = set()
        for error in errors:
            if error.validator in ("anyOf", "oneOf") and error.context:
                chosen = _explain_alternatives(error) or best_match(error.context)
            else:
                chosen = error
            diagnostic = _diagnostic(article, chosen)
            # One finding per value: a URL with a space breaks both its format and
            # its pattern, but the editor has one thing to fix.
            if diagnostic.pointer not in reported or chosen.validator == "required":
                reported.add(diagnostic.pointer)
                yield diagnostic


def _formats_used(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("format"), str):
            yield schema["format"]
        for value in schema.values():
            yield from _formats_used(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _formats_used(value)


def _is_date_time(value: Any) -> bool:
    from rfc3339_validator import validate_rfc3339

    return not isinstance(value, str) or bool(validate_rfc3339(value.upper()))


def _is_uri(value: Any) -> bool:
    from rfc3986_validator import validate_rfc3986

    return not isinstance(value, str) or bool(validate_rfc3986(value, rule="URI"))


def _is_uri_reference(value: Any) -> bool:
    from rfc3986_validator import validate_rfc3986

    return not isinstance(value, str) or bool(validate_rfc3986(value, rule="URI_reference"))


#: The checks jsonschema's FormatChecker makes for these formats, without importing
#: jsonschema (0.15 s): a run that validates one changed file should not pay for it.
_FAST_FORMATS = {
    "date-time": _is_date_time,
    "uri": _is_uri,
    "uri-reference": _is_uri_reference,
}


def _format_checks(schema: dict[str, Any]) -> dict[str, Any]:
    used = set(_formats_used(schema))
    if used <= _FAST_FORMATS.keys():
        return {name: _FAST_FORMATS[name] for name in used}
    from jsonschema import FormatChecker

    checker = FormatChecker()

    def conforms(name: str) -> Any:
        return lambda value: bool(checker.conforms(value, name))

    return {name: conforms(name) for name in checker.checkers}


_VALIDATOR_ORDER = {"required": 0, "type": 1, "format": 2}


def _error_order(error: Any) -> tuple[tuple[str, ...], int, str]:
    path = tuple(str(step) for step in error.absolute_path)
    return path, _VALIDATOR_ORDER.get(error.validator, 3), error.validator


def _explain_alternatives(error: Any) -> Any | None:
    """For ``anyOf`` of ``required`` branches, one error naming every alternative."""
    if not all(sub.validator == "required" for sub in error.context):
        return None
    names = sorted({sub.message.split("'")[1] for sub in error.context if "'" in sub.message})
    error.message = "needs at least one of: " + ", ".join(names)
    error.validator = "required"
    return error


def _diagnostic(article: Article, error: Any) -> Diagnostic:
    pointer: Pointer = tuple(error.absolute_path)
    code = _CODE_BY_VALIDATOR.get(error.validator, "SC005")
    message = _message(error, pointer)
    location = article.locate(pointer)
    return Diagnostic(
        article.path,
        location.line,
        location.column,
        code,
        Severity.ERROR,
        message,
        LOAD_CODES[code],
        pointer,
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


def _url_problem(value: Any) -> str:
    """Why a URL-looking string is not a URI, in the words an editor would use."""
    if not isinstance(value, str):
        return ""
    if value != value.strip():
        return " (it has leading or trailing whitespace)"
    if any(char.isspace() for char in value):
        return " (it contains a space; write it as %20)"
    odd = sorted({char for char in value if ord(char) > 127})
    if odd:
        return f" (it contains {''.join(odd)}, which must be percent-encoded)"
    return ""


def _expected_type(schema: dict[str, Any]) -> str:
    types = schema.get("type")
    names = [types] if isinstance(types, str) else list(types or [])
    words = " or ".join(_TYPE_WORDS.get(name, name) for name in names)
    bounds = []
    if "minimum" in schema:
        bounds.append(f">= {schema['minimum']}")
    if "maximum" in schema:
        bounds.append(f"<= {schema['maximum']}")
    return " ".join([words, *bounds])


def _message(error: Any, pointer: Pointer) -> str:
    where = format_pointer(pointer)
    prefix = f"{where}: " if where else ""
    validator = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if validator == "required":
        if error.message.startswith("needs at least one of"):
            return f"{prefix}{error.message}"
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{prefix}missing required key '{missing}'"
    if validator == "type":
        return f"{prefix}expected {_expected_type(schema)}, got {describe_value(error.instance)}"
    if validator == "format":
        expected = _FORMAT_WORDS.get(error.validator_value, f"a valid {error.validator_value}")
        reason = _url_problem(error.instance) if "uri" in error.validator_value else ""
        return f"{prefix}expected {expected}, got {describe_value(error.instance)}{reason}"
    if validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return f"{prefix}expected {_expected_type(schema)}, got {describe_value(error.instance)}"
    if validator == "minLength" and error.validator_value == 1:
        return f"{prefix}must not be empty"
    if validator == "pattern":
        hint = schema.get("description", "")
        shown = describe_value(error.instance)
        return f"{prefix}{shown} does not have the expected form. {hint}".strip()
    if validator == "enum":
        allowed = ", ".join(describe_value(value) for value in error.validator_value)
        return f"{prefix}expected one of {allowed}, got {describe_value(error.instance)}"
    return f"{prefix}{error.message}"
