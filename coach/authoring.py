"""Phrasebook self-tests: every rule's examples both ways, and the rewrite-loop check.

Used by `coach phrasebook test` and by the test suite, so a rule's examples are
tests wherever the rule lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .engine.engine import Engine
from .models import NEGATIVE_CATEGORIES, Rule
from .engine.normalize import normalize


@dataclass(frozen=True)
class Failure:
    """One failed expectation, located at the rule."""

    rule: Rule
    kind: str  # "match" | "span" | "no_match" | "rewrite"
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
            failures.append(Failure(rule, "no_match", text,
                                    f"fired on {found[0].text!r} in no_match example {text!r}"))
    return failures


def rewrite_failures(engine: Engine, rules: Iterable[Rule] | None = None) -> list[Failure]:
    """No rewrite of a blocking or non-apology rule may itself trigger such a rule."""
    rules = [r for r in (rules if rules is not None else engine.rules.values()) if r.negative]
    cases = [(rule, rewrite) for rule in rules for rewrite in rule.rewrites]
    results = _findings(engine, [c[1] for c in cases], [None] * len(cases))
    failures = []
    for (rule, rewrite), found in zip(cases, results):
        bad = [f for f in found if f.category in NEGATIVE_CATEGORIES]
        if bad:
            failures.append(Failure(rule, "rewrite", rewrite,
                                    f"rewrite {rewrite!r} triggers {bad[0].rule} on {bad[0].text!r}"))
    return failures
