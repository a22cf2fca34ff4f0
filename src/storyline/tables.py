"""The analysis as tables for researchers: pandas DataFrames, Parquet files, and a GEXF graph for Gephi.

All three are built from the ``storyline/1`` export, so they say exactly what the JSON says:

- :func:`analysis_tables` one list of row dicts per table (articles with their text and URL,
  stories, relations, claims, timeline, outlets); lists of ids stay lists, nested objects
  become JSON text;
- :func:`frames` those tables as pandas DataFrames (``storyline.frames(store).articles`` ...);
- :func:`write_parquet` one ``<table>.parquet`` per table; its ``articles.parquet`` is itself an
  input storyline reads back (text, title, url, outlet, published, language, byline);
- :func:`write_gexf` the provenance and outlet graph: article nodes, outlet nodes, reuse
  relations between articles and a ``published by`` edge from each article to its outlet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from .export import to_json
from .model import Analysis

if TYPE_CHECKING:
    import pandas

    from .store import Store

__all__ = ["FRAME_TABLES", "Frames", "analysis_tables", "frames", "write_gexf", "write_parquet"]

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
        from .pipeline import load_analysis

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


_GEXF_NS = "http://gexf.net/1.3"
_ATTRIBUTES = (("kind", "string"), ("outlet", "string"), ("published", "string"), ("story", "string"),
               ("wire", "string"), ("title", "string"))


def write_gexf(analysis: Analysis, path: str | Path) -> Path:
    """The provenance and outlet graph as GEXF 1.3 (Gephi): articles, outlets, reuse and ``published by`` edges."""
    doc = to_json(analysis)
    story_of = {a: story["id"] for story in doc["stories"] for a in story["articles"]}
    ElementTree.register_namespace("", _GEXF_NS)
    root = ElementTree.Element(f"{{{_GEXF_NS}}}gexf", {"version": "1.3"})
    graph = ElementTree.SubElement(root, f"{{{_GEXF_NS}}}graph", {"defaultedgetype": "directed", "mode": "static"})
    declared = ElementTree.SubElement(graph, f"{{{_GEXF_NS}}}attributes", {"class": "node"})
    for index, (name, kind) in enumerate(_ATTRIBUTES):
        ElementTree.SubElement(declared, f"{{{_GEXF_NS}}}attribute", {"id": str(index), "title": name, "type": kind})
    edge_declared = ElementTree.SubElement(graph, f"{{{_GEXF_NS}}}attributes", {"class": "edge"})
    for index, name in enumerate(("kind", "score")):
        ElementTree.SubElement(edge_declared, f"{{{_GEXF_NS}}}attribute",
                               {"id": str(index), "title": name, "type": "string" if name == "kind" else "double"})
    nodes = ElementTree.SubElement(graph, f"{{{_GEXF_NS}}}nodes")
    edges = ElementTree.SubElement(graph, f"{{{_GEXF_NS}}}edges")

    def node(node_id: str, label: str, values: Mapping[str, Any]) -> None:
        element = ElementTree.SubElement(nodes, f"{{{_GEXF_NS}}}node", {"id": node_id, "label": label})
        holder = ElementTree.SubElement(element, f"{{{_GEXF_NS}}}attvalues")
        for index, (name, _) in enumerate(_ATTRIBUTES):
            if values.get(name) is not None:
                ElementTree.SubElement(holder, f"{{{_GEXF_NS}}}attvalue", {"for": str(index), "value": str(values[name])})

    def edge(number: int, source: str, target: str, kind: str, score: float, directed: bool) -> None:
        element = ElementTree.SubElement(edges, f"{{{_GEXF_NS}}}edge", {
            "id": str(number), "source": source, "target": target, "type": "directed" if directed else "undirected",
            "label": kind})
        holder = ElementTree.SubElement(element, f"{{{_GEXF_NS}}}attvalues")
        ElementTree.SubElement(holder, f"{{{_GEXF_NS}}}attvalue", {"for": "0", "value": kind})
        ElementTree.SubElement(holder, f"{{{_GEXF_NS}}}attvalue", {"for": "1", "value": f"{score:.4f}"})

    outlets: dict[str, str] = {}
    for article in doc["articles"]:
        node(article["id"], article["title"] or article["source"], {
            "kind": "article", "outlet": article["outlet"], "published": article["published"],
            "story": story_of.get(article["id"]), "wire": (article.get("wire") or {}).get("agency"),
            "title": article["title"]})
        if article["outlet"]:
            outlets.setdefault(article["outlet"], f"outlet:{article['outlet']}")
    for name, node_id in sorted(outlets.items()):
        node(node_id, name, {"kind": "outlet"})
    number = 0
    for relation in doc["relations"]:
        source, target = relation["a"], relation["b"]
        if relation["direction"] == "b->a":
            source, target = target, source
        edge(number, source, target, relation["kind"], relation["score"], relation["direction"] is not None)
        number += 1
    for article in doc["articles"]:
        if article["outlet"]:
            edge(number, article["id"], outlets[article["outlet"]], "published by", 1.0, True)
            number += 1
    target_path = Path(path)
    ElementTree.ElementTree(root).write(target_path, encoding="utf-8", xml_declaration=True)
    return target_path
