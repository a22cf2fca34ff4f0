"""The analysis as tables for researchers: pandas DataFrames and Parquet files.

Both are built from the ``storyline/1`` export, so they say exactly what the JSON says:

- :func:`analysis_tables` one list of row dicts per table (articles with their text and URL,
  stories, relations, claims, timeline, outlets); lists of ids stay lists, nested objects
  become JSON text;
- :func:`frames` those tables as pandas DataFrames (``storyline.frames(store).articles`` ...);
- :func:`write_parquet` one ``<table>.parquet`` per table; its ``articles.parquet`` is itself an
  input storyline reads back (text, title, url, outlet, published, language, byline).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import Analysis
from .json_export import to_json

if TYPE_CHECKING:
    import pandas

    from ..store import Store

__all__ = ["FRAME_TABLES", "Frames", "analysis_tables", "frames", "write_parquet"]

FRAME_TABLES = ("articles", "stories", "relations", "claims", "timeline", "outlets")


def _flat(value: Any) -> Any:
    """A cell: scalars and lists of strings as they are, anything nested as JSON text."""
    if isinstance(value, (dict, list)) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def analysis_tables(analysis: Analysis) -> dict[str, list[dict[str, Any]]]:
    """One list of flat rows per table, in the JSON export's order."""
    doc = to_json(analysis)
    texts = {article.id: (article.text, article.url) for article in analysis.articles}
    articles = []
    for article in doc["articles"]:
        text, url = texts.get(article["id"], (None, None))
        articles.append({**article, "url": url, "text": text})
    stories = [{**story, "events": [event["id"] for event in story["events"]]} for story in doc["stories"]]
    tables = {"articles": articles, "stories": stories, "relations": doc["relations"], "claims": doc["claims"],
              "timeline": doc["timeline"], "outlets": doc["outlets"]}
    return {name: [{key: _flat(value) for key, value in row.items()} for row in rows] for name, rows in tables.items()}


@dataclass
class Frames:
    """The analysis as pandas DataFrames, one attribute per table."""

    articles: pandas.DataFrame
    stories: pandas.DataFrame
    relations: pandas.DataFrame
    claims: pandas.DataFrame
    timeline: pandas.DataFrame
    outlets: pandas.DataFrame


def frames(source: Store | Analysis) -> Frames:
    """DataFrames of a store's analysis (or of an :class:`~storyline.model.Analysis` already loaded)."""
    import pandas as pd  # imported on first use: the rest of storyline does not need pandas

    if not isinstance(source, Analysis):
        from ..pipeline import load_analysis

        source = load_analysis(source)
    tables = analysis_tables(source)
    return Frames(**{name: pd.DataFrame(tables[name]) for name in FRAME_TABLES})


def write_parquet(analysis: Analysis, directory: str | Path) -> list[Path]:
    """Write ``<table>.parquet`` for every table into ``directory``; return their paths."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in analysis_tables(analysis).items():
        path = target / f"{name}.parquet"
        table = pa.Table.from_pylist(rows) if rows else pa.table({})
        pq.write_table(table, path)
        written.append(path)
    return written
