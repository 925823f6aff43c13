"""Article lists and corpus statistics: Rich tables, bar charts, JSON, JSONL, CSV, TSV, paths.

The only place the tables of ``curate rank``, ``list`` and ``stats`` are built.
A column is a :class:`Field`: its name (the JSON key and the CSV header), its table
header and how to show its value; ``--fields`` picks them by name.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, TextIO

from curate.corpus import parse_timestamp
from curate.ranking import (
    Bucket,
    CorpusStats,
    RankedArticle,
    ScoreParts,
    known_heat,
    provider_key,
)
from curate.reporting.escape import (
    encodable,
    encodable_json,
    has_controls,
    line_start,
    printable,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

    from curate.corpus import ArticleRecord

MISSING = "—"
#: Below this many characters a title says too little: narrow terminals drop columns first.
MIN_TITLE_WIDTH = 30
#: What the table gives up, in this order, when the terminal is too narrow for the title.
DROPPABLE = ("topics", "provider", "published", "heat", "quality", "publishedDateTime")
#: Characters between two columns of the table.
GAP = 2


class Row(NamedTuple):
    """One line of output: an article and, in a ranking, its place and score."""

    record: ArticleRecord
    ranked: RankedArticle | None = None


def rows_of(items: Sequence[RankedArticle] | Sequence[ArticleRecord]) -> list[Row]:
    return [
        Row(item.record, item) if isinstance(item, RankedArticle) else Row(item) for item in items
    ]


@dataclass(frozen=True)
class Field:
    """A column: ``value`` is what JSON carries, ``text`` what the table shows."""

    name: str
    header: str
    value: Callable[[Row], Any]
    text: Callable[[Row], str]
    justify: Literal["left", "right"] = "left"
    #: Only a ranking has it (rank, score and its parts).
    scored: bool = False
    #: The most characters the table gives it; None: as wide as its widest value.
    max_width: int | None = None


def _number(value: float | None) -> float | None:
    """A float without noise digits (6 significant), for JSON and CSV."""
    return None if value is None else float(f"{value:.6g}")


def _ranked(row: Row) -> RankedArticle:
    assert row.ranked is not None, "a score field on an unranked row"
    return row.ranked


def _parts(row: Row) -> ScoreParts:
    return _ranked(row).parts


def _points(value: float | None) -> float | None:
    return None if value is None else _number(100 * value)


def _score_text(score: float) -> str:
    if score >= 0.05:
        return f"{score:.1f}"
    return "<0.1" if score > 0 else "0.0"


def _freshness_text(freshness: float) -> str:
    if freshness >= 0.005:
        return f"{freshness:.2f}"
    return f"{freshness:.1e}" if freshness > 0 else "0"


def _age_text(hours: float | None) -> str:
    if hours is None:
        return MISSING
    if hours < 48:
        return f"{hours:.1f}h"
    days = hours / 24
    return f"{days:.1f}d" if days < 365 else f"{days / 365.25:.1f}y"


def _or_missing(value: object) -> str:
    return MISSING if value is None else str(value)


def _date_text(row: Row) -> str:
    when = parse_timestamp(row.record.published_at)
    if when is None:
        return row.record.published_at or MISSING
    return when.date().isoformat()


def _published_text(row: Row) -> str:
    return {True: "yes", False: "no", None: "unset"}[row.record.published]


def _part_text(value: float | None) -> str:
    return MISSING if value is None else f"{100 * value:.1f}"


FIELDS: dict[str, Field] = {
    field.name: field
    for field in (
        Field(
            "rank",
            "#",
            lambda r: _ranked(r).rank,
            lambda r: str(_ranked(r).rank),
            "right",
            scored=True,
        ),
        Field(
            "score",
            "Score",
            lambda r: _number(_parts(r).score),
            lambda r: _score_text(_parts(r).score),
            "right",
            scored=True,
        ),
        Field(
            "qualityPart",
            "Q part",
            lambda r: _points(_parts(r).quality_part),
            lambda r: _part_text(_parts(r).quality_part),
            "right",
            scored=True,
        ),
        Field(
            "heatPart",
            "H part",
            lambda r: _points(_parts(r).heat_part),
            lambda r: _part_text(_parts(r).heat_part),
            "right",
            scored=True,
        ),
        Field(
            "base",
            "Base",
            lambda r: _points(_parts(r).base),
            lambda r: _part_text(_parts(r).base),
            "right",
            scored=True,
        ),
        Field(
            "ageHours",
            "Age",
            lambda r: _number(_parts(r).age_hours),
            lambda r: _age_text(_parts(r).age_hours),
            "right",
            scored=True,
        ),
        Field(
            "freshness",
            "Fresh",
            lambda r: _number(_parts(r).freshness),
            lambda r: _freshness_text(_parts(r).freshness),
            "right",
            scored=True,
        ),
        Field("path", "Path", lambda r: r.record.path, lambda r: r.record.path),
        Field("title", "Title", lambda r: r.record.title, lambda r: _or_missing(r.record.title)),
        Field("publishedDateTime", "Date", lambda r: r.record.published_at, _date_text),
        Field("published", "Pub", lambda r: r.record.published, _published_text),
        Field(
            "quality",
            "Quality",
            lambda r: r.record.quality,
            lambda r: _or_missing(r.record.quality),
            "right",
        ),
        Field(
            "heat",
            "Heat",
            lambda r: r.record.heat,
            lambda r: _or_missing(known_heat(r.record)),
            "right",
        ),
        Field(
            "topics",
            "Topics",
            lambda r: list(r.record.topics),
            lambda r: ", ".join(r.record.topics) or MISSING,
            max_width=22,
        ),
        Field(
            "provider",
            "Provider",
            lambda r: r.record.provider_domain,
            lambda r: provider_key(r.record),
            max_width=18,
        ),
        Field(
            "providerName",
            "Provider name",
            lambda r: r.record.provider_name,
            lambda r: _or_missing(r.record.provider_name),
            max_width=24,
        ),
        Field("webUrl", "URL", lambda r: r.record.web_url, lambda r: _or_missing(r.record.link)),
        Field("type", "Type", lambda r: r.record.type, lambda r: _or_missing(r.record.type)),
        Field(
            "hasImage",
            "Image",
            lambda r: r.record.has_image,
            lambda r: "yes" if r.record.has_image else "no",
        ),
    )
}

EXPLAIN_FIELDS = ("qualityPart", "heatPart", "base", "ageHours", "freshness")
_TABLE_LIST = ("publishedDateTime", "published", "quality", "heat", "title", "provider", "topics")
_DATA_LIST = (
    "path",
    "title",
    "publishedDateTime",
    "published",
    "quality",
    "heat",
    "topics",
    "provider",
    "providerName",
    "webUrl",
    "type",
    "hasImage",
)


def default_fields(output: str, *, ranked: bool, explain: bool = False) -> tuple[str, ...]:
    """The columns shown when ``--fields`` is not given."""
    if output == "table":
        if not ranked:
            return _TABLE_LIST
        quality_on = ("quality", "heat")
        rest = tuple(name for name in _TABLE_LIST if name not in quality_on)
        return ("rank", "score", *(EXPLAIN_FIELDS if explain else ()), *quality_on, *rest)
    if not ranked:
        return _DATA_LIST
    return ("rank", "score", *(EXPLAIN_FIELDS if explain else ()), *_DATA_LIST)


def check_fields(names: Sequence[str], *, ranked: bool) -> tuple[str, ...]:
    """The given field names, checked; a ValueError names the unknown one and the choices."""
    known = [name for name, field in FIELDS.items() if ranked or not field.scored]
    by_folded = {name.casefold(): name for name in known}
    chosen = []
    for name in names:
        canonical = by_folded.get(name.strip().casefold())
        if canonical is None:
            if name in FIELDS:
                raise ValueError(f"field {name!r} needs a score: use 'curate rank'")
            raise ValueError(f"unknown field {name!r}; choose from: {', '.join(known)}")
        chosen.append(canonical)
    if not chosen:
        raise ValueError("--fields needs at least one field name")
    return tuple(dict.fromkeys(chosen))


# --- machine formats ----------------------------------------------------------------------


def _record_dict(row: Row, fields: Sequence[str]) -> dict[str, Any]:
    return {name: FIELDS[name].value(row) for name in fields}


#: What a spreadsheet takes for the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any, raw: bool = False) -> str:
    """A CSV/TSV cell; text that a spreadsheet would run as a formula gets a leading ``'``.

    Only text from the articles is neutralised: a number such as heat -1 stays a number.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | list):
        text = encodable(value if isinstance(value, str) else "; ".join(map(str, value)))
        return text if raw else _neutralised(text)
    return str(value)


def _neutralised(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_json(
    rows: Sequence[Row], fields: Sequence[str], out: TextIO, *, raw_cells: bool = False
) -> None:
    document = [_record_dict(row, fields) for row in rows]
    out.write(encodable_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n")


def write_jsonl(
    rows: Sequence[Row], fields: Sequence[str], out: TextIO, *, raw_cells: bool = False
) -> None:
    for row in rows:
        out.write(encodable_json(json.dumps(_record_dict(row, fields), ensure_ascii=False)) + "\n")


def write_csv(
    rows: Sequence[Row], fields: Sequence[str], out: TextIO, *, raw_cells: bool = False
) -> None:
    # A "\r\n" terminator makes the writer quote cells holding a lone CR too (with "\n"
    # it would not, and the row would split in a reader); each line then ends in "\n".
    line = io.StringIO()
    writer = csv.writer(line, lineterminator="\r\n")

    def write(cells: Sequence[str]) -> None:
        line.seek(0)
        line.truncate()
        writer.writerow(cells)
        out.write(line.getvalue()[:-2] + "\n")

    write(fields)
    for row in rows:
        write([_cell(FIELDS[name].value(row), raw_cells) for name in fields])


def write_tsv(
    rows: Sequence[Row], fields: Sequence[str], out: TextIO, *, raw_cells: bool = False
) -> None:
    out.write("\t".join(fields) + "\n")
    for row in rows:
        cells = []
        for name in fields:
            value = FIELDS[name].value(row)
            # Whitespace runs (tabs, newlines) become one space: one cell, one line.
            text = " ".join(_cell(value, raw=True).split())
            textual = isinstance(value, str | list)
            cells.append(_neutralised(text) if textual and not raw_cells else text)
        out.write("\t".join(cells) + "\n")


def write_paths(
    rows: Sequence[Row], fields: Sequence[str], out: TextIO, *, raw_cells: bool = False
) -> None:
    """One path a line, for ``xargs`` (``fields`` is ignored).

    A name that is not UTF-8 is written as its bytes when the output allows it, so that
    ``xargs`` finds the file. A name holding a newline or another control character is
    escaped: no line reader could use it, and a CI log would obey it.
    """
    buffer = getattr(out, "buffer", None)
    for row in rows:
        path = row.record.path
        if has_controls(path):
            out.write(printable(path) + "\n")
        elif buffer is not None and not path.isascii():
            out.flush()
            buffer.write(os.fsencode(path) + b"\n")
        else:
            out.write(encodable(path) + "\n")


# --- the table ----------------------------------------------------------------------------


def _natural_width(field: Field, texts: Sequence[str]) -> int:
    from rich.cells import cell_len

    width = max([cell_len(field.header), *(cell_len(text) for text in texts)])
    return min(width, field.max_width) if field.max_width else width


def fit_fields(
    fields: Sequence[str], texts: dict[str, list[str]], width: int, *, droppable: bool
) -> tuple[str, ...]:
    """The fields that leave the title at least MIN_TITLE_WIDTH, dropping DROPPABLE ones."""
    kept = list(fields)
    if "title" not in kept or not droppable:
        return tuple(kept)

    def room() -> int:
        others = [n for n in kept if n != "title"]
        return width - sum(_natural_width(FIELDS[n], texts[n]) + GAP for n in others)

    for name in DROPPABLE:
        if room() >= MIN_TITLE_WIDTH:
            break
        if name in kept:
            kept.remove(name)
    return tuple(kept)


_STYLES = {"rank": "dim", "score": "bold", "title": "", "provider": "cyan", "topics": "magenta"}


def article_table(
    rows: Sequence[Row], fields: Sequence[str], width: int, *, droppable: bool = True
) -> Table:
    """Rows as a Rich table that fits ``width``: long titles end in an ellipsis."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    texts = {name: [printable(FIELDS[name].text(row)) for row in rows] for name in fields}
    shown = fit_fields(fields, texts, width, droppable=droppable)
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        header_style="bold",
    )
    natural = 0
    for name in shown:
        field = FIELDS[name]
        flexible = name == "title"
        natural_width = _natural_width(field, texts[name])
        table.add_column(
            field.header,
            justify=field.justify,
            no_wrap=True,
            overflow="ellipsis",
            max_width=field.max_width,
            ratio=1 if flexible else None,
            min_width=min(MIN_TITLE_WIDTH, natural_width) if flexible else None,
        )
        natural += natural_width + GAP
    # Expanding gives the title exactly the room left; a narrow table stays narrow.
    table.expand = natural - GAP > width
    for index, row in enumerate(rows):
        cells = []
        for name in shown:
            text = texts[name][index]
            style = _STYLES.get(name, "")
            if name == "published" and row.record.published is not True:
                style = "yellow" if row.record.published is False else "dim"
            cells.append(Text(line_start(text), style="dim" if text == MISSING else style))
        table.add_row(*cells)
    return table


def write_table(
    rows: Sequence[Row],
    fields: Sequence[str],
    out: TextIO,
    *,
    notes: Sequence[str] = (),
    droppable: bool = True,
) -> None:
    from rich.text import Text

    from curate.reporting.console import make_console

    console = make_console(out)
    if rows:
        console.print(article_table(rows, fields, console.width, droppable=droppable))
    elif notes:  # the first note says how many match: "No articles match (0 of 9)"
        console.print(Text(printable(notes[0]), style="yellow"))
        notes = notes[1:]
    else:
        console.print(Text("No articles match.", style="yellow"))
    for note in notes:
        console.print(Text(printable(note), style="dim"))


class ArticleWriter(Protocol):
    def __call__(
        self, rows: Sequence[Row], fields: Sequence[str], out: TextIO, *, raw_cells: bool = False
    ) -> None: ...


WRITERS: dict[str, ArticleWriter] = {
    "json": write_json,
    "jsonl": write_jsonl,
    "csv": write_csv,
    "tsv": write_tsv,
    "paths": write_paths,
}


def write_articles(
    items: Sequence[RankedArticle] | Sequence[ArticleRecord],
    output: str,
    out: TextIO,
    *,
    fields: Sequence[str] | None = None,
    explain: bool = False,
    notes: Sequence[str] = (),
    ranked: bool | None = None,
    raw_cells: bool = False,
) -> None:
    """Write a ranking or a list of records in ``output`` format (table, json, csv...).

    ``ranked`` says which default columns to use when there are no rows to tell.
    ``raw_cells`` writes CSV/TSV cells verbatim, formulas included (see :data:`FORMULA_STARTS`).
    """
    rows = rows_of(items)
    if ranked is None:
        ranked = bool(rows) and rows[0].ranked is not None
    chosen = tuple(fields) if fields else default_fields(output, ranked=ranked, explain=explain)
    if output == "table":
        write_table(rows, chosen, out, notes=notes, droppable=not fields)
    else:
        WRITERS[output](rows, chosen, out, raw_cells=raw_cells)


# --- statistics ---------------------------------------------------------------------------


def stats_document(stats: CorpusStats, *, top: int = 10) -> dict[str, Any]:
    """The statistics as JSON-ready data; ``top`` topics and providers (0: all)."""

    def counts(pairs: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
        chosen = pairs[:top] if top else pairs
        return [{"name": name, "count": count} for name, count in chosen]

    def buckets(values: Sequence[Bucket], unknown: int) -> dict[str, Any]:
        return {
            "buckets": [{"from": b.low, "to": b.high, "count": b.count} for b in values],
            "unknown": unknown,
        }

    return {
        "articles": stats.articles,
        "unreadable": stats.unreadable,
        "invalid": stats.invalid,
        "published": {
            "true": stats.published,
            "false": stats.unpublished,
            "unset": stats.published_unset,
        },
        "dates": {
            "earliest": stats.earliest.isoformat() if stats.earliest else None,
            "latest": stats.latest.isoformat() if stats.latest else None,
            "undated": stats.undated,
        },
        "perYear": [{"year": year, "count": count} for year, count in stats.per_year],
        "topics": counts(stats.topics),
        "topicsDistinct": len(stats.topics),
        "providers": counts(stats.providers),
        "providersDistinct": len(stats.providers),
        "quality": buckets(stats.quality, stats.quality_unknown),
        "heat": buckets(stats.heat, stats.heat_unknown),
        "lint": None
        if stats.lint_errors is None
        else {"errors": stats.lint_errors, "warningsOnly": stats.lint_warnings},
    }


def write_stats_json(stats: CorpusStats, out: TextIO, *, top: int = 10) -> None:
    text = json.dumps(stats_document(stats, top=top), indent=2, ensure_ascii=False)
    out.write(encodable_json(text) + "\n")


_EIGHTHS = " ▏▎▍▌▋▊▉"
#: Longer bars add nothing but ink.
MAX_BAR_WIDTH = 32


def bar(count: int, maximum: int, width: int) -> str:
    """A horizontal bar of ``count`` out of ``maximum`` in ``width`` cells, to 1/8 of a cell."""
    if maximum <= 0 or count <= 0:
        return ""
    eighths = max(1, round(count / maximum * width * 8))
    full, partial = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[partial] if partial else "")


def bar_chart(
    title: str, pairs: Sequence[tuple[str, int]], width: int, *, style: str = "cyan"
) -> Table:
    """Labelled counts with bars scaled to the largest, the bars filling ``width`` at most."""
    from rich.table import Table
    from rich.text import Text

    chart = Table.grid(padding=(0, 1))
    chart.title = Text(title, style="bold")
    chart.title_justify = "left"
    chart.add_column(no_wrap=True, overflow="ellipsis", max_width=max(10, width // 2))
    chart.add_column(justify="right", no_wrap=True)
    chart.add_column(no_wrap=True)
    if not pairs:
        chart.add_row(Text("(none)", style="dim"), "", "")
        return chart
    from rich.cells import cell_len

    label_width = min(max(cell_len(line_start(label)) for label, _ in pairs), max(10, width // 2))
    number_width = max(len(str(count)) for _, count in pairs)
    bar_width = max(4, min(MAX_BAR_WIDTH, width - label_width - number_width - 2))
    maximum = max(count for _, count in pairs)
    for label, count in pairs:
        # Text, never markup: a topic named "[link=file:///etc/passwd]" is shown as written.
        chart.add_row(
            Text(line_start(label)), str(count), Text(bar(count, maximum, bar_width), style=style)
        )
    return chart


def _bucket_pairs(buckets: Sequence[Bucket]) -> list[tuple[str, int]]:
    return [(f"{b.low}-{b.high}", b.count) for b in buckets]


def _distribution_title(name: str, buckets: Sequence[Bucket], unknown: int) -> str:
    known = sum(b.count for b in buckets)
    return f"{name} ({known} known, {unknown} unknown)" if unknown else f"{name} ({known})"


def _top(pairs: Sequence[tuple[str, int]], top: int) -> tuple[Sequence[tuple[str, int]], str]:
    if top and len(pairs) > top:
        return pairs[:top], f" (top {top} of {len(pairs)})"
    return pairs, f" ({len(pairs)})"


def _summary(stats: CorpusStats, source: str) -> Table:
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    articles = Text(f"{stats.articles}")
    problems = []
    if stats.invalid:
        problems.append(f"{stats.invalid} {'fails' if stats.invalid == 1 else 'fail'} validation")
    if stats.unreadable:
        problems.append(
            "1 more file cannot be read as an article"
            if stats.unreadable == 1
            else f"{stats.unreadable} more files cannot be read as articles"
        )
    if source:
        where = "the current folder" if source == "." else printable(source)
        articles.append(f" found in {where}")
    if problems:
        articles.append(f" ({'; '.join(problems)})", style="yellow")
    grid.add_row("Articles", articles)
    published = Text.assemble(
        (f"{stats.published}", "green"),
        " true · ",
        (f"{stats.unpublished}", "yellow"),
        " false · ",
        (f"{stats.published_unset}", "dim"),
        " unset ",
        ("(Jekyll publishes unset ones)", "dim"),
    )
    grid.add_row("Published", published)
    if stats.earliest and stats.latest:
        dates = Text(f"{stats.earliest.date().isoformat()} → {stats.latest.date().isoformat()}")
    else:
        dates = Text(MISSING, style="dim")
    if stats.undated:
        dates.append(f" ({stats.undated} undated)", style="yellow")
    grid.add_row("Dates", dates)
    if stats.lint_errors is not None:
        lint = Text.assemble(
            (f"{stats.lint_errors}", "bold red" if stats.lint_errors else "green"),
            f" article{'s' if stats.lint_errors != 1 else ''} with errors · ",
            (f"{stats.lint_warnings}", "yellow" if stats.lint_warnings else "green"),
            " with warnings only",
        )
        if stats.lint_errors or stats.lint_warnings:
            lint.append(" (see curate lint)", style="dim")
        grid.add_row("Lint", lint)
    return grid


def write_stats_table(stats: CorpusStats, out: TextIO, *, top: int = 10, source: str = "") -> None:
    """The statistics for a terminal: a summary, then bar charts two by two when they fit."""
    from rich.table import Table
    from rich.text import Text

    from curate.reporting.console import make_console

    console: Console = make_console(out)
    wide = console.width >= 72
    chart_width = (console.width - 4) // 2 if wide else console.width
    console.print(_summary(stats, source))
    console.print()
    if not stats.articles:
        console.print(Text("No articles found.", style="yellow"))
        return
    topics, topics_note = _top(stats.topics, top)
    providers, providers_note = _top(stats.providers, top)
    charts = [
        bar_chart(f"Topics{topics_note}", topics, chart_width, style="magenta"),
        bar_chart(f"Providers{providers_note}", providers, chart_width, style="cyan"),
        bar_chart(
            _distribution_title("Quality", stats.quality, stats.quality_unknown),
            _bucket_pairs(stats.quality),
            chart_width,
            style="green",
        ),
        bar_chart(
            _distribution_title("Heat", stats.heat, stats.heat_unknown),
            _bucket_pairs(stats.heat),
            chart_width,
            style="red",
        ),
    ]
    if stats.per_year:
        years = [(str(year), count) for year, count in stats.per_year]
        charts.append(bar_chart("Articles per year", years, chart_width, style="blue"))
    columns = 2 if wide else 1
    grid = Table.grid(padding=(0, 4))
    for _ in range(columns):
        grid.add_column()
    for start in range(0, len(charts), columns):
        if start:
            grid.add_row(*([""] * columns))
        row: list[RenderableType] = list(charts[start : start + columns])
        grid.add_row(*row, *([""] * (columns - len(row))))
    console.print(grid)
