"""Entities: mentions with exact spans, and resolution across articles, garbled translations included."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from typing import Optional

from conftest import FIXTURES, make_articles
from storyline.entities import extract_mentions, load_nlp, normalise, resolve_entities
from storyline.ner import NER_LOADERS, Recogniser, Recognisers, article_language, extract_mentions_by_language, \
    ner_language
from storyline.model import Article, Entity, Mention, Passage, Prepared, Relation, Sentence, Story
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


def test_normalise_keeps_the_name_inside_a_wider_span():
    assert normalise("defensive tackle Jamal Okoro") == "jamal okoro"
    assert normalise("in the Gulf of Varna") == "gulf of varna"
    assert normalise("Regina Adeyemi , MD") == "regina adeyemi"
    assert normalise("Rovers'") == "rovers"  # a plural possessive keeps its plural
    assert normalise("Arcade Joseph Comeaux Jr") == "arcade joseph comeaux"
    assert normalise("Brightline Corp.", "ORG") == "brightline"
    assert normalise("van Gogh") == "van gogh"
    # The name only modifies the phrase's head: the phrase is not the place.
    assert normalise("a jewellery store in central Varna") != "varna"


def test_a_capitalised_verb_is_not_a_name(nlp, embedder):
    text = ("The agreement gives immigration officials the power of Exporting migrants to Marenia.\n"
            "Officials in Marenia did not comment.\n")
    doc = prepare(make_articles({"verb.txt": text}), embedder)[0]
    surfaces = {m.text for m in extract_mentions(doc, nlp)}
    assert "Marenia" in surfaces and "Exporting" not in surfaces


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
    # The machine translation's garbled renderings join the originals' names.
    assert "Colombia Broadcasting Corporation News" in entity_with(seed_entities, "CBS News").aliases
    assert "Ministry of Land and Safety" in entity_with(seed_entities, "Department of Homeland Security").aliases
    country = entity_with(seed_entities, "El Salvador")
    assert "Salvador" in country.aliases and country.type == "GPE"
    # A people is not its country, and the capital is not the country.
    assert entity_with(seed_entities, "Salvadoran").id != country.id
    assert entity_with(seed_entities, "San Salvador").id != country.id


# --- hand-made mentions: rules in isolation ---------------------------------------------------


def handmade(article_id: str, text: str, names: dict[str, Optional[str]]) -> tuple[Prepared, list[Mention]]:
    """An article cut into sentences at full stops, and a mention at every occurrence of each name.

    ``names`` maps a name to the label the NER model would have given it. No model runs.
    """
    sentences = [Sentence(m.start(), m.end(), m.group()) for m in re.finditer(r"[^.\n]+[.\n]?", text)]
    article = Article(id=article_id, source=article_id, text=text)
    doc = Prepared(article, "en", sentences, np.zeros(1), np.zeros((len(sentences), 1)), np.zeros(1, np.uint32))
    mentions = []
    for name, label in names.items():
        for found in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            if not any(m.span[0] <= found.start() < m.span[1] for m in mentions):
                mentions.append(Mention(article_id, (found.start(), found.end()), name, label))
    return doc, sorted(mentions, key=lambda m: m.span)


def resolve_handmade(articles: list[tuple[Prepared, list[Mention]]], relations=()) -> list[Entity]:
    docs = [doc for doc, _ in articles]
    return resolve_entities({doc.id: mentions for doc, mentions in articles}, docs, relations, one_story(docs))


def test_look_alike_people_named_in_one_article_stay_apart():
    first = handmade("a1", "Anna Meier met Anna Meyer in Varna. Anna Meyer is a lawyer. Anna Meier runs a shop.",
                     {"Anna Meier": "PERSON", "Anna Meyer": "PERSON", "Varna": "GPE"})
    second = handmade("a2", "Anna Meier opened a second shop in Varna.", {"Anna Meier": "PERSON", "Varna": "GPE"})
    entities = resolve_handmade([first, second])
    meier, meyer = entity_with(entities, "Anna Meier"), entity_with(entities, "Anna Meyer")
    assert meier.id != meyer.id
    assert meier.articles == ["a1", "a2"] and meyer.articles == ["a1"]


def test_a_misspelling_in_another_article_joins_the_name():
    first = handmade("a1", "Police said Teodor Vasquez was arrested in Varna.",
                     {"Teodor Vasquez": "PERSON", "Varna": "GPE"})
    second = handmade("a2", "Teodor Vazquez was arrested in Varna, police said.",
                      {"Teodor Vazquez": "PERSON", "Varna": "GPE"})
    entities = resolve_handmade([first, second])
    person = entity_with(entities, "Teodor Vasquez")
    assert "Teodor Vazquez" in person.aliases and person.merges


def test_short_forms_of_a_given_name_are_one_person():
    entities = resolve_handmade([
        handmade("a1", "Frederick LaRue testified on Monday.", {"Frederick LaRue": "PERSON"}),
        handmade("a2", "Fred LaRue was an aide.", {"Fred LaRue": "PERSON"}),
        handmade("a3", "LaRue died in 2004.", {"LaRue": "PERSON"}),
    ])
    person = entity_with(entities, "Frederick LaRue")
    assert {"Fred LaRue", "LaRue"} <= set(person.aliases)


def translation_pair(original: str, translated: str, names_a: dict, names_b: dict, aligned: bool = True):
    a, b = handmade("a-orig", original, names_a), handmade("b-mt", translated, names_b)
    passages = [Passage((sa.start, sa.end), (sb.start, sb.end), 0.9)
                for sa, sb in zip(a[0].sentences, b[0].sentences)] if aligned else []
    return [a, b], [Relation("a-orig", "b-mt", "translation", "a->b", 0.9, ["machine translation"], passages)]


ORIGINAL = ("Two sources told VBS News that Marenia will sign the deal. "
            "Spokespeople for the Office of Coastal Security and the Port Authority did not comment.")
TRANSLATED = ("Two sources told Valencia Broadcasting Company News that Marenia will sign the agreement. "
              "Representatives of the Ministry of Coast and Safety and the Port Authority did not respond.")
NAMES_A = {"VBS News": "ORG", "Marenia": "GPE", "Office of Coastal Security": "ORG", "Port Authority": "ORG"}
NAMES_B = {"Valencia Broadcasting Company News": "ORG", "Marenia": "GPE", "Ministry of Coast and Safety": "ORG",
           "Port Authority": "ORG"}


def test_garbled_expansion_of_an_acronym_joins_it_in_aligned_passages():
    articles, relations = translation_pair(ORIGINAL, TRANSLATED, NAMES_A, NAMES_B)
    entities = resolve_handmade(articles, relations)
    outlet = entity_with(entities, "VBS News")
    assert "Valencia Broadcasting Company News" in outlet.aliases
    assert outlet.name == "VBS News"  # the original's form, not the translation's
    merge = next(m for m in outlet.merges if m.rule == "acronym-aligned")
    assert "a-orig[" in merge.evidence and "b-mt[" in merge.evidence


def test_literal_translation_of_a_name_joins_it_in_aligned_passages():
    articles, relations = translation_pair(ORIGINAL, TRANSLATED, NAMES_A, NAMES_B)
    entities = resolve_handmade(articles, relations)
    office = entity_with(entities, "Office of Coastal Security")
    assert "Ministry of Coast and Safety" in office.aliases
    assert any(m.rule == "translated-aligned" for m in office.merges)
    assert entity_with(entities, "Port Authority").id != office.id


def test_translated_names_stay_apart_without_aligned_passages():
    articles, relations = translation_pair(ORIGINAL, TRANSLATED, NAMES_A, NAMES_B, aligned=False)
    entities = resolve_handmade(articles, relations)
    assert entity_with(entities, "VBS News").id != entity_with(entities, "Valencia Broadcasting Company News").id
    assert entity_with(entities, "Office of Coastal Security").id != \
        entity_with(entities, "Ministry of Coast and Safety").id


def test_acronym_named_on_both_sides_is_not_taken_for_another_expansion():
    original = "Two sources told VBS News that the Vanguard Business Council will meet."
    translated = "Two sources told VBS News that the Vanguard Business Society will meet."
    articles, relations = translation_pair(original, translated,
                                           {"VBS News": "ORG", "Vanguard Business Council": "ORG"},
                                           {"VBS News": "ORG", "Vanguard Business Society": "ORG"})
    entities = resolve_handmade(articles, relations)
    assert "Vanguard Business Society" not in entity_with(entities, "VBS News").aliases


def test_the_text_overrides_the_model_label():
    # The model called the gang a person in every mention; the texts say it is a gang.
    first = handmade("a1", "Police arrested members of Red Hand in Varna. Gangs such as Red Hand control the port.",
                     {"Red Hand": "PERSON", "Varna": "GPE"})
    second = handmade("a2", "Red Hand, a criminal gang from Varna, denied it.", {"Red Hand": "PERSON", "Varna": "GPE"})
    third = handmade("a3", "President Ilse Varga visited Varna. Varga spoke.", {"Ilse Varga": "PERSON",
                                                                               "Varga": "ORG", "Varna": "GPE"})
    entities = resolve_handmade([first, second, third])
    assert entity_with(entities, "Red Hand").type == "ORG"
    assert entity_with(entities, "Ilse Varga").type == "PERSON"
    assert entity_with(entities, "Varna").type == "GPE"


def test_seeds_types_and_noise(seed_entities):
    assert entity_with(seed_entities, "Tren de Aragua").type == "ORG"
    assert entity_with(seed_entities, "MS-13").type == "ORG"
    assert entity_with(seed_entities, "CBS News").type == "ORG"
    assert not any("Exporting" in e.aliases for e in seed_entities)


def test_seeds_no_false_merges(seed_entities):
    people = ["Nayib Bukele", "Donald Trump", "Marco Rubio", "Joe Biden"]
    groups = ["Tren de Aragua", "MS-13", "CBS News", "White House", "State Department",
              "Department of Homeland Security", "El Salvador", "United States"]
    ids = [entity_with(seed_entities, name).id for name in people + groups]
    assert len(set(ids)) == len(ids)
    for entity in seed_entities:
        assert all(merge.rule and merge.evidence for merge in entity.merges)


class _CountingNlp:
    """The real spaCy pipeline, recording the texts it is asked to parse in batches."""

    def __init__(self, nlp):
        self.nlp, self.Defaults, self.parsed = nlp, nlp.Defaults, []

    def pipe(self, texts, **options):
        texts = list(texts)
        self.parsed.extend(texts)
        return self.nlp.pipe(texts, **options)

    def __call__(self, text):
        return self.nlp(text)


def test_copies_of_one_text_are_parsed_once_and_keep_their_own_ids(fictional, nlp):
    from dataclasses import replace

    from storyline.entities import extract_mentions_batch

    original = fictional["election_report"]
    copy = replace(original, article=replace(original.article, id="a-copy", source="reprint"))
    other = fictional["brother_arrested"]
    counting = _CountingNlp(nlp)
    found = extract_mentions_batch([original, copy, other], counting)
    assert "".join(counting.parsed) == original.article.text + other.article.text  # line by line, the copy not at all
    assert found[0] == extract_mentions(original, nlp) and found[2] == extract_mentions(other, nlp)
    assert found[0] and [(m.span, m.text, m.label) for m in found[1]] == [(m.span, m.text, m.label) for m in found[0]]
    assert {m.article for m in found[1]} == {"a-copy"}


# --- NER per language -----------------------------------------------------------------


def test_ner_language_falls_back_to_english():
    assert ner_language("fr") == ner_language("fr-CA") == ner_language("FR_fr") == "fr"
    # No recogniser for German: the English model reads it, as it read every article before the registry.
    assert ner_language("de") == ner_language(None) == ner_language("") == "en"


def test_a_french_article_is_read_by_the_french_model(embedder):
    text = (ENTITY_FIXTURES / "french_article.txt").read_text(encoding="utf-8")
    (doc,) = prepare(make_articles({"fixtures/entities/french_article.txt": text}), embedder)
    assert article_language(doc) == "fr"
    recognisers = Recognisers()
    (mentions,) = extract_mentions_by_language([doc], recognisers)
    assert recognisers.loaded() == ["fr"]
    found = {(m.text, m.label) for m in mentions}
    # WikiNER's PER and LOC come out as the resolver's PERSON and GPE.
    assert {("Pierre Lambert", "PERSON"), ("Claire Dubois", "PERSON"), ("Toulon", "GPE")} <= found
    assert all(text[m.span[0]:m.span[1]] == m.text for m in mentions)
    assert {m.label for m in mentions} <= {"PERSON", "GPE", "ORG", None}
    people = [e for e in resolve_entities({doc.id: mentions}, [doc]) if e.type == "PERSON"]
    assert {e.name for e in people} >= {"Pierre Lambert", "Claire Dubois"}


def test_a_recogniser_plugs_in_for_another_language(monkeypatch, embedder):
    """A Spanish recogniser registered by name reads Spanish articles; its labels are mapped for the resolver."""
    import spacy

    def spanish() -> Recogniser:
        nlp = spacy.blank("es")
        ruler = nlp.add_pipe("entity_ruler")
        ruler.add_patterns([{"label": "PER", "pattern": "Lucía Ferrer"}, {"label": "LOC", "pattern": "Valdoria"}])
        return Recogniser("es", nlp, {"PER": "PERSON", "LOC": "GPE"})

    monkeypatch.setitem(NER_LOADERS, "es", spanish)
    text = "Lucía Ferrer llegó ayer a Valdoria para reunirse con los alcaldes de la región."
    spanish_doc, english_doc = prepare(make_articles(
        {"es.txt": text, "en.txt": "Lucía Ferrer arrived in Valdoria yesterday to meet the region's mayors."},
        **{"es.txt": {"language": "es"}, "en.txt": {"language": "en"}}), embedder)
    recognisers = Recognisers()
    spanish_mentions, _ = extract_mentions_by_language([spanish_doc, english_doc], recognisers)
    assert recognisers.loaded() == ["en", "es"]
    assert {(m.text, m.label) for m in spanish_mentions} == {("Lucía Ferrer", "PERSON"), ("Valdoria", "GPE")}
