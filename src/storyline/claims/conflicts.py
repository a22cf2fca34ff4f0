"""Conflicts: two accounts of one fact that cannot both be true.

Numbers of one counted thing and dates are compared where candidates align
(``align.pair_decision``). Denials are found here: one article denies or
refutes an account ("a hoax", "X denied", "not true", "debunked") that another
article reports as fact, in a sentence about the same thing. Counting negators
per aligned pair linked agreeing FNC-1 articles as often as opposite ones
(13.8 % vs 14.3 %, BENCHMARKS.md); what separates them is that an article
agreeing with a denial denies something itself, and one reporting a rumour as
a rumour hedges it ("claimed", "reportedly").
"""

from __future__ import annotations

import re
from typing import Collection, Sequence

import numpy as np

from ..text import DateMention, Quantity, content_words, date_key, dates_conflict
from .extract import SPEECH_VERBS, ClaimCandidate
from .settings import in_use

__all__ = ["dates_conflict", "denial_conflicts", "denies", "event_dates", "event_dates_conflict",
           "reports_as_fact", "same_counted_thing", "share_anchor", "values_agree"]

# The denial rule's thresholds are ClaimSettings' ``denial_*`` (learnt on half of FNC-1's rumours,
# benchmarks/bench_claims_fnc1.py; claims/defaults.json says how). Content words must be shared too:
# the cosine alone pairs any two sentences of one rumour.

# Words that deny or refute what the sentence reports. Bare "not"/"no" are left out: they negate
# everything from a detail to a quote, and linked agreeing articles as often as opposite ones.
_DENIAL = re.compile(
    r"\b(?:den(?:y|ies|ied|ying|ial|ials)|false(?:ly|hood)?|fake[ds]?|hoax(?:es|ed|er|ers)?|untrue|not true|"
    r"debunk(?:ed|s|ing)?|refut(?:e|ed|es|ing)|fabricat(?:ed|ion)|baseless|no evidence|never happened|"
    r"satir(?:e|ical)|spoof)\b",
    re.IGNORECASE,
)
# Words by which an article reports an account without vouching for it.
_REPORTED = re.compile(
    r"\b(?:claim(?:s|ed|ing)?|reported(?:ly)?|alleged(?:ly)?|rumou?r(?:s|ed)?|purported(?:ly)?|apparently|"
    r"appears?|may|might|could|supposed(?:ly)?|if|whether)\b|\?",
    re.IGNORECASE,
)


# A date right after a speech verb dates the telling, not the event ("officials said Wednesday").
_SPEECH_BEFORE_DATE = re.compile(rf"\b(?:{SPEECH_VERBS})\s+(?:(?:on|early|late|last|this)\s+)?$", re.IGNORECASE)


def event_dates(candidate: ClaimCandidate) -> list[DateMention]:
    """The candidate's dates of what happened: those dating when someone said it are left out."""
    start = candidate.sentence_span[0]
    return [d for d in candidate.dates
            if not _SPEECH_BEFORE_DATE.search(candidate.sentence[:max(0, d.span[0] - start)])]


def event_dates_conflict(x: ClaimCandidate, y: ClaimCandidate) -> bool:
    """Two accounts of one event give dates of it that cannot both be true (see ``event_dates``)."""
    return dates_conflict(event_dates(x), event_dates(y))


def denies(text: str) -> bool:
    """Whether ``text`` denies or refutes something ("a hoax", "denied", "not true")."""
    return bool(_DENIAL.search(text))


def reports_as_fact(text: str) -> bool:
    """Whether ``text`` states its account as fact: it neither denies, nor hedges, nor asks."""
    return not denies(text) and not _REPORTED.search(text)


def denial_conflicts(candidates: Sequence[ClaimCandidate], vectors: np.ndarray,
                     denying_articles: Collection[str]) -> list[tuple[int, int]]:
    """(denying, reporting) candidate pairs: one article denies what another reports as fact.

    The pair's sentences must be about the same thing (cosine at least ``denial_threshold`` and
    ``denial_shared_words`` content words in common), and the reporting article must deny nothing
    anywhere (``denying_articles``): an article that denies something too most often agrees with the
    denial in other words.
    """
    if not len(candidates):
        return []
    words = [set(content_words(c.wording)) for c in candidates]
    pairs: list[tuple[int, int]] = []
    for i, candidate in enumerate(candidates):
        if not denies(candidate.sentence):
            continue
        similarity = vectors @ vectors[i]
        count = min(in_use().denial_partners, len(candidates))
        nearest = np.argpartition(-similarity, count - 1)[:count]
        for j in sorted(int(n) for n in nearest):
            other = candidates[j]
            if (other.article == candidate.article or other.article in denying_articles
                    or similarity[j] < in_use().denial_threshold or len(words[i] & words[j]) < in_use().denial_shared_words
                    or not reports_as_fact(other.sentence)):
                continue
            pairs.append((i, j))
    return pairs


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
