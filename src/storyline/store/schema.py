"""The store's schema and its migrations, the connection's lifecycle, and what the other parts share.

Migrations are recorded in the database (``schema_migrations``), each applied in its own
transaction, so a store created by any earlier version is brought up to date when opened.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime, timezone
from typing import Any, Iterator, TypeVar

DEFAULT_DB = "storyline.db"

_S = TypeVar("_S", bound="StoreBase")


class StoreError(Exception):
    """A store that cannot be opened or written, in words a user can act on."""


MIGRATIONS: list[tuple[str, str]] = [
    (
        "articles and versions",
        """
        CREATE TABLE articles (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL UNIQUE,
            version INTEGER NOT NULL,
            text_hash TEXT NOT NULL,
            title TEXT, url TEXT, outlet TEXT, published TEXT, language TEXT, byline TEXT, reader TEXT,
            added_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX articles_text_hash ON articles(text_hash);
        CREATE INDEX articles_published ON articles(published);
        CREATE INDEX articles_outlet ON articles(outlet);
        CREATE TABLE article_versions (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            text TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (article_id, version)
        );
        CREATE VIRTUAL TABLE article_search USING fts5(
            article_id UNINDEXED, title, text, tokenize = 'unicode61 remove_diacritics 2'
        );
        """,
    ),
    (
        "prepared signals and stage results",
        """
        CREATE TABLE prepared (
            article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            embedder TEXT NOT NULL,
            language TEXT,
            sentences TEXT NOT NULL,
            vector BLOB NOT NULL,
            sentence_vectors BLOB NOT NULL,
            minhash BLOB NOT NULL
        );
        CREATE TABLE mentions (
            article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            payload TEXT NOT NULL
        );
        CREATE TABLE reuse_done (
            article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            version INTEGER NOT NULL
        );
        CREATE TABLE relations (
            a TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            b TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            direction TEXT,
            score REAL NOT NULL,
            evidence TEXT NOT NULL,
            passages TEXT NOT NULL,
            PRIMARY KEY (a, b)
        );
        CREATE INDEX relations_b ON relations(b);
        CREATE TABLE stories (
            id TEXT PRIMARY KEY,
            title TEXT,
            independent_sources INTEGER NOT NULL,
            first_published TEXT,
            last_published TEXT,
            payload TEXT NOT NULL
        );
        CREATE TABLE story_articles (
            story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            event_id TEXT,
            PRIMARY KEY (story_id, article_id)
        );
        CREATE INDEX story_articles_article ON story_articles(article_id);
        CREATE TABLE story_redirects (old_id TEXT PRIMARY KEY, new_id TEXT NOT NULL);
        CREATE TABLE story_results (
            story_id TEXT NOT NULL,
            stage TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            payload TEXT NOT NULL,
            PRIMARY KEY (story_id, stage)
        );
        CREATE TABLE entities (id TEXT PRIMARY KEY, payload TEXT NOT NULL);
        """,
    ),
    (
        "entities indexed by article",
        # Lets a view read the entities of one story without decoding entity payloads (a common
        # name's payload lists every mention in the store: megabytes).
        """
        CREATE TABLE entity_articles (
            entity_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            article_id TEXT NOT NULL,
            mentions INTEGER NOT NULL,
            PRIMARY KEY (entity_id, article_id)
        );
        CREATE INDEX entity_articles_article ON entity_articles(article_id);
        CREATE TABLE entity_names (
            entity_id TEXT PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
            name TEXT NOT NULL, type TEXT, aliases TEXT NOT NULL
        );
        INSERT INTO entity_names SELECT id, json_extract(payload, '$.name'), json_extract(payload, '$.type'),
            json_extract(payload, '$.aliases') FROM entities;
        INSERT OR IGNORE INTO entity_articles
            SELECT e.id, json_extract(m.value, '$.article'), count(*)
            FROM entities e, json_each(e.payload, '$.mentions') m GROUP BY 1, 2;
        INSERT OR IGNORE INTO entity_articles
            SELECT e.id, j.value, 0 FROM entities e, json_each(e.payload, '$.articles') j;
        """,
    ),
    (
        "followed sources, fetched items, watches and alerts",
        # storyline.follow: what is polled, what each listed page became, and the alerts sent. An item
        # is written 'pending' in the same transaction as its source's new ETag, so a run killed
        # between the listing and the page fetches still fetches the page next time.
        """
        CREATE TABLE follow_sources (
            id TEXT PRIMARY KEY, url TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, title TEXT, added_at TEXT NOT NULL,
            etag TEXT, last_modified TEXT, last_polled TEXT, last_success TEXT, last_error TEXT,
            last_error_at TEXT, last_status TEXT, items_seen INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE follow_items (
            url TEXT PRIMARY KEY, source_id TEXT NOT NULL, listed_date TEXT, title TEXT, outlet TEXT,
            published TEXT, state TEXT NOT NULL, reason TEXT, attempts INTEGER NOT NULL DEFAULT 0,
            etag TEXT, last_modified TEXT, article_id TEXT, first_seen TEXT NOT NULL, fetched_at TEXT
        );
        CREATE INDEX follow_items_state ON follow_items(state);
        CREATE TABLE follow_daily (day TEXT PRIMARY KEY, articles INTEGER NOT NULL);
        CREATE TABLE follow_outlet_labels (
            outlet TEXT NOT NULL, label TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (outlet, label)
        );
        CREATE TABLE follow_watches (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, entity TEXT, phrase TEXT, outlet TEXT, kinds TEXT NOT NULL,
            sinks TEXT NOT NULL, digest INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL
        );
        CREATE TABLE follow_seen (key TEXT PRIMARY KEY, seen_at TEXT NOT NULL);
        CREATE TABLE follow_alerts (
            id TEXT PRIMARY KEY, watch_id TEXT NOT NULL, kind TEXT NOT NULL, story_id TEXT,
            created_at TEXT NOT NULL, payload TEXT NOT NULL
        );
        CREATE INDEX follow_alerts_created ON follow_alerts(created_at);
        CREATE TABLE follow_deliveries (
            alert_id TEXT NOT NULL, sink TEXT NOT NULL, delivered_at TEXT, error TEXT, attempts INTEGER NOT NULL,
            PRIMARY KEY (alert_id, sink)
        );
        """,
    ),
    (
        "outlet registry",
        # The user's registry (names, aliases, domains, their labels), kept with the store so every
        # view of it resolves outlets the same way; replaced whole by `--registry FILE`.
        """
        CREATE TABLE outlet_registry (
            position INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            payload TEXT NOT NULL
        );
        """,
    ),
    (
        "kept parses",
        # spaCy's parse of each distinct line, kept so copies, re-runs and stories that grow or are
        # opened later never parse a line again (storyline.store.parses; issue 18).
        """
        CREATE TABLE parses (
            model TEXT NOT NULL,
            key TEXT NOT NULL,
            payload BLOB NOT NULL,
            PRIMARY KEY (model, key)
        ) WITHOUT ROWID;
        """,
    ),
]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _plain(value: Any) -> Any:
    """One level of a dataclass as a dict; ``json`` calls this again for the dataclasses inside.

    Not ``asdict``: it deep-copies every list and string on the way down, and that copying was
    a tenth of the claims stage (its ledgers are written whole). The JSON is the same.
    """
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    return value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_plain)


class StoreBase:
    """The connection, its transactions and the schema; reads and writes build on it (see :class:`Store`)."""

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        self.db = connection
        self.path = path

    # --- lifecycle -------------------------------------------------------------

    def close(self) -> None:
        self.db.close()

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One unit of work: all of it is written or none of it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def migrate(self) -> list[str]:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in self.db.execute("SELECT version FROM schema_migrations")}
        applied = []
        for version, (name, sql) in enumerate(MIGRATIONS, start=1):
            if version in done:
                continue
            with self.transaction() as db:
                for statement in sql.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, _now()))
            applied.append(name)
        return applied

    def migrations(self) -> list[tuple[int, str, str]]:
        return list(self.db.execute("SELECT version, name, applied_at FROM schema_migrations ORDER BY version"))


def describe_sqlite_error(error: sqlite3.Error) -> str:
    message = str(error)
    if "locked" in message or "busy" in message:
        return "the database is locked by another process (try again when it finishes)"
    if "readonly" in message or "read-only" in message:
        return "the database is read-only (check the file's and its folder's permissions)"
    if "not a database" in message or "malformed" in message:
        return "not a storyline database, or the file is damaged"
    if "unable to open" in message:
        return "cannot open the database file (does its folder exist and is it writable?)"
    return message
