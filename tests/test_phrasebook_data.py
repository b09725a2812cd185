"""The shipped phrasebooks are data with their own tests (proselint / codespell style):
every rule's examples fire both ways, ids are unique, no phrase sits in two rules, and no
rewrite of a blocking or non-apology rule triggers such a rule itself."""

from collections import defaultdict

import pytest

from coach.authoring import example_failures, rewrite_failures
from coach.matching import Engine
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
