"""The provenance graph's one derived number: how many independent sources a set of articles has.

Articles joined by any relation but ``related`` (a copy, an excerpt, a
rewrite, a translation, a shared source) count once: forty reprints of one
wire story are one source.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .model import Relation


def independent_groups(article_ids: Iterable[str], relations: Sequence[Relation]) -> list[list[str]]:
    """The articles grouped by derivation, each group sorted, groups in order of their first id."""
    members = sorted(set(article_ids))
    parent = {article: article for article in members}

    def root(article: str) -> str:
        while parent[article] != article:
            parent[article] = parent[parent[article]]
            article = parent[article]
        return article

    for relation in relations:
        if relation.kind == "related" or relation.a not in parent or relation.b not in parent:
            continue
        ra, rb = root(relation.a), root(relation.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for article in members:
        groups.setdefault(root(article), []).append(article)
    return sorted(groups.values())


def count_independent(article_ids: Iterable[str], relations: Sequence[Relation]) -> int:
    return len(independent_groups(article_ids, relations))
