"""Bringing a Spark run's Parquet output into the SQLite store, through the store's own methods.

The store then holds what the embedded engine would have written (articles,
prepared signals, mentions, relations, stories, entities, claims with their event sub-claims,
timeline), so
``storyline serve``, ``export`` and ``report`` show it, and a later
``storyline analyze`` on the same store only works on what is new: prepare and
reuse are marked done for every loaded article; claims and timeline are
rebuilt once because their fingerprints say "spark".
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..model import Entity, Mention, Passage, Prepared, RawDocument, Relation, Story
from ..store import Store
from .tables import from_plain, prepared_from_row

BATCH = 500
SPARK_FINGERPRINT = "spark"


@dataclass
class LoadReport:
    counts: dict[str, int] = field(default_factory=dict)


def _rows(spark: Any, directory: str, table: str) -> Iterator[Any]:
    path = f"{directory.rstrip('/')}/{table}"
    if "://" not in directory and not os.path.isdir(path):
        return iter(())
    return spark.read.parquet(path).toLocalIterator()


def load(spark: Any, directory: str, store: Store, *, progress: Callable[[str, int], None] | None = None) -> LoadReport:
    """Load the run under ``directory`` into ``store``; returns how many records of each kind were loaded."""
    report = LoadReport()
    note = progress or (lambda table, count: None)

    # Articles first (identity, versions, full-text index), then their signals and mentions.
    prepared: list[Prepared] = []
    embedder = None
    batch: list[Prepared] = []
    for row in _rows(spark, directory, "articles"):
        item = prepared_from_row(row)
        a = item.article
        store.ingest(RawDocument(source=a.source, text=a.text, title=a.title, url=a.url, outlet=a.outlet,
                                 published=a.published, language=a.language, byline=a.byline,
                                 reader=row["reader"] or "spark"))
        embedder = row["embedder"]
        if row["mentions"] is not None:
            store.save_mentions(a, [from_plain(Mention, m) for m in json.loads(row["mentions"])])
        batch.append(item)
        prepared.append(item)
        if len(batch) == BATCH:
            store.save_prepared(batch, embedder)
            batch = []
    if batch:
        store.save_prepared(batch, embedder or "")
    report.counts["articles"] = len(prepared)
    note("articles", len(prepared))

    relations = [from_plain(Relation, json.loads(row["payload"])) for row in _rows(spark, directory, "relations")]
    for relation in relations:
        relation.passages = [p if isinstance(p, Passage) else from_plain(Passage, p) for p in relation.passages]
    store.save_relations(prepared, relations)
    report.counts["relations"] = len(relations)
    note("relations", len(relations))

    stories = [from_plain(Story, json.loads(row["payload"])) for row in _rows(spark, directory, "stories")]
    if stories:
        store.save_stories(stories, {p.id: p.article.published for p in prepared})
    report.counts["stories"] = len(stories)
    note("stories", len(stories))

    entities = [from_plain(Entity, json.loads(row["payload"])) for row in _rows(spark, directory, "entities")]
    store.save_entities(entities)
    report.counts["entities"] = len(entities)
    note("entities", len(entities))

    def story_payload(story_id: str) -> dict[str, list]:
        return per_story.setdefault(story_id, {"claims": [], "omissions": [], "events": []})

    per_story: dict[str, dict[str, list]] = {}
    for story in stories:
        story_payload(story.id)
    for row in _rows(spark, directory, "claims"):
        story_payload(row["story"])["claims"].append(json.loads(row["payload"]))
    for row in _rows(spark, directory, "omissions"):
        story_payload(row["story"])["omissions"].append(
            {"story": row["story"], "article": row["article"], "claims": list(row["claims"])})
    for row in _rows(spark, directory, "claim_events"):
        story_payload(row["story"])["events"].append(json.loads(row["payload"]))
    timeline: dict[str, list] = {story.id: [] for story in stories}
    for row in _rows(spark, directory, "timeline"):
        timeline.setdefault(row["story"], []).append(json.loads(row["payload"]))
    if report.counts["entities"] or any(v["claims"] for v in per_story.values()):
        for story_id, payload in per_story.items():
            store.save_story_result(story_id, "claims", SPARK_FINGERPRINT, payload)
        for story_id, entries in timeline.items():
            store.save_story_result(story_id, "timeline", SPARK_FINGERPRINT, entries)
    report.counts["claims"] = sum(len(v["claims"]) for v in per_story.values())
    report.counts["timeline"] = sum(len(v) for v in timeline.values())
    note("claims", report.counts["claims"])
    return report
