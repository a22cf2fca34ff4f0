"""Entities: mentions with exact spans, and resolution across articles, garbled translations included."""

from __future__ import annotations

import random

import numpy as np
import pytest

from conftest import FIXTURES, make_articles
from storyline.entities import extract_mentions, load_nlp, normalise, resolve_entities
from storyline.model import Entity, Mention, Passage, Prepared, Relation, Story
from storyline.prepare import prepare

ENTITY_FIXTURES = FIXTURES / "entities"


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


@pytest.fixture(scope="module")
def fictional(embedder) -> dict[str, Prepared]:
    """An election report, a garbled machine translation of it, and an unrelated article on the loser's brother."""
    names = ("election_report", "election_translated", "brother_arrested")
    texts = {f"fixtures/entities/{n}.txt": (ENTITY_FIXTURES / f"{n}.txt").read_text(encoding="utf-8") for n in names}
    return dict(zip(names, prepare(make_articles(texts), embedder)))


@pytest.fixture(scope="module")
def fictional_mentions(fictional, nlp) -> dict[str, list[Mention]]:
    return {doc.id: extract_mentions(doc, nlp) for doc in fictional.values()}


def aligned(original: Prepared, derived: Prepared, threshold: float = 0.7) -> Relation:
    """A translation relation whose passages pair each derived sentence with its nearest original one.

    A stand-in for the reuse stage, so that these tests do not depend on its tuning.
    """
    similarity = derived.sentence_vectors @ original.sentence_vectors.T
    passages = []
    for j, row in enumerate(similarity):
        i = int(np.argmax(row))
        if row[i] >= threshold:
            a, b = original.sentences[i], derived.sentences[j]
            passages.append(Passage((a.start, a.end), (b.start, b.end), float(row[i])))
    return Relation(original.id, derived.id, "translation", "a->b", 0.9, ["machine translation"], passages)


def entity_with(entities: list[Entity], alias: str) -> Entity:
    found = [e for e in entities if alias in e.aliases]
    assert len(found) == 1, f"{alias!r} is in {len(found)} entities"
    return found[0]


def one_story(docs: list[Prepared]) -> list[Story]:
    return [Story("s-test", None, [d.id for d in docs])]


# --- mentions ---------------------------------------------------------------------------


def test_mention_spans_are_exact_and_clean(fictional, fictional_mentions):
    report = fictional["election_report"]
    mentions = fictional_mentions[report.id]
    text = report.article.text
    assert mentions == sorted(mentions, key=lambda m: m.span)
    for mention in mentions:
        assert text[mention.span[0]:mention.span[1]] == mention.text
        assert not mention.text.lower().startswith("the ")
        assert not mention.text.endswith(("'s", "’s"))
    surfaces = [m.text for m in mentions]
    # "Villanueva's government": the possessive is cut off the span.
    possessive_at = text.index("Villanueva's")
    assert any(m.span == (possessive_at, possessive_at + len("Villanueva")) for m in mentions)
    # "Secretary of State Daniel Okafor": the title is not an organisation called "State".
    assert "State" not in surfaces and "Daniel Okafor" in surfaces
    assert "CNE" in surfaces and "National Electoral Council" in surfaces
    assert "Sunday" not in surfaces and "Monday" not in surfaces


def test_title_case_headline_words_are_not_names(nlp, embedder):
    text = ("Marenia To Accept Returned Migrants Under New Border Agreement\n"
            "Marenia will accept migrants returned from its neighbours, officials said on Tuesday.\n")
    doc = prepare(make_articles({"headline.txt": text}), embedder)[0]
    surfaces = {m.text for m in extract_mentions(doc, nlp)}
    assert "Marenia" in surfaces
    assert not any("Accept" in s or "Agreement" in s for s in surfaces)


def test_normalise_drops_case_accents_titles_and_possessives():
    assert normalise("President Nicolás Ortega's", "PERSON") == "nicolas ortega"
    assert normalise("the U.S.", "GPE") == "us"
    assert normalise("General Motors", "ORG") == "general motors"
    assert normalise("Mr. John F. Kennedy", "PERSON") == "john kennedy"


# --- resolution ---------------------------------------------------------------------------


def test_garbled_translation_joins_the_full_name(fictional, fictional_mentions):
    docs = list(fictional.values())
    relation = aligned(fictional["election_report"], fictional["election_translated"])
    entities = resolve_entities(fictional_mentions, docs, [relation], one_story(docs))
    president = entity_with(entities, "Mateo Villanueva")
    assert president.name == "Mateo Villanueva"
    assert president.type == "PERSON"
    assert {"Villanueva", "Mateovillanueva", "Villaneuva", "Vilanova"} <= set(president.aliases)
    rules = {merge.rule for merge in president.merges}
    assert {"surname", "run-together"} <= rules
    assert all(merge.evidence for merge in president.merges)
    assert fictional["election_translated"].id in president.articles


def test_people_sharing_a_surname_stay_apart(fictional, fictional_mentions):
    docs = list(fictional.values())
    relation = aligned(fictional["election_report"], fictional["election_translated"])
    entities = resolve_entities(fictional_mentions, docs, [relation], one_story(docs))
    laura, diego = entity_with(entities, "Laura Castell"), entity_with(entities, "Diego Castell")
    assert laura.id != diego.id
    # The translation's misspelling joins the right person ...
    assert "Laura Castel" in laura.aliases
    # ... and the bare surname, ambiguous where it is written, joins neither.
    assert "Castell" not in laura.aliases and "Castell" not in diego.aliases


def test_acronym_defined_in_parentheses_joins_its_expansion(fictional, fictional_mentions):
    docs = list(fictional.values())
    entities = resolve_entities(fictional_mentions, docs, (), one_story(docs))
    council = entity_with(entities, "National Electoral Council")
    assert "CNE" in council.aliases
    assert any(m.rule == "acronym" and "(CNE)" in m.evidence for m in council.merges)


def test_aligned_passages_join_names_plain_similarity_cannot(fictional, fictional_mentions):
    docs = list(fictional.values())
    apart = resolve_entities(fictional_mentions, docs, (), one_story(docs))
    assert entity_with(apart, "Civic Union").id != entity_with(apart, "Citizen Union").id
    relation = aligned(fictional["election_report"], fictional["election_translated"])
    together = resolve_entities(fictional_mentions, docs, [relation], one_story(docs))
    party = entity_with(together, "Civic Union")
    assert "Citizen Union" in party.aliases
    assert any(m.rule == "fuzzy-aligned" for m in party.merges)
    # The canonical name comes from the original, not the translation.
    assert party.name == "Civic Union"


def test_look_alikes_in_different_stories_stay_apart(fictional, fictional_mentions):
    docs = list(fictional.values())
    report, translated, brother = (fictional[n].id for n in ("election_report", "election_translated", "brother_arrested"))
    stories = [Story("s-report", None, [report]), Story("s-translated", None, [translated]),
               Story("s-brother", None, [brother])]
    entities = resolve_entities(fictional_mentions, docs, (), stories)
    assert entity_with(entities, "Mateo Villanueva").id != entity_with(entities, "Mateovillanueva").id


def test_resolution_is_deterministic(fictional, fictional_mentions):
    docs = list(fictional.values())
    relation = aligned(fictional["election_report"], fictional["election_translated"])
    first = resolve_entities(fictional_mentions, docs, [relation], one_story(docs))
    shuffled: dict[str, list[Mention]] = {}
    rng = random.Random(7)
    for article in reversed(list(fictional_mentions)):
        mentions = list(fictional_mentions[article])
        rng.shuffle(mentions)
        shuffled[article] = mentions
    second = resolve_entities(shuffled, list(reversed(docs)), [relation], one_story(docs))
    assert [(e.id, e.name, e.aliases, e.mentions) for e in first] == \
           [(e.id, e.name, e.aliases, e.mentions) for e in second]
    assert len({e.id for e in first}) == len(first)


def test_no_mentions_no_entities(fictional):
    assert resolve_entities({}, list(fictional.values())) == []


# --- the sample story ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_entities(seed_prepared, nlp) -> list[Entity]:
    mentions = {doc.id: extract_mentions(doc, nlp) for doc in seed_prepared}
    # 002 is a machine translation of 000's report.
    relation = aligned(seed_prepared[0], seed_prepared[2])
    return resolve_entities(mentions, seed_prepared, [relation], one_story(seed_prepared))


def test_seeds_garbled_president_is_one_entity(seed_entities):
    president = entity_with(seed_entities, "Nayib Bukele")
    assert president.name == "Nayib Bukele" and president.type == "PERSON"
    assert {"Bukele", "Naibbuckley", "Buckley", "Bakle"} <= set(president.aliases)
    assert len(president.articles) == 5


def test_seeds_gang_and_its_garbled_spellings(seed_entities):
    gang = entity_with(seed_entities, "Tren de Aragua")
    assert {"Tren De Aragua", "Terren De Alagua", "Torone Alagua"} <= set(gang.aliases)
    ms13 = entity_with(seed_entities, "MS-13")
    assert "Mara Salvatrucha" in ms13.aliases and ms13.id != gang.id


def test_seeds_people_and_institutions(seed_entities):
    trump, rubio = entity_with(seed_entities, "Trump"), entity_with(seed_entities, "Marco Rubio")
    assert trump.id != rubio.id
    assert "Donald Trump" in trump.aliases and "Rubio" in rubio.aliases
    biden = entity_with(seed_entities, "Joe Biden")
    assert {"Biden", "Joe Bayeng"} <= set(biden.aliases)
    for name in ("CBS News", "White House", "State Department"):
        entity_with(seed_entities, name)
    country = entity_with(seed_entities, "El Salvador")
    assert "Salvador" in country.aliases and country.type == "GPE"
    # A people is not its country, and the capital is not the country.
    assert entity_with(seed_entities, "Salvadoran").id != country.id
    assert entity_with(seed_entities, "San Salvador").id != country.id
