"""Options shared by several commands, defined once."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer


class OutputFormat(str, enum.Enum):
    table = "table"
    concise = "concise"
    json = "json"
    github = "github"
    sarif = "sarif"


Paths = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Article files and folders (folders are searched for *.md). Default: the site "
        "root, or the current folder.",
        show_default=False,
    ),
]
Format = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="How to show the findings.", case_sensitive=False),
]
Config = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Configuration file (default: the nearest curate.toml or pyproject.toml "
        "with \\[tool.curate]).",
        show_default=False,
    ),
]
Schema = Annotated[
    Path | None,
    typer.Option(
        "--schema",
        help="JSON Schema to validate against (default: the bundled one).",
        show_default=False,
    ),
]
Root = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="The site root (default: the nearest folder with _config.yml).",
        show_default=False,
    ),
]
NoCache = Annotated[
    bool,
    typer.Option("--no-cache", help="Neither read nor write the cache in .curate_cache/."),
]
CacheDir = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Where to keep the cache (default: <site root>/.curate_cache).",
        show_default=False,
    ),
]
Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=0,
        help="Worker processes for large runs (0: one per CPU core).",
        show_default=False,
    ),
]
Statistics = Annotated[
    bool, typer.Option("--statistics", help="Also show how many findings each code has.")
]
