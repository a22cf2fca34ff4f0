"""Calendar blocks: each clustered on its own (stream, then passes), then folded left across their borders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assignment import _aggregate, _stream, processing_order, window_of
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
    # Merge pass: the window's stories streamed through the same index, as rows.
    merged = _stream(stories, processing_order(stories), settings)
    # Split test: average link lets shared setting terms glue two look-alike stories together.
    story_of = split_lookalikes(signals, merged[labels], settings)
    # Rejoin: parts the stream's order kept apart, where the split test would keep them together.
    story_of = rejoin_parts(signals, story_of, settings)
    # Fragment pass: stray articles of a larger story join it on a lower bar.
    stories = _aggregate(signals, story_of)
    if settings.fragment_size > 0:
        story_of = attach_fragments(stories, settings)[story_of]
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


def cluster_blocks(signals: StorySignals, settings: StorySettings | None = None) -> WindowStories:
    """What :func:`cluster_stories` runs: each calendar block clustered, then the blocks folded left in time order.

    The Spark engine runs :func:`cluster_window` on each block in parallel and the
    same fold at the driver; it gets exactly these stories.
    """
    settings = settings or StorySettings()
    blocks = window_of(signals.first_day, settings)
    ordered_blocks = sorted(set(blocks.tolist()), key=lambda b: (b == -1, b))
    result: WindowStories | None = None
    rows_in_result: list[np.ndarray] = []
    for block in ordered_blocks:
        rows = np.flatnonzero(blocks == block)
        window = cluster_window(signals.take(rows), settings)
        result = window if result is None else merge_across_border(result, window, settings)
        rows_in_result.append(rows)
    if result is None:
        return cluster_window(signals, settings)
    # Back to the caller's row order.
    story_of = np.empty(len(signals), dtype=np.int64)
    story_of[np.concatenate(rows_in_result)] = result.story_of
    return WindowStories(signals.ids, story_of, result.stories)
