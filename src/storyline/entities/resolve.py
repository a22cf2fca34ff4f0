"""The stage's entry point: mentions of every article resolved into entities, rule after rule (see the package).

Resolution runs in two steps, so that adding articles re-runs only the stories they touch:

- each story alone (:func:`resolve_story`): rules 2-7 and rule 1 inside the story, over the story's
  articles, the relations touching them and nothing else;
- across stories (:mod:`.across`): the stories' clusters that write one normalised form are joined,
  unless a conflict, an ambiguous bare surname or a story already keeping them apart forbids it;
  then every entity is named. This step reads only what the first step returned (no text).

A story's clusters are a function of its own inputs, so a run may take a story's clusters from an
earlier run when those inputs did not change (:mod:`.incremental`); the result is the same.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable, Mapping, Optional, Sequence

from ..model import Entity, Mention, Prepared, Relation, Story
from .aligned import _merge_aligned, _merge_translated_names
from .across import StoryClusters, join_stories, story_clusters
from .clusters import _Clusters, _build_context, _build_nodes
from .matching import (
    _merge_defined_acronyms,
    _merge_initials_and_qualifiers,
    _merge_look_alikes,
    _merge_same_form,
    _merge_surnames_in_articles,
    _merge_surnames_in_stories,
)
from .settings import DEFAULTS, EntitySettings


def resolve_entities(
    mentions: Mapping[str, Sequence[Mention]],
    docs: Sequence[Prepared],
    relations: Sequence[Relation] = (),
    stories: Sequence[Story] = (),
    settings: EntitySettings = DEFAULTS,
    *,
    kept: Optional[Mapping[str, StoryClusters]] = None,
    on_story: Optional[Callable[[StoryClusters], None]] = None,
) -> list[Entity]:
    """Entities across articles, each with its aliases, mentions and the evidence for every merge.

    ``mentions`` maps article id to that article's mentions. Without stories,
    all articles are taken for one story. ``settings``: the thresholds (by default those of ``defaults.json``).
    ``kept``: by story id, the clusters an earlier run made of a story whose inputs did not change
    (see :mod:`.incremental`): taken instead of resolving the story again, so ``docs`` need hold only
    the other stories' articles. ``on_story`` is handed the clusters of each story resolved anew.
    """
    docs_by_id = {doc.id: doc for doc in docs}
    touching = relations_by_article(relations)
    parts = []
    for story_id, articles in story_articles(mentions, docs_by_id.keys(), stories).items():
        if kept is not None and story_id in kept:
            parts.append(kept[story_id])
            continue
        part = resolve_story(story_id, {a: mentions[a] for a in articles if a in mentions},
                             [docs_by_id[a] for a in articles if a in docs_by_id],
                             relations_touching(articles, touching), settings)
        if on_story is not None:
            on_story(part)
        parts.append(part)
    return join_stories(parts, settings)


def story_articles(mentions: Iterable[str], docs: Iterable[str], stories: Sequence[Story]) -> dict[str, list[str]]:
    """The articles resolution reads, by story: without stories every article is in one story ("*"),
    and an article outside every story is a story of its own."""
    found: dict[str, list[str]] = defaultdict(list)
    placed: set[str] = set()
    for story in stories:
        for article in story.articles:
            if article not in placed:
                placed.add(article)
                found[story.id].append(article)
    for article in sorted(set(mentions) | set(docs)):
        if article not in placed:
            found["~" + article if stories else "*"].append(article)
    return dict(found)


def relations_by_article(relations: Sequence[Relation]) -> dict[str, list[Relation]]:
    found: dict[str, list[Relation]] = defaultdict(list)
    for relation in relations:
        found[relation.a].append(relation)
        if relation.b != relation.a:
            found[relation.b].append(relation)
    return found


def relations_touching(articles: Iterable[str], touching: Mapping[str, Sequence[Relation]]) -> list[Relation]:
    """The relations with an end among ``articles``, each once, in a fixed order."""
    found = {(r.a, r.b, r.kind): r for a in articles for r in touching.get(a, ())}
    return [found[key] for key in sorted(found)]


def resolve_story(story_id: str, mentions: Mapping[str, Sequence[Mention]], docs: Sequence[Prepared],
                  relations: Sequence[Relation], settings: EntitySettings = DEFAULTS) -> StoryClusters:
    """Rules 1-7 over one story's articles. ``relations``: those touching the story (a relation to an
    article outside it only says which side is a machine translation)."""
    story = Story(story_id, None, sorted(set(mentions) | {doc.id for doc in docs}))
    context = _build_context(docs, relations, [story], settings)
    nodes = _build_nodes(mentions, context)
    clusters = _Clusters(nodes, context.translated, settings)
    by_article: dict[str, list[int]] = defaultdict(list)
    for index, node in enumerate(nodes):
        by_article[node.article].append(index)

    if nodes:
        _merge_defined_acronyms(clusters, by_article, context)          # 2
        _merge_surnames_in_articles(clusters, by_article)               # 3 (article)
        _merge_same_form(clusters, multiword=True)                      # 1
        _merge_surnames_in_stories(clusters, context)                   # 3 (story)
        _merge_same_form(clusters, multiword=False)                     # 1
        _merge_initials_and_qualifiers(clusters, context)               # 4
        _merge_look_alikes(clusters, context)                           # 5
        _merge_aligned(clusters, relations, context)                    # 6
        _merge_translated_names(clusters, relations, context)           # 7
    return story_clusters(story_id, clusters, context)
