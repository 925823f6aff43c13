"""What several commands share, defined once: option groups, the format option, settings.

An option group is a frozen dataclass whose fields are Typer parameters. A command
takes it as one keyword parameter (``site: SiteOptions``); :func:`command` spreads
the group's options into the signature Typer reads and gathers them back into the
dataclass before the command runs. A new shared option is one field in one group.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer

if TYPE_CHECKING:
    from curate.config import Settings
    from curate.model import Diagnostic


class OptionGroup:
    """Base of the option groups: a frozen dataclass of Typer parameters."""


def command(function: Callable[..., int]) -> Callable[..., None]:
    """The Typer command of ``function``, which returns its exit code.

    Each OptionGroup parameter of ``function`` is spread into the group's options.
    """
    hints = get_type_hints(function, include_extras=True)
    parameters: list[inspect.Parameter] = []
    groups: dict[str, tuple[type[Any], tuple[str, ...]]] = {}
    for parameter in inspect.signature(function).parameters.values():
        hint = hints[parameter.name]
        if isinstance(hint, type) and issubclass(hint, OptionGroup):
            fields = dataclasses.fields(hint)  # type: ignore[arg-type]
            group_hints = get_type_hints(hint, include_extras=True)
            groups[parameter.name] = (hint, tuple(field.name for field in fields))
            parameters += [
                inspect.Parameter(
                    field.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=group_hints[field.name],
                    default=field.default,
                )
                for field in fields
            ]
        else:
            parameters.append(
                parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hint)
            )
    parameters = [_with_metavar(parameter) for parameter in parameters]
    names = [parameter.name for parameter in parameters]
    assert len(names) == len(set(names)), f"{function.__name__}: an option is defined twice"

    @functools.wraps(function)
    def gathered(**values: Any) -> None:
        for name, (group, members) in groups.items():
            values[name] = group(**{member: values.pop(member) for member in members})
        raise typer.Exit(function(**values))

    gathered.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    gathered.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
    return gathered


#: The placeholder of an option's value, by its type, when the option names none.
_METAVARS = {Path: "PATH", int: "N", float: "NUMBER", str: "TEXT"}


def _with_metavar(parameter: inspect.Parameter) -> inspect.Parameter:
    """Every placeholder in the help in one style (PATH, N, TEXT; an argument's name in
    capitals), instead of Typer's mix of ``<path>``, ``<int range>`` and ``<str>``."""
    annotation = parameter.annotation
    metadata = getattr(annotation, "__metadata__", ())
    info = next((item for item in metadata if isinstance(item, typer.models.ParameterInfo)), None)
    if info is None or info.metavar is not None:
        return parameter
    base = annotation.__origin__
    if isinstance(info, typer.models.ArgumentInfo):
        single_path = Path in getattr(base, "__args__", (base,))
        info.metavar = "PATH" if single_path else parameter.name.upper()
        return parameter
    kinds = [kind for kind in getattr(base, "__args__", (base,)) if kind is not type(None)]
    kind = kinds[0] if kinds else None
    if getattr(kind, "__origin__", None) is list:
        kind = getattr(kind, "__args__", (None,))[0]
    if kind in _METAVARS:
        info.metavar = _METAVARS[kind]
    return parameter


def choice(*param_decls: str, names: Iterable[str], help: str) -> Any:
    """An option taking one of ``names`` (any case), given in lower case."""
    allowed = tuple(names)

    def check(value: str) -> str:
        if value.lower() not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}")
        return value.lower()

    return typer.Option(
        *param_decls, metavar="[" + "|".join(allowed) + "]", callback=check, help=help
    )


def format_option(names: Iterable[str], help_text: str) -> Any:
    """The --format/-f option, its choices taken from a reporter table."""
    return choice("--format", "-f", names=names, help=help_text)


def finding_formats() -> tuple[str, ...]:
    from curate.reporting import REPORTERS

    return tuple(REPORTERS)


Paths = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Article files and folders (folders are searched for *.md). Default: the site "
        "root of --root or the config's 'root', else the current folder.",
        show_default=False,
    ),
]
FindingFormat = Annotated[str, format_option(finding_formats(), "How to show the findings.")]
Statistics = Annotated[
    bool, typer.Option("--statistics", help="Also show how many findings each code has.")
]
Schema = Annotated[
    Path | None,
    typer.Option(
        "--schema",
        help="JSON Schema to validate against (default: the bundled one).",
        show_default=False,
    ),
]
Now = Annotated[
    str | None,
    typer.Option(
        "--now",
        metavar="WHEN",
        help="Pin the clock (ISO 8601: 2024-03-01, 2024-03-01T12:00:00Z), for reproducible "
        "results. Default: the current time.",
        show_default=False,
    ),
]


def parse_now(value: str | None) -> datetime | None:
    """``--now`` as a moment, or None when not given."""
    from curate.errors import UsageError
    from curate.timeparse import parse_now as parse

    if value is None:
        return None
    try:
        return parse(value)
    except UsageError as error:
        raise UsageError(f"--now: {error}") from None


Root = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="The site root (default: the nearest folder with _config.yml).",
        show_default=False,
    ),
]
Config = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Configuration file (default: the nearest curate.toml, or pyproject.toml "
        "with [tool.curate]).",
        show_default=False,
    ),
]
CacheDir = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="The cache folder (default: <site root>/.curate_cache).",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class SiteOptions(OptionGroup):
    """Where the site and its configuration are, and how to run over it."""

    root: Root = None
    config: Config = None
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Neither read nor write the cache in .curate_cache/."),
    ] = False
    cache_dir: CacheDir = None
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            help="Worker processes for large runs: 0 for one per CPU core (the default); "
            "never more than the CPU cores.",
            show_default=False,
        ),
    ] = None

    def overrides(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "cache": False if self.no_cache else None,
            "cache_dir": self.cache_dir,
            "jobs": self.jobs,
        }

    def settings(self, **overrides: Any) -> Settings:
        """The run's settings: these options and ``overrides`` (None: not given) over the file."""
        from curate.config import resolve_settings

        return resolve_settings({**self.overrides(), **overrides}, config=self.config)


def targets(paths: Sequence[Path] | None, settings: Settings) -> list[Path]:
    """The paths to check (default: the site root, or the current folder); each must exist."""
    from curate.errors import UsageError

    chosen = list(paths) if paths else [settings.root or Path.cwd()]
    for target in chosen:
        if not os.path.lexists(target):
            raise UsageError(f"{target}: no such file or directory")
    return chosen


def shown_path(path: str) -> str:
    """``path`` as curate prints it: relative to the current folder when inside it, like Ruff."""
    absolute = os.path.abspath(path)
    here = os.getcwd()
    if absolute == here:
        return "."
    if absolute.startswith(here.rstrip(os.sep) + os.sep):
        return os.path.relpath(absolute, here)
    return absolute


def shown(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """``diagnostics`` with their paths as curate prints them (see :func:`path_shower`)."""
    show = path_shower()
    return [diagnostic._replace(path=show(diagnostic.path)) for diagnostic in diagnostics]


def path_shower() -> Callable[[str], str]:
    """:func:`shown_path`, working out the shown form of each folder once.

    A whole site has thousands of files in a few folders: the folder's shown form,
    then the file name, is what shown_path gives.
    """
    folders: dict[str, str] = {}

    def show(path: str) -> str:
        folder, name = os.path.split(path)
        if name in ("", ".", ".."):
            return shown_path(path)
        prefix = folders.get(folder)
        if prefix is None:
            above = shown_path(folder or os.curdir)
            prefix = folders[folder] = "" if above == "." else above.rstrip(os.sep) + os.sep
        return prefix + name

    return show


def warn(message: str) -> None:
    import sys

    sys.stderr.write(f"curate: warning: {message}\n")
