"""What the distributed engine needs beyond the stages' settings, and how it keeps and sizes its datasets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import reuse as reuse_stage
from .. import stories as stories_stage
from ..claims.settings import ClaimSettings
from ..embedders import DEFAULT_EMBEDDER
from ..entities.settings import EntitySettings
from ..timeline.settings import TimelineSettings


@dataclass(frozen=True)
class SparkSettings:
    """What the distributed run needs beyond the stage defaults; defaults suit a laptop and a cluster."""

    embedder: str = DEFAULT_EMBEDDER
    # Articles embedded per call inside a partition (as the embedded runner batches them).
    prepare_batch: int = 64
    # The reuse stage's settings, as the embedded engine's (``analyze --settings FILE``).
    reuse_settings: reuse_stage.ReuseSettings = field(default_factory=reuse_stage.ReuseSettings)
    # Reuse is searched within windows of this many days and between neighbouring windows
    # (0: the stories' calendar blocks, ``StorySettings.partition_days``): copies further apart
    # in time are found only as near-duplicates.
    reuse_window_days: int = 0
    # Stories are clustered per calendar block of ``story_settings.partition_days`` days (one task
    # each), as the embedded engine does: the same settings give the same stories.
    story_settings: stories_stage.StorySettings = field(default_factory=stories_stage.StorySettings)
    # Entity resolution's settings, as the embedded engine's (``analyze --settings FILE``).
    entity_settings: EntitySettings = field(default_factory=EntitySettings)
    # The claims and timeline stages' settings, as the embedded engine's.
    claim_settings: ClaimSettings = field(default_factory=ClaimSettings)
    timeline_settings: TimelineSettings = field(default_factory=TimelineSettings)
    # Partitions for the per-article stages (0: Spark's default parallelism times 4).
    partitions: int = 0

    def reuse_window(self) -> int:
        return self.reuse_window_days or self.story_settings.partition_days

    @property
    def near_duplicate_jaccard(self) -> float:
        """Estimated Jaccard at which two LSH candidates are near-duplicates: the reuse stage's candidate threshold."""
        return self.reuse_settings.candidate_jaccard


def persisted(rdd: Any) -> Any:
    from pyspark import StorageLevel

    return rdd.persist(StorageLevel.MEMORY_AND_DISK)


def partition_count(spark_context: Any, settings: SparkSettings, items: int) -> int:
    wanted = settings.partitions or spark_context.defaultParallelism * 4
    return max(1, min(wanted, items))
