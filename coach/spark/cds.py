"""A class-data-sharing archive of the Spark driver JVM's classes, for `--engine spark` in local mode.

A local Spark run's JVM spends ~5 CPU-seconds loading and verifying the ~10^4 classes of
Spark, Netty and Catalyst before the first task (bench/spark.py). HotSpot's dynamic CDS
(JDK 13+: `-XX:ArchiveClassesAtExit`, `-XX:SharedArchiveFile`) maps them ready-made from
one file instead. The first local run writes the archive when its JVM exits (a few seconds
and ~170 MB in coach's cache folder, named for this Java and this Spark); later runs map it.
The JVM checks the archive against its own build and class path and runs without it when
they differ. COACH_NO_CACHE=1 (as for every coach cache) or COACH_SPARK_CDS=0 turns it off.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import time
from pathlib import Path

#: What every archive option comes with: a Java without dynamic CDS (< 13) ignores the options
#: (instead of refusing to start), and CDS's notices (signed jars skipped while dumping, an
#: archive of another build not used) stay off the run's output.
QUIET = ("-XX:+IgnoreUnrecognizedVMOptions", "-Xlog:cds=off", "-Xlog:cds+dynamic=off")
#: An unfinished archive older than this was left by a run that died; it is deleted.
STALE_SECONDS = 3600


def java_binary() -> str | None:
    """The java Spark's launcher runs: JAVA_HOME's, else the first on PATH (as bin/spark-class finds it)."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return os.path.realpath(os.path.join(home, "bin", "java"))
    found = shutil.which("java")
    return os.path.realpath(found) if found else None


def archive_path(java_options: str) -> Path | None:
    """Where this Java's and this Spark's archive lives (None: turned off, or no cache folder)."""
    if os.environ.get("COACH_SPARK_CDS", "1") == "0":
        return None
    from ..engine.cache import cache_dir

    directory = cache_dir()
    java = java_binary()
    if directory is None or java is None:
        return None
    import pyspark

    st = os.stat(java)
    spark = [pyspark.__version__, os.path.dirname(pyspark.__file__)]
    key = "\0".join([*spark, java, str(st.st_size), str(st.st_mtime_ns), java_options])
    return directory / f"spark-cds-{hashlib.sha256(key.encode()).hexdigest()[:20]}.jsa"


def _usable(path: Path) -> bool:
    """Our own complete archive that no one else may write: the JVM maps it as code."""
    import stat

    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
        return False
    return not (hasattr(os, "geteuid") and (st.st_uid != os.geteuid() or st.st_mode & 0o022))


def options(archive: Path | None, *, create: bool) -> tuple[list[str], Path | None]:
    """(JVM options, the unfinished archive this run's JVM writes at exit, or None): map the
    archive when there is one; else, with `create`, have the JVM write one (see `finish`)."""
    if archive is None:
        return [], None
    if _usable(archive):
        return [*QUIET, f"-XX:SharedArchiveFile={archive}"], None
    if not create:
        return [], None
    try:
        archive.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return [], None
    for old in glob.glob(f"{glob.escape(str(archive))}.*.tmp"):
        try:
            if time.time() - os.path.getmtime(old) > STALE_SECONDS:
                os.unlink(old)
        except OSError:
            pass
    unfinished = archive.with_name(f"{archive.name}.{os.getpid()}.tmp")
    return [*QUIET, f"-XX:ArchiveClassesAtExit={unfinished}"], unfinished


def finish(unfinished: Path, archive: Path, exit_code: int | None) -> bool:
    """After the JVM that wrote `unfinished` has exited: keep it as the archive when the JVM
    exited cleanly (HotSpot deletes what it could not write whole), else delete it."""
    try:
        if exit_code == 0 and unfinished.is_file() and unfinished.stat().st_size > 0:
            os.replace(unfinished, archive)
            return True
        unfinished.unlink(missing_ok=True)
    except OSError:
        pass
    return False
