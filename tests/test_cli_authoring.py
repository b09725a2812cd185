"""`coach eval` and `coach phrasebook list/show/validate/test/norms` end to end."""

import json

import pytest
from typer.testing import CliRunner

from coach.cli import app

runner = CliRunner()


@pytest.fixture
def labeled(tmp_path):
    rows = [
        ("a", "Sadly there's nothing we can do about it.", {"blocking": True}),
        ("b", "Let me check what I can do for you.", {"advocacy": True}),
        ("c", "I'm sorry, that was our mistake.", {"apology": ["regret", "responsibility"]}),
        ("d", "Our store opens at nine.", {"advocacy": True}),  # a miss on purpose
        ("e", "We apologize for any inconvenience.", {"non_apology": True}),
    ]
    path = tmp_path / "labeled.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for item_id, text, labels in rows:
            full = {"blocking": False, "advocacy": False, "non_apology": False, "apology": []} | labels
            out.write(json.dumps({"id": item_id, "text": text, "labels": full}) + "\n")
    return path


def run(*args):
    # The phrasebook tests measure rules alone: the bundled model is left out.
    return runner.invoke(app, [*args, "--no-model"] if args[0] == "eval" else list(args))


def test_eval_json_scores(labeled, test_phrasebook):
    r = run(
        "eval", str(labeled), "--no-defaults", "-p", str(test_phrasebook), "--format", "json", "--errors", "--unused"
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    scores = {s["label"]: s for s in doc["labels"]}
    assert scores["blocking"]["f1"] == 1.0
    assert scores["advocacy"]["tp"] == 1 and scores["advocacy"]["fn"] == 1
    assert doc["items"] == 5 and 0 < doc["micro"]["f1"] < 1
    assert [e["id"] for e in doc["errors"] if e["kind"] == "fn"] == ["d"]
    assert "blocking.policy" in doc["unused"]


def test_eval_rich_table_errors_and_unused(labeled, test_phrasebook):
    r = run("eval", str(labeled), "--no-defaults", "-p", str(test_phrasebook), "--errors", "--unused", "--no-color")
    assert "micro avg" in r.stdout and "False negatives (1)" in r.stdout
    assert "Rules that never fired" in r.stdout


def test_eval_bad_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x"}\n', encoding="utf-8")
    r = run("eval", str(bad))
    assert r.exit_code == 2 and r.stderr.startswith(f"coach: error: {bad}:1: not a labeled utterance")


def test_eval_splits_partition(labeled, test_phrasebook):
    counts = [
        json.loads(
            run(
                "eval", str(labeled), "--no-defaults", "-p", str(test_phrasebook), "--split", split, "--format", "json"
            ).stdout
        )["items"]
        for split in ("tune", "check")
    ]
    assert sum(counts) == 5


def test_phrasebook_list_and_show(test_phrasebook):
    r = run("phrasebook", "list", "--no-defaults", "-p", str(test_phrasebook), "--no-color", "--no-model")
    assert "blocking.nothing-i-can-do" in r.stdout and "8 rules" in r.stdout and ".model" not in r.stdout
    r = run("phrasebook", "list", "--no-defaults", "-p", str(test_phrasebook), "--no-color")
    assert "blocking.model" in r.stdout and "17 rules" in r.stdout
    r = run("phrasebook", "show", "blocking.nothing-i-can-do", "--no-defaults", "-p", str(test_phrasebook))
    assert "compiled patterns" in r.stdout and "[there's] nothing (I|we) can do" in r.stdout
    r = run("phrasebook", "show", "blocking.nothing-i-can-d", "--no-defaults", "-p", str(test_phrasebook))
    assert r.exit_code == 2 and "did you mean 'blocking.nothing-i-can-do'" in r.stderr


def test_phrasebook_validate(tmp_path, test_phrasebook):
    assert run("phrasebook", "validate", str(test_phrasebook)).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: blocking.x\n    category: blocking\n    phrases: ['(a']\n", encoding="utf-8")
    r = run("phrasebook", "validate", str(bad))
    assert r.exit_code == 2
    problems = [line for line in r.stderr.splitlines() if line.startswith(str(bad))]
    assert len(problems) >= 3  # bad phrase, missing rewrites, missing examples: all at once


def test_phrasebook_test_reports_failures(tmp_path, test_phrasebook):
    # The test phrasebook keeps an old fragment rewrite: it promises with nothing after it.
    r = run("phrasebook", "test", "--no-defaults", str(test_phrasebook))
    fails = [line for line in r.stdout.splitlines() if line.startswith("FAIL")]
    assert r.exit_code == 1 and len(fails) == 1 and "promise without a placeholder" in fails[0]
    fixed = tmp_path / "fixed.yaml"
    text = test_phrasebook.read_text(encoding="utf-8").replace(
        '"here\'s what I can do", ', '"Here\'s what I can do: [what you can offer].", '
    )
    fixed.write_text(text, encoding="utf-8")
    r = run("phrasebook", "test", "--no-defaults", str(fixed))
    assert r.exit_code == 0 and r.stdout.strip().endswith("0 failed")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        text.replace('no_match: ["Let me see what I can do."]', 'no_match: ["There is nothing we can do."]'),
        encoding="utf-8",
    )
    r = run("phrasebook", "test", "--no-defaults", str(broken))
    assert r.exit_code == 1 and "FAIL" in r.stdout and "no_match" in r.stdout
