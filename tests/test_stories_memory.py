"""How the stories stage holds its data: the same stories, less of the corpus held at once."""

from __future__ import annotations

import gc
import weakref
from dataclasses import replace

import numpy as np

from storyline.stories import StorySettings, StorySignals, cluster_blocks
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
