"""The outlet fields of the ``storyline/1`` export, added to a document :func:`storyline.views.json_export.to_json` built.

Added fields (the schema grows by adding; nothing existing changes meaning):

- top level ``outlets``: the registry entries the articles resolve to (user's and shipped agencies);
- article ``outlet``: the registry's name when the registry knows the outlet (by name, alias or
  domain), else as stored; ``wire``: the agency credit (``agency``, ``signal``, ``evidence``) or null;
- story ``outlets`` (names), ``source_groups`` (wire copies counted once: ``agency``, ``articles``),
  ``sources_summary`` ("5 outlets, 1 source: AP"), ``coverage`` by label and ``blindspots``;
- claim ``outlets``, ``source_groups``, ``sources_summary`` and ``blindspots``
  (``label``, ``only``, ``omitted_by``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from ..model import Analysis, Outlet, Relation
from .coverage import (
    SourceGroup,
    claim_blindspots,
    coverage_by_label,
    source_groups,
    sources_phrase,
    story_blindspots,
)
from .registry import Registry, label_names, labels_of, outlet_to_json
from .wire import WireDetector, propagate_copies

__all__ = ["OutletContext", "annotate_export"]


@functools.lru_cache(maxsize=4)
def _detector(user_outlets: tuple[Outlet, ...]) -> WireDetector:
    """The registry and its compiled signals, built once per registry (every web page asks for them)."""
    return WireDetector(Registry.with_agencies(user_outlets))


class OutletContext:
    """Each article's resolved outlet, labels and wire credit, worked out once for a whole analysis."""

    def __init__(self, analysis: Analysis) -> None:
        self.detector = _detector(tuple(analysis.outlets))
        self.registry = self.detector.registry
        self.resolved: dict[str, Outlet | None] = {}
        self.name: dict[str, str | None] = {}
        for article in analysis.articles:
            outlet = self.registry.resolve(article.outlet, article.url, article.source)
            self.resolved[article.id] = outlet
            self.name[article.id] = outlet.name if outlet else article.outlet
        self.credits = propagate_copies(self.detector.detect_all(analysis.articles), analysis.relations)
        self.labels = {article_id: labels_of(outlet) for article_id, outlet in self.resolved.items()}
        # Sides are what the user's registry knows, not the shipped agencies' countries.
        self.label_names = label_names(analysis.outlets)
        self.known_values: dict[str, list[str]] = {}
        for outlet in analysis.outlets:
            for key, value in labels_of(outlet).items():
                values = self.known_values.setdefault(key, [])
                if value not in values:
                    values.append(value)

    def groups(self, article_ids: Sequence[str], relations: Sequence[Relation]) -> list[SourceGroup]:
        return source_groups(article_ids, relations, self.credits)

    def outlet_names(self, article_ids: Sequence[str]) -> tuple[list[str], int]:
        names = {self.name.get(a) for a in article_ids}
        unknown = sum(1 for a in article_ids if not self.name.get(a))
        return sorted((n for n in names if n), key=str.casefold), unknown


def _groups_json(groups: Sequence[SourceGroup], order: Mapping[str, int]) -> list[dict[str, Any]]:
    return [{"agency": g.agency, "articles": sorted(g.articles, key=lambda a: (order.get(a, len(order)), a))}
            for g in groups]


def annotate_export(doc: dict[str, Any], analysis: Analysis) -> dict[str, Any]:
    """``doc`` with the outlet fields added (in place; also returned)."""
    context = OutletContext(analysis)
    order = {article["id"]: index for index, article in enumerate(doc["articles"])}
    for article in doc["articles"]:
        article["outlet"] = context.name.get(article["id"], article["outlet"])
        credit = context.credits.get(article["id"])
        article["wire"] = ({"agency": credit.agency, "signal": credit.signal, "evidence": credit.evidence}
                           if credit else None)
    used = {id(o): o for o in context.resolved.values() if o is not None}
    doc["outlets"] = [outlet_to_json(o) for o in sorted(used.values(), key=lambda o: o.name.casefold())]

    relations_of: dict[str, list[Relation]] = {}
    for relation in analysis.relations:
        relations_of.setdefault(relation.a, []).append(relation)
        relations_of.setdefault(relation.b, []).append(relation)

    def story_relations(members: set[str]) -> list[Relation]:
        found = {(r.a, r.b): r for a in members for r in relations_of.get(a, ()) if r.a in members and r.b in members}
        return [found[key] for key in sorted(found)]

    claims_of: dict[str, list[dict[str, Any]]] = {}
    for claim in doc["claims"]:
        claims_of.setdefault(claim["story"], []).append(claim)
    for story in doc["stories"]:
        members = story["articles"]
        relations = story_relations(set(members))
        groups = context.groups(members, relations)
        names, unknown = context.outlet_names(members)
        coverage = coverage_by_label(members, context.labels, groups, context.label_names)
        story["outlets"] = names
        story["source_groups"] = _groups_json(groups, order)
        story["sources_summary"] = sources_phrase(len(names), groups, unknown)
        story["coverage"] = [asdict(item) for item in coverage]
        story["blindspots"] = [asdict(item) for item in story_blindspots(coverage, context.known_values)]
        for claim in claims_of.get(story["id"], []):
            carriers = list(dict.fromkeys([*claim["articles"], *(e["article"] for e in claim["evidence"])]))
            claim_groups = context.groups(carriers, relations)
            claim_names, claim_unknown = context.outlet_names(carriers)
            claim["outlets"] = claim_names
            claim["source_groups"] = _groups_json(claim_groups, order)
            claim["sources_summary"] = sources_phrase(len(claim_names), claim_groups, claim_unknown)
            claim["blindspots"] = [asdict(item) for item in claim_blindspots(
                carriers, members, context.labels, context.name, len(claim_groups), context.label_names)]
    for claim in doc["claims"]:
        for key, empty in (("outlets", []), ("source_groups", []), ("sources_summary", None), ("blindspots", [])):
            claim.setdefault(key, empty)
    return doc
