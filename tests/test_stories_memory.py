"""How the stories stage holds its data: the same stories, less of the corpus held at once."""

from __future__ import annotations

import gc
import json
import weakref
from dataclasses import replace

import numpy as np

from conftest import FIXTURES, make_articles
from storyline.boilerplate import site_of
from storyline.model import Passage, Prepared, RawDocument, Relation
from storyline.prepare import prepare
from storyline.reuse import relate
from storyline.store import open_store
from storyline.stories import StorySettings, StorySignals, cluster_blocks, cluster_stories
from storyline.stories.features import article_order_key, term_statistics
from storyline.stories.incremental import build_stories, remember
from storyline.stories.signals import story_signals
from storyline.stories.windows import fold_blocks


class _TrackedSignals(StorySignals):
    """Signals whose blocks (``take``) are watched: each new block checks that the earlier ones were freed."""

    blocks: list[weakref.ref]  # set on the instance: every block taken so far
    alive_at_take: list[int]  # per block taken, how many earlier blocks were still alive

    def take(self, rows: np.ndarray) -> StorySignals:
        gc.collect()
        self.alive_at_take.append(sum(1 for ref in self.blocks if ref() is not None))
        block = StorySignals.take(self, rows)
        self.blocks.append(weakref.ref(block))
        return block


def _dated_signals(days: list[int]) -> StorySignals:
    """One article a day, each with its own term and direction: rows spread over several calendar blocks."""
    n = len(days)
    vectors = np.eye(n, 8 * n, dtype=np.float32)
    day = np.array(days, dtype=np.int64)
    return StorySignals(np.array([f"a{i:03d}" for i in range(n)]), vectors, np.arange(n + 1, dtype=np.int64),
                        np.arange(1, n + 1, dtype=np.int64), np.ones(n, dtype=np.float32), day, day.copy(),
                        np.ones(n, dtype=np.int64), np.arange(n, dtype=np.int64))


def test_cluster_blocks_holds_one_block_at_a_time():
    settings = StorySettings()
    days = [738_000 + settings.partition_days * block + offset for block in range(4) for offset in (0, 3)] + [-1]
    plain = _dated_signals(days)
    tracked = _TrackedSignals(*(getattr(plain, name) for name in plain.__dataclass_fields__))
    tracked.blocks, tracked.alive_at_take = [], []
    result = cluster_blocks(tracked, settings)
    assert len(tracked.blocks) == 5  # four dated blocks and the undated one
    # A block is clustered and dropped before the next one is taken (a list of them all held every row twice).
    assert tracked.alive_at_take == [0, 0, 0, 0, 0]
    assert result.story_of.tolist() == cluster_blocks(plain, settings).story_of.tolist()


def test_fold_blocks_reads_a_generator_of_blocks_like_a_list():
    settings = StorySettings()
    signals = _dated_signals([738_000 + settings.partition_days * block for block in range(3)] + [-1])
    rows_of = [np.array([0]), np.array([1]), np.array([2]), np.array([3])]
    from_list = fold_blocks([signals.take(rows) for rows in rows_of], settings)
    from_generator = fold_blocks((signals.take(rows) for rows in rows_of), settings)
    assert from_generator.stories is not None and from_list.stories is not None
    assert from_generator.stories.story_of.tolist() == from_list.stories.story_of.tolist()
    assert from_generator.memo.stories_of == from_list.memo.stories_of
    assert from_generator.clustered == from_list.clustered == [True] * 4
    # The memo's hash reads every array's buffer: another weight is another block.
    changed = replace(signals, weights=signals.weights * 2)
    again = fold_blocks((changed.take(rows) for rows in rows_of), settings, from_list.memo)
    assert again.clustered == [True] * 4
    kept = fold_blocks((signals.take(rows) for rows in rows_of), settings, from_list.memo)
    assert kept.clustered == [False] * 4


# --- sentence vectors read as the stage needs them, relations without their passages ------------------

def _pages_and_stories(embedder) -> list[Prepared]:
    """A site's unrelated pages (their navigation lines are boilerplate: their rows average the other
    sentences) beside look-alike stories of several articles (whose events read their leads' vectors)."""
    rows = [row for name in ("boilerplate.json", "lookalikes.json")
            for row in json.loads((FIXTURES / "stories" / name).read_text(encoding="utf-8"))["articles"]]
    texts = {row["source"]: row["text"] for row in rows}
    metadata = {row["source"]: {k: row[k] for k in ("title", "outlet", "published") if k in row} for row in rows}
    return prepare(make_articles(texts, **metadata), embedder)


def test_stories_with_sentence_vectors_read_on_demand_equal_those_with_every_vector_held(embedder):
    docs = _pages_and_stories(embedder)
    relations = relate(docs, [])
    held = cluster_stories(docs, relations)
    by_id = {doc.id: doc for doc in docs}
    asked: list[list[str]] = []

    def read(ids):
        asked.append(list(ids))
        return {article: by_id[article].sentence_vectors for article in ids}

    bare = [replace(doc, sentence_vectors=doc.sentence_vectors[:0]) for doc in docs]
    assert cluster_stories(bare, relations, sentence_vectors=read) == held
    statistics = term_statistics(docs)
    with_boilerplate = {doc.id for doc in docs if site_of(doc.article)
                        and any(statistics.is_boilerplate(doc, s.text) for s in doc.sentences)}
    in_deep_stories = {article for story in held if len(story.articles) > 1 for article in story.articles}
    assert with_boilerplate and in_deep_stories  # the fixture reaches both readers
    # Only what is averaged is read: a page that leaves boilerplate out, the articles of a story of several.
    assert {article for ids in asked for article in ids} == with_boilerplate | in_deep_stories
    # Without the reader, the bare records give other rows: the reader is what keeps the stories the same.
    signals, _ = story_signals(sorted(bare, key=article_order_key), relations, statistics)
    expected, _ = story_signals(sorted(docs, key=article_order_key), relations, statistics)
    assert not np.array_equal(signals.vectors, expected.vectors)
    read_again, _ = story_signals(sorted(bare, key=article_order_key), relations, statistics, sentence_vectors=read)
    assert np.array_equal(read_again.vectors, expected.vectors)


def test_incremental_stories_read_vectors_on_demand_like_a_whole_run(embedder):
    docs = _pages_and_stories(embedder)
    relations = relate(docs, [])
    by_id = {doc.id: doc for doc in docs}
    bare = [replace(doc, sentence_vectors=doc.sentence_vectors[:0]) for doc in docs]

    def read(ids):
        return {article: by_id[article].sentence_vectors for article in ids}

    first = build_stories(bare[:-3], relations, [], None, sentence_vectors=read)
    memo = remember(StorySettings(), first.names, first.stories, relations, by_id, first.blocks)
    again = build_stories(bare, relations, first.stories, memo, sentence_vectors=read)
    assert again.stories == cluster_stories(docs, relations)


def test_relations_read_without_passages_keep_what_the_stories_read(tmp_path):
    with open_store(tmp_path / "store.db") as store:
        ids = sorted(store.ingest(RawDocument(source=f"{name}.txt", text=f"{name} text.", reader="text"))[1].id
                     for name in ("alpha", "beta"))
        passage = Passage((0, 5), (0, 4), 0.9)
        store.save_relations([], [Relation(ids[0], ids[1], "rewrite", "a->b", 0.8, ["same lead"], [passage])])
        [whole] = store.relations()
        [light] = store.relations(with_passages=False)
    assert whole.passages == [passage] and whole.evidence == ["same lead"]
    assert (light.a, light.b, light.kind, light.direction, light.score) == (ids[0], ids[1], "rewrite", "a->b", 0.8)
    assert light.passages == [] and light.evidence == []
