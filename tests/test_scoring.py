"""coach.scoring, the pure part: findings in, counts, apology completeness and the 0-100 score out.

Each case is a row: the findings (by label), then what the function must say. Expected numbers
are worked out from the documented weights, not read back from the code."""

import pytest

from coach.models import Apology, Finding
from coach.scoring import apology, completeness, counts, score


def found(label: str, rule: str = "") -> Finding:
    """A finding for `label`: a category, or an apology element."""
    category, element = (
        ("apology", label)
        if label in {"responsibility", "repair", "regret", "explanation", "repentance", "forgiveness"}
        else (label, None)
    )
    return Finding(rule or f"{label}.x", category, element, "info", 0, 1, 1, 1, "w", "m")


def many(*labels: str) -> list[Finding]:
    return [found(label) for label in labels]


@pytest.mark.parametrize(
    "labels, expected",
    [
        ((), {}),
        (("blocking", "blocking", "advocacy"), {"blocking": 2, "advocacy": 1}),
        (("regret", "repair", "regret", "non_apology"), {"regret": 2, "repair": 1, "non_apology": 1}),
    ],
)
def test_counts_per_label(labels, expected):
    assert counts(many(*labels)) == expected


@pytest.mark.parametrize(
    "present, expected",
    [
        ((), 0.0),
        (("regret",), 0.15),
        (("responsibility", "repair"), 0.55),
        (("responsibility", "repair", "regret", "explanation", "repentance"), 1.0),
        (("responsibility", "repair", "regret", "explanation", "repentance", "forgiveness"), 1.0),  # capped
        (("regret", "forgiveness"), 0.2),  # forgiveness fills a gap
        (("regret", "regret"), 0.15),  # an element counts once
        (("regret", "not-an-element"), 0.15),
    ],
)
def test_completeness_weights_the_core_elements(present, expected):
    assert completeness(present) == pytest.approx(expected)


@pytest.mark.parametrize(
    "labels, expected",
    [
        ((), Apology(offered=False)),
        # repair alone is not an apology: no regret and no responsibility
        (("repair", "explanation"), Apology(offered=False, elements=("repair", "explanation"))),
        (
            ("regret",),
            Apology(
                offered=True,
                elements=("regret",),
                missing=("responsibility", "repair", "explanation", "repentance"),
                completeness=0.15,
            ),
        ),
        # elements come out in weight order, whatever order they were found in
        (
            ("repair", "responsibility"),
            Apology(
                offered=True,
                elements=("responsibility", "repair"),
                missing=("regret", "explanation", "repentance"),
                completeness=0.55,
            ),
        ),
        (
            ("regret", "non_apology"),
            Apology(
                offered=True,
                elements=("regret",),
                completeness=0.15,
                non_apology=True,
                missing=("responsibility", "repair", "explanation", "repentance"),
            ),
        ),
        (("non_apology",), Apology(offered=False, non_apology=True)),
        (
            ("responsibility", "repair", "regret", "explanation", "repentance", "forgiveness", "blocking"),
            Apology(
                offered=True,
                elements=("responsibility", "repair", "regret", "explanation", "repentance", "forgiveness"),
                missing=(),
                completeness=1.0,
            ),
        ),
    ],
)
def test_apology_elements_missing_and_completeness(labels, expected):
    assert apology(many(*labels)) == expected


@pytest.mark.parametrize(
    "labels, expected",
    [
        ((), 80),
        (("advocacy",), 90),
        (("advocacy", "advocacy"), 100),
        (("advocacy",) * 5, 100),  # advocacy is capped at +20
        (("blocking",), 60),
        (("blocking",) * 5, 0),  # never below 0
        (("non_apology",), 65),
        (("advocacy",) * 5 + ("blocking",), 80),  # the cap applies before penalties
        (("regret",), 82),  # 80 + 15 * 0.15 = 82.25
        (("responsibility", "repair"), 88),  # 80 + 15 * 0.55 = 88.25
        (("responsibility", "repair", "regret", "explanation", "repentance"), 95),
        (("repair",), 80),  # no apology offered: no bonus
        (("blocking", "responsibility", "repair", "regret", "explanation", "repentance", "advocacy"), 85),
    ],
)
def test_score_from_findings(labels, expected):
    assert score(many(*labels)) == expected


@pytest.mark.parametrize(
    "weights, expected",
    [
        ({}, 60),
        ({"blocking.x": 0.5}, 70),
        ({"blocking.x": 0.0}, 80),  # a rule weighted 0 does not count
        ({"blocking.x": 3.0}, 20),
        ({"other.rule": 3.0}, 60),  # weights are per rule id
    ],
)
def test_score_weights_by_rule_id(weights, expected):
    assert score([found("blocking")], weights) == expected


def test_score_uses_a_given_apology_result_instead_of_recomputing_it():
    given = Apology(offered=True, elements=("regret",), completeness=1.0)
    assert score(many("regret"), apology_result=given) == 95
    assert score(many("regret"), apology_result=Apology(offered=False)) == 80
