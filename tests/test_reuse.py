"""Reuse (provenance): candidate pairs, passage alignment, relation kinds, direction, signs of machine translation."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, make_articles
from storyline.graph import count_independent
from storyline.model import Prepared, Relation
from storyline.prepare import prepare
from storyline.reuse import attributed_sources, find_relations, machine_translation_signs, relation_between

REUSE = FIXTURES / "reuse"


def _text(name: str) -> str:
    return (REUSE / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def fixtures_prepared(embedder) -> dict[str, Prepared]:
    names = sorted(p.name for p in REUSE.glob("*.txt"))
    prepared = prepare(make_articles({name: _text(name) for name in names}), embedder)
    return {p.article.source: p for p in prepared}


@pytest.fixture(scope="module")
def fixture_relations(fixtures_prepared) -> dict[frozenset[str], Relation]:
    by_id = {p.id: name for name, p in fixtures_prepared.items()}
    relations = find_relations(list(fixtures_prepared.values()))
    return {frozenset((by_id[r.a], by_id[r.b])): r for r in relations}


def _pair(relations: dict[frozenset[str], Relation], first: str, second: str) -> Relation | None:
    return relations.get(frozenset((first, second)))


def test_relations_are_ordered_by_id_and_have_valid_spans(fixtures_prepared, fixture_relations):
    texts = {p.id: p.article.text for p in fixtures_prepared.values()}
    assert fixture_relations
    for relation in fixture_relations.values():
        assert relation.a < relation.b
        assert 0.0 <= relation.score <= 1.0
        for passage in relation.passages:
            assert 0 <= passage.a[0] < passage.a[1] <= len(texts[relation.a])
            assert 0 <= passage.b[0] < passage.b[1] <= len(texts[relation.b])


def test_exact_duplicate(fixture_relations, fixtures_prepared):
    relation = _pair(fixture_relations, "bridge_original.txt", "bridge_duplicate.txt")
    assert relation is not None and relation.kind == "duplicate"
    assert relation.score == pytest.approx(1.0)
    text = fixtures_prepared["bridge_original.txt"].article.text
    passage = relation.passages[0]
    assert passage.similarity == pytest.approx(1.0)
    assert text[passage.a[0]:passage.a[1]].startswith("Port Averill council approves")


def test_excerpt_derives_from_the_longer_article(fixture_relations, fixtures_prepared):
    relation = _pair(fixture_relations, "bridge_original.txt", "bridge_excerpt.txt")
    assert relation is not None and relation.kind == "excerpt"
    original = fixtures_prepared["bridge_original.txt"]
    longer_side = "a" if relation.a == original.id else "b"
    assert relation.direction == f"{longer_side}->{'b' if longer_side == 'a' else 'a'}"
    # The two quoted sentences are not adjacent in the original: two passages.
    assert len(relation.passages) == 2
    spans = [p.a if longer_side == "a" else p.b for p in relation.passages]
    quoted = [original.article.text[start:end] for start, end in spans]
    assert any("48 million euros" in q for q in quoted) and any("municipal bond" in q for q in quoted)


def test_rewrite(fixture_relations):
    relation = _pair(fixture_relations, "bridge_original.txt", "bridge_rewrite.txt")
    assert relation is not None and relation.kind == "rewrite"
    assert relation.score > 0.5
    assert not any("machine translation" in e for e in relation.evidence)


def test_translation_across_languages(fixture_relations):
    relation = _pair(fixture_relations, "bridge_original.txt", "bridge_spanish.txt")
    assert relation is not None and relation.kind == "translation"
    assert any("languages differ" in e for e in relation.evidence)
    assert relation.score > 0.6


def test_machine_translation_back_into_english(fixture_relations, fixtures_prepared):
    relation = _pair(fixture_relations, "bridge_original.txt", "bridge_machine.txt")
    assert relation is not None and relation.kind == "translation"
    machine_side = "a" if relation.a == fixtures_prepared["bridge_machine.txt"].id else "b"
    assert relation.direction == ("b->a" if machine_side == "a" else "a->b")
    signs = " | ".join(relation.evidence)
    assert "broken hyphenation: 'anti -flood'" in signs
    assert "'Helenavoss' for 'Helena Voss'" in signs


def test_unrelated_articles_have_no_relation(fixture_relations):
    for unrelated in ("bakery_unrelated.txt", "chess_unrelated.txt"):
        assert not [pair for pair in fixture_relations if unrelated in pair]


def test_direction_from_publication_dates(embedder):
    text = _text("bridge_original.txt")
    articles = make_articles(
        {"later.txt": text, "earlier.txt": text},
        **{"later.txt": {"published": "2025-03-02"}, "earlier.txt": {"published": "2025-03-01"}},
    )
    later, earlier = prepare(articles, embedder)
    relation = relation_between(later, earlier)
    assert relation is not None and relation.kind == "duplicate"
    expected = "a->b" if relation.a == earlier.id else "b->a"
    assert relation.direction == expected


def test_direction_from_attribution_to_the_other_outlet(embedder):
    original = _text("bridge_original.txt")
    retold = _text("bridge_rewrite.txt").replace(
        "Port Averill's councillors gave", "Port Averill's councillors gave, the Harbour Gazette reported,"
    )
    articles = make_articles(
        {"gazette.txt": original, "retold.txt": retold}, **{"gazette.txt": {"outlet": "Harbour Gazette"}}
    )
    gazette, retold_prepared = prepare(articles, embedder)
    relation = relation_between(gazette, retold_prepared)
    assert relation is not None and relation.kind == "rewrite"
    assert relation.direction == ("a->b" if relation.a == gazette.id else "b->a")


def test_incremental_never_relates_two_existing_articles(fixtures_prepared):
    existing = [fixtures_prepared["bridge_original.txt"], fixtures_prepared["bridge_duplicate.txt"]]
    new = [fixtures_prepared["bridge_excerpt.txt"]]
    relations = find_relations(new, existing)
    existing_ids = {p.id for p in existing}
    assert len(relations) == 2
    assert all({r.a, r.b} != existing_ids for r in relations)
    assert all(new[0].id in (r.a, r.b) for r in relations)


def test_machine_translation_signs_on_garbled_text():
    signs = machine_translation_signs(_text("bridge_machine.txt"))
    kinds = {kind for kind, _ in signs}
    assert ("broken hyphenation", "anti -flood") in signs
    assert ("lost sentence boundary", "contracts They") in signs
    assert ("repeated phrase", "the ferry service") in signs
    assert "inconsistent name" not in kinds


def test_inconsistent_name_renderings():
    text = ("The minister Grace Oduya arrived on Monday. Later, Oduja told reporters the talks went well. "
            "Officials said Oduya would return in May.")
    assert machine_translation_signs(text) == [("inconsistent name", "'Oduja' / 'Oduya'")]


def test_fluent_text_has_no_machine_translation_signs():
    for name in ("bridge_original.txt", "bridge_rewrite.txt", "bakery_unrelated.txt", "chess_unrelated.txt"):
        assert machine_translation_signs(_text(name)) == []


def test_attributed_sources():
    text = ("The deal was agreed, the Daily Courier reported, citing two officials. "
            "According to Reuters, talks continue. Three sources familiar with the plan told Radio North.")
    assert attributed_sources(text) == {"daily courier", "reuters", "radio north"}


def test_seeds(seed_prepared):
    """The sample story: the machine translation is found; the two announcement reports stay independent."""
    ids = [p.id for p in seed_prepared]
    relations = find_relations(seed_prepared)
    by_pair = {frozenset((r.a, r.b)): r for r in relations}
    english, machine = seed_prepared[0].id, seed_prepared[2].id
    translated = by_pair[frozenset((english, machine))]
    assert translated.kind in ("translation", "rewrite")
    assert len(translated.passages) >= 5
    assert any("broken hyphenation" in e for e in translated.evidence)
    announcement = by_pair.get(frozenset((seed_prepared[3].id, seed_prepared[4].id)))
    assert announcement is None or announcement.kind == "related"
    assert 3 <= count_independent(ids, relations) <= 4

