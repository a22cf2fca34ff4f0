"""Titles: the most neutral original headline of a story or event."""

from __future__ import annotations

import re
from typing import Mapping, Optional, Sequence

import numpy as np

from ..model import Prepared, Relation
from .features import _content_sentence_indices, _unit, content_key


def _derived_articles(relations: Sequence[Relation]) -> Mapping[str, str]:
    """Articles that copy, rewrite or translate another, with how: their headlines are second choice.

    An article derived twice keeps its translation, the derivation whose headline is a machine's.
    """
    derived: dict[str, str] = {}
    for relation in relations:
        if relation.kind == "related" or relation.direction is None:
            continue
        article = relation.b if relation.direction == "a->b" else relation.a
        if derived.get(article) != "translation":
            derived[article] = relation.kind
    return derived


def _title(docs: list[Prepared], derived: Mapping[str, str]) -> Optional[str]:
    """The plainest original headline, else the lead sentence of the most central original.

    In order of choice: an original's headline; the headline of a copy or rewrite (the
    same report under another outlet's headline); an original's lead sentence; then a
    translation's headline and lead, which may be a machine's wording of another
    article's report. Within each, the headline whose wording the story's other
    headlines share most (see :func:`_plainness`), then the most central article.
    """
    centroid = _unit(np.stack([_unit(doc.vector) for doc in docs]).mean(axis=0))
    headlines = {doc.id: _clean_headline(doc) for doc in docs}
    words = {doc_id: _headline_words(h) for doc_id, h in headlines.items() if h}
    # Rounded so that ties (two members are always equally central) fall to the content hash, not to float
    # noise nor to the id (ids derive from file paths).
    def plainness(doc: Prepared) -> float:
        headline = headlines[doc.id]
        return round(_plainness(headline, doc.id, words), 2) if headline else 0.0

    ranked = sorted(docs, key=lambda d: (d.id in derived, -plainness(d),
                                         -round(float(_unit(d.vector) @ centroid), 4), content_key(d), d.id))
    originals = [doc for doc in ranked if doc.id not in derived]
    translations = [doc for doc in ranked if derived.get(doc.id) == "translation"]
    reworded = [doc for doc in ranked if doc.id in derived and derived[doc.id] != "translation"]
    choices = ((originals + reworded, _clean_headline), (originals, _lead_of), (translations, _clean_headline),
               (ranked, _lead_of), (ranked, _first_sentence_of))
    for candidates, title_of in choices:
        for doc in candidates:
            title = title_of(doc)
            if title:
                return title
    return None


def _lead_of(doc: Prepared) -> Optional[str]:
    content = _content_sentence_indices(doc)
    return doc.sentences[content[0]].text if content else None


def _first_sentence_of(doc: Prepared) -> Optional[str]:
    return doc.sentences[0].text if doc.sentences else None


_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def _headline_words(headline: str) -> frozenset[str]:
    return frozenset(word.lower() for word in _WORD.findall(headline))


def _plainness(headline: str, doc_id: str, words: dict[str, frozenset[str]]) -> float:
    """How much of a headline's wording the story's other headlines share, less its marks of emphasis.

    A loaded word is one outlet's choice, so no other headline of the story uses it; a plain
    headline says what the others say. Exclamation and question marks and words in capitals
    (not acronyms: four letters or more) are emphasis, never plainer.
    """
    own = words.get(doc_id, frozenset())
    others = [w for other, w in words.items() if other != doc_id]
    shared = sum(1 for word in own if any(word in w for w in others)) / len(own) if own and others else 0.0
    emphasis = 0.25 * (("!" in headline) + ("?" in headline)
                       + any(len(w) >= 4 and w.isupper() for w in _WORD.findall(headline)))
    return shared - emphasis


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
