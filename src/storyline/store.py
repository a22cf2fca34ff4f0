"""The SQLite store: articles and their versions, prepared signals, and every stage's results.

One file, WAL mode, migrations recorded in the database (each in its own
transaction). Every write that belongs together is one transaction, so an
interrupted run leaves the store as it was before that unit of work and a
second run finishes the job.
"""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, Optional, Sequence

import numpy as np

from .model import (
    Article, Claim, ClaimEvent, Outlet, Entity, Event, Evidence, Merge, Mention, Omission, Passage, Prepared,
    RawDocument, Relation, Sentence, Story, TimelineEntry, text_hash,
)

DEFAULT_DB = "storyline.db"

IngestOutcome = Literal["added", "updated", "unchanged"]
_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


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
]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _plain(value: Any) -> Any:
    return asdict(value) if hasattr(value, "__dataclass_fields__") else value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_plain)


class Store:
    """The storyline database. Open with :func:`open_store`; use as a context manager."""

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        self.db = connection
        self.path = path

    # --- lifecycle -------------------------------------------------------------

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
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

    # --- articles ----------------------------------------------------------------

    def ingest(self, doc: RawDocument) -> tuple[IngestOutcome, Article]:
        """Store one document by its source: new, a new version, or nothing when the text is unchanged.

        The same text already stored under another source is joined to it by a
        ``duplicate`` relation: two articles, one independent source.
        """
        article_id = Article.id_for(doc.source)
        digest = text_hash(doc.text)
        now = _now()
        with self.transaction() as db:
            row = db.execute("SELECT version, text_hash FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row and row[1] == digest:
                return "unchanged", self._article_row(article_id)
            version = row[0] + 1 if row else 1
            metadata = (doc.title, doc.url, doc.outlet, doc.published, doc.language, doc.byline, doc.reader)
            if row:
                db.execute(
                    "UPDATE articles SET version=?, text_hash=?, title=?, url=?, outlet=?, published=?, language=?,"
                    " byline=?, reader=?, updated_at=? WHERE id=?",
                    (version, digest, *metadata, now, article_id),
                )
                db.execute("DELETE FROM article_search WHERE article_id = ?", (article_id,))
                db.execute("DELETE FROM relations WHERE (a = ? OR b = ?)", (article_id, article_id))
            else:
                db.execute(
                    "INSERT INTO articles (id, source, version, text_hash, title, url, outlet, published, language,"
                    " byline, reader, added_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (article_id, doc.source, version, digest, *metadata, now, now),
                )
            db.execute(
                "INSERT INTO article_versions VALUES (?, ?, ?, ?, ?)", (article_id, version, doc.text, digest, now)
            )
            db.execute(
                "INSERT INTO article_search (article_id, title, text) VALUES (?, ?, ?)",
                (article_id, doc.title or "", doc.text),
            )
            for (twin,) in db.execute(
                "SELECT id FROM articles WHERE text_hash = ? AND id != ?", (digest, article_id)
            ).fetchall():
                a, b = sorted((article_id, twin))
                db.execute(
                    "INSERT OR REPLACE INTO relations VALUES (?, ?, 'duplicate', NULL, 1.0, ?, ?)",
                    (a, b, _dumps(["identical text"]), _dumps([{"a": [0, len(doc.text)], "b": [0, len(doc.text)],
                                                                "similarity": 1.0}])),
                )
        return ("updated" if row else "added"), self._article_row(article_id)

    def remove(self, source: str) -> bool:
        """Delete an article (by source or id) with everything derived from it. False when it is not stored."""
        with self.transaction() as db:
            row = db.execute("SELECT id FROM articles WHERE source = ? OR id = ?", (source, source)).fetchone()
            if not row:
                return False
            db.execute("DELETE FROM article_search WHERE article_id = ?", (row[0],))
            db.execute("DELETE FROM articles WHERE id = ?", (row[0],))
        return True

    def _article_row(self, article_id: str) -> Article:
        articles = self.articles(ids=[article_id])
        return articles[0]

    def articles(self, ids: Optional[Sequence[str]] = None) -> list[Article]:
        """Articles at their latest version, ordered by id."""
        sql = (
            "SELECT a.id, a.source, v.text, a.title, a.url, a.outlet, a.published, a.language, a.byline, a.version"
            " FROM articles a JOIN article_versions v ON v.article_id = a.id AND v.version = a.version"
        )
        params: tuple = ()
        if ids is not None:
            sql += f" WHERE a.id IN ({','.join('?' * len(ids))})"
            params = tuple(ids)
        rows = self.db.execute(sql + " ORDER BY a.id", params).fetchall()
        return [Article(*row) for row in rows]

    def article_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def versions(self, article_id: str) -> list[tuple[int, str, str]]:
        """Every stored version of an article: (version, added_at, text)."""
        return list(self.db.execute(
            "SELECT version, added_at, text FROM article_versions WHERE article_id = ? ORDER BY version",
            (article_id,),
        ))

    def search(self, query: str, limit: int = 20) -> list[tuple[str, str]]:
        """Full-text search: (article id, snippet) best first. Query syntax is FTS5's."""
        try:
            rows = self.db.execute(
                "SELECT article_id, snippet(article_search, 2, '[', ']', '…', 12) FROM article_search"
                " WHERE article_search MATCH ? ORDER BY rank LIMIT ?",
                (query, limit),
            ).fetchall()
        except sqlite3.OperationalError:
            # Not valid FTS5 syntax (a stray quote or operator): search the words as a phrase.
            phrase = '"' + query.replace('"', '""') + '"'
            rows = self.db.execute(
                "SELECT article_id, snippet(article_search, 2, '[', ']', '…', 12) FROM article_search"
                " WHERE article_search MATCH ? ORDER BY rank LIMIT ?",
                (phrase, limit),
            ).fetchall()
        return [(row[0], row[1]) for row in rows]

    # --- prepared signals --------------------------------------------------------

    def unprepared(self, embedder: str) -> list[Article]:
        """Articles not prepared at their current version with ``embedder``; copies of one text side by side
        (ordered by text hash), so that a batch embeds their sentences once."""
        ids = [row[0] for row in self.db.execute(
            "SELECT a.id FROM articles a LEFT JOIN prepared p ON p.article_id = a.id"
            " WHERE p.article_id IS NULL OR p.version != a.version OR p.embedder != ? ORDER BY a.text_hash, a.id",
            (embedder,),
        )]
        by_id = {article.id: article for article in self.articles(ids=ids)} if ids else {}
        return [by_id[i] for i in ids]

    def save_prepared(self, items: Sequence[Prepared], embedder: str) -> None:
        with self.transaction() as db:
            for item in items:
                db.execute(
                    "INSERT OR REPLACE INTO prepared VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item.id, item.article.version, embedder, item.language,
                        _dumps([[s.start, s.end] for s in item.sentences]),
                        item.vector.astype(np.float32).tobytes(),
                        item.sentence_vectors.astype(np.float16).tobytes(),
                        item.minhash.astype(np.uint32).tobytes(),
                    ),
                )
                # The detected language becomes the article's, unless the input gave one.
                db.execute("UPDATE articles SET language = ? WHERE id = ? AND language IS NULL",
                           (item.language, item.id))

    def prepared(self, ids: Optional[Sequence[str]] = None) -> list[Prepared]:
        """Prepared articles (only those prepared at their current version), ordered by id."""
        articles = {a.id: a for a in self.articles(ids=ids)}
        sql = "SELECT p.article_id, p.language, p.sentences, p.vector, p.sentence_vectors, p.minhash FROM prepared p" \
              " JOIN articles a ON a.id = p.article_id AND a.version = p.version"
        params: tuple = ()
        if ids is not None:
            sql += f" WHERE p.article_id IN ({','.join('?' * len(ids))})"
            params = tuple(ids)
        rows = self.db.execute(sql + " ORDER BY p.article_id", params).fetchall()
        out = []
        for article_id, language, sentences, vector, sentence_vectors, signature in rows:
            article = articles.get(article_id)
            if article is None:
                continue
            spans = json.loads(sentences)
            vector_array = np.frombuffer(vector, dtype=np.float32)
            out.append(Prepared(
                article=article,
                language=language,
                sentences=[Sentence(s, e, article.text[s:e]) for s, e in spans],
                vector=vector_array,
                sentence_vectors=np.frombuffer(sentence_vectors, dtype=np.float16)
                .astype(np.float32).reshape(len(spans), len(vector_array)),
                minhash=np.frombuffer(signature, dtype=np.uint32),
            ))
        return out

    # --- reuse ---------------------------------------------------------------------

    def reuse_pending(self) -> list[str]:
        return [row[0] for row in self.db.execute(
            "SELECT p.article_id FROM prepared p JOIN articles a ON a.id = p.article_id AND a.version = p.version"
            " LEFT JOIN reuse_done r ON r.article_id = p.article_id"
            " WHERE r.article_id IS NULL OR r.version != p.version ORDER BY p.article_id"
        )]

    def save_relations(self, done: Sequence[Prepared], relations: Sequence[Relation]) -> None:
        """Record the relations found for newly prepared articles, replacing what older versions had."""
        with self.transaction() as db:
            for item in done:
                # The store's own duplicate relations (same text, two sources) stay: they need no re-check.
                db.execute("DELETE FROM relations WHERE (a = ? OR b = ?) AND kind != 'duplicate'", (item.id, item.id))
                db.execute("INSERT OR REPLACE INTO reuse_done VALUES (?, ?)", (item.id, item.article.version))
            for r in relations:
                db.execute(
                    "INSERT OR REPLACE INTO relations VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (r.a, r.b, r.kind, r.direction, r.score, _dumps(r.evidence), _dumps(r.passages)),
                )

    def relations(self) -> list[Relation]:
        rows = self.db.execute(
            "SELECT a, b, kind, direction, score, evidence, passages FROM relations ORDER BY a, b"
        ).fetchall()
        return [
            Relation(a, b, kind, direction, score, json.loads(evidence),
                     [Passage(tuple(p["a"]), tuple(p["b"]), p["similarity"]) for p in json.loads(passages)])
            for a, b, kind, direction, score, evidence, passages in rows
        ]

    # --- stories -----------------------------------------------------------------------

    def story_assignment(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT article_id, story_id FROM story_articles"))

    def save_stories(self, stories: Sequence[Story], published: dict[str, Optional[str]]) -> None:
        """Replace the stories; a story id that disappears redirects to the story that took its founding article."""
        previous = self.story_assignment()
        old_ids = {row[0] for row in self.db.execute("SELECT id FROM stories")}
        new_ids = {story.id for story in stories}
        with self.transaction() as db:
            db.execute("DELETE FROM story_articles")
            db.execute("DELETE FROM stories")
            for story in stories:
                dates = sorted(d for d in (published.get(a) for a in story.articles) if d)
                db.execute(
                    "INSERT INTO stories VALUES (?, ?, ?, ?, ?, ?)",
                    (story.id, story.title, story.independent_sources, dates[0] if dates else None,
                     dates[-1] if dates else None, _dumps(story)),
                )
                event_of = {a: event.id for event in story.events for a in event.articles}
                db.executemany(
                    "INSERT INTO story_articles VALUES (?, ?, ?)",
                    [(story.id, a, event_of.get(a)) for a in story.articles],
                )
            for gone in old_ids - new_ids:
                members = [a for a, s in previous.items() if s == gone]
                heirs = sorted({s.id for s in stories for a in members if a in s.articles})
                if heirs:
                    db.execute("INSERT OR REPLACE INTO story_redirects VALUES (?, ?)", (gone, heirs[0]))
            db.execute(
                f"DELETE FROM story_results WHERE story_id NOT IN ({','.join('?' * len(new_ids))})", tuple(new_ids)
            )
            db.execute(f"DELETE FROM story_redirects WHERE old_id IN ({','.join('?' * len(new_ids))})",
                       tuple(new_ids))

    def stories(self) -> list[Story]:
        return [_story(json.loads(row[0])) for row in self.db.execute("SELECT payload FROM stories ORDER BY id")]

    def resolve_story_id(self, story_id: str) -> Optional[str]:
        """The current id of a story, following redirects left by merges."""
        seen = set()
        while story_id not in seen:
            seen.add(story_id)
            if self.db.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone():
                return story_id
            row = self.db.execute("SELECT new_id FROM story_redirects WHERE old_id = ?", (story_id,)).fetchone()
            if not row:
                return None
            story_id = row[0]
        return None

    # --- entities -------------------------------------------------------------------------

    def mentions_pending(self) -> list[str]:
        """Ids of articles without mentions at their current version; copies of one text side by side."""
        return [row[0] for row in self.db.execute(
            "SELECT a.id FROM articles a LEFT JOIN mentions m ON m.article_id = a.id"
            " WHERE m.article_id IS NULL OR m.version != a.version ORDER BY a.text_hash, a.id"
        )]

    def save_mentions(self, article: Article, mentions: Sequence[Mention]) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO mentions VALUES (?, ?, ?)", (article.id, article.version,
                                                                          _dumps(mentions)))

    def mentions(self) -> dict[str, list[Mention]]:
        return {
            article_id: [_mention(m) for m in json.loads(payload)]
            for article_id, payload in self.db.execute(
                "SELECT m.article_id, m.payload FROM mentions m JOIN articles a"
                " ON a.id = m.article_id AND a.version = m.version ORDER BY m.article_id"
            )
        }

    def resolution_inputs(self) -> tuple[list[tuple[str, int]], list[tuple[str, str, str, Optional[str]]]]:
        """What corpus-wide entity resolution reads besides the stories, in a form cheap to fingerprint:
        (article, version) of every stored mention list, and (a, b, kind, direction) of every relation."""
        mentions = [(a, v) for a, v in self.db.execute(
            "SELECT m.article_id, m.version FROM mentions m JOIN articles a ON a.id = m.article_id"
            " AND a.version = m.version ORDER BY m.article_id")]
        relations = [(a, b, k, d) for a, b, k, d in self.db.execute(
            "SELECT a, b, kind, direction FROM relations ORDER BY a, b")]
        return mentions, relations

    def stage_fingerprint(self, stage: str) -> Optional[str]:
        """The fingerprint of the inputs a corpus-wide stage last ran on (None: never, or before they were kept)."""
        try:
            row = self.db.execute("SELECT fingerprint FROM stage_fingerprints WHERE stage = ?", (stage,)).fetchone()
        except sqlite3.OperationalError:  # a store written before stage fingerprints were kept
            return None
        return row[0] if row else None

    def save_stage_fingerprint(self, stage: str, fingerprint: str) -> None:
        with self.transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS stage_fingerprints (stage TEXT PRIMARY KEY, fingerprint TEXT NOT NULL)")
            db.execute("INSERT OR REPLACE INTO stage_fingerprints VALUES (?, ?)", (stage, fingerprint))

    def save_entities(self, entities: Sequence[Entity]) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM entity_articles")
            db.execute("DELETE FROM entity_names")
            db.execute("DELETE FROM entities")
            db.executemany("INSERT INTO entities VALUES (?, ?)", [(e.id, _dumps(e)) for e in entities])
            db.executemany("INSERT INTO entity_names VALUES (?, ?, ?, ?)",
                           [(e.id, e.name, e.type, _dumps(e.aliases)) for e in entities])
            db.executemany("INSERT OR IGNORE INTO entity_articles VALUES (?, ?, ?)", _entity_article_rows(entities))

    def entities(self) -> list[Entity]:
        return [_entity(json.loads(row[0])) for row in self.db.execute("SELECT payload FROM entities ORDER BY id")]

    # --- per-story results (claims, timeline) -------------------------------------------------

    def story_result_fingerprint(self, story_id: str, stage: str) -> Optional[str]:
        row = self.db.execute(
            "SELECT fingerprint FROM story_results WHERE story_id = ? AND stage = ?", (story_id, stage)
        ).fetchone()
        return row[0] if row else None

    def save_story_result(self, story_id: str, stage: str, fingerprint: str, payload: Any) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO story_results VALUES (?, ?, ?, ?)",
                       (story_id, stage, fingerprint, _dumps(payload)))

    def story_results(self, stage: str) -> dict[str, Any]:
        return {
            story_id: json.loads(payload)
            for story_id, payload in self.db.execute(
                "SELECT story_id, payload FROM story_results WHERE stage = ? ORDER BY story_id", (stage,)
            )
        }

    def stories_with_result(self, stage: str) -> set[str]:
        """Ids of the stories holding a ``stage`` result (without decoding the results)."""
        return {row[0] for row in self.db.execute("SELECT story_id FROM story_results WHERE stage = ?", (stage,))}

    def claims(self) -> tuple[list[Claim], list[Omission]]:
        claims: list[Claim] = []
        omissions: list[Omission] = []
        for payload in self.story_results("claims").values():
            claims.extend(_claim(c) for c in payload["claims"])
            omissions.extend(Omission(**o) for o in payload["omissions"])
        return claims, omissions

    def claim_events(self) -> list[ClaimEvent]:
        """The event sub-claims of every story (results stored before they existed have none)."""
        return [_claim_event(e) for payload in self.story_results("claims").values() for e in payload.get("events", [])]

    def timeline(self) -> list[TimelineEntry]:
        entries: list[TimelineEntry] = []
        for payload in self.story_results("timeline").values():
            entries.extend(_timeline_entry(t) for t in payload)
        return entries

    # --- reads of one story, article or entity (views that must not load everything) -------------

    def story(self, story_id: str) -> Optional[Story]:
        """One story by its current id (see :meth:`resolve_story_id` for ids left by merges)."""
        row = self.db.execute("SELECT payload FROM stories WHERE id = ?", (story_id,)).fetchone()
        return _story(json.loads(row[0])) if row else None

    def story_of_article(self, article_id: str) -> Optional[str]:
        row = self.db.execute("SELECT story_id FROM story_articles WHERE article_id = ? ORDER BY story_id",
                              (article_id,)).fetchone()
        return row[0] if row else None

    def relations_among(self, ids: Sequence[str]) -> list[Relation]:
        """Relations whose two articles are both in ``ids``, ordered by (a, b)."""
        members = _dumps(list(ids))
        rows = self.db.execute(
            "SELECT a, b, kind, direction, score, evidence, passages FROM relations"
            " WHERE a IN (SELECT value FROM json_each(?)) AND b IN (SELECT value FROM json_each(?)) ORDER BY a, b",
            (members, members),
        ).fetchall()
        return [_relation(row) for row in rows]

    def relations_of(self, article_id: str) -> list[Relation]:
        """Relations touching one article, ordered by (a, b)."""
        rows = self.db.execute(
            "SELECT a, b, kind, direction, score, evidence, passages FROM relations WHERE a = ?"
            " UNION ALL SELECT a, b, kind, direction, score, evidence, passages FROM relations WHERE b = ?"
            " ORDER BY a, b",
            (article_id, article_id),
        ).fetchall()
        return [_relation(row) for row in rows]

    def story_result(self, story_id: str, stage: str) -> Any:
        """One story's stored result of a per-story stage (claims, timeline), or None."""
        row = self.db.execute("SELECT payload FROM story_results WHERE story_id = ? AND stage = ?",
                              (story_id, stage)).fetchone()
        return json.loads(row[0]) if row else None

    def story_claims(self, story_id: str) -> tuple[list[Claim], list[Omission]]:
        payload = self.story_result(story_id, "claims") or {"claims": [], "omissions": []}
        return [_claim(c) for c in payload["claims"]], [Omission(**o) for o in payload["omissions"]]

    def story_timeline(self, story_id: str) -> list[TimelineEntry]:
        return [_timeline_entry(t) for t in self.story_result(story_id, "timeline") or []]

    def entity(self, entity_id: str) -> Optional[Entity]:
        row = self.db.execute("SELECT payload FROM entities WHERE id = ?", (entity_id,)).fetchone()
        return _entity(json.loads(row[0])) if row else None

    def entities_in(self, article_ids: Sequence[str], limit: int = 50) -> list[EntitySummary]:
        """The entities found in a set of articles, most widespread first, without their full mention lists."""
        rows = self.db.execute(
            "WITH hits AS (SELECT entity_id, count(*) AS articles, sum(mentions) AS mentions FROM entity_articles"
            " WHERE article_id IN (SELECT value FROM json_each(?)) GROUP BY entity_id"
            " ORDER BY articles DESC, mentions DESC, entity_id LIMIT ?)"
            " SELECT h.entity_id, n.name, n.type, n.aliases, h.articles, h.mentions"
            " FROM hits h JOIN entity_names n ON n.entity_id = h.entity_id"
            " ORDER BY h.articles DESC, h.mentions DESC, h.entity_id",
            (_dumps(list(article_ids)), limit),
        ).fetchall()
        return [EntitySummary(entity_id, name, kind, json.loads(aliases or "[]"), articles, mentions)
                for entity_id, name, kind, aliases, articles, mentions in rows]

    def find_stories(self, *, since: Optional[str] = None, until: Optional[str] = None,
                     outlets: Optional[Sequence[str]] = None, languages: Optional[Sequence[str]] = None,
                     article_ids: Optional[Sequence[str]] = None, limit: int = 50,
                     offset: int = 0) -> tuple[int, list[StorySummary]]:
        """Stories with at least one article matching every filter given: (how many in all, one page of them).

        The filters mean what :func:`storyline.export.filter_analysis` means by them: ``since``/``until``
        are inclusive ISO dates of any precision, a partial publication date matches any range it
        overlaps, undated articles never match a date filter, outlets match case-insensitively.
        ``article_ids`` keeps stories holding one of them (e.g. full-text search hits). Newest first.
        """
        conditions, params = [], []
        published = ("(CASE WHEN a.published GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'"
                     " THEN substr(a.published, 1, 10)"
                     " WHEN a.published GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]' THEN a.published"
                     " WHEN a.published GLOB '[0-9][0-9][0-9][0-9]' THEN a.published END)")
        # A date of any precision compared with the range's first (last) day cut to the same precision
        # is exactly "its last (first) day is on or after (before) it": ISO dates sort as strings.
        if since is not None:
            first_day = _padded_date("since", since, "-01-01")
            conditions.append(f"{published} >= substr(?, 1, length({published}))")
            params.append(first_day)
        if until is not None:
            last_day = _padded_date("until", until, "-12-31")
            conditions.append(f"{published} <= substr(?, 1, length({published}))")
            params.append(last_day)
        if outlets is not None:
            conditions.append("lower(trim(a.outlet)) IN (SELECT value FROM json_each(?))")
            params.append(_dumps([o.strip().casefold() for o in outlets]))
        if languages is not None:
            conditions.append("lower(a.language) IN (SELECT value FROM json_each(?))")
            params.append(_dumps([lang.strip().casefold() for lang in languages]))
        if article_ids is not None:
            conditions.append("a.id IN (SELECT value FROM json_each(?))")
            params.append(_dumps(list(article_ids)))
        where = ""
        if conditions:
            where = (" WHERE s.id IN (SELECT sa.story_id FROM story_articles sa JOIN articles a ON a.id = sa.article_id"
                     f" WHERE {' AND '.join(conditions)})")
        total = self.db.execute(f"SELECT count(*) FROM stories s{where}", params).fetchone()[0]
        rows = self.db.execute(
            f"SELECT s.id, s.title, s.independent_sources, s.first_published, s.last_published FROM stories s{where}"
            " ORDER BY s.last_published IS NULL, s.last_published DESC, s.id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        members: dict[str, tuple[int, list[str], list[str]]] = {}
        if rows:
            for story_id, count, outlet_list, language_list in self.db.execute(
                "SELECT sa.story_id, count(*), json_group_array(DISTINCT a.outlet), json_group_array(DISTINCT a.language)"
                " FROM story_articles sa JOIN articles a ON a.id = sa.article_id"
                " WHERE sa.story_id IN (SELECT value FROM json_each(?)) GROUP BY sa.story_id",
                (_dumps([row[0] for row in rows]),),
            ):
                members[story_id] = (count, sorted(o for o in json.loads(outlet_list) if o),
                                     sorted(lang for lang in json.loads(language_list) if lang))
        return total, [
            StorySummary(story_id, title, sources, first, last, *members.get(story_id, (0, [], [])))
            for story_id, title, sources, first, last in rows
        ]

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """Outlets and languages in the store with their article counts, most common first."""
        return {
            column: [(value, count) for value, count in self.db.execute(
                f"SELECT {column}, count(*) FROM articles WHERE {column} IS NOT NULL"
                f" GROUP BY {column} ORDER BY count(*) DESC, {column}"
            )]
            for column in ("outlet", "language")
        }

    # --- outlets (the user's registry; an article's outlet as the user corrects it) -------------

    def save_outlet_registry(self, outlets: Sequence[Outlet]) -> None:
        """Replace the stored registry with ``outlets`` (in their order)."""
        from .outlets.registry import outlet_to_json

        with self.transaction() as db:
            db.execute("DELETE FROM outlet_registry")
            db.executemany("INSERT INTO outlet_registry VALUES (?, ?, ?)",
                           [(i, o.name, _dumps(outlet_to_json(o))) for i, o in enumerate(outlets)])

    def outlet_registry(self) -> list[Outlet]:
        from .outlets.registry import outlet_from_json

        try:
            rows = self.db.execute("SELECT payload FROM outlet_registry ORDER BY position").fetchall()
        except sqlite3.OperationalError:
            return []  # a read-only store from before the registry existed
        return [outlet_from_json(json.loads(row[0])) for row in rows]

    def set_outlet(self, article_id: str, outlet: Optional[str]) -> bool:
        """Set (or clear, with None) an article's outlet. False when there is no such article."""
        with self.transaction() as db:
            changed = db.execute("UPDATE articles SET outlet = ? WHERE id = ?", (outlet, article_id)).rowcount
        return bool(changed)


def open_store(path: str | Path = DEFAULT_DB, *, read_only: bool = False) -> Store:
    """Open (and create or migrate) a store, or raise StoreError saying what is wrong with the file."""
    path = str(path)
    connection: Optional[sqlite3.Connection] = None
    try:
        if read_only:
            if not Path(path).exists():
                raise StoreError(f"{path}: no such database")
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10, isolation_level=None,
                                         check_same_thread=False)
        else:
            connection = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA synchronous = NORMAL")
        store = Store(connection, path)
        if not read_only:
            store.migrate()
        return store
    except sqlite3.DatabaseError as error:
        if connection is not None:
            connection.close()  # else the file stays open until the garbage collector finds it
        raise StoreError(f"{path}: {describe_sqlite_error(error)}") from error


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


@dataclass(frozen=True)
class StorySummary:
    """A story as a list shows it: no payload, just what tells stories apart."""

    id: str
    title: Optional[str]
    independent_sources: int
    first_published: Optional[str]
    last_published: Optional[str]
    articles: int
    outlets: list[str]
    languages: list[str]


@dataclass(frozen=True)
class EntitySummary:
    """An entity as seen in a set of articles: how many of them name it, and how often."""

    id: str
    name: str
    type: Optional[str]
    aliases: list[str]
    articles: int
    mentions: int


def _padded_date(name: str, value: str, padding: str) -> str:
    """An ISO date of any precision filled out to a day with ``padding`` (``2025-02`` → ``2025-02-31``)."""
    text = value.strip()
    if not _ISO_DATE.match(text):
        raise ValueError(f"{name} must be an ISO date such as 2025-02-03, 2025-02 or 2025; got {value!r}")
    return text + padding[len(text) - 4:]


def _entity_article_rows(entities: Sequence[Entity]) -> list[tuple[str, str, int]]:
    rows: list[tuple[str, str, int]] = []
    for entity in entities:
        counts: dict[str, int] = {article_id: 0 for article_id in entity.articles}
        for mention in entity.mentions:
            counts[mention.article] = counts.get(mention.article, 0) + 1
        rows.extend((entity.id, article_id, count) for article_id, count in counts.items())
    return rows


def _relation(row: Sequence[Any]) -> Relation:
    a, b, kind, direction, score, evidence, passages = row
    return Relation(a, b, kind, direction, score, json.loads(evidence),
                    [Passage(tuple(p["a"]), tuple(p["b"]), p["similarity"]) for p in json.loads(passages)])


# --- decoding stored JSON payloads back into dataclasses ---------------------------------


def _span(value: Iterable[int]) -> tuple[int, int]:
    start, end = value
    return (int(start), int(end))


def _mention(m: dict) -> Mention:
    return Mention(m["article"], _span(m["span"]), m["text"], m.get("label"))


def _evidence(e: dict) -> Evidence:
    return Evidence(e["article"], _span(e["span"]), e["sentence"], e.get("wording", ""), e.get("attributed_to"),
                    tuple(e.get("markers", ())), tuple(e.get("hedges", ())), tuple(e.get("quotes", ())),
                    e.get("derived_from"), e.get("derivation"))


def _story(s: dict) -> Story:
    return Story(s["id"], s["title"], list(s["articles"]), [Event(**e) for e in s["events"]],
                 s.get("independent_sources", 0))


def _entity(e: dict) -> Entity:
    return Entity(e["id"], e["name"], e["type"], list(e["aliases"]), list(e["articles"]),
                  [_mention(m) for m in e["mentions"]], [Merge(**m) for m in e.get("merges", [])])


def _claim(c: dict) -> Claim:
    return Claim(c["id"], c["story"], c["text"], c["kind"], c["speaker"], list(c["articles"]), c["status"],
                 c["independent_sources"], list(c.get("conflicts", [])), [_evidence(e) for e in c["evidence"]],
                 bool(c.get("opinion", False)), list(c.get("markers", [])), float(c.get("checkworthiness", 0.0)),
                 c.get("origin"), list(c.get("sources", [])), c.get("speaker_name"), list(c.get("events", [])))


def _claim_event(e: dict) -> ClaimEvent:
    return ClaimEvent(e["id"], e["story"], e["lemma"], e["text"], list(e["articles"]),
                      [_evidence(m) for m in e["mentions"]], list(e["claims"]), bool(e.get("minor", False)))


def _timeline_entry(t: dict) -> TimelineEntry:
    return TimelineEntry(t["story"], t["date"], t["precision"], t["phrase"], t["text"], list(t["articles"]),
                         [_evidence(e) for e in t.get("evidence", [])], t.get("anchor"))
