"""Items located by a character span, found by overlap without scanning them all.

Stages ask "what overlaps this sentence / quote / trigger?" once per sentence of
an article; scanning every mention or every claim of the article each time made
a long article cost the square of its length (issue 14).
"""

from __future__ import annotations

import bisect
from itertools import accumulate
from typing import Generic, Iterable, TypeVar

from ..model import Span

T = TypeVar("T")


class SpanIndex(Generic[T]):
    """Spans sorted by start, with the furthest end reached so far, so a query reads only the spans that
    start before its end and after every earlier span has ended: the ones that can overlap it."""

    def __init__(self, items: Iterable[tuple[Span, T]]) -> None:
        ordered = sorted(enumerate(items), key=lambda entry: (entry[1][0][0], entry[0]))
        self._order = [position for position, _ in ordered]
        self._spans = [span for _, (span, _) in ordered]
        self._values = [value for _, (_, value) in ordered]
        self._starts = [span[0] for span in self._spans]
        # Non-decreasing, so it can be bisected: the first span whose prefix reaches past a query's start.
        self._reach = list(accumulate((span[1] for span in self._spans), max))
        self.examined = 0  # spans read by queries so far: what tests count to see the work stay linear

    def __len__(self) -> int:
        return len(self._spans)

    def overlapping(self, span: Span) -> list[T]:
        """Values whose span overlaps ``span`` (shares at least one character), in the order they were given."""
        low = bisect.bisect_right(self._reach, span[0])
        high = bisect.bisect_left(self._starts, span[1])
        self.examined += max(0, high - low)
        hits = [(self._order[i], self._values[i]) for i in range(low, high) if self._spans[i][1] > span[0]]
        hits.sort(key=lambda hit: hit[0])
        return [value for _, value in hits]
