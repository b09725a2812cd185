"""Outputs are written where the user pointed and never through a planted name: unique
temporary files beside the target, write-through for FIFOs, devices and symlinks, modes
kept (new files follow the umask), `check --fix` keeping links, two racing runs never
mixing, a full disk leaving whole lines, and `--resume` by position in each input."""

import errno
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

import coach.atomic
from coach.atomic import atomic_writer, resumable_jsonl
from coach.cli import app

GOLDEN = Path(__file__).parent / "data" / "golden" / "phrasebook.yaml"
COACH = [sys.executable, "-m", "coach"]
TEXT = "Sadly there's nothing I can do, it's company policy. Let me check what I can do."


@pytest.fixture(autouse=True)
def never_replace_kernel_files(monkeypatch):
    """A regression must fail here, not replace /dev/null or /dev/stdout on the machine."""
    real = os.replace

    def guarded(src, dst, *args, **kwargs):
        assert not os.path.abspath(dst).startswith(("/dev/", "/proc/")), f"would replace {dst}"
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(coach.atomic.os, "replace", guarded)


def corpus(path: Path, n: int, ids=None) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            row = {"agent": "a", "turns": [{"speaker": "agent", "text": f"{TEXT} ({i})"}]}
            conv_id = ids(i) if ids else f"c{i}"
            if conv_id is not None:
                row["id"] = conv_id
            out.write(json.dumps(row) + "\n")
    return path


def score(*args: str):
    return CliRunner().invoke(app, ["score", *args, "--no-defaults", "-p", str(GOLDEN), "--no-progress"])


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# -- temporary names -------------------------------------------------------------------
def test_a_planted_partial_symlink_is_never_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    (tmp_path / "out.jsonl.partial").symlink_to(victim)
    r = score(str(corpus(tmp_path / "c.jsonl", 5)), "--format", "jsonl", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert len(out.read_text(encoding="utf-8").splitlines()) == 5 and not out.is_symlink()
    assert not (tmp_path / "out.jsonl.partial").exists() and not leftovers(tmp_path)


def test_an_early_end_replaces_a_planted_partial_link_instead_of_following_it(tmp_path, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    partial = tmp_path / "out.jsonl.partial"
    partial.symlink_to(victim)
    _full_after(monkeypatch, 150_000)
    r = score(str(corpus(tmp_path / "c.jsonl", 200)), "--format", "jsonl", "-o", str(tmp_path / "out.jsonl"))
    assert r.exit_code == 2
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not partial.is_symlink() and partial.read_text(encoding="utf-8").endswith("\n")


def test_two_runs_writing_one_output_never_mix(tmp_path):
    """Each run has its own temporary file; the last to finish wins with its whole output."""
    out = tmp_path / "out.jsonl"
    with resumable_jsonl(str(out), False) as first:
        first.out.write('{"run": 1}\n')
        with resumable_jsonl(str(out), False) as second:
            for i in range(1000):
                second.out.write(f'{{"run": 2, "i": {i}}}\n')
        assert len(out.read_text(encoding="utf-8").splitlines()) == 1000  # the second run's, whole
        for i in range(1, 500):
            first.out.write(f'{{"run": 1, "i": {i}}}\n')
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 500 and {r["run"] for r in rows} == {1}
    assert not leftovers(tmp_path)


def test_two_racing_cli_runs_leave_one_whole_output(tmp_path):
    small, big = corpus(tmp_path / "small.jsonl", 20), corpus(tmp_path / "big.jsonl", 400)
    out = tmp_path / "out.jsonl"
    base = ["--no-defaults", "-p", str(GOLDEN), "--no-progress", "--format", "jsonl", "-o", str(out)]
    procs = [subprocess.Popen(COACH + ["score", str(path)] + base, stderr=subprocess.PIPE) for path in (big, small)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    lines = out.read_text(encoding="utf-8").splitlines()
    sources = {json.loads(line)["source"] for line in lines}
    assert (len(lines), sources) in ((20, {str(small)}), (400, {str(big)}))
    assert not leftovers(tmp_path)


# -- special files and links -----------------------------------------------------------
def _read_fifo(fifo: Path, into: list) -> threading.Thread:
    def reader():
        with open(fifo, "rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("fmt", ["jsonl", "html", "csv"])
def test_output_to_a_fifo_is_written_through(tmp_path, fmt):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = _read_fifo(fifo, got)
    r = score(str(corpus(tmp_path / "c.jsonl", 3)), "--format", fmt, "-o", str(fifo))
    if thread.is_alive():  # never opened for writing: unblock the reader, if it still waits
        try:  # non-blocking: a reader that already read to the end and is exiting is not waiting
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # ENXIO: no reader left
            pass
    thread.join(10)
    assert r.exit_code == 0, r.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert got and b"c2" in got[0]


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_output_to_a_device_or_a_link_to_one_is_written_through(tmp_path, device):
    before = os.stat(device)
    link = tmp_path / "sink"
    link.symlink_to(device)
    for target in (str(link), device):
        for fmt in ("jsonl", "html"):
            r = score(str(corpus(tmp_path / "c.jsonl", 3)), "--format", fmt, "-o", target)
            assert r.exit_code == 0, r.output
    assert link.is_symlink() and os.readlink(link) == device
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "sink"]


def test_output_to_dev_stdout_goes_to_stdout(tmp_path):
    r = score(str(corpus(tmp_path / "c.jsonl", 3)), "--format", "jsonl", "-o", "/dev/stdout")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 3
    assert os.path.islink("/dev/stdout") or not os.path.exists("/dev/stdout")


def test_output_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "reports" / "scores.jsonl"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "latest.jsonl"
    link.symlink_to(real)
    r = score(str(corpus(tmp_path / "c.jsonl", 3)), "--format", "jsonl", "-o", str(link))
    assert r.exit_code == 0
    assert link.is_symlink() and len(real.read_text(encoding="utf-8").splitlines()) == 3
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert not leftovers(tmp_path) and not leftovers(real.parent)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to plant a link")
def test_a_strangers_symlink_in_a_shared_folder_is_not_followed(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    link = shared / "out.html"
    link.symlink_to(victim)
    os.lchown(link, 4242, 4242)
    r = score(str(corpus(tmp_path / "c.jsonl", 3)), "--format", "html", "-o", str(link))
    assert r.exit_code == 2 and "not following it" in r.stderr
    assert victim.read_text(encoding="utf-8") == "precious\n"


# -- modes -----------------------------------------------------------------------------
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_new_outputs_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        for fmt in ("jsonl", "html"):
            out = tmp_path / f"out.{fmt}"
            score(str(corpus(tmp_path / "c.jsonl", 2)), "--format", fmt, "-o", str(out))
            assert stat.S_IMODE(out.stat().st_mode) == mode, fmt
    finally:
        os.umask(old)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_replaced_output_keeps_its_mode(tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o604)
    score(str(corpus(tmp_path / "c.jsonl", 2)), "--format", fmt, "-o", str(out))
    # (not `"old" not in ...`: "placeholders", a JSON key, holds "old")
    assert stat.S_IMODE(out.stat().st_mode) == 0o604 and out.read_text(encoding="utf-8").splitlines()[0] != "old"


def test_atomic_writer_on_a_hard_linked_file_updates_every_link(tmp_path):
    first = tmp_path / "a.json"
    first.write_text("old\n", encoding="utf-8")
    second = tmp_path / "b.json"
    os.link(first, second)
    with atomic_writer(str(first)) as handle:
        handle.write("new and longer\n")
    assert second.read_text(encoding="utf-8") == "new and longer\n"
    assert first.stat().st_ino == second.stat().st_ino and not leftovers(tmp_path)


# -- check --fix keeps links and modes -------------------------------------------------
def test_check_fix_keeps_symlinks_hard_links_and_mode(tmp_path):
    real = tmp_path / "store" / "reply.txt"
    real.parent.mkdir()
    real.write_text(
        "Sadly there's nothing I can do. Let me check what I can do.\n", encoding="utf-8"
    )  # only a fix: safe rule
    real.chmod(0o640)
    library = tmp_path / "library"
    library.mkdir()
    (library / "reply.txt").symlink_to(real)
    twin = tmp_path / "store" / "twin.txt"
    os.link(real, twin)
    other = library / "other.txt"
    other.write_text("Sadly there's nothing I can do. Let me check what I can do.\n", encoding="utf-8")
    other.chmod(0o664)
    r = CliRunner().invoke(app, ["check", str(library), "--no-defaults", "-p", str(GOLDEN), "--fix"])
    assert "applied" in r.stderr, r.output
    assert (library / "reply.txt").is_symlink()
    fixed = real.read_text(encoding="utf-8")
    assert "Here's what I can do" in fixed and twin.read_text(encoding="utf-8") == fixed
    assert real.stat().st_ino == twin.stat().st_ino and real.stat().st_nlink == 2
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert stat.S_IMODE(other.stat().st_mode) == 0o664 and "Here's what" in other.read_text(encoding="utf-8")
    assert not leftovers(library) and not leftovers(real.parent)


# -- a full disk -----------------------------------------------------------------------
def _full_after(monkeypatch, budget: int) -> None:
    """os.write as on a disk with `budget` bytes free: a short write, then ENOSPC."""
    real = os.write
    left = [budget]

    def write(fd, data):
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = real(fd, bytes(data[: left[0]]))
        left[0] -= n
        return n

    monkeypatch.setattr(coach.atomic.os, "write", write)


def test_a_full_disk_keeps_whole_jsonl_lines_and_resume_completes(tmp_path, monkeypatch):
    inputs = corpus(tmp_path / "c.jsonl", 200)
    out = tmp_path / "out.jsonl"
    _full_after(monkeypatch, 150_000)
    r = score(str(inputs), "--format", "jsonl", "-o", str(out))
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        f"coach: error: {out}: disk full; whole lines so far are kept in {out}.partial "
        "(free some space, then run again with --resume)"
    ]
    raw = Path(f"{out}.partial").read_bytes()
    assert raw and raw.endswith(b"\n") and 0 < len(raw) <= 150_000
    kept = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert not out.exists() and not leftovers(tmp_path)
    monkeypatch.undo()
    r = score(str(inputs), "--format", "jsonl", "-o", str(out), "--resume")
    assert r.exit_code == 0 and f"resuming: {len(kept)} conversation(s)" in r.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(row["record"] for row in rows) == list(range(1, 201))


@pytest.mark.parametrize("fmt", ["jsonl", "json", "html"])
def test_dev_full_gives_exit_2_and_one_line(tmp_path, fmt):
    link = tmp_path / "full"
    link.symlink_to("/dev/full")
    r = score(str(corpus(tmp_path / "c.jsonl", 300)), "--format", fmt, "-o", str(link))
    assert r.exit_code == 2
    assert r.stderr.strip() == f"coach: error: {link}: disk full; the output is incomplete"
    assert link.is_symlink()


def test_stdout_on_dev_full_gives_exit_2_and_one_line(tmp_path):
    inputs = corpus(tmp_path / "c.jsonl", 300)
    for cmd in (["score", str(inputs), "--no-progress", "--format", "jsonl"], ["lint", TEXT]):
        cmd += ["--no-defaults", "-p", str(GOLDEN)]
        with open("/dev/full", "w") as full:
            done = subprocess.run(COACH + cmd, stdout=full, stderr=subprocess.PIPE, text=True)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip() == "coach: error: cannot write the output: disk full (No space left on device)"


# -- --resume by position in each input ------------------------------------------------
def _interrupted(out: Path, keep: int) -> None:
    """Turn a complete output into what an interrupted run leaves: `keep` whole lines and a
    cut one, in OUT.partial."""
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    Path(f"{out}.partial").write_text("".join(lines[:keep]) + lines[keep][:40], encoding="utf-8")
    out.unlink()


@pytest.mark.parametrize(
    "ids", [lambda i: "same", lambda i: None, lambda i: f"c{i % 7}", lambda i: None if i % 3 else "x"]
)
def test_resume_with_repeated_and_missing_ids(tmp_path, ids):
    inputs = corpus(tmp_path / "c.jsonl", 60, ids)
    out = tmp_path / "out.jsonl"
    assert score(str(inputs), "--format", "jsonl", "-o", str(out)).exit_code == 0
    whole = out.read_text(encoding="utf-8")
    _interrupted(out, 25)
    r = score(str(inputs), "--format", "jsonl", "-o", str(out), "--resume")
    assert r.exit_code == 0 and "resuming: 25 conversation(s)" in r.stderr
    assert out.read_text(encoding="utf-8") == whole
    assert not Path(f"{out}.partial").exists() and not leftovers(tmp_path)


def test_resume_knows_a_file_by_any_of_its_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    corpus(tmp_path / "in" / "x", 40)
    out = tmp_path / "out.jsonl"
    assert score("in/x", "--format-in", "jsonl", "--format", "jsonl", "-o", str(out)).exit_code == 0
    _interrupted(out, 15)
    r = score("./in/x", "--format-in", "jsonl", "--format", "jsonl", "-o", str(out), "--resume")
    assert r.exit_code == 0 and "resuming: 15 conversation(s)" in r.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["record"] for row in rows] == list(range(1, 41))


def test_resume_rescores_what_a_partial_line_cut_and_keeps_two_inputs_apart(tmp_path):
    first, second = corpus(tmp_path / "a.jsonl", 10), corpus(tmp_path / "b.jsonl", 10)
    out = tmp_path / "out.jsonl"
    assert score(str(first), str(second), "--format", "jsonl", "-o", str(out)).exit_code == 0
    whole = out.read_text(encoding="utf-8")
    _interrupted(out, 13)
    assert score(str(first), str(second), "--format", "jsonl", "-o", str(out), "--resume").exit_code == 0
    assert out.read_text(encoding="utf-8") == whole


def test_resume_refuses_a_partial_that_is_a_link(tmp_path):
    inputs = corpus(tmp_path / "c.jsonl", 5)
    out = tmp_path / "out.jsonl"
    elsewhere = tmp_path / "elsewhere.jsonl"
    elsewhere.write_text("", encoding="utf-8")
    Path(f"{out}.partial").symlink_to(elsewhere)
    r = score(str(inputs), "--format", "jsonl", "-o", str(out), "--resume")
    assert r.exit_code == 2 and "symbolic link" in r.stderr


def test_resume_never_takes_over_the_file_of_a_run_still_writing(tmp_path):
    out = tmp_path / "out.jsonl"
    row = {"schema": "coach/1", "conversation": "c", "source": str(tmp_path / "c.jsonl"), "record": 1}
    with resumable_jsonl(str(out), False) as live:
        live.out.write(json.dumps(row) + "\n")
        live.out.flush()
        with resumable_jsonl(str(out), True) as other:
            assert not other.done  # the live run's file is locked: not an orphan
    with resumable_jsonl(str(out), True) as after:
        assert len(after.done) == 1  # OUT itself, complete
