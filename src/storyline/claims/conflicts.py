"""Conflicts: two accounts of one fact that cannot both be true (numbers of one counted thing, dates, a denial)."""

from __future__ import annotations

import re

from ..text import QUOTE_PAIRS, Quantity, date_key, dates_conflict
from .extract import ClaimCandidate

__all__ = ["dates_conflict", "denies", "same_counted_thing", "share_anchor", "values_agree"]

# Words that turn an account into its denial: negation, and verbs and labels that deny what they report.
_NEGATORS = re.compile(
    r"\b(?:not|never|no|none|nobody|nothing|neither|nor|denied|denies|deny|denying|false|fake|hoax|untrue|"
    r"refuted|refutes|debunked)\b|n[’']t\b", re.IGNORECASE)


def _negative(text: str) -> bool:
    """Whether the writer's own words (quotes aside) deny what they state: an odd number of negators."""
    return len(_NEGATORS.findall(QUOTE_PAIRS.sub(" ", text))) % 2 == 1


def denies(x: ClaimCandidate, y: ClaimCandidate) -> bool:
    """One account states what the other denies ("X had surgery" / "X did not have surgery", "... was a hoax")."""
    return _negative(x.wording) != _negative(y.wording)


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


