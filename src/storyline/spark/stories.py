"""The stories stage on Spark: the embedded stage's block fold, one task per calendar block and per story
(see :mod:`storyline.spark.engine` for how the stages are split)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .. import stories as stories_stage
from ..model import Prepared, Relation, Story
from ..stories import UNDATED
from ..stories.features import article_order_key  # the stories stage's article order
from ..stories.statistics import neighbourhood_statistics
from .reuse import connected_components
from .settings import SparkSettings, persisted


# --- stories ------------------------------------------------------------------------------------


def cluster_stories(articles: Any, relations: Any, settings: SparkSettings) -> Any:
    """RDD[Story]: the embedded engine's stories, found as :func:`story_groups` says."""
    return story_groups(articles, relations, settings).map(lambda group: group[0])


def story_groups(articles: Any, relations: Any, settings: SparkSettings) -> Any:
    """RDD[(Story, its articles, the relations among them)]: ``stories.cluster_stories``, block by block.

    The embedded stage clusters calendar blocks one by one (``stories.fold_blocks``);
    here each block is a task and the fold runs at the driver:

    1. Term statistics: ``stories.term_statistics`` per partition, added up with
       ``TermStatistics.merged`` and broadcast (the per-site line counts and name forms),
       and per block, so every block weighs terms by its neighbourhood's counts
       (``stories.statistics``), as the embedded stage does.
    2. Units: articles joined by derivation relations (any kind but ``related``),
       found corpus-wide by :func:`connected_components`; a unit belongs to the block
       of its first day (``stories.window_of``), undated units to the undated block.
    3. Per block: ``stories.story_signals`` on the block's units (the rows
       ``stories.group_blocks`` gives that block, in the same order), then
       ``stories.cluster_window``. Only the block's ``WindowStories`` goes to the driver.
    4. At the driver: the blocks folded left in time order, the undated block last,
       with ``stories.fold_across_borders``: the embedded stage's fold.
    5. Per story: ``stories.story_from_members`` on its articles and relations.

    The groups are cached: the per-story stage reads them without another shuffle.
    """
    story_settings = settings.story_settings
    context = articles.context
    # 1. term statistics
    statistics = context.broadcast(corpus_term_statistics(articles))
    names = context.broadcast(statistics.value.name_forms())
    # 2. units, keyed by block
    units = derivation_units(articles, relations, story_settings)
    by_block = (articles.map(lambda p: (p.id, _for_signals(p))).leftOuterJoin(units)
                .map(lambda kv: _keyed_by_block(kv[1][0], kv[1][1], story_settings)).groupByKey())
    # 3. per block
    # Each block's rows are weighed by the counts of its neighbourhood of blocks (stories.statistics).
    own = context.broadcast(dict(by_block.mapValues(
        lambda members: stories_stage.term_statistics([p for _, p in members], story_settings)).collect()))
    blocks = persisted(by_block.map(lambda item: _cluster_block(
        item[0], item[1], neighbourhood_statistics(item[0], own.value, statistics.value), story_settings)))
    # 4. the fold
    story_numbers = context.broadcast(fold_blocks(blocks.map(lambda t: (t[0], t[1])).collect(), story_settings))
    # 5. per story
    story_of = blocks.flatMap(lambda t: [(article, int(story_numbers.value[t[0]][row]))
                                         for row, unit in enumerate(t[2]) for article in unit])
    docs = articles.map(lambda p: (p.id, p)).join(story_of).map(lambda kv: (kv[1][1], kv[1][0]))
    inside = relations_inside(relations, story_of)
    return persisted(docs.cogroup(inside).map(lambda kv: _built_story(kv[1][0], kv[1][1], story_settings, names.value)))


def corpus_term_statistics(articles: Any, batch: int = 2000) -> stories_stage.TermStatistics:
    """``stories.term_statistics`` over every article: counted per batch within each partition, then added up."""

    def count(partition: Iterator[Prepared]) -> Iterator[stories_stage.TermStatistics]:
        total = stories_stage.TermStatistics()
        pending: list[Prepared] = []
        for prepared in partition:
            pending.append(prepared)
            if len(pending) == batch:
                total = total.merged(stories_stage.term_statistics(pending))
                pending = []
        yield total.merged(stories_stage.term_statistics(pending))

    def add(x: stories_stage.TermStatistics, y: stories_stage.TermStatistics) -> stories_stage.TermStatistics:
        return x.merged(y)

    # Counts are integers: the order partitions are added in does not change the sums.
    return articles.mapPartitions(count).treeAggregate(stories_stage.TermStatistics(), add, add, depth=2)


def derivation_units(articles: Any, relations: Any, story_settings: stories_stage.StorySettings) -> Any:
    """RDD[(article, (unit, block))] for articles a derivation relation joins to others.

    The unit is the smallest article id of its connected component; its block is that of
    the unit's first day (undated when no member has a day), as ``story_signals`` and
    ``window_of`` give it. Articles absent here are units of their own.
    """
    edges = relations.filter(lambda r: r.kind in story_settings.joining_kinds).map(lambda r: (r.a, r.b))
    if edges.isEmpty():
        # One cheap job instead of label propagation's rounds of shuffles over nothing.
        return articles.context.emptyRDD()
    unit_of = connected_components(edges)  # cached there
    days = articles.map(lambda p: (p.id, stories_stage.day_ordinal(p.article.published)))
    first_days = unit_of.join(days).map(lambda kv: kv[1]).reduceByKey(_earlier)  # (unit, first day)
    return (unit_of.map(lambda kv: (kv[1], kv[0])).join(first_days)
            .map(lambda kv: (kv[1][0], (kv[0], block_of(kv[1][1], story_settings)))))


def _earlier(first: int | None, second: int | None) -> int | None:
    if first is None or second is None:
        return second if first is None else first
    return min(first, second)


def block_of(day: int | None, story_settings: stories_stage.StorySettings) -> int:
    """The calendar block of a day ordinal (``stories.window_of``); ``UNDATED`` for an unknown day."""
    first_day = np.array([UNDATED if day is None else day], dtype=np.int64)
    return int(stories_stage.window_of(first_day, story_settings)[0])


def _for_signals(prepared: Prepared) -> Prepared:
    """The article without what story signals never read (sentence vectors, MinHash): far less to shuffle."""
    return replace(prepared, sentence_vectors=np.zeros((0, len(prepared.vector)), dtype=np.float32),
                   minhash=np.zeros(0, dtype=np.uint32))


def _keyed_by_block(prepared: Prepared, unit: tuple[str, int] | None,
                    story_settings: stories_stage.StorySettings) -> tuple[int, tuple[str, Prepared]]:
    if unit is None:
        day = stories_stage.day_ordinal(prepared.article.published)
        return block_of(day, story_settings), (prepared.id, prepared)
    label, block = unit
    return block, (label, prepared)


def _cluster_block(block: int, members: Iterable[tuple[str, Prepared]], statistics: stories_stage.TermStatistics,
                   story_settings: stories_stage.StorySettings
                   ) -> tuple[int, stories_stage.WindowStories, list[list[str]]]:
    """The block's stories (``story_signals`` then ``cluster_window``) and the articles of each unit row."""
    members = list(members)
    docs = sorted((prepared for _, prepared in members), key=article_order_key)
    # story_signals joins a unit's articles through derivation relations. A chain through
    # each unit's members has the same components: the relations themselves need not travel.
    by_unit: dict[str, list[str]] = {}
    for unit, prepared in members:
        by_unit.setdefault(unit, []).append(prepared.id)
    chains = [Relation(a, b, "duplicate") for ids in by_unit.values()
              for a, b in zip(sorted(ids), sorted(ids)[1:])]
    signals, unit_members = stories_stage.story_signals(docs, chains, statistics, story_settings)
    window = stories_stage.cluster_window(signals, story_settings)
    return block, window, [[docs[i].id for i in unit] for unit in unit_members]


def fold_blocks(windows: Sequence[tuple[int, stories_stage.WindowStories]],
                story_settings: stories_stage.StorySettings) -> dict[int, np.ndarray]:
    """Each block's story number per unit row: the blocks folded left in time order, the undated block last.

    The embedded stage's fold (``stories.fold_across_borders``), on the blocks' ``WindowStories``. Story
    numbers are the fold's own (they only say which rows share a story).
    """
    by_block = dict(windows)
    sizes = [(block, len(by_block[block].ids)) for block in stories_stage.in_fold_order(by_block)]
    result = stories_stage.fold_across_borders((by_block[block] for block, _ in sizes), story_settings)
    numbers: dict[int, np.ndarray] = {}
    start = 0
    for block, size in sizes:
        assert result is not None
        numbers[block] = result.story_of[start:start + size].copy()
        start += size
    return numbers


def relations_inside(relations: Any, group_of: Any) -> Any:
    """RDD[(group, Relation)]: relations whose two articles are in one group (``group_of``: (article, group))."""
    return (relations.keyBy(lambda r: r.a).join(group_of)
            .map(lambda kv: (kv[1][0].b, (kv[1][1], kv[1][0]))).join(group_of)
            .filter(lambda kv: kv[1][0][0] == kv[1][1])
            .map(lambda kv: (kv[1][1], kv[1][0][1])))


def _built_story(docs: Iterable[Prepared], relations: Iterable[Relation], story_settings: stories_stage.StorySettings,
                 names: frozenset[str]) -> tuple[Story, list[Prepared], list[Relation]]:
    docs = sorted(docs, key=lambda prepared: prepared.id)
    relations = sorted(relations, key=lambda r: (r.a, r.b))
    return stories_stage.story_from_members(docs, relations, story_settings, names), docs, relations
