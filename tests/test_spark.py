"""coach on Apache Spark (local mode, one small shared SparkSession): the same results as the
single-machine engine, custom phrasebooks and models travelling with the job, the DataFrame API,
and the command line's checks. Skips, saying why, where pyspark or a Java runtime is missing."""

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

pa = pytest.importorskip("pyarrow", reason="pyarrow is the [parquet]/[spark] extra")
pq = pytest.importorskip("pyarrow.parquet")

from coach.cli import app  # noqa: E402
from coach.errors import UsageError  # noqa: E402
from coach.spark import worker  # noqa: E402
from coach.spark.job import java_available  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()
BLOCK = "Sadly there's nothing I can do."


def _skip_without_spark():
    pytest.importorskip("pyspark", reason="pyspark is the [spark] extra")
    if not java_available():
        pytest.skip("no Java runtime, which Spark needs (.ci/run installs openjdk-17-jre-headless where apt can)")


@pytest.fixture(scope="module")
def spark():
    _skip_without_spark()
    from coach.spark.job import session

    s = session("local[2]")
    s.conf.set("spark.sql.shuffle.partitions", "2")
    s.conf.set("spark.sql.files.maxPartitionBytes", "32k")  # several row groups per task: split files
    s.conf.set("spark.sql.files.openCostInBytes", "0")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """bench/'s synthetic chats (120 conversations) as two Parquet files of conversations, row
    groups of 20, and the same turns as one turn-per-row file with its own column names."""
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    root = tmp_path_factory.mktemp("lake")
    generate.generate(120, 7, str(root / "chats.jsonl"))
    rows = [json.loads(line) for line in (root / "chats.jsonl").read_text().splitlines()]
    convs = root / "convs"
    convs.mkdir()
    for part, chunk in enumerate((rows[:70], rows[70:])):
        table = pa.table(
            {
                "id": [r["id"] for r in chunk],
                "agent": [r.get("agent") for r in chunk],
                "channel": [r.get("channel") for r in chunk],
                "turns": [
                    [{k: t.get(k) for k in ("speaker", "text", "name", "time")} for t in r["turns"]] for r in chunk
                ],
            }
        )
        pq.write_table(table, str(convs / f"part-{part}.parquet"), row_group_size=20)
    flat = {"ticket": [], "who": [], "said": [], "rep": []}
    for r in rows[:60]:
        for t in r["turns"]:
            flat["ticket"].append(r["id"])
            flat["who"].append(t["speaker"])
            flat["said"].append(t["text"])
            flat["rep"].append(r.get("agent"))
    turns = root / "turns.parquet"
    pq.write_table(pa.table(flat), str(turns), row_group_size=50)
    return {"convs": convs, "turns": turns, "root": root}


def cli(*args):
    return runner.invoke(app, ["score", "--no-progress", *args])


def part_lines(folder: Path) -> list[str]:
    return sorted(line for p in sorted(folder.glob("part-*")) for line in p.read_text().splitlines())


def rows_of(path: Path, keys=("source", "record", "index", "start", "rule")) -> list[dict]:
    rows = pq.read_table(str(path)).to_pylist()
    for row in rows:
        if "counts" in row and isinstance(row["counts"], list):
            row["counts"] = dict(row["counts"])
    return sorted(rows, key=lambda r: tuple(str(r.get(k)) for k in keys))


def test_spark_jsonl_is_identical_to_the_local_engine_model_findings_included(spark, lake, tmp_path):
    local, out = tmp_path / "local.jsonl", tmp_path / "spark"
    r = cli(str(lake["convs"]), "--format", "jsonl", "-o", str(local))
    assert r.exit_code == 0, r.output
    r = cli("--engine", "spark", "--master", "local[2]", str(lake["convs"]), "--format", "jsonl", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "120 conversations scored on Spark" in r.output
    assert len(list(out.glob("part-*"))) > 1  # the files were split between tasks
    assert part_lines(out) == sorted(local.read_text().splitlines())
    sources = {
        f["source"] for line in local.read_text().splitlines() for t in json.loads(line)["turns"] for f in t["findings"]
    }
    assert sources == {"rule", "model"}


def test_turn_per_row_with_column_options_gives_the_same_flat_tables(spark, lake, tmp_path):
    mapping = ["--id-column", "ticket", "--speaker-column", "who", "--text-column", "said", "--agent-column", "rep"]
    for per in ("finding", "turn", "conversation"):
        local, out = tmp_path / f"{per}.parquet", tmp_path / f"spark-{per}"
        r = cli(str(lake["turns"]), *mapping, "--format", "parquet", "--per", per, "-o", str(local))
        assert r.exit_code == 0, r.output
        r = cli("--engine", "spark", str(lake["turns"]), *mapping, "--per", per, "-o", str(out))  # parquet: default
        assert r.exit_code == 0, r.output
        assert rows_of(out) == rows_of(local), per
    assert len(rows_of(tmp_path / "conversation.parquet")) == 60


def test_dataframe_api_results_and_findings_share_one_pass(spark, lake, analyzer):
    from coach.spark import score

    df = spark.read.parquet(str(lake["convs"]))
    results, findings = score(df, analyzer=analyzer, findings=True, sources={})
    flat = score(df, analyzer=analyzer, per="finding")
    key = lambda r: (r["source"], r["record"], r["index"], r["start"], r["rule"])  # noqa: E731
    got = sorted((row.asDict(recursive=True) for row in findings.collect()), key=key)
    assert got and got == sorted((row.asDict(recursive=True) for row in flat.collect()), key=key)
    assert results.count() == 120 and results.is_cached
    results.unpersist()


def test_custom_phrasebook_and_model_travel_with_the_job(spark, lake, tmp_path):
    from coach.analyzer import Analyzer
    from coach.model.store import BUNDLED
    from coach.spark import score

    book = tmp_path / "team.yaml"
    book.write_text(
        """rules:
  - id: blocking.team.sadly
    category: blocking
    phrases: ["unfortunately"]
    message: Leads with bad news.
    rewrites: ["here is what I can do", "let me see what I can do"]
    examples: {match: ["Unfortunately we cannot."], no_match: ["We can."]}
""",
        encoding="utf-8",
    )
    model = tmp_path / "model"
    shutil.copytree(BUNDLED, model)
    analyzer = Analyzer(phrasebooks=[str(book)], model=str(model))
    df = spark.read.parquet(str(lake["convs"]))
    results = score(df, analyzer=analyzer, as_json=True)
    book.unlink()  # the executors never read these paths: the rules and the model's files travel
    shutil.rmtree(model)
    lines = [json.loads(row.value) for row in results.collect()]
    found = [f for conv in lines for t in conv["turns"] for f in t["findings"]]
    assert any(f["rule"] == "blocking.team.sadly" for f in found)
    assert any(f["source"] == "model" for f in found)


def test_a_dataframe_not_read_from_files_needs_ids(spark, analyzer):
    from coach.spark import score

    rows = [("c1", [{"speaker": "customer", "text": "It broke."}, {"speaker": "agent", "text": BLOCK}])]
    df = spark.createDataFrame(rows, "id string, turns array<struct<speaker:string,text:string>>")
    (got,) = score(df, analyzer=analyzer).collect()
    assert (got.conversation, got.source, got.record, got.counts) == ("c1", "", None, {"blocking": 1})
    with pytest.raises(UsageError, match="no conversation id column"):
        score(df.drop("id"), analyzer=analyzer)


def test_a_broken_file_is_reported_and_the_rest_scored(spark, lake, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(lake["convs"], folder)
    (folder / "torn.parquet").write_bytes((folder / "part-0.parquet").read_bytes()[:300])
    out = tmp_path / "out"
    r = cli("--engine", "spark", str(folder), "--no-model", "--format", "jsonl", "-o", str(out))
    assert r.exit_code == 3, r.output
    assert "torn.parquet: cannot read as Parquet" in r.output
    assert len(part_lines(out)) == 120


def test_each_python_worker_builds_the_analyzer_once(monkeypatch, analyzer):
    built = []
    spec = worker.Spec.of(analyzer)
    real = worker.Spec.build
    monkeypatch.setattr(worker.Spec, "build", lambda self: built.append(1) or real(self))
    monkeypatch.setattr(worker, "_ANALYZERS", {})
    table = pa.table(
        {
            "id": ["a", "b"],
            "turns": [[{"speaker": "agent", "text": BLOCK}]] * 2,
            "__source": ["x", "x"],
            "__record": [1, 2],
        }
    )
    from coach.readers import ReaderOptions
    from coach.readers.parquet import arrow_layout

    layout = arrow_layout(table.schema, ReaderOptions())
    for _ in range(3):  # three tasks, each with two batches, on the same worker
        out = list(
            worker.score_batches(
                iter(table.to_batches(max_chunksize=1)),
                key=spec.key,
                spec=spec,
                layout=layout,
                per="conversation",
                as_json=False,
            )
        )
        assert sum(b.num_rows for b in out) == 2
    assert built == [1]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--engine", "spark", "x.parquet"], "give --output OUTDIR"),
        (["--engine", "spark", "x.parquet", "--format", "csv", "-o", "o"], "parquet or jsonl"),
        (["--engine", "spark", "x.parquet", "--redact", "-o", "o"], "--redact is for --engine local"),
        (["--engine", "spark", "x.parquet", "--jobs", "2", "-o", "o"], "--jobs is for --engine local"),
        (["x.parquet", "--master", "local[2]"], "--master needs --engine spark"),
        (["--engine", "spark", "x.parquet", "--since", "7d", "-o", "o"], "--since is for --engine local"),
        (["--engine", "spark", "x.parquet", "--store", "s.db", "-o", "o"], "--store is for --engine local"),
        (["x.parquet", "--format", "parquet", "--per", "agent", "-o", "o.parquet"], "--per agent needs --format csv"),
    ],
)
def test_spark_usage_errors(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    r = cli(*args)
    assert r.exit_code == 2 and message in r.output, r.output


def test_no_java_is_a_usage_error_that_says_what_to_install(monkeypatch, tmp_path):
    pytest.importorskip("pyspark", reason="pyspark is the [spark] extra")
    from coach.spark.job import session

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="needs a Java runtime") as err:
        session("local[1]")
    assert "openjdk-17-jre-headless" in str(err.value)


def test_spark_submit_entry_file_runs_the_command_line(tmp_path):
    import subprocess
    import sys

    path = subprocess.run(
        [sys.executable, "-m", "coach.spark.submit", "--path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert path.endswith("coach/spark/submit.py")
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    r = subprocess.run(
        [sys.executable, path, "score", "--engine", "spark", "x.parquet"], capture_output=True, text=True, cwd=tmp_path
    )  # run by path, as spark-submit runs it
    assert r.returncode == 2 and "give --output OUTDIR" in r.stderr, r.stderr


def test_a_failed_spark_job_is_one_line_not_a_traceback(spark, lake, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    r = cli("--engine", "spark", str(lake["convs"]), "--no-model", "-o", str(blocker / "out"))
    assert r.exit_code == 3, r.output
    errors = [line for line in r.output.splitlines() if line.startswith("coach: error:")]
    assert len(errors) == 1 and "the Spark job failed" in errors[0] and "Traceback" not in r.output
    assert "ParentNotDirectoryException: Parent path is not a directory" in errors[0]  # the cause, named
