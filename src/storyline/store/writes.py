"""The store's writes: articles and their versions, and each stage's results, one transaction per unit of work.

Every write that belongs together is one transaction, so an interrupted run leaves the
store as it was before that unit of work and a second run finishes the job.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Sequence

import numpy as np

from ..model import Article, Entity, Mention, Outlet, Prepared, RawDocument, Relation, Story, text_hash
from .parses import StoredParses
from .reads import StoreReads
from .schema import _dumps, _now

IngestOutcome = Literal["added", "updated", "unchanged"]


class StoreWrites(StoreReads):
    """The write half of :class:`~storyline.store.Store` (it reads too: a write returns what it stored)."""

    # --- articles ----------------------------------------------------------------

    def ingest(self, doc: RawDocument) -> tuple[IngestOutcome, Article]:
        """Store one document by its source: new, a new version, or nothing when the text is unchanged.

        The same text under another source is a second article; the reuse stage
        joins the two by a ``duplicate`` relation (``reuse.identical_texts``).
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
        return ("updated" if row else "added"), self._article_row(article_id)

    def remove(self, source: str) -> bool:
        """Delete an article (by source or id) with everything derived from it. False when it is not stored."""
        with self.transaction() as db:
            row = db.execute("SELECT id FROM articles WHERE source = ? OR id = ?", (source, source)).fetchone()
            if not row:
                return False
            texts = [text for (text,) in db.execute("SELECT text FROM article_versions WHERE article_id = ?",
                                                    (row[0],))]
            StoredParses(self).forget_texts(texts)
            db.execute("DELETE FROM article_search WHERE article_id = ?", (row[0],))
            db.execute("DELETE FROM articles WHERE id = ?", (row[0],))
        return True

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

    def save_relations(self, done: Sequence[Prepared], relations: Sequence[Relation]) -> None:
        """Record the relations found for newly prepared articles, replacing what older versions had."""
        with self.transaction() as db:
            for item in done:
                db.execute("DELETE FROM relations WHERE (a = ? OR b = ?)", (item.id, item.id))
                db.execute("INSERT OR REPLACE INTO reuse_done VALUES (?, ?)", (item.id, item.article.version))
            for r in relations:
                db.execute(
                    "INSERT OR REPLACE INTO relations VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (r.a, r.b, r.kind, r.direction, r.score, _dumps(r.evidence), _dumps(r.passages)),
                )

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

    def save_mentions(self, article: Article, mentions: Sequence[Mention]) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO mentions VALUES (?, ?, ?)", (article.id, article.version,
                                                                          _dumps(mentions)))

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

    def save_story_result(self, story_id: str, stage: str, fingerprint: str, payload: Any) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO story_results VALUES (?, ?, ?, ?)",
                       (story_id, stage, fingerprint, _dumps(payload)))

    # --- outlets (the user's registry; an article's outlet as the user corrects it) -------------

    def save_outlet_registry(self, outlets: Sequence[Outlet]) -> None:
        """Replace the stored registry with ``outlets`` (in their order)."""
        from ..outlets.registry import outlet_to_json

        with self.transaction() as db:
            db.execute("DELETE FROM outlet_registry")
            db.executemany("INSERT INTO outlet_registry VALUES (?, ?, ?)",
                           [(i, o.name, _dumps(outlet_to_json(o))) for i, o in enumerate(outlets)])

    def set_outlet(self, article_id: str, outlet: Optional[str]) -> bool:
        """Set (or clear, with None) an article's outlet. False when there is no such article."""
        with self.transaction() as db:
            changed = db.execute("UPDATE articles SET outlet = ? WHERE id = ?", (outlet, article_id)).rowcount
        return bool(changed)


def _entity_article_rows(entities: Sequence[Entity]) -> list[tuple[str, str, int]]:
    rows: list[tuple[str, str, int]] = []
    for entity in entities:
        counts: dict[str, int] = {article_id: 0 for article_id in entity.articles}
        for mention in entity.mentions:
            counts[mention.article] = counts.get(mention.article, 0) + 1
        rows.extend((entity.id, article_id, count) for article_id, count in counts.items())
    return rows
