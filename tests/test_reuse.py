"""Reuse (provenance): candidate pairs, passage alignment, relation kinds, direction, signs of machine translation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conftest import FIXTURES, make_articles
from storyline.graph import count_independent
from storyline.model import Article, Prepared, Relation
from storyline.prepare import prepare
from storyline.reuse import alignment as reuse_alignment
from storyline.reuse import profile as reuse_profile
from storyline.embedders import HashingEmbedder
from storyline.reuse import (
    ReuseSettings,
    alignment_measures,
    attributed_sources,
    find_relations,
    identical_texts,
    machine_translation_signs,
    relate,
    relation_between,
    with_identical_texts,
)

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
    # Evidence names the articles, so it reads on its own.
    assert "bridge_machine.txt reads as a machine translation of bridge_original.txt" in signs
    assert "sign of machine translation in bridge_machine.txt" in signs


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
    """The sample story: the machine translation and the report sharing its source are one source with it."""
    ids = [p.id for p in seed_prepared]
    relations = find_relations(seed_prepared)
    by_pair = {frozenset((r.a, r.b)): r for r in relations}
    english, shared, machine = seed_prepared[0], seed_prepared[1], seed_prepared[2]
    translated = by_pair[frozenset((english.id, machine.id))]
    assert translated.kind == "translation"
    assert translated.direction == ("a->b" if translated.a == english.id else "b->a")  # the English report first
    assert len(translated.passages) >= 5
    evidence = " | ".join(translated.evidence)
    assert "broken hyphenation" in evidence
    assert f"{machine.article.source.rsplit('/', 1)[-1]} reads as a machine translation of " \
           f"{english.article.source.rsplit('/', 1)[-1]}" in evidence
    # Both attribute their report to one outlet and carry its facts in its order.
    same_source = by_pair[frozenset((english.id, shared.id))]
    assert same_source.kind == "shared-source" and same_source.direction is None
    assert same_source.passages
    assert any("both attribute their reporting to" in e for e in same_source.evidence)
    announcement = by_pair.get(frozenset((seed_prepared[3].id, seed_prepared[4].id)))
    assert announcement is None or announcement.kind == "related"
    for relation in relations:
        if seed_prepared[3].id in (relation.a, relation.b) or seed_prepared[4].id in (relation.a, relation.b):
            assert relation.kind == "related"
    assert count_independent(ids, relations) == 3


def test_independent_report_of_the_same_story_is_related_at_most(fixture_relations):
    for pair, relation in fixture_relations.items():
        if "bridge_independent.txt" in pair:
            assert relation.kind == "related"


def test_shared_source_by_attribution_and_facts_in_order(fixture_relations):
    relation = _pair(fixture_relations, "bridge_wire_one.txt", "bridge_wire_two.txt")
    assert relation is not None and relation.kind == "shared-source"
    assert relation.direction is None
    evidence = " | ".join(relation.evidence)
    assert "bridge_wire_one.txt and bridge_wire_two.txt both attribute their reporting to 'harbour gazette'" in evidence
    assert "same facts in the same order" in evidence and "'Harbour Gazette'" in evidence
    assert len(relation.passages) >= 2


def test_shared_source_through_a_third_article(fixture_relations):
    """The excerpt and the Spanish version both derive from the original: they share its source."""
    relation = _pair(fixture_relations, "bridge_excerpt.txt", "bridge_spanish.txt")
    assert relation is not None and relation.kind == "shared-source"
    assert any("both derive from bridge_original.txt" in e for e in relation.evidence)


def test_shared_source_through_a_third_article_known_from_an_earlier_run(fixtures_prepared):
    original, excerpt, spanish = (fixtures_prepared[n] for n in
                                  ("bridge_original.txt", "bridge_excerpt.txt", "bridge_spanish.txt"))
    earlier = relation_between(original, excerpt)
    assert earlier is not None and earlier.kind == "excerpt"
    without = {frozenset((r.a, r.b)): r for r in find_relations([spanish], [original, excerpt])}
    with_known = {frozenset((r.a, r.b)): r for r in find_relations([spanish], [original, excerpt], known=[earlier])}
    pair = frozenset((excerpt.id, spanish.id))
    assert pair not in without or without[pair].kind == "related"
    assert with_known[pair].kind == "shared-source"


def test_evidence_names_articles_by_outlet(embedder):
    articles = make_articles(
        {"one.txt": _text("bridge_original.txt"), "two.txt": _text("bridge_excerpt.txt")},
        **{"one.txt": {"outlet": "Harbour Gazette"}, "two.txt": {"outlet": "Averill Daily"}},
    )
    relation = relation_between(*prepare(articles, embedder))
    assert relation is not None and relation.kind == "excerpt"
    assert "Averill Daily is a verbatim part of Harbour Gazette, the longer text" in relation.evidence


def test_wire_story_reprints_stay_linear_and_one_source(embedder):
    """A story reprinted many times is one LSH bucket: each reprint keeps only its closest few candidates."""
    limit = 3
    text = _text("bridge_excerpt.txt")
    copies = prepare(make_articles({f"reprint-{i:02d}.txt": text for i in range(60)}), embedder)
    relations = find_relations(copies, settings=ReuseSettings(candidate_limit=limit))
    assert {r.kind for r in relations} <= {"duplicate", "shared-source"}
    # At most `limit` LSH candidates, `limit` embedding neighbours and `limit`
    # pairs through a third copy per article: linear, where all pairs are 1770.
    assert len(relations) <= 60 * 3 * limit
    assert count_independent([p.id for p in copies], relations) == 1


def test_translation_found_without_language_ids(fixtures_prepared):
    original = fixtures_prepared["bridge_original.txt"]
    spanish = fixtures_prepared["bridge_spanish.txt"]
    unknown = Prepared(article=spanish.article, language=None, sentences=spanish.sentences, vector=spanish.vector,
                       sentence_vectors=spanish.sentence_vectors, minhash=spanish.minhash)
    relation = relation_between(original, unknown)
    assert relation is not None and relation.kind == "translation"
    assert any("most frequent words" in e and "was not identified" in e for e in relation.evidence)


def test_translation_from_names_and_numbers_when_the_model_cannot_read_the_language():
    """With a lexical embedder that cannot see across languages, names and numbers in order still tell."""
    articles = make_articles({n: _text(n) for n in ("bridge_original.txt", "bridge_spanish.txt", "chess_unrelated.txt")})
    original, spanish, chess = prepare(articles, HashingEmbedder())
    relation = relation_between(original, spanish)
    assert relation is not None and relation.kind == "translation"
    assert any("names and numbers" in e for e in relation.evidence)
    found = find_relations([spanish], [original, chess])
    assert [(r.kind, {r.a, r.b}) for r in found] == [("translation", {original.id, spanish.id})]


def test_alignment_measures_follow_argument_order(fixtures_prepared):
    original, excerpt = fixtures_prepared["bridge_original.txt"], fixtures_prepared["bridge_excerpt.txt"]
    forward, backward = alignment_measures(original, excerpt), alignment_measures(excerpt, original)
    assert forward.verbatim_b > 0.8 > forward.verbatim_a
    assert (backward.verbatim_a, backward.verbatim_b) == (forward.verbatim_b, forward.verbatim_a)
    assert forward.relation is not None and forward.relation.kind == "excerpt"
    unrelated = alignment_measures(original, fixtures_prepared["chess_unrelated.txt"])
    assert unrelated.relation is None and unrelated.aligned_a < 0.2


def test_word_overlap_of_two_sentences_is_their_dice_over_all_their_words(fixtures_prepared):
    # _align's matrices hold only the words both texts use; each sentence's size must still count
    # every one of its words, or partial overlaps would score too high.
    import numpy as np

    a, b = fixtures_prepared["bridge_original.txt"], fixtures_prepared["bridge_rewrite.txt"]
    profile_a, profile_b = reuse_profile._profile(a), reuse_profile._profile(b)
    shared = np.intersect1d(profile_a.token_hashes, profile_b.token_hashes)
    lexical = reuse_alignment._dice(reuse_alignment._incidence(profile_a, shared),
                                    reuse_alignment._incidence(profile_b, shared),
                                    profile_a.token_counts, profile_b.token_counts)
    words_a = [reuse_profile._content_words(s.text) for s in a.sentences]
    words_b = [reuse_profile._content_words(s.text) for s in b.sentences]
    expected = np.array([[2 * len(x & y) / (len(x) + len(y)) if x or y else 0.0 for y in words_b] for x in words_a])
    assert np.allclose(lexical, expected, atol=1e-6)
    assert ((expected > 0) & (expected < 1)).any()


def test_shared_source_through_a_third_article_that_arrives_later(fixtures_prepared):
    """Results do not depend on batching: two earlier articles deriving from a new one share its source."""
    original, excerpt, spanish = (fixtures_prepared[n] for n in
                                  ("bridge_original.txt", "bridge_excerpt.txt", "bridge_spanish.txt"))
    together = {(r.a, r.b): r.kind for r in find_relations([original, excerpt, spanish])}
    first_half = find_relations([excerpt, spanish])
    second_half = find_relations([original], [excerpt, spanish], known=first_half)
    in_batches = {(r.a, r.b): r.kind for r in first_half}
    in_batches.update({(r.a, r.b): r.kind for r in second_half})
    pair = tuple(sorted((excerpt.id, spanish.id)))
    assert together[pair] == "shared-source"
    assert in_batches == together


def test_identical_texts_link_every_copy_into_one_group_linearly(embedder):
    """One text under many sources: one group, at most two links per new copy, whether the copies
    arrive at once or one batch after another; a text without words is linked too."""
    text = _text("bridge_excerpt.txt")
    copies = prepare(make_articles({f"copy-{i:02d}.txt": text for i in range(40)}
                                   | {"blank-1.txt": "…", "blank-2.txt": "…", "other.txt": _text("chess_unrelated.txt")}),
                     embedder)
    texts = [p for p in copies if p.article.text == text]
    blanks = [p for p in copies if p.article.text == "…"]
    at_once = identical_texts(copies)
    assert all(r.kind == "duplicate" and r.evidence == ["identical text"] and r.direction is None for r in at_once)
    assert len(at_once) == (len(texts) - 1) + (len(blanks) - 1)
    assert count_independent([p.id for p in texts], at_once) == 1
    assert [(r.a, r.b) for r in at_once if r.a in {p.id for p in blanks}] == [tuple(sorted(p.id for p in blanks))]
    # In batches, the smallest id arriving last: still one group, still linear.
    ordered = sorted(texts, key=lambda p: p.id)
    earlier, later = ordered[len(ordered) // 2:], ordered[:len(ordered) // 2]
    batches = identical_texts(earlier) + identical_texts(later, earlier)
    assert len(batches) <= 2 * len(texts)
    assert count_independent([p.id for p in texts], batches) == 1


def test_relate_keeps_what_alignment_found_over_the_identical_text_rule(fixtures_prepared):
    docs = list(fixtures_prepared.values())
    copy = replace(docs[0], article=replace(docs[0].article, source="elsewhere/copy.txt",
                                            id=Article.id_for("elsewhere/copy.txt")))
    related = relate([copy], docs)
    pair = next(r for r in related if {r.a, r.b} == {copy.id, docs[0].id})
    assert pair.kind == "duplicate" and pair.evidence != ["identical text"]  # aligned: passages and evidence
    assert pair in find_relations([copy], docs)
    assert with_identical_texts([], identical_texts([copy], docs)) == identical_texts([copy], docs)
