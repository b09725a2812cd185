"""Control characters in drafts, transcripts, names and file names are shown escaped in every
terminal report and on stderr, never obeyed; JSON and CSV keep the real text."""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.controls import escape_controls, escape_controls_mapped

GOLDEN = Path(__file__).parent / "data" / "golden" / "phrasebook.yaml"
#: A window title (OSC 0 ended by BEL), clear screen, an OSC 8 link, a C1 CSI, a bidi override.
HOSTILE = "\x1b]0;pwned\x07 \x1b[2J \x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ \x9b31m \u202egnp.exe"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def assert_shown_not_obeyed(out: str) -> None:
    assert not RAW.search(out), repr(RAW.search(out))
    assert "\\x1b]0;pwned\\x07" in out


def assert_only_colors(out: str) -> None:
    """With colors on, the only escape sequences are rich's own SGR color codes."""
    leftover = SGR.sub("", out)
    assert not RAW.search(leftover), repr(RAW.search(leftover))
    assert "\\x1b]0;pwned\\x07" in leftover


def test_escape_controls():
    assert escape_controls("a\x1b[2Jb\x07\tc\nd\u202e") == "a\\x1b[2Jb\\x07\tc\nd\\u202e"
    assert escape_controls("a\tb\r\nc", one_line=True) == "a\\tb\\r\\nc"
    assert escape_controls("plain — text ✓") == "plain — text ✓"


def test_escape_controls_mapped_moves_offsets():
    text = "a\x1bb\x07cd"
    shown, at = escape_controls_mapped(text)
    assert shown == "a\\x1bb\\x07cd"
    for i, ch in enumerate(text):
        if not RAW.match(ch):
            assert shown[at(i)] == ch
    assert at(len(text)) == len(shown)


@pytest.fixture
def draft(tmp_path):
    path = tmp_path / "draft.txt"
    path.write_text("Sadly there's nothing I can do. " + HOSTILE + "\n", encoding="utf-8")
    return path


def test_lint_rich_report_shows_controls_escaped(draft):
    r = run("lint", "--file", str(draft), "--no-defaults", "-p", str(GOLDEN), "--no-color")
    assert r.exit_code == 1
    assert_shown_not_obeyed(r.stdout)
    assert "there's nothing I can do" in r.stdout


def test_lint_with_colors_emits_only_color_codes(draft):
    r = run(
        "lint",
        "--file",
        str(draft),
        "--no-defaults",
        "-p",
        str(GOLDEN),
        env={"FORCE_COLOR": "1", "NO_COLOR": "", "TERM": "xterm-256color"},
    )
    assert r.exit_code == 1
    assert SGR.search(r.stdout)  # colors are on
    assert_only_colors(r.stdout)


def test_lint_highlight_stays_on_the_finding_after_escapes(tmp_path):
    """Offsets move along with the escapes: the ~~~ marks sit under the matched words."""
    path = tmp_path / "d.txt"
    path.write_text("\x1b[2J\x07 Sadly there's nothing I can do.", encoding="utf-8")
    r = run("lint", "--file", str(path), "--no-defaults", "-p", str(GOLDEN), "--no-color")
    lines = r.stdout.splitlines()
    i = next(n for n, line in enumerate(lines) if "there's nothing" in line)
    start = lines[i].index("there's nothing")
    assert lines[i + 1][start : start + 24].strip("│ ") == "~" * 24


@pytest.mark.parametrize("how", [["--format", "text"], ["--quiet", "--no-color"]])
def test_lint_text_format_quiet_and_file_names_with_controls(tmp_path, how):
    path = tmp_path / "d\x1b[2J\x07.txt"
    path.write_text("Sadly there's nothing I can do. " + HOSTILE, encoding="utf-8")
    r = run("lint", "--file", str(path), "--no-defaults", "-p", str(GOLDEN), *how)
    assert r.exit_code == 1
    assert not RAW.search(r.stdout) and "d\\x1b[2J\\x07.txt" in r.stdout


def test_lint_stderr_gate_names_the_file_escaped(tmp_path):
    path = tmp_path / "d\x1b]0;x\x07.txt"
    path.write_text("Sadly there's nothing I can do.", encoding="utf-8")
    r = run(
        "lint",
        "--file",
        str(path),
        "--no-defaults",
        "-p",
        str(GOLDEN),
        "--format",
        "json",
        "--config",
        str(_config(tmp_path)),
    )
    assert "below" in r.stderr or "min" in r.stderr
    assert not RAW.search(r.stderr)


def _config(tmp_path: Path) -> Path:
    config = tmp_path / ".coach.yaml"
    config.write_text("min-score: 90\n", encoding="utf-8")
    return config


def test_lint_json_keeps_the_real_text(tmp_path):
    path = tmp_path / "d\x1b[2J.txt"
    path.write_text("Sadly there's nothing I can do. " + HOSTILE, encoding="utf-8")
    r = run("lint", "--file", str(path), "--no-defaults", "-p", str(GOLDEN), "--format", "json")
    assert json.loads(r.stdout)["results"][0]["source"] == str(path)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "c.jsonl"
    rows = [
        {
            "id": "x" + HOSTILE,
            "agent": "Sam" + HOSTILE,
            "channel": "chat" + HOSTILE,
            "turns": [
                {"speaker": "agent", "name": "Sam" + HOSTILE, "text": "Sadly there's nothing I can do. " + HOSTILE}
            ],
        },
        {"id": "y" + HOSTILE, "turns": [{"speaker": "bot" + HOSTILE, "text": "hi"}]},
        {"id": "z" + HOSTILE, "turns": []},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_score_rich_report_and_warnings_show_controls_escaped(corpus):
    r = run("score", str(corpus), "--no-defaults", "-p", str(GOLDEN), "--no-progress", "--no-color")
    assert r.exit_code == 3
    assert_shown_not_obeyed(r.stdout)
    assert "there's nothing I can do" in r.stdout
    assert not RAW.search(r.stderr) and "has no readable messages" in r.stderr


def test_score_with_colors_emits_only_color_codes(corpus):
    r = run(
        "score",
        str(corpus),
        "--no-defaults",
        "-p",
        str(GOLDEN),
        "--no-progress",
        env={"FORCE_COLOR": "1", "NO_COLOR": "", "TERM": "xterm-256color"},
    )
    assert SGR.search(r.stdout)
    assert_only_colors(r.stdout)


def test_score_json_and_csv_keep_the_real_text(corpus):
    r = run("score", str(corpus), "--no-defaults", "-p", str(GOLDEN), "--no-progress", "--format", "jsonl")
    row = json.loads(r.stdout.splitlines()[0])
    assert row["conversation"] == "x" + HOSTILE and row["turns"][0]["text"].endswith(HOSTILE)
    r = run("score", str(corpus), "--no-defaults", "-p", str(GOLDEN), "--no-progress", "--format", "csv")
    assert next(csv.DictReader(io.StringIO(r.stdout)))["conversation"] == "x" + HOSTILE


def test_check_rich_report_and_errors_show_controls_escaped(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "macros.json").write_text(
        json.dumps([{"title": "Refund" + HOSTILE, "body": "Sadly there's nothing I can do. " + HOSTILE}]),
        encoding="utf-8",
    )
    (lib / "bad\x1b[2J.json").write_text("{", encoding="utf-8")
    r = run("check", str(lib), "--no-defaults", "-p", str(GOLDEN), "--no-color")
    assert r.exit_code == 3  # findings, and one file unreadable
    assert_shown_not_obeyed(r.stdout)
    assert not RAW.search(r.stderr) and "bad\\x1b[2J.json" in r.stderr
    r = run("check", str(lib), "--no-defaults", "-p", str(GOLDEN), "--format", "github")
    assert not RAW.search(r.stdout)


def test_phrasebook_messages_are_escaped_too(tmp_path, draft):
    """A phrasebook is untrusted text as well (YAML's "\\e" is an ESC)."""
    book = tmp_path / "book.yaml"
    book.write_text(
        GOLDEN.read_text(encoding="utf-8").replace(
            "Tells the customer they are out of options.", '"\\e]0;owned\\a Tells the customer."'
        ),
        encoding="utf-8",
    )
    r = run("lint", "--file", str(draft), "--no-defaults", "-p", str(book), "--no-color")
    assert "\\x1b]0;owned" in r.stdout and not RAW.search(r.stdout)


def test_check_diff_shows_controls_escaped(tmp_path):
    reply = tmp_path / "reply.txt"
    reply.write_text("Sadly there's nothing I can do. " + HOSTILE + "\n", encoding="utf-8")
    r = run("check", str(reply), "--no-defaults", "-p", str(GOLDEN), "--diff")
    assert r.exit_code == 1 and "+Here's what I can do." in r.stdout
    assert_shown_not_obeyed(r.stdout)
