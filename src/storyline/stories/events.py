"""Events inside a story: average-link clustering of what each article's lead says."""

from __future__ import annotations

import numpy as np

from ..model import Event, Prepared, stable_id
from .features import (
    article_order_key,
    _content_sentence_indices,
    _dense,
    _specific_terms,
    _tfidf,
    _unit,
    day_ordinal,
)
from .settings import StorySettings
from .signals import UNDATED
from .titles import _title


def _events(member_docs: list[Prepared], derived: frozenset[str], settings: StorySettings,
            names: frozenset[str]) -> list[Event]:
    if len(member_docs) > 1:
        clusters = event_clusters(_event_similarity(member_docs, settings, names), settings)
    else:
        clusters = [[0]]
    events: list[Event] = []
    for cluster in clusters:
        event_docs = sorted((member_docs[i] for i in cluster), key=article_order_key)
        # A timestamp says more than Event.date carries: keep its date part.
        dated = sorted(d.article.published.split("T")[0] for d in event_docs if d.article.published)
        events.append(
            Event(
                id=stable_id("e", event_docs[0].id),
                title=_title(event_docs, derived),
                articles=[d.id for d in event_docs],
                date=dated[0] if dated else None,
            )
        )
    founding = {doc.id: article_order_key(doc) for doc in member_docs}
    events.sort(key=lambda event: (event.date is None, event.date or "", founding[event.articles[0]]))
    return events


def _event_similarity(member_docs: list[Prepared], settings: StorySettings, names: frozenset[str]) -> np.ndarray:
    """Pairwise similarity of what each article's lead says: wording, specific terms, day."""
    leads = np.stack([_lead_vector(doc, settings.lead_sentences) for doc in member_docs])
    lead_terms = _dense(_tfidf([_specific_terms(doc, names, _lead_line_count(doc, settings.lead_sentences))
                                for doc in member_docs]))
    days = np.array([day_ordinal(doc.article.published) or UNDATED for doc in member_docs], dtype=np.int64)
    return event_similarity(leads, lead_terms, days, settings)


def event_similarity(leads: np.ndarray, lead_terms: np.ndarray, days: np.ndarray,
                     settings: StorySettings) -> np.ndarray:
    """Pairwise similarity of a story's articles from unit lead embeddings, unit lead-term rows and day ordinals."""
    overlap = lead_terms @ lead_terms.T
    known = days != UNDATED
    ordinals = np.where(known, days, 0).astype(np.float64)
    closeness = np.exp(-np.abs(ordinals[:, None] - ordinals[None, :]) / settings.event_date_scale_days)
    closeness[~(known[:, None] & known[None, :])] = 0.5  # unknown dates neither join nor split
    total = settings.event_text_weight + settings.event_keyword_weight + settings.event_date_weight
    return (settings.event_text_weight * (leads @ leads.T) + settings.event_keyword_weight * overlap
            + settings.event_date_weight * closeness) / total


def _join_average_link(links: np.ndarray, sizes: np.ndarray, a: int, b: int) -> None:
    """Merge cluster b into a in place: the Lance-Williams update keeps average links in one matrix."""
    merged = (sizes[a] * links[a] + sizes[b] * links[b]) / (sizes[a] + sizes[b])
    links[a, :] = merged
    links[:, a] = merged
    links[a, a] = -np.inf
    links[b, :] = -np.inf
    links[:, b] = -np.inf
    sizes[a] += sizes[b]


EVENT_SEED_ROWS = 300
"""Agglomeration costs the cube of its rows: past this many articles in one story, the first ones (in
processing order) form the events and each later article joins the event it links to best on average."""


def event_clusters(similarity: np.ndarray, settings: StorySettings) -> list[list[int]]:
    """Average-link agglomeration; the cut sits between two absolute bounds, at the story's mean similarity."""
    similarity = np.asarray(similarity, dtype=np.float64)
    n = len(similarity)
    if n < 2:
        return [list(range(n))]
    if n > EVENT_SEED_ROWS:
        seeds = event_clusters(similarity[:EVENT_SEED_ROWS, :EVENT_SEED_ROWS], settings)
        links = np.stack([similarity[EVENT_SEED_ROWS:, members].mean(axis=1) for members in seeds], axis=1)
        for row, best in enumerate(links.argmax(axis=1), start=EVENT_SEED_ROWS):
            seeds[int(best)].append(row)
        return sorted(seeds)
    off_diagonal = similarity[~np.eye(n, dtype=bool)]
    cut = float(np.clip(off_diagonal.mean(), settings.event_different, settings.event_same))
    # Lance-Williams update keeps cluster-to-cluster average links in one matrix.
    links = similarity.copy()
    np.fill_diagonal(links, -np.inf)
    sizes = np.ones(n)
    clusters: dict[int, list[int]] = {i: [i] for i in range(n)}
    while len(clusters) > 1:
        flat = int(np.argmax(links))
        a, b = divmod(flat, n)
        if links[a, b] < cut:
            break
        a, b = min(a, b), max(a, b)
        _join_average_link(links, sizes, a, b)
        clusters[a] = sorted(clusters[a] + clusters.pop(b))
    return sorted(clusters.values())


def _lead_vector(doc: Prepared, count: int) -> np.ndarray:
    chosen = _content_sentence_indices(doc)[:count]
    if not chosen or len(doc.sentence_vectors) == 0:
        return _unit(doc.vector)
    return _unit(doc.sentence_vectors[chosen].mean(axis=0))


def _lead_line_count(doc: Prepared, count: int) -> int:
    """How many of ``_lines_of(doc)`` cover the headline and the first ``count`` content sentences."""
    chosen = _content_sentence_indices(doc)[:count]
    last_sentence = chosen[-1] + 1 if chosen else min(len(doc.sentences), count)
    return last_sentence + (1 if doc.article.title else 0)
