"""Turn what changed in the store into alerts for the saved watches (the runner around :mod:`.watches`)."""

from __future__ import annotations

import sqlite3
from typing import Callable, Mapping, Optional, Sequence

from ..model import Article, stable_id
from ..outlets.registry import Registry, labels_of
from ..store import Store
from . import state
from .watches import Change, WatchFilter, current_changes, matches, new_changes

LabelSource = Callable[[Article], Mapping[str, str]]


def store_labels(store: Store) -> LabelSource:
    """An article's outlet labels: the outlet registry's (country, type, leaning ...), then those set
    with ``storyline follow label``, which win where both name a label.

    Any other source of labels can be passed to :func:`detect_alerts` instead: a watch only
    needs a mapping of label to value per article.
    """
    table = state.outlet_labels(store)
    registry = Registry.with_agencies(store.outlet_registry())

    def labels(article: Article) -> Mapping[str, str]:
        described = labels_of(registry.resolve(article.outlet, article.url, article.source))
        return {**described, **table.get((article.outlet or "").strip().casefold(), {})}

    return labels


def _changes(store: Store, labels_of: Optional[LabelSource]) -> list[Change]:
    labels = labels_of or store_labels(store)
    articles = {article.id: article for article in store.articles()}
    claims, _ = store.claims()
    return current_changes(store.stories(), claims, articles, labels)


def mark_all_seen(store: Store, labels_of: Optional[LabelSource] = None) -> int:
    """Take the analysis as it stands as known: a new watch alerts on what comes next, not on the backlog."""
    keys = [change.key for change in _changes(store, labels_of)]
    state.record_alerts(store, keys, [], {})
    return len(keys)


def detect_alerts(store: Store, labels_of: Optional[LabelSource] = None) -> list[state.Alert]:
    """Alerts for the changes not seen before, recorded (with their pending deliveries) in one transaction."""
    checked = _analysis_fingerprint(store)
    seen = state.seen_keys(store)
    if checked in seen:
        return []  # nothing analysed since the last look: skip reading the whole analysis
    everything = _changes(store, labels_of)
    # Changes implied by a new story (its first events and outlets) are not alerted, but are seen.
    unseen = [change.key for change in everything if change.key not in seen]
    changes = new_changes(everything, seen)
    watches = state.watches(store)
    alerts = []
    lookups = _Lookups(store)
    for change in changes:
        for watch in watches:
            wanted = WatchFilter(watch.entity, watch.phrase, watch.outlet, tuple(watch.kinds))
            if matches(wanted, change, outlets=lookups.outlets, entity_names=lookups.entity_names,
                       phrase_hits=lookups.phrase_hits):
                alerts.append(state.Alert(
                    stable_id("al", watch.id, change.key), watch.id, change.kind, change.story_id, state.now_iso(),
                    {"watch_name": watch.name, "summary": change.summary, "story_title": change.story_title,
                     "articles": change.articles, "detail": change.detail, "titles": lookups.titles(change.articles)},
                ))
    state.record_alerts(store, unseen + [checked], alerts, {w.id: w.sinks for w in watches})
    return alerts


def _analysis_fingerprint(store: Store) -> str:
    """A key that changes whenever an article, a story or a per-story result does."""
    articles = store.db.execute("SELECT count(*), max(updated_at) FROM articles").fetchone()
    stories = store.db.execute("SELECT count(*), group_concat(fingerprint) FROM story_results").fetchone()
    digest = stable_id("x", repr(articles), repr(stories), str(len(state.watches(store))))
    return f"checked:{digest}"


class _Lookups:
    """The store reads a watch needs about a change's articles."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def outlets(self, article_ids: Sequence[str]) -> set[str]:
        return {(a.outlet or "").strip().casefold() for a in self.store.articles(ids=list(article_ids))}

    def titles(self, article_ids: Sequence[str]) -> dict[str, str]:
        return {a.id: a.title or a.source for a in self.store.articles(ids=list(article_ids))}

    def entity_names(self, article_ids: Sequence[str]) -> set[str]:
        names = set()
        for entity in self.store.entities_in(article_ids, limit=1000):
            names.add(entity.name.casefold())
            names.update(alias.casefold() for alias in entity.aliases)
        return names

    def phrase_hits(self, phrase: str, article_ids: Sequence[str]) -> set[str]:
        import json

        members = json.dumps(list(article_ids))
        sql = ("SELECT article_id FROM article_search WHERE article_search MATCH ?"
               " AND article_id IN (SELECT value FROM json_each(?))")
        try:
            rows = self.store.db.execute(sql, (phrase, members)).fetchall()
        except sqlite3.OperationalError:
            # Not valid FTS5 syntax: the words as one phrase, as `storyline search` does.
            rows = self.store.db.execute(sql, ('"' + phrase.replace('"', '""') + '"', members)).fetchall()
        return {row[0] for row in rows}
