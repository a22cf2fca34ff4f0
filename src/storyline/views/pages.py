"""What each page shows, as plain JSON-ready dicts: the page's JSON twin is exactly this data.

Every figure comes from the library: stored stage results read through the store's
per-story methods and shaped by :func:`storyline.views.json_export.to_json`, so the web app and the
JSON export never disagree. What is computed here is arrangement only: which article
goes in which column, which span is highlighted, where a node sits in the graph.

Article text, titles and outlet names are untrusted. Nothing here builds HTML except
:func:`storyline.views.common.marked_text`, which escapes every piece of text it emits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any, Optional
from urllib.parse import quote

from markupsafe import Markup, escape

from ..claims import DERIVATION_LABELS, TOP_CLAIMS, rank_score
from ..depth import shallow_stories_in
from ..graph import independent_groups
from ..model import Analysis
from ..store import Store
from .common import STATUS_ORDER, Mark, article_labels, external_href, outlet_name
from .json_export import to_json
from .svg import layout_provenance

MAX_ENTITIES = 30
MAX_LEDGER_ROWS = 200
MAX_FRAMING_ROWS = 12
MAX_COVERAGE_COLUMNS = 24
MAX_ENTITY_MENTIONS = 300
MAX_SEARCH_HITS = 500
STORIES_PER_PAGE = 50
CONTEXT_CHARS = 70


# --- small shared pieces ---------------------------------------------------------------------


def path_id(value: str) -> str:
    """An id made safe to put in a URL path segment."""
    return quote(value, safe="")


def excerpt(text: str, span: Sequence[int], context: int = CONTEXT_CHARS) -> dict[str, str]:
    """The words around a span, split into before / the span / after (for highlighting in a template)."""
    start, end = max(0, int(span[0])), min(len(text), int(span[1]))
    before = text[max(0, start - context):start]
    after = text[end:end + context]
    return {
        "before": ("…" if start > context else "") + before.lstrip(),
        "text": text[start:end],
        "after": after.rstrip() + ("…" if end + context < len(text) else ""),
    }


_LEDGER_CELLS = {
    state: Markup(f'<td class="cell {state or "none"}" title="{state or "not covered"}">{symbol}</td>')
    for state, symbol in (("corroborated", "●"), ("single-source", "●"), ("contradicted", "●"), ("omitted", "○"),
                          (None, ""))
}


def ledger_cells(cells: Sequence[Optional[str]]) -> Markup:
    """One ledger row's cells: fixed markup per state (no article text reaches it)."""
    # A plain join: Markup.join would escape each (already safe, constant) cell again.
    return Markup("".join([_LEDGER_CELLS[cell] for cell in cells]))


def article_links(articles: Sequence[Mapping[str, Any]]) -> dict[str, Markup]:
    """A link to each article, labelled by outlet, built once per page (every piece escaped)."""
    return {
        article["id"]: Markup(f'<a class="art" href="/articles/{escape(path_id(article["id"]))}"'
                              f' title="{escape(article["title"] or article["source"])}">{escape(article["label"])}</a>')
        for article in articles
    }


# --- stories list -------------------------------------------------------------------------------


def stories_page(store: Store, *, query: str = "", since: Optional[str] = None, until: Optional[str] = None,
                 outlets: Sequence[str] = (), languages: Sequence[str] = (), page: int = 1,
                 facets: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """One page of stories matching the search and filters (raises ValueError for a malformed date)."""
    hits: dict[str, list[tuple[str, str]]] = {}
    article_ids: Optional[list[str]] = None
    snippets: dict[str, str] = {}
    if query:
        found = store.search(query, limit=MAX_SEARCH_HITS)
        article_ids = [article_id for article_id, _ in found]
        snippets = dict(found)
    total, summaries = store.find_stories(
        since=since or None, until=until or None, outlets=list(outlets) or None, languages=list(languages) or None,
        article_ids=article_ids, limit=STORIES_PER_PAGE, offset=(page - 1) * STORIES_PER_PAGE,
    )
    if query and summaries:
        # Which of each listed story's articles matched, with the search snippet.
        shown = {summary.id for summary in summaries}
        members = {article_id: store.story_of_article(article_id) for article_id in snippets}
        for article_id, story_id in members.items():
            if story_id in shown:
                hits.setdefault(story_id, []).append((article_id, snippets[article_id]))
        hits = {story_id: items[:3] for story_id, items in hits.items()}
    stories = []
    for summary in summaries:
        item = asdict(summary)
        item["matches"] = [
            {"article": article_id, "snippet": snippet} for article_id, snippet in hits.get(summary.id, [])
        ]
        stories.append(item)
    return {
        "query": {"q": query, "since": since, "until": until, "outlet": list(outlets), "language": list(languages),
                  "page": page},
        "total": total,
        "page": page,
        "pages": max(1, -(-total // STORIES_PER_PAGE)),
        "stories": stories,
        "facets": facets or {},
    }


def snippet_markup(snippet: str) -> Markup:
    """A search snippet with its ``[match]`` markers as <mark>; all text escaped."""
    pieces = []
    for index, part in enumerate(snippet.replace("]", "[").split("[")):
        pieces.append(f"<mark>{escape(part)}</mark>" if index % 2 else str(escape(part)))
    return Markup("".join(pieces))


# --- one story ----------------------------------------------------------------------------------


def _coverage(articles: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> dict[str, Any]:
    """Articles by outlet (rows) and publication date (columns); months when days would be too many."""
    days = sorted({a["published"] for a in articles if a["published"]})
    precision = 10
    if len(days) > MAX_COVERAGE_COLUMNS:
        precision = 7
        if len({d[:7] for d in days}) > MAX_COVERAGE_COLUMNS:
            precision = 4
    columns = sorted({d[:precision] for d in days})
    undated = any(not a["published"] for a in articles)
    if undated:
        columns.append(None)
    rows: dict[str, list[list[dict[str, str]]]] = {}
    for article in articles:
        cells = rows.setdefault(outlet_name(article), [[] for _ in columns])
        column = columns.index(article["published"][:precision] if article["published"] else None)
        cells[column].append({"id": article["id"], "label": labels[article["id"]]})
    return {
        "columns": columns,
        "rows": [{"outlet": outlet, "cells": cells} for outlet, cells in sorted(rows.items(), key=lambda r: r[0].casefold())],
    }


def _ledger(doc: Mapping[str, Any], labels: Mapping[str, str],
            filters: Optional[Mapping[str, Optional[str]]] = None) -> dict[str, Any]:
    """The claims-by-outlets matrix: each cell says whether that outlet carries, omits or never had the claim.

    Rows are ranked as the ledger is (facts first, then check-worthiness weighted by independent sources) and
    narrowed by ``filters`` (status, kind, outlet name); the first ``TOP_CLAIMS`` rows are the top claims."""
    filters = {key: value for key, value in (filters or {}).items() if value}
    columns: dict[str, list[str]] = {}
    for article in doc["articles"]:
        columns.setdefault(outlet_name(article), []).append(article["id"])
    outlets = sorted(columns, key=str.casefold)
    omitted: dict[str, set[str]] = {}
    for omission in doc["omissions"]:
        omitted.setdefault(omission["article"], set()).update(omission["claims"])
    # An outlet omits a claim when every one of its articles does.
    omitted_by_outlet = [set.intersection(*(omitted.get(member, set()) for member in columns[outlet]))
                         for outlet in outlets]
    outlet_index = {article_id: index for index, outlet in enumerate(outlets) for article_id in columns[outlet]}
    outlet_of = {article_id: outlet for outlet in outlets for article_id in columns[outlet]}
    every_claim = sorted(doc["claims"], key=lambda c: (bool(c.get("opinion")),
                                                       -rank_score(c.get("checkworthiness", 0.0), c["independent_sources"]),
                                                       STATUS_ORDER.get(c["status"], 9), c["id"]))
    claims = [c for c in every_claim
              if c["status"] == filters.get("status", c["status"]) and c["kind"] == filters.get("kind", c["kind"])
              and ("outlet" not in filters or filters["outlet"] in {outlet_of.get(a) for a in c["articles"]})]
    rows = []
    for claim in claims[:MAX_LEDGER_ROWS]:
        cells: list[Optional[str]] = ["omitted" if claim["id"] in gone else None for gone in omitted_by_outlet]
        for article_id in (*claim["articles"], *(e["article"] for e in claim["evidence"])):
            if article_id in outlet_index:
                cells[outlet_index[article_id]] = claim["status"]
        rows.append({
            "claim": claim["id"], "cells": cells,
            "origin": labels.get(claim.get("origin") or "", None),
            "variants": [{"label": DERIVATION_LABELS.get(e.get("derivation") or "", "as derived"),
                          "article": labels.get(e["article"], e["article"]), "wording": e["wording"]}
                         for e in claim["evidence"] if e.get("derived_from")],
        })
    return {
        "outlets": [{"name": outlet, "articles": columns[outlet]} for outlet in outlets],
        "rows": rows[:TOP_CLAIMS],
        "more_rows": rows[TOP_CLAIMS:],
        "hidden": max(0, len(claims) - MAX_LEDGER_ROWS),
        "counts": dict(Counter(claim["status"] for claim in every_claim)),
        "kinds": sorted({claim["kind"] for claim in every_claim}),
        "filters": {name: filters.get(name) for name in ("status", "kind", "outlet")},
        "filtered": bool(filters),
        "shown": len(claims),
    }


def _framing(doc: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    """Claims two or more outlets carry, with each outlet's own wording side by side."""
    outlet_of = {article["id"]: outlet_name(article) for article in doc["articles"]}
    candidates = []
    for claim in doc["claims"]:
        by_outlet: dict[str, list[dict[str, Any]]] = {}
        for evidence in claim["evidence"]:
            by_outlet.setdefault(outlet_of.get(evidence["article"], evidence["article"]), []).append({
                "article": evidence["article"],
                "span": evidence["span"],
                "label": labels.get(evidence["article"], evidence["article"]),
                "wording": evidence.get("wording") or evidence["sentence"],
                "attributed_to": evidence.get("attributed_to"),
                "hedges": evidence.get("hedges", []),
                "markers": evidence.get("markers", []),
            })
        if len(by_outlet) >= 2:
            candidates.append((claim, by_outlet))
    candidates.sort(key=lambda item: (STATUS_ORDER.get(item[0]["status"], 9), -len(item[1]), item[0]["id"]))
    outlets = sorted({outlet for _, by_outlet in candidates[:MAX_FRAMING_ROWS] for outlet in by_outlet},
                     key=str.casefold)
    return {
        "outlets": outlets,
        "rows": [
            {"claim": claim["id"], "text": claim["text"], "status": claim["status"],
             "wordings": [by_outlet.get(outlet, []) for outlet in outlets]}
            for claim, by_outlet in candidates[:MAX_FRAMING_ROWS]
        ],
        "hidden": max(0, len(candidates) - MAX_FRAMING_ROWS),
    }


def story_page(store: Store, story_id: str,
               ledger_filters: Optional[Mapping[str, Optional[str]]] = None) -> Optional[dict[str, Any]]:
    """Everything the story page shows, or None when there is no such story; ``ledger_filters`` narrow the
    claim ledger by status, kind and outlet."""
    current = store.resolve_story_id(story_id)
    story = store.story(current) if current else None
    if story is None:
        return None
    articles = store.articles(ids=story.articles)
    relations = store.relations_among(story.articles)
    claims, omissions = store.story_claims(story.id)
    doc = to_json(Analysis(articles=articles, stories=[story], relations=relations, claims=claims,
                           omissions=omissions, timeline=store.story_timeline(story.id),
                           outlets=store.outlet_registry(), shallow_stories=shallow_stories_in(store, [story])))
    labels = article_labels(doc["articles"])
    lengths = {article.id: len(article.text) for article in articles}
    groups = independent_groups(story.articles, relations)
    article_items = [{**item, "label": labels[item["id"]], "characters": lengths[item["id"]]}
                     for item in doc["articles"]]
    return {
        "schema": doc["schema"],
        "story": doc["stories"][0],
        "requested_id": story_id,
        "articles": article_items,
        "coverage": _coverage(doc["articles"], labels),
        "relations": doc["relations"],
        "graph": layout_provenance(article_items, doc["relations"], groups),
        "independent_groups": groups,
        "claims": doc["claims"],
        "omissions": doc["omissions"],
        "ledger": _ledger(doc, labels, ledger_filters),
        "framing": _framing(doc, labels),
        "timeline": doc["timeline"],
        "entities": [entity.__dict__.copy() for entity in store.entities_in(story.articles, limit=MAX_ENTITIES)],
        "outlets": doc["outlets"],
    }


# --- one article --------------------------------------------------------------------------------


def _other(relation: Mapping[str, Any], article_id: str) -> str:
    return relation["b"] if relation["a"] == article_id else relation["a"]


def article_page(store: Store, article_id: str, focus: Optional[tuple[int, int]] = None) -> Optional[dict[str, Any]]:
    """An article's text with its claims and aligned passages marked, or None when there is no such article."""
    found = store.articles(ids=[article_id])
    if not found:
        return None
    article = found[0]
    story_id = store.story_of_article(article_id)
    story = store.story(story_id) if story_id else None
    relations = store.relations_of(article_id)
    claims, omissions = store.story_claims(story_id) if story_id else ([], [])
    related_ids = sorted({r.a for r in relations} | {r.b for r in relations} | {article_id})
    others = store.articles(ids=related_ids)
    doc = to_json(Analysis(articles=others, stories=[story] if story else [], relations=relations,
                           claims=claims, omissions=omissions, outlets=store.outlet_registry()))
    labels = article_labels(doc["articles"])
    item = next(a for a in doc["articles"] if a["id"] == article_id)
    own_claims = [c for c in doc["claims"] if any(e["article"] == article_id for e in c["evidence"])]
    omitted_ids = {cid for o in doc["omissions"] if o["article"] == article_id for cid in o["claims"]}
    return {
        "schema": doc["schema"],
        "article": {**item, "label": labels[article_id], "url": external_href(article), "text": article.text},
        "story": {"id": story.id, "title": story.title} if story else None,
        "relations": [
            {**relation, "other": _other(relation, article_id), "other_label": labels.get(_other(relation, article_id))}
            for relation in doc["relations"]
        ],
        "claims": own_claims,
        "omitted_claims": [{"id": c["id"], "text": c["text"], "status": c["status"]}
                           for c in doc["claims"] if c["id"] in omitted_ids],
        "focus": list(focus) if focus else None,
    }


def article_marks(data: Mapping[str, Any]) -> list[Mark]:
    """The highlights of the article page: claim evidence by status, aligned passages linking to the comparison."""
    article_id = data["article"]["id"]
    marks = []
    for relation in data["relations"]:
        side = "a" if relation["a"] == article_id else "b"
        href_base = f"/compare/{path_id(article_id)}/{path_id(relation['other'])}"
        for index, passage in enumerate(relation["passages"]):
            start, end = passage[side]
            marks.append(Mark(start, end, "passage alt" if index % 2 else "passage",
                              f"{relation['kind']} of {relation['other_label']}",
                              f"{href_base}#left-{index}"))
    for claim in data["claims"]:
        for evidence in claim["evidence"]:
            if evidence["article"] == article_id:
                start, end = evidence["span"]
                marks.append(Mark(start, end, f"claim {claim['status']}", f"{claim['status']}: {claim['text']}",
                                  anchor=f"claim-{claim['id']}-{start}"))
    if data["focus"]:
        start, end = data["focus"]
        marks.append(Mark(start, end, "focus", anchor="focus"))
    return marks


# --- two articles side by side ------------------------------------------------------------------


def compare_page(store: Store, left_id: str, right_id: str) -> Optional[dict[str, Any]]:
    """Two articles side by side with their aligned passages, or None when either is missing."""
    found = {article.id: article for article in store.articles(ids=[left_id, right_id])}
    if left_id not in found or right_id not in found or left_id == right_id:
        return None
    relations = store.relations_among([left_id, right_id])
    doc = to_json(Analysis(articles=list(found.values()), relations=relations))
    labels = article_labels(doc["articles"])
    items = {a["id"]: {**a, "label": labels[a["id"]], "url": external_href(found[a["id"]]),
                       "text": found[a["id"]].text} for a in doc["articles"]}
    relation = doc["relations"][0] if doc["relations"] else None
    passages = []
    if relation:
        flip = relation["a"] != left_id
        for index, passage in enumerate(relation["passages"]):
            left_span, right_span = (passage["b"], passage["a"]) if flip else (passage["a"], passage["b"])
            passages.append({"index": index, "left": left_span, "right": right_span,
                             "similarity": passage["similarity"],
                             "left_text": excerpt(found[left_id].text, left_span, 0)["text"][:240],
                             "right_text": excerpt(found[right_id].text, right_span, 0)["text"][:240]})
    return {
        "schema": doc["schema"],
        "left": items[left_id],
        "right": items[right_id],
        "relation": relation,
        "passages": passages,
        "same_story": store.story_of_article(left_id) == store.story_of_article(right_id),
        "story": store.story_of_article(left_id),
    }


def compare_marks(data: Mapping[str, Any], side: str) -> list[Mark]:
    other = "right" if side == "left" else "left"
    return [
        Mark(p[side][0], p[side][1], "passage alt" if p["index"] % 2 else "passage", f"aligned passage {p['index'] + 1} (similarity {p['similarity']:.2f})",
             f"#{other}-{p['index']}", anchor=f"{side}-{p['index']}")
        for p in data["passages"]
    ]


# --- one entity ---------------------------------------------------------------------------------


def entity_page(store: Store, entity_id: str) -> Optional[dict[str, Any]]:
    """An entity with its aliases and mentions in context, or None when there is no such entity."""
    entity = store.entity(entity_id)
    if entity is None:
        return None
    mentions = entity.mentions[:MAX_ENTITY_MENTIONS]
    shown_articles = sorted({m.article for m in mentions} | set(entity.articles[:MAX_ENTITY_MENTIONS]))
    articles = store.articles(ids=shown_articles)
    doc = to_json(Analysis(articles=articles, entities=[entity]))
    labels = article_labels(doc["articles"])
    texts = {article.id: article.text for article in articles}
    item = doc["entities"][0]
    return {
        "schema": doc["schema"],
        "entity": {key: value for key, value in item.items() if key != "mentions"},
        "articles": [{"id": a["id"], "label": labels[a["id"]], "title": a["title"], "published": a["published"]}
                     for a in doc["articles"] if a["id"] in set(entity.articles)],
        "mentions": [
            {**mention, "label": labels.get(mention["article"], mention["article"]),
             "context": excerpt(texts[mention["article"]], mention["span"]) if mention["article"] in texts else None}
            for mention in item["mentions"]
        ],
        "total_mentions": len(entity.mentions),
        "hidden_mentions": max(0, len(entity.mentions) - MAX_ENTITY_MENTIONS),
    }

