"""A deterministic layout of a story's provenance graph, drawn as SVG by the story template.

Columns follow derivation: an article sits one column right of the latest article it
is derived from (longest path over the directed relations), so wire copies line up to
the right of their source. Inside a column, articles are ordered by independent-source
group, then publication date, label and id: the same story always gives the same
picture. Only coordinates are computed here; the template draws (and escapes) them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

NODE_WIDTH = 190
NODE_HEIGHT = 34
COLUMN_GAP = 70
ROW_GAP = 16
MARGIN = 20
LOOP_BULGE = 46  # how far an edge between two articles of one column swings out to the right
MAX_NODES = 60
LABEL_CHARS = 26
DRAWN_KINDS = ("duplicate", "excerpt", "rewrite", "translation", "shared-source")


def _truncate(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _columns(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path depth from the sources; cycles (which should not happen) are cut by a round limit."""
    depth = {node: 0 for node in nodes}
    for _ in range(len(nodes)):
        changed = False
        for source, target in edges:
            if depth[target] < depth[source] + 1:
                depth[target] = depth[source] + 1
                changed = True
        if not changed:
            break
    return depth


def layout_provenance(articles: Sequence[Mapping[str, Any]], relations: Sequence[Mapping[str, Any]],
                      groups: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Node boxes and edge paths for the provenance graph of one story's ``articles`` (export dicts)."""
    drawn = [r for r in relations if r["kind"] in DRAWN_KINDS]
    by_id = {article["id"]: article for article in articles}
    linked = sorted({r["a"] for r in drawn} | {r["b"] for r in drawn})
    rest = sorted(set(by_id) - set(linked))
    chosen = [a for a in linked + rest if a in by_id][:MAX_NODES]
    chosen_set = set(chosen)
    drawn = [r for r in drawn if r["a"] in chosen_set and r["b"] in chosen_set]
    directed = []
    for relation in drawn:
        if relation["direction"] == "a->b":
            directed.append((relation["a"], relation["b"]))
        elif relation["direction"] == "b->a":
            directed.append((relation["b"], relation["a"]))
    column = _columns(chosen, directed)
    group_of = {article: index for index, group in enumerate(groups) for article in group}
    ordered = sorted(chosen, key=lambda a: (column[a], group_of.get(a, len(groups)),
                                            by_id[a]["published"] is None, by_id[a]["published"] or "",
                                            by_id[a]["label"].casefold(), a))
    rows: dict[int, int] = {}
    nodes = {}
    for article_id in ordered:
        row = rows.get(column[article_id], 0)
        rows[column[article_id]] = row + 1
        article = by_id[article_id]
        nodes[article_id] = {
            "id": article_id,
            "label": _truncate(article["label"]),
            "title": f"{article['label']} — {article['title'] or article['source']}",
            "x": MARGIN + column[article_id] * (NODE_WIDTH + COLUMN_GAP),
            "y": MARGIN + row * (NODE_HEIGHT + ROW_GAP),
            "group": group_of.get(article_id, 0),
        }
    edges = []
    for relation in drawn:
        source, target = relation["a"], relation["b"]
        if relation["direction"] == "b->a":
            source, target = target, source
        s, t = nodes[source], nodes[target]
        sy, ty = s["y"] + NODE_HEIGHT / 2, t["y"] + NODE_HEIGHT / 2
        if s["x"] == t["x"]:
            # Same column (undirected, e.g. two copies of one text): a loop out to the right.
            x = s["x"] + NODE_WIDTH
            path = f"M{x},{sy:.0f} C{x + LOOP_BULGE},{sy:.0f} {x + LOOP_BULGE},{ty:.0f} {x},{ty:.0f}"
            label_x, label_y = x + LOOP_BULGE * 0.8, (sy + ty) / 2
        else:
            if s["x"] > t["x"]:
                s, t, sy, ty = t, s, ty, sy
            x1, x2 = s["x"] + NODE_WIDTH, t["x"]
            middle = (x1 + x2) / 2
            path = f"M{x1},{sy:.0f} C{middle:.0f},{sy:.0f} {middle:.0f},{ty:.0f} {x2},{ty:.0f}"
            label_x, label_y = middle, (sy + ty) / 2 - 4
        edges.append({
            "a": relation["a"], "b": relation["b"], "kind": relation["kind"],
            "directed": relation["direction"] is not None, "path": path,
            "label_x": round(label_x), "label_y": round(label_y), "score": relation["score"],
        })
    width = MARGIN * 2 + (max(column.values(), default=0) + 1) * (NODE_WIDTH + COLUMN_GAP)
    height = MARGIN * 2 + max(rows.values(), default=0) * (NODE_HEIGHT + ROW_GAP)
    return {
        "width": width, "height": height, "node_width": NODE_WIDTH, "node_height": NODE_HEIGHT,
        "nodes": [nodes[a] for a in ordered], "edges": edges, "hidden_nodes": max(0, len(by_id) - len(chosen)),
    }
