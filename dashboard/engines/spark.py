"""The indicator definitions on Spark SQL (pyspark), over the product's own published Parquet
(the file lists of etl/lake.py).

Local mode for tests and bench (`local[2]`, 4 shuffle partitions, a 1 GB driver: the machine is
shared); on a cluster the same statements run unchanged with another master (docs/distributed.md).

Timestamps are naive local time (contract §1): the session time zone is UTC so that no engine
shifts them. The rollups of etl/sql/rollups/*.sql are built once per session
(`CACHE LAZY TABLE … AS`), as the loader builds them once per load; the figures and the
体外循环 signals then read them, like the dashboard.
"""

from __future__ import annotations

import gc
import glob
import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dashboard.engines import port
from etl.lake import Lake

LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "1g",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC -XX:+UseSerialGC",
    # county codes stay text (a county code is a name, not a number)
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}


def java_home() -> str | None:
    """JAVA_HOME, else Debian's OpenJDK 17, else a `java` on PATH (None: no Java)."""
    if os.environ.get("JAVA_HOME") and Path(os.environ["JAVA_HOME"], "bin", "java").exists():
        return os.environ["JAVA_HOME"]
    for candidate in sorted(glob.glob("/usr/lib/jvm/java-17-openjdk-*")):
        if Path(candidate, "bin", "java").exists():
            return candidate
    java = shutil.which("java")
    return str(Path(java).resolve().parents[1]) if java else None


@contextmanager
def session(master: str = "local[2]", conf: dict[str, str] | None = None) -> Iterator:
    """A SparkSession (stopped on exit)."""
    home = java_home()
    if home is None:
        raise RuntimeError("Spark needs Java 17: apt-get install openjdk-17-jre-headless")
    os.environ["JAVA_HOME"] = home
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode: no network lookups
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName("service-pulse")
    for key, value in {**LOCAL_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        with quiet_sockets():
            spark.stop()
            _shutdown_gateway(SparkContext)


@contextmanager
def quiet_sockets() -> Iterator[None]:
    """pyspark leaves the sockets it reads results through to be closed when they are freed,
    which Python reports as ResourceWarnings (errors in the tests): not ours to fix, so quiet
    while pyspark works, and collect the garbage before leaving."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        yield
        gc.collect()


def _shutdown_gateway(context) -> None:
    """Close py4j's sockets and end the JVM pyspark started (it exits when its stdin closes),
    so that no socket is left for the garbage collector and no process outlives the work."""
    gateway = context._gateway
    if gateway is None:
        return
    gateway.shutdown()
    proc = getattr(gateway, "proc", None)
    if proc is not None:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except Exception:
            proc.kill()
            proc.wait()
    context._gateway = None
    context._jvm = None


def register(spark, lake: Lake) -> None:
    """Temporary views named like the store's tables over the lake's files: the explicit list
    the generation's catalog names (never a folder or a glob), columns merged by name across
    files (a column added later reads as NULL in older files), no partition columns from the
    paths (the files hold every column)."""
    for table, files in lake.tables().items():
        frame = spark.read.option("mergeSchema", "true").parquet(*files)
        frame.createOrReplaceTempView(table)


def build_rollups(spark, tables: tuple[str, ...] | None = None) -> None:
    """The rollups of etl/sql/rollups/*.sql (those named, default all) as views cached in the
    session at first use: the loader's tables, built once per session."""
    for table, select in port.rollup_statements("spark"):
        if tables is None or table in tables:
            spark.catalog.dropTempView(table)  # a previous build's
            with quiet_sockets():
                spark.sql(f"cache lazy table {table} as {select}")


def frame(spark, sql: str):
    """A Spark SQL query's rows as a polars frame (columns in the query's order)."""
    import polars as pl

    with quiet_sockets():
        result = spark.sql(sql)
        names = result.columns
        rows = result.collect()
    # every row read to type a column (a column null in the first rows is not text)
    return pl.DataFrame(
        [tuple(r) for r in rows], schema=names, orient="row", infer_schema_length=None
    )


def figures(spark, level: str, values: dict):
    """The figures per town or per county as a polars frame (see port.figures_query)."""
    return frame(spark, port.render(port.expand(port.figures_query(level), values), "spark"))


def signals(spark, values: dict):
    """The 体外循环 signals per town × department × signal (see port.signals_query)."""
    return frame(spark, port.render(port.expand(port.signals_query(), values), "spark"))
