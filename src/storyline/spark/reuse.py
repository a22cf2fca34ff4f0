"""The reuse stage on Spark: corpus-wide near-duplicates by band-wise shuffles, then the stage's own
relation search per time window (see :mod:`storyline.spark.engine` for how the stages are split)."""

from __future__ import annotations

from itertools import combinations
from typing import Any, Iterable

import numpy as np

from .. import reuse as reuse_stage
from .. import stories as stories_stage
from ..fingerprint import NUM_PERM
from ..model import Prepared, Relation, text_hash
from ..similarity import estimated_jaccard, lsh_bands, signature_band_keys
from ..stories import UNDATED
from .per_story import _for_entities
from .settings import SparkSettings, persisted

# Longest run of label-propagation rounds; each round at least halves nothing in the worst
# case (a path), so a component longer than this keeps a larger label and a warning is logged.
MAX_PROPAGATION_ROUNDS = 64


# --- near-duplicates ---------------------------------------------------------------------------


def lsh_candidate_pairs(signatures: Any, threshold: float = reuse_stage.ReuseSettings().candidate_jaccard) -> Any:
    """RDD[(a, b)] with a < b: articles sharing all values of at least one band.

    One shuffle keyed by (band, the band's bucket key): the buckets of the reuse
    stage's in-memory LSH (``similarity.signature_band_keys``), with the bands and rows
    derived from the same threshold.
    """
    bands, rows = lsh_bands(threshold, NUM_PERM)

    def band_keys(item: tuple[str, np.ndarray]) -> list[tuple[tuple[int, int], str]]:
        article, signature = item
        keys = signature_band_keys(np.asarray(signature, dtype=np.uint32), bands, rows)
        return [((band, key), article) for band, key in enumerate(keys)]

    def bucket_pairs(bucket: tuple[Any, Iterable[str]]) -> list[tuple[str, str]]:
        return list(combinations(sorted(set(bucket[1])), 2))

    return signatures.flatMap(band_keys).groupByKey().flatMap(bucket_pairs).distinct()


def verify_near_duplicates(pairs: Any, signatures: Any, threshold: float) -> Any:
    """RDD[(a, b, jaccard)]: candidate pairs whose estimated Jaccard reaches ``threshold``."""
    joined = (pairs.join(signatures)  # (a, (b, sig_a))
              .map(lambda kv: (kv[1][0], (kv[0], kv[1][1])))
              .join(signatures))  # (b, ((a, sig_a), sig_b))
    scored = joined.map(lambda kv: (kv[1][0][0], kv[0], estimated_jaccard(kv[1][0][1], kv[1][1])))
    return scored.filter(lambda t: t[2] >= threshold)


def connected_components(edges: Any) -> Any:
    """RDD[(article, group)]: the smallest article id of each connected component, by label propagation.

    Each round every node takes the smallest label among itself and its neighbours;
    rounds stop when no label changes. Only articles with an edge appear.
    """
    undirected = persisted(edges.flatMap(lambda e: [(e[0], e[1]), (e[1], e[0])]).distinct())
    # Fixed partition counts: a union adds its inputs' partitions up, round after round.
    parts = max(1, undirected.getNumPartitions())
    labels = persisted(undirected.map(lambda e: (e[0], e[0])).distinct(parts))
    for _ in range(MAX_PROPAGATION_ROUNDS):
        # A neighbour's label travels along each edge; every node keeps the smallest it sees.
        proposals = undirected.join(labels, parts).map(lambda kv: (kv[1][0], kv[1][1]))
        updated = persisted(labels.union(proposals).reduceByKey(min, parts))
        changed = updated.join(labels, parts).filter(lambda kv: kv[1][0] != kv[1][1]).count()
        labels.unpersist()
        labels = updated
        if changed == 0:
            break
    return labels


# --- reuse ---------------------------------------------------------------------------------------


def find_relations(articles: Any, near_duplicates: Any, settings: SparkSettings) -> Any:
    """RDD[Relation]: ``reuse.find_relations`` per time window, as the incremental runner calls it.

    Articles are keyed by window (``settings.reuse_window()`` days; undated ones in
    a window of their own). Window k's task is ``find_relations(new=window k,
    existing=window k-1 + the undated articles)``, and the undated window's task
    relates the undated among themselves: exactly how the embedded runner relates a
    new batch to what the store holds, so the reuse stage's own candidate search
    (LSH, nearest embeddings, shared names, its per-article limits) runs unchanged.
    Undated articles are copied into every window's task: cheap while they are few
    (news archives date nearly everything). Dated pairs further apart than one
    window are not compared, except near-duplicates (found corpus-wide by band-wise
    shuffles), which go to ``reuse.relation_between``.
    """
    length = settings.reuse_window()
    reuse_settings = settings.reuse_settings
    windows = articles.map(lambda p: (p.id, _window(p, length)))
    dated = sorted(windows.values().filter(lambda w: w != UNDATED).distinct().collect())
    single = len(dated) <= 1
    only = dated[0] if dated else UNDATED
    window_of = persisted(windows.mapValues(lambda w: only) if single else windows)

    def roles(item: tuple[str, tuple[int, Prepared]]) -> list[tuple[int, tuple[bool, Prepared]]]:
        # An article is "new" in its window's task and "existing" in the next window's task; an
        # undated one is "existing" in every dated window's task, so it meets every article once.
        _, (window, prepared) = item
        if window == UNDATED:
            return [(UNDATED, (True, prepared))] + [(w, (False, prepared)) for w in dated]
        return [(window, (True, prepared))] + ([(window + 1, (False, prepared))] if window + 1 in dated else [])

    tasks = window_of.join(articles.map(lambda p: (p.id, p))).flatMap(roles).groupByKey()

    def relate(item: tuple[int, Iterable[tuple[bool, Prepared]]]) -> list[Relation]:
        _, members = item
        members = sorted(members, key=lambda t: t[1].id)
        new = [p for is_new, p in members if is_new]
        existing = [p for is_new, p in members if not is_new]
        return reuse_stage.find_relations(new, existing, settings=reuse_settings)

    found = tasks.flatMap(relate)
    if single:
        return found
    # Near-duplicates in windows no task put together: compared pair by pair.
    apart = (near_duplicates.map(lambda t: (t[0], t[1])).join(window_of)
             .map(lambda kv: (kv[1][0], (kv[0], kv[1][1]))).join(window_of)
             .filter(lambda kv: _far_apart(kv[1][0][1], kv[1][1]))
             .map(lambda kv: (kv[1][0][0], kv[0])))
    return found.union(relations_for_pairs(apart, articles, reuse_settings))


def _window(prepared: Prepared, length: int) -> int:
    day = stories_stage.day_ordinal(prepared.article.published)
    return UNDATED if day is None else day // length


def _far_apart(first: int, second: int) -> bool:
    # Undated articles meet every window in its own task.
    return first != UNDATED and second != UNDATED and abs(first - second) > 1


def relations_for_pairs(pairs: Any, articles: Any, settings: reuse_stage.ReuseSettings | None = None) -> Any:
    """RDD[Relation]: ``reuse.relation_between`` on each pair that is really linked."""
    by_id = articles.map(lambda p: (p.id, p))
    joined = (pairs.join(by_id)  # (a, (b, prepared_a))
              .map(lambda kv: (kv[1][0], kv[1][1]))
              .join(by_id))  # (b, (prepared_a, prepared_b))
    return (joined.map(lambda kv: reuse_stage.relation_between(kv[1][0], kv[1][1], settings))
            .filter(lambda relation: relation is not None))


def with_identical_texts(found: Any, articles: Any) -> Any:
    """The reuse stage's identical-text rule: ``reuse.identical_texts`` on each group of one text (the
    whole corpus new, as in one embedded run), merged pair by pair with ``reuse.with_identical_texts``."""
    identical = (articles.map(lambda p: (text_hash(p.article.text), _for_entities(p))).groupByKey()
                 .flatMap(lambda kv: reuse_stage.identical_texts(sorted(kv[1], key=lambda p: p.id))))
    return (found.keyBy(lambda r: (r.a, r.b)).cogroup(identical.keyBy(lambda r: (r.a, r.b)))
            .flatMap(lambda kv: reuse_stage.with_identical_texts(list(kv[1][0]), list(kv[1][1]))))
