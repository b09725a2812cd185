"""Pure scoring: findings -> counts, apology completeness and the 0-100 score.

The weights are coach's own reading of the research, documented in the README:
Lewicki et al. (2016) rank responsibility first, repair second, regret,
explanation and repentance third, and a request for forgiveness last.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from .models import CORE_APOLOGY_ELEMENTS, Apology, Finding

#: Share of apology completeness each element carries; the five core ones sum to 1.
ELEMENT_WEIGHTS: Mapping[str, float] = {
    "responsibility": 0.30,
    "repair": 0.25,
    "regret": 0.15,
    "explanation": 0.15,
    "repentance": 0.15,
    "forgiveness": 0.05,  # a bonus that can fill a gap, never past 1.0
}
#: Points a finding of each category moves the score, times its rule's weight.
CATEGORY_POINTS: Mapping[str, float] = {"advocacy": 10.0, "blocking": -20.0, "non_apology": -15.0}
BASE_SCORE = 80.0
ADVOCACY_CAP = 20.0
APOLOGY_POINTS = 15.0
#: Example wordings shown for each missing element.
ELEMENT_EXAMPLES: Mapping[str, str] = {
    "responsibility": "That one's on us.",
    "repair": "I've refunded the charge to your card.",
    "regret": "I'm sorry this happened.",
    "explanation": "This happened because our system sent the order twice.",
    "repentance": "We've changed the process so it won't happen again.",
    "forgiveness": "I hope you'll give us another chance.",
}


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per label (category, or element for apology findings)."""
    return dict(Counter(f.label for f in findings))


def apology(findings: Iterable[Finding]) -> Apology:
    """Which apology elements are present; an apology is offered when regret or responsibility is."""
    findings = list(findings)
    present = {f.element for f in findings if f.category == "apology" and f.element}
    non_apology = any(f.category == "non_apology" for f in findings)
    offered = bool(present & {"regret", "responsibility"})
    ordered = tuple(e for e in ELEMENT_WEIGHTS if e in present)
    if not offered:
        return Apology(offered=False, elements=ordered, missing=(), completeness=None, non_apology=non_apology)
    missing = tuple(e for e in CORE_APOLOGY_ELEMENTS if e not in present)
    return Apology(
        offered=True, elements=ordered, missing=missing, completeness=completeness(present), non_apology=non_apology
    )


def completeness(present: Iterable[str]) -> float:
    """Weighted share of the five core elements; forgiveness fills gaps, capped at 1."""
    total = sum(ELEMENT_WEIGHTS[e] for e in set(present) if e in ELEMENT_WEIGHTS)
    return round(min(total, 1.0), 3)


def score(
    findings: Iterable[Finding], weights: Mapping[str, float] | None = None, apology_result: Apology | None = None
) -> int:
    """The 0-100 score: 80, plus advocacy (capped at +20), minus blocking and non-apologies,
    plus up to 15 for a complete apology. `weights` maps rule id -> weight (default 1)."""
    findings = list(findings)
    weights = weights or {}
    advocacy = 0.0
    penalty = 0.0
    for f in findings:
        points = CATEGORY_POINTS.get(f.category, 0.0) * weights.get(f.rule, 1.0)
        if points > 0:
            advocacy += points
        else:
            penalty += points
    result = apology_result or apology(findings)
    bonus = APOLOGY_POINTS * result.completeness if result.offered and result.completeness else 0.0
    value = BASE_SCORE + min(advocacy, ADVOCACY_CAP) + penalty + bonus
    return int(round(max(0.0, min(100.0, value))))
