"""Candidates, at most ``candidate_limit`` (a :class:`ReuseSettings` value) per article from each source, so a wire story
reprinted thousands of times never makes the work quadratic: MinHash LSH over
``Prepared.minhash`` (:mod:`storyline.similarity`, bands and rows derived from
``candidate_jaccard``) finds copies and excerpts, ranked by estimated Jaccard; nearest
neighbours of ``Prepared.vector`` find reworded and translated reuse, which shares few
shingles; shared names and numbers find translations from languages the embedding model
does not cover.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

import numpy as np
from scipy import sparse

from ..model import Prepared
from ..similarity import band_keys, buckets, estimated_jaccards, lsh_bands, with_words
from .profile import _anchors
from .settings import in_use

# Cells of an articles x corpus block computed at once (about 100-130 MB of working arrays).
_CELLS_AT_ONCE = 8_000_000


def _lsh_candidates(articles: Sequence[Prepared], new_count: int) -> set[tuple[int, int]]:
    """Index pairs (i < j, one of them among the first ``new_count``) sharing an LSH bucket.

    Each new article keeps its ``candidate_limit`` bucket-mates of highest
    estimated Jaccard, looking at no more than ``bucket_scan_limit`` members of
    any one bucket (its neighbours in the bucket's order), so the work grows
    linearly with the size of the biggest bucket, not with its square.
    """
    signatures = np.stack([np.asarray(p.minhash, dtype=np.uint32) for p in articles])
    has_words = with_words(signatures)
    bands, rows = lsh_bands(in_use().candidate_jaccard, signatures.shape[1])
    indices = np.flatnonzero(has_words)
    pairs: set[tuple[int, int]] = set()
    if len(indices) < 2 or not has_words[:new_count].any():
        return pairs
    mates: dict[int, set[int]] = defaultdict(set)
    half = in_use().bucket_scan_limit // 2
    for band in range(bands):
        for members in buckets(band_keys(signatures, band, 1, rows, has_words)[0], indices):
            if members[0] >= new_count:  # members ascend: the first is the smallest
                continue
            for position in np.flatnonzero(members < new_count).tolist():
                low = max(0, min(position - half, len(members) - in_use().bucket_scan_limit))
                mates[int(members[position])].update(members[low:low + in_use().bucket_scan_limit].tolist())
    for i, found in mates.items():
        found.discard(i)
        if not found:
            continue
        others = np.fromiter(found, dtype=np.int64, count=len(found))
        estimated = estimated_jaccards(signatures[others], signatures[i])
        keep = others[np.argsort(-estimated, kind="stable")[:in_use().candidate_limit]]
        pairs.update((min(i, j), max(i, j)) for j in keep.tolist())
    return pairs


def _embedding_candidates(articles: Sequence[Prepared], new_count: int) -> set[tuple[int, int]]:
    """Index pairs whose article vectors are close: each new article's nearest neighbours."""
    vectors = np.stack([np.asarray(p.vector, dtype=np.float32) for p in articles])
    pairs: set[tuple[int, int]] = set()
    # Rows of new articles compared at once, fewer as the corpus grows: each row is as long as the corpus
    # (its cosines, their negation and argpartition's indices: 16 bytes a cell), so a fixed count of
    # rows would make the stage's peak grow with the corpus. Each row's neighbours are its own.
    chunk = max(1, min(1024, _CELLS_AT_ONCE // len(articles)))
    for start in range(0, new_count, chunk):
        stop = min(start + chunk, new_count)
        cosine = vectors[start:stop] @ vectors.T
        cosine[np.arange(stop - start), np.arange(start, stop)] = -1.0
        keep = min(in_use().candidate_limit, cosine.shape[1])
        top = np.argpartition(-cosine, keep - 1, axis=1)[:, :keep]
        rows, cols = np.nonzero(np.take_along_axis(cosine, top, axis=1) >= in_use().candidate_cosine)
        for row, col in zip(rows.tolist(), top[rows, cols].tolist()):
            i = start + row
            pairs.add((min(i, col), max(i, col)))
    return pairs


def _anchor_candidates(articles: Sequence[Prepared], new_count: int) -> set[tuple[int, int]]:
    """Index pairs sharing many names and numbers: translations the embedding model cannot see.

    The shared counts of each new article with every other come from one sparse product of the
    article x anchor incidence (anchors in at most ``anchor_max_posting`` articles only), in chunks of
    new articles: no Python loop over postings, whose length grows with the corpus up to that cap.
    """
    settings = in_use()
    # Each article's distinct anchors as column numbers, not kept as sets of strings: those, for every
    # article at once, were 5-10 KB an article.
    vocabulary: dict[str, int] = {}
    sizes = np.zeros(len(articles), dtype=np.int64)
    column_parts: list[np.ndarray] = []
    for index, prepared in enumerate(articles):
        distinct = set(_anchors(prepared))
        sizes[index] = len(distinct)
        column_parts.append(np.fromiter((vocabulary.setdefault(anchor, len(vocabulary)) for anchor in distinct),
                                        dtype=np.int64, count=len(distinct)))
    pairs: set[tuple[int, int]] = set()
    if not vocabulary:
        return pairs
    rows = np.repeat(np.arange(len(articles), dtype=np.int64), sizes)
    columns_array = np.concatenate(column_parts)
    del column_parts
    postings = np.bincount(columns_array, minlength=len(vocabulary))
    informative = postings[columns_array] <= settings.anchor_max_posting
    incidence = sparse.csr_matrix(
        (np.ones(int(informative.sum()), dtype=np.int32), (rows[informative], columns_array[informative])),
        shape=(len(articles), len(vocabulary)))
    by_anchor = incidence.T.tocsr()
    # New articles taken at once up to 512, or fewer when their product could hold more than _CELLS_AT_ONCE
    # cells (each row's bound: the postings of its anchors, up to ``anchor_max_posting`` each; the rows of a
    # grown corpus are long): the product and its sorting would otherwise grow with the corpus.
    bounds = np.cumsum(incidence[:new_count] @ np.minimum(postings, settings.anchor_max_posting).astype(np.int64))
    start = 0
    while start < new_count:
        within = int(np.searchsorted(bounds, (bounds[start - 1] if start else 0) + _CELLS_AT_ONCE, side="right"))
        stop = min(max(within, start + 1), start + 512, new_count)
        shared = (incidence[start:stop] @ by_anchor).tocoo()
        i, j, count = shared.row.astype(np.int64) + start, shared.col.astype(np.int64), shared.data.astype(np.int64)
        smaller = np.minimum(sizes[i], sizes[j])
        score = count / np.maximum(smaller, 1)
        keep = (i != j) & (count >= settings.anchor_candidate_shared) & (score >= settings.anchor_candidate_dice)
        i, j, score = i[keep], j[keep], score[keep]
        # Per article, the best ``candidate_limit`` by share, then by index, as a sort of (-share, j) would take.
        order = np.lexsort((j, -score, i))
        i, j = i[order], j[order]
        first_of_row = np.searchsorted(i, i, side="left")
        chosen = np.arange(len(i)) - first_of_row < settings.candidate_limit
        pairs.update(zip(np.minimum(i, j)[chosen].tolist(), np.maximum(i, j)[chosen].tolist()))
        start = stop
    return pairs

