"""Faults lose nothing: interrupts (SIGINT/SIGTERM) and --resume, a dying worker, a closed
pipe, a full disk, and --redact in every format."""

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach import batch
from coach.cli import app
from coach.models import Conversation, Turn

GOLDEN = Path(__file__).parent / "data" / "golden" / "phrasebook.yaml"
COACH = [sys.executable, "-m", "coach"]


def write_corpus(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(
                json.dumps(
                    {
                        "id": f"c{i}",
                        "agent": "a",
                        "turns": [
                            {"speaker": "customer", "text": "My parcel is late again and nobody has helped me at all."},
                            {
                                "speaker": "agent",
                                "text": "I'm sorry. Sadly there's nothing I can do about the courier, "
                                "it's company policy, but let me check what I can do.",
                            },
                        ],
                    }
                )
                + "\n"
            )


def _live_size(folder: Path, name: str) -> int:
    """The size of the run's own temporary output (`.NAME.XXXXXX.partial`), 0 before it exists."""
    sizes = [p.stat().st_size for p in folder.glob(f".{name}.*.partial") if p.exists()]
    return max(sizes, default=0)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_keeps_whole_lines_and_resume_completes(tmp_path, sig):
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 30_000)
    out = tmp_path / "out.jsonl"
    partial = tmp_path / "out.jsonl.partial"
    cmd = COACH + [
        "score",
        str(corpus),
        "--no-defaults",
        "-p",
        str(GOLDEN),
        "--format",
        "jsonl",
        "-o",
        str(out),
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and _live_size(tmp_path, "out.jsonl") < 10_000:
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted after" in err and "--resume" in err and "Traceback" not in err
    assert not out.exists()
    lines = partial.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines and all(line.endswith("\n") for line in lines)
    with partial.open("a", encoding="utf-8") as handle:  # as if killed mid-line
        handle.write('{"schema": "coach/1", "conversation": "c9')
    done = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ids = [json.loads(line)["conversation"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(ids) == 30_000 and len(set(ids)) == 30_000
    assert not partial.exists()


@pytest.mark.slow
def test_a_killed_run_is_resumed_from_the_file_it_left(tmp_path):
    """SIGKILL leaves no chance to rename: --resume finds the run's own temporary file."""
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 30_000)
    out = tmp_path / "out.jsonl"
    cmd = COACH + [
        "score",
        str(corpus),
        "--no-defaults",
        "-p",
        str(GOLDEN),
        "--format",
        "jsonl",
        "-o",
        str(out),
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and _live_size(tmp_path, "out.jsonl") < 10_000:
        time.sleep(0.05)
    proc.kill()
    proc.communicate(timeout=60)
    assert _live_size(tmp_path, "out.jsonl") >= 10_000 and not out.exists()
    done = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "left by a run that was killed" in done.stderr
    ids = [json.loads(line)["conversation"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(ids) == 30_000 and len(set(ids)) == 30_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_dead_worker_is_reported_and_the_rest_scored(monkeypatch, analyzer):
    real = batch._score_chunk

    def dying(chunk):
        if any(c.id == "poison" for c in chunk):
            os._exit(3)
        return real(chunk)

    monkeypatch.setattr(batch, "_score_chunk", dying)
    convs = [
        Conversation(f"c{i}", (Turn("agent", "there's nothing I can do"),), source="in.jsonl", line=i + 1)
        for i in range(300)
    ]
    convs[150] = Conversation("poison", (Turn("agent", "hi"),), source="in.jsonl", line=151)
    lost = []
    reports = list(batch.score(analyzer, convs, jobs=2, chunk_size=16, on_lost=lost.append))
    assert sorted(r.conversation for r in reports) == sorted(c.id for c in convs if c.id != "poison")
    (chunk,) = lost
    assert chunk.first.id == "poison" and "in.jsonl:151" in chunk.describe()


def _children(pid: int) -> list[int]:
    """The live child processes of `pid` (from /proc: no psutil needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_sigkilled_worker_costs_at_most_its_chunk_and_nothing_outlives_coach(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 6000)
    cmd = COACH + [
        "score",
        str(corpus),
        "--no-defaults",
        "-p",
        str(GOLDEN),
        "--format",
        "jsonl",
        "--no-progress",
        "--no-model",
        "--jobs",
        "2",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    fired = []

    def kill_all() -> None:  # fail, never hang (a worker left alive keeps stdout open)
        fired.append(True)
        os.killpg(proc.pid, signal.SIGKILL)

    hung = threading.Timer(120, kill_all)
    hung.start()
    try:
        first = proc.stdout.readline()  # the workers are busy with the chunks after it
        workers = _children(proc.pid)
        assert first and len(workers) >= 2
        os.kill(workers[0], signal.SIGKILL)
        rest = proc.stdout.read()  # (communicate() may drop what readline() buffered)
        err = proc.stderr.read()
        proc.wait()
    finally:
        hung.cancel()
    assert not fired, "coach or one of its workers was still running after 120 s"
    assert proc.returncode in (0, 3), err
    assert "Traceback" not in err and "internal error" not in err, err
    ids = [json.loads(line)["conversation"] for line in (first + rest).splitlines()]
    assert len(ids) == len(set(ids))
    lost = err.count("a worker process died")
    assert len(ids) + lost * batch.CHUNK_SIZE >= 6000 and (lost == 0) == (proc.returncode == 0)
    time.sleep(0.2)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left


def test_closed_pipe_is_quiet(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 3000)
    cmd = (
        " ".join(
            COACH + ["score", str(corpus), "--no-defaults", "-p", str(GOLDEN), "--format", "jsonl", "--no-progress"]
        )
        + " | head -n 1"
    )
    done = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert len(done.stdout.splitlines()) == 1
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr


def test_full_disk_gives_one_line_and_no_file(tmp_path, monkeypatch):
    import coach.atomic

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(coach.atomic.os, "fsync", full)
    out = tmp_path / "report.html"
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 5)
    r = CliRunner().invoke(
        app,
        ["score", str(corpus), "--no-defaults", "-p", str(GOLDEN), "--format", "html", "-o", str(out), "--no-progress"],
    )
    assert r.exit_code == 2
    assert r.stderr.strip() == f"coach: error: {out}: disk full; nothing was written"
    assert list(tmp_path.iterdir()) == [corpus]


PII = "Hi @jane_d, write to jane.doe@example.com or call +1 415 555 0132; card 4111 1111 1111 1111. "


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "html", "rich"])
def test_redact_in_every_score_format(tmp_path, fmt):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        json.dumps(
            {"id": "x", "agent": "a", "turns": [{"speaker": "agent", "text": PII + "Sadly there's nothing I can do."}]}
        )
        + "\n",
        encoding="utf-8",
    )
    r = CliRunner().invoke(
        app,
        [
            "score",
            str(corpus),
            "--no-defaults",
            "-p",
            str(GOLDEN),
            "--format",
            fmt,
            "--redact",
            "--no-progress",
            "--per",
            "finding",
            "--no-color",
        ],
    )
    assert r.exit_code == 0, r.output
    for secret in ("jane.doe@example.com", "555 0132", "4111 1111", "@jane_d"):
        assert secret not in r.stdout
    if fmt != "csv":
        assert "nothing I can do" in r.stdout  # finding text without PII is kept


@pytest.mark.parametrize("fmt", ["json", "jsonl", "text", "rich"])
def test_redact_in_lint(fmt):
    r = CliRunner().invoke(
        app,
        [
            "lint",
            "--no-defaults",
            "-p",
            str(GOLDEN),
            "--format",
            fmt,
            "--redact",
            "--no-color",
            PII + "there's nothing I can do",
        ],
    )
    assert "jane.doe@example.com" not in r.stdout and "4111" not in r.stdout
    assert "there's nothing I can do" in r.stdout
