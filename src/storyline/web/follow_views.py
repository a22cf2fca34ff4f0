"""What the follow pages show (alerts, watches, what's new), as JSON-ready dicts.

A story's dated updates come from :func:`storyline.follow.versions.story_updates`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from ..follow import state
from ..follow.versions import story_updates
from ..follow.watches import KINDS
from ..store import Store

__all__ = ["alerts_page", "default_since", "parse_since", "story_updates", "watches_page", "whats_new_page"]

MAX_NEW_STORIES = 50
MAX_ALERTS = 200
DEFAULT_NEW_HOURS = 24


def alerts_page(store: Store, limit: int = MAX_ALERTS) -> dict[str, Any]:
    names = {watch.id: watch.name for watch in state.watches(store)}
    alerts = []
    for alert in state.recent_alerts(store, limit):
        item = alert.to_json()
        item["watch_name"] = names.get(alert.watch_id, item.get("watch_name"))
        alerts.append(item)
    return {"alerts": alerts}


def watches_page(store: Store) -> dict[str, Any]:
    return {"watches": [state.as_dict(watch) for watch in state.watches(store)], "kinds": list(KINDS),
            "sources": [state.as_dict(source) for source in state.sources(store)]}


def parse_since(value: str) -> Optional[str]:
    """An ISO date or date-time as the UTC timestamp the store compares with, or None when unreadable."""
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def default_since() -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=DEFAULT_NEW_HOURS)).isoformat(timespec="seconds")


def whats_new_page(store: Store, since: str) -> dict[str, Any]:
    """Stories with articles added or updated since ``since``, most new articles first, those marked."""
    rows = store.db.execute(
        "SELECT sa.story_id, count(*), max(a.updated_at) FROM story_articles sa JOIN articles a ON a.id = sa.article_id"
        " WHERE a.updated_at >= ? GROUP BY sa.story_id ORDER BY count(*) DESC, max(a.updated_at) DESC, sa.story_id"
        " LIMIT ?", (since, MAX_NEW_STORIES)).fetchall()
    stories = []
    for story_id, new_count, latest in rows:
        story = store.story(story_id)
        if story is None:
            continue
        articles = []
        for article_id, title, outlet, version, added_at, updated_at, published in store.db.execute(
            "SELECT id, title, outlet, version, added_at, updated_at, published FROM articles"
            " WHERE id IN (SELECT value FROM json_each(?)) ORDER BY updated_at DESC, id",
            (json.dumps(story.articles),),
        ):
            mark = "new" if added_at >= since else ("updated" if updated_at >= since else None)
            articles.append({"id": article_id, "title": title, "outlet": outlet, "version": version,
                             "published": published, "updated_at": updated_at, "mark": mark})
        stories.append({"id": story.id, "title": story.title, "new_articles": new_count, "latest": latest,
                        "articles": articles})
    unanalysed = store.db.execute(
        "SELECT count(*) FROM articles a WHERE a.updated_at >= ?"
        " AND NOT EXISTS (SELECT 1 FROM story_articles sa WHERE sa.article_id = a.id)", (since,)).fetchone()[0]
    return {"since": since, "stories": stories, "not_yet_analysed": unanalysed}
