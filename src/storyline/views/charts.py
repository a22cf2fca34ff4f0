"""Self-contained SVG pictures of a story, for the web app and the static report (nothing fetched, no script).

Each function takes parts of the ``storyline/1`` export (plain dicts) and returns one
``<svg>`` element as :class:`~markupsafe.Markup`; every piece of text in it is escaped.
Colours are written into the SVG (no stylesheet needed, and no ``style`` attribute, which the web
app's Content Security Policy refuses); a page's CSS gives ``svg.chart`` ``max-width: 100%; height:
auto`` so the ``viewBox`` scales a picture down to the width available instead of overflowing.

1. :func:`coverage_bar`       one stacked bar per label: sources per value, unknown last;
2. :func:`coverage_over_time` articles per day, stacked by the first label's value (else by outlet);
3. :func:`provenance_graph`   the provenance graph laid out by :mod:`storyline.views.svg`;
4. :func:`timeline_strip`     dated happenings on one time axis;
5. :func:`claims_matrix`      claims (rows) by outlets (columns), coloured by ledger status, with a legend.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from .common import outlet_name
from .svg import layout_provenance

__all__ = ["PALETTE", "STATUS_COLOURS", "claims_matrix", "coverage_bar", "coverage_over_time", "provenance_graph",
           "timeline_strip"]

# Qualitative colours that stay apart for common colour blindness (Okabe-Ito), then greys.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
UNKNOWN = "#c9ced6"
STATUS_COLOURS = {"corroborated": "#2e7d4f", "single-source": "#9a7b12", "contradicted": "#b3261e",
                  "omitted": "#ffffff", None: "#f1f3f6"}
STATUS_WORDS = {"corroborated": "corroborated (2+ sources)", "single-source": "single source",
                "contradicted": "contradicted", "omitted": "left out by this outlet", None: "not in this outlet"}
FONT = 'font-family="system-ui, sans-serif"'
MAX_TIME_COLUMNS = 60
MAX_MATRIX_ROWS = 60
MAX_MATRIX_COLUMNS = 24
KIND_COLOURS = {"duplicate": "#6b4fbb", "excerpt": "#00838f", "rewrite": "#c26a00", "translation": "#2457a6",
                "shared-source": "#7a7a7a"}
GROUP_FILLS = ("#e3eefc", "#fde9d7", "#e2f4e6", "#f3e3f7", "#fff4c7", "#dff3f3", "#f7e0e0", "#ebebeb")


def _svg(width: float, height: float, label: str, body: list[str], css: str) -> Markup:
    return Markup(
        f'<svg class="chart {css}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>{"".join(body)}</svg>'
    )


def _text(x: float, y: float, text: str, size: float = 12, anchor: str = "start", fill: str = "#1d232b",
          extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" {FONT}{extra}>'
            f'{escape(text)}</text>')


def _colour_of(values: Sequence[str]) -> dict[str, str]:
    """One colour per value, by the values' sorted order: a value has the same colour in every picture."""
    ordered = sorted(set(values), key=str.casefold)
    return {value: PALETTE[index % len(PALETTE)] for index, value in enumerate(ordered)}


def _short(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


# 1. -----------------------------------------------------------------------------------------------

def coverage_bar(story: Mapping[str, Any], width: int = 640) -> Markup | None:
    """One stacked bar per label of the registry: how many of the story's sources each value has."""
    coverage = story.get("coverage") or []
    if not coverage:
        return None
    bar_x, bar_w, row_h = 110, width - 120, 46
    body: list[str] = []
    for row, item in enumerate(coverage):
        y = 8 + row * row_h
        body.append(_text(0, y + 17, _short(item["label"], 16), 12, extra=' font-weight="600"'))
        total_articles = sum(v["articles"] for v in item["values"]) + item["unknown"]
        segments = [(v["value"], v["articles"], v["sources"]) for v in item["values"]]
        if item["unknown"]:
            segments.append(("unknown", item["unknown"], None))
        colours = _colour_of([v["value"] for v in item["values"]])
        x = float(bar_x)
        for value, articles, sources in segments:
            w = bar_w * articles / max(1, total_articles)
            fill = colours.get(value, UNKNOWN) if sources is not None else UNKNOWN
            words = f"{value}: {articles} article{'s' if articles != 1 else ''}" + (
                f", {sources} source{'s' if sources != 1 else ''}" if sources is not None else "")
            body.append(f'<rect class="segment" x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="20" fill="{fill}" '
                        f'stroke="#fff"><title>{escape(words)}</title></rect>')
            if w > 34:
                colour = "#1d232b" if fill in (UNKNOWN, "#f0e442", "#56b4e9", "#e69f00") else "#ffffff"
                body.append(_text(x + w / 2, y + 18, _short(f"{value} {articles}", int(w / 7)), 11, "middle", colour))
            x += w
        legend = " · ".join(f"{value} {articles}" + (f" ({sources} src.)" if sources is not None else "")
                            for value, articles, sources in segments)
        body.append(_text(bar_x, y + 39, _short(legend, int(bar_w / 6)), 10.5, fill="#5f6b7a"))
    return _svg(width, 8 + len(coverage) * row_h, f"Coverage of {story.get('title') or 'the story'} by label",
                body, "coverage-bar")


# 2. -----------------------------------------------------------------------------------------------

def _day(value: str | None) -> date | None:
    if value and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def coverage_over_time(story: Mapping[str, Any], articles: Sequence[Mapping[str, Any]],
                       labels_of: Mapping[str, str | None], by: str, width: int = 640) -> Markup:
    """Articles per day, each column stacked by ``labels_of[article]`` (a label's value, or the outlet)."""
    members = [a for a in articles if a["id"] in set(story["articles"])]
    days = sorted({d for d in (_day(a["published"]) for a in members) if d})
    undated = [a for a in members if _day(a["published"]) is None]
    if days:
        span = (days[-1] - days[0]).days + 1
        step = max(1, -(-span // MAX_TIME_COLUMNS))
        columns = [days[0].toordinal() + i * step for i in range(-(-span // step))]
    else:
        step, columns = 1, []
    keys = sorted({labels_of.get(a["id"]) or "unknown" for a in members}, key=lambda k: (k == "unknown", k.casefold()))
    colours = {**_colour_of([k for k in keys if k != "unknown"]), "unknown": UNKNOWN}
    counts: dict[int, Counter[str]] = {}
    for article in members:
        day = _day(article["published"])
        if day is not None:
            column = (day.toordinal() - columns[0]) // step
            counts.setdefault(column, Counter())[labels_of.get(article["id"]) or "unknown"] += 1
    tallest = max([sum(c.values()) for c in counts.values()] + [1])
    left, top, plot_h = 34, 10, 150
    plot_w = width - left - 10
    column_w = plot_w / max(1, len(columns))
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#8a94a3"/>',
            _text(left - 6, top + 10, str(tallest), 10, "end", "#5f6b7a"),
            _text(left - 6, top + plot_h, "0", 10, "end", "#5f6b7a")]
    for column, tally in sorted(counts.items()):
        y = float(top + plot_h)
        for key in keys:
            if tally[key]:
                h = plot_h * tally[key] / tallest
                y -= h
                when = date.fromordinal(columns[column]).isoformat()
                body.append(f'<rect class="bar" x="{left + column * column_w + 1:.1f}" y="{y:.1f}" '
                            f'width="{max(2.0, column_w - 2):.1f}" height="{h:.1f}" fill="{colours[key]}">'
                            f'<title>{escape(f"{when}: {tally[key]} article(s), {key}")}</title></rect>')
    if columns:
        first, last = date.fromordinal(columns[0]), date.fromordinal(columns[-1])
        body.append(_text(left, top + plot_h + 14, first.isoformat(), 10, fill="#5f6b7a"))
        if last != first:
            body.append(_text(width - 10, top + plot_h + 14, last.isoformat(), 10, "end", "#5f6b7a"))
    else:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, "no article has a publication day", 12, "middle",
                          "#5f6b7a"))
    y = top + plot_h + 32
    x = float(left)
    for key in keys:
        label = _short(key, 22)
        item_w = 18 + 6.5 * len(label)
        if x + item_w > width:
            x, y = float(left), y + 16
        body.append(f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{colours[key]}"/>')
        body.append(_text(x + 14, y, label, 11))
        x += item_w + 8
    if undated:
        y += 16
        body.append(_text(left, y, f"{len(undated)} undated article{'s' if len(undated) != 1 else ''} not drawn",
                          10.5, fill="#5f6b7a"))
    return _svg(width, y + 8, f"Articles per day by {by}", body, "coverage-time")


# 3. -----------------------------------------------------------------------------------------------

def provenance_graph(articles: Sequence[Mapping[str, Any]], relations: Sequence[Mapping[str, Any]],
                     groups: Sequence[Sequence[str]], href: Mapping[str, str] | None = None,
                     key: str = "") -> Markup:
    """The provenance graph: boxes coloured by independent source, arrows from source text to copy.

    ``key`` (e.g. the story id) keeps the arrow markers' ids apart when a page draws several graphs."""
    prefix = "pv-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
    layout = layout_provenance(articles, relations, groups)
    width, height = layout["width"] + 60, max(layout["height"], 40)
    body = ["<defs>" + "".join(
        f'<marker id="{prefix}-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for kind, colour in KIND_COLOURS.items()) + "</defs>"]
    for edge in layout["edges"]:
        colour = KIND_COLOURS.get(edge["kind"], "#7a7a7a")
        marker = f' marker-end="url(#{prefix}-{edge["kind"]})"' if edge["directed"] else ""
        body.append(f'<path class="edge {escape(edge["kind"])}" d="{escape(edge["path"])}" fill="none" '
                    f'stroke="{colour}" stroke-width="2"{marker}><title>{escape(edge["kind"])}</title></path>')
        body.append(_text(edge["label_x"], edge["label_y"], edge["kind"], 10, "middle", "#5f6b7a"))
    for node in layout["nodes"]:
        box = (f'<rect class="node" x="{node["x"]}" y="{node["y"]}" width="{layout["node_width"]}" '
               f'height="{layout["node_height"]}" rx="6" fill="{GROUP_FILLS[node["group"] % len(GROUP_FILLS)]}" '
               f'stroke="#6d86a8"><title>{escape(node["title"])}</title></rect>'
               + _text(node["x"] + 10, node["y"] + 21, node["label"], 12))
        link = (href or {}).get(node["id"])
        body.append(f'<a href="{escape(link)}">{box}</a>' if link else box)
    return _svg(width, height, "Provenance graph", body, "provenance")


# 4. -----------------------------------------------------------------------------------------------

def timeline_strip(entries: Sequence[Mapping[str, Any]], width: int = 640) -> Markup | None:
    """Dated happenings as ticks on one axis (day-precise dates only), each with its phrase as a tooltip."""
    dated = [(d, e) for e in entries if (d := _day(e.get("date")))]
    if not dated:
        return None
    first, last = min(d for d, _ in dated), max(d for d, _ in dated)
    span = max(1, (last - first).days)
    left, right, axis_y = 12, width - 12, 34
    body = [f'<line x1="{left}" y1="{axis_y}" x2="{right}" y2="{axis_y}" stroke="#8a94a3" stroke-width="2"/>']
    per_day: Counter[date] = Counter()
    for day, entry in sorted(dated, key=lambda pair: pair[0]):
        x = left + (right - left) * (day - first).days / span
        per_day[day] += 1
        y = axis_y - 6 - 7 * (per_day[day] - 1)
        body.append(f'<circle class="tick" cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#2457a6" stroke="#fff">'
                    f'<title>{escape(day.isoformat() + ": " + _short(entry.get("text") or entry.get("phrase") or "", 200))}'
                    f'</title></circle>')
    body.append(_text(left, axis_y + 18, first.isoformat(), 10.5, fill="#5f6b7a"))
    if last != first:
        body.append(_text(right, axis_y + 18, last.isoformat(), 10.5, "end", "#5f6b7a"))
    body.append(_text(width / 2, axis_y + 18, f"{len(dated)} dated happening{'s' if len(dated) != 1 else ''}", 10.5,
                      "middle", "#5f6b7a"))
    return _svg(width, axis_y + 26, "Timeline", body, "timeline-strip")


# 5. -----------------------------------------------------------------------------------------------

def claims_matrix(outlets: Sequence[str], rows: Sequence[Mapping[str, Any]],
                  claim_text: Mapping[str, str], sided: Mapping[str, str]) -> Markup | None:
    """Claims by outlets: one cell per (claim, outlet) coloured by ledger status; a legend says the colours.

    ``rows`` are ``{"claim": id, "cells": [status or "omitted" or None per outlet]}``; ``sided`` maps a
    claim id to a note ("only left (leaning)") drawn as a marker at the row's end.
    """
    if not rows or not outlets:
        return None
    shown_outlets = list(outlets)[:MAX_MATRIX_COLUMNS]
    shown_rows = list(rows)[:MAX_MATRIX_ROWS]
    cell, head = 16, 112
    left = 10
    width = left + len(shown_outlets) * cell + 30
    width = max(width, 330)
    body = []
    for column, outlet in enumerate(shown_outlets):
        x = left + column * cell + cell / 2 + 4
        body.append(f'<text x="{x:.1f}" y="{head - 4}" font-size="11" fill="#1d232b" {FONT} '
                    f'transform="rotate(-55 {x:.1f} {head - 4})">{escape(_short(outlet, 18))}</text>')
    for index, row in enumerate(shown_rows):
        y = head + index * cell
        text = claim_text.get(row["claim"], row["claim"])
        for column, status in enumerate(row["cells"][:MAX_MATRIX_COLUMNS]):
            x = left + column * cell
            body.append(f'<rect class="cell {escape(status or "none")}" x="{x}" y="{y}" width="{cell - 2}" '
                        f'height="{cell - 2}" fill="{STATUS_COLOURS.get(status, "#f1f3f6")}" stroke="#8a94a3" '
                        f'stroke-width="{1 if status == "omitted" else 0.3}"><title>'
                        f'{escape(shown_outlets[column] + ": " + STATUS_WORDS.get(status, str(status)) + " — " + _short(text, 160))}'
                        f'</title></rect>')
        if row["claim"] in sided:
            x = left + len(shown_outlets) * cell + 6
            body.append(f'<path class="one-side" d="M{x},{y + 1} l10,6 l-10,6 z" fill="#7b1fa2">'
                        f'<title>{escape(sided[row["claim"]] + " — " + _short(text, 160))}</title></path>')
    y = head + len(shown_rows) * cell + 16
    legend = [*((status, STATUS_WORDS[status]) for status in ("corroborated", "single-source", "contradicted",
                                                                "omitted")), (None, STATUS_WORDS[None])]
    for status, words in legend:
        body.append(f'<rect x="{left}" y="{y - 10}" width="12" height="12" fill="{STATUS_COLOURS[status]}" '
                    f'stroke="#8a94a3" stroke-width="0.6"/>')
        body.append(_text(left + 18, y, words, 11))
        y += 17
    if sided:
        body.append(f'<path d="M{left},{y - 10} l10,6 l-10,6 z" fill="#7b1fa2"/>')
        body.append(_text(left + 18, y, "carried only by one side, or left out by one side", 11))
        y += 17
    if len(rows) > len(shown_rows) or len(outlets) > len(shown_outlets):
        body.append(_text(left, y, f"showing {len(shown_rows)} of {len(rows)} claims, "
                                   f"{len(shown_outlets)} of {len(outlets)} outlets", 10.5, fill="#5f6b7a"))
        y += 17
    return _svg(width, y, "Claims by outlet", body, "claims-matrix")


# --- all of one story's pictures, from its part of the export ---------------------------------------

def ledger_matrix_rows(articles: Sequence[Mapping[str, Any]], claims: Sequence[Mapping[str, Any]],
                       omissions: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Outlet columns and one row of cells per claim: the claim's status where the outlet carries it,
    "omitted" where every article of the outlet leaves it out, else None."""
    columns: dict[str, list[str]] = {}
    for article in articles:
        columns.setdefault(outlet_name(article), []).append(article["id"])
    outlets = sorted(columns, key=str.casefold)
    index = {a: i for i, outlet in enumerate(outlets) for a in columns[outlet]}
    left_out: dict[str, set[str]] = {}
    for omission in omissions:
        left_out.setdefault(omission["article"], set()).update(omission["claims"])
    omitted_by = [set.intersection(*(left_out.get(a, set()) for a in columns[o])) for o in outlets]
    order = {"contradicted": 0, "corroborated": 1, "single-source": 2}
    rows = []
    for claim in sorted(claims, key=lambda c: (order.get(c["status"], 9), -c["independent_sources"], c["id"])):
        cells: list[str | None] = ["omitted" if claim["id"] in gone else None for gone in omitted_by]
        for article in (*claim["articles"], *(e["article"] for e in claim["evidence"])):
            if article in index:
                cells[index[article]] = claim["status"]
        rows.append({"claim": claim["id"], "cells": cells})
    return outlets, rows


def story_pictures(story: Mapping[str, Any], doc: Mapping[str, Any], groups: Sequence[Sequence[str]],
                   href: Mapping[str, str] | None = None) -> dict[str, Markup | None]:
    """Every picture of one story, from an export ``doc`` holding (at least) the story's articles,
    relations, claims, omissions and timeline, and the registry entries in ``doc["outlets"]``."""
    members = set(story["articles"])
    articles = [a for a in doc["articles"] if a["id"] in members]
    labels_by_outlet = {o["name"]: {**{k: o.get(k) for k in ("country", "type", "owner", "parent", "language")},
                                    **o.get("labels", {})} for o in doc.get("outlets", [])}
    coverage = story.get("coverage") or []
    by = coverage[0]["label"] if coverage else "outlet"
    if coverage:
        label_of = {a["id"]: labels_by_outlet.get(a.get("outlet") or "", {}).get(by) for a in articles}
    else:
        label_of = {a["id"]: outlet_name(a) for a in articles}
    claims = [c for c in doc["claims"] if c["story"] == story["id"]]
    omissions = [o for o in doc["omissions"] if o["story"] == story["id"]]
    outlets, rows = ledger_matrix_rows(articles, claims, omissions)
    sided = {}
    for claim in claims:
        notes = [f"only {b['only']} ({b['label']})" for b in claim.get("blindspots", []) if b["only"]]
        notes += [f"left out by {', '.join(b['omitted_by'])} ({b['label']})"
                  for b in claim.get("blindspots", []) if b["omitted_by"]]
        if notes:
            sided[claim["id"]] = "; ".join(notes)
    relations = [r for r in doc["relations"] if r["a"] in members and r["b"] in members]
    graph_articles = [{**a, "label": outlet_name(a)} for a in articles]
    return {
        "coverage_bar": coverage_bar(story),
        "coverage_over_time": coverage_over_time(story, articles, label_of, by),
        "provenance": provenance_graph(graph_articles, relations, groups, href, story["id"]),
        "timeline": timeline_strip([t for t in doc["timeline"] if t["story"] == story["id"]]),
        "claims_matrix": claims_matrix(outlets, rows, {c["id"]: c["text"] for c in claims}, sided),
    }
