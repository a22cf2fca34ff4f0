"""The static HTML report: one self-contained file a reader can open, mail or archive.

It is rendered from the same ``storyline/1`` object the JSON export writes (so the two
never disagree), plus each article's stored text. Everything it shows is extracted
and links to its evidence: every span cited anywhere (aligned passages, claim and
timeline evidence, first entity mentions) gets an anchor ``id="<article id>-<offset>"``
inside that article's text, which sits in a collapsed ``<details>`` at the end.

Article text, titles and outlet names are untrusted input. Jinja2 autoescapes every
value; the only markup built in Python is the article text with its anchors, built
from :func:`markupsafe.escape`'d pieces; links to an article's own page are emitted
only for ``http``/``https`` URLs. A Content-Security-Policy allows no resource except
inline styles and the one inline script (by hash), so even a missed escape could not
load or run anything.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..atomic import atomic_write_text
from ..claims import DERIVATION_LABELS, TOP_CLAIMS, rank_score
from ..graph import independent_groups
from ..model import Analysis, Article, Relation
from ..outlets.views import claim_side_notes
from .charts import story_pictures
from .common import STATUS_ORDER, Mark, article_labels, external_href, marked_text, short_source
from .json_export import to_json

__all__ = ["render_html", "anchor_id", "article_anchor"]

TEMPLATE_NAME = "report.html.j2"
MAX_ENTITIES_PER_STORY = 30
MAX_PASSAGES_PER_RELATION = 6
EXCERPT_HEAD = 320
EXCERPT_TAIL = 140

# Opens the collapsed <details> around a linked anchor: browsers differ in whether
# fragment navigation does that on its own.
_SCRIPT = (
    "(function(){function o(){var h=location.hash.slice(1);if(!h)return;"
    "var t=document.getElementById(decodeURIComponent(h));if(!t)return;"
    "for(var e=t;e;e=e.parentElement){if(e.tagName==='DETAILS')e.open=true;}"
    "t.scrollIntoView({block:'center'});}"
    "window.addEventListener('hashchange',o);document.addEventListener('DOMContentLoaded',o);"
    # The claim ledger's filters: status, kind and outlet; filtering opens the claims kept behind the control.
    "document.addEventListener('change',function(ev){var f=ev.target.closest('.ledger-filters');if(!f)return;"
    "var v={};f.querySelectorAll('select').forEach(function(s){v[s.name]=s.value;});"
    "var l=f.parentElement;l.querySelectorAll('.claim[data-status]').forEach(function(c){"
    "var ok=(!v.status||c.dataset.status===v.status)&&(!v.kind||c.dataset.kind===v.kind)"
    "&&(!v.outlet||(' '+c.dataset.outlets+' ').indexOf(' '+v.outlet+' ')>=0);c.hidden=!ok;});"
    "l.querySelectorAll('details.more-claims').forEach(function(d){d.open=d.open||!!(v.status||v.kind||v.outlet);});});"
    "})();"
)

_SAFE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


# --- anchors ----------------------------------------------------------------------


def article_anchor(article_id: str) -> str:
    """The HTML id of an article's text: the article id itself when it is a safe HTML id."""
    if _SAFE_ID.match(article_id):
        return article_id
    return "a-" + hashlib.sha1(article_id.encode("utf-8")).hexdigest()[:12]


def anchor_id(article_id: str, offset: int) -> str:
    """The HTML id of the anchor at character ``offset`` of an article's text, e.g. ``a-1f2e3d-123``."""
    return f"{article_anchor(article_id)}-{int(offset)}"


def _html_id(prefix: str, value: str) -> str:
    if _SAFE_ID.match(value):
        return f"{prefix}-{value}"
    return f"{prefix}-" + hashlib.sha1(value.encode("utf-8")).hexdigest()[:12]


@dataclass
class _TextMarks:
    """The anchors and highlighted spans to lay into one article's text."""

    anchors: set[int] = field(default_factory=set)
    highlights: list[tuple[int, int]] = field(default_factory=list)


class _Anchors:
    """Collects which offsets of which texts get anchors; hands out links only to anchors that will exist."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = texts
        self.marks: dict[str, _TextMarks] = {}

    def link(self, article_id: str, span: Sequence[int], *, highlight: bool = True) -> Optional[str]:
        text = self.texts.get(article_id)
        start, end = int(span[0]), int(span[1])
        if text is None or not 0 <= start <= end <= len(text):
            return None
        marks = self.marks.setdefault(article_id, _TextMarks())
        marks.anchors.add(start)
        if highlight and end > start:
            marks.highlights.append((start, end))
        return "#" + anchor_id(article_id, start)

    def render(self, article_id: str) -> Markup:
        marks = self.marks.get(article_id, _TextMarks())
        anchors = [Mark(offset, offset, "", anchor=anchor_id(article_id, offset)) for offset in sorted(marks.anchors)]
        highlights = [Mark(start, end, "") for start, end in marks.highlights]
        return marked_text(self.texts[article_id], [*anchors, *highlights], element="mark")


def _excerpt(text: Optional[str], span: Sequence[int]) -> Optional[str]:
    if text is None:
        return None
    start, end = max(0, int(span[0])), min(len(text), int(span[1]))
    if end - start <= EXCERPT_HEAD + EXCERPT_TAIL + 20:
        return text[start:end]
    return f"{text[start:start + EXCERPT_HEAD].rstrip()} … {text[end - EXCERPT_TAIL:end].lstrip()}"


# --- the view model handed to the template ---------------------------------------------


@dataclass
class _ArticleView:
    id: str
    anchor: str
    label: str
    title: str
    source: str
    href: Optional[str]
    outlet: Optional[str]
    published: Optional[str]
    language: Optional[str]
    byline: Optional[str]
    version: int
    characters: int
    text: Markup = Markup("")


def _article_views(doc: Mapping[str, Any], articles: Mapping[str, Article]) -> dict[str, _ArticleView]:
    views: dict[str, _ArticleView] = {}
    # Two articles from one outlet must stay tell-apart wherever only the label is shown.
    labels = article_labels(doc["articles"])
    for item in doc["articles"]:
        article = articles[item["id"]]
        label = labels[item["id"]]
        views[item["id"]] = _ArticleView(
            id=item["id"],
            anchor=article_anchor(item["id"]),
            label=label,
            title=item["title"] or short_source(item["source"]),
            source=item["source"],
            href=external_href(article),
            outlet=item["outlet"],
            published=item["published"],
            language=item["language"],
            byline=item["byline"],
            version=item["version"],
            characters=len(article.text),
        )
    return views


class _Builder:
    """Turns the export object into per-story views, registering every anchor it links to."""

    def __init__(self, analysis: Analysis) -> None:
        self.doc = to_json(analysis)
        self.articles = {article.id: article for article in analysis.articles}
        self.relations_of_article: dict[str, list[Relation]] = {}
        for relation in analysis.relations:
            self.relations_of_article.setdefault(relation.a, []).append(relation)
            self.relations_of_article.setdefault(relation.b, []).append(relation)
        self.anchors = _Anchors({article.id: article.text for article in analysis.articles})
        self.article_views = _article_views(self.doc, self.articles)
        self.entities = {entity["id"]: entity for entity in self.doc["entities"]}
        self.articles_json = {article["id"]: article for article in self.doc["articles"]}
        self.claims = {claim["id"]: claim for claim in self.doc["claims"]}
        self.used_html_ids: set[str] = set()
        story_ids = {story["id"] for story in self.doc["stories"]}
        self.rendered_claims = {claim["id"] for claim in self.doc["claims"] if claim["story"] in story_ids}
        # Indexed once so a report over thousands of stories stays linear in its size.
        self.by_story: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
        for table in ("relations", "claims", "omissions", "timeline"):
            for item in self.doc[table]:
                if item["story"] is not None:
                    self.by_story.setdefault(item["story"], {}).setdefault(table, []).append(item)
        self.entities_of_article: dict[str, list[Mapping[str, Any]]] = {}
        for entity in self.doc["entities"]:
            touched = set(entity["articles"]) | {mention["article"] for mention in entity["mentions"]}
            for article_id in touched:
                self.entities_of_article.setdefault(article_id, []).append(entity)

    def unique_html_id(self, prefix: str, value: str) -> str:
        """An HTML id not used before in the page: duplicate input ids must not make duplicate anchors."""
        candidate = base = _html_id(prefix, value)
        suffix = 1
        while candidate in self.used_html_ids:
            suffix += 1
            candidate = f"{base}-{suffix}"
        self.used_html_ids.add(candidate)
        return candidate

    def story_items(self, story_id: str, table: str) -> list[Mapping[str, Any]]:
        return self.by_story.get(story_id, {}).get(table, [])

    def article_ref(self, article_id: str) -> dict[str, Any]:
        view = self.article_views.get(article_id)
        if view is None:
            return {"label": article_id, "href": None, "title": article_id}
        return {"label": view.label, "href": "#" + view.anchor, "title": view.title}

    def evidence_ref(self, article_id: str, span: Sequence[int], *, highlight: bool = True) -> dict[str, Any]:
        ref = self.article_ref(article_id)
        return {**ref, "href": self.anchors.link(article_id, span, highlight=highlight) or ref["href"], "span": span}

    def excerpt_ref(self, article_id: str, span: Sequence[int], text: Optional[str]) -> dict[str, Any]:
        return {**self.evidence_ref(article_id, span), "excerpt": _excerpt(text, span)}

    def relation_view(self, relation: Mapping[str, Any]) -> dict[str, Any]:
        text_a = self.articles[relation["a"]].text if relation["a"] in self.articles else None
        text_b = self.articles[relation["b"]].text if relation["b"] in self.articles else None
        ranked = sorted(relation["passages"], key=lambda passage: (-passage["similarity"], passage["a"]))
        shown = ranked[:MAX_PASSAGES_PER_RELATION]
        source, derived = relation["a"], relation["b"]
        if relation["direction"] == "b->a":
            source, derived = derived, source
        texts = {relation["a"]: text_a, relation["b"]: text_b}
        # Each passage side by side, the source text (when known) on the left.
        passages = []
        for passage in sorted(shown, key=lambda passage: passage["a"]):
            spans = {relation["a"]: passage["a"], relation["b"]: passage["b"]}
            passages.append(
                {
                    "similarity": passage["similarity"],
                    "left": self.excerpt_ref(source, spans[source], texts[source]),
                    "right": self.excerpt_ref(derived, spans[derived], texts[derived]),
                }
            )
        return {
            "kind": relation["kind"],
            "directed": relation["direction"] is not None,
            "source": self.article_ref(source),
            "derived": self.article_ref(derived),
            "score": relation["score"],
            "evidence": relation["evidence"],
            "passages": passages,
            "hidden_passages": len(ranked) - len(shown),
        }

    def entity_views(self, story_id: str, story_article_list: Sequence[str]) -> tuple[list[dict[str, Any]], int]:
        story_articles = set(story_article_list)
        candidates = {
            entity["id"]: entity
            for article in story_article_list
            for entity in self.entities_of_article.get(article, [])
        }
        ranked = []
        for entity in candidates.values():
            in_story = [article for article in entity["articles"] if article in story_articles]
            mentions = [mention for mention in entity["mentions"] if mention["article"] in story_articles]
            if in_story or mentions:
                prominence = (-len(in_story), -len(mentions), entity["name"].casefold(), entity["id"])
                ranked.append((*prominence, entity, in_story, mentions))
        ranked.sort(key=lambda row: row[:4])
        views = []
        for *_, entity, in_story, mentions in ranked[:MAX_ENTITIES_PER_STORY]:
            first_mentions: dict[str, Mapping[str, Any]] = {}
            for mention in mentions:
                first_mentions.setdefault(mention["article"], mention)
            views.append(
                {
                    "id": entity["id"],
                    # One entity can appear under several stories: its row id is per story.
                    "html_id": self.unique_html_id("entity", f"{story_id}-{entity['id']}"),
                    "name": entity["name"],
                    "type": entity["type"],
                    "aliases": [alias for alias in entity["aliases"] if alias != entity["name"]],
                    "articles": len(in_story),
                    "mentions": len(mentions),
                    "first_mentions": [
                        self.evidence_ref(article, mention["span"], highlight=False)
                        for article, mention in first_mentions.items()
                    ],
                    "merges": entity["merges"],
                }
            )
        return views, max(0, len(ranked) - MAX_ENTITIES_PER_STORY)

    def claim_ref(self, claim_id: str) -> dict[str, Any]:
        """A link to a claim's ledger entry; plain text when the claim is not shown in this report."""
        claim = self.claims.get(claim_id)
        return {
            "href": "#" + _html_id("claim", claim_id) if claim_id in self.rendered_claims else None,
            "text": claim["text"] if claim else claim_id,
        }

    def claim_view(self, claim: Mapping[str, Any]) -> dict[str, Any]:
        evidence = [
            {
                **self.evidence_ref(item["article"], item["span"]),
                "wording": item["wording"],
                "sentence": item["sentence"],
            }
            for item in claim["evidence"]
        ]
        wordings: dict[str, list[dict[str, Any]]] = {}
        for item in evidence:
            wordings.setdefault(item["wording"].strip(), []).append(item)
        speaker = self.entities.get(claim["speaker"]) if claim["speaker"] else None
        return {
            "id": claim["id"],
            "html_id": self.unique_html_id("claim", claim["id"]),
            "text": claim["text"],
            "kind": claim["kind"],
            "status": claim["status"],
            "opinion": claim.get("opinion", False),
            "markers": claim.get("markers", []),
            "sides": claim_side_notes(claim),
            "sources_summary": claim.get("sources_summary") if any(g["agency"] for g in claim.get("source_groups", []))
            else None,
            "speaker": speaker["name"] if speaker else (claim.get("speaker_name") or claim["speaker"]),
            "outlets": [self.article_ref(article) for article in claim["articles"]],
            "outlet_labels": " ".join(self.article_ref(article)["label"] for article in claim["articles"]),
            "independent_sources": claim["independent_sources"],
            "conflicts": [self.claim_ref(conflict) for conflict in claim["conflicts"]],
            "evidence": evidence,
            "wordings": [{"wording": wording, "evidence": items} for wording, items in wordings.items()],
            "checkworthiness": claim.get("checkworthiness", 0.0),
            "origin": self.article_ref(claim["origin"]) if claim.get("origin") else None,
            "sources": [self.article_ref(article) for article in claim.get("sources", [])],
            "variants": [
                {**self.evidence_ref(item["article"], item["span"]), "wording": item["wording"],
                 "label": DERIVATION_LABELS.get(item.get("derivation") or "", "as derived"),
                 "from": self.article_ref(item["derived_from"])}
                for item in claim["evidence"] if item.get("derived_from")
            ],
        }

    def story_view(self, story: Mapping[str, Any]) -> dict[str, Any]:
        relations = self.story_items(story["id"], "relations")
        touching = {
            id(relation): relation
            for article in story["articles"]
            for relation in self.relations_of_article.get(article, [])
        }
        groups = independent_groups(story["articles"], list(touching.values()))
        # The ledger's order: facts before opinion, then check-worthiness weighted by how far a claim travelled.
        claims = sorted(
            self.story_items(story["id"], "claims"),
            key=lambda claim: (bool(claim.get("opinion")),
                               -rank_score(claim.get("checkworthiness", 0.0), claim["independent_sources"]),
                               STATUS_ORDER.get(claim["status"], 9), claim["id"]),
        )
        entities, hidden_entities = self.entity_views(story["id"], story["articles"])
        status_counts = Counter(claim["status"] for claim in claims)
        return {
            "who": story,
            "pictures": story_pictures(story, self.story_doc(story), groups,
                                       {a: "#" + article_anchor(a) for a in story["articles"]}),
            "id": story["id"],
            "html_id": self.unique_html_id("story", story["id"]),
            "title": story["title"] or "Untitled story",
            "articles": [self.article_views[a] for a in story["articles"] if a in self.article_views],
            "independent_sources": story["independent_sources"],
            "source_groups": [[self.article_ref(article) for article in group] for group in groups],
            "events": [
                {**event, "articles": [self.article_ref(article) for article in event["articles"]]}
                for event in story["events"]
            ],
            "relations": [self.relation_view(relation) for relation in relations],
            "entities": entities,
            "hidden_entities": hidden_entities,
            "claims": [self.claim_view(claim) for claim in claims],
            "top_claims": TOP_CLAIMS,
            "claim_kinds": sorted({claim["kind"] for claim in claims}),
            "claim_outlets": sorted({self.article_ref(a)["label"] for claim in claims for a in claim["articles"]}),
            "claim_counts": [(status, status_counts[status]) for status in STATUS_ORDER if status_counts[status]],
            "omissions": [
                {
                    "article": self.article_ref(omission["article"]),
                    "claims": [self.claim_ref(claim_id) for claim_id in omission["claims"]],
                }
                for omission in self.story_items(story["id"], "omissions")
            ],
            "timeline": [
                {
                    **entry,
                    "articles": [self.article_ref(article) for article in entry["articles"]],
                    "evidence": [self.evidence_ref(item["article"], item["span"]) for item in entry["evidence"]],
                }
                for entry in self.story_items(story["id"], "timeline")
            ],
        }

    def story_doc(self, story: Mapping[str, Any]) -> dict[str, Any]:
        """The story's own part of the export, as :func:`storyline.views.charts.story_pictures` reads it."""
        members = set(story["articles"])
        mine = self.by_story.get(story["id"], {})
        return {"articles": [self.articles_json[a] for a in members if a in self.articles_json],
                "relations": mine.get("relations", []), "claims": mine.get("claims", []),
                "omissions": mine.get("omissions", []), "timeline": mine.get("timeline", []),
                "outlets": self.doc.get("outlets", [])}

    def build(self) -> dict[str, Any]:
        stories = [self.story_view(story) for story in self.doc["stories"]]
        in_stories = {article for story in self.doc["stories"] for article in story["articles"]}
        # Texts are rendered last: only now is every anchor that some section links to known.
        for view in self.article_views.values():
            view.text = self.anchors.render(view.id)
        return {
            "stories": stories,
            "articles": list(self.article_views.values()),
            "unassigned": [view for view in self.article_views.values() if view.id not in in_stories],
            "counts": {
                "articles": len(self.doc["articles"]),
                "stories": len(self.doc["stories"]),
                "relations": len(self.doc["relations"]),
                "entities": len(self.doc["entities"]),
                "claims": len(self.doc["claims"]),
            },
        }


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("storyline", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["score"] = lambda value: f"{float(value):.2f}"
    return environment


def render_html(analysis: Analysis, *, title: str = "storyline report") -> str:
    """The whole report as one self-contained HTML document (inline CSS, one tiny inline script)."""
    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    context = _Builder(analysis).build()
    template = _environment().get_template(TEMPLATE_NAME)
    return template.render(
        title=title,
        script=Markup(_SCRIPT),
        script_hash=script_hash,
        **context,
    )


def write_html(analysis: Analysis, path: str | Path) -> Path:
    """Write the static single-file HTML report of ``analysis`` to ``path``."""
    return atomic_write_text(path, render_html(analysis))
