"""Entity resolution over only what new articles touch, with the same entities as a run over the whole corpus.

Why this is exact: every rule of :func:`resolve_entities` compares two nodes (one
normalised form in one article) only when they share an article, a story, a
normalised form (rule 1, and the forms look-alikes test against), or a relation
(rules 6-7, and the context gate of rule 5). Call two articles *linked* when
one of those holds between them; resolution then splits into the connected
components of that graph. No rule reads a node of another component, unions
never cross one, and a subset of the articles keeps their nodes' relative order
(nodes are built in article order), so resolving a union of whole components
gives exactly the clusters the whole-corpus run gives them. The only step that
looks across components is naming's id disambiguation (two entities with one
canonical form get ids that still differ), so it is redone over every entity.

What changed since the last run is read per article from :func:`article_keys`:
its mention list's version, its story (id and members) and its relations. The
scope is the components of the articles whose key changed. A story or relation
that changes changes the key of every article it held, so the links the last
run had are all among those seeds. A mention list that changed or went (an
article's new version, an article removed) is the one case where the last
run's links are not known any more: the forms it had may have tied other
articles together. Then the scope is unbounded and the caller resolves in full.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

from ..model import Entity, Mention, Prepared, Relation, Story, stable_id
from .names import normalise
from .naming import _disambiguate_ids
from .resolve import resolve_entities
from .settings import DEFAULTS, EntitySettings


@dataclass
class ResolutionScope:
    """The articles to resolve again (whole components) and why."""

    articles: set[str]
    changed: set[str]  # articles whose inputs changed: the seeds the components grow from
    mentions: int  # mentions in the scope: the work resolution does
    # Why the scope cannot be bounded (an article's earlier mentions changed or went); None when it can.
    unbounded: str | None = None

    @property
    def empty(self) -> bool:
        return not self.articles and self.unbounded is None


def article_keys(mention_versions: Mapping[str, int], stories: Sequence[Story],
                 relations: Sequence[Relation]) -> dict[str, str]:
    """Per article, a short hash of everything about it that resolution reads besides its text's version."""
    story_of: dict[str, tuple[str, str]] = {}
    for story in stories:
        members = hashlib.sha1("\n".join(story.articles).encode("utf-8")).hexdigest()[:12]
        for article in story.articles:
            story_of.setdefault(article, (story.id, members))
    related: dict[str, list[str]] = defaultdict(list)
    for relation in relations:
        described = f"{relation.a} {relation.b} {relation.kind} {relation.direction} {len(relation.passages)}"
        related[relation.a].append(described)
        related[relation.b].append(described)
    keys = {}
    for article in set(mention_versions) | set(story_of) | set(related):
        version = mention_versions.get(article)
        parts = (version, story_of.get(article), sorted(related.get(article, ())))
        # The mention version leads the key, so that a later run sees which mention lists changed.
        keys[article] = f"{'-' if version is None else version}:" + \
            hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()[:16]
    return keys


def _mention_version(key: str | None) -> str:
    return key.split(":", 1)[0] if key else "-"


def resolution_scope(previous_keys: Mapping[str, str], keys: Mapping[str, str],
                     mentions: Mapping[str, Sequence[Mention]], stories: Sequence[Story],
                     relations: Sequence[Relation]) -> ResolutionScope:
    """The components (see the module) of the articles whose inputs changed since ``previous_keys``."""
    changed = {a for a in set(keys) | set(previous_keys) if keys.get(a) != previous_keys.get(a)}
    rewritten = sorted(a for a in changed if _mention_version(previous_keys.get(a)) not in
                       ("-", _mention_version(keys.get(a))))
    if not stories and mentions:
        # Without stories resolution takes every article for one story: one component.
        return ResolutionScope(set(keys), changed, sum(len(found) for found in mentions.values()),
                               "no stories: resolution takes all the articles for one story")
    if rewritten:
        return ResolutionScope(set(keys), changed, sum(len(found) for found in mentions.values()),
                               f"the mentions of {len(rewritten)} article(s) changed or went, e.g. {rewritten[0]}")
    neighbours = _Links(mentions, stories, relations)
    scope = neighbours.closure(a for a in changed if a in keys)
    return ResolutionScope(scope, changed, sum(len(mentions.get(a, ())) for a in scope))


class _Links:
    """The graph of articles linked by a story, a normalised form or a relation, read lazily."""

    def __init__(self, mentions: Mapping[str, Sequence[Mention]], stories: Sequence[Story],
                 relations: Sequence[Relation]) -> None:
        self.forms_of: dict[str, set[str]] = {}
        self.articles_of_form: dict[str, set[str]] = defaultdict(set)
        for article, found in mentions.items():
            forms = {normalise(m.text, m.label) for m in found}
            forms.discard("")
            self.forms_of[article] = forms
            for form in forms:
                self.articles_of_form[form].add(article)
        self.story_of: dict[str, int] = {}
        self.members: list[list[str]] = []
        for story in stories:
            for article in story.articles:
                self.story_of.setdefault(article, len(self.members))
            self.members.append(story.articles)
        self.related: dict[str, set[str]] = defaultdict(set)
        for relation in relations:
            self.related[relation.a].add(relation.b)
            self.related[relation.b].add(relation.a)

    def closure(self, seeds: Iterable[str]) -> set[str]:
        reached: set[str] = set()
        stories_done: set[int] = set()
        forms_done: set[str] = set()
        frontier = [a for a in seeds]
        while frontier:
            article = frontier.pop()
            if article in reached:
                continue
            reached.add(article)
            story = self.story_of.get(article)
            if story is not None and story not in stories_done:
                stories_done.add(story)
                frontier.extend(self.members[story])
            for form in self.forms_of.get(article, ()):
                if form not in forms_done:
                    forms_done.add(form)
                    frontier.extend(self.articles_of_form[form])
            frontier.extend(self.related.get(article, ()))
        return reached


def resolve_in_scope(previous: Sequence[Entity], scope: ResolutionScope,
                     mentions: Mapping[str, Sequence[Mention]], docs: Sequence[Prepared],
                     relations: Sequence[Relation], stories: Sequence[Story],
                     settings: EntitySettings = DEFAULTS) -> list[Entity]:
    """The entities of a whole-corpus run: ``previous`` ones outside the scope kept, the scope resolved again.

    ``previous`` must be what resolution gave on the inputs ``scope`` was measured against.
    """
    inside = scope.articles
    kept = [entity for entity in previous if not inside.intersection(entity.articles)]
    fresh = resolve_entities(
        {a: found for a, found in mentions.items() if a in inside},
        [doc for doc in docs if doc.id in inside],
        [r for r in relations if r.a in inside or r.b in inside],
        [_within(story, inside) for story in stories if inside.intersection(story.articles)],
        settings=settings,
    )
    # Ids are made unique across all entities at once (naming's last step): restart every one from its
    # canonical form, then let the same rule number the clashes in the same order as a whole run.
    everything = [replace(entity, id=_canonical_id(entity)) for entity in kept + fresh]
    _disambiguate_ids(everything)
    return sorted(everything, key=lambda e: (-len(e.mentions), e.name, e.id))


def _within(story: Story, articles: set[str]) -> Story:
    # Components hold whole stories; the filter only guards against a story listing an article twice.
    return replace(story, articles=[a for a in story.articles if a in articles])


def _canonical_id(entity: Entity) -> str:
    return stable_id("n", entity.type or "", normalise(entity.name, entity.type))
