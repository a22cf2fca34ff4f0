"""The resolution's working state: one node per form per article, and a union-find that refuses conflicts."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

from ..model import Mention, Merge, Prepared, Relation, Span, Story
from .names import _LEADING_ARTICLES, _content_tokens, _different_people, normalise
from .settings import DEFAULTS, EntitySettings


# --- 3. nodes and clusters -------------------------------------------------------------


@dataclass
class _Node:
    """One normalised form in one article."""

    article: str
    key: str
    mentions: list[Mention] = field(default_factory=list)
    labels: Counter = field(default_factory=Counter)
    surfaces: Counter = field(default_factory=Counter)
    sentences: set[int] = field(default_factory=set)
    # The type each mention's surrounding words give it (naming's cues), read once from the text so
    # that naming needs no text: stories resolved in an earlier run are joined without their texts.
    cues: Optional[list[Optional[str]]] = None

    @property
    def tokens(self) -> tuple[str, ...]:
        return _content_tokens(self.key)


@dataclass
class _Cluster:
    nodes: list[int]
    keys: set[str]
    labels: Counter
    articles: set[str]
    # Forms written in articles that are not machine translations: only these can prove two people apart.
    reliable_keys: set[str] = field(default_factory=set)
    surfaces: Counter = field(default_factory=Counter)
    merges: list[Merge] = field(default_factory=list)
    # The same merge repeated article after article is recorded once, with how often it recurred.
    repeats: Counter = field(default_factory=Counter)

    def record(self, merge: Merge, times: int = 1) -> None:
        key = (merge.rule, tuple(merge.aliases))
        if key not in self.repeats:
            self.merges.append(merge)
        self.repeats[key] += times


class _Clusters:
    """Union-find over nodes that refuses unions joining two different full names with one surname."""

    def __init__(self, nodes: Sequence[_Node], translated: set[str], settings: EntitySettings = DEFAULTS) -> None:
        self.nodes = nodes
        self.settings = settings
        self.parent = list(range(len(nodes)))
        self.data: dict[int, _Cluster] = {
            i: _Cluster([i], {node.key}, Counter(node.labels), {node.article},
                        set() if node.article in translated else {node.key}, Counter(node.surfaces))
            for i, node in enumerate(nodes)
        }
        self.blocked: set[int] = set()  # bare surnames that were ambiguous in their story

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def cluster(self, i: int) -> _Cluster:
        return self.data[self.find(i)]

    def roots(self) -> list[int]:
        return sorted(self.data)

    def conflict(self, i: int, j: int) -> bool:
        a, b = self.cluster(i), self.cluster(j)
        if _is_norp(a.labels) != _is_norp(b.labels):
            return True
        return any(_different_people(x, y, self.settings) for x in a.reliable_keys for y in b.reliable_keys)

    def union(self, i: int, j: int, rule: str, evidence: str) -> bool:
        """Join the clusters of i and j unless they conflict; rule "" joins without recording a merge."""
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return False
        if self.conflict(ri, rj):
            return False
        a, b = self.data[ri], self.data[rj]
        keep, drop = (ri, rj) if ri < rj else (rj, ri)
        aliases = _merge_aliases(self.forms(a), self.forms(b))
        # The smaller cluster is poured into the larger, so a name met in every article stays linear.
        big, small = (a, b) if len(a.nodes) >= len(b.nodes) else (b, a)
        big.nodes.extend(small.nodes)
        big.keys |= small.keys
        big.labels.update(small.labels)
        big.articles |= small.articles
        big.reliable_keys |= small.reliable_keys
        big.surfaces.update(small.surfaces)
        for merge in small.merges:
            big.record(merge, small.repeats[(merge.rule, tuple(merge.aliases))])
        if rule:
            big.record(Merge(aliases=aliases, rule=rule, evidence=evidence))
        self.parent[drop] = keep
        del self.data[drop]
        self.data[keep] = big
        if drop in self.blocked:
            self.blocked.discard(drop)
            self.blocked.add(keep)
        return True

    def forms(self, cluster: _Cluster) -> list[str]:
        """The cluster's forms as written, most used first (ties alphabetical, for stable output)."""
        return [surface for surface, _ in sorted(cluster.surfaces.items(), key=lambda item: (-item[1], item[0]))]


def _merge_aliases(left: list[str], right: list[str]) -> list[str]:
    """The forms a merge joined: the leading forms of each side, not every alias the clusters had."""
    return sorted(dict.fromkeys(left[:3] + right[:3]))


def _is_norp(labels: Counter) -> bool:
    total = sum(labels.values())
    return total > 0 and labels.get("NORP", 0) * 2 > total


@dataclass
class _Context:
    """What resolution knows about the articles: texts, sentences, stories and derivations."""

    texts: dict[str, str]
    sentence_starts: dict[str, list[int]]
    story_of: dict[str, str]
    linked: dict[str, set[str]]  # articles joined by a derivation (not just "related"), both ways
    translated: set[str]  # articles that are the machine-translated side of a relation
    sentence_spans: dict[str, list[Span]] = field(default_factory=dict)
    settings: EntitySettings = DEFAULTS


def _build_context(docs: Sequence[Prepared], relations: Sequence[Relation], stories: Sequence[Story],
                   settings: EntitySettings = DEFAULTS) -> _Context:
    story_of: dict[str, str] = {}
    for story in stories:
        for article in story.articles:
            story_of.setdefault(article, story.id)
    linked: dict[str, set[str]] = defaultdict(set)
    translated: set[str] = set()
    for relation in relations:
        if relation.kind != "related":
            linked[relation.a].add(relation.b)
            linked[relation.b].add(relation.a)
        if relation.kind == "translation" and relation.direction is not None:
            translated.add(relation.b if relation.direction == "a->b" else relation.a)
    return _Context(
        texts={doc.id: doc.article.text for doc in docs},
        sentence_starts={doc.id: [s.start for s in doc.sentences] for doc in docs},
        story_of=story_of if stories else {doc.id: "*" for doc in docs},
        linked=linked,
        translated=translated,
        sentence_spans={doc.id: [(s.start, s.end) for s in doc.sentences] for doc in docs},
        settings=settings,
    )


def _story(context: _Context, article: str) -> str:
    # An article outside every story is a story of its own.
    return context.story_of.get(article, "~" + article)


def _build_nodes(mentions: Mapping[str, Sequence[Mention]], context: _Context) -> list[_Node]:
    nodes: list[_Node] = []
    index: dict[tuple[str, str], int] = {}
    for article in sorted(mentions):
        starts = context.sentence_starts.get(article, [])
        for mention in sorted(mentions[article], key=lambda m: m.span):
            key = normalise(mention.text, mention.label)
            if not key or not any(ch.isalpha() for ch in key):
                continue
            slot = index.get((article, key))
            if slot is None:
                slot = index[(article, key)] = len(nodes)
                nodes.append(_Node(article, key))
            node = nodes[slot]
            node.mentions.append(mention)
            node.labels[mention.label or ""] += 1
            node.surfaces[mention.text] += 1
            node.sentences.add(bisect.bisect_right(starts, mention.span[0]) - 1)
    for node in nodes:
        node.labels.pop("", None)
    return nodes


def _quote(text: str, span: Span, limit: int = 90) -> str:
    snippet = " ".join(text[span[0]:span[1]].split())
    return snippet if len(snippet) <= limit else snippet[: limit - 1] + "…"


def _person_like(node: _Node) -> bool:
    return node.labels.get("PERSON", 0) > 0 or not node.labels


def _partial_ok(full: _Node, bare: _Node) -> bool:
    """A surname stands for a person's full name; for places only an article may be dropped ("El X" → "X")."""
    if _is_norp(bare.labels) or _is_norp(full.labels):
        return False
    leading = full.key.split()[:-1]
    if all(token in _LEADING_ARTICLES for token in leading):
        return True
    return _person_like(full) and (_person_like(bare) or bare.labels.get("ORG", 0) > 0 or bare.labels.get("FAC", 0) > 0)


def _written(node: _Node) -> str:
    """The node's form as its article writes it most often."""
    return node.surfaces.most_common(1)[0][0]


def _roots_by_story(clusters: _Clusters, context: _Context) -> dict[str, list[int]]:
    found: dict[str, set[int]] = defaultdict(set)
    for index, node in enumerate(clusters.nodes):
        found[_story(context, node.article)].add(clusters.find(index))
    return {story: sorted(roots) for story, roots in found.items()}
