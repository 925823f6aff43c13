"""One typed Settings object: command line over configuration file over defaults.

The file is ``curate.toml`` (top-level keys, or the same ``[tool.curate]`` table as
in pyproject) or ``[tool.curate]`` in ``pyproject.toml``, whichever is found first
walking up from the current directory, or the file given with ``--config``. Keys are
kebab-case, as in Ruff; a command-line option has the name of its key (``--jobs``).
Every value is checked here, from the file and from the command line alike.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from curate import inputs
from curate.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


class ConfigError(UsageError):
    """The configuration cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, resolved once and passed explicitly."""

    root: Path | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    schema: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    published_quality_threshold: int = 70
    #: The field PB001 compares with the threshold (the sample's sites publish by heat).
    published_field: str = "heat"
    #: The site's time zone for dates (overrides _config.yml's timezone).
    timezone: str | None = None
    #: Collection label or glob -> "article", "skip" or a schema file (see curate.jekyll).
    collections: tuple[tuple[str, str], ...] = ()
    strict: bool = False
    now: datetime | None = None
    cache: bool = True
    cache_dir: Path | None = None
    jobs: int = 0
    online: bool = False
    online_exclude: tuple[str, ...] = ()
    online_accept: tuple[int, ...] = ()
    user_agent: str | None = None
    concurrency: int = 32
    per_host: int = 4
    timeout: float = 15.0
    max_cache_age: float = 86400.0
    allow_private: bool = False
    config_path: Path | None = field(default=None, compare=False)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def clock(self) -> datetime:
        """The clock of the rules: ``--now`` when given, else the current time.

        Only rules declared ``clock`` read it unpinned (their findings only disappear
        as time passes, which lets a run on which none fired be replayed); a command
        that shows the time pins ``now`` first (``curate.cli.filters.now_override``).
        """
        from curate.timeparse import current_time

        return self.now if self.now is not None else current_time(by_rule=True)

    def fingerprint(self) -> str:
        """What, in these settings, changes the result of checking a file."""
        relevant = (
            self.schema,
            self.select,
            self.ignore,
            self.extend_select,
            self.per_file_ignores,
            self.published_quality_threshold,
            self.published_field,
            self.timezone,
            self.collections,
            self.exclude,
            self.include,
        )
        return repr(relevant)


#: File key -> (Settings field, expected type description).
_FILE_KEYS: dict[str, tuple[str, str]] = {
    "root": ("root", "path"),
    "include": ("include", "list of globs"),
    "exclude": ("exclude", "list of globs"),
    "schema": ("schema", "path"),
    "select": ("select", "list of codes"),
    "ignore": ("ignore", "list of codes"),
    "extend-select": ("extend_select", "list of codes"),
    "per-file-ignores": ("per_file_ignores", "table of glob = [codes]"),
    "publish-threshold": ("published_quality_threshold", "integer"),
    "published-field": ("published_field", "string"),
    "timezone": ("timezone", "string"),
    "collections": ("collections", "table of collection = kind"),
    "strict": ("strict", "boolean"),
    "cache": ("cache", "boolean"),
    "cache-dir": ("cache_dir", "path"),
    "jobs": ("jobs", "integer"),
    "online-exclude": ("online_exclude", "list of URL patterns"),
    "online-accept": ("online_accept", "list of status codes"),
    "user-agent": ("user_agent", "string"),
    "concurrency": ("concurrency", "integer"),
    "per-host": ("per_host", "integer"),
    "timeout": ("timeout", "number"),
    "max-cache-age": ("max_cache_age", "number of seconds or a duration such as 1d"),
}
CONFIG_KEYS = tuple(_FILE_KEYS)
_KEY_OF_FIELD = {name: key for key, (name, _) in _FILE_KEYS.items()}
#: Deprecated key -> the key that replaced it; both are read, never both at once.
_ALIASES = {"published-quality-threshold": "publish-threshold"}

#: The most worker processes --jobs asks for; more are lowered to the CPU count anyway.
MAX_JOBS = 1024


def cpu_count() -> int:
    return os.cpu_count() or 1


def _check_value(name: str, value: Any) -> str | None:
    """Why the value of Settings field ``name`` cannot be used, or None."""
    if isinstance(value, Path) and "\0" in str(value):
        return f"{str(value)!r} is not a path: it holds a NUL character"
    if name == "jobs" and not 0 <= value <= MAX_JOBS:
        return f"give 0 (one worker per CPU core) to {MAX_JOBS} worker processes, not {value}"
    if name in ("concurrency", "per_host") and not 1 <= value <= 10_000:
        return f"give 1 to 10000 requests, not {value}"
    if name == "timeout" and not (math.isfinite(value) and 0 < value <= 86400):
        return f"the time-out must be more than 0 seconds and at most 86400, not {value:g}"
    if name == "max_cache_age" and not (math.isfinite(value) and value >= 0):
        return f"the age must be 0 seconds or more, not {value:g}"
    if name == "user_agent" and not (value and value.isascii() and value.isprintable()):
        return (
            f"{value!r} cannot be sent as a User-Agent header: give printable ASCII "
            "characters, without line breaks"
        )
    if name == "published_quality_threshold" and value < 0:
        return f"the threshold must be 0 or more, not {value}"
    if name == "published_field" and not (value and value.isprintable()):
        return f"{value!r} is not a field name"
    if name == "root" and not value.is_dir():
        return f"{value} is not a folder" if value.exists() else f"{value} does not exist"
    return None


def find_config(start: Path) -> Path | None:
    """The nearest curate.toml or pyproject.toml with [tool.curate], walking up."""
    for directory in (start, *start.parents):
        candidate = directory / "curate.toml"
        if inputs.is_file(candidate):  # recorded: a curate.toml added later is noticed
            return candidate
        pyproject = directory / "pyproject.toml"
        if inputs.is_file(pyproject) and _has_tool_section(pyproject):
            return pyproject
    return None


def _has_tool_section(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "[tool.curate" in text


def read_config(path: Path) -> dict[str, Any]:
    """The curate table of a config file: pyproject's [tool.curate], or curate.toml's keys.

    curate.toml may hold its keys at the top level or, as pasted from a pyproject,
    under [tool.curate]; not both.
    """
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"cannot read config {path}: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"config {path} is not valid TOML: {error}") from None
    if path.name == "pyproject.toml" or set(document) == {"tool"}:
        return _tool_table(document, path)
    if "tool" in document:
        raise ConfigError(
            f"{path}: unknown key 'tool': write the settings at the top level of "
            "curate.toml or under [tool.curate], not both"
        )
    return dict(document)


def _tool_table(document: dict[str, Any], path: Path) -> dict[str, Any]:
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table, got {tool!r}")
    table = tool.get("curate", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.curate] must be a table of settings, got {table!r}")
    return dict(table)


def settings_from_file(values: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """Typed Settings fields from a config table; unknown keys are errors."""
    fields: dict[str, Any] = {}
    base = path.parent
    for key, value in values.items():
        if key in _ALIASES and _ALIASES[key] in values:
            raise ConfigError(
                f"{path}: '{key}' is the old name of '{_ALIASES[key]}': give only one"
            )
        if _ALIASES.get(key, key) not in _FILE_KEYS:
            close = difflib.get_close_matches(key, CONFIG_KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{path}: unknown key '{key}'{hint}")
        name, kind = _FILE_KEYS[_ALIASES.get(key, key)]
        fields[name] = _convert(key, value, kind, base, path)
        problem = _check_value(name, fields[name])
        if problem is not None:
            raise ConfigError(f"{path}: '{key}': {problem}")
    return fields


def _convert(key: str, value: Any, kind: str, base: Path, path: Path) -> Any:
    def wrong() -> ConfigError:
        article = "an" if kind[0] in "aeiou" else "a"
        return ConfigError(f"{path}: '{key}' must be {article} {kind}, got {value!r}")

    if kind == "path":
        if not isinstance(value, str) or "\0" in value:
            raise wrong()
        return (base / value).resolve()
    if kind.startswith("list of"):
        if not isinstance(value, list):
            raise wrong()
        if kind == "list of status codes":
            if not all(isinstance(item, int) and not isinstance(item, bool) for item in value):
                raise wrong()
            return tuple(value)
        if not all(isinstance(item, str) for item in value):
            raise wrong()
        return tuple(value)
    if kind == "table of collection = kind":
        from curate.jekyll import KINDS

        if not isinstance(value, dict) or not all(
            item in KINDS or (isinstance(item, str) and item.endswith(".json"))
            for item in value.values()
        ):
            raise ConfigError(
                f"{path}: '{key}' must be a table of collection (or glob) = "
                f"{' or '.join(repr(k) for k in KINDS)} or a schema file (*.json), got {value!r}"
            )
        return tuple(
            (name, kind if kind in KINDS else str((base / kind).resolve()))
            for name, kind in value.items()
        )
    if kind.startswith("table"):
        if not isinstance(value, dict) or not all(
            isinstance(codes, list) and all(isinstance(code, str) for code in codes)
            for codes in value.values()
        ):
            raise wrong()
        return tuple((glob, tuple(codes)) for glob, codes in value.items())
    if kind == "boolean":
        if not isinstance(value, bool):
            raise wrong()
        return value
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise wrong()
        return value
    if kind.startswith("number"):
        if isinstance(value, str) and "duration" in kind:
            from curate.timeparse import parse_duration

            try:
                return parse_duration(value, bare_seconds=True, allow_zero=True).total_seconds()
            except UsageError as error:
                raise ConfigError(f"{path}: '{key}': {error}") from None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise wrong()
        return float(value)
    if not isinstance(value, str):
        raise wrong()
    return value


def resolve_settings(
    overrides: Mapping[str, Any], *, config: Path | None = None, cwd: Path | None = None
) -> Settings:
    """Settings from the command line (``overrides``, None meaning unset) over the file."""
    if config is not None and "\0" in str(config):
        raise ConfigError(f"--config: {str(config)!r} is not a path: it holds a NUL character")
    config_path = config or find_config(cwd or Path.cwd())
    values: dict[str, Any] = {}
    if config_path is not None:
        if config is not None and not config.is_file():
            raise ConfigError(f"config file {config} does not exist")
        values = settings_from_file(read_config(config_path), config_path)
        values["config_path"] = config_path
    for name, value in overrides.items():
        if value is None:
            continue
        problem = _check_value(name, value)
        if problem is not None:
            raise ConfigError(f"--{_KEY_OF_FIELD.get(name, name).replace('_', '-')}: {problem}")
        values[name] = value
    if values.get("jobs"):
        values["jobs"] = min(values["jobs"], cpu_count())
    settings = Settings(**values)
    _check_published_field(settings)
    return settings


def _check_published_field(settings: Settings) -> None:
    """PB001 needs a number to compare: 'published-field' must name a numeric property.

    The default (heat) is not checked, so a custom schema without it costs nothing.
    """
    field_name = settings.published_field
    if field_name == Settings.published_field:
        return
    from curate.schema import load_schema

    properties = load_schema(settings.schema).get("properties")
    numeric = sorted(
        name
        for name, spec in (properties if isinstance(properties, dict) else {}).items()
        if isinstance(spec, dict) and spec.get("type") in ("integer", "number")
    )
    if field_name not in numeric:
        where = (
            f"{settings.config_path}: 'published-field'"
            if settings.config_path
            else ("'published-field'")
        )
        choices = ", ".join(numeric) or "none"
        raise ConfigError(
            f"{where}: {field_name!r} is not a number field of the schema "
            f"(its integer or number fields: {choices})"
        )
