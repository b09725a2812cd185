"""Phrasebook self-tests: every rule's examples both ways, and the rewrite-loop check.

Used by `coach phrasebook test` and by the test suite, so a rule's examples are
tests wherever the rule lives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .engine.engine import Engine
from .engine.normalize import normalize
from .models import NEGATIVE_CATEGORIES, Rule
from .rewrite import checks, rewrite
from .rewrite.templates import SLOT


@dataclass(frozen=True)
class Failure:
    """One failed expectation, located at the rule."""

    rule: Rule
    kind: str  # "match" | "span" | "no_match" | "rewrite" | "rewritten"
    text: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule.path}:{self.rule.line}: [{self.rule.id}] {self.kind}: {self.detail}"


def _findings(engine: Engine, texts: list[str], only: list[str | None]) -> list[list]:
    norms = [normalize(t) for t in texts]
    docs = engine.nlp.tokenizer.pipe([n.text for n in norms], batch_size=256)
    return [engine.findings(doc, n, rule_id) for doc, n, rule_id in zip(docs, norms, only)]


def example_failures(engine: Engine, rules: Iterable[Rule] | None = None) -> list[Failure]:
    """Each rule, judged alone, must fire on its `match` examples (on the given span)
    and stay silent on its `no_match` examples."""
    rules = list(rules if rules is not None else engine.rules.values())
    cases: list[tuple[Rule, str, str | None, bool]] = []
    for rule in rules:
        cases += [(rule, ex.text, ex.span, True) for ex in rule.match_examples]
        cases += [(rule, text, None, False) for text in rule.no_match_examples]
    results = _findings(engine, [c[1] for c in cases], [c[0].id for c in cases])
    failures = []
    for (rule, text, span, should), found in zip(cases, results):
        if should and not found:
            failures.append(Failure(rule, "match", text, f"did not fire on {text!r}"))
        elif should and span is not None and span not in [f.text for f in found]:
            got = ", ".join(repr(f.text) for f in found)
            failures.append(Failure(rule, "span", text, f"fired on {got}, expected {span!r} in {text!r}"))
        elif not should and found:
            failures.append(Failure(rule, "no_match", text, f"fired on {found[0].text!r} in no_match example {text!r}"))
    return failures


#: What fills a slot when a rewrite is checked on its own, outside any example.
SAMPLE_SLOT = "the order"


def rewrite_failures(engine: Engine, rules: Iterable[Rule] | None = None) -> list[Failure]:
    """No rewrite of a blocking or non-apology rule may itself trigger such a rule, and
    every rewrite must read right on every example it applies to."""
    rules = [r for r in (rules if rules is not None else engine.rules.values()) if r.negative]
    cases = [(rule, SLOT.sub(SAMPLE_SLOT, rewrite)) for rule in rules for rewrite in rule.rewrites]
    results = _findings(engine, [c[1] for c in cases], [None] * len(cases))
    failures = []
    for (rule, written), found in zip(cases, results):
        bad = [f for f in found if f.category in NEGATIVE_CATEGORIES]
        if bad:
            failures.append(
                Failure(rule, "rewrite", written, f"rewrite {written!r} triggers {bad[0].rule} on {bad[0].text!r}")
            )
    return failures + rewritten_failures(engine, rules)


def rewritten_failures(engine: Engine, rules: Iterable[Rule]) -> list[Failure]:
    """Each rewrite of each negative rule, tried first on each of the rule's `match`
    examples: the rewritten example must relint clean of the rule's own category in the
    rewritten sentence and pass coach.rewrite.checks; a slotted rewrite must fill on at
    least one example."""
    rules = [r for r in rules if r.negative and r.rewrites]
    examples = [(rule, ex.text) for rule in rules for ex in rule.match_examples]
    found = _findings(engine, [t for _, t in examples], [None] * len(examples))
    tries = []  # (rule, rewrite, example, Rewritten)
    for (rule, text), findings in zip(examples, found):
        for rw in rule.rewrites:
            forced = [replace(f, rewrites=(rw,)) if f.rule == rule.id else f for f in findings]
            tries.append((rule, rw, text, rewrite(text, forced, prefer=rule.id)))
    again = _findings(engine, [t[3].text for t in tries], [None] * len(tries))
    failures, filled = [], set()
    for (rule, rw, text, result), refound in zip(tries, again):
        if SLOT.search(rw) and any(rw_text_used(rw, e.text) for e in result.edits):
            filled.add((rule.id, rw))
        problems = checks.problems(text, result)
        left = [f for f in checks.negative_left(refound, result) if f.category == rule.category]
        if left:
            problems.append(f"still {left[0].rule} on {left[0].text!r}")
        if problems:
            failures.append(
                Failure(rule, "rewritten", text, f"rewrite {rw!r} on {text!r} gives {result.text!r}: {problems[0]}")
            )
    for rule in rules:
        for rw in rule.rewrites:
            if SLOT.search(rw) and (rule.id, rw) not in filled:
                failures.append(
                    Failure(rule, "rewritten", rw, f"rewrite {rw!r} fills its slot on none of the rule's examples")
                )
    return failures


def rw_text_used(template: str, text: str) -> bool:
    """Whether `text` came from `template` (its words outside the slots are all there)."""
    parts = [p.strip(" .,:") for p in SLOT.split(template)[::2] if p.strip(" .,:")]
    return all(p.lower() in text.lower() for p in parts)
