"""Stage 2, reuse: which articles derive from which, and how.

1. Candidates: MinHash LSH over ``Prepared.minhash`` finds lexical reuse
   (copies, excerpts); nearest neighbours of ``Prepared.vector`` by cosine find
   reworded and translated reuse, which shares few shingles.
2. Alignment: each candidate pair's sentences are compared by embedding cosine
   and by word overlap (so verbatim copies score 1.0 whatever the embedder),
   matched greedily best-first (reordered passages are allowed), and runs of
   adjacent matches are merged into passages with character spans.
3. Kind: from how much of each text aligns, and how verbatim the alignment is:
   ``duplicate``, ``excerpt``, ``rewrite``, ``translation``, ``shared-source``
   or ``related``.
4. Signs of machine translation (broken hyphenation, capitalised function
   words mid-sentence, stuttered phrases, inconsistent or run-together names)
   separate a machine translation back into the same language from a human
   rewrite, and say which side is the translation.
5. Direction: an attribution naming the other's outlet, then publication
   dates, then the text's shape (the excerpt comes from the longer text, the
   machine translation from the fluent one); None when nothing tells.

The core is pure: ``find_relations`` and ``relation_between`` read
``Prepared`` records and return ``Relation`` records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal, Optional, Sequence

import jellyfish
import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from .fingerprint import lsh_bands
from .model import Passage, Prepared, Relation, RelationKind, Sentence

# --- thresholds ----------------------------------------------------------------

# Shingle Jaccard at which LSH should make two articles candidates. Excerpts of
# long texts fall below it, but they are found by the embedding neighbours.
CANDIDATE_JACCARD = 0.5
# Article-vector cosine above which a pair is a candidate. Same-story articles
# score 0.75-0.9 with multilingual USE and an article and its machine
# translation ~0.86; unrelated news ~0.2-0.5. Kept loose: alignment verifies.
CANDIDATE_COSINE = 0.6
# At most this many embedding neighbours per new article, so a corpus of one
# giant story does not make every pair a candidate.
CANDIDATE_NEIGHBOURS = 30

# Sentences shorter than this (bylines, "Advertisement", photo credits) match
# too easily by chance and are left out of alignment and coverage.
MIN_SENTENCE_WORDS = 4
# A sentence pair aligns at this combined similarity. Multilingual USE gives
# 0.75-0.9 for a sentence and its (machine) translation, 0.5-0.7 for two
# different sentences about the same facts, ~0.1-0.3 for unrelated ones.
SENTENCE_MATCH = 0.70
# Word-set Dice at which an aligned sentence counts as copied verbatim
# (allows a changed word or two, or a different dateline).
VERBATIM_SENTENCE = 0.85

# Both texts copied verbatim almost whole.
DUPLICATE_COVERAGE = 0.9
# Most of the shorter text is copied verbatim...
EXCERPT_COVERAGE = 0.8
# ...and it is at most this share of the longer text's length.
EXCERPT_LENGTH_RATIO = 0.7
# Share of the shorter text (by characters) that must align for it to be the
# same content reworded or translated: half the sentences of an independent
# report on the same event rarely reach 0.7 cosine with another's.
REUSE_COVERAGE = 0.5
# Mean content-word overlap (Dice) of the aligned sentences below which they
# are reworded rather than copied. A machine translation back into the language
# of its source keeps many of its content words (0.4-0.75 measured), so only a
# copy with a few edits (above 0.8) is kept from being called a translation.
LOW_LEXICAL = 0.8
# A derivation from a common third text shows as a smaller aligned share
# plus shared attributions.
SHARED_SOURCE_COVERAGE = 0.2
# Share of aligned sentence pairs that must keep the same order.
SHARED_SOURCE_ORDER = 0.6
# Related (same story, independently written): high article cosine and some
# aligned content. The stories stage decides membership; this only records it.
RELATED_COSINE = 0.75
# Machine translation needs several signs, of at least two kinds or three in
# all: any one of them is an occasional typo in a human text.
MT_MIN_SIGN_KINDS = 2
MT_MIN_SIGNS = 3
# Two capitalised words with the same first letter and sound (metaphone) and
# this letter similarity are one name spelt two ways: a transliterated surname
# spelt twice in one text scored 65-85 here, while two ordinary words that
# share a sound code (a month and a first name) scored 60.
SAME_SOUND_RATIO = 65.0
# Name similarity for a mangled rendering of a name in the aligned sentence.
MANGLED_NAME_RATIO = 75.0

Direction = Optional[Literal["a->b", "b->a"]]

_WORD = re.compile(r"\w+", re.UNICODE)
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w'’-]*")
_NAME_SEQUENCE = re.compile(r"[A-ZÀ-ÖØ-Þ][\w.&'’-]*(?:\s+(?:de|del|la|van|von|da|al|bin)?\s*[A-ZÀ-ÖØ-Þ][\w.&'’-]*)*")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")


# --- 1. candidates ----------------------------------------------------------------


def find_relations(new: Sequence[Prepared], existing: Sequence[Prepared] = ()) -> list[Relation]:
    """Relations between each new article and every other article, new or existing.

    Pairs of two existing articles are never compared again: the runner keeps
    their relations. Only pairs that are really linked are returned, sorted by
    ``(a, b)``.
    """
    new_ids = {p.id for p in new}
    articles = list(new) + [p for p in existing if p.id not in new_ids]
    if len(articles) < 2 or not new:
        return []
    pairs = _lsh_candidates(articles, len(new)) | _embedding_candidates(articles, len(new))
    profiles: dict[str, _Profile] = {}
    relations: list[Relation] = []
    for i, j in sorted(pairs):
        first, second = articles[i], articles[j]
        if first.id == second.id:
            continue
        for prepared in (first, second):
            if prepared.id not in profiles:
                profiles[prepared.id] = _profile(prepared)
        relation = _relation(first, second, profiles[first.id], profiles[second.id])
        if relation is not None:
            relations.append(relation)
    return sorted(relations, key=lambda r: (r.a, r.b))


def _lsh_candidates(articles: Sequence[Prepared], new_count: int) -> set[tuple[int, int]]:
    """Index pairs (i < j, i among the first ``new_count``) sharing an LSH bucket."""
    signatures = np.stack([np.asarray(p.minhash, dtype=np.uint32) for p in articles])
    # A text with no words has an all-ones signature; such texts would all collide.
    has_words = ~np.all(signatures == 0xFFFFFFFF, axis=1)
    bands, rows = lsh_bands(CANDIDATE_JACCARD, signatures.shape[1])
    pairs: set[tuple[int, int]] = set()
    indices = np.flatnonzero(has_words)
    if len(indices) < 2:
        return pairs
    for band in range(bands):
        block = signatures[indices, band * rows:(band + 1) * rows]
        _, bucket = np.unique(block, axis=0, return_inverse=True)
        bucket = bucket.ravel()
        order = np.argsort(bucket, kind="stable")
        boundaries = np.flatnonzero(np.diff(bucket[order])) + 1
        for members in np.split(indices[order], boundaries):
            if len(members) < 2 or members.min() >= new_count:
                continue
            for i, j in combinations(sorted(members.tolist()), 2):
                if i < new_count:
                    pairs.add((i, j))
    return pairs


def _embedding_candidates(articles: Sequence[Prepared], new_count: int) -> set[tuple[int, int]]:
    """Index pairs whose article vectors are close: each new article's nearest neighbours."""
    vectors = np.stack([np.asarray(p.vector, dtype=np.float32) for p in articles])
    pairs: set[tuple[int, int]] = set()
    chunk = 1024
    for start in range(0, new_count, chunk):
        stop = min(start + chunk, new_count)
        cosine = vectors[start:stop] @ vectors.T
        cosine[np.arange(stop - start), np.arange(start, stop)] = -1.0
        keep = min(CANDIDATE_NEIGHBOURS, cosine.shape[1])
        top = np.argpartition(-cosine, keep - 1, axis=1)[:, :keep]
        rows, cols = np.nonzero(np.take_along_axis(cosine, top, axis=1) >= CANDIDATE_COSINE)
        for row, col in zip(rows.tolist(), top[rows, cols].tolist()):
            i = start + row
            pairs.add((min(i, col), max(i, col)) if col < new_count else (i, col))
    return pairs


# --- per-article signals, computed once ------------------------------------------


@dataclass
class _Profile:
    tokens: list[frozenset[str]]
    usable: np.ndarray  # bool per sentence: long enough to align
    lengths: np.ndarray  # characters per sentence
    signs: list[tuple[str, str]] = field(default_factory=list)  # (kind, quoted text)
    attributions: set[str] = field(default_factory=set)


def _content_words(text: str) -> frozenset[str]:
    """The sentence's words less short and function words, which any two English sentences share."""
    words = frozenset(w for w in _WORD.findall(text.lower()) if (len(w) > 2 or w.isdigit()) and w not in _FUNCTION_WORDS)
    # A sentence of function words only still needs something to compare.
    return words or frozenset(_WORD.findall(text.lower()))


def _profile(prepared: Prepared) -> _Profile:
    tokens = [_content_words(s.text) for s in prepared.sentences]
    word_counts = np.array([len(_WORD.findall(s.text)) for s in prepared.sentences], dtype=np.int64)
    return _Profile(
        tokens=tokens,
        usable=word_counts >= MIN_SENTENCE_WORDS,
        lengths=np.array([s.end - s.start for s in prepared.sentences], dtype=np.float64),
        signs=machine_translation_signs(prepared.article.text),
        attributions=attributed_sources(prepared.article.text),
    )


# --- 2. alignment -------------------------------------------------------------------


@dataclass(frozen=True)
class _Link:
    a: int  # sentence index in a
    b: int  # sentence index in b
    semantic: float
    lexical: float

    @property
    def similarity(self) -> float:
        return max(self.semantic, self.lexical)


def _lexical_matrix(tokens_a: Sequence[frozenset[str]], tokens_b: Sequence[frozenset[str]]) -> np.ndarray:
    """Dice overlap of the word sets of every sentence pair, as one matrix product."""
    vocabulary: dict[str, int] = {}
    for sentence in (*tokens_a, *tokens_b):
        for token in sentence:
            vocabulary.setdefault(token, len(vocabulary))

    def incidence(sentences: Sequence[frozenset[str]]) -> np.ndarray:
        matrix = np.zeros((len(sentences), max(len(vocabulary), 1)), dtype=np.float32)
        for row, sentence in enumerate(sentences):
            matrix[row, [vocabulary[t] for t in sentence]] = 1.0
        return matrix

    in_a, in_b = incidence(tokens_a), incidence(tokens_b)
    shared = in_a @ in_b.T
    sizes = in_a.sum(axis=1)[:, None] + in_b.sum(axis=1)[None, :]
    return np.where(sizes > 0, 2.0 * shared / np.maximum(sizes, 1.0), 0.0)


def _align(a: Prepared, b: Prepared, profile_a: _Profile, profile_b: _Profile) -> list[_Link]:
    """Sentence links, best first one-to-one, then neighbours of a link that split or merge sentences."""
    if not a.sentences or not b.sentences:
        return []
    semantic = np.asarray(a.sentence_vectors, dtype=np.float32) @ np.asarray(b.sentence_vectors, dtype=np.float32).T
    lexical = _lexical_matrix(profile_a.tokens, profile_b.tokens)
    combined = np.maximum(semantic, lexical)
    usable = profile_a.usable[:, None] & profile_b.usable[None, :]
    combined = np.where(usable, combined, 0.0)

    rows, cols = np.nonzero(combined >= SENTENCE_MATCH)
    order = np.argsort(-combined[rows, cols], kind="stable")
    partner_of_a: dict[int, int] = {}
    partner_of_b: dict[int, int] = {}
    for k in order.tolist():
        r, c = int(rows[k]), int(cols[k])
        if r not in partner_of_a and c not in partner_of_b:
            partner_of_a[r], partner_of_b[c] = c, r
    links = {(r, c) for r, c in partner_of_a.items()}

    # One sentence of a may be two of b (or the reverse): an unmatched sentence
    # whose best match is the partner of its neighbour joins that link.
    for r in range(len(a.sentences)):
        if r in partner_of_a:
            continue
        c = int(np.argmax(combined[r]))
        if combined[r, c] >= SENTENCE_MATCH and partner_of_b.get(c) in (r - 1, r + 1):
            links.add((r, c))
    for c in range(len(b.sentences)):
        if c in partner_of_b:
            continue
        r = int(np.argmax(combined[:, c]))
        if combined[r, c] >= SENTENCE_MATCH and partner_of_a.get(r) in (c - 1, c + 1):
            links.add((r, c))
    return [_Link(r, c, float(semantic[r, c]), float(lexical[r, c])) for r, c in sorted(links)]


def _passages(links: Sequence[_Link], sentences_a: Sequence[Sentence], sentences_b: Sequence[Sentence]) -> list[Passage]:
    """Runs of links adjacent on both sides merged into passages."""
    passages: list[Passage] = []
    run: list[_Link] = []

    def close() -> None:
        if run:
            passages.append(Passage(
                a=(sentences_a[min(l.a for l in run)].start, sentences_a[max(l.a for l in run)].end),
                b=(sentences_b[min(l.b for l in run)].start, sentences_b[max(l.b for l in run)].end),
                similarity=round(float(np.mean([l.similarity for l in run])), 3),
            ))

    for link in sorted(links, key=lambda l: (l.a, l.b)):
        if run and link.a - run[-1].a in (0, 1) and link.b - run[-1].b in (0, 1):
            run.append(link)
        else:
            close()
            run = [link]
    close()
    return passages


@dataclass
class _Coverage:
    """Shares of each text's usable characters that align (plain, similarity-weighted, verbatim)."""

    aligned_a: float
    aligned_b: float
    weighted_a: float
    weighted_b: float
    verbatim_a: float
    verbatim_b: float
    lexical: float  # mean word overlap of the aligned pairs, weighted by length


def _coverage(links: Sequence[_Link], profile_a: _Profile, profile_b: _Profile) -> _Coverage:
    def shares(profile: _Profile, side: str) -> tuple[float, float, float]:
        total = float(profile.lengths[profile.usable].sum()) or 1.0
        best: dict[int, _Link] = {}
        for link in links:
            index = getattr(link, side)
            if index not in best or link.similarity > best[index].similarity:
                best[index] = link
        aligned = sum(profile.lengths[i] for i in best)
        weighted = sum(profile.lengths[i] * min(l.similarity, 1.0) for i, l in best.items())
        verbatim = sum(profile.lengths[i] for i, l in best.items() if l.lexical >= VERBATIM_SENTENCE)
        return aligned / total, weighted / total, verbatim / total

    aligned_a, weighted_a, verbatim_a = shares(profile_a, "a")
    aligned_b, weighted_b, verbatim_b = shares(profile_b, "b")
    weights = np.array([profile_a.lengths[l.a] + profile_b.lengths[l.b] for l in links])
    lexical = float(np.average([l.lexical for l in links], weights=weights)) if links else 0.0
    return _Coverage(aligned_a, aligned_b, weighted_a, weighted_b, verbatim_a, verbatim_b, lexical)


def _order_agreement(links: Sequence[_Link]) -> float:
    """Share of links in the longest run that keeps the same order in both texts."""
    if not links:
        return 0.0
    sequence = [l.b for l in sorted(links, key=lambda l: (l.a, l.b))]
    tails: list[int] = []
    for value in sequence:  # longest non-decreasing subsequence, patience style
        position = int(np.searchsorted(tails, value, side="right"))
        if position == len(tails):
            tails.append(value)
        else:
            tails[position] = value
    return len(tails) / len(sequence)


# --- 3. kind, 5. direction ------------------------------------------------------------


def relation_between(a: Prepared, b: Prepared) -> Optional[Relation]:
    """Align one pair and classify it; None when the two are not linked."""
    return _relation(a, b, _profile(a), _profile(b))


def _relation(first: Prepared, second: Prepared, profile_first: _Profile, profile_second: _Profile) -> Optional[Relation]:
    # Relation.a is the smaller id; every "a"/"b" below follows that order.
    if first.id > second.id:
        first, second, profile_first, profile_second = second, first, profile_second, profile_first
    a, b, pa, pb = first, second, profile_first, profile_second
    links = _align(a, b, pa, pb)
    if not links:
        return None
    coverage = _coverage(links, pa, pb)
    length_a = float(pa.lengths[pa.usable].sum())
    length_b = float(pb.lengths[pb.usable].sum())
    a_is_shorter = length_a <= length_b
    shorter_aligned = coverage.aligned_a if a_is_shorter else coverage.aligned_b
    shorter_weighted = coverage.weighted_a if a_is_shorter else coverage.weighted_b
    shorter_verbatim = coverage.verbatim_a if a_is_shorter else coverage.verbatim_b
    length_ratio = min(length_a, length_b) / max(length_a, length_b, 1.0)

    evidence: list[str] = [
        f"aligned {coverage.aligned_a:.0%} of a and {coverage.aligned_b:.0%} of b "
        f"({len(links)} sentence pairs, word overlap {coverage.lexical:.2f})"
    ]
    mt_signs_a, mt_signs_b = _signs_with_names(a, b, pa, pb, links)
    translated_side = _machine_translated_side(mt_signs_a, mt_signs_b)
    languages_differ = bool(a.language and b.language and a.language != b.language)
    kind: Optional[RelationKind]
    structural: Direction = None

    if coverage.verbatim_a >= DUPLICATE_COVERAGE and coverage.verbatim_b >= DUPLICATE_COVERAGE:
        kind = "duplicate"
    elif shorter_verbatim >= EXCERPT_COVERAGE and length_ratio <= EXCERPT_LENGTH_RATIO:
        kind = "excerpt"
        structural = "b->a" if a_is_shorter else "a->b"
        evidence.append(f"{'a' if a_is_shorter else 'b'} is a verbatim part of the longer text")
    elif shorter_aligned >= REUSE_COVERAGE and (languages_differ or (translated_side and coverage.lexical < LOW_LEXICAL)):
        kind = "translation"
        if languages_differ:
            evidence.append(f"languages differ: {a.language} and {b.language}")
        if translated_side:
            structural = "b->a" if translated_side == "a" else "a->b"
            evidence.append(f"{translated_side} reads as a machine translation; the fluent text comes first")
    elif shorter_aligned >= REUSE_COVERAGE:
        kind = "rewrite"
    else:
        kind = _shared_source_or_related(a, b, pa, pb, links, shorter_aligned, evidence)
    if kind is None:
        return None

    for side, signs in (("a", mt_signs_a), ("b", mt_signs_b)):
        if signs and kind in ("translation", "rewrite"):
            evidence.extend(f"machine translation sign in {side}: {sign}: {quoted}" for sign, quoted in _grouped(signs))

    direction = None
    if kind not in ("shared-source", "related"):
        direction = _direction(a, b, pa, pb, structural, evidence)
    score = round(float(min(max(shorter_weighted, 0.0), 1.0)), 3)
    return Relation(
        a=a.id, b=b.id, kind=kind, direction=direction, score=score,
        evidence=evidence, passages=_passages(links, a.sentences, b.sentences),
    )


def _shared_source_or_related(
    a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, links: Sequence[_Link], shorter_aligned: float,
    evidence: list[str],
) -> Optional[RelationKind]:
    shared = sorted(pa.attributions & pb.attributions)
    order = _order_agreement(links)
    if shorter_aligned >= SHARED_SOURCE_COVERAGE and shared and len(links) >= 2 and order >= SHARED_SOURCE_ORDER:
        evidence.append("both attribute to: " + ", ".join(f"'{name}'" for name in shared))
        facts = _shared_facts(a, b, links)
        if facts:
            evidence.append("shared facts in aligned passages: " + ", ".join(f"'{f}'" for f in facts[:8]))
        evidence.append(f"aligned passages in the same order: {order:.0%}")
        return "shared-source"
    cosine = float(np.dot(a.vector, b.vector))
    if cosine >= RELATED_COSINE:
        evidence.append(f"article cosine {cosine:.2f}")
        return "related"
    return None


def _shared_facts(a: Prepared, b: Prepared, links: Sequence[_Link]) -> list[str]:
    """Numbers and capitalised words that both sentences of an aligned pair carry."""
    facts: list[str] = []
    for link in sorted(links, key=lambda l: l.a):
        text_a, text_b = a.sentences[link.a].text, b.sentences[link.b].text
        for pattern in (_NUMBER, _NAME_SEQUENCE):
            in_b = {m.group().rstrip(".,") for m in pattern.finditer(text_b)}
            for match in pattern.finditer(text_a):
                fact = match.group().rstrip(".,")
                if len(fact) > 1 and fact in in_b and match.start() > 0 and fact not in facts:
                    facts.append(fact)
    return facts


def _direction(a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, structural: Direction, evidence: list[str]) -> Direction:
    """Who copied whom: an attribution to the other's outlet, then dates, then the texts' shape."""
    checks: list[tuple[Prepared, _Profile, str, Direction]] = [(a, pb, "b", "a->b"), (b, pa, "a", "b->a")]
    for source, reader_profile, reader, arrow in checks:
        outlet = (source.article.outlet or "").strip().lower()
        if outlet and any(outlet == name or outlet in name for name in reader_profile.attributions):
            evidence.append(f"{reader} attributes its report to {source.article.outlet!r}")
            return arrow
    dated = _date_order(a.article.published, b.article.published)
    if dated:
        evidence.append(f"published {a.article.published} (a) and {b.article.published} (b)")
        return dated
    return structural


def _date_order(published_a: Optional[str], published_b: Optional[str]) -> Direction:
    """Earlier to later, compared at the precision both dates have; None when equal or unknown."""
    if not published_a or not published_b:
        return None
    precision = min(len(published_a), len(published_b))
    first, second = published_a[:precision], published_b[:precision]
    if first == second:
        return None
    return "a->b" if first < second else "b->a"


# --- attributions ---------------------------------------------------------------------

_NAME = r"((?:[A-ZÀ-ÖØ-Þ][\w&.'’-]*)(?:\s+[A-ZÀ-ÖØ-Þ][\w&.'’-]*){0,4})"
_ATTRIBUTION_PATTERNS = [
    re.compile(rf"\b(?i:according to (?:the |a |an )?(?:report (?:by|from|in) )?(?:the )?){_NAME}"),
    re.compile(rf"\b(?i:(?:told|citing|cited by|reported by|obtained by|first reported by) (?:the )?){_NAME}"),
    re.compile(rf"{_NAME} (?:first )?(?:reported|reports|has reported|had reported)\b"),
]
# "sources ... told/to X": the outlet a report was given to, anywhere in a sourcing sentence.
_SOURCED_SENTENCE = re.compile(r"\bsources?\b[^.\n]*?\b(?:to|told|with) (?:the )?" + _NAME)


def attributed_sources(text: str) -> set[str]:
    """Names the text attributes its reporting to ("X reported", "according to X", "told X"), lowercased."""
    names: set[str] = set()
    for pattern in (*_ATTRIBUTION_PATTERNS, _SOURCED_SENTENCE):
        for match in pattern.finditer(text):
            # A name ends at a full stop followed by a space ("Daily Courier. The ...").
            name = re.split(r"\.\s", match.group(1))[0].strip(" .,'’")
            if name and name.split()[0] not in _FUNCTION_WORDS_TITLE:
                names.add(name.lower())
    return names


# --- 4. signs of machine translation ---------------------------------------------------

# English function words: capitalised after a lowercase word with no punctuation
# between, they mark a sentence boundary lost in machine translation.
_FUNCTION_WORDS = {
    "the", "a", "an", "in", "on", "at", "now", "they", "it", "he", "she", "we", "this", "that", "these",
    "those", "to", "of", "for", "and", "but", "or", "with", "by", "from", "as", "is", "are", "was", "were",
    "his", "her", "their", "its", "there", "then", "when", "which", "who", "if", "so",
}
_FUNCTION_WORDS_TITLE = {w.capitalize() for w in _FUNCTION_WORDS}
_BROKEN_HYPHEN = re.compile(r"\b\w+ -(?=[A-Za-zÀ-ÿ])\w+")
_LOST_BOUNDARY = re.compile(r"\b([a-z][a-z]+) (" + "|".join(sorted(_FUNCTION_WORDS_TITLE)) + r")\b(?= [a-z])")
_TOKEN_WITH_OFFSET = re.compile(r"[\w'’-]+")


def machine_translation_signs(text: str) -> list[tuple[str, str]]:
    """Signs of machine translation found in one text alone, as ``(kind, quoted text)``.

    Broken hyphenation ("anti -flood"), a capitalised function word after a
    lowercase word with no punctuation ("contracts They will be"), a phrase
    repeated within a few words ("the ferry service of the ferry service"),
    and one name rendered in several similar spellings.
    """
    signs: list[tuple[str, str]] = []
    for line in text.splitlines():
        signs.extend(("broken hyphenation", m.group()) for m in _BROKEN_HYPHEN.finditer(line))
        signs.extend(("lost sentence boundary", m.group()) for m in _LOST_BOUNDARY.finditer(line))
        signs.extend(("repeated phrase", phrase) for phrase in _stuttered_phrases(line))
    signs.extend(("inconsistent name", pair) for pair in _inconsistent_names(text))
    return signs


def _stuttered_phrases(line: str, min_words: int = 3, max_gap: int = 6) -> list[str]:
    """Phrases of ``min_words``+ words repeated with at most ``max_gap`` words between, within one sentence."""
    found: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", line):
        words = [w.lower() for w in _WORD.findall(sentence)]
        seen_until = -1
        for length in range(6, min_words - 1, -1):
            for i in range(len(words) - 2 * length + 1):
                if i <= seen_until:
                    continue
                gram = words[i:i + length]
                if all(w in _FUNCTION_WORDS for w in gram):
                    continue
                window = words[i + length:i + 2 * length + max_gap]
                for j in range(len(window) - length + 1):
                    if window[j:j + length] == gram:
                        found.append(" ".join(_WORD.findall(sentence)[i:i + length]))
                        seen_until = i + 2 * length + j
                        break
    return found


def _inconsistent_names(text: str) -> list[str]:
    """Pairs of capitalised words that look like two spellings of one name ("Oduya" / "Oduja")."""
    words = sorted({m.group().rstrip("'’s").rstrip("'’") for m in _CAPITALISED.finditer(text)})
    words = [w for w in words if len(w) >= 4 and w.isalpha() and not w.isupper() and w not in _FUNCTION_WORDS_TITLE]
    codes = {w: jellyfish.metaphone(w) for w in words}
    pairs: list[str] = []
    for first, second in combinations(words, 2):
        x, y = first.lower(), second.lower()
        if x == y or x.startswith(y) or y.startswith(x):  # inflections: Kenya / Kenyan
            continue
        if len(x) == len(y) and x[:-1] == y[:-1]:  # one name in two languages: Banque / Banqua
            continue
        same_sound = x[0] == y[0] and codes[first] == codes[second] and fuzz.ratio(x, y) >= SAME_SOUND_RATIO
        one_letter_swap = len(x) == len(y) and JaroWinkler.similarity(x, y) >= 0.9 and fuzz.ratio(x, y) >= 80
        if same_sound or one_letter_swap:
            pairs.append(f"'{first}' / '{second}'")
    return pairs


def _mangled_names(a: Prepared, b: Prepared, links: Sequence[_Link], side: str) -> list[tuple[str, str]]:
    """Names in ``side``'s aligned sentences that render the other's name garbled or run together.

    Only a word the other text never uses, close to a name the other uses and
    this text never uses, counts: two honest spellings of one name differ in
    both directions, and inflections are excluded.
    """
    this, other = (a, b) if side == "a" else (b, a)
    this_words = {w.lower() for w in _WORD.findall(this.article.text)}
    other_words = {w.lower() for w in _WORD.findall(other.article.text)}
    signs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for link in links:
        if link.lexical >= VERBATIM_SENTENCE:
            continue
        mine = this.sentences[link.a if side == "a" else link.b].text
        theirs = other.sentences[link.b if side == "a" else link.a].text
        their_names = [m.group() for m in _NAME_SEQUENCE.finditer(theirs)]
        for match in _CAPITALISED.finditer(mine):
            word = match.group().strip("'’-")
            lowered = word.lower()
            if match.start() == 0 or len(word) < 4 or lowered in other_words or word in seen or word.isupper():
                continue
            for name in their_names:
                parts = [p.strip(".,;:'’") for p in name.split() if p[:1].isupper()]
                # Every run of the name's words, longest first: "Under President X Y" holds "X Y".
                candidates = [
                    " ".join(parts[i:j]) for size in range(len(parts), 0, -1)
                    for i in range(len(parts) - size + 1) for j in [i + size]
                ]
                for candidate in candidates:
                    joined = candidate.replace(" ", "").lower()
                    if len(joined) < 4 or any(p.lower() in this_words for p in candidate.split()):
                        continue
                    run_together = " " in candidate and joined == lowered
                    if not run_together and (joined.startswith(lowered) or lowered.startswith(joined)):
                        continue
                    if run_together or fuzz.ratio(lowered, joined) >= MANGLED_NAME_RATIO:
                        label = "run-together name" if " " in candidate else "mangled name"
                        signs.append((label, f"'{word}' for '{candidate}'"))
                        seen.add(word)
                        break
                if word in seen:
                    break
    return signs


def _signs_with_names(
    a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, links: Sequence[_Link]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Each text's own signs plus the names it garbles relative to the other.

    A run-together name ("Helenavoss" for "Helena Voss") tells which side
    garbled it. A single name spelt two ways ("Hartley" / "Hartlee") does not,
    so it is counted only for the text that already shows more signs alone.
    """
    names_a = _mangled_names(a, b, links, side="a")
    names_b = _mangled_names(a, b, links, side="b")
    signs_a = pa.signs + [s for s in names_a if s[0] == "run-together name"]
    signs_b = pb.signs + [s for s in names_b if s[0] == "run-together name"]
    if len(pa.signs) > len(pb.signs):
        signs_a += [s for s in names_a if s[0] != "run-together name"]
    elif len(pb.signs) > len(pa.signs):
        signs_b += [s for s in names_b if s[0] != "run-together name"]
    return signs_a, signs_b


def _machine_translated_side(signs_a: Sequence[tuple[str, str]], signs_b: Sequence[tuple[str, str]]) -> Optional[str]:
    """'a' or 'b' when that text carries enough signs of machine translation and more than the other."""

    def enough(signs: Sequence[tuple[str, str]]) -> bool:
        return len({kind for kind, _ in signs}) >= MT_MIN_SIGN_KINDS or len(signs) >= MT_MIN_SIGNS

    if enough(signs_a) and len(signs_a) > len(signs_b):
        return "a"
    if enough(signs_b) and len(signs_b) > len(signs_a):
        return "b"
    return None


def _grouped(signs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """One evidence string per kind of sign, quoting each instance once."""
    by_kind: dict[str, list[str]] = {}
    for kind, quoted in signs:
        quoted = quoted if quoted.startswith("'") else f"'{quoted}'"
        if quoted not in by_kind.setdefault(kind, []):
            by_kind[kind].append(quoted)
    return [(kind, ", ".join(quoted)) for kind, quoted in by_kind.items()]
