"""The rewrite set (tests/data/rewrites): real replies with findings and written drafts,
rewritten, re-linted and checked; each draft's rewrite is pinned in golden.jsonl
(regenerate after an intended change with COACH_UPDATE_GOLDEN=1)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from coach import Analyzer
from coach.models import NEGATIVE_CATEGORIES
from coach.rewrite import rewrite
from coach.rewrite.checks import negative_left, problems

DATA = Path(__file__).parent / "data" / "rewrites"
GOLDEN = DATA / "golden.jsonl"


def drafts() -> list[dict]:
    rows = []
    for name in ("pool.jsonl", "written.jsonl"):
        rows += [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


@pytest.fixture(scope="module", params=[False, True], ids=["rules", "rules+model"])
def results(request):
    """Per draft: the draft, its rewrite, and the findings of re-linting the rewrite."""
    analyzer = Analyzer(model=request.param)
    rows = drafts()
    texts = [row["text"] for row in rows]
    rewritten = [rewrite(t, report.findings) for t, report in zip(texts, analyzer.lint(texts))]
    again = list(analyzer.lint([r.text for r in rewritten]))
    return request.param, rows, rewritten, again


def test_the_set_is_big_enough():
    rows = drafts()
    assert len(rows) >= 150
    assert sum(row["source"] != "written" for row in rows) >= 100
    assert all(row.get("id") and row.get("source") for row in rows)


def test_every_draft_is_rewritten_cleanly(results):
    _, rows, rewritten, _ = results
    bad = [(row["id"], p) for row, r in zip(rows, rewritten) for p in problems(row["text"], r)]
    assert bad == []


def test_relinting_a_rewrite_finds_no_negative_language_in_rewritten_sentences(results):
    with_model, rows, rewritten, again = results
    left = [
        (row["id"], f.rule, f.text)
        for row, r, rep in zip(rows, rewritten, again)
        for f in negative_left(rep.findings, r)
    ]
    # The model reads whole sentences: a kept clause beside a template can still read as a
    # refusal to it, and a hand-off the agent now follows up ("..., and if they can't sort it
    # out, I'll follow it up for you") still reads as a hand-off to it. Rules alone must be
    # clean; with the model, a few (counted in docs/rewrites.md).
    assert len(left) <= (3 if with_model else 0), left


def test_rewrites_match_the_golden_file():
    analyzer = Analyzer(model=True)
    rows = drafts()
    texts = [row["text"] for row in rows]
    got = []
    for row, text, report in zip(rows, texts, analyzer.lint(texts)):
        result = rewrite(text, report.findings)
        got.append({"id": row["id"], "rewritten": result.text, "edits": [e.to_dict() for e in result.edits]})
    if os.environ.get("COACH_UPDATE_GOLDEN"):
        GOLDEN.write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in got), encoding="utf-8")
    want = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert got == want


@pytest.mark.parametrize("with_model", [False, True], ids=["rules", "rules+model"])
def test_every_rule_example_rewrites_cleanly(with_model):
    """Every `match` example of every bundled blocking/non_apology rule, as the analyzer
    rewrites it: checks pass and a re-lint finds nothing negative in the rewritten sentences."""
    from coach.phrasebook import load_rules

    texts = [ex.text for rule in load_rules() if rule.negative for ex in rule.match_examples]
    analyzer = Analyzer(model=with_model)
    reports = list(analyzer.lint(texts))
    rewritten = [rewrite(t, report.findings) for t, report in zip(texts, reports)]
    again = analyzer.lint([r.text for r in rewritten])
    assert [(t, p) for t, r in zip(texts, rewritten) for p in problems(t, r)] == []
    assert [(r.text, f.rule) for r, rep in zip(rewritten, again) for f in negative_left(rep.findings, r)] == []
    # A limit an offer already follows ("..., but here's what I can do: ...") is only noted and stays.
    softened = [all(f.softened for f in rep.findings if f.category in NEGATIVE_CATEGORIES) for rep in reports]
    assert any(softened)
    assert all(r.changed for r, s in zip(rewritten, softened) if not s)
    assert not any(r.changed for r, s in zip(rewritten, softened) if s)
