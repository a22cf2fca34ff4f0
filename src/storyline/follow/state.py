"""The follow tables in the store: sources and their status, listed items, watches, alerts, deliveries.

Every function takes the :class:`~storyline.store.Store` and does one unit of work in one
transaction, so a run stopped at any moment leaves these tables consistent with the articles.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Optional, Sequence

from ..model import stable_id
from ..store import Store
from .listings import Entry

ITEM_PENDING, ITEM_STORED, ITEM_SKIPPED = "pending", "stored", "skipped"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- sources ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    id: str
    url: str
    kind: str
    title: Optional[str] = None
    added_at: str = ""
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    last_polled: Optional[str] = None
    last_success: Optional[str] = None
    last_error: Optional[str] = None
    last_error_at: Optional[str] = None
    last_status: Optional[str] = None
    items_seen: int = 0


_SOURCE_COLUMNS = ("id, url, kind, title, added_at, etag, last_modified, last_polled, last_success, last_error,"
                   " last_error_at, last_status, items_seen")


def source_id(url: str) -> str:
    return stable_id("src", url, length=10)


def add_source(store: Store, url: str, kind: str = "auto", title: Optional[str] = None) -> tuple[bool, Source]:
    """Follow ``url``; (False, the stored source) when it is followed already."""
    with store.transaction() as db:
        cursor = db.execute("INSERT OR IGNORE INTO follow_sources (id, url, kind, title, added_at)"
                            " VALUES (?, ?, ?, ?, ?)", (source_id(url), url, kind, title, now_iso()))
    return cursor.rowcount == 1, get_source(store, url)  # type: ignore[return-value]


def get_source(store: Store, key: str) -> Optional[Source]:
    row = store.db.execute(f"SELECT {_SOURCE_COLUMNS} FROM follow_sources WHERE id = ? OR url = ?",
                           (key, key)).fetchone()
    return Source(*row) if row else None


def sources(store: Store) -> list[Source]:
    return [Source(*row) for row in store.db.execute(
        f"SELECT {_SOURCE_COLUMNS} FROM follow_sources ORDER BY added_at, url")]


def remove_source(store: Store, key: str) -> bool:
    """Stop following a source (by id or URL). Articles already stored stay."""
    with store.transaction() as db:
        row = db.execute("SELECT id FROM follow_sources WHERE id = ? OR url = ?", (key, key)).fetchone()
        if row is None:
            return False
        db.execute("DELETE FROM follow_sources WHERE id = ?", (row[0],))
        db.execute("DELETE FROM follow_items WHERE source_id = ? AND state = ?", (row[0], ITEM_PENDING))
    return True


def record_listing(store: Store, source: Source, kind: str, title: Optional[str], entries: Sequence[Entry],
                   etag: Optional[str], last_modified: Optional[str], status: str,
                   outlet: Optional[str]) -> int:
    """A successful poll: new or re-dated entries become pending items, with the source's new validators.

    Returns how many items became pending. One transaction: the ETag is never saved without the
    items it covers, or a 304 next time would hide them.
    """
    when = now_iso()
    pending = 0
    with store.transaction() as db:
        for entry in entries:
            row = db.execute("SELECT listed_date, state FROM follow_items WHERE url = ?", (entry.url,)).fetchone()
            if row is None:
                db.execute("INSERT INTO follow_items (url, source_id, listed_date, title, outlet, published, state,"
                           " first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (entry.url, source.id, entry.listed_date, entry.title, outlet, entry.published,
                            ITEM_PENDING, when))
                pending += 1
            elif entry.listed_date and row[0] != entry.listed_date:
                # The listing dates the entry anew: fetch again, it may be a new version.
                db.execute("UPDATE follow_items SET listed_date = ?, state = ?, attempts = 0, reason = NULL"
                           " WHERE url = ?", (entry.listed_date, ITEM_PENDING, entry.url))
                pending += 1
        seen = db.execute("SELECT count(*) FROM follow_items WHERE source_id = ?", (source.id,)).fetchone()[0]
        db.execute("UPDATE follow_sources SET kind = ?, title = coalesce(?, title), etag = ?, last_modified = ?,"
                   " last_polled = ?, last_success = ?, last_status = ?, items_seen = ? WHERE id = ?",
                   (kind, title, etag, last_modified, when, when, status, seen, source.id))
    return pending


def record_not_modified(store: Store, source: Source) -> None:
    when = now_iso()
    with store.transaction() as db:
        db.execute("UPDATE follow_sources SET last_polled = ?, last_success = ?, last_status = ? WHERE id = ?",
                   (when, when, "not modified (304)", source.id))


def record_source_error(store: Store, source: Source, reason: str) -> None:
    when = now_iso()
    with store.transaction() as db:
        db.execute("UPDATE follow_sources SET last_polled = ?, last_error = ?, last_error_at = ?, last_status = ?"
                   " WHERE id = ?", (when, reason, when, f"error: {reason}", source.id))


# --- items ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    url: str
    source_id: str
    title: Optional[str]
    outlet: Optional[str]
    published: Optional[str]
    attempts: int
    etag: Optional[str]
    last_modified: Optional[str]


def pending_items(store: Store, limit: Optional[int] = None) -> list[Item]:
    """Items to fetch, oldest first: every source's, including those a stopped run left behind."""
    rows = store.db.execute(
        "SELECT url, source_id, title, outlet, published, attempts, etag, last_modified FROM follow_items"
        " WHERE state = ? ORDER BY first_seen, url LIMIT ?", (ITEM_PENDING, -1 if limit is None else limit))
    return [Item(*row) for row in rows]


def finish_item(store: Store, url: str, state: str, reason: Optional[str] = None, *,
                article_id: Optional[str] = None, etag: Optional[str] = None,
                last_modified: Optional[str] = None, counted: bool = False) -> None:
    """Record what fetching an item came to; ``counted`` adds one to today's article count."""
    when = now_iso()
    with store.transaction() as db:
        db.execute("UPDATE follow_items SET state = ?, reason = ?, attempts = attempts + 1,"
                   " article_id = coalesce(?, article_id), etag = coalesce(?, etag),"
                   " last_modified = coalesce(?, last_modified), fetched_at = ? WHERE url = ?",
                   (state, reason, article_id, etag, last_modified, when, url))
        if counted:
            db.execute("INSERT INTO follow_daily VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET articles = articles + 1",
                       (when[:10],))


def articles_today(store: Store) -> int:
    row = store.db.execute("SELECT articles FROM follow_daily WHERE day = ?", (now_iso()[:10],)).fetchone()
    return row[0] if row else 0


def item_states(store: Store) -> dict[str, tuple[str, Optional[str]]]:
    """Every listed URL: (state, reason)."""
    return {url: (state, reason) for url, state, reason in store.db.execute(
        "SELECT url, state, reason FROM follow_items ORDER BY url")}


# --- outlet labels ----------------------------------------------------------------------------


def set_outlet_labels(store: Store, outlet: str, labels: dict[str, str]) -> None:
    with store.transaction() as db:
        for label, value in labels.items():
            db.execute("INSERT OR REPLACE INTO follow_outlet_labels VALUES (?, ?, ?)",
                       (outlet.strip().casefold(), label.strip().casefold(), value.strip()))


def outlet_labels(store: Store) -> dict[str, dict[str, str]]:
    """Labels (country, leaning, ...) by case-folded outlet name."""
    found: dict[str, dict[str, str]] = {}
    for outlet, label, value in store.db.execute("SELECT outlet, label, value FROM follow_outlet_labels"):
        found.setdefault(outlet, {})[label] = value
    return found


# --- watches, seen changes, alerts and deliveries ---------------------------------------------


@dataclass(frozen=True)
class Watch:
    """A saved search: every filter given must match; ``kinds`` empty means every kind of change."""

    id: str
    name: str
    entity: Optional[str] = None
    phrase: Optional[str] = None
    outlet: Optional[str] = None
    kinds: list[str] = field(default_factory=list)
    sinks: list[str] = field(default_factory=list)
    digest: bool = False
    created_at: str = ""


def add_watch(store: Store, name: str, *, entity: Optional[str] = None, phrase: Optional[str] = None,
              outlet: Optional[str] = None, kinds: Iterable[str] = (), sinks: Iterable[str] = (),
              digest: bool = False) -> Watch:
    watch = Watch(stable_id("w", name, now_iso(), length=8), name, entity, phrase, outlet, list(kinds), list(sinks),
                  digest, now_iso())
    with store.transaction() as db:
        db.execute("INSERT INTO follow_watches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (watch.id, watch.name, watch.entity, watch.phrase, watch.outlet, _dumps(watch.kinds),
                    _dumps(watch.sinks), int(watch.digest), watch.created_at))
    return watch


def watches(store: Store) -> list[Watch]:
    return [Watch(i, n, e, p, o, json.loads(k), json.loads(s), bool(d), c) for i, n, e, p, o, k, s, d, c in
            store.db.execute("SELECT * FROM follow_watches ORDER BY created_at, id")]


def remove_watch(store: Store, key: str) -> bool:
    with store.transaction() as db:
        return db.execute("DELETE FROM follow_watches WHERE id = ? OR name = ?", (key, key)).rowcount > 0


def seen_keys(store: Store) -> set[str]:
    return {row[0] for row in store.db.execute("SELECT key FROM follow_seen")}


@dataclass(frozen=True)
class Alert:
    id: str
    watch_id: str
    kind: str
    story_id: Optional[str]
    created_at: str
    payload: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {**self.payload, "id": self.id, "watch": self.watch_id, "kind": self.kind, "story": self.story_id,
                "created_at": self.created_at}


def record_alerts(store: Store, keys: Iterable[str], alerts: Sequence[Alert], sinks_of: dict[str, list[str]]) -> None:
    """New changes marked seen, their alerts and one pending delivery per sink: all or nothing."""
    when = now_iso()
    with store.transaction() as db:
        db.executemany("INSERT OR IGNORE INTO follow_seen VALUES (?, ?)", [(key, when) for key in keys])
        for alert in alerts:
            inserted = db.execute("INSERT OR IGNORE INTO follow_alerts VALUES (?, ?, ?, ?, ?, ?)",
                                  (alert.id, alert.watch_id, alert.kind, alert.story_id, alert.created_at,
                                   _dumps(alert.payload))).rowcount
            if inserted:
                db.executemany("INSERT OR IGNORE INTO follow_deliveries VALUES (?, ?, NULL, NULL, 0)",
                               [(alert.id, sink) for sink in sinks_of.get(alert.watch_id, [])])


def _alert(row: Sequence[Any]) -> Alert:
    return Alert(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]))


def recent_alerts(store: Store, limit: int = 100) -> list[Alert]:
    return [_alert(row) for row in store.db.execute(
        "SELECT id, watch_id, kind, story_id, created_at, payload FROM follow_alerts"
        " ORDER BY created_at DESC, id LIMIT ?", (limit,))]


MAX_DELIVERY_ATTEMPTS = 5


def undelivered(store: Store) -> list[tuple[str, Alert]]:
    """(sink, alert) pairs still to send, oldest first; a sink that failed five times is given up."""
    rows = store.db.execute(
        "SELECT d.sink, a.id, a.watch_id, a.kind, a.story_id, a.created_at, a.payload FROM follow_deliveries d"
        " JOIN follow_alerts a ON a.id = d.alert_id WHERE d.delivered_at IS NULL AND d.attempts < ?"
        " ORDER BY a.created_at, a.id", (MAX_DELIVERY_ATTEMPTS,))
    return [(row[0], _alert(row[1:])) for row in rows]


def record_delivery(store: Store, sink: str, alert_ids: Sequence[str], error: Optional[str]) -> None:
    when = None if error else now_iso()
    with store.transaction() as db:
        db.executemany("UPDATE follow_deliveries SET delivered_at = ?, error = ?, attempts = attempts + 1"
                       " WHERE alert_id = ? AND sink = ?", [(when, error, alert_id, sink) for alert_id in alert_ids])


def as_dict(value: Any) -> dict[str, Any]:
    return asdict(value)
