"""Who covers a story: source groups with wire copies counted once, coverage by label, blindspots.

Pure functions over article ids, relations, wire credits and resolved outlets.

1. source groups: the provenance groups (copies, excerpts, rewrites, translations, a shared
   source: :func:`storyline.graph.independent_groups`), then every group holding a copy of
   one agency joined into that agency's group, so a station republishing the AP feed and
   twenty others reprinting it are one source: AP;
2. coverage by label: for each label of the registry (the user's ``leaning`` ..., and
   country, type, owner), the articles and the sources per value;
3. story blindspot: the story's labelled sources come only or mostly (``DOMINANT_SHARE``)
   from one value of a label while the registry knows other values of it;
4. claim blindspots: a claim carried by two or more outlets that all share one value while
   the story is covered by others (``only``), and a key claim (two or more sources) that
   no outlet of a value covering the story carries (``omitted_by``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..graph import DisjointSets, independent_groups
from ..model import Relation
from .wire import WireCredit

__all__ = [
    "DOMINANT_SHARE",
    "Blindspot",
    "ClaimBlindspot",
    "LabelCoverage",
    "SourceGroup",
    "claim_blindspots",
    "coverage_by_label",
    "source_groups",
    "sources_phrase",
    "story_blindspots",
]

# A story is a blindspot for the other side when this share of its labelled sources is one side's.
DOMINANT_SHARE = 0.8
# Fewer labelled sources than this say nothing about who ignores a story.
MIN_LABELLED_SOURCES = 2
# One outlet carrying a claim is the ledger's "single-source"; "only one side carries it" needs two.
ONE_SIDE_MIN_OUTLETS = 2


@dataclass
class SourceGroup:
    agency: str | None
    articles: list[str]


@dataclass
class LabelValue:
    value: str
    articles: int
    sources: int


@dataclass
class LabelCoverage:
    label: str
    values: list[LabelValue]
    unknown: int  # articles whose outlet has no value for the label


@dataclass
class Blindspot:
    label: str
    dominant: str
    share: float
    missing: list[str] = field(default_factory=list)


@dataclass
class ClaimBlindspot:
    label: str
    only: str | None
    omitted_by: list[str]


def source_groups(article_ids: Iterable[str], relations: Sequence[Relation],
                  credits: Mapping[str, WireCredit]) -> list[SourceGroup]:
    """Independent sources, with every copy of one agency's text in that agency's group; agencies first."""
    groups = independent_groups(article_ids, relations)
    agency_of_group: list[str | None] = []
    for group in groups:
        agencies = Counter(credits[a].agency for a in group if a in credits)
        # A group is one text: when its members credit two agencies, the most credited one is its source.
        agency_of_group.append(min(agencies, key=lambda name: (-agencies[name], name)) if agencies else None)
    sets = DisjointSets(len(groups))
    first_of: dict[str, int] = {}
    for index, agency in enumerate(agency_of_group):
        if agency is not None:
            sets.union(first_of.setdefault(agency, index), index)
    merged = []
    for members in sets.groups():
        articles = sorted(a for index in members for a in groups[index])
        merged.append(SourceGroup(agency_of_group[members[0]], articles))
    return sorted(merged, key=lambda g: (g.agency is None, g.agency or "", g.articles[0]))


def sources_phrase(outlets: int, groups: Sequence[SourceGroup], unknown_outlets: int = 0) -> str:
    """"5 outlets, 1 source: AP" / "4 outlets, 3 sources: AP, Reuters and 1 other"."""
    agencies = [g.agency for g in groups if g.agency]
    others = len(groups) - len(agencies)
    named = agencies + ([f"{others} other" + ("s" if others > 1 else "")] if others and agencies else [])
    outlet_part = f"{outlets} outlet{'s' if outlets != 1 else ''}"
    if unknown_outlets:
        outlet_part += f" (+{unknown_outlets} article{'s' if unknown_outlets != 1 else ''} of unknown outlet)"
    text = f"{outlet_part}, {len(groups)} source{'s' if len(groups) != 1 else ''}"
    if named:
        text += ": " + (", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0])
    return text


def coverage_by_label(article_ids: Sequence[str], labels_of: Mapping[str, Mapping[str, str]],
                      groups: Sequence[SourceGroup], label_names: Sequence[str]) -> list[LabelCoverage]:
    """Articles and sources per value of each label; a source counts once for each value its outlets have."""
    group_of = {a: index for index, group in enumerate(groups) for a in group.articles}
    found = []
    for label in label_names:
        articles: Counter[str] = Counter()
        sources: dict[str, set[int]] = {}
        unknown = 0
        for article in article_ids:
            value = labels_of.get(article, {}).get(label)
            if value is None:
                unknown += 1
                continue
            articles[value] += 1
            sources.setdefault(value, set()).add(group_of.get(article, -1))
        if not articles:
            continue
        values = [LabelValue(value, articles[value], len(sources[value])) for value in articles]
        values.sort(key=lambda v: (-v.sources, -v.articles, v.value.casefold()))
        found.append(LabelCoverage(label, values, unknown))
    return found


def story_blindspots(coverage: Sequence[LabelCoverage], known_values: Mapping[str, Sequence[str]],
                     dominant_share: float = DOMINANT_SHARE) -> list[Blindspot]:
    """Labels whose sources in this story come only or mostly from one value, while the registry has others."""
    found = []
    for item in coverage:
        others = [v for v in known_values.get(item.label, ()) if v not in {x.value for x in item.values}]
        total = sum(v.sources for v in item.values)
        if total < MIN_LABELLED_SOURCES or len(known_values.get(item.label, ())) < 2:
            continue
        top = item.values[0]
        share = top.sources / total
        if share >= dominant_share:
            found.append(Blindspot(item.label, top.value, round(share, 4), sorted(others, key=str.casefold)))
    return found


def claim_blindspots(carriers: Sequence[str], story_articles: Sequence[str],
                     labels_of: Mapping[str, Mapping[str, str]], outlet_of: Mapping[str, str | None],
                     sources: int, label_names: Sequence[str]) -> list[ClaimBlindspot]:
    """Per label: the one value all the claim's outlets share (when the story has others), and the values
    covering the story whose outlets all leave out a key claim (one carried by two or more sources)."""
    carrier_set = set(carriers)
    found = []
    for label in label_names:
        in_story = {v for a in story_articles if (v := labels_of.get(a, {}).get(label)) is not None}
        if len(in_story) < 2:
            continue
        carried = {v for a in carrier_set if (v := labels_of.get(a, {}).get(label)) is not None}
        outlets = {outlet_of.get(a) or a for a in carrier_set if labels_of.get(a, {}).get(label)}
        only = next(iter(carried)) if len(carried) == 1 and len(outlets) >= ONE_SIDE_MIN_OUTLETS else None
        omitted_by = sorted(in_story - carried, key=str.casefold) if sources >= 2 else []
        if only or omitted_by:
            found.append(ClaimBlindspot(label, only, omitted_by))
    return found
