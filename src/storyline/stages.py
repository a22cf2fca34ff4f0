"""The stage registry: the pipeline's stages in order, each one pure core function with what it reads and writes.

Both engines map over this one list: the embedded runner (:mod:`storyline.pipeline`)
persists each stage's output in the store and runs only what changed; the Spark
engine (:mod:`storyline.spark.engine`) decides which records meet in which task and
calls the same cores. The numbering below is the only one; other docstrings name
stages, not numbers.

1. read      inputs → documents, metadata completed from the text    ``readers.read_paths``
2. prepare   language, sentences, embeddings, MinHash                ``prepare.prepare``
3. reuse     relations between new articles and all others           ``reuse.relate``
4. stories   stories and their events                                ``stories.cluster_stories``
5. entities  mentions by language (per article) → entities           ``entities.resolve_entities``
6. claims    the claim ledger per story, with its event sub-claims    ``claims.build_story_claims``
7. timeline  dated happenings per story                               ``timeline.build_timeline``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal, Optional

from . import claims, entities, prepare, reuse, stories, timeline
from .ner import extract_mentions_by_language
from .readers import read_paths

Unit = Literal["input", "article", "corpus", "story"]


@dataclass(frozen=True)
class Stage:
    """One stage: its core, the records it reads and writes, and the unit its work splits by.

    ``unit`` says what an engine may run apart: one input or article at a time,
    only the whole corpus at once, or one story at a time. ``per_article`` is a
    step a corpus-wide stage runs on each article first (entities: the mentions).
    ``settings`` names the section of :class:`storyline.settings.Settings` the core takes as its
    ``settings`` argument (both engines pass the run's; the shipped defaults when None is passed).
    """

    name: str
    core: Callable[..., Any]
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    unit: Unit
    per_article: Optional[Callable[..., Any]] = None
    settings: Optional[str] = None
    # The languages the stage works in, as the export states it (README, "Languages", says why).
    languages: str = "any"

    def article_step(self) -> Callable[..., Any]:
        """The per-article step; ValueError for a stage that has none."""
        if self.per_article is None:
            raise ValueError(f"the {self.name} stage has no per-article step")
        return self.per_article


STAGES: tuple[Stage, ...] = (
    Stage("read", read_paths, reads=("inputs",), writes=("documents",), unit="input",
          languages="any; the metadata read from the text (dates, bylines): English"),
    Stage("prepare", prepare.prepare, reads=("articles",), writes=("prepared",), unit="article"),
    Stage("reuse", reuse.relate, reads=("prepared", "relations"), writes=("relations",), unit="corpus",
          settings="reuse"),
    Stage("stories", stories.cluster_stories, reads=("prepared", "relations"), writes=("stories",), unit="corpus",
          settings="stories"),
    Stage("entities", entities.resolve_entities, reads=("mentions", "prepared", "relations", "stories"),
          writes=("mentions", "entities"), unit="corpus", per_article=extract_mentions_by_language,
          settings="entities", languages="English and French NER (other languages read by the English model); "
                                         "the resolver's type cues and title words: English"),
    Stage("claims", claims.build_story_claims, reads=("stories", "prepared", "relations", "entities"),
          writes=("claims", "omissions", "claim_events"), unit="story", settings="claims", languages="English"),
    Stage("timeline", timeline.build_timeline, reads=("stories", "prepared", "claims"), writes=("timeline",),
          unit="story", settings="timeline", languages="English"),
)

STAGE_NAMES: tuple[str, ...] = tuple(stage.name for stage in STAGES)
# What ``analyze`` runs over a store; reading is ``ingest``'s.
ANALYSIS_STAGES: tuple[str, ...] = STAGE_NAMES[1:]
_BY_NAME = {stage.name: stage for stage in STAGES}


def stage(name: str) -> Stage:
    """The stage of that name; ValueError naming the stages when there is none."""
    if name not in _BY_NAME:
        raise ValueError(f"unknown stage {name!r}; stages: {', '.join(STAGE_NAMES)}")
    return _BY_NAME[name]


def check_until(until: Optional[str], names: tuple[str, ...]) -> None:
    """Refuse a stage to stop after that the run does not have."""
    if until is not None and until not in names:
        raise ValueError(f"unknown stage {until!r}; stages: {', '.join(names)}")
