"""The provenance graph's one derived number: how many independent sources a set of articles has.

Articles joined by any relation but ``related`` (a copy, an excerpt, a
rewrite, a translation, a shared source) count once: forty reprints of one
wire story are one source.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .model import Relation


class DisjointSets:
    """Union-find over the items 0..n-1. A union keeps the smaller root, so the roots do not depend on
    the order unions come in."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]  # path halving
            item = parent[item]
        return item

    def union(self, first: int, second: int) -> int:
        """Join the two items' sets; returns the joined set's root."""
        a, b = self.find(first), self.find(second)
        if a != b:
            a, b = min(a, b), max(a, b)
            self.parent[b] = a
        return a

    def groups(self) -> list[list[int]]:
        """The sets, each in ascending order, in order of their smallest item."""
        found: dict[int, list[int]] = {}
        for item in range(len(self.parent)):
            found.setdefault(self.find(item), []).append(item)
        return list(found.values())


def independent_groups(article_ids: Iterable[str], relations: Sequence[Relation]) -> list[list[str]]:
    """The articles grouped by derivation, each group sorted, groups in order of their first id."""
    members = sorted(set(article_ids))
    index = {article: i for i, article in enumerate(members)}
    sets = DisjointSets(len(members))
    for relation in relations:
        if relation.kind != "related" and relation.a in index and relation.b in index:
            sets.union(index[relation.a], index[relation.b])
    return [[members[i] for i in group] for group in sets.groups()]


def count_independent(article_ids: Iterable[str], relations: Sequence[Relation]) -> int:
    return len(independent_groups(article_ids, relations))
