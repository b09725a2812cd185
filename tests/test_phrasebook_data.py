"""The shipped phrasebooks are data with their own tests (proselint / codespell style):
every rule's examples fire both ways, ids are unique, no phrase sits in two rules, and no
rewrite of a blocking or non-apology rule triggers such a rule itself; and no example is
copied from the labeled evaluation sets."""

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from coach.authoring import example_failures, rewrite_failures
from coach.engine.engine import Engine
from coach.phrasebook import builtin_paths, load_rules, read_phrasebook

RULES = load_rules()
IDS = [r.id for r in RULES]


@pytest.fixture(scope="module")
def engine():
    return Engine(RULES)


def test_bundled_phrasebooks_present():
    names = sorted(p.rsplit("/", 1)[-1] for p in builtin_paths())
    assert {"advocacy.yaml", "apology.yaml", "blocking.yaml"} <= set(names)


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_rule_examples(engine, rule):
    assert rule.match_examples and rule.no_match_examples
    failures = example_failures(engine, [rule])
    assert not failures, "\n".join(str(f) for f in failures)


@pytest.mark.parametrize("rule", [r for r in RULES if r.negative], ids=[r.id for r in RULES if r.negative])
def test_rewrites_do_not_trigger_negative_rules(engine, rule):
    assert len(rule.rewrites) >= 2
    failures = rewrite_failures(engine, [rule])
    assert not failures, "\n".join(str(f) for f in failures)


def test_ids_unique_across_files():
    seen = defaultdict(list)
    for path in builtin_paths():
        for rule in read_phrasebook(path).rules:
            seen[rule.id].append(path)
    assert not {k: v for k, v in seen.items() if len(v) > 1}


def test_no_phrase_in_two_rules(engine):
    """No compiled phrase variant belongs to two rules that lint the same speaker's turns
    (a customer-side complaint rule may share words with an agent-side rule)."""
    owners = defaultdict(set)
    for key, patterns in engine.compiled.items():
        if "|unless" in key:
            continue
        speaker = engine.rules[key].speaker
        for pattern in patterns:
            owners[(speaker, repr(pattern))].add(key)
    shared = {p: sorted(k) for p, k in owners.items() if len(k) > 1}
    assert not shared, shared


def test_ids_match_their_category():
    for rule in RULES:
        assert rule.id.split(".")[0] == rule.category, rule.id
        if rule.category == "apology":
            assert rule.id.split(".")[1] == rule.element, rule.id


def _runs(text: str, n: int = 8) -> set[str]:
    words = re.findall(r"[a-z']+", text.lower().replace("\u2019", "'"))
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_rule_examples_are_not_copied_from_the_labeled_sets():
    """coach is measured on data it has not seen: no rule example may share a run of eight
    words with a labeled set (the shared dev sets when present, and the project's holdouts)."""
    sets = sorted((Path(__file__).parent / "data" / "eval").glob("*.jsonl"))
    shared = Path(__file__).resolve().parents[2] / "shared" / "eval"
    sets += sorted(shared.glob("*.jsonl")) if shared.is_dir() else []
    labeled: dict[str, str] = {}
    for path in sets:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                for run in _runs(item.get("text", "")):
                    labeled.setdefault(run, f"{path.name}:{item.get('id')}")
    copied = [
        (rule.id, run, labeled[run])
        for rule in RULES
        for text in [e.text for e in rule.match_examples] + list(rule.no_match_examples)
        for run in _runs(text)
        if run in labeled
    ]
    assert len(sets) >= 2 and not copied
