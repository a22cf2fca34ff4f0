"""Rules 1-5 of resolution: defined acronyms, surnames, same forms, initials and qualifiers, look-alikes.

Look-alike candidates are blocked by story and by first letter / phonetic key, so the cost
grows with the size of stories, not of the corpus.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable, Mapping, Optional, Sequence

from rapidfuzz import fuzz

from .clusters import _Clusters, _Context, _partial_ok, _quote, _roots_by_story, _story, _written
from .names import (
    _acronym_letters,
    _content_tokens,
    _distinct_people,
    _initials,
    _look_alike,
    _looks_like_acronym,
    _metaphone,
)
from .naming import _entity_type
from .settings import DEFAULTS, EntitySettings


_ACRONYM_IN_PARENS = re.compile(r"\s*\(\s*$")
_OR_ACRONYM = re.compile(r"\s*,?\s+or\s+$")


def _merge_defined_acronyms(clusters: _Clusters, by_article: Mapping[str, list[int]], context: _Context) -> None:
    """ "World Health Organization (WHO)", "WHO (World Health Organization)", "Transport Safety Board, or TSB"."""
    for article, indices in by_article.items():
        text = context.texts.get(article)
        if text is None:
            continue
        located = sorted((m.span, i) for i in indices for m in clusters.nodes[i].mentions)
        for (first_span, first), (second_span, second) in zip(located, located[1:]):
            between = text[first_span[1]:second_span[0]]
            closes = text[second_span[1]:second_span[1] + 3].lstrip().startswith(")")
            short = [text[first_span[0]:first_span[1]], text[second_span[0]:second_span[1]]]
            if _ACRONYM_IN_PARENS.fullmatch(between) and closes and any(_looks_like_acronym(s) for s in short):
                pattern = "parenthesis"
            elif _OR_ACRONYM.fullmatch(between) and _looks_like_acronym(short[1]):
                pattern = "appositive"
            else:
                continue
            clusters.union(first, second, "acronym",
                           f"defined by {pattern} in {article}: "
                           f"\u201c{_quote(text, (first_span[0], min(len(text), second_span[1] + 1)))}\u201d")


def _surname_candidates(bare: str, full_keys: Iterable[str]) -> set[str]:
    """Full names the single word ``bare`` can stand for: its last word, or the name after an article."""
    found = set()
    for key in full_keys:
        tokens = key.split()
        if len(tokens) < 2 or tokens[-1] != bare:
            continue
        found.add(key)
    return found


def _by_last_word(keys: Iterable[str]) -> dict[str, list[str]]:
    """Full names by their last word, so a bare surname reads only the names ending in it: scanning every
    full name for every surname was quadratic in an article naming thousands of people."""
    found: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        found[key.split()[-1]].append(key)
    return found


def _merge_surnames_in_articles(clusters: _Clusters, by_article: Mapping[str, list[int]]) -> None:
    for article, indices in by_article.items():
        nodes = {clusters.nodes[i].key: i for i in indices}
        full = _by_last_word(key for key in nodes if len(key.split()) >= 2)
        for key, i in sorted(nodes.items()):
            if " " in key:
                continue
            candidates = sorted(k for k in _surname_candidates(key, full.get(key, ()))
                                if _partial_ok(clusters.nodes[nodes[k]], clusters.nodes[i]))
            people = _distinct_people(candidates, clusters.settings)
            if len(people) == 1:
                clusters.union(i, nodes[candidates[0]], "surname",
                               f"\u201c{_written(clusters.nodes[i])}\u201d in {article} taken for "
                               f"\u201c{_written(clusters.nodes[nodes[candidates[0]]])}\u201d, "
                               f"the only full name ending so in that article")
                for other in candidates[1:]:
                    clusters.union(nodes[candidates[0]], nodes[other], "same-name",
                                   f"variants of one full name in {article}")


def _merge_same_form(clusters: _Clusters, multiword: bool, story_of: Optional[Sequence[str]] = None) -> None:
    """Nodes of one normalised form across articles (bare surnames only where not ambiguous).

    ``story_of``: each node's story, when joining stories each resolved alone: only nodes of two
    stories are tried then (each story's own were tried by its run).
    """
    by_key: dict[str, list[int]] = defaultdict(list)
    for index, node in enumerate(clusters.nodes):
        if (" " in node.key) == multiword:
            by_key[node.key].append(index)
    for key, indices in sorted(by_key.items()):
        # Nodes already tied to a full name go first so that a bare form joins the one it was read as.
        ordered = sorted(indices, key=lambda i: (-len(clusters.cluster(i).keys), clusters.nodes[i].article))
        for other in ordered[1:]:
            if story_of is not None and story_of[other] == story_of[ordered[0]]:
                continue
            # A bare surname that was ambiguous in its own story is not resolved from elsewhere.
            if clusters.find(other) in clusters.blocked or clusters.find(ordered[0]) in clusters.blocked:
                continue
            surfaces = set(clusters.nodes[ordered[0]].surfaces) | set(clusters.nodes[other].surfaces)
            evidence = f"same normalised form \u201c{key}\u201d"
            clusters.union(ordered[0], other, "normalised" if len(surfaces) > 1 else "", evidence)


def _merge_surnames_in_stories(clusters: _Clusters, context: _Context) -> None:
    """A bare surname no article resolved goes to the only full name with that surname in its story."""
    bare_by_story: dict[tuple[str, str], list[int]] = defaultdict(list)
    full_by_story: dict[str, dict[str, int]] = defaultdict(dict)
    for index, node in enumerate(clusters.nodes):
        story = _story(context, node.article)
        if " " in node.key:
            full_by_story[story].setdefault(node.key, index)
        elif len(clusters.cluster(index).keys) == 1:
            bare_by_story[(story, node.key)].append(index)
    full_by_last_word = {story: _by_last_word(keys) for story, keys in full_by_story.items()}
    for (story, key), indices in sorted(bare_by_story.items()):
        for other in indices[1:]:
            clusters.union(indices[0], other, "", f"same normalised form \u201c{key}\u201d")
        bare = clusters.nodes[indices[0]]
        full = full_by_story.get(story, {})
        endings = full_by_last_word.get(story, {}).get(key, ())
        candidates = sorted(k for k in _surname_candidates(key, endings) if _partial_ok(clusters.nodes[full[k]], bare))
        roots = {clusters.find(full[k]) for k in candidates}
        if len(roots) > 1 and len(_distinct_people(candidates, context.settings)) == 1:
            # Several written forms of one person ("Fred X", "Frederick X"): one entity.
            for other_name in candidates[1:]:
                clusters.union(full[candidates[0]], full[other_name], "same-name",
                               f"\u201c{other_name}\u201d and \u201c{candidates[0]}\u201d: one name written two ways "
                               f"in story {story}")
            roots = {clusters.find(full[k]) for k in candidates}
        if len(roots) == 1 and len(_distinct_people(candidates, context.settings)) == 1:
            articles = sorted({clusters.nodes[i].article for i in indices})
            clusters.union(indices[0], full[candidates[0]], "surname",
                           f"\u201c{_written(bare)}\u201d in {', '.join(articles)} taken for "
                           f"\u201c{_written(clusters.nodes[full[candidates[0]]])}\u201d, "
                           f"the only full name ending so in story {story}")
        elif len(roots) > 1:
            clusters.blocked.add(clusters.find(indices[0]))


def _merge_initials_and_qualifiers(clusters: _Clusters, context: _Context) -> None:
    """ "NTSB" for the only name in the story with those initials; "U.S. Coast Guard" for "Coast Guard"."""
    for _story_id, roots in sorted(_roots_by_story(clusters, context).items()):
        by_initials: dict[str, set[int]] = defaultdict(set)
        by_key: dict[str, int] = {}
        place_keys: set[str] = set()
        for root in roots:
            cluster = clusters.cluster(root)
            for key in cluster.keys:
                by_key.setdefault(key, root)
                if len(key.split()) >= 2:
                    by_initials[_initials(key)].add(root)
            total = sum(cluster.labels.values())
            if total and (cluster.labels.get("GPE", 0) + cluster.labels.get("NORP", 0)) * 2 > total:
                place_keys.update(cluster.keys)
        for root in roots:
            for surface in clusters.forms(clusters.cluster(root)):
                if not _looks_like_acronym(surface):
                    continue
                letters = _acronym_letters(surface)
                targets = {clusters.find(r) for r in by_initials.get(letters, set())} - {clusters.find(root)}
                if len(targets) == 1:
                    target = targets.pop()
                    name = clusters.forms(clusters.cluster(target))[0]
                    clusters.union(root, target, "acronym",
                                   f"\u201c{surface}\u201d matches the initials of \u201c{name}\u201d, "
                                   f"the only such name in the story")
        for root in roots:
            for key in sorted(clusters.cluster(root).keys):
                tokens = key.split()
                for cut in (1, 2):
                    head, rest = " ".join(tokens[:cut]), " ".join(tokens[cut:])
                    if len(tokens) - cut >= 1 and head in place_keys and rest in by_key and \
                            (len(rest.split()) >= 2 or _looks_like_acronym(rest.upper())):
                        clusters.union(root, by_key[rest], "qualifier",
                                       f"\u201c{key}\u201d is \u201c{rest}\u201d qualified by the place or people "
                                       f"\u201c{head}\u201d")


def _block_keys(key: str) -> set[str]:
    tokens = _content_tokens(key)
    keys = {"first:" + "".join(tokens)[:1]}
    keys.update("sound:" + _metaphone(t)[:2] for t in tokens if len(t) >= 3)
    return keys


def _look_alike_pairs(blocks: Iterable[Mapping[int, str]], settings: EntitySettings = DEFAULTS) -> list[tuple[int, int]]:
    """The pairs of clusters to compare, from blocks mapping cluster -> the key that put it there.

    A block of up to ``settings.all_pairs_block`` names gives every pair. A larger one (only a story
    naming hundreds of people with one initial) is compared by sorted neighbourhood, as every pair
    would cost the square of its size: each name against the ``settings.neighbourhood`` names after
    it in the order of its spelling, and of its spelling reversed (a typo early in a name still
    sorts it beside its twin by its end). So the pairs grow linearly with the names of a story.
    """
    pairs: set[tuple[int, int]] = set()
    for members in blocks:
        if len(members) <= settings.all_pairs_block:
            pairs.update((a, b) for a in members for b in members if a < b)
            continue
        spelt = {root: "".join(_content_tokens(key)) for root, key in members.items()}
        for order in (sorted(members, key=lambda r: (spelt[r], r)), sorted(members, key=lambda r: (spelt[r][::-1], r))):
            for position, a in enumerate(order):
                pairs.update((min(a, b), max(a, b)) for b in order[position + 1:position + 1 + settings.neighbourhood])
    return sorted(pairs)


def _sentence_neighbours(clusters: _Clusters, root: int, index: Mapping[tuple[str, int], list[int]]) -> set[int]:
    """Clusters named in the same sentences as ``root``."""
    found: set[int] = set()
    for n in clusters.cluster(root).nodes:
        node = clusters.nodes[n]
        for sentence in node.sentences:
            found.update(clusters.find(m) for m in index.get((node.article, sentence), ()))
    found.discard(clusters.find(root))
    return found


def _merge_look_alikes(clusters: _Clusters, context: _Context) -> None:
    """Misspelt, transliterated or run-together variants of a name in the same story.

    A "fuzzy" match (close spelling) suffices alone; a "phonetic" or
    "run-together" one also needs context: the two names appear in articles
    joined by a derivation, or share a neighbour named in the same sentences.
    """
    sentence_index: dict[tuple[str, int], list[int]] = defaultdict(list)
    for n, node in enumerate(clusters.nodes):
        for sentence in node.sentences:
            sentence_index[(node.article, sentence)].append(n)
    # Two forms written in one article that is not a machine translation may be two names, not one
    # misspelt: see _two_names (a translation that garbles one name two ways proves nothing).
    written_in: dict[str, set[str]] = defaultdict(set)
    nodes_by_key: dict[str, list[int]] = defaultdict(list)
    for n, node in enumerate(clusters.nodes):
        nodes_by_key[node.key].append(n)
        if node.article not in context.translated:
            written_in[node.key].add(node.article)
    for story, roots in sorted(_roots_by_story(clusters, context).items()):
        blocks: dict[str, dict[int, str]] = defaultdict(dict)
        for root in roots:
            for key in sorted(clusters.cluster(root).keys):
                for block in _block_keys(key):
                    blocks[block].setdefault(root, key)
        pairs = _look_alike_pairs(blocks.values(), context.settings)
        for a, b in pairs:
            ra, rb = clusters.find(a), clusters.find(b)
            if ra == rb:
                continue
            best = _best_look_alike(clusters.cluster(ra).keys, clusters.cluster(rb).keys, context.settings)
            if best is None:
                continue
            rule, x, y = best
            if written_in[x] & written_in[y] and _two_names(clusters, ra, rb, x, y, written_in[x] & written_in[y],
                                                            context, nodes_by_key):
                continue
            if rule != "fuzzy":
                gate = _context_gate(clusters, ra, rb, context, sentence_index)
                if gate is None:
                    continue
                evidence = f"\u201c{x}\u201d ~ \u201c{y}\u201d in story {story}; {gate}"
            else:
                evidence = f"\u201c{x}\u201d ~ \u201c{y}\u201d in story {story}"
            clusters.union(ra, rb, rule, evidence)


def _two_names(clusters: _Clusters, ra: int, rb: int, x: str, y: str, articles: set[str], context: _Context,
               nodes_by_key: Mapping[str, list[int]]) -> bool:
    """Whether look-alike forms that one article writes both of are two names rather than a typo.

    They are when the article writes them in one sentence ("Anna Meier and
    Anna Meyer"), or when both are people's names: an article that writes
    "Anna Meier" and later "Anna Meyer" most likely names two people, while
    "Liga de Castora" and a later "Liga de Castra" is a slip of the pen.
    """
    sentences: dict[str, set[tuple[str, int]]] = {x: set(), y: set()}
    for key in (x, y):
        for n in nodes_by_key.get(key, ()):
            node = clusters.nodes[n]
            if node.article in articles:
                sentences[key].update((node.article, s) for s in node.sentences)
    if sentences[x] & sentences[y]:
        return True
    nodes_a = [clusters.nodes[n] for n in clusters.cluster(ra).nodes]
    nodes_b = [clusters.nodes[n] for n in clusters.cluster(rb).nodes]
    return _entity_type(nodes_a, context) == "PERSON" and _entity_type(nodes_b, context) == "PERSON"


def _best_look_alike(keys_a: Iterable[str], keys_b: Iterable[str],
                     settings: EntitySettings = DEFAULTS) -> Optional[tuple[str, str, str]]:
    order = {"fuzzy": 0, "run-together": 1, "phonetic": 2}
    found: list[tuple[int, float, str, str, str]] = []
    for x in sorted(keys_a):
        for y in sorted(keys_b):
            rule = _look_alike(x, y, settings)
            if rule is not None:
                found.append((order[rule], -fuzz.ratio(x, y), rule, x, y))
    if not found:
        return None
    _, _, rule, x, y = min(found)
    return rule, x, y


def _context_gate(clusters: _Clusters, ra: int, rb: int, context: _Context,
                  sentence_index: Mapping[tuple[str, int], list[int]]) -> Optional[str]:
    articles_a, articles_b = clusters.cluster(ra).articles, clusters.cluster(rb).articles
    for x in sorted(articles_a):
        partners = context.linked.get(x, set()) & articles_b
        if partners:
            return f"articles {x} and {min(partners)} derive from one another"
    shared = _sentence_neighbours(clusters, ra, sentence_index) & _sentence_neighbours(clusters, rb, sentence_index)
    if shared:
        names = sorted(clusters.forms(clusters.cluster(r))[0] for r in shared)[:3]
        return "named in sentences with " + ", ".join(f"\u201c{n}\u201d" for n in names)
    return None
