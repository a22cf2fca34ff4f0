"""Events of a large story are found block by block, with the clusters of the whole similarity matrix."""

from __future__ import annotations

import numpy as np

from storyline.stories import (EVENT_SEED_ROWS, UNDATED, StorySettings, event_clusters, event_clusters_in_blocks,
                               event_similarity)


def _story(n: int, seed: int) -> tuple[np.ndarray, list[dict[str, float]], np.ndarray]:
    """``n`` articles on four developments: leads near one of four directions, terms drawn from its words."""
    rng = np.random.default_rng(seed)
    development = rng.integers(0, 4, n)
    directions = rng.normal(size=(4, 32))
    leads = directions[development] + 0.6 * rng.normal(size=(n, 32))
    leads = (leads / np.linalg.norm(leads, axis=1, keepdims=True)).astype(np.float32)
    lead_terms = []
    for d in development.tolist():
        words = {f"w{d}_{k}" for k in rng.integers(0, 12, 5).tolist()} | {f"x{k}" for k in rng.integers(0, 400, 3)}
        weight = 1 / np.sqrt(len(words))
        lead_terms.append({word: float(weight) for word in sorted(words)})
    days = np.where(rng.random(n) < 0.2, UNDATED, 20000 + 3 * development + rng.integers(0, 2, n)).astype(np.int64)
    return leads, lead_terms, days


def _whole_matrix_clusters(leads, lead_terms, days, settings) -> list[list[int]]:
    vocabulary = sorted({t for row in lead_terms for t in row})
    column = {t: i for i, t in enumerate(vocabulary)}
    dense = np.zeros((len(lead_terms), len(vocabulary)), dtype=np.float32)
    for row, weights in enumerate(lead_terms):
        for term, weight in weights.items():
            dense[row, column[term]] = weight
    return event_clusters(event_similarity(leads, dense, days, settings), settings)


def test_a_story_larger_than_the_seed_rows_gets_the_whole_matrix_clusters():
    settings = StorySettings()
    for n, seed in ((EVENT_SEED_ROWS + 1, 1), (EVENT_SEED_ROWS + 2500, 2)):
        leads, lead_terms, days = _story(n, seed)
        blocks = event_clusters_in_blocks(leads, lead_terms, days, settings)
        assert blocks == _whole_matrix_clusters(leads, lead_terms, days, settings)
        assert sorted(i for cluster in blocks for i in cluster) == list(range(n))
        assert len(blocks) > 1


def test_a_small_story_gets_the_whole_matrix_clusters():
    settings = StorySettings()
    for n, seed in ((2, 3), (40, 4), (EVENT_SEED_ROWS, 5)):
        leads, lead_terms, days = _story(n, seed)
        assert event_clusters_in_blocks(leads, lead_terms, days, settings) == _whole_matrix_clusters(
            leads, lead_terms, days, settings)
