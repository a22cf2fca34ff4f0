"""The ``storyline/1`` JSON export of an analysis and its validation against the JSON Schema.

The JSON export is the contract other tools read, so it is built to diff cleanly:
the same :class:`~storyline.model.Analysis` always gives byte-identical text, whatever
order the stages happened to produce their lists in. The ordering rules are:

1. articles by ``source``, then ``id`` (the source is what a user recognises);
2. every list of article ids in that same article order (ids unknown to the export last, by id);
3. stories, entities and claims by ``id`` (claims by ``story`` first);
4. events inside a story chronologically (undated last), then by ``id``;
5. relations by ``story``, ``a``, ``b``; omissions by ``story`` and article order;
6. timeline entries by ``story``, then chronologically (undated last), then phrase and text;
7. spans-bearing lists (passages, mentions, evidence) by article order and span;
   aliases and conflict ids sorted; a relation's evidence strings and an entity's merges
   keep the producer's order, because they are prose read in sequence.

Floats are rounded to four decimals. Dates are ISO 8601 (``2025-02-03``, ``2025-02``,
``2025``): a date-time is cut to its date, and a value that is no ISO date at all is
exported as ``null`` (unknown), never guessed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

from ..atomic import atomic_write_text
from ..model import Analysis, Article, Claim, ClaimEvent, Entity, Event, Evidence, Relation, Story, TimelineEntry
from ..outlets.annotate import annotate_export
from ..stages import STAGES

__all__ = [
    "ISO_DATE",
    "SCHEMA_ID",
    "SCHEMA_PATH",
    "ExportValidationError",
    "dumps",
    "load_schema",
    "normalize_date",
    "to_json",
    "validate_export",
    "write_json",
]

SCHEMA_ID = "storyline/1"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "storyline-1.schema.json"

ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# A date-time ("2025-02-03T10:00:00Z", "2025-02-03 10:00") is exported as its date.
_ISO_DATETIME_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}")
_FLOAT_DECIMALS = 4
_MAX_REPORTED_PROBLEMS = 20


# --- small conversions ---------------------------------------------------------


def normalize_date(value: Optional[str]) -> Optional[str]:
    """``value`` as an export date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``), or None when it is none."""
    if value is None:
        return None
    text = value.strip()
    if ISO_DATE.match(text):
        return text
    datetime_match = _ISO_DATETIME_PREFIX.match(text)
    if datetime_match:
        return datetime_match.group(1)
    return None


def _span(span: Sequence[int]) -> list[int]:
    start, end = span
    return [int(start), int(end)]


def _number(value: float, where: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        # NaN and infinity are not JSON; a stage that produced one has a bug worth seeing.
        raise ValueError(f"{where} is {number!r}; the export needs a finite number")
    return round(number, _FLOAT_DECIMALS)


def _chronological_key(date: Optional[str]) -> tuple[bool, str]:
    """Sorts ISO dates of mixed precision chronologically (``2025`` before ``2025-02``), undated last."""
    return (date is None, date or "")


class _ArticleOrder:
    """The export's one article order, used by every list of article ids."""

    def __init__(self, articles: Iterable[Article]) -> None:
        ordered = sorted(articles, key=lambda article: (article.source, article.id))
        self.rank = {article.id: index for index, article in enumerate(ordered)}
        self.articles = ordered

    def key(self, article_id: str) -> tuple[int, str]:
        return (self.rank.get(article_id, len(self.rank)), article_id)

    def ids(self, article_ids: Iterable[str]) -> list[str]:
        return sorted(dict.fromkeys(article_ids), key=self.key)


class _StoryLookup:
    """Which stories hold an article, in story id order (an article is normally in one)."""

    def __init__(self, stories: Sequence[Story]) -> None:
        self.stories_of: dict[str, list[str]] = {}
        for story in sorted(stories, key=lambda story: story.id):
            for article_id in dict.fromkeys(story.articles):
                self.stories_of.setdefault(article_id, []).append(story.id)

    def of_relation(self, relation: Relation) -> Optional[str]:
        """The story holding both articles, else the one holding ``a``, else ``b``'s, else None."""
        stories_of_a = self.stories_of.get(relation.a, [])
        stories_of_b = set(self.stories_of.get(relation.b, []))
        for story_id in stories_of_a:
            if story_id in stories_of_b:
                return story_id
        for candidates in (stories_of_a, self.stories_of.get(relation.b, [])):
            if candidates:
                return candidates[0]
        return None


# --- the storyline/1 object ------------------------------------------------------


def to_json(analysis: Analysis) -> dict[str, Any]:
    """The ``storyline/1`` export of ``analysis`` as a JSON-ready dict (keys in the documented order)."""
    order = _ArticleOrder(analysis.articles)
    stories = sorted(analysis.stories, key=lambda story: story.id)
    story_lookup = _StoryLookup(stories)
    shallow = set(analysis.shallow_stories)

    def evidence_key(evidence: Evidence) -> tuple[tuple[int, str], int, int]:
        return (order.key(evidence.article), int(evidence.span[0]), int(evidence.span[1]))

    def article_json(article: Article) -> dict[str, Any]:
        return {
            "id": article.id,
            "source": article.source,
            "outlet": article.outlet,
            "title": article.title,
            "published": normalize_date(article.published),
            "language": article.language,
            "byline": article.byline,
            "version": int(article.version),
        }

    def event_json(event: Event) -> dict[str, Any]:
        return {
            "id": event.id,
            "title": event.title,
            "articles": order.ids(event.articles),
            "date": normalize_date(event.date),
        }

    def story_json(story: Story) -> dict[str, Any]:
        events = sorted(story.events, key=lambda event: (_chronological_key(normalize_date(event.date)), event.id))
        return {
            "id": story.id,
            "title": story.title,
            "articles": order.ids(story.articles),
            "independent_sources": int(story.independent_sources),
            "events": [event_json(event) for event in events],
            "analysed_in_depth": story.id not in shallow,
        }

    def relation_json(relation: Relation) -> dict[str, Any]:
        where = f"relation {relation.a} {relation.b}"
        passages = sorted(relation.passages, key=lambda passage: (_span(passage.a), _span(passage.b)))
        return {
            "story": story_lookup.of_relation(relation),
            "a": relation.a,
            "b": relation.b,
            "kind": relation.kind,
            "direction": relation.direction,
            "score": _number(relation.score, f"{where}: score"),
            "evidence": [str(item) for item in relation.evidence],
            "passages": [
                {
                    "a": _span(passage.a),
                    "b": _span(passage.b),
                    "similarity": _number(passage.similarity, f"{where}: passage similarity"),
                }
                for passage in passages
            ],
        }

    def entity_json(entity: Entity) -> dict[str, Any]:
        mentions = sorted(
            entity.mentions, key=lambda mention: (order.key(mention.article), _span(mention.span), mention.text)
        )
        return {
            "id": entity.id,
            "name": entity.name,
            "type": entity.type,
            "aliases": sorted(dict.fromkeys(entity.aliases)),
            "articles": order.ids(entity.articles),
            "mentions": [
                {"article": mention.article, "span": _span(mention.span), "text": mention.text} for mention in mentions
            ],
            "merges": [
                {"aliases": list(merge.aliases), "rule": merge.rule, "evidence": merge.evidence}
                for merge in entity.merges
            ],
        }

    def claim_json(claim: Claim) -> dict[str, Any]:
        return {
            "id": claim.id,
            "story": claim.story,
            "text": claim.text,
            "kind": claim.kind,
            "speaker": claim.speaker,
            "articles": order.ids(claim.articles),
            "status": claim.status,
            "independent_sources": int(claim.independent_sources),
            "conflicts": sorted(dict.fromkeys(claim.conflicts)),
            "evidence": [
                {
                    "article": evidence.article,
                    "span": _span(evidence.span),
                    "sentence": evidence.sentence,
                    "wording": evidence.wording,
                    "attributed_to": evidence.attributed_to,
                    "markers": list(evidence.markers),
                    "hedges": list(evidence.hedges),
                    "quotes": list(evidence.quotes),
                    "derived_from": evidence.derived_from,
                    "derivation": evidence.derivation,
                }
                for evidence in sorted(claim.evidence, key=evidence_key)
            ],
            "opinion": bool(claim.opinion),
            "markers": list(claim.markers),
            "checkworthiness": round(float(claim.checkworthiness), 4),
            "origin": claim.origin,
            "sources": order.ids(claim.sources),
            "speaker_name": claim.speaker_name,
            "events": list(claim.events),
        }

    def claim_event_json(event: ClaimEvent) -> dict[str, Any]:
        return {
            "id": event.id,
            "story": event.story,
            "lemma": event.lemma,
            "text": event.text,
            "articles": order.ids(event.articles),
            "mentions": [
                {"article": m.article, "span": _span(m.span), "sentence": m.sentence, "wording": m.wording}
                for m in sorted(event.mentions, key=evidence_key)
            ],
            "claims": list(event.claims),
            "minor": bool(event.minor),
        }

    def timeline_json(entry: TimelineEntry) -> dict[str, Any]:
        return {
            "story": entry.story,
            "date": normalize_date(entry.date),
            "precision": entry.precision,
            "phrase": entry.phrase,
            "text": entry.text,
            "articles": order.ids(entry.articles),
            "evidence": [
                {"article": evidence.article, "span": _span(evidence.span), "sentence": evidence.sentence}
                for evidence in sorted(entry.evidence, key=evidence_key)
            ],
            "anchor": entry.anchor,
        }

    relations = sorted(
        (relation_json(relation) for relation in analysis.relations),
        key=lambda item: (item["story"] is None, item["story"] or "", item["a"], item["b"], item["kind"]),
    )
    omissions = [
        {"story": omission.story, "article": omission.article, "claims": sorted(dict.fromkeys(omission.claims))}
        for omission in sorted(analysis.omissions, key=lambda o: (o.story, order.key(o.article)))
    ]
    timeline = sorted(
        (timeline_json(entry) for entry in analysis.timeline),
        key=lambda item: (item["story"], _chronological_key(item["date"]), item["phrase"], item["text"]),
    )
    doc: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "articles": [article_json(article) for article in order.articles],
        "stories": [story_json(story) for story in stories],
        "relations": relations,
        "entities": [entity_json(entity) for entity in sorted(analysis.entities, key=lambda entity: entity.id)],
        "claims": [claim_json(claim) for claim in sorted(analysis.claims, key=lambda claim: (claim.story, claim.id))],
        "omissions": omissions,
        "timeline": timeline,
    }
    # Who covers what: outlets resolved through the registry, wire copies, coverage and blindspots.
    annotate_export(doc, analysis)
    # Added after the outlets so the earlier keys keep their documented order.
    doc["claim_events"] = [claim_event_json(event) for event in
                           sorted(analysis.claim_events, key=lambda event: (event.story, event.id))]
    # The language scope, so a reader of the file knows which results to trust for a non-English article.
    doc["languages"] = {stage.name: stage.languages for stage in STAGES}
    return doc


def dumps(doc: Mapping[str, Any]) -> str:
    """The export's text form: UTF-8-friendly, two-space indented, newline-terminated."""
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def write_json(analysis: Analysis, path: str | Path, *, validate: bool = True) -> Path:
    """Write the ``storyline/1`` export of ``analysis`` to ``path``, validated against the schema first."""
    doc = to_json(analysis)
    if validate:
        validate_export(doc)
    return atomic_write_text(path, dumps(doc))


# --- schema and validation ----------------------------------------------------------


class ExportValidationError(ValueError):
    """An export that breaks the ``storyline/1`` schema or refers to things it does not contain."""

    def __init__(self, problems: Sequence[str], total: int) -> None:
        self.problems = list(problems)
        self.total = total
        shown = "\n".join(f"  - {problem}" for problem in self.problems)
        more = f"\n  ... and {total - len(self.problems)} more" if total > len(self.problems) else ""
        super().__init__(f"storyline/1 export is invalid ({total} problem{'s' if total != 1 else ''}):\n{shown}{more}")


def load_schema() -> dict[str, Any]:
    """The ``storyline/1`` JSON Schema (Draft 2020-12), read afresh on every call (it is small)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _integrity_problems(doc: Mapping[str, Any]) -> list[str]:
    """What a schema cannot say: ids unique, references resolve, spans ordered, dates match precision."""
    problems: list[str] = []

    def unique_ids(table: str) -> set[str]:
        seen: set[str] = set()
        for index, item in enumerate(doc.get(table, [])):
            if item["id"] in seen:
                problems.append(f"$.{table}[{index}].id: duplicate id {item['id']!r}")
            seen.add(item["id"])
        return seen

    article_ids = unique_ids("articles")
    story_ids = unique_ids("stories")
    entity_ids = unique_ids("entities")
    claim_ids = unique_ids("claims")
    event_ids: set[str] = set()

    def refer(path: str, value: Optional[str], known: set[str], what: str) -> None:
        if value is not None and value not in known:
            problems.append(f"{path}: {value!r} is no {what} of this export")

    def refer_all(path: str, values: Sequence[str], known: set[str], what: str) -> None:
        for index, value in enumerate(values):
            refer(f"{path}[{index}]", value, known, what)

    def ordered_span(path: str, span: Sequence[int]) -> None:
        if span[0] > span[1]:
            problems.append(f"{path}: span starts after it ends ({span[0]} > {span[1]})")

    for s, story in enumerate(doc["stories"]):
        refer_all(f"$.stories[{s}].articles", story["articles"], article_ids, "article")
        for e, event in enumerate(story["events"]):
            if event["id"] in event_ids:
                problems.append(f"$.stories[{s}].events[{e}].id: duplicate event id {event['id']!r}")
            event_ids.add(event["id"])
            refer_all(f"$.stories[{s}].events[{e}].articles", event["articles"], article_ids, "article")
    for r, relation in enumerate(doc["relations"]):
        path = f"$.relations[{r}]"
        refer(f"{path}.story", relation["story"], story_ids, "story")
        refer(f"{path}.a", relation["a"], article_ids, "article")
        refer(f"{path}.b", relation["b"], article_ids, "article")
        for p, passage in enumerate(relation["passages"]):
            ordered_span(f"{path}.passages[{p}].a", passage["a"])
            ordered_span(f"{path}.passages[{p}].b", passage["b"])
    for n, entity in enumerate(doc["entities"]):
        refer_all(f"$.entities[{n}].articles", entity["articles"], article_ids, "article")
        for m, mention in enumerate(entity["mentions"]):
            refer(f"$.entities[{n}].mentions[{m}].article", mention["article"], article_ids, "article")
            ordered_span(f"$.entities[{n}].mentions[{m}].span", mention["span"])
    for c, claim in enumerate(doc["claims"]):
        path = f"$.claims[{c}]"
        refer(f"{path}.story", claim["story"], story_ids, "story")
        refer(f"{path}.speaker", claim["speaker"], entity_ids, "entity")
        refer_all(f"{path}.articles", claim["articles"], article_ids, "article")
        refer_all(f"{path}.conflicts", claim["conflicts"], claim_ids, "claim")
        for v, evidence in enumerate(claim["evidence"]):
            refer(f"{path}.evidence[{v}].article", evidence["article"], article_ids, "article")
            ordered_span(f"{path}.evidence[{v}].span", evidence["span"])
    for e, claim_event in enumerate(doc.get("claim_events", [])):
        path = f"$.claim_events[{e}]"
        refer(f"{path}.story", claim_event["story"], story_ids, "story")
        refer_all(f"{path}.articles", claim_event["articles"], article_ids, "article")
        refer_all(f"{path}.claims", claim_event["claims"], claim_ids, "claim")
        for m, mention in enumerate(claim_event["mentions"]):
            refer(f"{path}.mentions[{m}].article", mention["article"], article_ids, "article")
            ordered_span(f"{path}.mentions[{m}].span", mention["span"])
    for o, omission in enumerate(doc["omissions"]):
        refer(f"$.omissions[{o}].story", omission["story"], story_ids, "story")
        refer(f"$.omissions[{o}].article", omission["article"], article_ids, "article")
        refer_all(f"$.omissions[{o}].claims", omission["claims"], claim_ids, "claim")
    precision_by_length = {4: "year", 7: "month", 10: "day"}
    for t, entry in enumerate(doc["timeline"]):
        path = f"$.timeline[{t}]"
        refer(f"{path}.story", entry["story"], story_ids, "story")
        refer_all(f"{path}.articles", entry["articles"], article_ids, "article")
        expected = None if entry["date"] is None else precision_by_length.get(len(entry["date"]))
        if entry["precision"] != expected:
            problems.append(f"{path}.precision: {entry['precision']!r} does not match date {entry['date']!r}")
        for v, evidence in enumerate(entry["evidence"]):
            refer(f"{path}.evidence[{v}].article", evidence["article"], article_ids, "article")
            ordered_span(f"{path}.evidence[{v}].span", evidence["span"])
    return problems


def validate_export(doc: Mapping[str, Any]) -> None:
    """Raise :class:`ExportValidationError` naming the first problems (with JSON paths) if ``doc`` is invalid.

    Checks the JSON Schema first (Draft 2020-12); only a document that passes it is
    then checked for what the schema cannot express (unique ids, references that
    resolve, ordered spans, a timeline precision that matches its date).
    """
    from jsonschema import Draft202012Validator  # imported here: only validation needs it

    validator = Draft202012Validator(load_schema())
    def error_order(error: Any) -> tuple[list[tuple[int, Any]], str]:
        # Paths mix list indexes and keys; tagging them keeps the comparison well typed.
        return ([(0, part) if isinstance(part, int) else (1, part) for part in error.absolute_path], error.message)

    errors = sorted(validator.iter_errors(doc), key=error_order)
    if errors:
        problems = [f"{error.json_path}: {error.message}" for error in errors]
    else:
        problems = _integrity_problems(doc)
    if problems:
        raise ExportValidationError(problems[:_MAX_REPORTED_PROBLEMS], len(problems))
