"""`coach score --engine spark`: read Parquet inputs with Spark, score them with `coach.spark.score`,
write OUTDIR as Parquet or JSON Lines part files.

Local inputs are expanded as `coach score` expands them (folders, globs) and each file's footer
is checked with pyarrow first, so a broken file is reported and skipped (exit 3) instead of
failing the job; URIs (s3a://, abfss://, hdfs://, dbfs:/) go to Spark as given.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from ..errors import CoachError, ExitCode, InputError, UsageError
from ..readers._context import ReaderOptions

Echo = Callable[[str], None]


class SparkJobError(CoachError):
    """The Spark job failed; nothing (or only part) of OUTDIR was written."""

    exit_code = ExitCode.INPUT_FAILED


def _is_uri(path: str) -> bool:
    return "://" in path or path.startswith("dbfs:")


def java_available() -> bool:
    """A Java runtime Spark can start: JAVA_HOME's, or `java` on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return True
    return shutil.which("java") is not None


#: (unfinished, final) class-data archive the JVM this process started writes when it exits (coach.spark.cds).
_PENDING_ARCHIVE: tuple[Path, Path] | None = None


def session(master: str | None, *, progress: bool = False, write_archive: bool = False):
    """The active SparkSession, or a new one (local[*] when neither --master nor spark-submit names one).

    A local JVM this starts maps coach's class-data archive (coach.spark.cds); with
    `write_archive`, one that finds none writes it when it exits (`stop_jvm` then keeps it)."""
    global _PENDING_ARCHIVE
    from . import require_pyspark

    require_pyspark()
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if not java_available():
        raise UsageError(
            "the Spark engine needs a Java runtime (17 or newer)",
            hint="install one (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME",
        )
    # spark-submit (and Databricks) start the JVM and name the master: then take their session.
    under_submit = (
        "PYSPARK_GATEWAY_PORT" in os.environ
        or "DATABRICKS_RUNTIME_VERSION" in os.environ
        or SparkSession.getActiveSession() is not None
    )
    if master is None and not under_submit:
        master = "local[*]"
    builder = SparkSession.builder.appName("coach score")
    if master is not None:
        builder = builder.master(master)
    if master is not None and master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers run this coach
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # one machine: stay on loopback
        log4j = os.path.join(os.path.dirname(os.path.abspath(__file__)), "log4j2.properties")
        # C1 only: the JVM just decodes Parquet and moves Arrow batches here, and full JIT
        # compilation cost ~4 CPU-s of every run's start-up (bench/spark.py)
        java = f"-Dlog4j2.configurationFile=file:{log4j} -XX:TieredStopAtLevel=1"
        if SparkContext._gateway is None:  # this process starts the JVM: give it the class archive
            from . import cds

            archive = cds.archive_path(java)
            extra, unfinished = cds.options(archive, create=write_archive)
            java = " ".join([java, *extra])
            if unfinished is not None and archive is not None:
                _PENDING_ARCHIVE = (unfinished, archive)
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.extraJavaOptions", java)
        )
    builder = builder.config("spark.ui.showConsoleProgress", "true" if progress else "false")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    if master is not None and master.startswith("local"):
        # Several tasks per core (down to single row groups), not one big split each: the cores then
        # finish together, even when one is slowed by other work.
        spark.conf.set("spark.sql.files.minPartitionNum", str(4 * spark.sparkContext.defaultParallelism))
        spark.conf.set("spark.sql.files.openCostInBytes", str(64 << 10))
    return spark


def _parquet_files(paths: list[str], failed: list[CoachError], warn: Echo) -> tuple[list[str], list[str]]:
    """(local Parquet files, URIs): folders and globs expanded; unreadable or non-Parquet files
    reported and left out."""
    import pyarrow.parquet as pq

    from ..readers import iter_sources
    from ..readers.parquet import MAGIC

    local: list[str] = []
    remote: list[str] = []
    for given in paths:
        if _is_uri(given):
            remote.append(given)
            continue
        if given == "-":
            raise UsageError("--engine spark reads files, not stdin")
        try:
            found = list(iter_sources([given]))
        except UsageError:
            raise
        except CoachError as exc:
            failed.append(exc)
            warn(f"{exc}; skipped")
            continue
        for path in found:
            try:
                with open(path, "rb") as handle:
                    if handle.read(4) != MAGIC:
                        raise InputError(
                            "not a Parquet file; --engine spark reads Parquet",
                            path=path,
                            hint="score it with the local engine, or convert it to Parquet",
                        )
                pq.read_schema(path)
            except InputError as exc:
                failed.append(exc)
                warn(f"{exc}; skipped")
                continue
            except Exception as exc:  # noqa: BLE001 - pyarrow's errors for a torn or foreign file vary
                error = InputError(f"cannot read as Parquet: {exc}", path=path)
                failed.append(error)
                warn(f"{error}; skipped")
                continue
            local.append(path)
    return local, remote


def _names(files: list[str]) -> dict[str, str]:
    """Spark's file URIs for local files -> the paths as the user gave them (what `source` shows)."""
    names: dict[str, str] = {}
    for path in files:
        full = os.path.abspath(path)
        for uri in (f"file:{full}", f"file://{full}", f"file:{quote(full)}", f"file://{quote(full)}"):
            names[uri] = path
    return names


def _groups(files: list[str], options: ReaderOptions) -> list[tuple[list[str], object]]:
    """Files grouped by schema, each group with its pyarrow schema: each is read as one
    DataFrame, with the schema given (Spark then skips a job that reads every footer)."""
    import pyarrow.parquet as pq

    from ..readers.parquet import arrow_layout

    groups: dict[str, tuple[list[str], object]] = {}
    for path in files:
        schema = pq.read_schema(path)
        try:
            arrow_layout(schema, options)
        except InputError as exc:
            exc.path = path
            raise
        groups.setdefault(str(schema.remove_metadata()), ([], schema.remove_metadata()))[0].append(path)
    return list(groups.values())


def run_job(
    paths: list[str],
    *,
    output: str | None,
    fmt: str,
    per: str,
    master: str | None,
    options: ReaderOptions,
    analyzer,
    warn: Echo,
    echo: Echo,
    progress: bool = False,
) -> tuple[int, list[CoachError]]:
    """Score `paths` on Spark into the folder `output`; returns (conversations written, input problems)."""
    from . import require_pyspark, score

    if output in (None, "-"):
        raise UsageError("--engine spark writes a folder of part files: give --output OUTDIR")
    if fmt not in ("parquet", "jsonl"):
        raise UsageError(f"--engine spark writes --format parquet or jsonl, not {fmt}")
    if fmt == "jsonl" and per != "conversation":
        raise UsageError("--per turn/finding needs --format parquet")
    require_pyspark()
    _check_output(output)
    failed: list[CoachError] = []
    local, remote = _parquet_files(paths, failed, warn)
    groups = _groups(local, options) + ([(remote, None)] if remote else [])
    if not groups:
        echo("coach: no Parquet input to score")
        return 0, failed
    started = time.perf_counter()
    spark = session(master, progress=progress, write_archive=True)
    counter = spark.sparkContext.accumulator(0)
    names = _names(local)
    frames = []
    for files, schema in groups:
        reader = spark.read
        if schema is not None:
            from pyspark.sql.pandas.types import from_arrow_schema

            reader = reader.schema(from_arrow_schema(schema))
        df = reader.parquet(*files)
        frames.append(
            score(
                df,
                analyzer=analyzer,
                per=per,
                as_json=fmt == "jsonl",
                sources=names,
                id_column=options.id_column,
                speaker_column=options.speaker_column,
                text_column=options.text_column,
                agent_column=options.agent_column,
                time_column=options.time_column,
                name_column=options.name_column,
                agent_names=options.agent_names,
                counter=counter,
            )
        )
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    writer = result.write.mode("overwrite")
    try:
        if fmt == "parquet":
            writer.option("compression", "zstd").parquet(output)
        else:
            writer.text(output)
    except Exception as exc:  # noqa: BLE001 - Py4J and Spark raise many kinds; report one line
        stop_jvm(spark, None)
        raise SparkJobError(
            f"the Spark job failed: {_cause(exc)[:300]}",
            path=output,
            hint="the driver and executor logs have the details",
        ) from None
    seconds = time.perf_counter() - started
    done = counter.value
    echo(
        f"coach: {done} conversations scored on Spark ({spark.sparkContext.master}) in "
        f"{seconds:.1f} s; written to {output}"
    )
    stop_jvm(spark, echo)
    return done, failed


def stop_jvm(spark, echo: Echo | None) -> None:
    """Stop the session and the JVM this process started, waiting for it to exit, when that JVM
    writes the class archive as it exits: then the archive is kept (coach.spark.cds.finish)."""
    global _PENDING_ARCHIVE
    pending, _PENDING_ARCHIVE = _PENDING_ARCHIVE, None
    if pending is None:
        return
    from pyspark import SparkContext

    from . import cds

    if echo is not None:
        echo("coach: keeping the Spark JVM's loaded classes for quicker starts (once for this Java and Spark)")
    gateway = SparkContext._gateway
    proc = getattr(gateway, "proc", None)
    spark.stop()
    code = None
    if proc is not None and proc.stdin is not None:
        proc.stdin.close()  # the gateway exits when its stdin closes
        try:
            code = proc.wait(timeout=300)
        except Exception:  # noqa: BLE001 - a JVM that will not exit: the archive is not kept
            code = None
        if gateway is not None:
            gateway.shutdown()
        SparkContext._gateway = None  # a later session in this process starts a new JVM
        SparkContext._jvm = None
    cds.finish(*pending, code)


def _cause(exc: Exception) -> str:
    """The line of a Spark error that says what went wrong: the first Java or Python exception
    with its message, rather than Py4J's "An error occurred while calling o97.parquet"."""
    import re

    java = getattr(exc, "java_exception", None)  # Py4J's error carries the Java exception itself
    if java is not None:
        try:
            return str(java.toString())
        except Exception:  # noqa: BLE001 - the gateway may be gone
            pass
    lines = [line.strip().lstrip(": ") for line in str(exc).splitlines() if line.strip()]
    named = re.compile(r"^(?:Caused by: )?[\w.$]+(?:Exception|Error): \S")
    return next((line for line in lines if named.match(line)), lines[0] if lines else type(exc).__name__)


def _check_output(output: str) -> None:
    """OUTDIR is replaced whole; refuse to replace a file or a folder that is not a Spark output."""
    if _is_uri(output) or not os.path.exists(output):
        return
    if not os.path.isdir(output):
        raise UsageError(
            "--engine spark writes a folder, and this is a file", path=output, hint="give a new folder name"
        )
    entries = [e for e in os.listdir(output) if not e.startswith((".", "_"))]
    if entries and not any(e.startswith("part-") for e in entries):
        raise UsageError(
            "folder exists and is not a Spark output; it would be replaced",
            path=output,
            hint="give a new or empty folder",
        )
