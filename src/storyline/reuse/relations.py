"""The reuse stage's entry points: relations of new articles to all others (:func:`relate`, the
stage's core), one pair's relation, the measures behind it, and the identical-text rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..boilerplate import count_site_lines, tells_another_story
from ..model import Passage, Prepared, Relation, text_hash
from .candidates import _anchor_candidates, _embedding_candidates, _lsh_candidates
from .kinds import _add_third_text_sources, _relation
from .alignment import Coverage
from .profile import _profile
from .settings import ReuseSettings, in_use
from .workspace import HELD, SentenceVectors, Workspace, first_uses, pair_codes, pair_order


def relate(new: Sequence[Prepared], existing: Sequence[Prepared] = (), *,
           known: Sequence[Relation] = (), settings: Optional[ReuseSettings] = None,
           sentence_vectors: Optional[SentenceVectors] = None) -> list[Relation]:
    """The reuse stage: :func:`find_relations`, with :func:`identical_texts` for the pairs it did not link.

    ``settings``: the stage's thresholds (None: the shipped defaults), as for every entry point here.
    ``sentence_vectors``: see :func:`find_relations`.
    """
    return with_identical_texts(find_relations(new, existing, known=known, settings=settings,
                                               sentence_vectors=sentence_vectors),
                                identical_texts(new, existing))


def identical_texts(new: Sequence[Prepared], existing: Sequence[Prepared] = ()) -> list[Relation]:
    """One text under several sources is a ``duplicate``: two articles, one independent source.

    Each new article is linked to the smallest-id other article with its text and to the
    smallest-id existing one: at most two relations per new article, however many copies
    there are, and every copy is in one group with the others (those stored before were
    linked the same way when they were new). Texts with no words count too: the
    candidate search cannot see them. A text that tells another story than its headline
    (:func:`~storyline.boilerplate.tells_another_story`: a sign-in form that a publisher's pages
    all show) is no one's copy: the pages share furniture, not a story.
    """
    new_ids = {p.id for p in new}
    twins: dict[str, list[Prepared]] = {}
    for prepared in list(new) + [p for p in existing if p.id not in new_ids]:
        twins.setdefault(text_hash(prepared.article.text), []).append(prepared)
    relations: dict[tuple[str, str], Relation] = {}
    for group in twins.values():
        # Only texts seen twice are read for their headline's words: the check stays off the corpus' every text.
        group = [p for p in group if not tells_another_story(p.article)] if len(group) >= 2 else group
        if len(group) < 2:
            continue
        group.sort(key=lambda p: p.id)
        earlier = [p for p in group if p.id not in new_ids]
        for prepared in group:
            if prepared.id not in new_ids:
                continue
            others = [p for p in group if p.id != prepared.id][:1] + [p for p in earlier if p.id != prepared.id][:1]
            for other in others:
                a, b = sorted((prepared.id, other.id))
                length = len(prepared.article.text)
                relations[(a, b)] = Relation(a, b, "duplicate", None, 1.0, ["identical text"],
                                             [Passage((0, length), (0, length), 1.0)])
    return [relations[key] for key in sorted(relations)]


def with_identical_texts(found: Sequence[Relation], identical: Sequence[Relation]) -> list[Relation]:
    """``found`` and the identical-text relations of pairs it does not hold (its own, aligned, say more)."""
    merged = {(r.a, r.b): r for r in identical}
    merged.update({(r.a, r.b): r for r in found})
    return [merged[key] for key in sorted(merged)]


def find_relations(
    new: Sequence[Prepared], existing: Sequence[Prepared] = (), *, known: Sequence[Relation] = (),
    settings: Optional[ReuseSettings] = None, sentence_vectors: Optional[SentenceVectors] = None,
    held: int = HELD,
) -> list[Relation]:
    """Relations between each new article and every other article, new or existing.

    Pairs of two existing articles are never compared again: the runner keeps
    their relations. ``known`` may pass those kept relations: a new article
    and an existing one that both derive from a third article are then marked
    ``shared-source`` even when the existing one's link to the third was found
    in an earlier run. Only pairs that are really linked are returned, sorted
    by ``(a, b)``.

    Memory stays bounded by ``held`` articles' working profiles however many are related (see
    :mod:`.workspace`); ``sentence_vectors``: when given, the records may come without their
    sentence vectors (an empty array) and ``sentence_vectors(ids)`` returns them by id, read as
    the pairs need them, so that a run need not hold every article's vectors at once.
    """
    with in_use.using(settings):
        return _find_relations(new, existing, known, sentence_vectors, held)


def _find_relations(new: Sequence[Prepared], existing: Sequence[Prepared], known: Sequence[Relation],
                    sentence_vectors: Optional[SentenceVectors], held: int) -> list[Relation]:
    new_ids = {p.id for p in new}
    articles = list(new) + [p for p in existing if p.id not in new_ids]
    if len(articles) < 2 or not new:
        return []
    # Each source's pairs as codes as soon as found: one set of tuples at a time, not three.
    ordered = pair_order(np.concatenate([pair_codes(candidates(articles, len(new)), len(articles))
                                         for candidates in (_lsh_candidates, _embedding_candidates, _anchor_candidates)]),
                         len(articles))
    # Lines a site repeats on its pages align between any two of them: they are never reuse.
    workspace = Workspace(count_site_lines(articles), upcoming=first_uses(ordered, articles),
                          sentence_vectors=sentence_vectors, held=held)
    found: dict[tuple[int, int], Relation] = {}
    for i, j in zip(*(ends.tolist() for ends in np.divmod(ordered, len(articles)))):
        first, second = articles[i], articles[j]
        if first.id == second.id:
            continue
        relation = _relation(workspace.record(first), workspace.record(second),
                             workspace.profile(first), workspace.profile(second))[0]
        if relation is not None:
            found[(i, j)] = relation
    # In the candidates' own order, as when they were aligned in it: the same relations, met in the same order.
    relations: dict[tuple[str, str], Relation] = {}
    for key in sorted(found):
        relations[(found[key].a, found[key].b)] = found[key]
    by_id = {p.id: p for p in articles}
    _add_third_text_sources(relations, new_ids, by_id, known, workspace)
    return sorted(relations.values(), key=lambda r: (r.a, r.b))


def relation_between(a: Prepared, b: Prepared, settings: Optional[ReuseSettings] = None) -> Optional[Relation]:
    """Align one pair and classify it; None when the two are not linked."""
    with in_use.using(settings):
        return _relation(a, b, _profile(a), _profile(b))[0]


@dataclass(frozen=True)
class ReuseMeasures(Coverage):
    """How much of each of two texts aligns with the other (:class:`Coverage`), in the order the two
    were given, over how many aligned sentence pairs; ``relation`` is what ``relation_between`` returns."""

    sentence_pairs: int
    relation: Optional[Relation]


def alignment_measures(a: Prepared, b: Prepared, settings: Optional[ReuseSettings] = None) -> ReuseMeasures:
    """The degree of reuse between ``a`` and ``b`` (see ``ReuseMeasures``) with their relation."""
    with in_use.using(settings):
        relation, coverage, links, swapped = _relation(a, b, _profile(a), _profile(b))
    if coverage is None:
        return ReuseMeasures(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, relation)
    c = coverage.swapped() if swapped else coverage
    return ReuseMeasures(c.aligned_a, c.aligned_b, c.weighted_a, c.weighted_b, c.verbatim_a, c.verbatim_b,
                         c.lexical, len(links), relation)
