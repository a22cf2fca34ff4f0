"""Rules 6-7 of resolution: names paired inside passages the reuse stage aligned between two articles."""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Optional, Sequence

from ..model import Relation, Span
from .clusters import _Clusters, _Context, _quote
from .names import _aligned_score, _fuzzy_acronym, _literal_translation, _opens_with_acronym, normalise
from .settings import DEFAULTS, EntitySettings


def _located_mentions(clusters: _Clusters) -> dict[str, list[tuple[Span, int]]]:
    """Per article, its mentions' spans with their node, in text order."""
    located: dict[str, list[tuple[Span, int]]] = defaultdict(list)
    for n, node in enumerate(clusters.nodes):
        for mention in node.mentions:
            located[node.article].append((mention.span, n))
    for spans in located.values():
        spans.sort()
    return located


def _merge_aligned(clusters: _Clusters, relations: Sequence[Relation], context: _Context) -> None:
    """Names left unmatched on the two sides of an aligned passage, paired by similarity and position."""
    settings = context.settings
    located = _located_mentions(clusters)
    for relation in sorted(relations, key=lambda r: (r.a, r.b)):
        if relation.kind == "related":
            continue
        for passage in relation.passages:
            left = _names_in(located.get(relation.a, []), passage.a, clusters)
            right = _names_in(located.get(relation.b, []), passage.b, clusters)
            common = set(left) & set(right)
            left = {r: p for r, p in left.items() if r not in common}
            right = {r: p for r, p in right.items() if r not in common}
            # The forms written in the passages are compared, not every alias their clusters gathered
            # elsewhere: one bad mention ("Anna Paul" for "Anna, Paul") must not bridge two people.
            forms_a = _keys_in(located.get(relation.a, []), passage.a, clusters)
            forms_b = _keys_in(located.get(relation.b, []), passage.b, clusters)
            scored = []
            for ra, pa in left.items():
                for rb, pb in right.items():
                    if abs(pa - pb) > settings.aligned_max_offset:
                        continue
                    score = max(_aligned_score(x, y, settings) for x in forms_a[ra] for y in forms_b[rb])
                    if score >= settings.aligned_min_score:
                        scored.append((score - settings.aligned_offset_penalty * abs(pa - pb), ra, rb))
            used: set[int] = set()
            for _score, ra, rb in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
                if ra in used or rb in used:
                    continue
                used.update((ra, rb))
                text_a, text_b = context.texts.get(relation.a, ""), context.texts.get(relation.b, "")
                names = (clusters.forms(clusters.cluster(ra))[0], clusters.forms(clusters.cluster(rb))[0])
                clusters.union(ra, rb, "fuzzy-aligned",
                               f"\u201c{names[0]}\u201d ~ \u201c{names[1]}\u201d in aligned passages "
                               f"{relation.a}[{passage.a[0]}:{passage.a[1]}] \u201c{_quote(text_a, passage.a, 60)}\u201d / "
                               f"{relation.b}[{passage.b[0]}:{passage.b[1]}] \u201c{_quote(text_b, passage.b, 60)}\u201d")


def _keys_in(spans: Sequence[tuple[Span, int]], window: Span, clusters: _Clusters) -> dict[int, set[str]]:
    """The normalised forms written inside ``window``, by cluster."""
    found: dict[int, set[str]] = defaultdict(set)
    start = bisect.bisect_left(spans, ((window[0], -1), -1))
    for (s, e), n in spans[start:]:
        if s >= window[1]:
            break
        if e <= window[1]:
            found[clusters.find(n)].add(clusters.nodes[n].key)
    return found


def _names_in(spans: Sequence[tuple[Span, int]], window: Span, clusters: _Clusters,
              frame: Optional[Span] = None) -> dict[int, float]:
    """Clusters named inside ``window``, each with its first relative position in ``frame`` (by default
    the window itself: 0 = start, 1 = end)."""
    found: dict[int, float] = {}
    origin = frame or window
    width = max(1, origin[1] - origin[0])
    start = bisect.bisect_left(spans, ((window[0], -1), -1))
    for (s, e), n in spans[start:]:
        if s >= window[1]:
            break
        if e <= window[1]:
            found.setdefault(clusters.find(n), (s - origin[0]) / width)
    return found


def _widen(window: Span, sentences: Sequence[Span]) -> Span:
    """The window grown by one sentence each way: translations merge and split sentences."""
    if not sentences:
        return window
    starts = [s for s, _ in sentences]
    first = max(0, bisect.bisect_right(starts, window[0]) - 2)
    last = min(len(sentences) - 1, bisect.bisect_left(starts, window[1]))
    return min(window[0], sentences[first][0]), max(window[1], sentences[last][1])


def _merge_translated_names(clusters: _Clusters, relations: Sequence[Relation], context: _Context) -> None:
    """A name of one side of a derivation that the other side renders with other words.

    Only names absent from the other article are paired, and only inside
    aligned passages (grown by a sentence each way): an acronym against a
    garbled expansion ("VBS News" / "Valencia Broadcasting Company News"),
    or a word-by-word translation ("Office of Coastal Security" /
    "Ministry of Coast and Safety"), which must also sit at the same place in
    the passage. Each name pairs with at most one other per passage.
    """
    located = _located_mentions(clusters)
    for relation in sorted(relations, key=lambda r: (r.a, r.b)):
        if relation.kind == "related":
            continue
        for passage in relation.passages:
            window_a = _widen(passage.a, context.sentence_spans.get(relation.a, []))
            window_b = _widen(passage.b, context.sentence_spans.get(relation.b, []))
            # Positions are measured against the passage itself (names in the added sentences fall
            # below 0 or above 1), so that growing the windows does not shift them.
            # A name absent from the other article: asked of each cluster's articles, not by listing every name
            # of both articles per passage (quadratic in a long article and its copy).
            left = {r: p for r, p in _names_in(located.get(relation.a, []), window_a, clusters, passage.a).items()
                    if relation.b not in clusters.cluster(r).articles}
            right = {r: p for r, p in _names_in(located.get(relation.b, []), window_b, clusters, passage.b).items()
                     if relation.a not in clusters.cluster(r).articles}
            scored: list[tuple[float, int, int, str, str, str]] = []
            for ra, pa in left.items():
                for rb, pb in right.items():
                    found = _translated_pair(clusters, ra, rb, abs(pa - pb), context.settings)
                    if found is not None:
                        rule, x, y = found
                        scored.append(((1.0 if rule == "acronym-aligned" else 0.8) - abs(pa - pb), ra, rb, rule, x, y))
            used: set[int] = set()
            for _, ra, rb, rule, x, y in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
                if ra in used or rb in used:
                    continue
                used.update((ra, rb))
                text_a, text_b = context.texts.get(relation.a, ""), context.texts.get(relation.b, "")
                clusters.union(ra, rb, rule,
                               f"\u201c{x}\u201d ~ \u201c{y}\u201d "
                               f"({'initials of the expansion' if rule == 'acronym-aligned' else 'word by word'}), "
                               f"neither named on the other side, in aligned passages "
                               f"{relation.a}[{passage.a[0]}:{passage.a[1]}] \u201c{_quote(text_a, passage.a, 60)}\u201d / "
                               f"{relation.b}[{passage.b[0]}:{passage.b[1]}] \u201c{_quote(text_b, passage.b, 60)}\u201d")


def _translated_pair(clusters: _Clusters, ra: int, rb: int, offset: float,
                     settings: EntitySettings = DEFAULTS) -> Optional[tuple[str, str, str]]:
    """The rule pairing two clusters' names across a derivation, with the two forms it matched."""
    forms_a, forms_b = clusters.forms(clusters.cluster(ra)), clusters.forms(clusters.cluster(rb))
    # Each form is read once, not once per pair of forms: a story whose articles rewrite each other
    # pairs every name of every aligned passage, and only a form opening with an acronym can match one.
    normal_a, normal_b = [normalise(x) for x in forms_a], [normalise(y) for y in forms_b]
    acronym_a, acronym_b = [_opens_with_acronym(x) for x in forms_a], [_opens_with_acronym(y) for y in forms_b]
    if any(acronym_a) or any(acronym_b):
        for x, x_normal, x_acronym in zip(forms_a, normal_a, acronym_a):
            for y, y_normal, y_acronym in zip(forms_b, normal_b, acronym_b):
                if x_acronym and _fuzzy_acronym(x, y_normal):
                    return "acronym-aligned", x, y
                if y_acronym and _fuzzy_acronym(y, x_normal):
                    return "acronym-aligned", x, y
    if offset > settings.translated_max_offset:
        return None
    for x, x_normal in zip(forms_a, normal_a):
        for y, y_normal in zip(forms_b, normal_b):
            if _literal_translation(x_normal, y_normal, settings):
                return "translated-aligned", x, y
    return None
