"""The re-assignment pass: after the stream and its merges, a unit moves to the story it links to best.

The stream decides once per unit, when the unit arrives, against the stories as
they were then; the later passes only merge or cut whole stories. A unit that
joined the wrong look-alike early stays there. Here each unit is scored against
every story it could meet by the average link over content words and specific
terms (as :func:`~storyline.stories.passes.merge_on_content` scores two stories)
and moves when another story's link beats its own story's (without itself) by
``reassign_margin`` and reaches ``content_merge``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .assignment import _renumbered, processing_order, year_words
from .passes import content_mix_weights
from .settings import StorySettings
from .signals import UNDATED, StorySignals, _ranges

# Rows scored at a time: bounds the candidate lists (rows times ``candidate_stories``) held at once.
_CHUNK_ROWS = 2048


def reassign_units(signals: StorySignals, story_of: np.ndarray, settings: StorySettings) -> np.ndarray:
    """Labels after ``reassign_rounds`` rounds of moving units to the story they link to best.

    Every round decides all moves against the same stories, then applies them at
    once, so the result does not depend on the order of the rows. Candidate stories
    are found through terms held by at most ``posting_scan`` rows (a common word tells
    no stories apart) and, when both are dated, within ``window_days``; the links are
    then exact over all terms. The work per unit is bounded by its terms times
    ``posting_scan``, whatever the number of stories.
    """
    story_of = np.asarray(story_of, dtype=np.int64).copy()
    if settings.reassign_rounds <= 0 or settings.content_merge <= 0 or len(story_of) < 3:
        return story_of
    rows = _weighted_rows(signals, settings)
    if rows is None:
        return story_of
    full, rare = rows
    sizes = signals.sizes.astype(np.float64)
    years = tuple(year_words(signals, settings, near=near, every=every)
                  for every, near in ((True, False), (True, True), (False, False), (False, True)))
    for _ in range(settings.reassign_rounds):
        moved = _one_round(signals, full, rare, sizes, years, story_of, settings)
        if moved is None:
            break
        story_of = moved
    return _renumbered(story_of, processing_order(signals))


def _weighted_rows(signals: StorySignals, settings: StorySettings
                   ) -> tuple[sparse.csr_matrix, sparse.csr_matrix] | None:
    """The rows as the content merge weighs them (all terms), and the same keeping only the rarer terms."""
    is_content = signals.terms < 0
    if not is_content.any():
        return None
    _, columns = np.unique(signals.terms, return_inverse=True)
    columns = columns.reshape(-1)
    n_columns = int(columns.max(initial=-1)) + 1
    weights = content_mix_weights(signals, settings)
    full = sparse.csr_matrix((weights, columns, signals.indptr), shape=(len(signals), n_columns))
    holders = np.bincount(columns, minlength=n_columns)
    keep = holders[columns] <= settings.posting_scan
    rare = sparse.csr_matrix((np.where(keep, weights, 0.0), columns, signals.indptr), shape=full.shape)
    rare.eliminate_zeros()
    return full, rare


def _one_round(signals: StorySignals, full: sparse.csr_matrix, rare: sparse.csr_matrix, sizes: np.ndarray,
               years: tuple[np.ndarray, ...], story_of: np.ndarray, settings: StorySettings) -> np.ndarray | None:
    n_rows = len(story_of)
    n_stories = int(story_of.max()) + 1
    membership = sparse.csr_matrix((np.ones(n_rows), (story_of, np.arange(n_rows))), shape=(n_stories, n_rows))
    story_full = (membership @ full).tocsr()
    story_full.sum_duplicates()
    story_sizes = membership @ sizes
    story_rare = (membership @ rare).T.tocsr()
    story_days = _story_days(signals, story_of, n_stories)
    rows_found, stories_found, dots_found = [], [], []
    # Rows a chunk at a time: the candidate lists and the dot products' work arrays stay bounded in memory.
    for begin in range(0, n_rows, _CHUNK_ROWS):
        end = min(n_rows, begin + _CHUNK_ROWS)
        row, story = _candidates(signals, rare[begin:end] @ story_rare, begin, story_of, story_days, settings)
        rows_found.append(row)
        stories_found.append(story)
        dots_found.append(_pair_dots(full, story_full, row, story))
    row, story, dot = np.concatenate(rows_found), np.concatenate(stories_found), np.concatenate(dots_found)
    is_own = story == story_of[row]
    self_dot = np.asarray(full.multiply(full).sum(axis=1)).reshape(-1)
    others = story_sizes[story] - np.where(is_own, sizes[row], 0.0)
    link = np.where(others > 0, (dot - np.where(is_own, self_dot[row], 0.0)) / np.maximum(others, 1e-12)
                    / sizes[row], -np.inf)
    link -= _year_penalty(signals, years, story_of, n_stories, row, story, settings)
    link -= _date_gap_cost(signals, story_days, row, story, settings)
    own_link = np.full(n_rows, -np.inf)
    own_link[row[is_own]] = link[is_own]
    best_link = np.full(n_rows, -np.inf)
    best_story = story_of.copy()
    # Best other story per row; ties go to the lower story number, so the choice is deterministic.
    by = np.lexsort((story[~is_own], -link[~is_own], row[~is_own]))
    other_rows, other_stories, other_links = row[~is_own][by], story[~is_own][by], link[~is_own][by]
    first = np.concatenate([[True], other_rows[1:] != other_rows[:-1]]) if len(by) else np.zeros(0, bool)
    best_link[other_rows[first]] = other_links[first]
    best_story[other_rows[first]] = other_stories[first]
    moves = (best_link >= settings.content_merge) & (best_link > own_link + settings.reassign_margin)
    if not moves.any():
        return None
    moved = story_of.copy()
    moved[moves] = best_story[moves]
    return np.unique(moved, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _candidates(signals: StorySignals, shared: sparse.spmatrix, begin: int, story_of: np.ndarray,
                story_days: tuple[np.ndarray, np.ndarray], settings: StorySettings) -> tuple[np.ndarray, np.ndarray]:
    """(row, story) pairs to score for the rows from ``begin``: each row's own story, and the
    ``candidate_stories`` other stories it may meet that share the most rarer-term weight with it."""
    found = sparse.coo_matrix(shared)
    row, story, weight = found.row.astype(np.int64) + begin, found.col.astype(np.int64), found.data
    other = story != story_of[row]
    row, story, weight = row[other], story[other], weight[other]
    meets = _within_days(signals, story_days, row, story, settings)
    row, story, weight = row[meets], story[meets], weight[meets]
    # Ties by story number: the choice does not depend on how the product listed them.
    by = np.lexsort((story, -weight, row))
    row, story = row[by], story[by]
    rank = np.arange(len(row)) - np.searchsorted(row, row)
    keep = rank < settings.candidate_stories
    own_rows = np.arange(begin, begin + shared.shape[0], dtype=np.int64)
    return np.concatenate([row[keep], own_rows]), np.concatenate([story[keep], story_of[own_rows]])


def _pair_dots(rows: sparse.csr_matrix, stories: sparse.csr_matrix, row: np.ndarray, story: np.ndarray) -> np.ndarray:
    """Dot product of ``rows[row[i]]`` and ``stories[story[i]]`` per pair, by looking the row's terms up in
    the story's: the work is the row's terms, however many terms a large story holds. The pairs are taken
    a stretch at a time, ``_PAIR_ENTRIES`` row terms at most: the look-up's arrays take about 50 bytes a
    term (2,048 rows' candidates reach millions of terms), and each pair's sum is the same."""
    n_columns = max(rows.shape[1], 1)
    stories.sort_indices()
    story_keys = np.repeat(np.arange(stories.shape[0], dtype=np.int64), np.diff(stories.indptr)) * n_columns \
        + stories.indices.astype(np.int64)
    lengths = np.diff(rows.indptr)[row].astype(np.int64)
    ends = np.cumsum(lengths)
    dots = np.zeros(len(row))
    start = 0
    while start < len(row):
        done = int(ends[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, done + _PAIR_ENTRIES, side="right")))
        entry = _ranges(rows.indptr[row[start:stop]].astype(np.int64), lengths[start:stop])
        pair = np.repeat(np.arange(stop - start), lengths[start:stop])
        wanted = story[start:stop][pair] * n_columns + rows.indices[entry].astype(np.int64)
        at = np.minimum(np.searchsorted(story_keys, wanted), max(len(story_keys) - 1, 0))
        found = (story_keys[at] == wanted) if len(story_keys) else np.zeros(len(wanted), bool)
        products = np.where(found, rows.data[entry] * (stories.data[at] if len(story_keys) else 0.0), 0.0)
        dots[start:stop] = np.bincount(pair, weights=products, minlength=stop - start)
        start = stop
    return dots


_PAIR_ENTRIES = 1 << 18


def _story_days(signals: StorySignals, story_of: np.ndarray, n_stories: int) -> tuple[np.ndarray, np.ndarray]:
    """Each story's first and last publication day (``UNDATED`` last day when none of its rows is dated)."""
    first = np.full(n_stories, np.iinfo(np.int64).max)
    last = np.full(n_stories, UNDATED)
    dated = signals.first_day != UNDATED
    np.minimum.at(first, story_of[dated], signals.first_day[dated])
    np.maximum.at(last, story_of[dated], signals.last_day[dated])
    return first, last


def _date_gap_cost(signals: StorySignals, story_days: tuple[np.ndarray, np.ndarray], row: np.ndarray,
                   story: np.ndarray, settings: StorySettings) -> np.ndarray:
    """:func:`~storyline.stories.passes.date_gap_cost` per (row, story) pair, both dated (a row's own story
    holds its days: no gap)."""
    if settings.date_gap_penalty <= 0:
        return np.zeros(len(row))
    first, last = story_days
    row_first, row_last = signals.first_day[row], signals.last_day[row]
    both = (row_first != UNDATED) & (last[story] != UNDATED)
    gap = np.maximum(0, np.maximum(first[story] - row_last, row_first - last[story]))
    return np.where(both, settings.date_gap_penalty * np.minimum(1.0, gap / max(settings.window_days, 1)), 0.0)


def _within_days(signals: StorySignals, story_days: tuple[np.ndarray, np.ndarray], row: np.ndarray,
                 story: np.ndarray, settings: StorySettings) -> np.ndarray:
    """Whether each (row, story) pair may meet: undated on either side, or within ``window_days``."""
    first, last = story_days
    row_first, row_last = signals.first_day[row], signals.last_day[row]
    undated = (row_first == UNDATED) | (last[story] == UNDATED)
    return undated | ((row_first <= last[story] + settings.window_days)
                      & (row_last >= first[story] - settings.window_days))


def _year_penalty(signals: StorySignals, years: tuple[np.ndarray, ...], story_of: np.ndarray,
                  n_stories: int, row: np.ndarray, story: np.ndarray, settings: StorySettings) -> np.ndarray:
    """The stream's year rule (:func:`~storyline.stories.assignment.year_rule_penalty`) per (row, story) pair,
    one of them undated: the story's years are its rows' years (bit sets, see
    :func:`~storyline.stories.assignment.year_words`)."""
    row_every, row_every_near, row_latest, row_latest_near = years
    story_every = np.zeros((n_stories, row_every.shape[1]), dtype=np.uint64)
    story_latest = np.zeros_like(story_every)
    np.bitwise_or.at(story_every, story_of, row_every)
    np.bitwise_or.at(story_latest, story_of, row_latest)
    dated_story = np.zeros(n_stories, dtype=bool)
    dated_story[story_of[signals.first_day != UNDATED]] = True
    both_dated = (signals.first_day[row] != UNDATED) & dated_story[story]
    named = row_every[row].any(axis=1) & story_every[story].any(axis=1) & ~both_dated
    no_year_shared = ~(row_every_near[row] & story_every[story]).any(axis=1)
    other_latest = (row_latest_near[row].any(axis=1) & story_latest[story].any(axis=1)
                    & ~(row_latest_near[row] & story_latest[story]).any(axis=1))
    return np.where(named & no_year_shared, settings.year_penalty,
                    np.where(named & other_latest, settings.latest_year_cost, 0.0))
