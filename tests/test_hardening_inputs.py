"""Hardening II, the input side: text that cannot be encoded, inputs that never end or nest without
end, limits that must hold before memory is spent, and the smaller gaps found while there.

Like test_hardening.py, each test runs the CLI end to end where the contract is about a command: the
exit code, one line naming the file (and line), no traceback, and the rest of the batch processed.
docs/reliability.md maps each class to its test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden" / "phrasebook.yaml"
runner = CliRunner()

BLOCKING = "Sadly there's nothing I can do."
GOOD_LINE = json.dumps({"id": "good-1", "turns": [{"speaker": "customer", "text": "Where is my parcel?"},
                                                  {"speaker": "agent", "text": BLOCKING}]}) + "\n"
#: A JSON string holding half an emoji: the escape of a lone high surrogate.
CUT_EMOJI = "hi \\ud83d"


def score(*args: str, **kwargs):
    return runner.invoke(app, ["score", "--no-progress", "--no-defaults", "-p", str(GOLDEN), "--format", "jsonl",
                               *args], **kwargs)


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
    lines.write_text(GOOD_LINE + '{"id": "cut", "turns": [{"speaker": "agent", "text": "' + CUT_EMOJI
                     + ' ' + BLOCKING + '"}]}\n' + '{"id": "cut2", "turns": [{"speaker": "agent", "text": "'
                     + CUT_EMOJI + '"}]}\n', encoding="utf-8")
    whole = tmp_path / "whole.json"
    whole.write_text('[\n  {"id": "w1", "turns": [{"speaker": "agent", "text": "fine"}]},\n'
                     '  {"id": "w\\udc00", "turns": [{"speaker": "agent", "text": "' + CUT_EMOJI + '"}]}\n]\n',
                     encoding="utf-8")
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
        f"with U+FFFD; later ones in this file are replaced silently"]


def test_a_valid_surrogate_pair_is_kept(tmp_path):
    path = tmp_path / "pair.jsonl"
    path.write_text('{"id": "p", "turns": [{"speaker": "agent", "text": "ok \\ud83d\\ude00"}]}\n', encoding="utf-8")
    r = score(str(path))
    assert r.exit_code == 0 and "surrogate" not in r.stderr
    assert scored(r)["p"]["turns"][0]["text"] == "ok \U0001F600"


def test_check_repairs_lone_surrogates_in_json_and_yaml_libraries(tmp_path):
    (tmp_path / "m.json").write_text('[{"title": "t", "body": "' + CUT_EMOJI + ' there is nothing we can do"}]\n',
                                     encoding="utf-8")
    (tmp_path / "m.yaml").write_text('- title: t\n  body: "' + CUT_EMOJI + ' there is nothing we can do"\n',
                                     encoding="utf-8")
    r = check(str(tmp_path))
    no_traceback(r)
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    found = sorted((Path(e["path"]).name, f["line"], f["column"], f["text"])
                   for e in doc["entries"] for f in e["findings"])
    # The six-character escape is one character (U+FFFD) of the reply.
    assert found == [("m.json", 1, 6, "there is nothing we can do"), ("m.yaml", 1, 6, "there is nothing we can do")]


def test_eval_repairs_lone_surrogates_with_one_warning(tmp_path):
    path = tmp_path / "labeled.jsonl"
    row = {"text": "x", "labels": {"blocking": True, "advocacy": False, "non_apology": False, "apology": []}}
    path.write_text(json.dumps(row).replace('"x"', '"' + CUT_EMOJI + ' there is nothing we can do"') + "\n",
                    encoding="utf-8")
    r = runner.invoke(app, ["eval", str(path), "--no-defaults", "-p", str(GOLDEN), "--no-model", "--format", "json"])
    no_traceback(r)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["micro"]["tp"] == 1
    assert r.stderr.count("surrogate") == 1 and f"{path}:1:" in r.stderr


def test_lint_non_utf8_argument_is_decoded_with_replacement():
    # Python hands a non-UTF-8 argv byte to coach as a lone surrogate (surrogateescape).
    r = runner.invoke(app, ["lint", "--no-defaults", "-p", str(GOLDEN), "--format", "json",
                            "\udcff\udcfe there is nothing we can do"])
    no_traceback(r)
    assert r.exit_code == 1
    assert r.stderr.strip() == "coach: warning: arg:1: not valid UTF-8; decoded with replacement"
    (result,) = json.loads(r.stdout)["results"]
    assert [(f["start"], f["text"]) for f in result["findings"]] == [(3, "there is nothing we can do")]


def test_library_api_survives_a_lone_surrogate():
    from coach import Analyzer

    report = Analyzer(model=False).lint_text("hi \ud83d there is nothing I can do")
    assert [(f.start, f.text) for f in report.findings if f.category == "blocking"] == [
        (5, "there is nothing I can do")]
