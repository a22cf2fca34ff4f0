"""Calendar blocks: each clustered on its own (stream, then passes), then folded left across their borders."""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

import numpy as np

from .assignment import StoryMembers, _aggregate, _stream, processing_order, window_of
from .passes import attach_fragments, merge_on_content, rejoin_parts, split_lookalikes
from .reassign import reassign_units
from .settings import StorySettings
from .signals import UNDATED, StorySignals


@dataclass
class WindowStories:
    """The stories of one time window (or of several, once merged across their borders).

    ``ids[i]`` is row i's founding article id (rows = the units or stories given
    to :func:`cluster_window`), ``story_of[i]`` its story's row in ``stories``;
    ``stories`` holds each story's summed signals, so windows merge without
    going back to the articles.
    """

    ids: np.ndarray
    story_of: np.ndarray
    stories: StorySignals


def cluster_window(signals: StorySignals, settings: StorySettings | None = None, *,
                   order: np.ndarray | None = None) -> WindowStories:
    """Cluster the rows of one time window into stories: a streaming pass, then a merge pass over its stories.

    Pure: the same rows give the same stories whatever their order in ``signals``
    (rows are processed in :func:`processing_order`; pass ``order`` only to
    measure how much another order would change).
    """
    settings = settings or StorySettings()
    if len(signals) == 0:
        return WindowStories(signals.ids, np.zeros(0, dtype=np.int64), signals)
    labels = _stream(signals, processing_order(signals) if order is None else np.asarray(order, np.int64), settings)
    stories = _aggregate(signals, labels)
    # Merge pass: the window's stories streamed through the same index, as rows (their units back the support check).
    merged = _stream(stories, processing_order(stories), settings, members=_members(signals, labels, settings))
    # Split test: average link lets shared setting terms glue two look-alike stories together.
    story_of = split_lookalikes(signals, merged[labels], settings)
    # Rejoin: parts the stream's order kept apart, where the split test would keep them together.
    story_of = rejoin_parts(signals, story_of, settings)
    # Fragment pass: stray articles of a larger story join it on a lower bar.
    stories = _aggregate(signals, story_of)
    if settings.fragment_size > 0:
        story_of = attach_fragments(stories, settings, _members(signals, story_of, settings))[story_of]
        stories = _aggregate(signals, story_of)
    # Content merge: one story told in different words, which names and embeddings left in parts.
    if settings.content_merge > 0:
        story_of = merge_on_content(signals, story_of, settings)
        # Re-assignment: a unit the stream put with the wrong look-alike early moves to the story it links to best.
        if settings.reassign_rounds > 0:
            story_of = reassign_units(signals, story_of, settings)
            # Stories the moves emptied of their strays may now link to their other parts.
            story_of = merge_on_content(signals, story_of, settings)
        stories = _aggregate(signals, story_of)
    return WindowStories(signals.ids, story_of, stories)


def _members(signals: StorySignals, labels: np.ndarray, settings: StorySettings) -> StoryMembers | None:
    """The units behind each story row, for the support check (None when it is off: nothing to read)."""
    return StoryMembers.grouped(signals, labels, settings) if settings.support_link > 0 else None


def merge_across_border(left: WindowStories, right: WindowStories,
                        settings: StorySettings | None = None) -> WindowStories:
    """Join the stories of two windows where they continue each other; ``left`` holds the earlier days.

    Only stories that could meet take part: those of ``left`` active within
    ``window_days`` of ``right``'s first day (all of them when ``right`` is
    undated) and those of ``right`` starting within ``window_days`` of
    ``left``'s last day. They are streamed together through the same index as
    in :func:`cluster_window`. Fold windows left in time order, the undated
    window last: ``merge_across_border(merge_across_border(w0, w1), w2)...``.
    """
    settings = settings or StorySettings()
    if len(left.stories) == 0:
        return right
    if len(right.stories) == 0:
        return left
    both = StorySignals.concatenate([left.stories, right.stories])
    n_left = len(left.stories)
    left_dated = left.stories.last_day[left.stories.last_day != UNDATED]
    right_dated = right.stories.first_day[right.stories.first_day != UNDATED]
    left_takes = left.stories.first_day == UNDATED
    right_takes = right.stories.first_day == UNDATED
    if len(right_dated):
        left_takes |= left.stories.last_day >= int(right_dated.min()) - settings.window_days
    else:
        left_takes[:] = True  # the undated window meets every story
    if len(left_dated):
        right_takes |= right.stories.first_day <= int(left_dated.max()) + settings.window_days
    else:
        right_takes[:] = True
    taking = np.concatenate([np.flatnonzero(left_takes), n_left + np.flatnonzero(right_takes)])
    order = taking[processing_order(both.take(taking))]
    labels = _stream(both, order, settings)
    if settings.fragment_size > 0 and not len(right_dated):
        # At the undated window's border, the fragment pass too: a dated stray article meets the undated
        # stories only here, and joins a larger one on the same lower bar as inside a window (without it,
        # an article whose date the text states stays alone). Between dated windows it is not run: the
        # stray articles there met their neighbours' stories inside a window already, and on gva-window
        # it cost precision (0.906 -> 0.891). Only the stories that took part are offered.
        involved = np.unique(labels[taking])
        attached = attach_fragments(_aggregate(both, labels).take(involved), settings)
        relabel = np.arange(int(labels.max()) + 1, dtype=np.int64)
        relabel[involved] = involved[_founders(attached)]
        # Numbered 0..n-1 again (in the stream's order): every label a story, no empty rows.
        labels = np.unique(relabel[labels], return_inverse=True)[1].reshape(-1).astype(np.int64)
    return WindowStories(np.concatenate([left.ids, right.ids]),
                         np.concatenate([labels[left.story_of], labels[n_left + right.story_of]]),
                         _aggregate(both, labels))


def _founders(labels: np.ndarray) -> np.ndarray:
    """Per row, the first row with its label: a row index that names the label's group."""
    first: dict[int, int] = {}
    return np.array([first.setdefault(int(label), row) for row, label in enumerate(labels.tolist())],
                    dtype=np.int64)


def in_fold_order(blocks: Iterable[int]) -> list[int]:
    """Calendar blocks in the order the fold takes them: time order, the undated block last."""
    return sorted(blocks, key=lambda block: (block == UNDATED, block))


def fold_across_borders(windows: Iterable[WindowStories], settings: StorySettings | None = None) -> WindowStories | None:
    """The blocks' stories folded left across their borders (``windows`` in :func:`in_fold_order`);
    None when there are none. The one fold: the embedded stage's and the Spark engine's driver's."""
    result: WindowStories | None = None
    for window in windows:
        result = window if result is None else merge_across_border(result, window, settings)
    return result


@dataclass
class BlockMemo:
    """What the last run clustered: per block, a hash of its rows and the story of each row.

    The hash covers everything :func:`cluster_window` reads (the rows' arrays and the settings),
    so a block with the same hash has the same stories: they are taken, not clustered again.
    """

    # rows' hash -> story of each row; held as 8-byte arrays, not lists of Python ints (36 MB at 1M rows, 8 as arrays)
    stories_of: dict[str, Sequence[int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, list[int]]:
        return {rows: list(stories) for rows, stories in self.stories_of.items()}

    @classmethod
    def from_json(cls, found: object) -> "BlockMemo":
        if not isinstance(found, dict):
            return cls()
        kept: dict[str, Sequence[int]] = {
            str(key): array("q", [int(v) for v in value]) for key, value in found.items()
            if isinstance(value, list) and all(isinstance(v, int) and v >= 0 for v in value)}
        return cls(kept)


@dataclass
class FoldedBlocks:
    """The blocks' rows (one after the other, in the order given) folded into stories, with the work done."""

    stories: WindowStories | None  # None when there were no blocks
    memo: BlockMemo  # each block's rows and stories, for the next run
    clustered: list[bool] = field(default_factory=list)  # per block: clustered again, not taken from the memo


def fold_blocks(blocks: Iterable[StorySignals], settings: StorySettings | None = None,
                memo: BlockMemo | None = None) -> FoldedBlocks:
    """What the stage runs: each block's rows clustered (:func:`cluster_window`), or taken from ``memo`` when
    they are the rows it holds, then the blocks folded left (:func:`fold_across_borders`); ``blocks`` in
    :func:`in_fold_order`. Each block is read once, as the fold reaches it: give them one at a time (a
    generator), and only one block's rows are held beside the stories folded so far."""
    settings = settings or StorySettings()
    key = settings_hash(settings)
    kept = memo.stories_of if memo is not None else {}
    folded = FoldedBlocks(None, BlockMemo())

    def clustered(signals: StorySignals) -> WindowStories:
        rows = rows_hash(signals, key)
        if rows in kept and len(kept[rows]) == len(signals):
            story_of = np.array(kept[rows], dtype=np.int64)
            window = WindowStories(signals.ids, story_of, _aggregate(signals, story_of))
            folded.clustered.append(False)
        else:
            window = cluster_window(signals, settings)
            folded.clustered.append(True)
        folded.memo.stories_of[rows] = array("q", np.ascontiguousarray(window.story_of, dtype=np.int64).tobytes())
        return window

    def one_at_a_time() -> Iterator[WindowStories]:
        for signals in blocks:
            window = clustered(signals)
            del signals  # the block's rows, before the next block is read
            yield window

    folded.stories = fold_across_borders(one_at_a_time(), settings)
    return folded


def cluster_blocks(signals: StorySignals, settings: StorySettings | None = None) -> WindowStories:
    """:func:`fold_blocks` on rows already weighed (each row to the block of its first day), in the caller's
    row order: the stage's clustering without its articles (the scale benchmark, tests)."""
    settings = settings or StorySettings()
    blocks = window_of(signals.first_day, settings)
    rows_of = [np.flatnonzero(blocks == block) for block in in_fold_order(set(blocks.tolist()))]
    # One block's copy at a time: a list of them all held a second copy of every row (2.2 GB at 1M articles).
    result = fold_blocks((signals.take(rows) for rows in rows_of), settings).stories
    if result is None:
        return cluster_window(signals, settings)
    # Back to the caller's row order.
    story_of = np.empty(len(signals), dtype=np.int64)
    story_of[np.concatenate(rows_of)] = result.story_of
    return WindowStories(signals.ids, story_of, result.stories)


def settings_hash(settings: StorySettings) -> str:
    return hashlib.sha1(repr(settings).encode("utf-8")).hexdigest()


def rows_hash(signals: StorySignals, settings_key: str) -> str:
    """A hash of everything :func:`cluster_window` reads of a block's rows (and of the settings)."""
    digest = hashlib.sha1(settings_key.encode("utf-8"))
    digest.update("\x1f".join(str(i) for i in signals.ids.tolist()).encode("utf-8"))
    for column in (signals.vectors, signals.indptr, signals.terms, signals.weights, signals.first_day,
                  signals.last_day, signals.sizes, signals.keys):
        contiguous = np.ascontiguousarray(column)
        digest.update(str(contiguous.dtype).encode("ascii") + str(contiguous.shape).encode("ascii"))
        digest.update(contiguous.data)  # its buffer: the bytes tobytes() would copy (a block's vectors: 150 MB at 1M)
    return digest.hexdigest()
