"""`coach score` end to end: inputs, formats, atomic output, bad inputs skipped, jobs."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app

DATA = Path(__file__).parent / "data" / "transcripts"
runner = CliRunner()


@pytest.fixture
def score(test_phrasebook):
    def run(*args):
        return runner.invoke(app, ["score", "--no-progress", "--no-defaults", "-p", str(test_phrasebook), *args])

    return run


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "convs.jsonl"
    rows = []
    for i in range(40):
        agent_text = "Sadly there's nothing I can do." if i % 4 == 0 else "Let me check what I can do."
        rows.append(
            {
                "id": f"c{i}",
                "agent": f"agent{i % 3}",
                "turns": [
                    {"speaker": "customer", "text": "My order never arrived."},
                    {"speaker": "agent", "text": agent_text},
                ],
            }
        )
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_jsonl_one_line_per_conversation_in_order(score, corpus, tmp_path):
    out = tmp_path / "scores.jsonl"
    r = score(str(corpus), "--format", "jsonl", "-o", str(out))
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["conversation"] for x in lines] == [f"c{i}" for i in range(40)]
    first = lines[0]
    assert first["schema"] == "coach/1" and first["turns"][1]["findings"][0]["rule"] == "blocking.nothing-i-can-do"
    assert first["turns"][0]["speaker"] == "customer" and first["turns"][0]["findings"] == []


def test_jobs_two_gives_same_results(score, corpus, tmp_path):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert score(str(corpus), "--format", "jsonl", "-o", str(one)).exit_code == 0
    assert score(str(corpus), "--format", "jsonl", "-o", str(two), "--jobs", "2").exit_code == 0
    assert one.read_text() == two.read_text()


def test_csv_per_conversation_and_per_finding(score, corpus, tmp_path):
    r = score(str(corpus), "--format", "csv")
    assert r.stdout.splitlines()[0].startswith("conversation,")
    assert len(r.stdout.splitlines()) == 41
    r = score(str(corpus), "--format", "csv", "--per", "finding")
    assert "blocking.nothing-i-can-do" in r.stdout


def test_html_report_written_atomically(score, corpus, tmp_path):
    out = tmp_path / "report.html"
    assert score(str(corpus), "--format", "html", "-o", str(out)).exit_code == 0
    page = out.read_text()
    assert "<svg" in page and "agent0" in page
    assert not list(tmp_path.glob(".coach-*"))


def test_rich_tables(score, corpus):
    r = score(str(corpus), "--no-color")
    assert r.exit_code == 0
    assert "agent0" in r.stdout and "blocking.nothing-i-can-do" in r.stdout


def test_bad_file_reported_and_skipped_rest_scored(score, corpus, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(corpus, folder / "good.jsonl")
    (folder / "bad.json").write_text("{not json", encoding="utf-8")
    (folder / "mixed.jsonl").write_text(
        '{"id": "ok", "turns": [{"speaker": "agent", "text": "Hi"}]}\n{broken\n', encoding="utf-8"
    )
    r = score(str(folder), "--format", "jsonl")
    assert r.exit_code == 3
    ids = [json.loads(x)["conversation"] for x in r.stdout.splitlines()]
    assert len(ids) == 41 and "ok" in ids
    assert "bad.json" in r.stderr and "mixed.jsonl:2" in r.stderr
    assert "Traceback" not in r.output


def test_every_sample_format_scores(score):
    r = score(str(DATA), "--format", "jsonl")
    assert r.exit_code == 0, r.stderr
    assert len(r.stdout.splitlines()) >= 15


def test_missing_path_is_a_usage_error_before_anything_is_scored(score, corpus, tmp_path):
    r = score(str(corpus), "/nonexistent/folder", "--format", "jsonl")
    assert r.exit_code == 2 and r.stdout == ""
    assert "/nonexistent/folder: no such file or folder" in r.stderr
    r = score(str(tmp_path / "*.nothing"), "--format", "jsonl")
    assert r.exit_code == 2 and "no files match" in r.stderr


def test_score_reads_project_config(tmp_path, corpus, test_phrasebook):
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.coach]\nphrasebooks = ["{test_phrasebook}"]\nno-defaults = true\nignore = ["advocacy"]\n',
        encoding="utf-8",
    )
    r = runner.invoke(app, ["score", str(corpus), "--format", "jsonl", "--no-progress"])
    assert r.exit_code == 0, r.output
    rules = {f["rule"] for line in r.stdout.splitlines() for t in json.loads(line)["turns"] for f in t["findings"]}
    assert rules == {"blocking.nothing-i-can-do"}


def test_progress_follows_the_bytes_behind_each_scored_conversation(corpus, tmp_path):
    """The bar's fraction and ETA come from input bytes; each report takes back the read
    position of its own conversation, however far reading has run ahead."""
    from coach.cli.score import ProgressBar
    from coach.inputs import InputPosition, conversations
    from coach.readers import ReaderOptions

    second = tmp_path / "more.jsonl"
    second.write_bytes(corpus.read_bytes())
    position, failed = InputPosition(), []
    convs = list(conversations([str(corpus), str(second)], ReaderOptions(), failed, position=position))
    size = corpus.stat().st_size + second.stat().st_size
    assert len(convs) == 80 and not failed
    assert position.total == size and position.finished == size
    marks = list(position.marks)
    assert len(marks) == 80 and marks == sorted(marks) and marks[0] > 0 and marks[-1] <= size
    with ProgressBar(True, True, position) as tick:
        tick()
        assert position.total and len(position.marks) == 79
    stdin = InputPosition()
    stdin.add("-")
    assert stdin.total is None  # no size: the bar counts conversations, no ETA


def test_compressed_twin_is_scored_once(score, corpus, tmp_path):
    import gzip

    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(corpus, folder / "x.jsonl")
    data = corpus.read_bytes()
    changed = data.replace(b'"id": "c0"', b'"id": "c0-new"')  # one conversation differs: it is its own
    (folder / "x.jsonl.gz").write_bytes(gzip.compress(changed))
    r = score(str(folder), "--format", "jsonl")
    assert r.exit_code == 0, r.stderr
    ids = [json.loads(x)["conversation"] for x in r.stdout.splitlines()]
    assert len(ids) == 41 and len(set(ids)) == 41 and "c0-new" in ids
    assert "x.jsonl.gz: 39 conversation(s) are the same" in r.stderr
    (folder / "y.jsonl").write_bytes(data)  # another name: not a twin, scored as given
    r = score(str(folder), "--format", "jsonl")
    assert len(r.stdout.splitlines()) == 81
