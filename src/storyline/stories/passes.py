"""Passes over a window's stories after the stream: the split test, the rejoin pass and the fragment pass."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy import sparse

from ..graph import DisjointSets
from .assignment import (RowYears, StoryMembers, _aggregate, _renumbered, _stream, processing_order,
                         year_rule_penalty)
from .candidates import _linked_story_pairs, _row_similarity
from .settings import StorySettings
from .signals import StorySignals


def attach_fragments(stories: StorySignals, settings: StorySettings,
                     members: StoryMembers | None = None) -> np.ndarray:
    """Label per story row: stories of at most ``fragment_size`` articles join the larger story they link to
    best when the link reaches ``fragment_threshold``; larger stories never merge here. ``members``: the units
    of each story row, which the support check reads (by default each row is its own)."""
    order = processing_order(stories)
    large = stories.sizes[order] > settings.fragment_size
    order = np.concatenate([order[large], order[~large]])
    labels = _stream(stories, order, settings, attach_max_size=settings.fragment_size,
                     threshold=settings.fragment_threshold, attach_margin=settings.fragment_margin,
                     members=members)
    return _renumbered(labels, processing_order(stories))


def split_lookalikes(signals: StorySignals, story_of: np.ndarray, settings: StorySettings) -> np.ndarray:
    """Cut stories that hold two groups linked far less across than within (see ``StorySettings.split_ratio``).

    Work per story is bounded by ``split_sample`` squared, whatever the story's size;
    labels come back renumbered by founding row in processing order.
    """
    story_of = np.asarray(story_of, dtype=np.int64).copy()
    if len(story_of) < settings.split_min_size:
        return story_of
    order = processing_order(signals)
    members_of: dict[int, list[int]] = defaultdict(list)
    for row in order.tolist():
        members_of[int(story_of[row])].append(row)
    next_label = int(story_of.max()) + 1
    for members in members_of.values():
        if len(members) < settings.split_min_size:
            continue
        rows = np.array(members, dtype=np.int64)
        sample = rows[:settings.split_sample]
        similarity = _row_similarity(signals, sample, sample, settings, year_penalty=settings.split_year_penalty,
                                     content_share=settings.split_content_share)
        halves = _two_halves(similarity)
        in_a, in_b = halves == 0, halves == 1
        if min(int(in_a.sum()), int(in_b.sum())) < 2:
            continue
        within_a = _mean_off_diagonal(similarity[np.ix_(in_a, in_a)])
        within_b = _mean_off_diagonal(similarity[np.ix_(in_b, in_b)])
        across = float(similarity[np.ix_(in_a, in_b)].mean())
        if across >= settings.split_ratio * min(within_a, within_b):
            continue
        goes_to_b = in_b
        if len(rows) > len(sample):
            rest = _row_similarity(signals, rows[len(sample):], sample, settings,
                                   content_share=settings.split_content_share)
            goes_to_b = np.concatenate([in_b, rest[:, in_b].mean(axis=1) > rest[:, in_a].mean(axis=1)])
        story_of[rows[goes_to_b]] = next_label
        next_label += 1
    return _renumbered(story_of, order)


def rejoin_parts(signals: StorySignals, story_of: np.ndarray, settings: StorySettings) -> np.ndarray:
    """Join two stories when the stream would join them and the split test would not cut them apart.

    The stream meets stories in one order: a part that arrived while its story was
    still glued to a look-alike linked to the pair too weakly to join, and after the
    split test cut the look-alike off it stays alone. Here every pair of stories whose
    average link reaches ``join_threshold`` (found through their shared specific
    terms, see :func:`_linked_story_pairs`) joins, strongest first, unless the link
    across is below ``split_ratio`` times the weaker side's own link: then the split
    test would cut the pair apart again. No new setting: the stream's and the split
    test's own. Labels come back renumbered by founding row in processing order.
    """
    story_of = np.asarray(story_of, dtype=np.int64)
    if len(story_of) < 2:
        return story_of
    stories = _aggregate(signals, story_of).part(content=False)
    _, term_index = np.unique(stories.terms, return_inverse=True)
    pairs = _linked_story_pairs(
        stories.indptr, term_index.astype(np.int64).reshape(-1), stories.weights.astype(np.float64),
        np.ascontiguousarray(stories.vectors, dtype=np.float32), stories.sizes.astype(np.float64),
        stories.first_day, stories.last_day, int(term_index.max(initial=-1)) + 1, settings.window_days,
        settings.text_weight, settings.keyword_weight, settings.join_threshold, settings.text_floor,
        settings.posting_scan)
    if len(pairs) == 0:
        return story_of
    rows_of: dict[int, list[int]] = defaultdict(list)
    order = processing_order(signals)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    for row in order.tolist():
        rows_of[int(story_of[row])].append(row)
    sets = DisjointSets(len(stories))
    # Each story's years (its rows' named years and latest years as bit sets), for the stream's year rule below.
    years = _StoryYears(RowYears.of(signals, settings), story_of)
    dated = {label: bool((signals.first_day[rows] >= 0).any()) for label, rows in rows_of.items()}
    # Each story's own link (its sampled rows' mean link), kept until it joins: a story meets many candidates.
    own_links: dict[int, float] = {}

    def own_link(label: int, rows: np.ndarray, share: float) -> float:
        if label not in own_links:
            own_links[label] = _mean_off_diagonal(_row_similarity(
                signals, rows, rows, settings, year_penalty=settings.split_year_penalty, content_share=share))
        return own_links[label]

    # Strongest first; ties by story number, so the result does not depend on how pairs were found.
    for _, a, b in sorted(((-score, int(a), int(b)) for a, b, score in pairs.tolist())):
        ra, rb = sets.find(a), sets.find(b)
        if ra == rb:
            continue
        rows_a = np.array(rows_of[ra][:settings.split_sample], dtype=np.int64)
        rows_b = np.array(rows_of[rb][:settings.split_sample], dtype=np.int64)
        penalty = settings.split_year_penalty
        across = float(_row_similarity(signals, rows_a, rows_b, settings, year_penalty=penalty).mean())
        # The stream's year rule: stories (one undated) whose texts name other years are look-alikes years
        # apart, unless the link clears the bar despite the penalty.
        year_cost = years.penalty(ra, rb, settings) if not (dated[ra] and dated[rb]) else 0.0
        if across - year_cost < settings.join_threshold:
            continue  # the links within are read only for pairs the stream's link would join
        # Whether the split test would cut the pair apart again, on its own link (``split_content_share``).
        share = settings.split_content_share
        split_across = across if share == 0 else float(
            _row_similarity(signals, rows_a, rows_b, settings, year_penalty=penalty, content_share=share).mean())
        within = [own_link(label, rows, share) for label, rows in ((ra, rows_a), (rb, rows_b)) if len(rows) > 1]
        if within and split_across - year_cost < settings.split_ratio * min(within):
            continue
        own_links.pop(ra, None)
        own_links.pop(rb, None)
        kept = sets.union(ra, rb)
        rows_of[kept] = sorted(rows_of.pop(ra) + rows_of.pop(rb), key=lambda row: rank[row])
        years.join(kept, ra, rb)
        dated_a, dated_b = dated.pop(ra), dated.pop(rb)
        dated[kept] = dated_a or dated_b
    return _renumbered(np.array([sets.find(int(label)) for label in story_of.tolist()], dtype=np.int64), order)


def content_mix_weights(signals: StorySignals, settings: StorySettings) -> np.ndarray:
    """The rows' term weights scaled so that a dot product is the mix of the content-word cosine (keys below
    zero) and the specific-term cosine, ``content_merge_share`` of the first: content words alone would
    join look-alikes, two events of one kind told in the same words."""
    share = settings.content_merge_share
    scale = np.where(signals.terms < 0, np.sqrt(share), np.sqrt(1.0 - share))
    return signals.weights.astype(np.float64) * scale


def merge_on_content(signals: StorySignals, story_of: np.ndarray, settings: StorySettings) -> np.ndarray:
    """Join stories whose average link over content words and specific terms reaches ``content_merge``,
    strongest first.

    The link mixes the content-word cosine (``content_merge_share``) with the specific-term cosine.
    Each row's parts are sums of unit-length TF-IDF vectors, so two stories' average link (the mean
    cosine over their articles' pairs, as average-link clustering scores a merge) is the dot product of
    their sums over the product of their sizes: kept exact as stories merge by adding their sums. Pairs
    are found through shared terms; a term held by more than ``posting_scan`` stories is skipped
    (it tells none apart), and dated stories more than ``window_days`` apart never meet, so the work is
    bounded per story. The stream's year rule holds here too: when one of the two has no date, the link
    loses what :func:`~storyline.stories.assignment.year_rule_penalty` says; when both are dated, it loses
    :func:`date_gap_cost` for the days between their date ranges. With ``content_merge_ratio``, the split
    test's rule holds too: a pair whose link is below that ratio times the weaker side's own link (the mean
    link of its rows' pairs, :class:`_Cohesion`) stays apart, as two look-alikes glued by their words.
    Labels come back renumbered by founding row in processing order.
    """
    story_of = np.asarray(story_of, dtype=np.int64)
    if settings.content_merge <= 0 or len(story_of) < 2:
        return story_of
    stories = _aggregate(signals, story_of)
    is_content = stories.terms < 0
    if not is_content.any():
        return story_of
    keys, term_index = np.unique(stories.terms, return_inverse=True)
    weights = content_mix_weights(stories, settings)
    sizes = stories.sizes.astype(np.float64)
    pairs = _linked_story_pairs(
        stories.indptr, term_index.astype(np.int64).reshape(-1), weights,
        np.zeros((len(stories), 1), dtype=np.float32), sizes, stories.first_day, stories.last_day,
        int(term_index.max(initial=-1)) + 1, settings.window_days, 0.0, 1.0, settings.content_merge, -1.0,
        settings.posting_scan)
    if len(pairs) == 0:
        return story_of
    sums = [dict(zip(term_index[stories.indptr[i]:stories.indptr[i + 1]].reshape(-1).tolist(),
                     weights[stories.indptr[i]:stories.indptr[i + 1]].tolist())) for i in range(len(stories))]
    size_of = sizes.tolist()
    sets = DisjointSets(len(stories))
    # Each story's years (its rows' named and latest years as bit sets) and whether it holds a date: the year rule.
    years = _StoryYears(RowYears.of(signals, settings), story_of)
    dated = np.zeros(len(stories), dtype=bool)
    for row, label in enumerate(story_of.tolist()):
        dated[label] |= bool(signals.first_day[row] >= 0)
    first_day, last_day = stories.first_day.tolist(), stories.last_day.tolist()
    cohesion = _Cohesion(signals, story_of, keys, settings) if settings.content_merge_ratio > 0 else None
    # Strongest first; ties by story number, so the result does not depend on how pairs were found.
    for _, a, b in sorted(((-score, int(a), int(b)) for a, b, score in pairs.tolist())):
        ra, rb = sets.find(a), sets.find(b)
        if ra == rb:
            continue
        small, large = sorted((sums[ra], sums[rb]), key=len)
        link = sum(weight * large.get(term, 0.0) for term, weight in small.items()) / (size_of[ra] * size_of[rb])
        if not (dated[ra] and dated[rb]):
            # No date, no merge on topic alone: texts naming other years are look-alikes years apart.
            link -= years.penalty(ra, rb, settings)
        else:
            link -= date_gap_cost(first_day[ra], last_day[ra], first_day[rb], last_day[rb], settings)
        if link < settings.content_merge:
            continue
        if cohesion is not None and link < settings.content_merge_ratio * cohesion.weaker(ra, rb):
            continue
        for term, weight in small.items():
            large[term] = large.get(term, 0.0) + weight
        kept = sets.union(ra, rb)
        if cohesion is not None:
            cohesion.join(kept, ra, rb)
        sums[kept], size_of[kept] = large, size_of[ra] + size_of[rb]
        years.join(kept, ra, rb)
        dated[kept] = dated[ra] or dated[rb]
        first_day[kept] = min(day for day in (first_day[ra], first_day[rb]) if day >= 0) if dated[kept] else -1
        last_day[kept] = max(last_day[ra], last_day[rb])
    order = processing_order(signals)
    return _renumbered(np.array([sets.find(int(label)) for label in story_of.tolist()], dtype=np.int64), order)


def date_gap_cost(first_a: float, last_a: float, first_b: float, last_b: float, settings: StorySettings) -> float:
    """What the link of two dated stories (or a row and a story) loses for the days between their date ranges:
    ``date_gap_penalty`` times the gap's share of ``window_days`` (a story's own date range counts: two
    look-alikes a few weeks apart are less likely one story than two told the same week)."""
    if settings.date_gap_penalty <= 0:
        return 0.0
    gap = max(0.0, first_b - last_a, first_a - last_b)
    return settings.date_gap_penalty * min(1.0, gap / max(settings.window_days, 1))


class _Cohesion:
    """Each story's own link as the content merge scores links: the mean over its rows' pairs of their average
    link (the mix of :func:`content_mix_weights`), kept exact as stories join.

    With q the mean article vector of a row (its weights over its size), the sum over a story's row pairs
    is (|sum of q|^2 - sum of |q|^2) / 2: each story keeps |sum of q|^2, its sum of |q|^2 and its row count,
    all counted at once over the rows; a join adds them and twice the two sums' dot product, for which only
    the stories that join have their sum of q read out as a dict. No pair of rows is scored one by one.
    """

    def __init__(self, signals: StorySignals, story_of: np.ndarray, keys: np.ndarray, settings: StorySettings) -> None:
        lengths = np.diff(signals.indptr)
        weights = content_mix_weights(signals, settings) / np.repeat(signals.sizes, lengths)
        count = int(story_of.max()) + 1
        rows = sparse.csr_matrix((weights, np.searchsorted(keys, signals.terms), signals.indptr),
                                 shape=(len(signals), len(keys)))
        labels = sparse.csr_matrix((np.ones(len(story_of)), (story_of, np.arange(len(story_of)))),
                                   shape=(count, len(signals)))
        self.summed = (labels @ rows).tocsr()
        self.norms: list[float] = np.asarray(self.summed.multiply(self.summed).sum(axis=1)).reshape(-1).tolist()
        own_squares = np.bincount(np.repeat(np.arange(len(signals)), lengths), weights=weights * weights,
                                  minlength=len(signals))
        self.squares: list[float] = np.bincount(story_of, weights=own_squares, minlength=count).tolist()
        self.rows: list[int] = np.bincount(story_of, minlength=count).tolist()
        self.sums: dict[int, dict[int, float]] = {}  # the joined stories' sums of q, read out as they join

    def own_link(self, label: int) -> float | None:
        """The story's mean link over its rows' pairs; None for a story of one row (it has no pair)."""
        rows = self.rows[label]
        if rows < 2:
            return None
        return (self.norms[label] - self.squares[label]) / (rows * (rows - 1))

    def weaker(self, a: int, b: int) -> float:
        """The weaker own link of the two stories (0 when neither has a pair of rows: nothing to hold to)."""
        links = [link for link in (self.own_link(a), self.own_link(b)) if link is not None]
        return min(links) if links else 0.0

    def join(self, kept: int, a: int, b: int) -> None:
        small, large = sorted((self._sum(a), self._sum(b)), key=len)
        dot = sum(weight * large.get(column, 0.0) for column, weight in small.items())
        for column, weight in small.items():
            large[column] = large.get(column, 0.0) + weight
        self.sums.pop(a, None)
        self.sums.pop(b, None)
        self.sums[kept] = large
        self.norms[kept] = self.norms[a] + self.norms[b] + 2.0 * dot
        self.squares[kept] = self.squares[a] + self.squares[b]
        self.rows[kept] = self.rows[a] + self.rows[b]

    def _sum(self, label: int) -> dict[int, float]:
        if label not in self.sums:
            start, end = self.summed.indptr[label], self.summed.indptr[label + 1]
            self.sums[label] = dict(zip(self.summed.indices[start:end].tolist(), self.summed.data[start:end].tolist()))
        return self.sums[label]


class _StoryYears:
    """Each story's years as the year rule reads them (:func:`year_rule_penalty`), kept as stories join."""

    def __init__(self, rows: RowYears, story_of: np.ndarray) -> None:
        self.of: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for row, label in enumerate(story_of.tolist()):
            held = self.of[label]
            held[0] |= rows.every[row]
            held[1] |= rows.every_near[row]
            held[2] |= rows.latest[row]
            held[3] |= rows.latest_near[row]

    def penalty(self, a: int, b: int, settings: StorySettings) -> float:
        years_a, years_b = self.of[a], self.of[b]
        return year_rule_penalty(years_a[0], years_a[1], years_a[3], years_b[0], years_b[2], settings)

    def join(self, kept: int, a: int, b: int) -> None:
        years_a, years_b = self.of.pop(a), self.of.pop(b)
        self.of[kept] = [x | y for x, y in zip(years_a, years_b)]


def _mean_off_diagonal(matrix: np.ndarray) -> float:
    n = len(matrix)
    return float((matrix.sum() - np.trace(matrix)) / (n * (n - 1)))


def _two_halves(similarity: np.ndarray) -> np.ndarray:
    """The normalised cut (Shi & Malik 2000) of the rows in two: 0 for the half holding row 0, 1 for the other.

    Spectral bisection: rows sorted by the second eigenvector of the normalised
    affinity, cut where the normalised cut is smallest. Average link down to two
    clusters (the previous method) mostly peeled one outlying row off a story,
    so a look-alike pair inside it was never offered to the test; the
    normalised cut weighs each half's size, so it finds the two groups.
    """
    n = len(similarity)
    affinity = np.clip(np.array(similarity, dtype=np.float64), 0.0, None)
    np.fill_diagonal(affinity, 0.0)
    affinity = (affinity + affinity.T) / 2.0
    # A row linked to nothing gets a tiny degree: it must not divide by zero, and it goes to either half.
    degree = np.maximum(affinity.sum(axis=1), 1e-12)
    scale = 1.0 / np.sqrt(degree)
    fiedler = _second_eigenvector(scale[:, None] * affinity * scale[None, :], np.sqrt(degree),
                                  affinity[:, 0]) * scale
    ranked = np.argsort(fiedler, kind="mergesort")
    permuted = affinity[np.ix_(ranked, ranked)]
    # Cut weight of each prefix of the ranking, grown one row at a time.
    cut = np.cumsum(np.triu(permuted, 1).sum(axis=1) - np.tril(permuted, -1).sum(axis=1))[:-1]
    volume = np.cumsum(degree[ranked])[:-1]
    total = float(degree.sum())
    normalised_cut = cut / volume + cut / np.maximum(total - volume, 1e-12)
    first_half = np.zeros(n, dtype=bool)
    first_half[ranked[:int(np.argmin(normalised_cut)) + 1]] = True
    return (first_half != first_half[0]).astype(np.int64)


def _second_eigenvector(matrix: np.ndarray, top: np.ndarray, start: np.ndarray,
                        iterations: int = 200, tolerance: float = 1e-5) -> np.ndarray:
    """The eigenvector of the second largest eigenvalue of a normalised affinity, whose largest is ``top``'s.

    Power iteration on the matrix less its top eigenvector, shifted by one so that
    no eigenvalue is negative. A full ``eigh`` costs the cube of the rows and,
    through a threaded BLAS on a busy machine, ten times more than this.
    ``start`` (row 0's links) already leans to row 0's group, so few steps are needed;
    a vector not fully converged still orders the rows for the sweep.
    """
    top = top / np.linalg.norm(top)
    vector = start - top * float(top @ start) + np.linspace(-1e-3, 1e-3, len(start))
    vector /= np.linalg.norm(vector)
    for _ in range(iterations):
        following = matrix @ vector + vector
        following -= top * float(top @ following)
        norm = float(np.linalg.norm(following))
        if norm == 0.0:
            break
        following /= norm
        converged = float(np.abs(following - vector).max()) < tolerance
        vector = following
        if converged:
            break
    return vector
