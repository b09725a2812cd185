"""The model's findings as rules: one per label, with a dotted id under the label's own
prefix (`blocking.model`, `apology.repair.model`), so `--ignore blocking`, `select`,
suppressions and reports treat them like any phrasebook rule."""

from __future__ import annotations

from ..models import APOLOGY_ELEMENTS, Rule

SOURCE = "coach's classifier, trained on labeled support replies (data/labeled)"

#: label -> (message, severity, rewrites). Messages say what the sentence reads as and
#: what to do; rewrites are whole-sentence suggestions, since the model marks a sentence.
#: A bracketed part is a placeholder the agent fills in ([what you can offer]).
_LABELS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "blocking": (
        "Reads as closing the door: a refusal, a rule put first, or a hand-off that leaves "
        "the customer to chase it. Say what you can do, or take the next step for them.",
        "warning",
        ("Here's what I can do: [what you can offer].", "Let me see what I can do about this for you."),
    ),
    "non_apology": (
        "Reads as an apology that shrinks the harm, puts it on the customer's feelings, or "
        "only cushions a refusal. Apologize for what happened, plainly.",
        "warning",
        ("I'm sorry this happened.", "I'm sorry for the trouble this has caused you."),
    ),
    "advocacy": ("Commits to act for the customer: the language that lowers customer effort most.", "info", ()),
    "regret": ("Expresses regret for what happened.", "info", ()),
    "responsibility": ("Takes responsibility for what went wrong.", "info", ()),
    "explanation": ("Explains why the problem happened.", "info", ()),
    "repair": ("Offers a concrete fix.", "info", ()),
    "repentance": ("Commits to keeping it from happening again.", "info", ()),
    "forgiveness": ("Asks for the customer's forgiveness or another chance.", "info", ()),
}
LABELS = tuple(_LABELS)


def rule_id(label: str) -> str:
    return f"apology.{label}.model" if label in APOLOGY_ELEMENTS else f"{label}.model"


def model_rules(labels: tuple[str, ...] = LABELS) -> list[Rule]:
    """A Rule per model label (no phrases: the classifier, not the engine, fires them)."""
    rules = []
    for label in labels:
        if label not in _LABELS:
            continue
        message, severity, rewrites = _LABELS[label]
        element = label if label in APOLOGY_ELEMENTS else None
        rules.append(
            Rule(
                id=rule_id(label),
                category="apology" if element else label,
                element=element,
                message=message,
                source=SOURCE,
                severity=severity,
                rewrites=rewrites,
                path="<model>",
            )
        )
    return rules


def evidence_message(rule: Rule, probability: float, words: list[str]) -> str:
    """The rule's message plus how sure the model is and which words weighed most."""
    because = ", ".join(f"\u201c{w}\u201d" for w in words)
    detail = f"{probability:.0%} sure" + (f"; the words that weighed most: {because}" if words else "")
    return f"{rule.message} ({detail})"
