"""The Parquet layout of a Spark run, and the dataclasses back from it.

One folder per table under the output directory. Each table has flat columns
to query (with Spark SQL, DuckDB, pandas ...) and, where a record nests, a
``payload`` column holding the whole record as JSON (the model's dataclass as
``dataclasses.asdict`` gives it), so new model fields travel without a schema
change here:

=================  ================================================================================
table              columns
=================  ================================================================================
articles           id, source, version, text, title, url, outlet, published, language, byline,
                   reader, embedder, sentence_starts, sentence_ends, vector (float32 bytes),
                   sentence_vectors (float16 bytes, one row per sentence), minhash (uint32
                   bytes), mentions (JSON list)
relations          a, b, kind, direction, score, evidence, payload
near_duplicates    a, b, jaccard
duplicate_groups   article, group (the smallest article id of its near-duplicate component)
stories            id, title, independent_sources, first_published, last_published, articles,
                   payload
entities           id, name, type, aliases, articles, payload
claims             id, story, text, kind, speaker, status, independent_sources, articles, payload
omissions          story, article, claims
claim_events       id, story, lemma, text, articles, claims, payload (the claims' event sub-claims)
timeline           story, date, precision, phrase, text, articles, payload
skipped            source, reason
=================  ================================================================================
"""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any, Optional, Union

import numpy as np

from ..model import Article, Mention, Prepared, Relation, Sentence, Story
from .engine import Result

TABLES = ("articles", "relations", "near_duplicates", "duplicate_groups", "stories", "entities", "claims",
          "omissions", "claim_events", "timeline", "skipped")


def dumps(value: Any) -> str:
    plain = dataclasses.asdict(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else value
    return json.dumps(plain,
                      ensure_ascii=False, separators=(",", ":"))


def _schemas() -> dict[str, Any]:
    from pyspark.sql.types import (ArrayType, BinaryType, DoubleType, IntegerType, StringType, StructField,
                                   StructType)

    def struct(*columns: tuple[str, Any]) -> StructType:
        return StructType([StructField(name, kind, True) for name, kind in columns])

    text, strings, ints = StringType(), ArrayType(StringType()), ArrayType(IntegerType())
    return {
        "articles": struct(("id", text), ("source", text), ("version", IntegerType()), ("text", text),
                           ("title", text), ("url", text), ("outlet", text), ("published", text), ("language", text),
                           ("byline", text), ("reader", text), ("embedder", text), ("sentence_starts", ints),
                           ("sentence_ends", ints), ("vector", BinaryType()), ("sentence_vectors", BinaryType()),
                           ("minhash", BinaryType()), ("mentions", text)),
        "relations": struct(("a", text), ("b", text), ("kind", text), ("direction", text), ("score", DoubleType()),
                            ("evidence", strings), ("payload", text)),
        "near_duplicates": struct(("a", text), ("b", text), ("jaccard", DoubleType())),
        "duplicate_groups": struct(("article", text), ("group", text)),
        "stories": struct(("id", text), ("title", text), ("independent_sources", IntegerType()),
                          ("first_published", text), ("last_published", text), ("articles", strings),
                          ("payload", text)),
        "entities": struct(("id", text), ("name", text), ("type", text), ("aliases", strings),
                           ("articles", strings), ("payload", text)),
        "claims": struct(("id", text), ("story", text), ("text", text), ("kind", text), ("speaker", text),
                         ("status", text), ("independent_sources", IntegerType()), ("articles", strings),
                         ("payload", text)),
        "omissions": struct(("story", text), ("article", text), ("claims", strings)),
        "claim_events": struct(("id", text), ("story", text), ("lemma", text), ("text", text), ("articles", strings),
                               ("claims", strings), ("payload", text)),
        "timeline": struct(("story", text), ("date", text), ("precision", text), ("phrase", text), ("text", text),
                           ("articles", strings), ("payload", text)),
        "skipped": struct(("source", text), ("reason", text)),
    }


# --- rows out -------------------------------------------------------------------------------------


def article_row(prepared: Prepared, mentions: Optional[list[Mention]], embedder: str) -> tuple:
    a = prepared.article
    return (a.id, a.source, a.version, a.text, a.title, a.url, a.outlet, a.published, a.language, a.byline,
            None, embedder, [s.start for s in prepared.sentences], [s.end for s in prepared.sentences],
            np.asarray(prepared.vector, dtype=np.float32).tobytes(),
            np.asarray(prepared.sentence_vectors, dtype=np.float32).astype(np.float16).tobytes(),
            np.asarray(prepared.minhash, dtype=np.uint32).tobytes(),
            None if mentions is None else dumps([dataclasses.asdict(m) for m in mentions]))


def relation_row(r: Relation) -> tuple:
    return (r.a, r.b, r.kind, r.direction, float(r.score), list(r.evidence), dumps(r))


def story_row(story: Story, published: dict[str, Optional[str]]) -> tuple:
    dates = sorted(d for d in (published.get(a) for a in story.articles) if d)
    return (story.id, story.title, story.independent_sources, dates[0] if dates else None,
            dates[-1] if dates else None, list(story.articles), dumps(story))


def write(spark: Any, result: Result, output: str, *, embedder: str) -> list[str]:
    """Write every table the run produced; returns the tables written."""
    schemas = _schemas()
    written: list[str] = []

    def save(name: str, rows: Any) -> None:
        spark.createDataFrame(rows, schemas[name]).write.mode("overwrite").parquet(f"{output.rstrip('/')}/{name}")
        written.append(name)

    save("skipped", spark.sparkContext.parallelize([(s.source, s.reason) for s in result.skipped] or [], 1))
    if result.articles is None:
        return written
    mentions = result.mentions if result.mentions is not None else result.articles.context.emptyRDD()
    articles = result.articles.map(lambda p: (p.id, p)).leftOuterJoin(mentions).map(
        lambda kv: article_row(kv[1][0], kv[1][1], embedder))
    save("articles", articles)
    if result.near_duplicates is not None:
        save("near_duplicates", result.near_duplicates.map(lambda t: (t[0], t[1], float(t[2]))))
        save("duplicate_groups", result.duplicate_groups)
    if result.relations is not None:
        save("relations", result.relations.map(relation_row))
    if result.stories is not None:
        published = result.articles.map(lambda p: (p.id, p.article.published))
        with_dates = (result.stories.flatMap(lambda s: [(a, s.id) for a in s.articles]).join(published)
                      .map(lambda kv: (kv[1][0], (kv[0], kv[1][1]))).groupByKey().mapValues(dict))
        save("stories", result.stories.keyBy(lambda s: s.id).join(with_dates)
             .map(lambda kv: story_row(kv[1][0], kv[1][1])))
    if result.entities is not None:
        save("entities", result.entities.map(lambda e: (e.id, e.name, e.type, list(e.aliases), list(e.articles),
                                                         dumps(e))))
    # A run stopped after the entities stage (``--until entities``) has no per-story results.
    if result.claims is not None:
        save("claims", result.claims.map(lambda c: (c.id, c.story, c.text, c.kind, c.speaker, c.status,
                                                     int(c.independent_sources), list(c.articles), dumps(c))))
        save("omissions", result.omissions.map(lambda o: (o.story, o.article, list(o.claims))))
        save("claim_events", result.claim_events.map(lambda e: (e.id, e.story, e.lemma, e.text, list(e.articles),
                                                                 list(e.claims), dumps(e))))
        save("timeline", result.timeline.map(lambda t: (t.story, t.date, t.precision, t.phrase, t.text,
                                                         list(t.articles), dumps(t))))
    return written


# --- records back -----------------------------------------------------------------------------------


def from_plain(kind: Any, value: Any) -> Any:
    """A value of type ``kind`` (a model dataclass, list, tuple, Optional ...) from its JSON form."""
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        known = {f.name for f in dataclasses.fields(kind) if f.init}
        return kind(**{name: from_plain(hints[name], item) for name, item in value.items() if name in known})
    if origin is Union:
        options = [option for option in typing.get_args(kind) if option is not type(None)]
        return from_plain(options[0], value) if len(options) == 1 else value
    if origin is list:
        (item_kind,) = typing.get_args(kind) or (Any,)
        return [from_plain(item_kind, item) for item in value]
    if origin is tuple:
        arguments = typing.get_args(kind)
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return tuple(from_plain(arguments[0], item) for item in value)
        return tuple(from_plain(item_kind, item) for item_kind, item in zip(arguments, value))
    return value


def prepared_from_row(row: Any) -> Prepared:
    article = Article(id=row["id"], source=row["source"], text=row["text"], title=row["title"], url=row["url"],
                      outlet=row["outlet"], published=row["published"], language=row["language"],
                      byline=row["byline"], version=row["version"] or 1)
    spans = list(zip(row["sentence_starts"] or [], row["sentence_ends"] or []))
    vector = np.frombuffer(bytes(row["vector"]), dtype=np.float32)
    return Prepared(
        article=article,
        language=row["language"],
        sentences=[Sentence(start, end, article.text[start:end]) for start, end in spans],
        vector=vector,
        sentence_vectors=np.frombuffer(bytes(row["sentence_vectors"]), dtype=np.float16).astype(np.float32)
        .reshape(len(spans), len(vector)),
        minhash=np.frombuffer(bytes(row["minhash"]), dtype=np.uint32),
    )
