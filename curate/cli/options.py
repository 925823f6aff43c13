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

#: Where --help lists the options of the online checks (lint --online, links).
ONLINE_PANEL = "Online checks"

Online = Annotated[
    bool,
    typer.Option(
        "--online",
        help="Also check over HTTP that related links, images and logos still answer "
        "(the WB codes; 'curate links' runs only these).",
        rich_help_panel=ONLINE_PANEL,
    ),
]
ExcludeUrl = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-url",
        metavar="REGEX",
        help="Do not request URLs matching this regular expression (searched anywhere in "
        "the URL). Repeatable; added to online-exclude of the config file.",
        show_default=False,
        rich_help_panel=ONLINE_PANEL,
    ),
]
Accept = Annotated[
    list[str] | None,
    typer.Option(
        "--accept",
        metavar="STATUS",
        help="HTTP statuses that count as ok (e.g. 403,429), comma-separated or repeated; "
        "added to online-accept of the config file.",
        show_default=False,
        rich_help_panel=ONLINE_PANEL,
    ),
]
MaxCacheAge = Annotated[
    str | None,
    typer.Option(
        "--max-cache-age",
        metavar="AGE",
        help="Reuse ok results younger than this: seconds, or with a unit (90s, 30m, 12h, "
        "1d). Failures are always checked again. Default 1d.",
        show_default=False,
        rich_help_panel=ONLINE_PANEL,
    ),
]
Concurrency = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        min=1,
        help="Requests in flight at once (default 32).",
        show_default=False,
        rich_help_panel=ONLINE_PANEL,
    ),
]
PerHost = Annotated[
    int | None,
    typer.Option(
        "--per-host",
        min=1,
        help="Requests in flight to one host at once (default 4).",
        show_default=False,
        rich_help_panel=ONLINE_PANEL,
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        help="Time-out of one request, in seconds (default 15).",
        show_default=False,
        rich_help_panel=ONLINE_PANEL,
    ),
]
UserAgent = Annotated[
    str | None,
    typer.Option(
        "--user-agent",
        help="User-Agent header of the requests (default curate/VERSION).",
        show_default=False,
        rich_help_panel=ONLINE_PANEL,
    ),
]
AllowPrivate = Annotated[
    bool,
    typer.Option(
        "--allow-private",
        help="Also request hosts that resolve to loopback, private or link-local addresses "
        "(an intranet site, a test server). Off by default: those are reported as WB003.",
        rich_help_panel=ONLINE_PANEL,
    ),
]
