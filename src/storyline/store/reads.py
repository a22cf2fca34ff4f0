"""The store's read queries: what the stages read back and what the views and the web app show.

Every query reads committed data only and returns plain dataclasses; the JSON payloads the
stages stored are decoded back into them here.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from ..model import (
    Article, Claim, ClaimEvent, Entity, Event, Evidence, Merge, Mention, Omission, Outlet, Passage, Prepared, Relation,
    Sentence, Story, TimelineEntry,
)
from .schema import StoreBase, _dumps

_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class StoreReads(StoreBase):
    """The read half of :class:`~storyline.store.Store`."""

    # --- articles ----------------------------------------------------------------

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
        sql = ("SELECT article_id, snippet(article_search, 2, '[', ']', '…', 12) FROM article_search"
               " WHERE article_search MATCH ? ORDER BY rank LIMIT ?")
        try:
            rows = self.db.execute(sql, (query, limit)).fetchall()
        except sqlite3.OperationalError:
            # Not valid FTS5 syntax (a stray quote or operator): search the words as a phrase.
            rows = self.db.execute(sql, ('"' + query.replace('"', '""') + '"', limit)).fetchall()
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

    def prepared(self, ids: Optional[Sequence[str]] = None, *, stored_vectors: bool = False,
                 with_sentence_vectors: bool = True) -> list[Prepared]:
        """Prepared articles (only those prepared at their current version), ordered by id.

        ``stored_vectors``: the sentence vectors as stored (float16, read-only), half the memory of the
        float32 copy, for readers that cast the rows they use (reuse) or read none (entity resolution).
        ``with_sentence_vectors`` False: none at all (an empty array), for readers that ask
        :meth:`stored_sentence_vectors` for the few they need at a time (reuse).
        """
        articles = {a.id: a for a in self.articles(ids=ids)}
        vectors_column = "p.sentence_vectors" if with_sentence_vectors else "NULL"
        sql = f"SELECT p.article_id, p.language, p.sentences, p.vector, {vectors_column}, p.minhash FROM prepared p" \
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
                sentence_vectors=(_sentence_rows(sentence_vectors, len(spans), len(vector_array), stored_vectors)
                                  if with_sentence_vectors else np.zeros((0, len(vector_array)), dtype=np.float16)),
                minhash=np.frombuffer(signature, dtype=np.uint32),
            ))
        return out

    def stored_sentence_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The sentence vectors of the articles ``ids`` prepared at their current version, as stored
        (float16, read-only: one row per sentence), by id."""
        found: dict[str, np.ndarray] = {}
        # SQLite takes at most 999 parameters in older builds: a long list goes in slices.
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for article_id, vector, blob in self.db.execute(
                    "SELECT p.article_id, p.vector, p.sentence_vectors FROM prepared p"
                    " JOIN articles a ON a.id = p.article_id AND a.version = p.version"
                    f" WHERE p.article_id IN ({','.join('?' * len(chunk))})", tuple(chunk)):
                dimensions = len(vector) // 4  # the article's float32 vector: as wide as each sentence's
                found[article_id] = _sentence_rows(blob, len(blob) // (2 * dimensions) if dimensions else 0, dimensions, True)
        return found

    def prepared_versions(self) -> dict[str, int]:
        """The version of every article prepared at its current version (what ``prepared()`` returns), by id."""
        return dict(self.db.execute(
            "SELECT p.article_id, p.version FROM prepared p JOIN articles a ON a.id = p.article_id"
            " AND a.version = p.version"))

    # --- reuse ---------------------------------------------------------------------

    def reuse_pending(self) -> list[str]:
        return [row[0] for row in self.db.execute(
            "SELECT p.article_id FROM prepared p JOIN articles a ON a.id = p.article_id AND a.version = p.version"
            " LEFT JOIN reuse_done r ON r.article_id = p.article_id"
            " WHERE r.article_id IS NULL OR r.version != p.version ORDER BY p.article_id"
        )]

    def relations(self, *, with_passages: bool = True) -> list[Relation]:
        """Every relation, ordered by (a, b). ``with_passages`` False: without their evidence and passages
        (empty lists), for readers that ask only which articles derive from which (the stories stage):
        those are most of a relation's size."""
        if not with_passages:
            return [Relation(a, b, kind, direction, score) for a, b, kind, direction, score in self.db.execute(
                "SELECT a, b, kind, direction, score FROM relations ORDER BY a, b")]
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

    def entities(self) -> list[Entity]:
        return [_entity(json.loads(row[0])) for row in self.db.execute("SELECT payload FROM entities ORDER BY id")]

    # --- per-story results (claims, timeline) -------------------------------------------------

    def story_result_fingerprint(self, story_id: str, stage: str) -> Optional[str]:
        row = self.db.execute(
            "SELECT fingerprint FROM story_results WHERE story_id = ? AND stage = ?", (story_id, stage)
        ).fetchone()
        return row[0] if row else None

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
        # Only the two lists taken out of each stored result (by SQLite, which copies their text as stored):
        # the event sub-claims beside them are three quarters of a result's size, and decoding them was
        # most of the timeline stage's time.
        for claims_json, omissions_json in self.db.execute(
                "SELECT json_extract(payload, '$.claims'), json_extract(payload, '$.omissions') FROM story_results"
                " WHERE stage = 'claims' ORDER BY story_id"):
            claims.extend(_claim(c) for c in json.loads(claims_json))
            omissions.extend(Omission(**o) for o in json.loads(omissions_json))
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

        The filters mean what :func:`storyline.views.filters.filter_analysis` means by them: ``since``/``until``
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

    # --- outlets ---------------------------------------------------------------------

    def outlet_registry(self) -> list[Outlet]:
        from ..outlets.registry import outlet_from_json

        try:
            rows = self.db.execute("SELECT payload FROM outlet_registry ORDER BY position").fetchall()
        except sqlite3.OperationalError:
            return []  # a read-only store from before the registry existed
        return [outlet_from_json(json.loads(row[0])) for row in rows]


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


def _sentence_rows(blob: bytes, rows: int, dimensions: int, as_stored: bool) -> np.ndarray:
    stored = np.frombuffer(blob, dtype=np.float16).reshape(rows, dimensions)
    return stored if as_stored else stored.astype(np.float32)
