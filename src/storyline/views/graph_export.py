"""The provenance graph as files for graph tools: GraphML (networkx, Gephi) and GEXF (Gephi).

Both are built from the ``storyline/1`` export, so values, dates and the order of nodes and
edges are the JSON's:

- :func:`write_graphml` articles and the reuse relations between them;
- :func:`write_gexf` the provenance and outlet graph: article nodes, outlet nodes, reuse
  relations between articles and a ``published by`` edge from each article to its outlet.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ..atomic import atomic_write_bytes
from ..model import Analysis
from .json_export import to_json

__all__ = ["write_gexf", "write_graphml"]

_GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
# Characters XML 1.0 cannot hold, even escaped: dropped from attribute values.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# (attribute name, GraphML type) of the nodes (articles) and edges (relations).
_GRAPHML_NODE_KEYS = (
    ("label", "string"), ("title", "string"), ("outlet", "string"), ("published", "string"),
    ("story", "string"), ("source", "string"), ("language", "string"),
)
_GRAPHML_EDGE_KEYS = (
    ("a", "string"), ("b", "string"), ("kind", "string"), ("direction", "string"), ("origin", "string"), ("score", "double"), ("story", "string"),
    ("passages", "int"),
)


def write_graphml(analysis: Analysis, path: str | Path) -> Path:
    """Write the provenance graph of ``analysis`` as GraphML (readable by Gephi and networkx.read_graphml).

    Nodes are articles (id = article id) with ``label`` (the title, else the source),
    ``title``, ``outlet``, ``published``, ``story``, ``source`` and ``language``; edges are
    reuse relations between them with ``a`` and ``b`` (the relation's articles, also the
    edge's source and target), ``kind``, ``direction`` (``a->b`` or ``b->a``), ``origin``
    (the article the other derives from, when the direction is known), ``score``,
    ``story`` and ``passages`` (how many aligned passages). The graph is undirected
    because a relation's direction may be unknown, and tools may swap an undirected
    edge's ends: ``a``, ``b`` and ``origin`` keep the direction readable. Unknown values
    are left out.
    Values, dates and the order of nodes and edges are those of the JSON export.
    """
    import xml.etree.ElementTree as ElementTree

    doc = to_json(analysis)
    ElementTree.register_namespace("", _GRAPHML_NS)

    def tag(name: str) -> str:
        return f"{{{_GRAPHML_NS}}}{name}"

    root = ElementTree.Element(tag("graphml"))
    for owner, keys in (("node", _GRAPHML_NODE_KEYS), ("edge", _GRAPHML_EDGE_KEYS)):
        for name, kind in keys:
            ElementTree.SubElement(root, tag("key"), {"id": f"{owner[0]}_{name}", "for": owner,
                                                      "attr.name": name, "attr.type": kind})
    graph = ElementTree.SubElement(root, tag("graph"), {"id": "provenance", "edgedefault": "undirected"})

    def add_data(element: ElementTree.Element, key: str, value: Any) -> None:
        if value is None or value == "":
            return
        data = ElementTree.SubElement(element, tag("data"), {"key": key})
        data.text = _XML_INVALID.sub("", str(value))

    story_of: dict[str, str] = {}
    for story in doc["stories"]:
        for article_id in story["articles"]:
            story_of.setdefault(article_id, story["id"])
    known = set()
    for article in doc["articles"]:
        known.add(article["id"])
        node = ElementTree.SubElement(graph, tag("node"), {"id": article["id"]})
        values = {**article, "label": article["title"] or article["source"], "story": story_of.get(article["id"])}
        for name, _ in _GRAPHML_NODE_KEYS:
            add_data(node, f"n_{name}", values.get(name))
    for relation in doc["relations"]:
        for end in (relation["a"], relation["b"]):
            if end not in known:  # an edge must not point at a node the graph lacks
                known.add(end)
                ElementTree.SubElement(graph, tag("node"), {"id": end})
    for number, relation in enumerate(doc["relations"]):
        edge = ElementTree.SubElement(graph, tag("edge"), {"id": f"e{number}", "source": relation["a"],
                                                           "target": relation["b"]})
        origin = {"a->b": relation["a"], "b->a": relation["b"]}.get(relation["direction"] or "")
        values = {**relation, "origin": origin, "passages": len(relation["passages"])}
        for name, _ in _GRAPHML_EDGE_KEYS:
            add_data(edge, f"e_{name}", values.get(name))
    target = Path(path)
    buffer = io.BytesIO()
    ElementTree.ElementTree(root).write(buffer, encoding="utf-8", xml_declaration=True)
    atomic_write_bytes(target, buffer.getvalue())
    return target


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
