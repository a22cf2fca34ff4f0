"""Filters over an analysis by date and outlet, keeping whole stories.

:func:`filter_analysis` keeps whole stories: a story is kept when any of its articles
matches every filter given, and then all of its articles stay, so its relations, claim
ledger and independent-source counts remain the story's own. An undated article never
matches a date filter; an article without an outlet never matches an outlet filter.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Sequence
from typing import Optional

from ..model import Analysis, Article
from .json_export import ISO_DATE, normalize_date

__all__ = ["filter_analysis"]

def _date_bounds(value: str) -> tuple[str, str]:
    """The first and last day an ISO date of any precision stands for, as ``YYYY-MM-DD``."""
    parts = value.split("-")
    year = int(parts[0])
    if len(parts) == 1:
        return f"{year:04d}-01-01", f"{year:04d}-12-31"
    month = int(parts[1])
    if len(parts) == 2:
        last_day = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 31
        return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{last_day:02d}"
    return value, value


def _filter_date(name: str, value: Optional[str]) -> Optional[tuple[str, str]]:
    if value is None:
        return None
    if not ISO_DATE.match(value.strip()):
        raise ValueError(f"{name} must be an ISO date such as 2025-02-03, 2025-02 or 2025; got {value!r}")
    return _date_bounds(value.strip())


def filter_analysis(
    analysis: Analysis,
    *,
    since: Optional[str] = None,
    until: Optional[str] = None,
    outlets: Optional[Sequence[str]] = None,
) -> Analysis:
    """The part of ``analysis`` about stories with at least one article matching every filter given.

    ``since``/``until`` are inclusive ISO dates of any precision (``until="2025-02"``
    includes all of February); an article matches when its publication date can fall
    in the range, so a partial date matches any range it overlaps. Undated articles
    never match a date filter. ``outlets`` match case-insensitively. A kept story keeps
    all its articles; relations, entities (trimmed to kept articles), claims, omissions
    and timeline entries follow the kept stories and articles. Articles in no story are
    kept when they match themselves. ``analysis`` is not modified.
    """
    since_bounds = _filter_date("since", since)
    until_bounds = _filter_date("until", until)
    wanted_outlets = None if outlets is None else {outlet.strip().casefold() for outlet in outlets}

    def matches(article: Article) -> bool:
        if since_bounds or until_bounds:
            published = normalize_date(article.published)
            if published is None:
                return False
            first_day, last_day = _date_bounds(published)
            if since_bounds and last_day < since_bounds[0]:
                return False
            if until_bounds and first_day > until_bounds[1]:
                return False
        if wanted_outlets is not None:
            if article.outlet is None or article.outlet.strip().casefold() not in wanted_outlets:
                return False
        return True

    articles_by_id = {article.id: article for article in analysis.articles}
    matching = {article.id for article in analysis.articles if matches(article)}
    stories = [story for story in analysis.stories if matching.intersection(story.articles)]
    story_ids = {story.id for story in stories}
    in_any_story = {article_id for story in analysis.stories for article_id in story.articles}
    kept_article_ids = {article_id for story in stories for article_id in story.articles}
    kept_article_ids |= matching - in_any_story
    kept_article_ids &= set(articles_by_id)

    relations = [
        dataclasses.replace(relation)
        for relation in analysis.relations
        if relation.a in kept_article_ids and relation.b in kept_article_ids
    ]
    entities = []
    for entity in analysis.entities:
        entity_articles = [article_id for article_id in entity.articles if article_id in kept_article_ids]
        if entity_articles:
            entities.append(
                dataclasses.replace(
                    entity,
                    articles=entity_articles,
                    aliases=list(entity.aliases),
                    mentions=[mention for mention in entity.mentions if mention.article in kept_article_ids],
                    merges=list(entity.merges),
                )
            )
    claims = [claim for claim in analysis.claims if claim.story in story_ids]
    claim_ids = {claim.id for claim in claims}
    claims = [
        dataclasses.replace(
            claim,
            articles=list(claim.articles),
            conflicts=[conflict for conflict in claim.conflicts if conflict in claim_ids],
            evidence=list(claim.evidence),
        )
        for claim in claims
    ]
    return Analysis(
        articles=[article for article in analysis.articles if article.id in kept_article_ids],
        stories=[
            dataclasses.replace(
                story,
                articles=list(story.articles),
                events=[dataclasses.replace(event, articles=list(event.articles)) for event in story.events],
            )
            for story in stories
        ],
        relations=relations,
        entities=entities,
        claims=claims,
        omissions=[
            dataclasses.replace(omission, claims=[claim for claim in omission.claims if claim in claim_ids])
            for omission in analysis.omissions
            if omission.story in story_ids and omission.article in kept_article_ids
        ],
        timeline=[
            dataclasses.replace(entry, articles=list(entry.articles), evidence=list(entry.evidence))
            for entry in analysis.timeline
            if entry.story in story_ids
        ],
        outlets=list(analysis.outlets),
        claim_events=[event for event in analysis.claim_events if event.story in story_ids],
        shallow_stories=[story_id for story_id in analysis.shallow_stories if story_id in story_ids],
    )
