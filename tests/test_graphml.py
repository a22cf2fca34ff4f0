"""The GraphML export of the provenance graph: well-formed XML that graph tools can read."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree

from storyline.cli import main
from storyline.views.exporters import EXPORTERS
from storyline.views.graph_export import write_graphml
from storyline.model import Analysis, Article, Passage, Relation, Story
from storyline.store import open_store

NS = {"g": "http://graphml.graphdrawing.org/xmlns"}


def sample() -> Analysis:
    articles = [
        Article(id="a-1", source="wire/original.txt", text="...", title="Council approves budget & <plans>",
                outlet="Wire Service", published="2025-02-03T09:00:00Z", language="en"),
        Article(id="a-2", source="paper/copy.txt", text="...", title=None, outlet="Daily Paper",
                published="2025-02-04"),
        Article(id="a-3", source="blog/post.txt", text="...", title="Control\x07 character in a title"),
    ]
    stories = [Story(id="s-1", title="Budget", articles=["a-1", "a-2", "a-3"], independent_sources=2)]
    relations = [
        Relation(a="a-1", b="a-2", kind="duplicate", direction="a->b", score=0.98,
                 passages=[Passage(a=(0, 10), b=(0, 10), similarity=1.0)]),
        Relation(a="a-2", b="a-3", kind="related", direction=None, score=0.41),
    ]
    return Analysis(articles=articles, stories=stories, relations=relations)


def parse(path) -> tuple[dict[str, dict[str, str]], list[dict[str, str]], dict[str, tuple[str, str]]]:
    root = ElementTree.parse(path).getroot()
    keys = {key.get("id"): (key.get("for"), key.get("attr.name"), key.get("attr.type"))
            for key in root.findall("g:key", NS)}
    graph = root.find("g:graph", NS)
    nodes = {node.get("id"): {keys[data.get("key")][1]: data.text for data in node.findall("g:data", NS)}
             for node in graph.findall("g:node", NS)}
    edges = [{"source": edge.get("source"), "target": edge.get("target"),
              **{keys[data.get("key")][1]: data.text for data in edge.findall("g:data", NS)}}
             for edge in graph.findall("g:edge", NS)]
    return nodes, edges, {name: (owner, kind) for owner, name, kind in keys.values() if owner == "edge"}


def test_graphml_has_articles_as_nodes_and_relations_as_edges(tmp_path):
    path = write_graphml(sample(), tmp_path / "graph.graphml")
    root = ElementTree.parse(path).getroot()
    assert root.tag == "{http://graphml.graphdrawing.org/xmlns}graphml"
    assert root.find("g:graph", NS).get("edgedefault") == "undirected"
    nodes, edges, edge_keys = parse(path)
    assert set(nodes) == {"a-1", "a-2", "a-3"}
    assert nodes["a-1"] == {"label": "Council approves budget & <plans>", "title": "Council approves budget & <plans>",
                            "outlet": "Wire Service", "published": "2025-02-03", "story": "s-1",
                            "source": "wire/original.txt", "language": "en"}
    assert nodes["a-2"]["label"] == "paper/copy.txt"  # no title: the source labels the node
    assert "title" not in nodes["a-2"]  # unknown values are left out, not written empty
    assert nodes["a-3"]["title"] == "Control character in a title"  # no character XML cannot hold
    by_ends = {(edge["source"], edge["target"]): edge for edge in edges}
    copy = by_ends[("a-1", "a-2")]
    assert copy["kind"] == "duplicate" and copy["direction"] == "a->b" and copy["origin"] == "a-1"
    assert (copy["a"], copy["b"]) == ("a-1", "a-2")
    assert float(copy["score"]) == 0.98 and copy["passages"] == "1" and copy["story"] == "s-1"
    related = by_ends[("a-2", "a-3")]
    assert related["kind"] == "related" and "direction" not in related and "origin" not in related
    assert edge_keys["score"] == ("edge", "double")


def test_graphml_is_a_registered_exporter():
    exporter = EXPORTERS["graphml"]
    assert exporter.write is write_graphml and exporter.suffix == ".graphml" and not exporter.writes_directory


def test_export_command_writes_graphml(tmp_path, capsys):
    db = tmp_path / "empty.db"
    open_store(str(db)).close()
    out = tmp_path / "graph.graphml"
    old_argv, sys.argv = sys.argv, ["storyline", "export", "--db", str(db), "--graphml", str(out)]
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code
    finally:
        sys.argv = old_argv
    assert code in (0, None), capsys.readouterr().err
    nodes, edges, _ = parse(out)
    assert nodes == {} and edges == []
