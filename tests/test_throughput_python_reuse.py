"""The reuse stage's candidate search made linear in Python work (issue 18) finds the candidates the
replaced code found: each replaced algorithm is written out here and compared on small real texts, with
caps set low so that they bind.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from typing import Sequence

import pytest

from conftest import FIXTURES, make_articles
from storyline.embedders import HashingEmbedder
from storyline.model import Prepared
from storyline.prepare import prepare
from storyline.reuse import ReuseSettings
from storyline.reuse.candidates import _anchor_candidates
from storyline.reuse.profile import _anchors
from storyline.reuse.settings import in_use


def _anchor_candidates_by_postings(articles: Sequence[Prepared], new_count: int) -> set[tuple[int, int]]:
    """The code before issue 18's whole-set runs: a Python count over each anchor's posting list."""
    anchor_sets = [set(_anchors(p)) for p in articles]
    postings: dict[str, list[int]] = defaultdict(list)
    for index, anchors in enumerate(anchor_sets):
        for anchor in anchors:
            postings[anchor].append(index)
    pairs: set[tuple[int, int]] = set()
    for i in range(new_count):
        shared: dict[int, int] = defaultdict(int)
        for anchor in anchor_sets[i]:
            posting = postings[anchor]
            if len(posting) > in_use().anchor_max_posting:
                continue
            for j in posting:
                if j != i:
                    shared[j] += 1
        scored = []
        for j, count in shared.items():
            smaller = min(len(anchor_sets[i]), len(anchor_sets[j]))
            if count >= in_use().anchor_candidate_shared and count / max(smaller, 1) >= in_use().anchor_candidate_dice:
                scored.append((-count / smaller, j))
        for _, j in sorted(scored)[:in_use().candidate_limit]:
            pairs.add((min(i, j), max(i, j)))
    return pairs


@pytest.fixture(scope="module")
def mixed_corpus() -> list[Prepared]:
    """Every fixture text of the reuse and entities tests, and texts recombined from their sentences (so
    many pairs share some names and numbers, a few share many, and some share exactly as many as a cap)."""
    texts = {path.name: path.read_text(encoding="utf-8")
             for folder in ("reuse", "entities") for path in sorted((FIXTURES / folder).glob("*.txt"))}
    lines = [line for text in texts.values() for line in text.split(". ") if line.strip()]
    rng = random.Random(3)
    for index in range(60):
        texts[f"recombined-{index}.txt"] = ". ".join(rng.sample(lines, rng.randint(3, 12)))
    texts["no-names.txt"] = "nothing here is named. it is all lower case."
    return prepare(make_articles(texts), HashingEmbedder())


@pytest.mark.parametrize("limits", [
    {},  # the shipped settings
    {"candidate_limit": 2, "anchor_max_posting": 20, "anchor_candidate_shared": 2, "anchor_candidate_dice": 0.1},
    {"candidate_limit": 1, "anchor_max_posting": 1000, "anchor_candidate_shared": 1, "anchor_candidate_dice": 0.0},
    {"candidate_limit": 5, "anchor_max_posting": 30, "anchor_candidate_shared": 1, "anchor_candidate_dice": 0.0},
])
def test_anchor_candidates_are_those_the_posting_lists_found(mixed_corpus, limits) -> None:
    settings = replace(ReuseSettings.defaults(), **limits)
    found = {}
    with in_use.using(settings):
        for new_count in (len(mixed_corpus), 7, 1):
            found[new_count] = _anchor_candidates_by_postings(mixed_corpus, new_count)
            assert _anchor_candidates(mixed_corpus, new_count) == found[new_count]
    assert found[len(mixed_corpus)]  # the comparison is of something
    if limits:
        # The per-article cap binds: some article would have had more candidates without it.
        looser = replace(settings, candidate_limit=1000)
        with in_use.using(looser):
            assert len(_anchor_candidates(mixed_corpus, len(mixed_corpus))) > len(found[len(mixed_corpus)])


# --- the alignment's early exit and the anchors' common subsequence ---------------------------------------


def test_alignment_with_its_early_exit_links_what_every_pair_links(embedder, monkeypatch) -> None:
    from itertools import combinations

    from storyline.reuse import alignment
    from storyline.reuse.profile import _profile

    texts = {path.name: path.read_text(encoding="utf-8") for path in sorted((FIXTURES / "reuse").glob("*.txt"))}
    prepared = prepare(make_articles(texts), embedder)
    profiles = {p.id: _profile(p) for p in prepared}
    settings = ReuseSettings.defaults()
    pairs = list(combinations(prepared, 2))
    exited = 0
    for threshold in (settings.sentence_match, settings.cross_language_match):
        for a, b in pairs:
            vectors = (a.sentence_vectors.astype("float32"), b.sentence_vectors.astype("float32"))
            exited += not alignment._may_link(vectors, profiles[a.id], profiles[b.id], threshold)
    with_exit = [alignment._align(a, b, profiles[a.id], profiles[b.id], threshold=t)
                 for t in (settings.sentence_match, settings.cross_language_match) for a, b in pairs]
    monkeypatch.setattr(alignment, "_may_link", lambda *args: True)
    every_pair = [alignment._align(a, b, profiles[a.id], profiles[b.id], threshold=t)
                  for t in (settings.sentence_match, settings.cross_language_match) for a, b in pairs]
    assert with_exit == every_pair
    # Not vacuous: some pairs exit early, and some of those that do not are linked.
    assert 0 < exited < 2 * len(pairs) and any(every_pair)


def _common_subsequence_by_table(x: Sequence[str], y: Sequence[str]) -> int:
    """The dynamic programme the bit-parallel form replaced, a Python step per cell."""
    previous = [0] * (len(y) + 1)
    for token in x:
        current = [0]
        for j, other in enumerate(y):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def test_anchor_common_subsequence_is_the_tables() -> None:
    from storyline.reuse.translation import _anchor_agreement, _common_subsequence_length

    rng = random.Random(11)
    for _ in range(2000):
        alphabet = rng.randint(1, 9)
        x = [str(rng.randint(0, alphabet)) for _ in range(rng.randint(1, 30))]
        y = [str(rng.randint(0, alphabet)) for _ in range(rng.randint(1, 30))]
        assert _common_subsequence_length(x, y) == _common_subsequence_by_table(x, y), (x, y)
    long_x = [str(rng.randint(0, 60)) for _ in range(450)]
    long_y = [str(rng.randint(0, 60)) for _ in range(420)]
    agreement, count = _anchor_agreement(long_x, long_y)  # each side cut to 400 anchors
    assert count == 400 and agreement == _common_subsequence_by_table(long_x[:400], long_y[:400]) / 400
    assert _anchor_agreement([], ["x"]) == (0.0, 0)
