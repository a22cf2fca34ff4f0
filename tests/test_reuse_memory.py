"""Reuse in bounded memory: profiles and sentence vectors held for a few articles at a time give
the relations that holding every article's gave (issue 18)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from conftest import FIXTURES, make_articles
from storyline.boilerplate import count_site_lines
from storyline.model import Prepared, Relation
from storyline.pipeline import Models, analyze, ingest
from storyline.prepare import prepare
from storyline.reuse import find_relations, identical_texts, relate, with_identical_texts
from storyline.reuse.candidates import _anchor_candidates, _embedding_candidates, _lsh_candidates
from storyline.reuse.kinds import _add_third_text_sources, _relation
from storyline.reuse.workspace import Workspace, first_uses, pair_codes, pair_order
from storyline.store import open_store

TEXTS = sorted((FIXTURES / "reuse").glob("*.txt")) + sorted((FIXTURES / "dedup").glob("*.txt"))


@pytest.fixture(scope="module")
def corpus(embedder) -> list[Prepared]:
    return prepare(make_articles({p.name: p.read_text(encoding="utf-8") for p in TEXTS}), embedder)


def _holding_everything(new: list[Prepared]) -> list[Relation]:
    """The stage as it was before its workspace: every profile built once and kept, every record with its
    vectors, the pairs in index order."""
    pairs = _lsh_candidates(new, len(new)) | _embedding_candidates(new, len(new)) | _anchor_candidates(new, len(new))
    everything = Workspace(count_site_lines(new), held=len(new))
    relations: dict[tuple[str, str], Relation] = {}
    for i, j in sorted(pairs):
        relation = _relation(new[i], new[j], everything.profile(new[i]), everything.profile(new[j]))[0]
        if relation is not None:
            relations[(relation.a, relation.b)] = relation
    _add_third_text_sources(relations, {p.id for p in new}, {p.id: p for p in new}, [], everything)
    return with_identical_texts(sorted(relations.values(), key=lambda r: (r.a, r.b)), identical_texts(new))


def _without_vectors(corpus: list[Prepared]) -> list[Prepared]:
    return [replace(p, sentence_vectors=np.zeros((0, p.sentence_vectors.shape[1]), dtype=np.float16)) for p in corpus]


def _reader(corpus: list[Prepared], asked: list[list[str]]):
    stored = {p.id: p.sentence_vectors.astype(np.float16) for p in corpus}

    def read(ids):
        asked.append(list(ids))
        return {i: stored[i] for i in ids}
    return read


def test_the_corpus_is_one_the_stage_links(corpus):
    kinds = {r.kind for r in _holding_everything(corpus)}
    assert {"duplicate", "excerpt", "rewrite", "translation"} <= kinds


@pytest.mark.parametrize("held", [2, 3, 5, 1000])
def test_relations_are_those_of_holding_every_article(corpus, held):
    # Vectors as the store keeps them (float16), in both routes: the store's float32 copy is a cast of them.
    as_stored = [replace(p, sentence_vectors=p.sentence_vectors.astype(np.float16)) for p in corpus]
    expected = _holding_everything(as_stored)
    asked: list[list[str]] = []
    got = with_identical_texts(find_relations(_without_vectors(corpus), sentence_vectors=_reader(corpus, asked),
                                              held=held), identical_texts(corpus))
    assert got == expected
    assert with_identical_texts(find_relations(as_stored, held=held), identical_texts(corpus)) == expected
    if held < len(corpus):
        # Some were let go and read again: the bound was really in force.
        assert sum(len(ids) for ids in asked) > len({i for ids in asked for i in ids})


def test_batches_give_the_same_relations_in_a_small_workspace(corpus):
    expected = relate(corpus)
    half = len(corpus) // 2
    first = with_identical_texts(find_relations(corpus[:half], held=2), identical_texts(corpus[:half]))
    second = with_identical_texts(find_relations(corpus[half:], corpus[:half], known=first, held=2),
                                  identical_texts(corpus[half:], corpus[:half]))
    kept = {(r.a, r.b): r for r in first}
    kept.update({(r.a, r.b): r for r in second})
    assert {key: (r.kind, r.direction) for key, r in kept.items()} == {(r.a, r.b): (r.kind, r.direction) for r in expected}


def test_the_workspace_never_holds_more_than_its_bound(corpus):
    codes = pair_order(pair_codes(_lsh_candidates(corpus, len(corpus)) | _embedding_candidates(corpus, len(corpus)),
                                  len(corpus)), len(corpus))
    pairs = [divmod(code, len(corpus)) for code in codes.tolist()]
    assert pairs and len(pairs) == len(set(pairs))
    upcoming = first_uses(codes, corpus)
    assert upcoming == list(dict.fromkeys(corpus[k].id for pair in pairs for k in pair))
    workspace = Workspace(count_site_lines(corpus), upcoming=upcoming, sentence_vectors=_reader(corpus, []), held=3)
    most = 0
    for i, j in pairs:
        for prepared in (corpus[i], corpus[j]):
            record = workspace.record(prepared)
            assert np.array_equal(record.sentence_vectors, prepared.sentence_vectors.astype(np.float16))
            workspace.profile(prepared)
        most = max(most, workspace.held())
    assert most == 3
    assert workspace.profiles_built > len({k for pair in pairs for k in pair})
    with pytest.raises(ValueError):
        Workspace(count_site_lines(corpus), held=1)


def test_pair_order_keeps_every_pair_and_brings_an_articles_pairs_together():
    # Two groups of articles, linked inside each group only, numbered alternately.
    pairs = {(min(i, j), max(i, j)) for group in (range(0, 40, 2), range(1, 40, 2)) for i in group for j in group
             if i != j}
    ordered = [divmod(code, 40) for code in pair_order(pair_codes(pairs, 40), 40).tolist()]
    assert sorted(ordered) == sorted(pairs)
    # The alternate numbering mixes the groups; the order takes one group's pairs first, then the other's.
    groups = [i % 2 for i, _ in ordered]
    assert groups == sorted(groups) or groups == sorted(groups, reverse=True)
    assert len(pair_order(pair_codes(set(), 5), 5)) == 0


def test_the_runner_reads_vectors_as_it_aligns_and_finds_what_holding_them_finds(tmp_path, corpus):
    with open_store(tmp_path / "s.db") as store:
        ingest(store, [str(p) for p in TEXTS])
        analyze(store, models=Models(), until="reuse")
        found = store.relations()
        light = store.prepared(with_sentence_vectors=False)
        assert all(len(p.sentence_vectors) == 0 for p in light)
        full = store.prepared(stored_vectors=True)
        read = store.stored_sentence_vectors([p.id for p in full])
        assert all(np.array_equal(read[p.id], p.sentence_vectors) for p in full)
        assert store.stored_sentence_vectors([]) == {}
    assert found == _holding_everything(full)
