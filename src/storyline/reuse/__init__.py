"""Stage 2, reuse: which articles derive from which, and how.

1. Candidates, at most ``CANDIDATE_LIMIT`` per article from each source, so a
   wire story reprinted thousands of times never makes the work quadratic:
   MinHash LSH over ``Prepared.minhash`` (bands and rows derived from
   ``CANDIDATE_JACCARD``) finds copies and excerpts, ranked by estimated
   Jaccard; nearest neighbours of ``Prepared.vector`` find reworded and
   translated reuse, which shares few shingles; shared names and numbers find
   translations from languages the embedding model does not cover.
2. Alignment: each candidate pair's sentences are compared by embedding cosine
   and by word overlap (so verbatim copies score 1.0 whatever the embedder),
   one sentence against one or against two adjacent ones (translations and
   rewrites split and merge sentences), matched greedily best-first (reordered
   passages are allowed); runs of adjacent matches become passages with
   character spans in both articles.
3. Kind, from how much of each text aligns and how verbatim it is:
   ``duplicate``, ``excerpt``, ``rewrite``, ``translation`` (another language,
   or a machine translation back into the same one), ``shared-source`` (both
   carry the same attributions and the same facts in the same order, or both
   derive from a third article of the corpus) or ``related``.
4. Signs of machine translation (broken hyphenation, capitalised function
   words mid-sentence, stuttered phrases, inconsistent, garbled or run-together
   names) are reported as evidence, and say which side is the translation.
5. Direction: ``"a->b"`` means article ``a`` is the source and ``b`` derives
   from it (``"b->a"`` the reverse). It comes from an attribution naming the
   other's outlet, then publication dates, then the text's shape (an excerpt
   comes from the longer text, a machine translation from the fluent one);
   None when nothing tells, and always None for ``shared-source`` and
   ``related``.

Evidence strings name the articles (by outlet, else by source file name) so
they read on their own.

The core is pure: ``find_relations``, ``relation_between`` and
``alignment_measures`` read ``Prepared`` records and return ``Relation``
records (and numbers).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Callable, Literal, Optional, Sequence

import jellyfish
import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler
from unidecode import unidecode

from .boilerplate import boilerplate_sentences, count_site_lines
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
# At most this many candidates per new article from each source (LSH,
# embeddings, shared names), the most similar first: a story reprinted a
# thousand times is still one source, and linking each reprint to its closest
# few keeps it one group without comparing every pair.
CANDIDATE_LIMIT = 30
# Members of one LSH bucket looked at per article before ranking: a bucket of
# ten thousand reprints costs each of them this much, not ten thousand.
BUCKET_SCAN_LIMIT = 256
# Shared names and numbers that make a candidate (see _anchors): at least this
# many, and this share of the smaller set. A name or number carried by more
# than ANCHOR_MAX_POSTING articles ("2024", a country) says little about one
# pair and would make the lookup cost grow with the corpus: it is skipped.
ANCHOR_CANDIDATE_SHARED = 4
ANCHOR_CANDIDATE_DICE = 0.3
ANCHOR_MAX_POSTING = 500

# Sentences shorter than this (bylines, "Advertisement", photo credits) match
# too easily by chance and are left out of alignment and coverage.
MIN_SENTENCE_WORDS = 4
# A sentence pair aligns at this combined similarity. Multilingual USE gives
# 0.75-0.9 for a sentence and its (machine) translation, 0.5-0.7 for two
# different sentences about the same facts, ~0.1-0.3 for unrelated ones.
SENTENCE_MATCH = 0.70
# When a text's language was not identified, two texts whose most frequent
# words (FREQUENT_WORDS of them) overlap less than this are taken to be in
# different languages: two texts in one language share most of theirs (the
# function words), two in different languages share almost none.
FREQUENT_WORDS = 20
DIFFERENT_LANGUAGE_WORDS = 0.2
# The same across languages, where only links in the same order in both
# texts are kept (see _relation).
CROSS_LANGUAGE_MATCH = 0.5
# A sentence matched to two adjacent sentences of the other text must beat
# either of them alone by this much: the pair's mean vector is closer to
# anything related to both halves, so a bare win proves nothing.
MERGE_GAIN = 0.05
# Word-set Dice at which an aligned sentence counts as copied verbatim
# (allows a changed word or two, or a different dateline).
VERBATIM_SENTENCE = 0.85
# A word counts as copied verbatim when it lies in a run of this many words
# that the other text has too: four words in a row rarely recur by chance.
VERBATIM_GRAM = 4

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
# Shared source by attribution: both texts attribute their reporting to the
# same name, and at least this many aligned sentence pairs carry the same
# facts (names, numbers) in the same order in both texts, with at least this
# many distinct facts among them. Two reports written independently may share
# a source's name, but not several of its sentences in its order.
SHARED_SOURCE_PAIRS = 2
SHARED_SOURCE_FACTS = 3
# Share of the fact-carrying aligned pairs that must keep the same order.
SHARED_SOURCE_ORDER = 0.6
# Translation from a language the embedding model does not cover: the names
# and numbers of the text with fewer of them must recur in the other in the
# same order (longest common subsequence) at least this much, with at least
# ANCHOR_MIN_COUNT of them, and the two texts' sentence counts within
# ANCHOR_LENGTH_RATIO of each other. Independent reports of one event share
# some names, rarely most of them in one order.
ANCHOR_TRANSLATION = 0.5
# This route is only for texts the embedding model cannot read: when its
# alignment covers less than this of both texts. A model that reads both
# languages and aligns a third of them or more has already said "not a
# translation" (two reports of one story in two languages share most names).
ANCHOR_ROUTE_ALIGNED = 0.3
ANCHOR_MIN_COUNT = 6
ANCHOR_LENGTH_RATIO = 0.6
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

# Kinds in which one text derives from the other (not shared-source, not related).
DERIVED_KINDS = frozenset({"duplicate", "excerpt", "rewrite", "translation"})

Direction = Optional[Literal["a->b", "b->a"]]

_WORD = re.compile(r"\w+", re.UNICODE)
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w'’-]*")
_NAME_SEQUENCE = re.compile(r"[A-ZÀ-ÖØ-Þ][\w.&'’-]*(?:\s+(?:de|del|la|van|von|da|al|bin)?\s*[A-ZÀ-ÖØ-Þ][\w.&'’-]*)*")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_ANCHOR_TOKEN = re.compile(r"\w+(?:[.,]\d+)*", re.UNICODE)


# --- naming articles in evidence ---------------------------------------------------


def article_label(prepared: Prepared) -> str:
    """How evidence names an article: its outlet when known, else its source's file name."""
    outlet = (prepared.article.outlet or "").strip()
    return outlet or _source_name(prepared.article.source)


def _source_name(source: str) -> str:
    """The last part of a path or URL ("dump.jsonl#line=3", "002_4ee9.txt"), or the whole source."""
    name = source.rstrip("/").rsplit("/", 1)[-1]
    return name or source


def _labels(a: Prepared, b: Prepared) -> tuple[str, str]:
    """Labels for the two articles of one relation that tell them apart."""
    first, second = article_label(a), article_label(b)
    if first != second:
        return first, second
    first, second = _source_name(a.article.source), _source_name(b.article.source)
    if first != second:
        return (f"{article_label(a)} ({first})", f"{article_label(b)} ({second})") if a.article.outlet else (first, second)
    return a.article.source or a.id, b.article.source or b.id


# --- 1. candidates ----------------------------------------------------------------


def find_relations(
    new: Sequence[Prepared], existing: Sequence[Prepared] = (), *, known: Sequence[Relation] = (),
) -> list[Relation]:
    """Relations between each new article and every other article, new or existing.

    Pairs of two existing articles are never compared again: the runner keeps
    their relations. ``known`` may pass those kept relations: a new article
    and an existing one that both derive from a third article are then marked
    ``shared-source`` even when the existing one's link to the third was found
    in an earlier run. Only pairs that are really linked are returned, sorted
    by ``(a, b)``.
    """
    new_ids = {p.id for p in new}
    articles = list(new) + [p for p in existing if p.id not in new_ids]
    if len(articles) < 2 or not new:
        return []
    pairs = (_lsh_candidates(articles, len(new)) | _embedding_candidates(articles, len(new))
             | _anchor_candidates(articles, len(new)))
    profiles: dict[str, _Profile] = {}
    # Lines a site repeats on its pages align between any two of them: they are never reuse.
    site_lines = count_site_lines(articles)

    def profile(prepared: Prepared) -> _Profile:
        if prepared.id not in profiles:
            profiles[prepared.id] = _profile(prepared, boilerplate_sentences(prepared, site_lines))
        return profiles[prepared.id]

    relations: dict[tuple[str, str], Relation] = {}
    for i, j in sorted(pairs):
        first, second = articles[i], articles[j]
        if first.id == second.id:
            continue
        relation = _relation(first, second, profile(first), profile(second))[0]
        if relation is not None:
            relations[(relation.a, relation.b)] = relation
    by_id = {p.id: p for p in articles}
    _add_third_text_sources(relations, new_ids, by_id, known, profile)
    return sorted(relations.values(), key=lambda r: (r.a, r.b))


def _lsh_candidates(articles: Sequence[Prepared], new_count: int) -> set[tuple[int, int]]:
    """Index pairs (i < j, one of them among the first ``new_count``) sharing an LSH bucket.

    Each new article keeps its ``CANDIDATE_LIMIT`` bucket-mates of highest
    estimated Jaccard, looking at no more than ``BUCKET_SCAN_LIMIT`` members of
    any one bucket (its neighbours in the bucket's order), so the work grows
    linearly with the size of the biggest bucket, not with its square.
    """
    signatures = np.stack([np.asarray(p.minhash, dtype=np.uint32) for p in articles])
    # A text with no words has an all-ones signature; such texts would all collide.
    has_words = ~np.all(signatures == 0xFFFFFFFF, axis=1)
    bands, rows = lsh_bands(CANDIDATE_JACCARD, signatures.shape[1])
    indices = np.flatnonzero(has_words)
    pairs: set[tuple[int, int]] = set()
    if len(indices) < 2 or not has_words[:new_count].any():
        return pairs
    mates: dict[int, set[int]] = defaultdict(set)
    half = BUCKET_SCAN_LIMIT // 2
    for band in range(bands):
        block = signatures[indices, band * rows:(band + 1) * rows]
        _, bucket = np.unique(block, axis=0, return_inverse=True)
        bucket = bucket.ravel()
        order = np.argsort(bucket, kind="stable")
        boundaries = np.flatnonzero(np.diff(bucket[order])) + 1
        for members in np.split(indices[order], boundaries):
            if len(members) < 2 or members[0] >= new_count:  # members ascend: the first is the smallest
                continue
            for position in np.flatnonzero(members < new_count).tolist():
                low = max(0, min(position - half, len(members) - BUCKET_SCAN_LIMIT))
                mates[int(members[position])].update(members[low:low + BUCKET_SCAN_LIMIT].tolist())
    for i, found in mates.items():
        found.discard(i)
        if not found:
            continue
        others = np.fromiter(found, dtype=np.int64, count=len(found))
        estimated = np.mean(signatures[others] == signatures[i], axis=1)
        keep = others[np.argsort(-estimated, kind="stable")[:CANDIDATE_LIMIT]]
        pairs.update((min(i, j), max(i, j)) for j in keep.tolist())
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
        keep = min(CANDIDATE_LIMIT, cosine.shape[1])
        top = np.argpartition(-cosine, keep - 1, axis=1)[:, :keep]
        rows, cols = np.nonzero(np.take_along_axis(cosine, top, axis=1) >= CANDIDATE_COSINE)
        for row, col in zip(rows.tolist(), top[rows, cols].tolist()):
            i = start + row
            pairs.add((min(i, col), max(i, col)))
    return pairs


def _anchor_candidates(articles: Sequence[Prepared], new_count: int) -> set[tuple[int, int]]:
    """Index pairs sharing many names and numbers: translations the embedding model cannot see."""
    anchor_sets = [set(_anchors(p)) for p in articles]
    postings: dict[str, list[int]] = defaultdict(list)
    for index, anchors in enumerate(anchor_sets):
        for anchor in anchors:
            postings[anchor].append(index)
    pairs: set[tuple[int, int]] = set()
    for i in range(new_count):
        shared: dict[int, int] = defaultdict(int)
        for anchor in anchor_sets[i]:
            posting = postings[anchor]
            if len(posting) > ANCHOR_MAX_POSTING:
                continue
            for j in posting:
                if j != i:
                    shared[j] += 1
        scored = []
        for j, count in shared.items():
            smaller = min(len(anchor_sets[i]), len(anchor_sets[j]))
            if count >= ANCHOR_CANDIDATE_SHARED and count / max(smaller, 1) >= ANCHOR_CANDIDATE_DICE:
                scored.append((-count / smaller, j))
        for _, j in sorted(scored)[:CANDIDATE_LIMIT]:
            pairs.add((min(i, j), max(i, j)))
    return pairs


def _anchors(prepared: Prepared) -> list[str]:
    """The text's names and numbers in order, normalised to compare across languages.

    A name is a capitalised word that is not at the start of a sentence (or is
    capitalised there and elsewhere too), cut to its first five letters after
    transliteration so inflected forms meet ("Reykjavíkur" / "Reykjavik").
    A number keeps its digits only ("1,000" / "1.000" / "1000").
    """
    tokens: list[tuple[str, bool]] = []  # (token, sentence-initial)
    for sentence in prepared.sentences:
        start = True
        for match in _ANCHOR_TOKEN.finditer(unicodedata.normalize("NFKC", sentence.text)):
            tokens.append((match.group(), start))
            start = False
    mid_sentence_names = {t for t, initial in tokens if not initial and t[:1].isupper()}
    anchors: list[str] = []
    for token, initial in tokens:
        if token[0].isdigit():
            digits = "".join(ch for ch in token if ch.isdigit())
            if len(digits) >= 2 or not initial:
                anchors.append(digits)
        elif token[:1].isupper() and (not initial or token in mid_sentence_names) and len(token) >= 3:
            key = unidecode(token).lower()
            if key.isalpha() and key not in _FUNCTION_WORDS:
                anchors.append(key[:5])
    return anchors


# --- per-article signals, computed once ------------------------------------------


@dataclass
class _Profile:
    tokens: list[frozenset[str]]
    # The same content words as 64-bit hashes with their sentence's index, and the number of
    # distinct words per sentence and per two adjacent sentences: what _align's word overlap needs.
    token_hashes: np.ndarray  # uint64
    token_rows: np.ndarray  # int64
    token_counts: np.ndarray  # float32 per sentence
    adjacent_token_counts: np.ndarray  # float32 per pair of adjacent sentences
    words: frozenset[str]  # every word of the text, lower-cased
    usable: np.ndarray  # bool per sentence: long enough to align
    lengths: np.ndarray  # characters per sentence
    anchors: list[str]  # names and numbers in text order (see _anchors)
    grams: tuple[np.ndarray, np.ndarray]  # word n-gram hashes and word lengths (see _word_grams)
    gram_set: np.ndarray  # the n-gram hashes, sorted and distinct
    frequent_words: frozenset[str]  # the text's most frequent words (see _languages_differ)
    signs: list[tuple[str, str]] = field(default_factory=list)  # (kind, quoted text)
    attributions: set[str] = field(default_factory=set)


def _content_words(text: str) -> frozenset[str]:
    """The sentence's words less short and function words, which any two English sentences share."""
    words = frozenset(w for w in _WORD.findall(text.lower()) if (len(w) > 2 or w.isdigit()) and w not in _FUNCTION_WORDS)
    # A sentence of function words only still needs something to compare.
    return words or frozenset(_WORD.findall(text.lower()))


def _profile(prepared: Prepared, boilerplate: frozenset[int] = frozenset()) -> _Profile:
    tokens = [_content_words(s.text) for s in prepared.sentences]
    # Scripts written without spaces (Japanese, Chinese) have one \w+ run per
    # clause: count characters there instead, three to a word.
    word_counts = np.array([max(len(_WORD.findall(s.text)), _spaceless_words(s.text)) for s in prepared.sentences],
                           dtype=np.int64)
    grams = _word_grams(prepared.article.text)
    hashes = {token: _token_hash(token) for sentence in tokens for token in sentence}
    return _Profile(
        tokens=tokens,
        token_hashes=np.array([hashes[t] for sentence in tokens for t in sentence], dtype=np.uint64),
        token_rows=np.repeat(np.arange(len(tokens), dtype=np.int64), [len(sentence) for sentence in tokens]),
        token_counts=np.array([len(sentence) for sentence in tokens], dtype=np.float32),
        adjacent_token_counts=np.array([len(x | y) for x, y in zip(tokens, tokens[1:])], dtype=np.float32),
        words=frozenset(w.lower() for w in _WORD.findall(prepared.article.text)),
        usable=(word_counts >= MIN_SENTENCE_WORDS) & ~np.isin(np.arange(len(word_counts)), sorted(boilerplate)),
        lengths=np.array([s.end - s.start for s in prepared.sentences], dtype=np.float64),
        anchors=_anchors(prepared),
        grams=grams,
        gram_set=np.unique(grams[0]),
        frequent_words=_frequent_words(prepared.article.text),
        signs=machine_translation_signs(prepared.article.text),
        attributions=attributed_sources(prepared.article.text),
    )


def _frequent_words(text: str) -> frozenset[str]:
    # Not capitalised words only: names, which both texts of a translation share, are.
    counts: dict[str, int] = defaultdict(int)
    for word in _WORD.findall(text):
        if not word[0].isupper() and not word.isdigit():
            counts[word] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return frozenset(word for word, count in ranked[:FREQUENT_WORDS] if count >= 2)


def _spaceless_words(text: str) -> int:
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalnum())
    return wide // 3


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


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


def _incidence(profile: _Profile, vocabulary: np.ndarray) -> np.ndarray:
    """0/1 matrix: sentence × word of ``vocabulary`` (sorted hashes); words outside it are left out."""
    matrix = np.zeros((len(profile.tokens), max(len(vocabulary), 1)), dtype=np.float32)
    columns, inside = _lookup(vocabulary, profile.token_hashes)
    matrix[profile.token_rows[inside], columns[inside]] = 1.0
    return matrix


def _lookup(known: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's position in the sorted array ``known``, and whether it is there at all."""
    if len(known) == 0:
        return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    positions = np.minimum(np.searchsorted(known, values), len(known) - 1)
    return positions, known[positions] == values


def _dice(in_a: np.ndarray, in_b: np.ndarray, sizes_a: np.ndarray, sizes_b: np.ndarray) -> np.ndarray:
    """Dice overlap of every row of ``in_a`` with every row of ``in_b``: 0/1 incidence over the words both
    texts use, and each row's number of distinct words in all."""
    shared = in_a @ in_b.T
    sizes = sizes_a[:, None] + sizes_b[None, :]
    return np.where(sizes > 0, 2.0 * shared / np.maximum(sizes, 1.0), 0.0)


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def _align(a: Prepared, b: Prepared, profile_a: _Profile, profile_b: _Profile,
           threshold: float = SENTENCE_MATCH) -> list[_Link]:
    """Sentence links: one-to-one and one-to-two matches, best first, each sentence used once.

    Then a sentence left over whose best match is the partner of its
    neighbour joins that link (a third part of a split sentence).
    """
    if not a.sentences or not b.sentences:
        return []
    vectors_a = np.asarray(a.sentence_vectors, dtype=np.float32)
    vectors_b = np.asarray(b.sentence_vectors, dtype=np.float32)
    # Only words both texts use can overlap: the incidence matrices need no other column.
    vocabulary = np.intersect1d(profile_a.token_hashes, profile_b.token_hashes)
    words_a, words_b = _incidence(profile_a, vocabulary), _incidence(profile_b, vocabulary)
    semantic = vectors_a @ vectors_b.T
    lexical = _dice(words_a, words_b, profile_a.token_counts, profile_b.token_counts)
    usable = profile_a.usable[:, None] & profile_b.usable[None, :]
    combined = np.where(usable, np.maximum(semantic, lexical), 0.0)

    # Candidate matches: (score, sentences of a, sentences of b, semantic, lexical).
    options: list[tuple[float, tuple[int, ...], tuple[int, ...], float, float]] = []
    rows, cols = np.nonzero(combined >= threshold)
    options.extend((float(combined[r, c]), (int(r),), (int(c),), float(semantic[r, c]), float(lexical[r, c]))
                   for r, c in zip(rows.tolist(), cols.tolist()))
    # One sentence against two adjacent ones: their mean vector and their joint words.
    for _one_side, vectors_one, words_one, one, vectors_two, words_two, two, flip in (
        ("a", vectors_a, words_a, profile_a, vectors_b, words_b, profile_b, False),
        ("b", vectors_b, words_b, profile_b, vectors_a, words_a, profile_a, True),
    ):
        usable_one, usable_two = one.usable, two.usable
        if len(vectors_two) < 2:
            continue
        merged_vectors = _unit(vectors_two[:-1] + vectors_two[1:])
        merged_words = np.minimum(words_two[:-1] + words_two[1:], 1.0)
        merged_semantic = vectors_one @ merged_vectors.T
        merged_lexical = _dice(words_one, merged_words, one.token_counts, two.adjacent_token_counts)
        merged = np.maximum(merged_semantic, merged_lexical)
        singles = combined.T if flip else combined  # rows: the one side
        best_single = np.maximum(singles[:, :-1], singles[:, 1:])
        either_usable = usable_one[:, None] & (usable_two[:-1] | usable_two[1:])[None, :]
        good = (merged >= threshold) & (merged >= best_single + MERGE_GAIN) & either_usable
        for r, c in zip(*np.nonzero(good)):
            single, pair = (int(r),), (int(c), int(c) + 1)
            options.append((float(merged[r, c]), pair if flip else single, single if flip else pair,
                            float(merged_semantic[r, c]), float(merged_lexical[r, c])))

    options.sort(key=lambda o: (-o[0], o[1], o[2]))
    taken_a: dict[int, int] = {}  # sentence of a -> one sentence of b it is linked to
    taken_b: dict[int, int] = {}
    links: dict[tuple[int, int], _Link] = {}
    for _, sentences_a, sentences_b, sem, lex in options:
        if any(r in taken_a for r in sentences_a) or any(c in taken_b for c in sentences_b):
            continue
        for r in sentences_a:
            for c in sentences_b:
                links[(r, c)] = _Link(r, c, sem, lex)
                taken_a[r], taken_b[c] = c, r

    for r in range(len(a.sentences)):
        if r in taken_a:
            continue
        c = int(np.argmax(combined[r]))
        if combined[r, c] >= threshold and taken_b.get(c) in (r - 1, r + 1):
            links[(r, c)] = _Link(r, c, float(semantic[r, c]), float(lexical[r, c]))
    for c in range(len(b.sentences)):
        if c in taken_b:
            continue
        r = int(np.argmax(combined[:, c]))
        if combined[r, c] >= threshold and taken_a.get(r) in (c - 1, c + 1):
            links[(r, c)] = _Link(r, c, float(semantic[r, c]), float(lexical[r, c]))
    return [links[key] for key in sorted(links)]


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
    def shares(profile: _Profile, side: str) -> tuple[float, float]:
        total = float(profile.lengths[profile.usable].sum()) or 1.0
        best: dict[int, _Link] = {}
        for link in links:
            index = getattr(link, side)
            if index not in best or link.similarity > best[index].similarity:
                best[index] = link
        aligned = sum(profile.lengths[i] for i in best)
        weighted = sum(profile.lengths[i] * min(l.similarity, 1.0) for i, l in best.items())
        return min(aligned / total, 1.0), min(weighted / total, 1.0)

    aligned_a, weighted_a = shares(profile_a, "a")
    aligned_b, weighted_b = shares(profile_b, "b")
    verbatim_a, verbatim_b = _verbatim_shares(profile_a, profile_b)
    weights = np.array([profile_a.lengths[l.a] + profile_b.lengths[l.b] for l in links])
    lexical = float(np.average([l.lexical for l in links], weights=weights)) if links else 0.0
    return _Coverage(aligned_a, aligned_b, weighted_a, weighted_b, verbatim_a, verbatim_b, lexical)


def _word_grams(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the text's word n-grams (``VERBATIM_GRAM`` words, lowercased) and each word's length."""
    words = _WORD.findall(text.lower())
    lengths = np.array([len(w) for w in words], dtype=np.float64)
    if len(words) < VERBATIM_GRAM:
        return np.zeros(0, dtype=np.uint64), lengths
    hashes = np.array([zlib.crc32(w.encode("utf-8")) for w in words], dtype=np.uint64)
    grams = np.zeros(len(words) - VERBATIM_GRAM + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(VERBATIM_GRAM):
            grams = grams * np.uint64(0x100000001B3) + hashes[offset:len(hashes) - VERBATIM_GRAM + 1 + offset]
    return grams, lengths


def _verbatim_shares(profile_a: _Profile, profile_b: _Profile) -> tuple[float, float]:
    """Share of each text's words (by letters) inside a word n-gram the other text has too.

    Counted over the whole text, not per aligned sentence, so it measures copying
    whatever the sentence splitter made of hard-wrapped lines or pasted fragments.
    """
    def share(mine: _Profile, theirs: _Profile) -> float:
        hashes, lengths = mine.grams
        known = theirs.gram_set
        if len(hashes) == 0 or len(known) == 0 or lengths.sum() == 0:
            return 0.0
        hit = _lookup(known, hashes)[1]
        covered = np.zeros(len(lengths), dtype=bool)
        for offset in range(VERBATIM_GRAM):
            covered[offset:offset + len(hit)] |= hit
        return float(lengths[covered].sum() / lengths.sum())

    return share(profile_a, profile_b), share(profile_b, profile_a)


def _order_agreement(links: Sequence[_Link]) -> float:
    """Share of links in the longest run that keeps the same order in both texts."""
    if not links:
        return 0.0
    sequence = [l.b for l in sorted(links, key=lambda l: (l.a, l.b))]
    return _longest_non_decreasing(sequence) / len(sequence)


def _longest_non_decreasing(sequence: Sequence[int]) -> int:
    return len(_longest_non_decreasing_positions(sequence))


def _longest_non_decreasing_positions(sequence: Sequence[int]) -> list[int]:
    """Positions of one longest non-decreasing subsequence (patience sorting with back links)."""
    tails: list[int] = []  # value at the end of the best run of each length
    tail_positions: list[int] = []
    previous: list[int] = []
    for position, value in enumerate(sequence):
        slot = int(np.searchsorted(tails, value, side="right"))
        previous.append(tail_positions[slot - 1] if slot else -1)
        if slot == len(tails):
            tails.append(value)
            tail_positions.append(position)
        else:
            tails[slot] = value
            tail_positions[slot] = position
    positions: list[int] = []
    position = tail_positions[-1] if tail_positions else -1
    while position >= 0:
        positions.append(position)
        position = previous[position]
    return positions[::-1]


def _in_order(links: Sequence[_Link]) -> list[_Link]:
    """The largest set of links that keeps the same order in both texts."""
    ordered = sorted(links, key=lambda l: (l.a, l.b))
    return [ordered[i] for i in _longest_non_decreasing_positions([l.b for l in ordered])]


def _anchor_agreement(anchors_a: Sequence[str], anchors_b: Sequence[str]) -> tuple[float, int]:
    """Share of the shorter anchor sequence found in the other in the same order, and that length.

    The longest common subsequence, by dynamic programming over at most 400
    anchors a side (a news article's names and numbers fit).
    """
    x, y = list(anchors_a[:400]), list(anchors_b[:400])
    if not x or not y:
        return 0.0, 0
    if len(x) > len(y):
        x, y = y, x
    previous = [0] * (len(y) + 1)
    for token in x:
        current = [0]
        for j, other in enumerate(y):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1] / len(x), len(x)


# --- 3. kind, 5. direction ------------------------------------------------------------


def relation_between(a: Prepared, b: Prepared) -> Optional[Relation]:
    """Align one pair and classify it; None when the two are not linked."""
    return _relation(a, b, _profile(a), _profile(b))[0]


@dataclass(frozen=True)
class ReuseMeasures:
    """How much of each of two texts aligns with the other, in the order the two were given.

    ``aligned_*``: share of the text (by characters of its usable sentences)
    that aligns; ``weighted_*``: the same weighted by each aligned pair's
    similarity; ``verbatim_*``: the share copied almost word for word;
    ``lexical``: the word overlap of the aligned sentence pairs (1 a copy, lower
    the more it is reworded). ``relation`` is what ``relation_between`` returns.
    """

    aligned_a: float
    aligned_b: float
    weighted_a: float
    weighted_b: float
    verbatim_a: float
    verbatim_b: float
    lexical: float
    sentence_pairs: int
    relation: Optional[Relation]


def alignment_measures(a: Prepared, b: Prepared) -> ReuseMeasures:
    """The degree of reuse between ``a`` and ``b`` (see ``ReuseMeasures``) with their relation."""
    relation, coverage, links, swapped = _relation(a, b, _profile(a), _profile(b))
    if coverage is None:
        return ReuseMeasures(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, relation)
    c = coverage
    if swapped:
        return ReuseMeasures(c.aligned_b, c.aligned_a, c.weighted_b, c.weighted_a, c.verbatim_b, c.verbatim_a,
                             c.lexical, len(links), relation)
    return ReuseMeasures(c.aligned_a, c.aligned_b, c.weighted_a, c.weighted_b, c.verbatim_a, c.verbatim_b,
                         c.lexical, len(links), relation)


def _relation(
    first: Prepared, second: Prepared, profile_first: _Profile, profile_second: _Profile,
) -> tuple[Optional[Relation], Optional[_Coverage], list[_Link], bool]:
    """The relation (or None), the coverage in relation order, the links, and whether the order was swapped."""
    # Relation.a is the smaller id; every "a"/"b" below follows that order.
    swapped = first.id > second.id
    if swapped:
        first, second, profile_first, profile_second = second, first, profile_second, profile_first
    a, b, pa, pb = first, second, profile_first, profile_second
    name_a, name_b = _labels(a, b)
    languages_differ, language_note = _languages_differ(a, b, pa, pb, name_a, name_b)
    if languages_differ:
        # Across languages the model places a sentence and its translation
        # less close (de-fr: median 0.68, a tenth below 0.47) but unrelated
        # sentences stay far (95% below 0.30): match at a lower cosine, and
        # keep only links in the same order in both texts, which a
        # translation keeps and two independent reports do not.
        links = _in_order(_align(a, b, pa, pb, threshold=CROSS_LANGUAGE_MATCH))
    else:
        links = _align(a, b, pa, pb)
    if not links and not languages_differ:
        return None, None, links, swapped
    coverage = _coverage(links, pa, pb)
    length_a = float(pa.lengths[pa.usable].sum())
    length_b = float(pb.lengths[pb.usable].sum())
    a_is_shorter = length_a <= length_b
    shorter_aligned = coverage.aligned_a if a_is_shorter else coverage.aligned_b
    shorter_weighted = coverage.weighted_a if a_is_shorter else coverage.weighted_b
    shorter_verbatim = coverage.verbatim_a if a_is_shorter else coverage.verbatim_b
    length_ratio = min(length_a, length_b) / max(length_a, length_b, 1.0)
    shorter_name, longer_name = (name_a, name_b) if a_is_shorter else (name_b, name_a)

    evidence: list[str] = [
        f"aligned {coverage.aligned_a:.0%} of {name_a} and {coverage.aligned_b:.0%} of {name_b} "
        f"({len(links)} sentence pairs; {shorter_verbatim:.0%} of {shorter_name} copied verbatim; "
        f"word overlap {coverage.lexical:.2f})"
    ]
    mt_signs_a, mt_signs_b = _signs_with_names(a, b, pa, pb, links)
    translated_side = _machine_translated_side(mt_signs_a, mt_signs_b)
    kind: Optional[RelationKind]
    structural: Direction = None
    score = shorter_weighted

    if coverage.verbatim_a >= DUPLICATE_COVERAGE and coverage.verbatim_b >= DUPLICATE_COVERAGE:
        kind = "duplicate"
    elif shorter_verbatim >= EXCERPT_COVERAGE and length_ratio <= EXCERPT_LENGTH_RATIO:
        kind = "excerpt"
        structural = "b->a" if a_is_shorter else "a->b"
        evidence.append(f"{shorter_name} is a verbatim part of {longer_name}, the longer text")
    elif shorter_aligned >= REUSE_COVERAGE and (languages_differ or (translated_side and coverage.lexical < LOW_LEXICAL)):
        kind = "translation"
        if languages_differ:
            evidence.append(language_note)
        if translated_side:
            structural = "b->a" if translated_side == "a" else "a->b"
            machine, fluent = (name_a, name_b) if translated_side == "a" else (name_b, name_a)
            evidence.append(f"{machine} reads as a machine translation of {fluent}: it shows "
                            f"{len(mt_signs_a if translated_side == 'a' else mt_signs_b)} signs of machine translation, "
                            f"{fluent} {len(mt_signs_b if translated_side == 'a' else mt_signs_a)}")
    elif shorter_aligned >= REUSE_COVERAGE:
        kind = "rewrite"
    elif (languages_differ and max(coverage.aligned_a, coverage.aligned_b) < ANCHOR_ROUTE_ALIGNED
          and (anchor := _anchor_translation(a, b, pa, pb, name_a, name_b)) is not None):
        kind = "translation"
        score, anchor_evidence = anchor
        evidence.append(language_note)
        evidence.append(anchor_evidence)
    elif links:
        kind = _shared_source_or_related(a, b, pa, pb, links, name_a, name_b, evidence)
    else:
        kind = None
    if kind is None:
        return None, coverage, links, swapped

    for name, signs in ((name_a, mt_signs_a), (name_b, mt_signs_b)):
        if signs and kind in ("translation", "rewrite"):
            evidence.extend(f"sign of machine translation in {name}: {sign}: {quoted}" for sign, quoted in _grouped(signs))

    direction = None
    if kind not in ("shared-source", "related"):
        direction = _direction(a, b, pa, pb, structural, evidence, name_a, name_b)
    relation = Relation(
        a=a.id, b=b.id, kind=kind, direction=direction, score=round(float(min(max(score, 0.0), 1.0)), 3),
        evidence=evidence, passages=_passages(links, a.sentences, b.sentences),
    )
    return relation, coverage, links, swapped


def _languages_differ(a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, name_a: str, name_b: str) -> tuple[bool, str]:
    """Whether the two texts are in different languages, and the evidence sentence saying so.

    By the detected languages when both are known; else by their most
    frequent words (function words: "der, und, die" against "la, et, les"),
    which two texts in one language share and two in different languages
    almost never do.
    """
    if a.language and b.language:
        return a.language != b.language, f"languages differ: {name_a} is in {a.language}, {name_b} in {b.language}"
    if not pa.frequent_words or not pb.frequent_words:
        return False, ""
    overlap = 2 * len(pa.frequent_words & pb.frequent_words) / (len(pa.frequent_words) + len(pb.frequent_words))
    unknown = " and ".join(name for name, p in ((name_a, a), (name_b, b)) if not p.language)
    return overlap < DIFFERENT_LANGUAGE_WORDS, (
        f"languages differ: {name_a} and {name_b} share {overlap:.0%} of their most frequent words "
        f"(the language of {unknown} was not identified)")


def _anchor_translation(
    a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, name_a: str, name_b: str,
) -> Optional[tuple[float, str]]:
    """(score, evidence) when the names and numbers of two texts in different languages agree in order."""
    sentences_a, sentences_b = int(pa.usable.sum()), int(pb.usable.sum())
    if min(sentences_a, sentences_b) < ANCHOR_LENGTH_RATIO * max(sentences_a, sentences_b):
        return None
    agreement, count = _anchor_agreement(pa.anchors, pb.anchors)
    if count < ANCHOR_MIN_COUNT or agreement < ANCHOR_TRANSLATION:
        return None
    fewer = name_a if len(pa.anchors) <= len(pb.anchors) else name_b
    return agreement, (f"{agreement:.0%} of the {count} names and numbers of {fewer} recur in the other "
                       "text in the same order, and the two have about as many sentences; the embedding model "
                       "aligned little of them, so it does not read one of the languages")


def _shared_source_or_related(
    a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, links: Sequence[_Link], name_a: str, name_b: str,
    evidence: list[str],
) -> Optional[RelationKind]:
    """``shared-source`` when both attribute to one name and carry its facts in its order, else maybe ``related``."""
    own_outlets = {(p.article.outlet or "").strip().lower() for p in (a, b)} - {""}
    shared = sorted(name for name in pa.attributions & pb.attributions if name not in own_outlets)
    factual = [(link, facts) for link in links if (facts := _link_facts(a, b, link))]
    distinct_facts = list(dict.fromkeys(f for _, facts in factual for f in facts))
    order = _order_agreement([link for link, _ in factual])
    if (shared and len(factual) >= SHARED_SOURCE_PAIRS and len(distinct_facts) >= SHARED_SOURCE_FACTS
            and order >= SHARED_SOURCE_ORDER):
        names = ", ".join(f"'{name}'" for name in shared)
        evidence.append(f"{name_a} and {name_b} both attribute their reporting to {names}")
        evidence.append(f"{len(factual)} aligned passages carry the same facts in the same order "
                        f"({order:.0%} in order): " + ", ".join(f"'{f}'" for f in distinct_facts[:8]))
        return "shared-source"
    cosine = float(np.dot(a.vector, b.vector))
    if cosine >= RELATED_COSINE:
        evidence.append(f"{name_a} and {name_b} report the same story (article cosine {cosine:.2f}) "
                        "but too little of them aligns for one to derive from the other")
        return "related"
    return None


def _link_facts(a: Prepared, b: Prepared, link: _Link) -> list[str]:
    """Numbers and names (not a sentence's first word) that both sentences of an aligned pair carry."""
    text_a, text_b = a.sentences[link.a].text, b.sentences[link.b].text
    facts: list[str] = []
    for pattern in (_NUMBER, _NAME_SEQUENCE):
        in_b = {m.group().rstrip(".,") for m in pattern.finditer(text_b)}
        for match in pattern.finditer(text_a):
            fact = match.group().rstrip(".,")
            if len(fact) > 1 and fact in in_b and match.start() > 0 and fact not in facts:
                facts.append(fact)
    return facts


def _direction(
    a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, structural: Direction, evidence: list[str],
    name_a: str, name_b: str,
) -> Direction:
    """Which one is the source: an attribution to the other's outlet, then dates, then the texts' shape."""
    checks: list[tuple[Prepared, str, _Profile, str, Direction]] = [
        (a, name_b, pb, name_a, "a->b"), (b, name_a, pa, name_b, "b->a"),
    ]
    for source, reader_name, reader_profile, source_name, arrow in checks:
        outlet = (source.article.outlet or "").strip().lower()
        if outlet and any(outlet == name or outlet in name for name in reader_profile.attributions):
            evidence.append(f"{reader_name} attributes its report to {source.article.outlet!r}, "
                            f"so {source_name} comes first")
            return arrow
    dated = _date_order(a.article.published, b.article.published)
    if dated:
        earlier, later = (name_a, name_b) if dated == "a->b" else (name_b, name_a)
        first_date, second_date = ((a.article.published, b.article.published) if dated == "a->b"
                                   else (b.article.published, a.article.published))
        evidence.append(f"{earlier} was published first ({first_date}), {later} later ({second_date})")
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


# --- shared source through a third article ------------------------------------------------


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _derives_from(relation: Relation, source: str) -> bool:
    """Whether ``relation`` (of a derived kind) can have ``source`` as the source: not known to run the other way."""
    if relation.kind not in DERIVED_KINDS:
        return False
    if relation.direction is None:
        return True
    return (relation.direction == "a->b") == (relation.a == source)


def _add_third_text_sources(
    relations: dict[tuple[str, str], Relation], new_ids: set[str], by_id: dict[str, Prepared],
    known: Sequence[Relation], profile: Callable[[Prepared], _Profile],
) -> None:
    """Mark two articles ``shared-source`` when both derive from a third article C of the corpus.

    Only pairs that are not already linked by a derivation are marked, at most
    ``CANDIDATE_LIMIT`` per article (those whose links to C are strongest):
    forty reprints of a wire story are already one group through it.

    The pairs looked at are those with a new article at either end or as C: two articles
    read in an earlier run that both derive from a new one share its source too, so the
    same articles give the same relations whether they arrive together or in batches.
    """
    derived: dict[str, dict[str, Relation]] = defaultdict(dict)
    kept = [r for r in known if r.a not in new_ids and r.b not in new_ids]
    for relation in kept + list(relations.values()):
        if relation.kind in DERIVED_KINDS:
            derived[relation.a][relation.b] = relation
            derived[relation.b][relation.a] = relation
    kept_by_pair = {(r.a, r.b): r for r in kept}
    # Earlier articles derived from a new one: their pairs through it were never looked at.
    linked_to_new = {other for new_id in new_ids for other in derived.get(new_id, {})} - new_ids
    proposals: dict[tuple[str, str], tuple[float, str, Relation, Relation]] = {}
    for first in sorted(new_ids | linked_to_new):
        found: list[tuple[float, str, str, Relation, Relation]] = []
        for third, to_first in derived.get(first, {}).items():
            if not _derives_from(to_first, third):
                continue
            if first not in new_ids and third not in new_ids:
                continue  # two earlier articles through an earlier third: settled in an earlier run
            for second, to_second in derived.get(third, {}).items():
                if second == first or second in derived.get(first, {}) or not _derives_from(to_second, third):
                    continue
                if first not in new_ids and second not in new_ids and third not in new_ids:
                    continue
                found.append((-min(to_first.score, to_second.score), second, third, to_first, to_second))
        for negative_score, second, third, to_first, to_second in sorted(found)[:CANDIDATE_LIMIT]:
            key = (min(first, second), max(first, second))
            if key not in proposals or -negative_score > proposals[key][0]:
                proposals[key] = (-negative_score, third, to_first, to_second)
    for (a_id, b_id), (score, third, to_a, to_b) in sorted(proposals.items()):
        if a_id not in by_id or b_id not in by_id:
            continue
        a, b = by_id[a_id], by_id[b_id]
        name_a, name_b = _labels(a, b)
        name_third = article_label(by_id[third]) if third in by_id else third
        if name_third in (name_a, name_b):
            name_third = by_id[third].article.source if third in by_id else third
        previous = relations.get((a_id, b_id)) or kept_by_pair.get((a_id, b_id))
        first_to, second_to = (to_a, to_b) if a_id in (to_a.a, to_a.b) else (to_b, to_a)
        evidence = [f"{name_a} and {name_b} both derive from {name_third}: {name_a} is {_a(first_to.kind)} of it, "
                    f"{name_b} {_a(second_to.kind)}"]
        if previous is not None:
            evidence += previous.evidence
            passages = previous.passages
        else:
            links = _align(a, b, profile(a), profile(b))
            passages = _passages(links, a.sentences, b.sentences)
        relations[(a_id, b_id)] = Relation(a=a_id, b=b_id, kind="shared-source", direction=None,
                                           score=round(score, 3), evidence=evidence, passages=passages)


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
        # Any phrase repeated at min_words or more words repeats its first min_words words:
        # most sentences repeat none, and need no search.
        grams = list(zip(*(words[k:] for k in range(min_words))))
        if len(set(grams)) == len(grams):
            continue
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


def _mangled_names(a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, links: Sequence[_Link],
                   side: str) -> list[tuple[str, str]]:
    """Names in ``side``'s aligned sentences that render the other's name garbled or run together.

    Only a word the other text never uses, close to a name the other uses and
    this text never uses, counts: two honest spellings of one name differ in
    both directions, and inflections are excluded.
    """
    this, other = (a, b) if side == "a" else (b, a)
    this_words, other_words = (pa.words, pb.words) if side == "a" else (pb.words, pa.words)
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
    names_a = _mangled_names(a, b, pa, pb, links, side="a")
    names_b = _mangled_names(a, b, pa, pb, links, side="b")
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
