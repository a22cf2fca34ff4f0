"""Step 1: claim candidates of one article (quotes with their speaker, numbers, events, statements)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Optional, Sequence

from ..model import ClaimKind, Prepared, Span
from ..text import (
    DETERMINERS,
    QUOTE_PAIRS,
    DateMention,
    Quantity,
    QuoteSpan,
    extract_dates,
    extract_quantities,
    find_quotes,
    proper_names,
    split_words,
)
from ..text.words import WORD_PATTERN
from .framing import hedge_markers, opinion_markers
from .settings import in_use

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

# Verbs that make a sentence report an action (with a named actor and a date: an event).
_IRREGULAR_PAST = frozenset("""
met said told spoke began begun sent took gave made won lost left fled held led struck fell rose hit
sought brought bought caught fought thought taught wrote ran came went saw found built paid sold
kept shut set put quit split spent stood withdrew drew flew threw chose froze broke arrived signs signed
meets visits announces says launches
""".split())



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


def is_boilerplate(sentence: str, line: str) -> bool:
    """Page furniture rather than reporting: ads, subscribe lines, captions, headlines, short fragments.

    ``line`` is the whole line (paragraph) the sentence stands in: a caption is
    recognised by the photo credit that ends its paragraph, a headline by a
    line without closing punctuation.
    """
    words = split_words(sentence)
    if len(words) < in_use().min_statement_words:
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
    if _PHOTO_CREDIT.search(last_sentence) and len(split_words(last_sentence)) <= 12:
        return True
    return sentence.rstrip().endswith("?")



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



def _has_named_action(text: str) -> bool:
    """A named actor followed closely by a verb in the past tense (or a reporting present)."""
    tokens = list(WORD_PATTERN.finditer(text))
    for i, token in enumerate(tokens):
        word = token.group(0)
        if not word[0].isupper() or word.lower() in DETERMINERS:
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


class _Lines:
    """The article's line breaks, bisected: searching the text for them from every sentence was quadratic
    in an article of few line breaks."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [match.start() for match in re.finditer("\n", text)]

    def start(self, position: int) -> int:
        index = bisect.bisect_left(self.breaks, position) - 1
        return self.breaks[index] + 1 if index >= 0 else 0

    def line(self, position: int) -> str:
        index = bisect.bisect_left(self.breaks, position)
        return self.text[self.start(position):self.breaks[index] if index < len(self.breaks) else len(self.text)]


class _QuoteIndex:
    """The article's quotes (sorted and apart, as ``find_quotes`` finds them), bisected by position, so each
    sentence reads only its own quotes rather than every quote of the article."""

    def __init__(self, quotes: Sequence[QuoteSpan]) -> None:
        self.quotes = list(quotes)
        self.starts = [q.span[0] for q in self.quotes]
        self.ends = [q.span[1] for q in self.quotes]
        self.long = [len(split_words(q.text)) >= in_use().min_quote_words for q in self.quotes]

    def overlapping(self, start: int, end: int) -> range:
        """Indices of the quotes overlapping ``[start, end)``."""
        return range(bisect.bisect_right(self.ends, start), bisect.bisect_left(self.starts, end))

    def starting_in(self, start: int, end: int) -> range:
        return range(bisect.bisect_left(self.starts, start), bisect.bisect_left(self.starts, end))

    def inside_long_quote(self, position: int) -> bool:
        """Whether a long quote begins before ``position`` and ends after it."""
        index = bisect.bisect_left(self.starts, position) - 1
        return index >= 0 and self.long[index] and position < self.ends[index]


def sentence_dates(doc: Prepared) -> list[tuple[DateMention, ...]]:
    """The date expressions of each of the article's sentences, in order: the claims' ledger and its event
    sub-claims both read them (scanning a sentence once, not once per reader)."""
    text = doc.article.text
    return [tuple(extract_dates(text, sentence.start, sentence.end)) for sentence in doc.sentences]


def extract_claim_candidates(doc: Prepared,
                             dates_by_sentence: Optional[Sequence[tuple[DateMention, ...]]] = None) -> list[ClaimCandidate]:
    """Every checkable statement of one article, opinion included but marked (see ``ClaimCandidate.is_fact``).

    A quote of at least four words becomes a quote claim when a speaker is
    found or it stands as a sentence of its own; its speaker is 'X said',
    'according to X', 'X told/wrote/noted/...' before or after it, 'he'/'she'
    taking the previous quote's speaker, and an unattributed quote continuing
    a paragraph takes the paragraph's last speaker. Numbers outside quotes
    become number claims worded by their clause; a sentence with a named
    actor, an action and a date is an event; other sentences are statements.
    ``dates_by_sentence``: :func:`sentence_dates` of ``doc``, when the caller has them already.
    """
    text = doc.article.text
    sentences = doc.sentences
    candidates: list[ClaimCandidate] = []
    previous_speaker: Optional[tuple[str, Span]] = None
    previous_speaker_line = -1
    consumed_quotes: set[Span] = set()

    sentence_starts = [s.start for s in sentences]

    def sentence_index_at(position: int) -> int:
        """The last sentence starting at or before ``position``."""
        return max(bisect.bisect_right(sentence_starts, position) - 1, 0)

    quotes = _QuoteIndex(find_quotes(text))
    lines = _Lines(text)
    for index, sentence in enumerate(sentences):
        line = lines.line(sentence.start)
        line_start = lines.start(sentence.start)
        if is_boilerplate(sentence.text, line):
            continue
        names = proper_names(sentence.text)
        sentence_span = (sentence.start, sentence.end)
        quotes_here = [quotes.quotes[i] for i in quotes.starting_in(sentence.start, sentence.end)
                       if quotes.quotes[i].span not in consumed_quotes]
        long_quotes: list[QuoteSpan] = []
        protected: list[Span] = [quotes.quotes[i].span for i in quotes.overlapping(sentence.start, sentence.end)]
        for quote in quotes_here:
            if len(split_words(quote.text)) < in_use().min_quote_words:
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
            # A few quoted words inside the writer's sentence ("called it 'a significant issue'") are a
            # fragment of that sentence, not a quote of its own: the sentence is the claim.
            if not standalone and len(split_words(quote.text)) < in_use().min_statement_words:
                consumed_quotes.discard(quote.span)
                continue
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
                names=proper_names(quote.text), opinion=False,
            ))
        if quotes.inside_long_quote(sentence.start):
            continue  # a later sentence of a quote that began earlier

        attribution = find_attribution(text, sentence.start, sentence.end)
        if attribution is not None and attribution[0].lower() in _PRONOUNS:
            attribution = previous_speaker
        speaker_text = attribution[0] if attribution else None
        speaker_span = attribution[1] if attribution else None
        long_quote_spans = [q.span for q in long_quotes]
        segments = _clause_segments(text, sentence.start, sentence.end, protected)
        in_sentence = (dates_by_sentence[index] if dates_by_sentence is not None
                       else tuple(extract_dates(text, sentence.start, sentence.end)))
        dates = tuple(d for d in in_sentence if not any(qs <= d.span[0] < qe for qs, qe in long_quote_spans))
        quantities = [q for q in extract_quantities(text, sentence.start, sentence.end, dates=in_sentence)
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
                names=proper_names(text[run[0]:run[1]]), opinion=bool(loaded), opinion_words=loaded,
            ))
            made_claim = True
        if made_claim:
            continue
        hedges = hedge_markers(sentence.text)
        anchor_dates = [d for d in dates if not d.relative] or list(dates)
        if anchor_dates and _has_named_action(QUOTE_PAIRS.sub(" ", sentence.text)):
            run, loaded = _opinion_free_run(text, segments, anchor_dates[0].span)
            run = _trim(text, run)
            if not _has_named_action(text[run[0]:run[1]]):
                run, loaded = sentence_span, opinion_markers(sentence.text)
            candidates.append(ClaimCandidate(
                article=doc.id, kind="event", span=run, wording=text[run[0]:run[1]], sentence_index=index,
                sentence_span=sentence_span, sentence=sentence.text, speaker_text=speaker_text,
                speaker_span=speaker_span, dates=dates, names=proper_names(text[run[0]:run[1]]),
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


