"""The analysis as CSV tables: one file per table, rows in the JSON export's order."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_text
from ..model import Analysis
from .json_export import to_json

__all__ = ["CSV_TABLES", "write_csv"]

# Each table: its file stem and columns. Id lists are joined with ";" (ids never hold one);
# free text lists and nested records are JSON-encoded so nothing is lost or ambiguous.
CSV_TABLES: dict[str, tuple[str, ...]] = {
    # url and text last: with them articles.csv reads back in as an input (the csv reader's columns).
    "articles": ("id", "source", "outlet", "title", "published", "language", "byline", "version", "url", "text"),
    "stories": ("id", "title", "articles", "independent_sources", "events", "sources_summary"),
    "events": ("story", "id", "title", "date", "articles"),
    "relations": ("story", "a", "b", "kind", "direction", "score", "evidence", "passages"),
    "entities": ("id", "name", "type", "aliases", "articles", "mention_count", "mentions", "merges"),
    "claims": (
        "id", "story", "text", "kind", "speaker", "status", "independent_sources", "articles", "conflicts", "evidence",
    ),
    "omissions": ("story", "article", "claims"),
    "timeline": ("story", "date", "precision", "phrase", "text", "articles", "evidence"),
}

# Spreadsheets run cells starting with these as formulas; article text is untrusted.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _ids(values: Sequence[str]) -> str:
    return ";".join(values)


def _nested(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _csv_rows(doc: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    events = [
        {**event, "story": story["id"], "articles": _ids(event["articles"])}
        for story in doc["stories"]
        for event in story["events"]
    ]
    return {
        "articles": list(doc["articles"]),
        "stories": [
            {
                **story,
                "articles": _ids(story["articles"]),
                "events": _ids([event["id"] for event in story["events"]]),
            }
            for story in doc["stories"]
        ],
        "events": events,
        "relations": [
            {**relation, "evidence": _nested(relation["evidence"]), "passages": _nested(relation["passages"])}
            for relation in doc["relations"]
        ],
        "entities": [
            {
                **entity,
                "aliases": _nested(entity["aliases"]),
                "articles": _ids(entity["articles"]),
                "mention_count": len(entity["mentions"]),
                "mentions": _nested(entity["mentions"]),
                "merges": _nested(entity["merges"]),
            }
            for entity in doc["entities"]
        ],
        "claims": [
            {
                **claim,
                "articles": _ids(claim["articles"]),
                "conflicts": _ids(claim["conflicts"]),
                "evidence": _nested(claim["evidence"]),
            }
            for claim in doc["claims"]
        ],
        "omissions": [{**omission, "claims": _ids(omission["claims"])} for omission in doc["omissions"]],
        "timeline": [
            {**entry, "articles": _ids(entry["articles"]), "evidence": _nested(entry["evidence"])}
            for entry in doc["timeline"]
        ],
    }


def _cell(value: Any, spreadsheet_safe: bool) -> Any:
    if value is None:
        return ""
    if spreadsheet_safe and isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_csv(analysis: Analysis, directory: str | Path, *, spreadsheet_safe: bool = False) -> list[Path]:
    """Write one CSV per table (``articles.csv`` ... ``timeline.csv``) into ``directory``; return their paths.

    UTF-8 with a header row; ``null`` is an empty cell; rows in the JSON export's order.
    ``spreadsheet_safe`` prefixes text cells that a spreadsheet would run as a formula
    with ``'`` (this alters the data, so it is off for programmatic use).
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    rows_by_table = _csv_rows(to_json(analysis))
    stored = {article.id: article for article in analysis.articles}
    for row in rows_by_table["articles"]:
        if row["id"] in stored:
            row["url"], row["text"] = stored[row["id"]].url, stored[row["id"]].text
    written: list[Path] = []
    for table, columns in CSV_TABLES.items():
        path = target / f"{table}.csv"
        handle = io.StringIO()
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows_by_table[table]:
            writer.writerow({column: _cell(row.get(column), spreadsheet_safe) for column in columns})
        written.append(atomic_write_text(path, handle.getvalue()))
    return written
