"""The stage's entry point: mentions of every article resolved into entities, rule after rule (see the package)."""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping, Sequence

from ..model import Entity, Mention, Prepared, Relation, Story
from .aligned import _merge_aligned, _merge_translated_names
from .clusters import _Clusters, _build_context, _build_nodes
from .matching import (
    _merge_defined_acronyms,
    _merge_initials_and_qualifiers,
    _merge_look_alikes,
    _merge_same_form,
    _merge_surnames_in_articles,
    _merge_surnames_in_stories,
)
from .naming import _entities
from .settings import DEFAULTS, EntitySettings


def resolve_entities(
    mentions: Mapping[str, Sequence[Mention]],
    docs: Sequence[Prepared],
    relations: Sequence[Relation] = (),
    stories: Sequence[Story] = (),
    settings: EntitySettings = DEFAULTS,
) -> list[Entity]:
    """Entities across articles, each with its aliases, mentions and the evidence for every merge.

    ``mentions`` maps article id to that article's mentions. Without stories,
    all articles are taken for one story. ``settings``: the thresholds (by default those of ``defaults.json``).
    """
    context = _build_context(docs, relations, stories, settings)
    nodes = _build_nodes(mentions, context)
    if not nodes:
        return []
    clusters = _Clusters(nodes, context.translated, settings)
    by_article: dict[str, list[int]] = defaultdict(list)
    for index, node in enumerate(nodes):
        by_article[node.article].append(index)

    _merge_defined_acronyms(clusters, by_article, context)          # 2
    _merge_surnames_in_articles(clusters, by_article)               # 3 (article)
    _merge_same_form(clusters, multiword=True)                      # 1
    _merge_surnames_in_stories(clusters, context)                   # 3 (story)
    _merge_same_form(clusters, multiword=False)                     # 1
    _merge_initials_and_qualifiers(clusters, context)               # 4
    _merge_look_alikes(clusters, context)                           # 5
    _merge_aligned(clusters, relations, context)                    # 6
    _merge_translated_names(clusters, relations, context)           # 7
    return _entities(clusters, context)
