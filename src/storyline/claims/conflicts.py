"""Conflicts: two accounts of one fact that cannot both be true (numbers of one counted thing, dates).

A denial rule (an odd number of negators on one side of an aligned pair) was measured on FNC-1 and
linked agreeing article pairs as often as opposite ones (13.8 % vs 14.3 %): not kept (BENCHMARKS.md)."""

from __future__ import annotations

from ..text import Quantity, date_key, dates_conflict
from .extract import ClaimCandidate

__all__ = ["dates_conflict", "same_counted_thing", "share_anchor", "values_agree"]

def share_anchor(x: ClaimCandidate, y: ClaimCandidate) -> bool:
    """The two candidates give the same explicit date, or the same number of the same thing."""
    if {date_key(d) for d in x.dates} & {date_key(d) for d in y.dates}:
        return True
    return any(qx.value == qy.value and same_counted_thing(qx, qy) for qx in x.quantities for qy in y.quantities)


def same_counted_thing(a: Quantity, b: Quantity) -> bool:
    return a.unit == b.unit or bool(set(a.unit_words) & set(b.unit_words) - {"million", "thousand", "billion"})


def values_agree(a: Quantity, b: Quantity) -> bool:
    if a.value == b.value:
        return True
    low, high = sorted((a, b), key=lambda q: q.value)
    # "more than 70" and "75" can both be true; so can "about 8 million" and "8.2 million".
    if low.qualifier in (">", ">=") and high.qualifier in ("=", "~", ">", ">="):
        return True
    if high.qualifier in ("<", "<=", "~<") and low.qualifier in ("=", "~", "<", "<="):
        return True
    if "~" in a.qualifier or "~" in b.qualifier:
        return high.value <= low.value * 1.1
    return False


