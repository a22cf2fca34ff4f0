"""Entity resolution after articles arrive: only the stories whose inputs changed are resolved again.

Why this is exact: resolution runs each story alone and then joins the stories'
clusters (:mod:`.resolve`, :mod:`.across`). A story's clusters are a function of
what :func:`story_keys` hashes: the story's id, its articles with the version of
each one's mention list, and the derivations touching them (kind, direction and
aligned passages; one to an article outside the story only says which side is a
machine translation). A ``related`` relation is left out: no rule reads it. A story whose key is the one its kept clusters
were made with has the same clusters again, so they are taken as kept; the
others are resolved again, and the join runs over all of them, as a whole run
joins them. The join reads no text and compares no names beyond equal forms, so
its cost is a pass over the nodes; the work that grows with the stories (the
name comparisons, reading the texts) is done only for the stories whose key changed.

What changes a story's key: an added article (in its story, and in a story whose
articles gained a derivation from it), a new version of an article, a story that
gained, lost or renamed articles, and new settings (the caller keeps the kept
clusters per settings).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional, Sequence

from ..model import Entity, Mention, Prepared, Relation, Story
from .across import CLUSTERS_FORMAT, StoryClusters
from .resolve import relations_by_article, relations_touching, resolve_entities, story_articles
from .settings import DEFAULTS, EntitySettings


@dataclass
class ResolutionPlan:
    """Per story, its articles and the key of its inputs; which stories' clusters must be made again."""

    articles: dict[str, list[str]]
    keys: dict[str, str]
    again: list[str]  # story ids, in order
    kept: list[str]

    def articles_again(self) -> list[str]:
        """The articles of the stories resolved again: the only texts the run reads."""
        return sorted({a for story in self.again for a in self.articles[story]})


@dataclass
class Resolved:
    """The entities of a run, every story's clusters (to keep for the next run) and the work done."""

    entities: list[Entity]
    clusters: dict[str, StoryClusters]
    work: dict[str, int] = field(default_factory=dict)


def story_keys(mention_versions: Mapping[str, int], stories: Sequence[Story], relations: Sequence[Relation],
               doc_ids: Optional[Iterable[str]] = None, settings_key: str = "") -> tuple[dict[str, list[str]],
                                                                                       dict[str, str]]:
    """The articles of each story resolution reads (see ``resolve.story_articles``) and a hash of its inputs.

    ``doc_ids``: the articles whose texts are known, when not only those with mentions.
    """
    articles = story_articles(mention_versions, mention_versions if doc_ids is None else doc_ids, stories)
    touching = relations_by_article(relations)
    keys = {}
    for story, members in articles.items():
        inputs = (CLUSTERS_FORMAT, settings_key, story, [(a, mention_versions.get(a)) for a in members],
                  [(r.a, r.b, r.kind, r.direction, [(p.a, p.b) for p in r.passages])
                   for r in relations_touching(members, touching) if r.kind != "related"])
        keys[story] = hashlib.sha1(repr(inputs).encode("utf-8")).hexdigest()
    return articles, keys


def plan_resolution(articles: dict[str, list[str]], keys: dict[str, str], kept: Mapping[str, str]) -> ResolutionPlan:
    """Which stories to resolve again: those whose key is not the one their kept clusters were made with."""
    again = [story for story in sorted(keys) if kept.get(story) != keys[story]]
    return ResolutionPlan(articles, keys, again, [story for story in sorted(keys) if kept.get(story) == keys[story]])


def resolve_planned(plan: ResolutionPlan, kept: Mapping[str, StoryClusters],
                    mentions: Mapping[str, Sequence[Mention]], docs: Sequence[Prepared],
                    relations: Sequence[Relation], stories: Sequence[Story], settings: EntitySettings = DEFAULTS,
                    core: Callable[..., list[Entity]] = resolve_entities) -> Resolved:
    """The entities of a whole run: the stories of ``plan.again`` resolved (``docs`` need hold only their
    articles), the others' clusters taken from ``kept``, all joined. ``core``: the stage's core (the
    runner passes the one its registry holds)."""
    fresh: dict[str, StoryClusters] = {}
    entities = core(mentions, docs, relations, stories, settings=settings, kept={story: kept[story] for story in plan.kept},
                    on_story=lambda part: fresh.setdefault(part.story, part))
    clusters = {**{story: kept[story] for story in plan.kept}, **fresh}
    work = {"stories": len(fresh), "stories kept": len(plan.kept),
            "articles": sum(len(plan.articles[s]) for s in fresh),
            "mentions": sum(part.mentions for part in fresh.values()),
            "mentions joined": sum(part.mentions for part in clusters.values())}
    return Resolved(entities, clusters, work)
