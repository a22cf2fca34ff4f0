"""Long articles (issue 14, items 2 and 3): analysed in pieces, at a cost linear in their length."""

from __future__ import annotations

import time

import pytest

from storyline.entities import extract_mentions_batch, load_nlp, text_pieces
from storyline.model import Article, Prepared
from storyline.prepare import MAX_SENTENCE_CHARS, split_sentences

import numpy as np


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def _prepared(text: str) -> Prepared:
    article = Article(id="a-long", source="long.txt", text=text)
    return Prepared(article=article, language="en", sentences=split_sentences(text),
                    vector=np.zeros(4, np.float32), sentence_vectors=np.zeros((0, 4), np.float32), minhash=None)


def test_an_article_longer_than_spacys_limit_is_parsed_in_pieces(nlp, monkeypatch) -> None:
    # spaCy's own limit is 1,000,000 characters; lowered here so the test stays quick.
    monkeypatch.setattr(nlp, "max_length", 4_000)
    cities = ["Paris", "Berlin", "Madrid", "Rome", "Vienna", "Lisbon", "Warsaw", "Prague"]
    text = "".join(f"Angela Merkel met Emmanuel Macron in {cities[i % 8]} on Monday, the ministry said in "
                   f"statement number {i}.\n" for i in range(150))
    paragraph = text.splitlines(keepends=True)[-1]
    assert len(text) > 3 * nlp.max_length
    (mentions,) = extract_mentions_batch([_prepared(text)], nlp)
    names = {m.text for m in mentions}
    assert {"Angela Merkel", "Emmanuel Macron", "Paris"} <= names
    assert all(text[m.span[0]:m.span[1]] == m.text for m in mentions)  # offsets are the article's
    assert max(m.span[0] for m in mentions) > len(text) - len(paragraph)  # the last piece is read too


def test_pieces_join_back_to_the_text() -> None:
    text = ("word " * 3000) + "\n" + ("x" * 25_000) + " tail"
    pieces = text_pieces(text, 1_000)
    assert "".join(pieces) == text and max(map(len, pieces)) <= 1_000


def test_text_without_punctuation_is_cut_into_bounded_sentences() -> None:
    text = "word " * 50_000
    sentences = split_sentences(text)
    assert max(s.end - s.start for s in sentences) <= MAX_SENTENCE_CHARS
    assert all(text[s.start:s.end] == s.text for s in sentences)


def test_sentence_splitting_is_linear_on_one_long_line() -> None:
    def seconds(repeats: int) -> float:
        text = "He said it was so. " * repeats
        started = time.perf_counter()
        split_sentences(text)
        return time.perf_counter() - started

    small, large = seconds(5_000), seconds(40_000)
    # Linear: 8x the text, about 8x the time; the quadratic version took over 60x.
    assert large < 25 * max(small, 1e-3)


def test_a_text_over_the_article_limit_is_refused_at_reading(tmp_path) -> None:
    from storyline.model import Skipped
    from storyline.readers import MAX_ARTICLE_CHARS, read_paths

    path = tmp_path / "book.txt"
    path.write_text("word " * (MAX_ARTICLE_CHARS // 5 + 1))
    (refused,) = read_paths([path])
    assert isinstance(refused, Skipped) and "characters per article" in refused.reason


def test_span_lookups_in_a_long_article_do_not_scan_every_range() -> None:
    """Each name was checked against every entity span of its article: quadratic in a long article."""
    from storyline.entities import _inside, _overlaps

    def seconds(count: int) -> float:
        ranges = [(10 * i, 10 * i + 5) for i in range(count)]
        queries = [(7 * i % (10 * count), 7 * i % (10 * count) + 3) for i in range(2_000)]
        started = time.perf_counter()
        for span in queries:
            _overlaps(span, ranges)
            _inside(span, ranges)
        return time.perf_counter() - started

    small, large = seconds(2_000), seconds(20_000)
    assert large < 4 * max(small, 1e-3)  # ten times the ranges, about the same time
