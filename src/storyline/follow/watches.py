"""What changed in the analysis since the last look, and which watches a change matches. Pure functions.

A change has a key that names it for good (``story:s-1a2b``, ``claim-corroborated:c-9f``). The
store remembers every key already seen, so "new" means "a key not seen before", which holds
across runs, crashes and restarts: nothing is alerted twice and nothing is lost between a
finished analysis and the alerts it causes.

Kinds of change:

- ``new-article``      an article (or a new version of one) joined a story
- ``new-story``        a story appeared
- ``new-development``  an event appeared in a story that already existed
- ``new-contradiction`` a claim became contradicted
- ``corroborated``     a claim became corroborated
- ``new-<label>``      a story that already existed is covered by an outlet with a label value
                       (``country``, ``leaning``, ...) none of its earlier articles had
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Sequence

from ..model import Article, Claim, Story

KINDS = ("new-article", "new-story", "new-development", "new-contradiction", "corroborated")
LABEL_KIND_PREFIX = "new-"


@dataclass(frozen=True)
class Change:
    key: str
    kind: str
    story_id: Optional[str]
    story_title: Optional[str]
    articles: list[str]
    summary: str
    detail: dict[str, str] = field(default_factory=dict)


def current_changes(stories: Sequence[Story], claims: Sequence[Claim], articles: Mapping[str, Article],
                    labels_of: Callable[[Article], Mapping[str, str]]) -> list[Change]:
    """Every change the analysis as it stands could have caused, each under its lasting key."""
    changes: list[Change] = []
    for story in stories:
        title = story.title
        changes.append(Change(f"story:{story.id}", "new-story", story.id, title, list(story.articles),
                              f"new story: {title or story.id}"))
        for event in story.events:
            changes.append(Change(f"event:{event.id}", "new-development", story.id, title, list(event.articles),
                                  f"new development: {event.title or event.id}",
                                  {"event": event.id, "date": event.date or ""}))
        for article_id in story.articles:
            article = articles.get(article_id)
            if article is None:
                continue
            verb = "updated" if article.version > 1 else "new article"
            changes.append(Change(f"article:{article.id}@{article.version}", "new-article", story.id, title,
                                  [article.id], f"{verb}: {article.title or article.source}",
                                  {"version": str(article.version), "url": article.url or article.source}))
            for label, value in sorted(labels_of(article).items()):
                changes.append(Change(f"label:{story.id}:{label}={value}", LABEL_KIND_PREFIX + label, story.id,
                                      title, [article.id], f"first coverage from {label} {value}",
                                      {"label": label, "value": value}))
    for claim in claims:
        if claim.status == "contradicted":
            changes.append(Change(f"claim-contradicted:{claim.id}", "new-contradiction", claim.story, None,
                                  list(claim.articles), f"contradicted: {claim.text}"))
        elif claim.status == "corroborated":
            changes.append(Change(f"claim-corroborated:{claim.id}", "corroborated", claim.story, None,
                                  list(claim.articles), f"corroborated: {claim.text}"))
    return changes


def new_changes(changes: Sequence[Change], seen: set[str]) -> list[Change]:
    """The changes not seen before, with what is implied by a bigger one left out.

    A new story's first events and its first outlets' labels are part of the story, not
    developments of their own: only changes to stories seen before are reported as such.
    """
    new_stories = {c.story_id for c in changes if c.kind == "new-story" and c.key not in seen}
    found, keys = [], set()
    for change in changes:
        if change.key in seen or change.key in keys:
            continue
        keys.add(change.key)
        implied = change.story_id in new_stories and (
            change.kind == "new-development" or change.kind.startswith(LABEL_KIND_PREFIX)
            and change.kind not in KINDS)
        if not implied:
            found.append(change)
    return found


@dataclass(frozen=True)
class WatchFilter:
    """What a watch asks for; None means "any"."""

    entity: Optional[str] = None
    phrase: Optional[str] = None
    outlet: Optional[str] = None
    kinds: tuple[str, ...] = ()


def matches(watch: WatchFilter, change: Change, *, outlets: Callable[[Sequence[str]], set[str]],
            entity_names: Callable[[Sequence[str]], set[str]],
            phrase_hits: Callable[[str, Sequence[str]], set[str]]) -> bool:
    """Whether ``change`` is what ``watch`` asks for. The callables look up the change's articles:
    their outlets and entity names (case-folded) and which of them the FTS phrase finds."""
    if watch.kinds and change.kind not in watch.kinds:
        return False
    if watch.outlet and watch.outlet.strip().casefold() not in outlets(change.articles):
        return False
    if watch.entity and watch.entity.strip().casefold() not in entity_names(change.articles):
        return False
    if watch.phrase and not phrase_hits(watch.phrase, change.articles):
        return False
    return True


def known_kind(kind: str) -> bool:
    return kind in KINDS or (kind.startswith(LABEL_KIND_PREFIX) and len(kind) > len(LABEL_KIND_PREFIX))
