"""What produced a score: a short hash of the selected rules and one of the model.

Why both: re-scoring a conversation with the same rules and model replaces its stored
version; with anything else that changes findings or points (phrases, weights, categories,
--only/--ignore, the model) it is a new version.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..analyzer import Analyzer


def rules_fingerprint(analyzer: Analyzer) -> str:
    """The compiled phrasebook's cache key plus what scores a finding (category, weight, …)."""
    from ..engine.compiler import cache_key

    digest = hashlib.sha256(cache_key(analyzer.rules).encode())
    for rule in analyzer.all_rules:
        digest.update(
            repr(
                (rule.id, rule.category, rule.element, rule.severity, rule.weight, rule.speaker, rule.followed_by)
                # (only when set: fingerprints of rules from before the field stay as they were)
                + ((rule.unless_followed_by,) if rule.unless_followed_by else ())
                + ((("softened_by", rule.softened_by),) if rule.softened_by else ())
            ).encode()
        )
    return digest.hexdigest()[:16]


def model_fingerprint(analyzer: Analyzer) -> str | None:
    classifier = analyzer.classifier
    return classifier.data.fingerprint if classifier is not None else None


def fingerprints(analyzer: Analyzer) -> tuple[str, str | None, str]:
    """(rules, model or None, both together): the last is what a stored version is keyed by."""
    rules, model = rules_fingerprint(analyzer), model_fingerprint(analyzer)
    both = hashlib.sha256(f"{rules}|{model or '-'}".encode()).hexdigest()[:16]
    return rules, model, both
