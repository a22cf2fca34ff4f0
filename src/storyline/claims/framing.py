"""Framing: how an article words a claim, as written (who it is attributed to, loaded words, labels, hedges, quotes)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

from ..text import QUOTE_PAIRS, find_quotes, split_words
from .settings import in_use

if TYPE_CHECKING:
    from .extract import ClaimCandidate

# --- lexicons ---------------------------------------------------------------

# Evaluative adjectives, loaded verbs and intensifiers: words that carry the
# writer's judgement rather than a checkable fact. Deliberately small and
# generic; a sentence framed with one of them is opinion, not a claim.
LOADED_WORDS = frozenset("""
slammed slams slam blasted blasts lambasted lambasts hailed hails touted touts boasted bragged
decried decries denounced denounces railed rants ranted smeared mocked mocks ridiculed cheering cheered
exaggerated exaggerates exaggerating overblown lashed scathing
radical extreme extremist harsh brutal notorious infamous draconian hawkish combative disgraceful
shameful outrageous shocking disastrous catastrophic devastating egregious absurd ridiculous
heroic brilliant terrible horrible awful appalling heinous vile evil reckless corrupt disgusting
extraordinary unprecedented so-called stunning staggering alarming chilling
""".split())
# Multi-word loaded phrases, matched on lowercased text.
LOADED_PHRASES = ("so called", "lashed out", "war on")
# Hedges: a statement framed with one of them asserts a possibility, not a fact.
# Modals alone ("would", "could") are not hedges here: news reports plans with them.
HEDGE_WORDS = frozenset("""
perhaps possibly probably likely unlikely uncertain unclear unknown supposedly seemingly speculated
reportedly allegedly apparently purportedly potentially
""".split())
# Contested labels: words whose choice frames the people or acts they name. Not
# opinion on their own (news uses them plainly), but part of how an outlet words
# a fact, so they are listed among its markers side by side with other outlets'.
LABEL_WORDS = frozenset("""
illegal illegals alien aliens undocumented unauthorized regime thug thugs mob rioters militant militants
terrorist terrorists insurgent insurgents extremists radicals invasion crackdown massacre
""".split())
HEDGE_PHRASES = ("could be", "may be", "might be", "remains to be seen")


# An official act names a label without the writer choosing it: "designated a terrorist organisation",
# "listed as a terrorist group". The label's word within ``designation_reach`` words after such a verb
# is the designation's.
_DESIGNATION = re.compile(r"\b(?:designat\w*|re-?designat\w*|listed|listing|classif\w*|proscrib\w*|blacklist\w*)\b",
                          re.IGNORECASE)


def _writers_words(text: str) -> list[str]:
    """The lowercased words of ``text`` the writer chose: not inside quotation marks (the speaker's), not part
    of a name (capitalised inside the sentence: "Terrorism Confinement Center"), not in an official designation."""
    unquoted = QUOTE_PAIRS.sub(" ", text)
    words = split_words(unquoted)
    if not _DESIGNATION.search(unquoted):
        # Most sentences hold no designation: a word-by-word test would find none (a word is a run of
        # word characters, so a word the pattern matches whole is a match in the text too).
        return [word.lower() for position, word in enumerate(words) if not (position > 0 and word[:1].isupper())]
    kept = []
    reach = in_use().designation_reach
    since_designation = reach + 1
    for position, word in enumerate(words):
        since_designation += 1
        if _DESIGNATION.fullmatch(word):
            since_designation = 0
            continue
        if position > 0 and word[:1].isupper():
            continue
        if since_designation <= reach:
            continue
        kept.append(word.lower())
    return kept


def opinion_markers(text: str) -> tuple[str, ...]:
    """Loaded or evaluative words the writer chose in ``text`` (see ``_writers_words``)."""
    unquoted = QUOTE_PAIRS.sub(" ", text).lower()
    found = [w for w in _writers_words(text) if w in LOADED_WORDS]
    found += [p for p in LOADED_PHRASES if p in unquoted]
    return tuple(dict.fromkeys(found))


def hedge_markers(text: str) -> tuple[str, ...]:
    unquoted = QUOTE_PAIRS.sub(" ", text).lower()
    found = [w for w in split_words(unquoted) if w in HEDGE_WORDS]
    return tuple(found + [p for p in HEDGE_PHRASES if p in unquoted])


def label_markers(text: str) -> tuple[str, ...]:
    """Contested labels the writer chose in ``text`` (see ``_writers_words``)."""
    return tuple(dict.fromkeys(w for w in _writers_words(text) if w in LABEL_WORDS))


def framing(candidate: "ClaimCandidate") -> tuple[Optional[str], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """How one article words a claim: (attributed to, markers, hedges, quotes kept), all as written.

    The markers are the loaded words and contested labels of the sentence, the
    hedges its hedging words, both outside quotation marks; the quotes are the
    quoted passages of the sentence (a quote claim keeps its own).
    """
    sentence = candidate.sentence
    markers = tuple(dict.fromkeys(opinion_markers(sentence) + label_markers(sentence)))
    quotes = tuple(q.text for q in find_quotes(sentence) if len(split_words(q.text)) >= 2)
    return candidate.speaker_text, markers, hedge_markers(sentence), quotes

