"""Hardening II, the input side: text that cannot be encoded, inputs that never end or nest without
end, limits that must hold before memory is spent, and the smaller gaps found while there.

Like test_hardening.py, each test runs the CLI end to end where the contract is about a command: the
exit code, one line naming the file (and line), no traceback, and the rest of the batch processed.
docs/reliability.md maps each class to its test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden" / "phrasebook.yaml"
runner = CliRunner()

BLOCKING = "Sadly there's nothing I can do."
GOOD_LINE = (
    json.dumps(
        {
            "id": "good-1",
            "turns": [{"speaker": "customer", "text": "Where is my parcel?"}, {"speaker": "agent", "text": BLOCKING}],
        }
    )
    + "\n"
)
#: A JSON string holding half an emoji: the escape of a lone high surrogate.
CUT_EMOJI = "hi \\ud83d"


def score(*args: str, **kwargs):
    return runner.invoke(
        app, ["score", "--no-progress", "--no-defaults", "-p", str(GOLDEN), "--format", "jsonl", *args], **kwargs
    )


def check(*args: str):
    return runner.invoke(app, ["check", "--no-defaults", "-p", str(GOLDEN), "--format", "json", *args])


def no_traceback(r) -> None:
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output and "internal error" not in r.output, r.output


def scored(r) -> dict[str, dict]:
    return {row["conversation"]: row for row in map(json.loads, r.stdout.splitlines())}


# ------------------------------------------------------------------------- never lose a batch: surrogates
def test_score_repairs_lone_surrogate_escapes_in_json_lines_and_whole_files(tmp_path):
    lines = tmp_path / "cut.jsonl"
    lines.write_text(
        GOOD_LINE
        + '{"id": "cut", "turns": [{"speaker": "agent", "text": "'
        + CUT_EMOJI
        + " "
        + BLOCKING
        + '"}]}\n'
        + '{"id": "cut2", "turns": [{"speaker": "agent", "text": "'
        + CUT_EMOJI
        + '"}]}\n',
        encoding="utf-8",
    )
    whole = tmp_path / "whole.json"
    whole.write_text(
        '[\n  {"id": "w1", "turns": [{"speaker": "agent", "text": "fine"}]},\n'
        '  {"id": "w\\udc00", "turns": [{"speaker": "agent", "text": "' + CUT_EMOJI + '"}]}\n]\n',
        encoding="utf-8",
    )
    r = score(str(lines), str(whole))
    no_traceback(r)
    assert r.exit_code == 0, r.stderr  # repaired, with a warning: nothing was lost
    rows = scored(r)
    assert set(rows) == {"good-1", "cut", "cut2", "w1", "w\ufffd"}
    assert rows["cut"]["turns"][0]["text"] == "hi \ufffd " + BLOCKING
    assert rows["cut"]["counts"]["blocking"] == 1
    warnings = [line for line in r.stderr.splitlines() if "surrogate" in line]
    assert warnings == [
        f"coach: warning: {lines}:2: lone surrogate escape (half of a UTF-16 pair, such as a cut emoji) replaced "
        f"with U+FFFD; later ones in this file are replaced silently",
        f"coach: warning: {whole}:3: lone surrogate escape (half of a UTF-16 pair, such as a cut emoji) replaced "
        f"with U+FFFD; later ones in this file are replaced silently",
    ]


def test_a_valid_surrogate_pair_is_kept(tmp_path):
    path = tmp_path / "pair.jsonl"
    path.write_text('{"id": "p", "turns": [{"speaker": "agent", "text": "ok \\ud83d\\ude00"}]}\n', encoding="utf-8")
    r = score(str(path))
    assert r.exit_code == 0 and "surrogate" not in r.stderr
    assert scored(r)["p"]["turns"][0]["text"] == "ok \U0001f600"


def test_check_repairs_lone_surrogates_in_json_and_yaml_libraries(tmp_path):
    (tmp_path / "m.json").write_text(
        '[{"title": "t", "body": "' + CUT_EMOJI + ' there is nothing we can do"}]\n', encoding="utf-8"
    )
    (tmp_path / "m.yaml").write_text(
        '- title: t\n  body: "' + CUT_EMOJI + ' there is nothing we can do"\n', encoding="utf-8"
    )
    r = check(str(tmp_path))
    no_traceback(r)
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    found = sorted(
        (Path(e["path"]).name, f["line"], f["column"], f["text"]) for e in doc["entries"] for f in e["findings"]
    )
    # The six-character escape is one character (U+FFFD) of the reply.
    assert found == [("m.json", 1, 6, "there is nothing we can do"), ("m.yaml", 1, 6, "there is nothing we can do")]


def test_eval_repairs_lone_surrogates_with_one_warning(tmp_path):
    path = tmp_path / "labeled.jsonl"
    row = {"text": "x", "labels": {"blocking": True, "advocacy": False, "non_apology": False, "apology": []}}
    path.write_text(
        json.dumps(row).replace('"x"', '"' + CUT_EMOJI + ' there is nothing we can do"') + "\n", encoding="utf-8"
    )
    r = runner.invoke(app, ["eval", str(path), "--no-defaults", "-p", str(GOLDEN), "--no-model", "--format", "json"])
    no_traceback(r)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["micro"]["tp"] == 1
    assert r.stderr.count("surrogate") == 1 and f"{path}:1:" in r.stderr


def test_lint_non_utf8_argument_is_decoded_with_replacement():
    # Python hands a non-UTF-8 argv byte to coach as a lone surrogate (surrogateescape).
    r = runner.invoke(
        app, ["lint", "--no-defaults", "-p", str(GOLDEN), "--format", "json", "\udcff\udcfe there is nothing we can do"]
    )
    no_traceback(r)
    assert r.exit_code == 1
    assert r.stderr.strip() == "coach: warning: arg:1: not valid UTF-8; decoded with replacement"
    (result,) = json.loads(r.stdout)["results"]
    assert [(f["start"], f["text"]) for f in result["findings"]] == [(3, "there is nothing we can do")]


def test_library_api_survives_a_lone_surrogate():
    from coach import Analyzer

    report = Analyzer(model=False).lint_text("hi \ud83d there is nothing I can do")
    assert [(f.start, f.text) for f in report.findings if f.category == "blocking"] == [
        (5, "there is nothing I can do")
    ]


@pytest.mark.slow
def test_deeply_nested_meta_with_jobs_2_is_dropped_with_a_warning_and_the_conversation_scored(tmp_path):
    path = tmp_path / "meta.jsonl"
    deep = '{"a": ' * 900 + "1" + "}" * 900
    path.write_text(
        '{"id": "deep", "meta": {"x": ' + deep + ', "kept": {"b": [1]}}, "turns": [{"speaker": '
        '"agent", "text": "' + BLOCKING + '"}]}\n' + GOOD_LINE,
        encoding="utf-8",
    )
    r = score(str(path), "--jobs", "2")
    no_traceback(r)
    assert r.exit_code == 0, r.stderr
    assert set(scored(r)) == {"deep", "good-1"}
    assert r.stderr.strip() == (
        f"coach: warning: {path}:1: field 'meta.x' is nested more than 32 levels deep; "
        f"dropped (the conversation is scored)"
    )


# --------------------------------------------------------------------- no hangs: FIFOs, devices, blank input
def limited(*args: str, stdin=None, memory_mb: int = 2048, timeout: int = 120):
    """`coach ARGS` in a subprocess that may use at most `memory_mb` of address space: a reader that
    trusts a stat size of 0 fails fast with MemoryError instead of taking the machine's memory."""
    import resource
    import subprocess
    import sys

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    return subprocess.run(
        [sys.executable, "-m", "coach", *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=cap,
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_score_and_check_skip_a_fifo_in_a_folder_and_say_so(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "good.jsonl").write_text(GOOD_LINE, encoding="utf-8")
    os.mkfifo(exports / "pipe.jsonl")
    r = limited(
        "score", "--no-progress", "--no-defaults", "-p", str(GOLDEN), "--format", "jsonl", str(exports), timeout=60
    )
    assert r.returncode == 3, r.stderr
    assert set(scored(r)) == {"good-1"}
    assert (
        f"coach: warning: {exports / 'pipe.jsonl'}: a FIFO (named pipe), not a file; skipped "
        f"(name it on the command line to read it)"
    ) in r.stderr.splitlines()
    library = tmp_path / "library"
    library.mkdir()
    (library / "reply.txt").write_text("there is nothing we can do\n", encoding="utf-8")
    os.mkfifo(library / "pipe.txt")
    os.symlink("/dev/zero", library / "zero.txt")
    r = limited("check", "--no-defaults", "-p", str(GOLDEN), "--format", "json", str(library), timeout=60)
    assert r.returncode == 3, r.stderr
    assert [e["path"] for e in json.loads(r.stdout)["entries"]] == [str(library / "reply.txt")]
    assert f"coach: error: {library / 'pipe.txt'}: a FIFO (named pipe), not a file; skipped" in r.stderr
    assert f"coach: error: {library / 'zero.txt'}: a device, not a file; skipped" in r.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_on_the_command_line_is_still_read(tmp_path):
    import threading

    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(GOOD_LINE, encoding="utf-8"))
    writer.start()
    r = score(str(fifo))
    writer.join(timeout=30)
    assert r.exit_code == 0 and set(scored(r)) == {"good-1"}, r.output


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["lint", "--file", "/dev/zero"],
            "coach: error: /dev/zero: the draft is longer than 1,000,000 characters (lint one reply at a time; "
            "`coach score` reads whole transcripts)",
        ),
        (["lint", "-p", "/dev/zero", "hello"], "coach: error: /dev/zero: phrasebook is over the 5 MB limit"),
        (["phrasebook", "validate", "/dev/zero"], "/dev/zero: phrasebook is over the 5 MB limit"),
        (
            ["eval", "/dev/zero", "--no-model"],
            "coach: error: /dev/zero:1: line is longer than 4 MB (see the labeled format in data/labeled/README.md)",
        ),
        (
            ["check", "--baseline", "/dev/zero", "{lib}"],
            "coach: error: /dev/zero: the baseline is larger than 64 MB (regenerate the baseline, or delete it)",
        ),
        (["lint", "--config", "/dev/zero", "hello"], "coach: error: /dev/zero: the config file is larger than 5 MB"),
    ],
    ids=["lint-file", "phrasebook", "validate", "eval", "baseline", "config"],
)
def test_dev_zero_as_any_input_is_refused_without_reading_it_all(tmp_path, args, message):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "r.txt").write_text("hello\n", encoding="utf-8")
    r = limited(*[a.format(lib=lib) for a in args])
    assert r.returncode == 2, r.stderr
    assert message in r.stdout.splitlines() + r.stderr.splitlines(), r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "MemoryError" not in r.stderr


def test_blank_lead_in_is_read_once(tmp_path):
    path = tmp_path / "blank-first.jsonl"
    path.write_bytes(b" \n" * (3 << 20) + GOOD_LINE.encode())  # 6 MB of blank lines, then a conversation
    r = score(str(path))
    assert r.exit_code == 0, r.stderr
    assert scored(r)["good-1"]["source"] == str(path)


def test_endless_blank_input_stops_after_64_mb(monkeypatch):
    from coach import textinput
    from coach.errors import InputError
    from coach.readers import read_bytes

    monkeypatch.setattr(textinput, "MAX_LINE_CHARS", 1 << 20)  # the same rule, with a smaller limit
    with pytest.raises(
        InputError, match="the first 1 MB hold nothing but blank space; the rest of the input was skipped"
    ):
        list(read_bytes(b"\n" * (3 << 20) + GOOD_LINE.encode(), "stdin.jsonl"))


# ------------------------------------------------------------------------------------------- recursion
def test_eval_deeply_nested_json_is_one_line(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "\n", encoding="utf-8")
    r = runner.invoke(app, ["eval", str(path), "--no-model"])
    no_traceback(r)
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        f"coach: error: {path}:1: JSON nested too deeply (see the labeled format in data/labeled/README.md)"
    )


def test_check_deeply_nested_baseline_is_one_line(tmp_path):
    (tmp_path / "r.txt").write_text("hello\n", encoding="utf-8")
    base = tmp_path / "base.json"
    base.write_text("[" * 100_000, encoding="utf-8")
    r = check(str(tmp_path / "r.txt"), "--baseline", str(base))
    no_traceback(r)
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        f"coach: error: {base}: invalid baseline JSON: nested too deeply (regenerate the baseline, or delete it)"
    )


@pytest.mark.parametrize(
    "name, text",
    [
        (".coach.yaml", "select: " + "[" * 20_000 + "]" * 20_000 + "\n"),
        (".coach.yaml", "select:\n" + "".join("  " * i + "- \n" for i in range(2000))),
        ("pyproject.toml", "[tool.coach]\nselect = " + "[" * 20_000 + "]" * 20_000 + "\n"),
    ],
    ids=["yaml-flow", "yaml-block", "toml"],
)
def test_deeply_nested_config_found_upward_is_one_line(tmp_path, monkeypatch, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")
    sub = tmp_path / "drafts"
    sub.mkdir()
    (sub / "d.txt").write_text("hello\n", encoding="utf-8")
    monkeypatch.chdir(sub)
    r = runner.invoke(app, ["lint", "--file", "d.txt", "--no-model"])
    no_traceback(r)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"coach: error: {tmp_path / name}:") and "nested too deeply" in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) == 1


# ------------------------------------------------------------------------------------ eval label types
@pytest.mark.parametrize(
    "labels, message",
    [
        ({"blocking": "false"}, "label 'blocking' must be true or false, not \"false\""),
        ({"advocacy": 1}, "label 'advocacy' must be true or false, not 1"),
        ({"apology": "regret"}, "label 'apology' must be a list of element names"),
        ({"apology": ["regrets"]}, "unknown apology element 'regrets'"),
        ({"blockng": True}, "unknown label 'blockng'"),
    ],
    ids=["string-bool", "number-bool", "apology-string", "unknown-element", "unknown-label"],
)
def test_eval_refuses_wrongly_typed_labels(tmp_path, labels, message):
    path = tmp_path / "labeled.jsonl"
    path.write_text(
        json.dumps({"text": "ok", "labels": {"blocking": False}})
        + "\n"
        + json.dumps({"text": "hello", "labels": labels})
        + "\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["eval", str(path), "--no-model"])
    no_traceback(r)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"coach: error: {path}:2: {message}"), r.stderr


def test_eval_accepts_null_and_missing_labels(tmp_path):
    path = tmp_path / "labeled.jsonl"
    path.write_text(
        json.dumps(
            {"text": "there is nothing we can do", "labels": {"blocking": True, "apology": None, "advocacy": None}}
        )
        + "\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["eval", str(path), "--no-model", "--no-defaults", "-p", str(GOLDEN), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["micro"]["tp"] == 1


# ------------------------------------------------------------------------------- lower, but fixed too
def _unreadable(monkeypatch, *folders: Path) -> None:
    """Make `os.walk` find these folders unreadable (permissions do not stop root, who runs CI here)."""
    real = os.scandir
    blocked = {str(f) for f in folders}

    def scandir(path="."):
        if str(path) in blocked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_score_names_an_unreadable_folder_instead_of_finding_no_files(tmp_path, monkeypatch):
    top, inner = tmp_path / "locked", tmp_path / "exports" / "2024"
    top.mkdir()
    inner.mkdir(parents=True)
    (tmp_path / "exports" / "good.jsonl").write_text(GOOD_LINE, encoding="utf-8")
    (inner / "more.jsonl").write_text(GOOD_LINE.replace("good-1", "good-2"), encoding="utf-8")
    _unreadable(monkeypatch, top, inner)
    r = score(str(top), str(tmp_path / "exports"))
    no_traceback(r)
    assert r.exit_code == 3
    assert set(scored(r)) == {"good-1"}
    assert f"coach: warning: {top}: cannot read the folder: Permission denied; skipped" in r.stderr.splitlines()
    assert f"coach: warning: {inner}: cannot read the folder: Permission denied; skipped" in r.stderr.splitlines()
    assert "has no transcript files" not in r.stderr


def test_check_names_an_unreadable_folder(tmp_path, monkeypatch):
    lib, inner = tmp_path / "lib", tmp_path / "lib" / "legal"
    inner.mkdir(parents=True)
    (lib / "r.txt").write_text("there is nothing we can do\n", encoding="utf-8")
    _unreadable(monkeypatch, inner)
    r = check(str(lib))
    no_traceback(r)
    assert r.exit_code == 3
    assert f"coach: error: {inner}: cannot read the folder: Permission denied; skipped" in r.stderr.splitlines()


# -------------------------------------------------------------------------------- untrusted phrasebooks
def _book(tmp_path: Path, rule_body: str, top: str = "") -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(
        top
        + "rules:\n  - id: advocacy.hostile\n    category: advocacy\n"
        + rule_body
        + '    examples: {match: ["let me check"], no_match: ["no"]}\n',
        encoding="utf-8",
    )
    return path


def validate(path: Path):
    """`coach phrasebook validate` in a subprocess capped at 2 GB, so a refusal that comes too late
    fails the test instead of taking the machine's memory."""
    return limited("phrasebook", "validate", str(path), timeout=120)


@pytest.mark.parametrize(
    "body, top, message",
    [
        (
            '    phrases: ["$A27"]\n',
            "define:\n  A0: word\n" + "".join(f'  A{i}: "$A{i - 1} $A{i - 1}"\n' for i in range(1, 28)),
            "hostile.yaml:13: fragment $A11 expands to 18,427 characters with its $fragments, over the 10,000 limit "
            "(use fewer or smaller fragments)",
        ),
        (
            '    phrases: ["let me check"]\n    patterns: [[{LOWER: let}, {TEXT: {REGEX: "((a+))+$"}}]]\n',
            "",
            "hostile.yaml:5: [advocacy.hostile] bad token pattern: REGEX '((a+))+$' nests quantifiers (catastrophic "
            "backtracking); simplify it",
        ),
        (
            '    phrases: ["let me check"]\n    patterns: [[{LOWER: let}, {TEXT: {REGEX: "(a|a)*$"}}]]\n',
            "",
            "hostile.yaml:5: [advocacy.hostile] bad token pattern: REGEX '(a|a)*$' repeats a group of alternatives "
            "(catastrophic backtracking); simplify it",
        ),
        (
            '    phrases: ["let me check"]\n    patterns: [[{TEXT: {REGEX: ""}}]]\n',
            "",
            "hostile.yaml:5: [advocacy.hostile] bad token pattern: REGEX '' matches every token",
        ),
        (
            '    phrases: ["let me check"]\n    patterns: [[{LENGTH: {">=": 0}}]]\n',
            "",
            "hostile.yaml:5: [advocacy.hostile] bad token pattern: pattern matches everything (every token is a "
            "wildcard, optional, or constrained only by a test every token passes)",
        ),
        (
            '    phrases: ["let me check"]\n    patterns: [[{LOWER: {NOT_IN: []}}]]\n',
            "",
            "hostile.yaml:5: [advocacy.hostile] bad token pattern: pattern matches everything (every token is a "
            "wildcard, optional, or constrained only by a test every token passes)",
        ),
        (
            '    phrases: ["let ' + "_ " * 500 + 'check"]\n',
            "",
            "hostile.yaml:4: [advocacy.hostile] bad phrase in 'phrases' 'let _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ "
            "_ _ _ _ _ _ _ '... (1,009 characters): more than 12 gaps '_'; anchor the phrase on more words (at column 29)",
        ),
        (
            '    phrases: ["' + "(" * 20_000 + "a" + ")" * 20_000 + '"]\n',
            "",
            "hostile.yaml:4: [advocacy.hostile] bad phrase in 'phrases' '" + "(" * 60 + "'... (40,001 characters): "
            "phrase is 40,001 characters long, over the 10,000 limit; split it into several phrases",
        ),
        (
            '    phrases: ["' + "(" * 30 + "a" + ")" * 30 + ' b"]\n',
            "",
            "hostile.yaml:4: [advocacy.hostile] bad phrase in 'phrases' '" + "(" * 30 + "a" + ")" * 29 + "'... (63 "
            "characters): brackets nested more than 20 deep (at column 21)",
        ),
        (
            '    phrases: ["let me (' + "|".join(f"w{i} v" for i in range(500_000)) + ')"]\n',
            "",
            "hostile.yaml:4: [advocacy.hostile] bad phrase in 'phrases' 'let me (w0 v|w1 v|w2 v|w3 v|w4 v|w5 v|w6 v|w7 "
            "v|w8 v|w9 v|w1'... (4,888,898 characters): phrase is 4,888,898 characters long, over the 10,000 limit; "
            "split it into several phrases",
        ),
    ],
    ids=[
        "doubling-define",
        "nested-quantifier",
        "repeated-alternatives",
        "empty-regex",
        "length-ge-0",
        "not-in-empty",
        "500-gaps",
        "20000-brackets",
        "deep-brackets",
        "4.8-MB-alternation",
    ],
)
def test_hostile_phrasebooks_are_refused_with_one_short_line(tmp_path, body, top, message):
    r = validate(_book(tmp_path, body, top))
    assert r.returncode == 2, r.stderr[-2000:]
    found = [line.replace(str(tmp_path) + "/", "") for line in r.stderr.splitlines()]
    assert found == [message, "1 problem(s) in 1 file(s)"], found
    assert max(map(len, found)) < 400


def test_phrase_expansion_is_refused_while_it_grows():
    from coach.engine.phrase_syntax import PhraseSyntaxError, _expand, parse

    # 2,400 two-word options: refused at the 2,001st, before the others are expanded.
    node = parse("(" + "|".join(["a b"] * 2400) + ")")
    calls = []
    real = _expand

    def counting(n, limit, compact=False):
        calls.append(1)
        return real(n, limit, compact)

    import coach.engine.phrase_syntax as ps

    ps._expand = counting
    try:
        with pytest.raises(PhraseSyntaxError, match="more than 2000 variants"):
            counting(node, 2000)
    finally:
        ps._expand = real
    assert len(calls) < 3 * 2100  # three calls per two-word option


@pytest.mark.parametrize("regex", [r"^\d+$", "^refund", "[a-z]+(ing|ed)$", "a{2,5}b?", "(?>a+)+x"])
def test_ordinary_regexes_still_pass(regex):
    from coach.engine.patterns import pattern_problem

    assert pattern_problem([{"LOWER": "let"}, {"TEXT": {"REGEX": regex}}]) is None


# ------------------------------------------------------------------------------------------ --encoding
@pytest.mark.parametrize("codec", ["base64", "zlib", "rot13", "hex", "unicode_escape", "raw_unicode_escape"])
@pytest.mark.parametrize("command", ["score", "check"])
def test_encoding_must_be_a_text_encoding(tmp_path, command, codec):
    path = tmp_path / ("in.jsonl" if command == "score" else "reply.txt")
    path.write_text(GOOD_LINE if command == "score" else "hello\n", encoding="utf-8")
    r = (score if command == "score" else check)(str(path), "--encoding", codec)
    no_traceback(r)
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        f"coach: error: {codec!r} is not a text encoding (use a Python codec name such as utf-8, cp1252 or utf-16)"
    )


# --------------------------------------------------------------------------- bounded: turns, agents, HTML
@pytest.mark.parametrize("fmt", ["jsonl", "text", "csv"])
def test_a_conversation_over_the_turn_limit_is_reported_and_the_rest_scored(tmp_path, fmt):
    from coach.readers._context import MAX_TURNS

    n = MAX_TURNS + 1
    if fmt == "jsonl":
        path = tmp_path / "long.jsonl"
        turns = [{"speaker": "agent", "text": "ok"}] * n
        path.write_text(json.dumps({"id": "long", "turns": turns}) + "\n" + GOOD_LINE, encoding="utf-8")
    elif fmt == "text":
        path = tmp_path / "long.txt"
        path.write_text(
            "=== long ===\n"
            + "Agent: ok\nCustomer: fine\n" * (n // 2 + 1)
            + "=== good-1 ===\nAgent: "
            + BLOCKING
            + "\n",
            encoding="utf-8",
        )
    else:
        path = tmp_path / "long.csv"
        path.write_text(
            "conversation_id,speaker,text\n" + "long,agent,ok\n" * n + f"good-1,agent,{BLOCKING}\n", encoding="utf-8"
        )
    r = score(str(path))
    no_traceback(r)
    assert r.exit_code == 3
    assert set(scored(r)) == {"good-1"}
    assert (
        f"coach: warning: {path}:" in r.stderr
        and "conversation 'long' has more than 10,000 turns, the per-conversation limit (split it into "
        "several conversations); skipped"
        in r.stderr
    ), r.stderr


def _report(conv_id: str, agent: str, turns: int = 1, text: str = "ok", score_findings=()):
    from coach.analyzer import conversation_report
    from coach.models import Conversation, Turn

    conv = Conversation(conv_id, tuple(Turn("agent", text) for _ in range(turns)), agent=agent, source="x")
    return conversation_report(conv, [list(score_findings)] * turns, {})


def test_per_agent_rows_are_bounded_and_the_rest_counted_together():
    from coach.aggregate import OTHER_AGENTS, Summary

    summary = Summary(max_agents=3)
    for i in range(10):
        for _ in range(10 - i):  # agent-0 has 10 conversations, agent-9 one
            summary.add(_report(f"c{i}", f"agent-{i}"))
    assert sorted(summary.agents) == ["agent-0", "agent-1", "agent-2"]
    assert summary.other_agents.conversations == sum(range(1, 8)) and summary.agent_count == "3+"
    rows, others = summary.agent_rows(2)
    assert [a.agent for a in rows] == ["agent-0", "agent-1"]
    assert others.agent == OTHER_AGENTS and others.conversations == 55 - 10 - 9
    assert summary.to_dict()["agents"][-1]["agent"] == OTHER_AGENTS
    assert sum(a["conversations"] for a in summary.to_dict()["agents"]) == 55


def test_score_terminal_shows_at_most_50_agents_plus_others(tmp_path):
    path = tmp_path / "agents.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": f"c{i}", "agent": f"agent-{i:03}", "turns": [{"speaker": "agent", "text": "ok"}]}) + "\n"
            for i in range(60)
        ),
        encoding="utf-8",
    )
    r = runner.invoke(
        app,
        ["score", "--no-progress", "--no-defaults", "-p", str(GOLDEN), "--no-model", "--no-color", str(path)],
        env={"COLUMNS": "120"},
    )
    assert r.exit_code == 0, r.output
    rows = [line for line in r.stdout.splitlines() if line.strip().startswith(("agent-", "(other agents)"))]
    assert len(rows) == 51 and rows[-1].split()[:3] == ["(other", "agents)", "10"]


def test_html_report_lists_other_conversations(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": f"c{i}", "agent": "a", "turns": [{"speaker": "agent", "text": "ok"}]}) + "\n"
            for i in range(15)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "report.html"
    r = runner.invoke(
        app,
        [
            "score",
            "--no-progress",
            "--no-defaults",
            "-p",
            str(GOLDEN),
            "--no-model",
            "--format",
            "html",
            "--top",
            "3",
            "-o",
            str(out),
            str(path),
        ],
    )
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    assert '<section id="conversations"><h2>Other conversations</h2>' in page
    assert page.count('<details class="conv"') == 15


def test_html_report_stays_small_for_huge_conversations(monkeypatch):
    import io

    from coach.aggregate import Summary
    from coach.models import Finding
    from coach.render import html

    text = "there is nothing I can do " * 160  # 4,160 characters
    finding = Finding("blocking.x", "blocking", None, "warning", 0, 25, 1, 1, text[:25], "m", ("r1", "r2"))
    huge = [_report(f"big{i}", "a", turns=200, text=text, score_findings=[finding] * 30) for i in range(12)]
    summary = Summary(top=3)

    def one_pass():
        for report in huge:
            summary.add(report)
            yield report

    monkeypatch.setattr(html, "OTHER_BYTES", 4_000_000)  # the same budget rule, scaled down
    out = io.StringIO()
    html.write_html(summary, one_pass(), out)
    page = out.getvalue()
    assert len(page) < 8_000_000  # all of it would be over 40 MB
    assert "… 150 more turns" in page and "… 1,160 more characters" in page and "… 20 more findings" in page
    assert "of 12 conversations" in page


def test_csv_unclosed_quote_is_reported_instead_of_swallowing_the_rows_after_it(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(
        'conversation_id,speaker,text\n1,agent,hello\n1,customer,"it never closes\n'
        f"2,agent,{BLOCKING}\n2,customer,ok\n",
        encoding="utf-8",
    )
    r = score(str(path))
    no_traceback(r)
    assert r.exit_code == 3
    assert [t["text"] for t in scored(r)["1"]["turns"]] == ["hello"]
    assert r.stderr.splitlines()[0] == (
        f"coach: warning: {path}:3: malformed CSV: the quote opened in this row is never closed, so the 2 line(s) "
        f"after it were read into one cell; skipped (close the quote, or escape it by doubling it)"
    )


def test_csv_quoted_line_breaks_and_doubled_quotes_are_still_read(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(
        'conversation_id,speaker,text\n1,agent,"two\nlines, and ""quotes"""\n1,customer,ok\n', encoding="utf-8"
    )
    r = score(str(path))
    assert r.exit_code == 0 and r.stderr == "", r.stderr
    assert [t["text"] for t in scored(r)["1"]["turns"]] == ['two\nlines, and "quotes"', "ok"]


def test_vtt_cues_with_bad_timing_are_counted_in_a_warning(tmp_path):
    path = tmp_path / "call.vtt"
    path.write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Agent>Hello\n\n"
        "00:00:0x.000 --> 00:00:04.000\n<v Agent>lost\n\nNOTE fine\n\n"
        "00:00:05.000 -> 00:00:06.000\n<v Customer>lost too\n\n"
        "00:00:07.000 --> 00:00:08.000\n<v Customer>Thanks\n",
        encoding="utf-8",
    )
    r = score(str(path), "--agent-name", "Agent")
    assert r.exit_code == 0, r.stderr
    assert [t["text"] for t in scored(r)["call"]["turns"]] == ["Hello", "Thanks"]
    assert r.stderr.strip() == (
        f"coach: warning: {path}:6: 2 cue(s) without a valid 'start --> end' timing line were skipped"
    )


def test_a_float_id_is_an_id(tmp_path):
    path = tmp_path / "ids.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": value, "turns": [{"speaker": "agent", "text": "ok"}]}) + "\n"
            for value in (12.0, 1.5, 1e300)
        ),
        encoding="utf-8",
    )
    r = score(str(path))
    assert r.exit_code == 0, r.stderr
    assert list(scored(r)) == ["12", "1.5", "1e+300"]
