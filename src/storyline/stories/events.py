"""Events inside a story: average-link clustering of what each article's lead says."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..model import Event, Prepared, SentenceVectors, stable_id
from .features import (
    article_order_key,
    _content_sentence_indices,
    _specific_terms,
    _tfidf,
    _unit,
    day_ordinal,
)
from .settings import StorySettings
from .signals import UNDATED, with_sentence_vectors
from .titles import _title


def _events(member_docs: list[Prepared], derived: Mapping[str, str], settings: StorySettings,
            names: frozenset[str], sentence_vectors: SentenceVectors | None = None) -> list[Event]:
    if len(member_docs) > 1:
        # The leads' sentence vectors, read for this story only when the records come without them.
        clusters = _event_clusters_of(with_sentence_vectors(member_docs, sentence_vectors), settings, names)
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


def _event_clusters_of(member_docs: list[Prepared], settings: StorySettings,
                       names: frozenset[str]) -> list[list[int]]:
    """The story's events from what each article's lead says: wording, specific terms, day."""
    leads = np.stack([_lead_vector(doc, settings.lead_sentences) for doc in member_docs])
    lead_terms = _tfidf([_specific_terms(doc, names, _lead_line_count(doc, settings.lead_sentences))
                         for doc in member_docs])
    days = np.array([day_ordinal(doc.article.published) or UNDATED for doc in member_docs], dtype=np.int64)
    return event_clusters_in_blocks(leads, lead_terms, days, settings)


def event_clusters_in_blocks(leads: np.ndarray, lead_terms: Sequence[Mapping[str, float]], days: np.ndarray,
                             settings: StorySettings) -> list[list[int]]:
    """``event_clusters`` without the story's whole similarity matrix, which grows with the square of its size.

    Up to ``EVENT_SEED_ROWS`` articles the matrix is small and is built whole. Past it only the seed
    rows are compared with each other, and every later article with the seeds, a block of rows at a
    time against the seeds' terms alone (a term no seed has adds nothing to a similarity with a seed):
    the clusters are those ``event_clusters`` finds on the whole matrix, at a cost linear in the size.
    """
    n = len(lead_terms)
    seed_count = min(n, EVENT_SEED_ROWS)
    vocabulary = {term: i for i, term in enumerate(sorted({t for row in lead_terms[:seed_count] for t in row}))}
    seed_terms = _terms_matrix(lead_terms[:seed_count], vocabulary)
    seed_leads, seed_days = leads[:seed_count], days[:seed_count]
    seeds = event_clusters(event_similarity(seed_leads, seed_terms, seed_days, settings), settings)
    seed_members = [np.array(members) for members in seeds]  # later articles join events, never seed them
    for start in range(seed_count, n, _REST_BLOCK_ROWS):
        stop = min(n, start + _REST_BLOCK_ROWS)
        to_seeds = event_similarity_between(leads[start:stop], _terms_matrix(lead_terms[start:stop], vocabulary),
                                            days[start:stop], seed_leads, seed_terms, seed_days, settings)
        links = np.stack([to_seeds[:, members].mean(axis=1) for members in seed_members], axis=1)
        for row, best in enumerate(links.argmax(axis=1), start=start):
            seeds[int(best)].append(row)
    return sorted(seeds)


_REST_BLOCK_ROWS = 2048


def _terms_matrix(rows: Sequence[Mapping[str, float]], vocabulary: Mapping[str, int]) -> np.ndarray:
    """Rows of term weights as a dense matrix over ``vocabulary``; terms outside it are left out."""
    matrix = np.zeros((len(rows), len(vocabulary)), dtype=np.float32)
    for row, weights in enumerate(rows):
        for term, weight in weights.items():
            column = vocabulary.get(term)
            if column is not None:
                matrix[row, column] = weight
    return matrix


def event_similarity(leads: np.ndarray, lead_terms: np.ndarray, days: np.ndarray,
                     settings: StorySettings) -> np.ndarray:
    """Pairwise similarity of a story's articles from unit lead embeddings, unit lead-term rows and day ordinals."""
    return event_similarity_between(leads, lead_terms, days, leads, lead_terms, days, settings)


def event_similarity_between(leads: np.ndarray, lead_terms: np.ndarray, days: np.ndarray,
                             other_leads: np.ndarray, other_terms: np.ndarray, other_days: np.ndarray,
                             settings: StorySettings) -> np.ndarray:
    """Similarity of each article of one set to each of another (rows to columns), as ``event_similarity``."""
    overlap = lead_terms @ other_terms.T
    known, other_known = days != UNDATED, other_days != UNDATED
    ordinals = np.where(known, days, 0).astype(np.float64)
    other_ordinals = np.where(other_known, other_days, 0).astype(np.float64)
    closeness = np.exp(-np.abs(ordinals[:, None] - other_ordinals[None, :]) / settings.event_date_scale_days)
    closeness[~(known[:, None] & other_known[None, :])] = 0.5  # unknown dates neither join nor split
    total = settings.event_text_weight + settings.event_keyword_weight + settings.event_date_weight
    return (settings.event_text_weight * (leads @ other_leads.T) + settings.event_keyword_weight * overlap
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
    return _unit(doc.sentence_vectors[chosen].astype(np.float32).mean(axis=0))  # float16 as stored: see signals


def _lead_line_count(doc: Prepared, count: int) -> int:
    """How many of ``_lines_of(doc)`` cover the headline and the first ``count`` content sentences."""
    chosen = _content_sentence_indices(doc)[:count]
    last_sentence = chosen[-1] + 1 if chosen else min(len(doc.sentences), count)
    return last_sentence + (1 if doc.article.title else 0)
