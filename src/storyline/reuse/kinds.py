"""Relation typing and direction: ``duplicate``, ``excerpt``, ``rewrite``, ``translation``,
``shared-source`` (by attribution, or through a third article of the corpus) or ``related``,
from how much of each text aligns and how verbatim it is; the direction from an attribution
naming the other's outlet, then publication dates, then the texts' shape.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from typing import Literal, Optional, Sequence

import numpy as np

from ..graph import DisjointSets
from ..model import Prepared, Relation, RelationKind
from .alignment import (_align, Coverage, _coverage, _in_order, _Link, _order_agreement,
                        _passages)
from .profile import _Profile
from .settings import in_use
from .translation import (_anchor_translation, _grouped, _languages_differ, _machine_translated_side,
                          _signs_with_names)
from .words import _NAME_SEQUENCE, _NUMBER
from .workspace import Workspace


Direction = Optional[Literal["a->b", "b->a"]]
# Kinds in which one text derives from the other (not shared-source, not related).
DERIVED_KINDS = frozenset({"duplicate", "excerpt", "rewrite", "translation"})


# --- naming articles in evidence ---------------------------------------------------


def article_label(prepared: Prepared) -> str:
    """How evidence names an article: its outlet when known, else its source's file name."""
    outlet = (prepared.article.outlet or "").strip()
    return outlet or _source_name(prepared.article.source)


def _source_name(source: str) -> str:
    """The last part of a path or URL ("dump.jsonl#line=3", "002_4ee9.txt"), or the whole source."""
    name = source.rstrip("/").rsplit("/", 1)[-1]
    return name or source


def _labels(a: Prepared, b: Prepared) -> tuple[str, str]:
    """Labels for the two articles of one relation that tell them apart."""
    first, second = article_label(a), article_label(b)
    if first != second:
        return first, second
    first, second = _source_name(a.article.source), _source_name(b.article.source)
    if first != second:
        return (f"{article_label(a)} ({first})", f"{article_label(b)} ({second})") if a.article.outlet else (first, second)
    return a.article.source or a.id, b.article.source or b.id


# --- 3. kind, 5. direction ------------------------------------------------------------


def _relation(
    first: Prepared, second: Prepared, profile_first: _Profile, profile_second: _Profile,
) -> tuple[Optional[Relation], Optional[Coverage], list[_Link], bool]:
    """The relation (or None), the coverage in relation order, the links, and whether the order was swapped."""
    # Relation.a is the smaller id; every "a"/"b" below follows that order.
    swapped = first.id > second.id
    if swapped:
        first, second, profile_first, profile_second = second, first, profile_second, profile_first
    a, b, pa, pb = first, second, profile_first, profile_second
    name_a, name_b = _labels(a, b)
    languages_differ, language_note = _languages_differ(a, b, pa, pb, name_a, name_b)
    if languages_differ:
        # Across languages the model places a sentence and its translation
        # less close (de-fr: median 0.68, a tenth below 0.47) but unrelated
        # sentences stay far (95% below 0.30): match at a lower cosine, and
        # keep only links in the same order in both texts, which a
        # translation keeps and two independent reports do not.
        links = _in_order(_align(a, b, pa, pb, threshold=in_use().cross_language_match))
    else:
        links = _align(a, b, pa, pb)
    links, disagreeing = _agreeing_facts(a, b, links, within_language=not languages_differ)
    if not links and not languages_differ:
        return None, None, links, swapped
    coverage = _coverage(links, pa, pb)
    length_a = float(pa.lengths[pa.usable].sum())
    length_b = float(pb.lengths[pb.usable].sum())
    a_is_shorter = length_a <= length_b
    shorter_aligned = coverage.aligned_a if a_is_shorter else coverage.aligned_b
    shorter_weighted = coverage.weighted_a if a_is_shorter else coverage.weighted_b
    shorter_verbatim = coverage.verbatim_a if a_is_shorter else coverage.verbatim_b
    length_ratio = min(length_a, length_b) / max(length_a, length_b, 1.0)
    shorter_name, longer_name = (name_a, name_b) if a_is_shorter else (name_b, name_a)

    evidence: list[str] = [
        f"aligned {coverage.aligned_a:.0%} of {name_a} and {coverage.aligned_b:.0%} of {name_b} "
        f"({len(links)} sentence pairs; {shorter_verbatim:.0%} of {shorter_name} copied verbatim; "
        f"word overlap {coverage.lexical:.2f})"
    ]
    if disagreeing:
        evidence.append(f"{len(disagreeing)} more sentence pairs read alike but give other numbers, so they were "
                        "not counted: " + "; ".join(f"{x!r} / {y!r}" for x, y in disagreeing[:3]))
    mt_signs_a, mt_signs_b = _signs_with_names(a, b, pa, pb, links)
    translated_side = _machine_translated_side(mt_signs_a, mt_signs_b)
    kind: Optional[RelationKind]
    structural: Direction = None
    score = shorter_weighted

    if coverage.verbatim_a >= in_use().duplicate_coverage and coverage.verbatim_b >= in_use().duplicate_coverage:
        kind = "duplicate"
    elif shorter_verbatim >= in_use().excerpt_coverage and length_ratio <= in_use().excerpt_length_ratio:
        kind = "excerpt"
        structural = "b->a" if a_is_shorter else "a->b"
        evidence.append(f"{shorter_name} is a verbatim part of {longer_name}, the longer text")
    elif shorter_aligned >= in_use().reuse_coverage and (languages_differ or (translated_side and coverage.lexical < in_use().low_lexical)):
        kind = "translation"
        if languages_differ:
            evidence.append(language_note)
        if translated_side:
            structural = "b->a" if translated_side == "a" else "a->b"
            machine, fluent = (name_a, name_b) if translated_side == "a" else (name_b, name_a)
            evidence.append(f"{machine} reads as a machine translation of {fluent}: it shows "
                            f"{len(mt_signs_a if translated_side == 'a' else mt_signs_b)} signs of machine translation, "
                            f"{fluent} {len(mt_signs_b if translated_side == 'a' else mt_signs_a)}")
    elif shorter_aligned >= in_use().reuse_coverage:
        kind = "rewrite"
    elif (languages_differ and max(coverage.aligned_a, coverage.aligned_b) < in_use().anchor_route_aligned
          and (anchor := _anchor_translation(a, b, pa, pb, name_a, name_b)) is not None):
        kind = "translation"
        score, anchor_evidence = anchor
        evidence.append(language_note)
        evidence.append(anchor_evidence)
    elif links:
        kind = _shared_source_or_related(a, b, pa, pb, links, name_a, name_b, evidence)
    else:
        kind = None
    if kind is None:
        return None, coverage, links, swapped

    for name, signs in ((name_a, mt_signs_a), (name_b, mt_signs_b)):
        if signs and kind in ("translation", "rewrite"):
            evidence.extend(f"sign of machine translation in {name}: {sign}: {quoted}" for sign, quoted in _grouped(signs))

    direction = None
    if kind not in ("shared-source", "related"):
        direction = _direction(a, b, pa, pb, structural, evidence, name_a, name_b)
    relation = Relation(
        a=a.id, b=b.id, kind=kind, direction=direction, score=round(float(min(max(score, 0.0), 1.0)), 3),
        evidence=evidence, passages=_passages(links, a.sentences, b.sentences),
    )
    return relation, coverage, links, swapped


_DIGITS = re.compile(r"\d+")


def _agreeing_facts(a: Prepared, b: Prepared, links: Sequence[_Link],
                    within_language: bool = True) -> tuple[list[_Link], list[tuple[str, str]]]:
    """The links whose numbers agree, and the numbers each aligned group left out gives instead (a's, b's).

    A reworded sentence pair is reuse only if it keeps the facts of what it rewords. Two reports of
    different events written to one template ("The 17-year-old was taken to X Hospital" / "The
    16-year-old was found ...") align as closely as a rewrite, but their numbers (ages, times,
    counts, addresses) differ: when each side of an aligned group carries a number the other side
    lacks, the group is left out (one side's numbers inside the other's is a rewrite adding or
    dropping a detail). Once a group is left out, the other reworded groups count, in one language
    (``within_language``), only with a name or number in common: the rest is the template. Across
    languages names are spelt and dates written otherwise, so sharing none says nothing there.
    Sentences copied verbatim are kept whatever they say. Names are never grounds to leave a group
    out: a machine translation garbles them ("Safe Third Country" / "Security Third Kingdom"), and
    independent reports of one event name different people and places (FNC-1 lost 136 same-story
    relations when two foreign names a side counted); digits it keeps, in every language.
    """
    if not links:
        return list(links), []
    # Groups of links that share a sentence: a sentence split in two has its numbers in both halves.
    sets = DisjointSets(len(links))
    first_with: dict[tuple[str, int], int] = {}
    for number, link in enumerate(links):
        for key in (("a", link.a), ("b", link.b)):
            sets.union(first_with.setdefault(key, number), number)
    groups = [[links[number] for number in members] for members in sets.groups()]
    kept: list[list[_Link]] = []
    disagreeing: list[tuple[str, str]] = []
    for group in groups:
        if all(link.lexical >= in_use().verbatim_sentence for link in group):
            kept.append(group)
            continue
        numbers_a = {n for i in sorted({link.a for link in group}) for n in _DIGITS.findall(_normal(a.sentences[i].text))}
        numbers_b = {n for i in sorted({link.b for link in group}) for n in _DIGITS.findall(_normal(b.sentences[i].text))}
        if numbers_a - numbers_b and numbers_b - numbers_a:
            disagreeing.append((", ".join(sorted(numbers_a - numbers_b, key=lambda n: (len(n), n))),
                                ", ".join(sorted(numbers_b - numbers_a, key=lambda n: (len(n), n)))))
        else:
            kept.append(group)
    if disagreeing and within_language:
        # Two texts shown to tell other specifics: a reworded pair counts only with a name or number of its own in
        # common ("He was taken to the hospital, where ..." is the template, not the fact).
        kept = [group for group in kept if all(link.lexical >= in_use().verbatim_sentence for link in group)
                or any(_link_facts(a, b, link) for link in group)]
    flat = [link for group in kept for link in group]
    return sorted(flat, key=lambda link: (link.a, link.b)), disagreeing


def _normal(text: str) -> str:
    """Full-width digits (Japanese, Chinese) as ASCII ones, so that numbers compare across languages."""
    return unicodedata.normalize("NFKC", text)


def _shared_source_or_related(
    a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, links: Sequence[_Link], name_a: str, name_b: str,
    evidence: list[str],
) -> Optional[RelationKind]:
    """``shared-source`` when both attribute to one name and carry its facts in its order, else maybe ``related``."""
    own_outlets = {(p.article.outlet or "").strip().lower() for p in (a, b)} - {""}
    shared = sorted(name for name in pa.attributions & pb.attributions if name not in own_outlets)
    factual = [(link, facts) for link in links if (facts := _link_facts(a, b, link))]
    distinct_facts = list(dict.fromkeys(f for _, facts in factual for f in facts))
    order = _order_agreement([link for link, _ in factual])
    if (shared and len(factual) >= in_use().shared_source_pairs and len(distinct_facts) >= in_use().shared_source_facts
            and order >= in_use().shared_source_order):
        names = ", ".join(f"'{name}'" for name in shared)
        evidence.append(f"{name_a} and {name_b} both attribute their reporting to {names}")
        evidence.append(f"{len(factual)} aligned passages carry the same facts in the same order "
                        f"({order:.0%} in order): " + ", ".join(f"'{f}'" for f in distinct_facts[:8]))
        return "shared-source"
    cosine = float(np.dot(a.vector, b.vector))
    if cosine >= in_use().related_cosine:
        evidence.append(f"{name_a} and {name_b} report the same story (article cosine {cosine:.2f}) "
                        "but too little of them aligns for one to derive from the other")
        return "related"
    return None


def _link_facts(a: Prepared, b: Prepared, link: _Link) -> list[str]:
    """Numbers and names (not a sentence's first word) that both sentences of an aligned pair carry."""
    text_a, text_b = a.sentences[link.a].text, b.sentences[link.b].text
    facts: list[str] = []
    for pattern in (_NUMBER, _NAME_SEQUENCE):
        in_b = {m.group().rstrip(".,") for m in pattern.finditer(text_b)}
        for match in pattern.finditer(text_a):
            fact = match.group().rstrip(".,")
            if len(fact) > 1 and fact in in_b and match.start() > 0 and fact not in facts:
                facts.append(fact)
    return facts


def _direction(
    a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, structural: Direction, evidence: list[str],
    name_a: str, name_b: str,
) -> Direction:
    """Which one is the source: an attribution to the other's outlet, then dates, then the texts' shape."""
    checks: list[tuple[Prepared, str, _Profile, str, Direction]] = [
        (a, name_b, pb, name_a, "a->b"), (b, name_a, pa, name_b, "b->a"),
    ]
    for source, reader_name, reader_profile, source_name, arrow in checks:
        outlet = (source.article.outlet or "").strip().lower()
        if outlet and any(outlet == name or outlet in name for name in reader_profile.attributions):
            evidence.append(f"{reader_name} attributes its report to {source.article.outlet!r}, "
                            f"so {source_name} comes first")
            return arrow
    dated = _date_order(a.article.published, b.article.published)
    if dated:
        earlier, later = (name_a, name_b) if dated == "a->b" else (name_b, name_a)
        first_date, second_date = ((a.article.published, b.article.published) if dated == "a->b"
                                   else (b.article.published, a.article.published))
        evidence.append(f"{earlier} was published first ({first_date}), {later} later ({second_date})")
        return dated
    return structural


def _date_order(published_a: Optional[str], published_b: Optional[str]) -> Direction:
    """Earlier to later, compared at the precision both dates have; None when equal or unknown."""
    if not published_a or not published_b:
        return None
    precision = min(len(published_a), len(published_b))
    first, second = published_a[:precision], published_b[:precision]
    if first == second:
        return None
    return "a->b" if first < second else "b->a"


# --- shared source through a third article ------------------------------------------------


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _derives_from(relation: Relation, source: str) -> bool:
    """Whether ``relation`` (of a derived kind) can have ``source`` as the source: not known to run the other way."""
    if relation.kind not in DERIVED_KINDS:
        return False
    if relation.direction is None:
        return True
    return (relation.direction == "a->b") == (relation.a == source)


def _add_third_text_sources(
    relations: dict[tuple[str, str], Relation], new_ids: set[str], by_id: dict[str, Prepared],
    known: Sequence[Relation], workspace: Workspace,
) -> None:
    """Mark two articles ``shared-source`` when both derive from a third article C of the corpus.

    Only pairs that are not already linked by a derivation are marked, at most
    ``candidate_limit`` per article (those whose links to C are strongest):
    forty reprints of a wire story are already one group through it.

    The pairs looked at are those with a new article at either end or as C: two articles
    read in an earlier run that both derive from a new one share its source too, so the
    same articles give the same relations whether they arrive together or in batches.
    """
    derived: dict[str, dict[str, Relation]] = defaultdict(dict)
    kept = [r for r in known if r.a not in new_ids and r.b not in new_ids]
    for relation in kept + list(relations.values()):
        if relation.kind in DERIVED_KINDS:
            derived[relation.a][relation.b] = relation
            derived[relation.b][relation.a] = relation
    kept_by_pair = {(r.a, r.b): r for r in kept}
    # Earlier articles derived from a new one: their pairs through it were never looked at.
    linked_to_new = {other for new_id in new_ids for other in derived.get(new_id, {})} - new_ids
    proposals: dict[tuple[str, str], tuple[float, str, Relation, Relation]] = {}
    for first in sorted(new_ids | linked_to_new):
        found: list[tuple[float, str, str, Relation, Relation]] = []
        for third, to_first in derived.get(first, {}).items():
            if not _derives_from(to_first, third):
                continue
            if first not in new_ids and third not in new_ids:
                continue  # two earlier articles through an earlier third: settled in an earlier run
            for second, to_second in derived.get(third, {}).items():
                if second == first or second in derived.get(first, {}) or not _derives_from(to_second, third):
                    continue
                if first not in new_ids and second not in new_ids and third not in new_ids:
                    continue
                found.append((-min(to_first.score, to_second.score), second, third, to_first, to_second))
        for negative_score, second, third, to_first, to_second in sorted(found)[:in_use().candidate_limit]:
            key = (min(first, second), max(first, second))
            if key not in proposals or -negative_score > proposals[key][0]:
                proposals[key] = (-negative_score, third, to_first, to_second)
    for (a_id, b_id), (score, third, to_a, to_b) in sorted(proposals.items()):
        if a_id not in by_id or b_id not in by_id:
            continue
        a, b = by_id[a_id], by_id[b_id]
        name_a, name_b = _labels(a, b)
        name_third = article_label(by_id[third]) if third in by_id else third
        if name_third in (name_a, name_b):
            name_third = by_id[third].article.source if third in by_id else third
        previous = relations.get((a_id, b_id)) or kept_by_pair.get((a_id, b_id))
        first_to, second_to = (to_a, to_b) if a_id in (to_a.a, to_a.b) else (to_b, to_a)
        evidence = [f"{name_a} and {name_b} both derive from {name_third}: {name_a} is {_a(first_to.kind)} of it, "
                    f"{name_b} {_a(second_to.kind)}"]
        if previous is not None:
            evidence += previous.evidence
            passages = previous.passages
        else:
            links = _agreeing_facts(a, b, _align(workspace.record(a), workspace.record(b), workspace.profile(a),
                                                 workspace.profile(b)),
                                    within_language=a.language == b.language or not (a.language and b.language))[0]
            passages = _passages(links, a.sentences, b.sentences)
        relations[(a_id, b_id)] = Relation(a=a_id, b=b_id, kind="shared-source", direction=None,
                                           score=round(score, 3), evidence=evidence, passages=passages)
