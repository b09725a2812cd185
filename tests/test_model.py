"""The classifier: features, training, the model folder, prediction, and how its findings
join the rules' (coach/model/, Analyzer)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from coach.analyzer import Analyzer, merge_findings
from coach.engine.nlp import get_nlp
from coach.evaluate import read_items
from coach.model import store
from coach.model.features import BOS, SENTENCE_ENDS, SentenceSplitter, bigram_keys
from coach.models import Finding

DATA = Path(__file__).parent / "data" / "model"
TINY = DATA / "train.jsonl"

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from coach.model.train import train

    out = tmp_path_factory.mktemp("model")
    result = train(list(read_items(str(TINY))), folds=4, c_grid=(4.0,), meta={"rules": []})
    store.save(result.model, out)
    return out, result


def reference_sentences(doc):
    """Sentences the slow, obvious way: split after an end mark or a line break."""
    out, current = [], []
    for t in doc:
        if not t.is_space:
            current.append(t)
        if t.text in SENTENCE_ENDS or (t.is_space and "\n" in t.text):
            if current:
                out.append(current)
            current = []
    if current:
        out.append(current)
    return out


TEXTS = [
    "",
    "   ",
    "\n",
    "One. Two? Three!",
    "Hi Dana.\n\nWe can't do that...  Sorry!",
    "no punctuation at all here",
    "a\nb\n\nc",
    "Wait… what?! OK.",
    "Mr. Smith's order #123 is late.",
    "Thanks!!! 🙂 See you.",
]


def test_sentences_and_keys_match_the_obvious_split():
    nlp = get_nlp()
    docs = list(nlp.tokenizer.pipe(TEXTS))
    got = SentenceSplitter(nlp.vocab.strings).split(docs)
    expected = [(d, s) for d, doc in enumerate(docs) for s in reference_sentences(doc)]
    assert len(got) == len(expected)
    for k, (d, tokens) in enumerate(expected):
        assert (got.doc[k], got.start[k], got.end[k]) == (d, tokens[0].i, tokens[-1].i + 1)
        w = np.array([t.norm for t in tokens], dtype=np.uint64)
        keys = np.concatenate((w, bigram_keys(w[:-1], w[1:]), bigram_keys(np.array([BOS]), w[:1])))
        assert np.array_equal(np.sort(got.keys[got.offsets[k] : got.offsets[k + 1]]), np.sort(keys))


def test_whole_reply_is_one_segment():
    nlp = get_nlp()
    got = SentenceSplitter(nlp.vocab.strings).split(list(nlp.tokenizer.pipe(["One. Two.", "Three"])), whole=True)
    assert got.doc.tolist() == [0, 1]


def test_contractions_share_features():
    nlp = get_nlp()
    split = SentenceSplitter(nlp.vocab.strings).split(list(nlp.tokenizer.pipe(["We can't", "We cannot"])))
    a, b = (np.sort(split.keys[split.offsets[i] : split.offsets[i + 1]]) for i in range(2))
    assert np.array_equal(a, b)


def test_training_learns_and_reports(tiny_model):
    _, result = tiny_model
    reports = {r.label: r for r in result.reports}
    assert set(reports) == {"blocking", "advocacy", "regret"}
    for r in reports.values():
        assert r.to_dict()["model"]["f1"] >= 0.8, r.to_dict()


def test_model_folder_round_trip_and_reproducible(tiny_model, tmp_path):
    from coach.model.train import train

    out, result = tiny_model
    loaded = store.load(out)
    assert loaded.labels == result.model.labels
    assert loaded.fingerprint == result.model.fingerprint
    again = train(list(read_items(str(TINY))), folds=4, c_grid=(4.0,), meta={"rules": []})
    store.save(again.model, tmp_path)
    assert (tmp_path / "model.npz").read_bytes() == (out / "model.npz").read_bytes()
    assert (tmp_path / "model.json").read_bytes() == (out / "model.json").read_bytes()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: (d / "model.json").unlink(), "no model.json"),
        (lambda d: (d / "model.npz").unlink(), "model.npz is missing"),
        (lambda d: (d / "model.json").write_text("{"), "unreadable model.json"),
        (lambda d: (d / "model.json").write_text('{"format": "other"}'), "not a coach-model/1 model"),
        (lambda d: (d / "model.npz").write_bytes(b"PK garbage"), "unreadable model.npz"),
    ],
)
def test_a_damaged_model_folder_is_one_clear_error(tiny_model, tmp_path, damage, message):
    out, _ = tiny_model
    for name in ("model.json", "model.npz"):
        (tmp_path / name).write_bytes((out / name).read_bytes())
    damage(tmp_path)
    with pytest.raises(store.ModelError, match=message):
        store.load(tmp_path)


def test_a_model_with_object_arrays_is_refused_without_unpickling(tiny_model, tmp_path):
    """model.npz is loaded with allow_pickle=False: an object array (which would unpickle,
    and so could run code) is an error, never executed."""
    out, _ = tiny_model
    (tmp_path / "model.json").write_bytes((out / "model.json").read_bytes())
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    arrays = dict(np.load(out / "model.npz"))
    arrays["weights"] = np.array([Evil()], dtype=object)
    np.savez(tmp_path / "model.npz", **arrays)
    with pytest.raises(store.ModelError):
        store.load(tmp_path)
    assert not marker.exists()


def test_model_findings_point_into_the_original_text(tiny_model):
    out, _ = tiny_model
    analyzer = Analyzer(rules=[], model=str(out))
    text = "Hi\u00a0there.  You\u2019ll need to take the upgrade up with the airport desk."
    report = analyzer.lint_text(text)
    found = [f for f in report.findings if f.label == "blocking"]
    assert found and found[0].source == "model" and 0 < found[0].confidence <= 1
    f = found[0]
    assert text[f.start : f.end] == f.text == "You\u2019ll need to take the upgrade up with the airport desk."
    assert f.rule == "blocking.model" and f.rewrites and "sure" in f.message


def test_no_model_and_selection(tiny_model):
    out, _ = tiny_model
    text = "You'll need to take the upgrade up with the airport desk."

    def labels(**kwargs):
        return {f.label for f in Analyzer(rules=[], **kwargs).lint_text(text).findings}

    assert "blocking" in labels(model=str(out))
    assert not labels(model=False)
    assert "blocking" not in labels(model=str(out), ignore=["blocking.model"])
    assert "blocking" not in labels(model=str(out), only=["advocacy"])
    assert "blocking" not in labels(model=str(out), ignore=["blocking"])


def _finding(rule, label, start, end, source="rule"):
    category, element = ("apology", label) if label in ("regret", "forgiveness") else (label, None)
    return Finding(rule, category, element, "warning", start, end, 1, start + 1, "x", "m", (), source)


def test_merge_keeps_the_rule_finding_where_both_found_a_label():
    rule = _finding("blocking.policy", "blocking", 10, 20)
    model_same = _finding("blocking.model", "blocking", 0, 30, "model")
    model_other = _finding("advocacy.model", "advocacy", 31, 50, "model")
    assert merge_findings([rule], [model_same, model_other]) == [rule, model_other]


def test_merge_non_apology_cancels_regret_from_either_source():
    regret = _finding("apology.regret.sorry", "regret", 0, 5)
    non = _finding("non_apology.model", "non_apology", 0, 30, "model")
    assert merge_findings([regret], [non]) == [non]


def test_gate_drops_a_rule_finding_the_model_does_not_confirm(tiny_model, tmp_path):
    """A rule the model was trained beside, of a gated label, stands only where the model
    gives its sentence at least the gate."""
    from coach.models import Rule

    out, _ = tiny_model
    data = store.load(out)
    gates = np.where(np.array(data.labels) == "regret", 0.99, 0.0).astype(np.float32)
    store.save(
        store.ModelData(
            data.labels,
            data.vocabulary,
            data.weights,
            data.bias,
            data.thresholds,
            gates,
            {**data.meta, "rules": ["apology.regret.word"]},
        ),
        tmp_path,
    )
    rule = Rule(
        id="apology.regret.word",
        category="apology",
        element="regret",
        phrases=("sorry",),
        message="m",
        match_examples=(),
        no_match_examples=(),
    )
    other = Rule(
        id="apology.regret.team",
        category="apology",
        element="regret",
        phrases=("apologies",),
        message="m",
        match_examples=(),
        no_match_examples=(),
    )
    text = "Our store opens at nine, sorry. Apologies."
    gated = Analyzer(rules=[rule, other], model=str(tmp_path), only=["apology.regret"]).lint_text(text)
    assert [f.rule for f in gated.findings] == ["apology.regret.team"]  # not a rule it was trained beside
    plain = Analyzer(rules=[rule, other], model=False, only=["apology.regret"]).lint_text(text)
    assert [f.rule for f in plain.findings] == ["apology.regret.word", "apology.regret.team"]


def test_model_runs_on_agent_turns_only(tiny_model):
    from coach.models import Conversation, Turn

    out, _ = tiny_model
    conv = Conversation(
        "c1",
        (
            Turn("customer", "You'll need to take the upgrade up with the airport desk."),
            Turn("agent", "You'll need to take the upgrade up with the airport desk."),
        ),
    )
    report = next(Analyzer(rules=[], model=str(out)).score_conversations([conv]))
    assert [bool(t.findings) for t in report.turns] == [False, True]


def test_bundled_model_ships_and_loads():
    assert store.bundled_available()
    data = store.load(store.BUNDLED)
    assert {"blocking", "advocacy", "regret"} <= set(data.labels)
    meta = json.loads((store.BUNDLED / "model.json").read_text())
    assert meta["rules"] and meta["trained_on"]


def test_uncertain_model_findings_of_failing_categories_are_info(tiny_model, monkeypatch):
    """Below CONFIDENT a model blocking finding does not fail a run (severity info)."""
    import coach.model.predict as predict

    out, _ = tiny_model
    text = "You'll need to take the upgrade up with the airport desk."

    def severities(confident):
        monkeypatch.setattr(predict, "CONFIDENT", confident)
        found = Analyzer(rules=[], model=str(out)).lint_text(text).findings
        return {f.severity for f in found if f.label == "blocking"}

    assert severities(1.01) == {"info"}
    assert severities(0.0) == {"warning"}


def test_every_output_format_says_where_a_finding_comes_from(tiny_model, tmp_path):
    """source and confidence reach score CSV, SARIF and the HTML report (JSON via to_dict)."""
    import csv
    import io

    from coach.aggregate import Summary
    from coach.models import CheckResult, Conversation, EntryResult, LocatedFinding, Turn
    from coach.render.html import write_html
    from coach.render.sarif import write_sarif
    from coach.render.score_csv import write_csv

    out, _ = tiny_model
    analyzer = Analyzer(rules=[], model=str(out))
    conv = Conversation("c1", (Turn("agent", "You'll need to take the upgrade up with the airport desk."),))
    report = next(analyzer.score_conversations([conv]))
    buf = io.StringIO()
    write_csv([report], buf, per="finding")
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert rows and {r["finding_source"] for r in rows} == {"model"} and all(float(r["confidence"]) > 0 for r in rows)
    summary = Summary(top=5)
    summary.add(report)
    html = io.StringIO()
    write_html(summary, summary.worst(), html, title="t")
    assert "coach's model" in html.getvalue()
    lint = analyzer.lint_text(conv.turns[0].text)
    located = tuple(LocatedFinding(f, "r.txt", None, 1, f.column, 1, f.column + 1, "fp") for f in lint.findings)
    result = CheckResult((EntryResult("r.txt", None, 1, lint, located),))
    sarif = io.StringIO()
    write_sarif(result, {r.id: r for r in analyzer.all_rules}, sarif)
    doc = json.loads(sarif.getvalue())
    props = [r["properties"] for r in doc["runs"][0]["results"]]
    assert props and all(p["source"] == "model" and 0 < p["confidence"] <= 1 for p in props)
