"""Titles: the most neutral original headline of a story or event."""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..model import Prepared, Relation
from .features import _content_sentence_indices, _unit


def _derived_articles(relations: Sequence[Relation]) -> frozenset[str]:
    """Articles that copy, rewrite or translate another: their headlines are second choice."""
    derived = set()
    for relation in relations:
        if relation.kind == "related" or relation.direction is None:
            continue
        derived.add(relation.b if relation.direction == "a->b" else relation.a)
    return frozenset(derived)


def _title(docs: list[Prepared], derived: frozenset[str]) -> Optional[str]:
    """The most central original article's headline, else the lead sentence of the most central article."""
    centroid = _unit(np.stack([_unit(doc.vector) for doc in docs]).mean(axis=0))
    # Rounded so that ties (two members are always equally central) fall to the id, not to float noise.
    ranked = sorted(docs, key=lambda d: (d.id in derived, -round(float(_unit(d.vector) @ centroid), 4), d.id))
    for doc in ranked:
        headline = _clean_headline(doc)
        if headline:
            return headline
    for doc in ranked:
        content = _content_sentence_indices(doc)
        if content:
            return doc.sentences[content[0]].text
    for doc in ranked:
        if doc.sentences:
            return doc.sentences[0].text
    return None


def _clean_headline(doc: Prepared) -> Optional[str]:
    title = " ".join((doc.article.title or "").split())
    outlet = (doc.article.outlet or "").strip().lower()
    if outlet:
        # Page titles often end with the outlet's name: "Headline - Outlet".
        for separator in (" | ", " - ", " – ", " — "):
            head, _, tail = title.rpartition(separator)
            if head and tail.strip().lower() == outlet:
                title = head.strip()
                break
    words = title.split()
    if not 3 <= len(words) <= 30 or title.isupper() or not any(ch.isalpha() for ch in title):
        return None
    return title
