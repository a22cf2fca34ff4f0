"""The grouping counts its statistics per calendar block: adding articles clusters again only their blocks,
and the result is a whole run's whatever the batches and their order."""

import json
import random
from dataclasses import dataclass, replace

import pytest

from storyline.embedders import load_embedder
from storyline.graph import count_independent
from storyline.model import Relation
from storyline.prepare import prepare
from storyline.reuse import relate
from storyline.stories import StorySettings, cluster_stories
from storyline.stories.features import article_order_key, term_statistics
from storyline.stories.incremental import build_stories, remember
from storyline.stories.signals import UNDATED
from storyline.stories.stage import partition_articles
from storyline.stories.statistics import (NEIGHBOUR_BLOCKS, BlockMemo, block_rows, group_blocks,
                                         neighbourhood_statistics, unit_blocks)

from conftest import FIXTURES, make_articles

ROWS = json.loads((FIXTURES / "stories" / "lookalikes.json").read_text(encoding="utf-8"))["articles"]
# A follow-up of the acquisition (June), written with the names the June articles write.
FOLLOW_UP = {
    "source": "deal-followup.txt", "published": "2024-06-12", "title": "Norvik closes Castellan purchase",
    "text": "Norvik Systems said on Wednesday it had completed its purchase of Castellan Robotics. "
            "Castellan shareholders approved the deal on Tuesday, Norvik said in a statement. "
            "The combined company will keep the Castellan name for its warehouse robots.",
}


@pytest.fixture(scope="module")
def prepared():
    rows = ROWS + [FOLLOW_UP]
    texts = {row["source"]: row["text"] for row in rows}
    metadata = {row["source"]: {"title": row["title"], "published": row["published"]} for row in rows}
    docs = prepare(make_articles(texts, **metadata), load_embedder("hashing"))
    return docs, relate(docs, [])


def _among(relations, docs):
    ids = {d.id for d in docs}
    return [r for r in relations if r.a in ids and r.b in ids]


def _ordered(docs):
    return sorted(docs, key=article_order_key)


@dataclass
class Arrival:
    """The store before the follow-up arrived, grouped, and the blocks once it has."""

    docs: list
    relations: list
    settings: StorySettings
    before: list  # the articles but the follow-up
    first: object  # group_blocks over ``before``: the last run
    blocks: dict  # unit_blocks over every article
    arrived_in: int  # the follow-up's block


@pytest.fixture(scope="module")
def arrival(prepared):
    docs, relations = prepared
    settings = StorySettings()
    later = [d for d in docs if d.article.source == "deal-followup.txt"]
    before = [d for d in docs if d not in later]
    ordered = _ordered(docs)
    blocks = unit_blocks(ordered, relations, settings)
    arrived_in = next(b for b, members in blocks.items() if any(ordered[i] in later for i in members))
    return Arrival(docs, relations, settings, before, group_blocks(_ordered(before), _among(relations, before), settings),
                   blocks, arrived_in)


def test_only_the_blocks_of_new_articles_are_clustered_again_and_equal_a_whole_run(arrival):
    docs, relations, settings, first, blocks = (arrival.docs, arrival.relations, arrival.settings, arrival.first,
                                                arrival.blocks)
    assert first.blocks_clustered == len(blocks) > 2 and first.blocks_kept == 0

    again = group_blocks(_ordered(docs), relations, settings, memo=first.memo)
    whole = group_blocks(_ordered(docs), relations, settings)

    # The follow-up's block and its neighbours are clustered again, every other block taken from the memo.
    touched = _near(blocks, arrival.arrived_in)
    assert 0 < len(touched) < len(blocks)
    assert (again.blocks_clustered, again.blocks_kept) == (len(touched), len(blocks) - len(touched))
    assert again.articles_clustered == sum(len(blocks[b]) for b in touched)
    assert (again.story_of.tolist(), again.unit_articles) == (whole.story_of.tolist(), whole.unit_articles)
    assert whole.blocks_clustered == len(blocks)


def test_added_articles_change_the_document_frequencies_of_their_block_only(arrival):
    docs, before, first, blocks = arrival.docs, arrival.before, arrival.first, arrival.blocks
    after = group_blocks(_ordered(docs), arrival.relations, arrival.settings, memo=first.memo)
    # The follow-up writes "Castellan" and "Norvik": the June articles' rows weigh them less now, so
    # the rows of the blocks near June are new (their kept stories would be stale); the others are as they were.
    near = _near(blocks, arrival.arrived_in)
    assert len(set(after.memo.stories_of) - set(first.memo.stories_of)) == len(near)
    assert len(set(after.memo.stories_of) & set(first.memo.stories_of)) == len(blocks) - len(near)
    # Without the follow-up's counts, the old deal articles would weigh "Castellan" as rarer than it is.
    deal = [d for d in before if d.article.source.startswith("deal-")]
    old_counts, new_counts = (_counts_of_block_holding(deal[0], corpus) for corpus in (before, docs))
    assert old_counts.idf("castellan") > new_counts.idf("castellan")


def test_an_arrival_gives_every_row_of_the_blocks_near_it_other_weights(arrival):
    """Why a block is clustered again whole (see stories.statistics): the document count is in every idf,
    so each row of the blocks near the new article is weighed anew, not only the rows that share its words."""
    before = block_rows(_ordered(arrival.before), _among(arrival.relations, arrival.before), arrival.settings)
    after = block_rows(_ordered(arrival.docs), arrival.relations, arrival.settings)
    rows_before = {rows.block: _row_weights(rows.signals) for rows in before.blocks}
    near = _near(arrival.blocks, arrival.arrived_in)
    for rows in after.blocks:
        weights = _row_weights(rows.signals)
        shared = set(weights) & set(rows_before.get(rows.block, {}))
        if rows.block in near:
            assert shared and all(weights[row] != rows_before[rows.block][row] for row in shared)
        else:
            assert weights == rows_before[rows.block]


def _row_weights(signals):
    """Per row (by its founding article): its terms and their weights."""
    return {signals.ids[i]: (signals.terms[signals.indptr[i]:signals.indptr[i + 1]].tolist(),
                             signals.weights[signals.indptr[i]:signals.indptr[i + 1]].tolist())
            for i in range(len(signals))}


def _near(blocks, block):
    """The blocks whose counts a new article of ``block`` changes: its neighbours, and the undated block
    (whose rows meet every story, so every article counts for them)."""
    return [b for b in blocks if b == UNDATED or abs(b - block) <= NEIGHBOUR_BLOCKS]


def _counts_of_block_holding(doc, corpus):
    """The counts the rows of ``doc``'s block are weighed by, in ``corpus``."""
    settings = StorySettings()
    ordered = _ordered(corpus)
    blocks = unit_blocks(ordered, [], settings)
    own = {b: term_statistics([ordered[i] for i in members], settings) for b, members in blocks.items()}
    block = next(b for b, members in blocks.items() if any(ordered[i].id == doc.id for i in members))
    return neighbourhood_statistics(block, own, term_statistics(ordered, settings))


def test_the_stories_stage_after_arrivals_equals_a_whole_run_whatever_the_batches(prepared):
    docs, relations = prepared
    settings = StorySettings()
    whole = cluster_stories(docs, relations, settings=settings)
    by_day = sorted(docs, key=lambda d: (d.article.published or "9999", d.id))
    for batches in ([by_day[:4], by_day[4:9], by_day[9:]], [by_day[::2], by_day[1::2]],
                    [list(reversed(by_day))[:6], list(reversed(by_day))[6:]], *_shuffled_batches(by_day, seeds=(1, 2))):
        seen, stories, memo = [], [], None
        for batch in batches:
            seen = seen + batch
            built = build_stories(seen, _among(relations, seen), stories, memo, settings)
            stories = built.stories
            memo = remember(settings, built.names, stories, _among(relations, seen), {d.id: d for d in seen},
                            built.blocks)
        assert stories == whole
        assert built.blocks_clustered + built.blocks_kept == len(unit_blocks(_ordered(docs), relations, settings))


def _shuffled_batches(docs, seeds):
    """The articles in a drawn order, cut into batches of drawn sizes: arrivals in no order of their days."""
    for seed in seeds:
        draw = random.Random(seed)
        order = draw.sample(docs, len(docs))
        cuts = sorted(draw.sample(range(1, len(order)), 3))
        yield [order[a:b] for a, b in zip([0, *cuts], [*cuts, len(order)])]


def test_a_memo_from_other_settings_or_damaged_is_not_used(prepared):
    docs, relations = prepared
    settings = StorySettings()
    first = group_blocks(_ordered(docs), relations, settings)
    other = replace(settings, join_threshold=settings.join_threshold + 0.05)
    assert group_blocks(_ordered(docs), relations, other, memo=first.memo).blocks_kept == 0
    damaged = BlockMemo({key: stories[:-1] for key, stories in first.memo.stories_of.items()})
    assert group_blocks(_ordered(docs), relations, settings, memo=damaged).blocks_kept == 0
    assert BlockMemo.from_json({"x": ["not a number"]}).stories_of == {}
    assert BlockMemo.from_json(None).stories_of == {}
    assert BlockMemo.from_json(first.memo.to_json()) == first.memo


def test_each_story_is_built_from_the_relations_inside_it_only(arrival):
    # Building handed every story every relation once (stories x relations: minutes at 10,000 articles).
    docs, settings = arrival.docs, arrival.settings
    partition = partition_articles(docs, arrival.relations, settings=settings)
    # A passage two stories share (a "related" relation joins no story): read by neither story.
    first, second = partition.groups[0][0].id, partition.groups[1][0].id
    relations = arrival.relations + [Relation(first, second, "related")]
    inside = partition.relations_inside(relations)
    crossing = [r for r in relations if not any({r.a, r.b} <= {d.id for d in members} for members in partition.groups)]
    assert len(crossing) == 1
    assert sum(len(found) for found in inside) == len(relations) - len(crossing)
    for members, found in zip(partition.groups, inside):
        ids = [d.id for d in members]
        assert all(r.a in ids and r.b in ids for r in found)
        assert count_independent(ids, found) == count_independent(ids, relations)
    assert cluster_stories(docs, relations, settings=settings) == build_stories(docs, relations, [], None, settings).stories
