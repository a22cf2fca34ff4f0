"""The distributed engine: the same stage cores as the embedded pipeline, run over Apache Spark.

Install with ``pip install 'storyline[spark]'`` (pyspark; Spark needs Java 17).
From Python::

    from storyline.spark import SparkSettings, run, spark_session

    spark = spark_session("local[2]")
    run(spark, ["examples/seeds"], "out/run1")

From the shell: ``storyline spark analyze INPUT... --output DIR`` or
``spark-submit`` with :mod:`storyline.spark.submit`; ``storyline spark load DIR
--db FILE`` brings a run into the SQLite store for the web app.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional, Sequence

from .session import SparkUnavailable, require_pyspark, spark_session

__all__ = ["SparkSettings", "SparkUnavailable", "load", "require_pyspark", "run", "spark_session"]


def __getattr__(name: str) -> Any:
    # The engine imports the stage modules (spaCy, numpy ...): only when asked for.
    if name == "SparkSettings":
        from .engine import SparkSettings

        return SparkSettings
    if name == "load":
        from .load import load

        return load
    raise AttributeError(name)


def run(spark: Any, inputs: Sequence[str], output: str, settings: Optional[Any] = None, *,
        until: Optional[str] = None, on_stage: Optional[Callable[[str, float, int], None]] = None) -> Any:
    """Analyse ``inputs`` and write every table as Parquet under ``output``; returns the engine's Result."""
    from .engine import SparkSettings, analyze
    from .tables import write

    settings = settings or SparkSettings()
    result = analyze(spark, inputs, settings, until=until, on_stage=on_stage)
    started = time.perf_counter()
    result.counts["tables"] = len(write(spark, result, output, embedder=settings.embedder))
    result.seconds["write"] = time.perf_counter() - started
    if on_stage:
        on_stage("write", result.seconds["write"], result.counts["tables"])
    return result
