"""Per-article signals, computed once per article and run: content words, names and numbers
(anchors), word n-grams, attributions and signs of machine translation.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from unidecode import unidecode

from ..boilerplate import tells_another_story
from ..model import Prepared
from .settings import in_use
from .translation import machine_translation_signs
from .words import _ANCHOR_TOKEN, _FUNCTION_WORDS, _FUNCTION_WORDS_TITLE, _WORD


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
    # Each distinct name's key worked out once: a text repeats its names, and transliterating is the cost.
    keys: dict[str, str | None] = {}
    for token, initial in tokens:
        if token[0].isdigit():
            digits = "".join(ch for ch in token if ch.isdigit())
            if len(digits) >= 2 or not initial:
                anchors.append(digits)
        elif token[:1].isupper() and (not initial or token in mid_sentence_names) and len(token) >= 3:
            if token in keys:
                known = keys[token]
            else:
                known = keys[token] = _name_key(token)
            if known is not None:
                anchors.append(known)
    return anchors


def _name_key(token: str) -> str | None:
    """A capitalised token's anchor (see :func:`_anchors`), or None when it is no name."""
    key = (token if token.isascii() else unidecode(token)).lower()  # transliterating leaves ASCII as it is
    return key[:5] if key.isalpha() and key not in _FUNCTION_WORDS else None


# --- per-article signals, computed once ------------------------------------------


@dataclass
class _Profile:
    sentence_count: int
    # Each sentence's content words (see _content_words) as 64-bit hashes with their sentence's index, and the
    # number of distinct words per sentence and per two adjacent sentences: what _align's word overlap needs
    # (the words themselves, as Python strings, cost several times as much to hold).
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
    """The article's signals; ``boilerplate``: sentences its site repeats, which never align.

    A page whose text tells another story than its headline (a sign-in form, a widget, a playlist:
    :func:`~storyline.boilerplate.tells_another_story`) aligns nothing: what it shares with other
    pages is the furniture they share, however alike the two texts are.
    """
    tokens = [_content_words(s.text) for s in prepared.sentences]
    # Scripts written without spaces (Japanese, Chinese) have one \w+ run per
    # clause: count characters there instead, three to a word.
    word_counts = np.array([max(len(_WORD.findall(s.text)), _spaceless_words(s.text)) for s in prepared.sentences],
                           dtype=np.int64)
    grams = _word_grams(prepared.article.text)
    hashes = {token: _token_hash(token) for sentence in tokens for token in sentence}
    return _Profile(
        sentence_count=len(tokens),
        token_hashes=np.array([hashes[t] for sentence in tokens for t in sentence], dtype=np.uint64),
        token_rows=np.repeat(np.arange(len(tokens), dtype=np.int64), [len(sentence) for sentence in tokens]),
        token_counts=np.array([len(sentence) for sentence in tokens], dtype=np.float32),
        adjacent_token_counts=np.array([len(x | y) for x, y in zip(tokens, tokens[1:])], dtype=np.float32),
        words=frozenset(w.lower() for w in _WORD.findall(prepared.article.text)),
        usable=((word_counts >= in_use().min_sentence_words) & ~np.isin(np.arange(len(word_counts)), sorted(boilerplate))
                & (not tells_another_story(prepared.article))),
        lengths=np.array([s.end - s.start for s in prepared.sentences], dtype=np.float64),
        anchors=_anchors(prepared),
        grams=grams,
        gram_set=np.unique(grams[0]),
        frequent_words=_frequent_words(prepared.article.text),
        signs=machine_translation_signs(prepared.article.text),
        attributions=attributed_sources(prepared.article.text),
    )


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


def _frequent_words(text: str) -> frozenset[str]:
    # Not capitalised words only: names, which both texts of a translation share, are. Counted first,
    # then the distinct words tested: the tests cost more than counting.
    counts = Counter(_WORD.findall(text))
    ranked = sorted(((word, count) for word, count in counts.items() if not word[0].isupper() and not word.isdigit()),
                    key=lambda item: (-item[1], item[0]))
    return frozenset(word for word, count in ranked[:in_use().frequent_words] if count >= 2)


# Below this code point no character is both wide and a letter or digit (Hangul Jamo is the first).
_FIRST_WIDE_LETTER = "\u1100"


def _spaceless_words(text: str) -> int:
    if not text or max(text) < _FIRST_WIDE_LETTER:  # most text: no character to look at one by one
        return 0
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalnum())
    return wide // 3


def _word_grams(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the text's word n-grams (``verbatim_gram`` words, lowercased) and each word's length."""
    words = _WORD.findall(text.lower())
    lengths = np.array([len(w) for w in words], dtype=np.float64)
    if len(words) < in_use().verbatim_gram:
        return np.zeros(0, dtype=np.uint64), lengths
    hashes = np.array([zlib.crc32(w.encode("utf-8")) for w in words], dtype=np.uint64)
    grams = np.zeros(len(words) - in_use().verbatim_gram + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(in_use().verbatim_gram):
            grams = grams * np.uint64(0x100000001B3) + hashes[offset:len(hashes) - in_use().verbatim_gram + 1 + offset]
    return grams, lengths


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
