"""Candidate story pairs and row similarities, scored as the stream scores them (for the passes)."""

from __future__ import annotations

import numba
import numpy as np
from scipy import sparse

from .features import _YEAR_KEYS
from .settings import StorySettings
from .signals import StorySignals


@numba.njit(cache=True)
def _linked_story_pairs(indptr: np.ndarray, terms: np.ndarray, weights: np.ndarray, vectors: np.ndarray,
                        sizes: np.ndarray, first_day: np.ndarray, last_day: np.ndarray, n_terms: int, window: int,
                        text_weight: float, keyword_weight: float, threshold: float, text_floor: float,
                        posting_scan: int) -> np.ndarray:
    """(a, b, score) for stories a < b whose average link (as the stream scores it) reaches ``threshold``.

    Pairs are found through shared specific terms; terms held by more than
    ``posting_scan`` stories are skipped (they are in too many stories to tell any
    apart), so the work is bounded by the number of term postings times ``posting_scan``.
    """
    n = indptr.shape[0] - 1
    counts = np.zeros(n_terms + 1, dtype=np.int64)
    for p in range(terms.shape[0]):
        counts[terms[p] + 1] += 1
    starts = np.cumsum(counts)
    holders = np.empty(terms.shape[0], dtype=np.int64)
    held = np.empty(terms.shape[0])
    filled = starts[:-1].copy()
    for story in range(n):
        for p in range(indptr[story], indptr[story + 1]):
            holders[filled[terms[p]]] = story
            held[filled[terms[p]]] = weights[p]
            filled[terms[p]] += 1
    shared = np.zeros(n)
    seen_at = np.full(n, -1, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    found_a = []
    found_b = []
    found_score = []
    # The text part is at most text_weight: below this keyword part no pair can reach the threshold.
    keyword_needed = (threshold - text_weight) / keyword_weight if keyword_weight > 0 else 0.0
    for a in range(n):
        n_touched = 0
        for p in range(indptr[a], indptr[a + 1]):
            term = terms[p]
            if starts[term + 1] - starts[term] > posting_scan:
                continue
            for q in range(starts[term], starts[term + 1]):
                b = holders[q]
                if b <= a:
                    continue
                if seen_at[b] != a:
                    seen_at[b] = a
                    shared[b] = 0.0
                    touched[n_touched] = b
                    n_touched += 1
                shared[b] += weights[p] * held[q]
        for c in range(n_touched):
            b = touched[c]
            pairs = sizes[a] * sizes[b]
            keyword = shared[b] / pairs
            if keyword < keyword_needed:
                continue
            if first_day[a] >= 0 and first_day[b] >= 0 and (
                    last_day[a] < first_day[b] - window or last_day[b] < first_day[a] - window):
                continue
            text = np.dot(vectors[a], vectors[b]) / pairs
            score = text_weight * text + keyword_weight * keyword
            if text >= text_floor and score >= threshold:
                found_a.append(a)
                found_b.append(b)
                found_score.append(score)
    out = np.empty((len(found_a), 3))
    for i in range(len(found_a)):
        out[i, 0] = found_a[i]
        out[i, 1] = found_b[i]
        out[i, 2] = found_score[i]
    return out


def _row_similarity(signals: StorySignals, rows: np.ndarray, columns: np.ndarray,
                    settings: StorySettings, *, year_penalty: float = 0.0, content_share: float = 0.0) -> np.ndarray:
    """The stream's score (average link of embeddings and specific terms) between two sets of rows,
    less ``year_penalty`` times the year disagreement of rows that both name years. With ``content_share``,
    that share of the link is the rows' content-word cosine instead (their content part, see
    :meth:`StorySignals.part`), when they carry content words (``content_merge`` on): else the stream's score."""
    both = np.concatenate([rows, columns])
    taken = signals.take(both)
    part = taken.part(content=False)
    dense, keys = _dense(part, len(both))
    vectors = part.vectors.astype(np.float64)
    n = len(rows)
    pairs = np.outer(part.sizes[:n], part.sizes[n:]).astype(np.float64)
    similarity = (settings.text_weight * (vectors[:n] @ vectors[n:].T)
                  + settings.keyword_weight * (dense[:n] @ dense[n:].T)) / pairs
    if content_share > 0 and (taken.terms < 0).any():
        # Sparse: a story's rows hold some 64 content words each, nearly all their own (a dense matrix of a
        # 200-row sample is 200 x ~10,000 columns).
        content = taken.part(content=True)
        _, content_columns = np.unique(content.terms, return_inverse=True)
        matrix = sparse.csr_matrix((content.weights.astype(np.float64), content_columns.reshape(-1), content.indptr),
                                   shape=(len(both), int(content_columns.max(initial=-1)) + 1))
        cosines = (matrix[:n] @ matrix[n:].T).toarray() / pairs
        similarity = (1.0 - content_share) * similarity + content_share * cosines
    if year_penalty > 0 and dense.shape[1]:
        years = dense[:, np.isin(keys, _YEAR_KEYS)]
        norms = np.linalg.norm(years, axis=1)
        named = norms > 0
        years[named] /= norms[named, None]
        disagreement = (1.0 - years[:n] @ years[n:].T) * np.outer(named[:n], named[n:])
        similarity -= year_penalty * disagreement
    return similarity


def _dense(part: StorySignals, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows' term weights as a dense matrix (rows x distinct terms), and the term key of each column."""
    keys, term_index = np.unique(part.terms, return_inverse=True)
    dense = np.zeros((rows, len(keys)))
    row_of_entry = np.repeat(np.arange(rows), np.diff(part.indptr))
    np.add.at(dense, (row_of_entry, term_index.reshape(-1)), part.weights.astype(np.float64))
    return dense, keys
