"""Streaming assignment: each row, in publication order, joins the best-scoring story or founds one.

Candidates come from an inverted index over the rows' terms whose postings older than ``window_days``
are never read, so the work per row is bounded whatever the number of stories."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .features import _YEAR_KEYS, _YEAR_OF_KEY, YEARS, keyed_years
from .settings import StorySettings
from .signals import UNDATED, StorySignals, dating_year_of

# The years of stories are kept as bit sets over the years 1900-2099 (see ``_YEAR_KEYS``).
_YEAR_WORDS = (YEARS + 63) // 64


def window_of(first_day: np.ndarray, settings: StorySettings) -> np.ndarray:
    """The calendar block of each row: ``day // partition_days``; ``UNDATED`` rows get -1 (clustered last)."""
    first_day = np.asarray(first_day, dtype=np.int64)
    return np.where(first_day == UNDATED, -1, first_day // settings.partition_days)


def processing_order(signals: StorySignals) -> np.ndarray:
    """Rows by first day (undated last), then content (``keys``), then id: a stream meets articles as they
    were published, and the order among one day's articles does not depend on their ids."""
    undated_last = np.where(signals.first_day == UNDATED, np.iinfo(np.int64).max, signals.first_day)
    return np.lexsort((signals.ids, signals.keys, undated_last)).astype(np.int64)


def _renumbered(labels: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Labels renumbered by founding row in ``order``, so that they do not depend on how they were made."""
    first_seen: dict[int, int] = {}
    for row in order.tolist():
        first_seen.setdefault(int(labels[row]), len(first_seen))
    return np.array([first_seen[int(label)] for label in labels.tolist()], dtype=np.int64)


@dataclass(frozen=True)
class StoryMembers:
    """What the support check (``StorySettings.support_link``) compares a row with: the units (one row per
    unit of articles) and, per row of the stream's input, the first ``support_members`` of its units in
    processing order. A story keeps the members of the rows it took, up to ``support_members``."""

    units: StorySignals
    indptr: np.ndarray  # (rows + 1,): each input row's range in ``unit_rows``
    unit_rows: np.ndarray  # rows of ``units``

    @classmethod
    def grouped(cls, units: StorySignals, labels: np.ndarray, settings: StorySettings) -> "StoryMembers":
        """The members of the rows ``_aggregate(units, labels)`` makes: label i's first units in processing order."""
        labels = np.asarray(labels, dtype=np.int64)
        count = int(labels.max()) + 1 if len(labels) else 0
        order = processing_order(units)
        in_order = order[np.argsort(labels[order], kind="stable")]
        starts = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.bincount(labels, minlength=count), out=starts[1:])
        rank = np.arange(len(in_order)) - starts[labels[in_order]]
        kept = in_order[rank < settings.support_members]
        indptr = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.bincount(labels[kept], minlength=count), out=indptr[1:])
        return cls(units, indptr, kept.astype(np.int64))


def _stream(signals: StorySignals, order: np.ndarray, settings: StorySettings, *,
            attach_max_size: int = 0, threshold: float | None = None, attach_margin: float = 0.0,
            members: StoryMembers | None = None) -> np.ndarray:
    """Story label of each row in ``order`` (stories numbered by founding); rows not in ``order`` get their own.

    ``members``: the units behind each row, read by the support check (by default each row is its own)."""
    dating = _dating_latest(signals) if settings.dating_sentences > 0 else np.zeros(0, dtype=np.int64)
    signals = signals.part(content=False)
    dense_terms, term_index = np.unique(signals.terms, return_inverse=True)
    vectors = np.ascontiguousarray(signals.vectors, dtype=np.float32)
    terms = term_index.astype(np.int64).reshape(-1)
    weights = signals.weights.astype(np.float64)
    support: tuple[np.ndarray, ...]
    if settings.support_link <= 0:
        support = _NO_SUPPORT
    elif members is None:
        # Each row its own member: the kernel's own arrays (at the fold's borders, every story folded so far).
        support = (np.arange(len(signals) + 1, dtype=np.int64), np.arange(len(signals), dtype=np.int64), vectors,
                   signals.indptr, terms, weights, signals.sizes.astype(np.float64))
    else:
        support = _support_arrays(members, dense_terms)
    labels = _stream_kernel(
        order, vectors, signals.indptr, terms, weights, signals.first_day,
        signals.last_day, signals.sizes, len(dense_terms), settings.window_days, settings.text_weight, settings.keyword_weight,
        settings.join_threshold if threshold is None else threshold, settings.text_floor, settings.near_copy,
        settings.candidate_stories, settings.posting_scan, attach_max_size, attach_margin,
        year_bits(dense_terms), settings.year_penalty, settings.latest_year_cost, settings.year_tolerance,
        settings.dating_sentences > 0, dating, settings.support_link, settings.support_share,
        settings.support_members, *support)
    # Rows the stream did not see stay stories of their own, numbered after the others.
    alone = np.flatnonzero(labels < 0)
    labels[alone] = labels.max(initial=-1) + 1 + np.arange(len(alone))
    return labels


# The support check's inputs when it is off: none are read.
_NO_SUPPORT: tuple[np.ndarray, ...] = (np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, 1), dtype=np.float32),
               np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))


def _support_arrays(members: StoryMembers, dense_terms: np.ndarray) -> tuple[np.ndarray, ...]:
    """The support check's inputs to the kernel: per row its member units, and the units' embeddings, terms
    (as the kernel's dense term numbers; a term no row holds gets ``len(dense_terms)``, which weighs 0),
    weights and sizes."""
    units = members.units.part(content=False)
    at = np.minimum(np.searchsorted(dense_terms, units.terms), max(len(dense_terms) - 1, 0))
    known = (dense_terms[at] == units.terms) if len(dense_terms) else np.zeros(len(units.terms), dtype=bool)
    unit_terms = np.where(known, at, len(dense_terms)).astype(np.int64)
    return (members.indptr.astype(np.int64), members.unit_rows.astype(np.int64),
            np.ascontiguousarray(units.vectors, dtype=np.float32), units.indptr.astype(np.int64), unit_terms,
            units.weights.astype(np.float64), units.sizes.astype(np.float64))


@numba.njit(cache=True)
def _support(story: int, story_members: np.ndarray, n_members: np.ndarray, vector: np.ndarray, size: float,
             scratch: np.ndarray, unit_vectors: np.ndarray, unit_indptr: np.ndarray, unit_terms: np.ndarray,
             unit_weights: np.ndarray, unit_sizes: np.ndarray, text_weight: float, keyword_weight: float,
             support_link: float) -> float:
    """The share of the story's member articles whose link to the row (the stream's score, per article pair)
    reaches ``support_link``; ``scratch`` holds the row's term weights by dense term number."""
    total = 0.0
    backed = 0.0
    for m in range(n_members[story]):
        unit = story_members[story, m]
        keyword = 0.0
        for p in range(unit_indptr[unit], unit_indptr[unit + 1]):
            keyword += scratch[unit_terms[p]] * unit_weights[p]
        link = (text_weight * np.dot(vector, unit_vectors[unit]) + keyword_weight * keyword) / (size * unit_sizes[unit])
        total += unit_sizes[unit]
        if link >= support_link:
            backed += unit_sizes[unit]
    return backed / total if total > 0 else 1.0


def _dating_latest(signals: StorySignals) -> np.ndarray:
    """Per row, the latest year that dates its texts (see :func:`~.features.dating_years`), less 1900; -1: none."""
    bits = dating_year_of(signals.terms)
    marked = np.flatnonzero(bits >= 0)
    latest = np.full(len(signals), -1, dtype=np.int64)
    # Only the few marker entries are spread to their rows (the row of entry p: the last indptr at or before p).
    np.maximum.at(latest, np.searchsorted(signals.indptr, marked, side="right") - 1, bits[marked])
    return latest


def year_bits(dense_terms: np.ndarray) -> np.ndarray:
    """Per term key, the year it reads as less 1900 (its bit in a story's year set); -1 if not a year."""
    return keyed_years(dense_terms, _YEAR_KEYS, _YEAR_OF_KEY)


def latest_years(signals: StorySignals) -> np.ndarray:
    """Per row, the latest year its terms name, less 1900 (-1 when it names none): the stream's row year."""
    bits = year_bits(signals.terms)
    latest = np.full(len(signals), -1, dtype=np.int64)
    rows = np.repeat(np.arange(len(signals)), np.diff(signals.indptr))
    np.maximum.at(latest, rows, bits)
    return latest


def year_words(signals: StorySignals, settings: StorySettings, *, near: bool = False,
               every: bool = False) -> np.ndarray:
    """Per row, the years the year rule reads as a bit set (``_YEAR_WORDS`` words, bit = year less 1900):
    every year its text names (``every``) or only the latest (with ``dating_sentences``, the latest of the
    years that date it: named in its headline or first sentences; none when it names none there); with ``near``, widened by ``year_tolerance``
    years each way, so that two rows agree when one's near set meets the other's set."""
    bits = year_bits(signals.terms) if every or settings.dating_sentences <= 0 else dating_year_of(signals.terms)
    rows = np.repeat(np.arange(len(signals)), np.diff(signals.indptr))
    named = bits >= 0
    rows, bits = rows[named], bits[named]
    if not every:
        latest = np.full(len(signals), -1, dtype=np.int64)
        np.maximum.at(latest, rows, bits)
        rows = np.flatnonzero(latest >= 0)
        bits = latest[rows]
    words = np.zeros((len(signals), _YEAR_WORDS), dtype=np.uint64)
    reach = settings.year_tolerance if near else 0
    for shift in range(-reach, reach + 1):
        shifted = bits + shift
        inside = (shifted >= 0) & (shifted < _YEAR_WORDS * 64)
        np.bitwise_or.at(words, (rows[inside], shifted[inside] // 64),
                         np.left_shift(np.uint64(1), (shifted[inside] % 64).astype(np.uint64)))
    return words


@dataclass(frozen=True)
class RowYears:
    """Each row's years as the two-tier year rule reads them (see :func:`year_rule_penalty`): every year its
    text names, and its latest, each also widened by ``year_tolerance`` (``near``); bit sets as Python ints."""

    every: list[int]
    every_near: list[int]
    latest: list[int]
    latest_near: list[int]

    @classmethod
    def of(cls, signals: StorySignals, settings: StorySettings) -> "RowYears":
        return cls(*(words_as_int(year_words(signals, settings, near=near, every=every))
                     for every, near in ((True, False), (True, True), (False, False), (False, True))))


def year_rule_penalty(every_a: int, every_near_a: int, latest_near_a: int, every_b: int, latest_b: int,
                      settings: StorySettings) -> float:
    """What a link between a and b (one of them undated, each a row or a story's union of rows) loses to the
    year rule: ``year_penalty`` when both name years and share none, ``latest_year_penalty`` when they share a
    year but a's latest is none of b's latest years (one text recalls the other's year as background)."""
    if not every_a or not every_b:
        return 0.0
    if not every_near_a & every_b:
        return settings.year_penalty
    if latest_near_a and latest_b and not latest_near_a & latest_b:
        return settings.latest_year_cost
    return 0.0


def words_as_int(words: np.ndarray) -> list[int]:
    """Each row's year words as one Python integer (for passes that keep story year sets in dicts)."""
    out = np.zeros(len(words), dtype=object)
    for word in range(words.shape[1]):
        out = out | (words[:, word].astype(object) << (64 * word))
    return [int(value) for value in out.tolist()]


def _aggregate(signals: StorySignals, labels: np.ndarray) -> StorySignals:
    """One row per label: members' vectors and term weights summed, days spanned, the founder's id."""
    count = int(labels.max()) + 1 if len(labels) else 0
    order = processing_order(signals)
    vectors, first_day, last_day, founder = _sum_rows(signals.vectors, labels, order, signals.first_day,
                                                      signals.last_day, count)
    sizes = np.bincount(labels, weights=signals.sizes, minlength=count).astype(np.int64)
    lengths = np.diff(signals.indptr)
    row_labels = np.repeat(labels, lengths)
    by = np.lexsort((signals.terms, row_labels))
    keyed_labels, keyed_terms = row_labels[by], signals.terms[by]
    if len(by):
        starts = np.flatnonzero(np.concatenate([[True], (keyed_labels[1:] != keyed_labels[:-1])
                                                | (keyed_terms[1:] != keyed_terms[:-1])]))
        weights = np.add.reduceat(signals.weights[by].astype(np.float64), starts).astype(np.float32)
        terms, term_labels = keyed_terms[starts], keyed_labels[starts]
    else:
        weights, terms, term_labels = (np.zeros(0, np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64))
    indptr = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(term_labels, minlength=count), out=indptr[1:])
    return StorySignals(signals.ids[founder], vectors, indptr, terms, weights, first_day, last_day, sizes,
                        signals.keys[founder])


@numba.njit(cache=True)
def _sum_rows(vectors: np.ndarray, labels: np.ndarray, order: np.ndarray, first_day: np.ndarray,
              last_day: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    sums = np.zeros((count, vectors.shape[1]), dtype=np.float32)
    first = np.full(count, -1, dtype=np.int64)
    last = np.full(count, -1, dtype=np.int64)
    founder = np.full(count, -1, dtype=np.int64)
    for step in range(order.shape[0]):
        row = order[step]
        story = labels[row]
        if founder[story] < 0:
            founder[story] = row  # the first row in processing order founds the story
        sums[story] += vectors[row]
        if first_day[row] >= 0 and (first[story] < 0 or first_day[row] < first[story]):
            first[story] = first_day[row]
        if last_day[row] >= 0 and last_day[row] > last[story]:
            last[story] = last_day[row]
    return sums, first, last, founder


@numba.njit(cache=True)
def _grown(array: np.ndarray, capacity: int, fill: float) -> np.ndarray:
    out = np.full((capacity,) + array.shape[1:], fill, dtype=array.dtype)
    out[:array.shape[0]] = array
    return out


@numba.njit(cache=True)
def _add_year(row_years: np.ndarray, near_years: np.ndarray, year: int, tolerance: int) -> None:
    row_years[year // 64] |= np.uint64(1) << np.uint64(year % 64)
    for near in range(max(0, year - tolerance), min(_YEAR_WORDS * 64, year + tolerance + 1)):
        near_years[near // 64] |= np.uint64(1) << np.uint64(near % 64)


@numba.njit(cache=True)
def _stream_kernel(order: np.ndarray, vectors: np.ndarray, indptr: np.ndarray, terms: np.ndarray,
                   weights: np.ndarray, first_day: np.ndarray, last_day: np.ndarray, sizes: np.ndarray, n_terms: int,
                   window: int, text_weight: float, keyword_weight: float, threshold: float, text_floor: float,
                   near_copy: float, candidate_limit: int, posting_scan: int, attach_max_size: int,
                   attach_margin: float, year_bit: np.ndarray, year_penalty: float,
                   latest_year_penalty: float, year_tolerance: int, dating_mode: bool,
                   dating_latest: np.ndarray, support_link: float, support_share: float, member_cap: int,
                   row_members_ptr: np.ndarray, row_members: np.ndarray, unit_vectors: np.ndarray,
                   unit_indptr: np.ndarray, unit_terms: np.ndarray, unit_weights: np.ndarray,
                   unit_sizes: np.ndarray) -> np.ndarray:
    """The streaming assignment, one row after another in ``order``.

    Index: one posting per (row, term), chained newest first per term. A row
    reads the chains of its terms, newest first, stopping at ``posting_scan``
    postings or at the first posting older than ``window`` days (dated rows
    arrive in date order, so older postings belong to stories gone cold), and
    sums its term weight times the posting's weight per story: that is its dot
    product with the sum of the story's specific-term vectors. The
    ``candidate_limit`` stories with the largest sums are scored in full: average
    link, i.e. the dot products with the story's sums divided by the number of
    article pairs, for the embeddings and the specific terms. Work per row is bounded by its term count times
    ``posting_scan``, whatever the number of stories.

    With ``attach_max_size`` > 0 (the fragment pass) rows larger than that only
    found stories, and smaller rows (fragments) only join those larger stories,
    never each other; fragments add no postings, so the chains stay in date order.
    A fragment joins only when its best story beats the runner-up by
    ``attach_margin``: a stray that links about as well to several look-alikes
    belongs to none of them.

    Years (the two-tier rule of :func:`year_rule_penalty`): each row and story keeps
    every year its texts name and their latest years. When the row or the story has no
    publication date, a row none of whose years is within ``year_tolerance`` years of
    the story's loses ``year_penalty`` from its score, and a row that shares a year
    with the story but whose latest year is none of the story's latest loses
    ``latest_year_penalty`` (earlier years are often background: "the first strike
    since 2016"): look-alike stories (the same actors, the same kind of event) are
    often years apart, and without a publication date the years the texts name are
    what tells them apart. When both are dated, the dates do (the window above).

    Support (``support_link`` > 0): a story keeps its first ``member_cap`` member units; the
    best story, when not joined as a near-copy, is taken only when members holding
    ``support_share`` of its articles link to the row at ``support_link`` each, else the row
    founds a story. The work is ``member_cap`` units per row, whatever the story's size.
    """
    n_rows, dimensions = vectors.shape
    labels = np.full(n_rows, -1, dtype=np.int64)
    capacity = 256
    sums = np.zeros((capacity, dimensions), dtype=np.float32)
    story_size = np.zeros(capacity)
    story_first = np.full(capacity, -1, dtype=np.int64)
    story_last = np.full(capacity, -1, dtype=np.int64)
    shared = np.zeros(capacity)
    seen_at = np.full(capacity, -1, dtype=np.int64)
    touched = np.empty(capacity, dtype=np.int64)
    story_years = np.zeros((capacity, _YEAR_WORDS), dtype=np.uint64)
    story_latest = np.zeros((capacity, _YEAR_WORDS), dtype=np.uint64)
    row_years = np.zeros(_YEAR_WORDS, dtype=np.uint64)
    near_years = np.zeros(_YEAR_WORDS, dtype=np.uint64)
    row_latest = np.zeros(_YEAR_WORDS, dtype=np.uint64)
    near_latest = np.zeros(_YEAR_WORDS, dtype=np.uint64)
    supporting = support_link > 0
    story_members = np.zeros((capacity if supporting else 1, max(member_cap, 1)), dtype=np.int64)
    n_members = np.zeros(capacity if supporting else 1, dtype=np.int64)
    scratch = np.zeros(n_terms + 1 if supporting else 1)
    total = 0
    for step in range(order.shape[0]):
        total += indptr[order[step] + 1] - indptr[order[step]]
    post_story = np.empty(total, dtype=np.int64)
    post_weight = np.empty(total)
    post_previous = np.empty(total, dtype=np.int64)
    post_day = np.empty(total, dtype=np.int64)
    newest = np.full(n_terms, -1, dtype=np.int64)
    n_posts = 0
    n_stories = 0
    for step in range(order.shape[0]):
        row = order[step]
        first, last = first_day[row], last_day[row]
        vector = vectors[row]
        size = float(sizes[row])
        fragment = attach_max_size > 0 and sizes[row] <= attach_max_size
        founder_only = attach_max_size > 0 and not fragment
        n_touched = 0
        row_years[:] = 0
        near_years[:] = 0
        row_latest[:] = 0
        near_latest[:] = 0
        latest = -1
        for p in range(indptr[row], indptr[row + 1]):
            year = year_bit[terms[p]]
            latest = max(latest, year)
            if year >= 0:
                _add_year(row_years, near_years, year, year_tolerance)
        row_names_years = latest >= 0
        if dating_mode:
            # The latest-year tier reads the years that date the text (headline, first sentences) only.
            latest = dating_latest[row]
        if latest >= 0:
            _add_year(row_latest, near_latest, latest, year_tolerance)
        if supporting:
            for p in range(indptr[row], indptr[row + 1]):
                scratch[terms[p]] += weights[p]
        for p in range(indptr[row], indptr[row + 1]):
            if founder_only:
                break
            weight = weights[p]
            q = newest[terms[p]]
            read = 0
            while q >= 0 and read < posting_scan:
                if first >= 0 and post_day[q] >= 0 and post_day[q] < first - window:
                    break
                story = post_story[q]
                if seen_at[story] != step:
                    seen_at[story] = step
                    shared[story] = 0.0
                    touched[n_touched] = story
                    n_touched += 1
                shared[story] += weight * post_weight[q]
                q = post_previous[q]
                read += 1
        candidates = touched[:n_touched]
        if n_touched > candidate_limit:
            ranking = np.empty(n_touched)
            for c in range(n_touched):
                ranking[c] = -shared[candidates[c]]
            candidates = candidates[np.argsort(ranking, kind="mergesort")[:candidate_limit]]
        best = -1
        best_score = -np.inf
        best_text = 0.0
        runner_up = -np.inf
        for c in range(candidates.shape[0]):
            story = candidates[c]
            if first >= 0 and story_last[story] >= 0 and (
                    story_last[story] < first - window or story_first[story] > last + window):
                continue
            if fragment and story_size[story] <= attach_max_size:
                continue
            pairs = size * story_size[story]
            text = np.dot(vector, sums[story]) / pairs
            keyword = shared[story] / pairs
            score = text_weight * text + keyword_weight * keyword
            if row_names_years and (first < 0 or story_first[story] < 0) and story_years[story].any():
                if not (story_years[story] & near_years).any():
                    score -= year_penalty
                elif (latest >= 0 and story_latest[story].any()
                      and not (story_latest[story] & near_latest).any()):
                    score -= latest_year_penalty
            if text >= near_copy or (text >= text_floor and score >= threshold):
                if score > best_score or (score == best_score and story < best):
                    runner_up = best_score
                    best, best_score, best_text = story, score, text
                elif score > runner_up:
                    runner_up = score
        if fragment and best >= 0 and best_score - runner_up < attach_margin:
            best = -1
        # The support check vetoes the best story rather than passing to the next: a row its best story does
        # not back as a whole belongs to none (handed to a runner-up, it joined a worse look-alike on fnc1).
        if supporting and best >= 0 and best_text < near_copy and _support(
                best, story_members, n_members, vector, size, scratch, unit_vectors, unit_indptr, unit_terms,
                unit_weights, unit_sizes, text_weight, keyword_weight, support_link) < support_share:
            best = -1
        if best < 0:
            if n_stories == capacity:
                capacity *= 2
                sums = _grown(sums, capacity, 0.0)
                story_size = _grown(story_size, capacity, 0.0)
                story_first = _grown(story_first, capacity, -1)
                story_last = _grown(story_last, capacity, -1)
                shared = _grown(shared, capacity, 0.0)
                seen_at = _grown(seen_at, capacity, -1)
                touched = _grown(touched, capacity, 0)
                story_years = _grown(story_years, capacity, 0)
                story_latest = _grown(story_latest, capacity, 0)
                if supporting:
                    story_members = _grown(story_members, capacity, 0)
                    n_members = _grown(n_members, capacity, 0)
            best = n_stories
            n_stories += 1
        story_size[best] += size
        sums[best] += vector
        if first >= 0 and (story_first[best] < 0 or first < story_first[best]):
            story_first[best] = first
        if last > story_last[best]:
            story_last[best] = last
        labels[row] = best
        story_years[best] |= row_years
        story_latest[best] |= row_latest
        if supporting:
            for p in range(indptr[row], indptr[row + 1]):
                scratch[terms[p]] = 0.0
            for i in range(row_members_ptr[row], row_members_ptr[row + 1]):
                if n_members[best] < member_cap:
                    story_members[best, n_members[best]] = row_members[i]
                    n_members[best] += 1
        if fragment:
            continue
        for p in range(indptr[row], indptr[row + 1]):
            term = terms[p]
            post_story[n_posts] = best
            post_weight[n_posts] = weights[p]
            post_previous[n_posts] = newest[term]
            post_day[n_posts] = last
            newest[term] = n_posts
            n_posts += 1
    return labels
