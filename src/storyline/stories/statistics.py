"""Where the grouping counts its term statistics: per calendar block and its neighbours, so an article
weighs its terms by the articles it can be grouped with, and a new article moves the weights of a few
blocks only.

The grouping weighs terms by document frequencies and decides which words are names from how the
articles write them. Counted over the whole corpus, one new article moves every weight of every
article (the number of documents is in every idf), and no story can be shown unaffected without
grouping everything again. Counted over the article's calendar block (``StorySettings.partition_days``)
and the blocks next to it (:data:`NEIGHBOUR_BLOCKS`; the undated articles are one block, counted
alone), they are a function of those blocks' articles only: a block whose neighbourhood did not change
has the same rows, hence the same stories (:func:`cluster_window` is pure), and an incremental run
clusters again only the blocks whose rows changed (:func:`group_blocks` with the last run's
:class:`BlockMemo`, which keys each block's stories by a hash of its rows), equal to a whole run by
construction; the blocks are then folded across their borders as before (a pass over the blocks'
summed rows). Nothing depends on arrival order or on how the articles were batched: a block's counts
are those of the set of its neighbourhood's articles.

Boilerplate stays counted per site over the corpus (a line a site repeats on its pages): a new page
changes only its own site's counts, and only the blocks holding a page whose boilerplate lines changed
get other rows. The name forms the events read when stories are built are the corpus' (the blocks'
counts added up): building is bounded by :mod:`storyline.stories.incremental` already.

What stays linear in the corpus: every article is read to count its block's terms and weigh its row
(the rows' hashes need them), and the fold; what is bounded is the clustering of the blocks.

Why a block whose rows changed is clustered again whole, not only the rows near the new articles. A
new article in a block's neighbourhood raises the neighbourhood's document count N, and every idf is
``log((1 + N) / (1 + df)) + 1``: every term's weight moves, and after each row is scaled to unit
length every row holding two terms of different document frequencies has other weights. So no row
of such a block is the row the last run clustered, and no part of its clustering can be taken as it
was and still equal a whole run. Holding the weights fixed would not make the work local either:
the stream finds a row's candidates by reading each of its terms' posting chains, newest first, up
to ``posting_scan`` stories, and scores the ``candidate_stories`` best; the passes after it find
pairs through shared terms too. Rows that share a term can change each other's candidates, and in a
block nearly all rows are joined by shared terms (``bench_incremental.py`` prints the largest such
group per block; BENCHMARKS.md). The unit of exact reuse is therefore the block.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence

import numpy as np

from ..boilerplate import count_site_lines
from ..graph import independent_groups
from ..model import Prepared, Relation, SentenceVectors
from .assignment import window_of
from .features import TermStatistics, day_ordinal, term_statistics
from .settings import StorySettings
from .signals import UNDATED, StorySignals, joining, story_signals
from .windows import BlockMemo, fold_blocks, in_fold_order


NEIGHBOUR_BLOCKS = 1
"""A block's rows are weighed by the counts of the blocks this near on either side, and its own: the
blocks whose stories its stories may meet (``partition_days`` >= ``window_days``, so a story's
candidates lie in its block or the next one either side). Measured on gva-window, the labelled corpus
whose articles span several blocks (BENCHMARKS.md): the block alone lost 0.015 BCubed F1 against
corpus-wide counts, the block and the two before 0.002, the block and one either side none."""


def neighbourhood_statistics(block: int, own: dict[int, TermStatistics], corpus: TermStatistics) -> TermStatistics:
    """The counts a block's rows are weighed by: those of its neighbourhood's articles (the blocks next to it
    and the undated articles; the undated block's: every article), with the corpus' per-site line counts."""
    # Undated rows meet every story (the undated block is folded in last, against all of them), so they are
    # in every block's neighbourhood, and every block is in theirs.
    near = list(own) if block == UNDATED else [b for b in range(block - NEIGHBOUR_BLOCKS, block + NEIGHBOUR_BLOCKS + 1)
                                              if b in own and b != UNDATED] + ([UNDATED] if UNDATED in own else [])
    total = TermStatistics()
    for b in near:
        total = total.merged(own[b])
    total.site_lines = corpus.site_lines
    return total


def unit_blocks(ordered: Sequence[Prepared], relations: Sequence[Relation],
                settings: StorySettings) -> dict[int, list[int]]:
    """Block -> indices into ``ordered`` of its articles: a unit (articles a derivation joins) goes whole to
    the block of its first day, as :func:`cluster_blocks` places its row; undated units to ``UNDATED``."""
    ids = [doc.id for doc in ordered]
    index = {article: position for position, article in enumerate(ids)}
    blocks: dict[int, list[int]] = defaultdict(list)
    for group in independent_groups(ids, joining(relations, settings)):
        members = [index[article] for article in group]
        days = [d for d in (day_ordinal(ordered[i].article.published) for i in members) if d is not None]
        first = np.array([min(days) if days else UNDATED], dtype=np.int64)
        blocks[int(window_of(first, settings)[0])].extend(members)
    return {block: sorted(members) for block, members in blocks.items()}


@dataclass
class BlockRows:
    """One calendar block's rows, weighed by its neighbourhood's counts, and the articles of each row."""

    block: int
    signals: StorySignals
    unit_articles: list[list[int]]  # per row: the indices into ``ordered`` of its articles


@dataclass
class WeighedBlocks:
    blocks: Iterator[BlockRows]  # in :func:`in_fold_order`, each made as it is read (one block's rows held at a time)
    counts: dict[int, TermStatistics]  # per block: its own articles' counts


def block_rows(ordered: Sequence[Prepared], relations: Sequence[Relation], settings: StorySettings,
               corpus: Optional[TermStatistics] = None,
               sentence_vectors: Optional[SentenceVectors] = None) -> WeighedBlocks:
    """Step 1 of :func:`group_blocks`: every block's rows, weighed by its neighbourhood's counts
    (``corpus`` lends the per-site line counts; counted here when absent). The rows are made as the caller
    reads them, so the fold holds one block's at a time; ``sentence_vectors``: see
    :func:`~.signals.story_signals`."""
    blocks = unit_blocks(ordered, relations, settings)
    site_lines = corpus if corpus is not None else _site_lines_only(ordered, settings)
    own = {block: term_statistics([ordered[i] for i in members], settings) for block, members in blocks.items()}
    inside = _relations_by_block(ordered, blocks, joining(relations, settings))

    def weighed() -> Iterator[BlockRows]:
        for block in in_fold_order(blocks):
            members = blocks[block]
            statistics = neighbourhood_statistics(block, own, site_lines)
            signals, unit_members = story_signals([ordered[i] for i in members], inside[block], statistics, settings,
                                                  sentence_vectors)
            yield BlockRows(block, signals, [[members[i] for i in unit] for unit in unit_members])

    return WeighedBlocks(weighed(), own)


@dataclass
class BlockGrouping:
    """The grouping's result, row by row over the blocks, with the work it did."""

    story_of: np.ndarray  # per row (blocks in fold order, each block's rows in order): its story
    unit_articles: list[list[int]]  # per row: the indices into ``ordered`` of its articles
    names: frozenset[str]  # the corpus' name forms (the blocks' counts added up)
    memo: BlockMemo  # what the next run reuses
    blocks_clustered: int = 0
    blocks_kept: int = 0
    articles_clustered: int = 0  # articles in the blocks clustered again


def group_blocks(ordered: Sequence[Prepared], relations: Sequence[Relation], settings: StorySettings,
                 corpus: Optional[TermStatistics] = None, memo: Optional[BlockMemo] = None,
                 sentence_vectors: Optional[SentenceVectors] = None) -> BlockGrouping:
    """Steps 1-4 of the stage: each block's rows from its own counts, each block clustered (or taken
    from ``memo`` when its rows are those the memo holds), the blocks folded left in time order.

    ``corpus`` supplies the per-site line counts and, added up from the blocks when absent, the
    corpus' name forms; ``ordered`` is in :func:`article_order_key` order; ``sentence_vectors``: see
    :func:`~.signals.story_signals`.
    """
    rows = block_rows(ordered, relations, settings, corpus, sentence_vectors)
    grouping = BlockGrouping(np.zeros(0, dtype=np.int64), [], frozenset(), BlockMemo())
    articles_of_block: list[int] = []

    def signals_in_fold_order() -> Iterator[StorySignals]:
        for block in rows.blocks:
            grouping.unit_articles.extend(block.unit_articles)
            articles_of_block.append(sum(len(unit) for unit in block.unit_articles))
            yield block.signals

    grouping.names = corpus.name_forms() if corpus is not None else _added_up(list(rows.counts.values())).name_forms()
    folded = fold_blocks(signals_in_fold_order(), settings, memo)
    grouping.memo = folded.memo
    grouping.blocks_clustered = sum(folded.clustered)
    grouping.blocks_kept = len(folded.clustered) - grouping.blocks_clustered
    grouping.articles_clustered = sum(count for count, again in zip(articles_of_block, folded.clustered) if again)
    if folded.stories is not None:
        grouping.story_of = folded.stories.story_of
    return grouping


def _relations_by_block(ordered: Sequence[Prepared], blocks: dict[int, list[int]],
                        relations: Sequence[Relation]) -> dict[int, list[Relation]]:
    """Per block, the relations between two of its articles: the only ones its units are made of (a unit lies
    in one block), so each block reads its own, not every relation of the corpus."""
    block_of = {ordered[i].id: block for block, members in blocks.items() for i in members}
    inside: dict[int, list[Relation]] = {block: [] for block in blocks}
    for relation in relations:
        block = block_of.get(relation.a)
        if block is not None and block_of.get(relation.b) == block:
            inside[block].append(relation)
    return inside


def _site_lines_only(ordered: Sequence[Prepared], settings: StorySettings) -> TermStatistics:
    return TermStatistics(site_lines=count_site_lines(ordered))


def _added_up(counts: Sequence[TermStatistics]) -> TermStatistics:
    total = TermStatistics()
    for statistics in counts:
        total.capitalised.update(statistics.capitalised)
        total.lower.update(statistics.lower)
    return total
