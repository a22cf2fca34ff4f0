"""Starting Spark, and saying clearly what is missing when it cannot start."""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any, Optional

INSTALL_HINT = "the Spark engine needs the optional extra: pip install 'storyline[spark]'"
JAVA_HINT = ("Spark needs Java 17 (on Debian/Ubuntu: apt-get install openjdk-17-jre-headless), "
             "on the PATH or named by JAVA_HOME")


# A laptop's cores, a few tasks each: Spark's default of 200 shuffle partitions is for clusters.
LOCAL_SHUFFLE_PARTITIONS = 8


class SparkUnavailable(RuntimeError):
    """pyspark or Java is missing: the message says what to install."""


def require_pyspark() -> None:
    """Raise SparkUnavailable unless pyspark imports and a Java runtime is there to run it."""
    try:
        import pyspark  # noqa: F401  (only checking that the extra is installed)
    except ImportError as error:
        raise SparkUnavailable(INSTALL_HINT) from error
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and os.path.exists(os.path.join(java_home, "bin", "java"))):
        raise SparkUnavailable(JAVA_HINT)


def spark_session(master: Optional[str] = None, *, app_name: str = "storyline",
                  shuffle_partitions: Optional[int] = None, config: Optional[dict[str, str]] = None) -> Any:
    """The active SparkSession, or a new one.

    Under ``spark-submit`` the master and resources come from spark-submit and
    ``master`` should stay None. Started from Python without a master, Spark
    runs in local mode on every core. The Python workers run the interpreter
    that runs this (where storyline is installed), unless PYSPARK_PYTHON says
    otherwise; in local mode the web UI is off and Spark binds to the loopback
    address (a machine with no network would otherwise stall resolving its
    host name).
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    # spark-submit starts the JVM first and hands the Python driver its gateway.
    launched_by_submit = "PYSPARK_GATEWAY_PORT" in os.environ
    if master is None and not launched_by_submit:
        master = "local[*]"
    local = master is not None and master.startswith("local")
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    if local:
        builder = (builder.config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                   .config("spark.driver.host", "127.0.0.1"))
        shuffle_partitions = shuffle_partitions or LOCAL_SHUFFLE_PARTITIONS
    if shuffle_partitions is not None:
        # RDD joins and unions otherwise add up their inputs' partition counts at every step.
        builder = (builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
                   .config("spark.default.parallelism", str(shuffle_partitions)))
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session

