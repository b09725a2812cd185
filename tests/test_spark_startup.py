"""What makes a local Spark run start sooner: the JVM's class-data archive (coach.spark.cds) and
the Python daemon that builds the analyzer before it forks the workers (coach.spark.daemon).
Each is checked for what can go wrong (a half-written or foreign archive, a Java that refuses
the options, a spec the daemon cannot read); that results stay the same is tests/test_spark.py's."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coach.spark import cds

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COACH_NO_CACHE", raising=False)
    monkeypatch.delenv("COACH_SPARK_CDS", raising=False)
    return tmp_path / "cache"


def _java_or_skip():
    pytest.importorskip("pyspark", reason="pyspark is the [spark] extra")
    if cds.java_binary() is None:
        pytest.skip("no Java runtime")


def test_the_archive_is_named_for_this_java_spark_and_options_and_can_be_turned_off(cache, monkeypatch):
    _java_or_skip()
    a = cds.archive_path("-XX:TieredStopAtLevel=1")
    assert a is not None and a.parent == cache and a.name.startswith("spark-cds-") and a.suffix == ".jsa"
    assert cds.archive_path("-XX:TieredStopAtLevel=1") == a != cds.archive_path("-Xmx2g")
    monkeypatch.setenv("COACH_SPARK_CDS", "0")
    assert cds.archive_path("") is None
    monkeypatch.delenv("COACH_SPARK_CDS")
    monkeypatch.setenv("COACH_NO_CACHE", "1")
    assert cds.archive_path("") is None


def test_without_an_archive_a_run_writes_one_only_when_asked_and_keeps_it_only_after_a_clean_exit(cache):
    archive = cache / "spark-cds-x.jsa"
    assert cds.options(archive, create=False) == ([], None)
    opts, unfinished = cds.options(archive, create=True)
    assert unfinished is not None and unfinished.parent == cache and unfinished.name.endswith(".tmp")
    assert f"-XX:ArchiveClassesAtExit={unfinished}" in opts and "-XX:+IgnoreUnrecognizedVMOptions" in opts
    unfinished.write_bytes(b"written at exit")
    assert not cds.finish(unfinished, archive, 1)  # the JVM failed: never mapped later
    assert not archive.exists() and not unfinished.exists()
    unfinished.write_bytes(b"written at exit")
    assert cds.finish(unfinished, archive, 0)
    assert archive.read_bytes() == b"written at exit" and not unfinished.exists()
    assert cds.options(archive, create=True) == ([*cds.QUIET, f"-XX:SharedArchiveFile={archive}"], None)


def test_an_archive_others_may_write_or_an_empty_one_is_not_mapped_and_stale_leftovers_go(cache):
    cache.mkdir()
    archive = cache / "spark-cds-x.jsa"
    archive.write_bytes(b"")
    assert cds.options(archive, create=False) == ([], None)
    archive.write_bytes(b"x")
    archive.chmod(0o666)
    assert cds.options(archive, create=False) == ([], None)
    archive.unlink()
    old, fresh = cache / "spark-cds-x.jsa.1.tmp", cache / "spark-cds-x.jsa.2.tmp"
    for leftover in (old, fresh):
        leftover.write_bytes(b"half")
    os.utime(old, (time.time() - 2 * cds.STALE_SECONDS,) * 2)
    cds.options(archive, create=True)
    assert not old.exists() and fresh.exists()  # another run may still be writing `fresh`


def test_the_installed_java_writes_and_maps_an_archive_with_these_options(tmp_path):
    _java_or_skip()
    java = cds.java_binary()
    archive = tmp_path / "a.jsa"
    made = subprocess.run([java, *cds.QUIET, f"-XX:ArchiveClassesAtExit={archive}", "-version"], capture_output=True)
    assert made.returncode == 0 and archive.stat().st_size > 0, made.stderr
    used = subprocess.run([java, *cds.QUIET, f"-XX:SharedArchiveFile={archive}", "-version"], capture_output=True)
    assert used.returncode == 0 and b"cds" not in used.stdout + used.stderr  # mapped, and quietly


def test_a_local_run_writes_the_archive_once_then_maps_it_with_the_same_results(tmp_path):
    """Two fresh processes, as users run them: the first keeps the archive its JVM wrote, the second maps it."""
    _java_or_skip()
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [
        {"speaker": "customer", "text": "It broke."},
        {"speaker": "agent", "text": "Sadly there's nothing I can do."},
    ]
    pq.write_table(pa.table({"id": ["c1", "c2"], "turns": [rows, rows]}), str(tmp_path / "in.parquet"))
    env = {**os.environ, "COACH_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    env.pop("COACH_NO_CACHE", None)
    env.pop("COACH_SPARK_CDS", None)
    outputs = []
    for run in range(2):
        out = tmp_path / f"out{run}"
        cmd = [sys.executable, "-m", "coach", "score", "--no-progress", "--engine", "spark", "--master", "local[1]"]
        r = subprocess.run(
            [*cmd, "in.parquet", "--format", "jsonl", "-o", str(out)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
        assert ("keeping the Spark JVM's loaded classes" in r.stderr) == (run == 0), r.stderr
        assert [p.name for p in (tmp_path / "cache").glob("spark-cds-*")] == [
            p.name for p in (tmp_path / "cache").glob("*.jsa")
        ]
        assert len(list((tmp_path / "cache").glob("*.jsa"))) == 1
        outputs.append(sorted(line for p in out.glob("part-*") for line in p.read_text().splitlines()))
    assert len(outputs[0]) == 2 and outputs[0] == outputs[1]
