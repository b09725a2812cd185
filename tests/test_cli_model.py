"""`coach train`, and the model flags and config key of lint and eval, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app

pytest.importorskip("sklearn")

runner = CliRunner()
TINY = Path(__file__).parent / "data" / "model" / "train.jsonl"
HANDOFF = "You'll need to take the upgrade up with the airport desk."


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("trained") / "model"
    # --no-rules: thresholds for the model alone (the tiny set is no guide for the bundled rules).
    r = runner.invoke(
        app, ["train", str(TINY), "-o", str(out), "--folds", "4", "--no-progress", "--no-rules", "--test", str(TINY)]
    )
    assert r.exit_code == 0, r.output
    assert "blocking" in r.stdout and "held-out test" in r.stdout
    return out


def findings(result):
    return [f for res in json.loads(result.stdout)["results"] for f in res["findings"]]


def test_train_writes_a_loadable_model_with_provenance(model_dir):
    meta = json.loads((model_dir / "model.json").read_text())
    assert meta["format"] == "coach-model/1"
    assert meta["trained_on"][0]["path"].endswith("train.jsonl") and len(meta["trained_on"][0]["sha256"]) == 64
    assert meta["rules"] == [] and meta["thresholds_for"] == "model"
    assert {r["label"] for r in meta["cross_validated"]} == {"blocking", "advocacy", "regret"}


def test_lint_with_a_model_folder_reports_model_findings(model_dir):
    r = runner.invoke(app, ["lint", "--model", str(model_dir), "--format", "json", HANDOFF])
    found = [f for f in findings(r) if f["source"] == "model"]
    assert r.exit_code == 1 and found
    assert found[0]["rule"].endswith(".model") and 0 < found[0]["confidence"] <= 1
    plain = runner.invoke(app, ["lint", "--no-model", "--format", "json", HANDOFF])
    assert all(f["source"] == "rule" and f["confidence"] is None for f in findings(plain))


def test_model_config_key(model_dir, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(HANDOFF)
    (tmp_path / ".coach.yaml").write_text("model: false\n")
    r = runner.invoke(app, ["lint", "--format", "json", "--file", str(draft)])
    assert not [f for f in findings(r) if f["source"] == "model"]
    (tmp_path / ".coach.yaml").write_text(f"model: {model_dir}\n")
    r = runner.invoke(app, ["lint", "--format", "json", "--file", str(draft)])
    assert [f for f in findings(r) if f["source"] == "model"]
    (tmp_path / ".coach.yaml").write_text("model: 3\n")
    r = runner.invoke(app, ["lint", "--format", "json", "--file", str(draft)])
    assert r.exit_code == 2 and "model" in r.stderr and "Traceback" not in r.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model", "/nonexistent/model"], "no such model folder"),
        (["--model", "x", "--no-model"], "not both"),
    ],
)
def test_bad_model_options_are_one_line(args, message):
    r = runner.invoke(app, ["lint", *args, "hello"])
    assert r.exit_code == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_eval_reports_rules_model_and_both(model_dir):
    r = runner.invoke(app, ["eval", str(TINY), "--model", str(model_dir), "--format", "json", "--by", "source"])
    doc = json.loads(r.stdout)
    assert set(doc["views"]) == {"rules", "model", "both"} and doc["view"] == "both"
    assert set(doc["groups"]) == {"coach-test"}
    model = {s["label"]: s for s in doc["views"]["model"]["labels"]}
    assert model["blocking"]["tp"] > 0
    rich = runner.invoke(app, ["eval", str(TINY), "--model", str(model_dir), "--by", "file"])
    assert "rules" in rich.stdout and "model" in rich.stdout and "F1 by file" in rich.stdout
    only_rules = runner.invoke(app, ["eval", str(TINY), "--no-model", "--format", "json"])
    assert set(json.loads(only_rules.stdout)["views"]) == {"rules"}


def test_train_beside_the_rules_records_them_for_gating(tmp_path):
    out = tmp_path / "m"
    r = runner.invoke(app, ["train", str(TINY), "-o", str(out), "--folds", "4", "--no-progress"])
    meta = json.loads((out / "model.json").read_text())
    assert r.exit_code == 0 and meta["thresholds_for"] == "rules+model"
    assert "blocking.powerless.nothing-i-can-do" in meta["rules"] and len(meta["gates"]) == len(meta["labels"])


def test_train_on_nothing_is_a_usage_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    r = runner.invoke(app, ["train", str(empty), "-o", str(tmp_path / "m")])
    assert r.exit_code == 2 and "no labeled utterances" in r.stderr
