"""SARIF 2.1.0 for `coach check`, so GitHub code scanning shows findings inline on pull requests.

Only negative findings (blocking, non-apology) become results: code scanning lists problems, and
advocacy or apology elements are positive signals. Every negative finding is reported at its
severity's level, failing or not; `properties.failing` says which ones fail the run. Columns are
Unicode code points (`columnKind`), and `endColumn` is exclusive, as SARIF defines it.

Artifact URIs are relative to the project root (the git top level, else the config file's folder)
under `%SRCROOT%`, whatever folder coach ran in, so code scanning finds the files in the repository;
`originalUriBaseIds` says where that root was. Every rule has a `helpUri` and help written for the
person fixing the reply (coach.ruledocs).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from .. import DOCS_URL, __version__
from ..models import CheckResult, LocatedFinding, Rule
from ..rewrite.templates import is_template
from ..ruledocs import help_text, help_uri
from .check_json import problems_found, suggestion

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT_KEY = "coach/v1"


def level(severity: str) -> str:
    return LEVELS.get(severity, "warning")


def camel_name(rule_id: str) -> str:
    """`blocking.powerless.nothing-i-can-do` -> `BlockingPowerlessNothingICanDo` (SARIF rule name)."""
    words = rule_id.replace(".", " ").replace("-", " ").replace("_", " ").split()
    return "".join(w[:1].upper() + w[1:] for w in words)


def artifact_location(path: str, root: str | None = None) -> dict[str, str]:
    """A posix URI relative to `root` under %SRCROOT% (what code scanning resolves), or a file: URI
    for a file outside it."""
    base = os.path.abspath(root or os.getcwd())
    full = os.path.abspath(path)
    rel = os.path.relpath(full, base) if os.path.splitdrive(full)[0] == os.path.splitdrive(base)[0] else None
    if rel is None or rel == ".." or rel.startswith(".." + os.sep):
        return {"uri": Path(full).as_uri()}
    return {"uri": quote(rel.replace(os.sep, "/"), safe="/"), "uriBaseId": "%SRCROOT%"}


def rule_descriptor(rule_id: str, rule: Rule | None, sample: LocatedFinding) -> dict[str, Any]:
    f = sample.finding
    if rule is None:  # a finding whose rule is not loaded (e.g. read from a baseline): describe it from itself
        rule = Rule(
            id=rule_id,
            category=f.category,
            element=f.element,
            message=f.message,
            severity=f.severity,
            rewrites=f.rewrites,
        )
    message = " ".join(rule.message.split()) or rule_id
    uri = help_uri(rule)
    text, markdown = help_text(rule, uri)
    return {
        "id": rule_id,
        "name": camel_name(rule_id),
        "shortDescription": {"text": message.split(". ")[0].rstrip(".") + "."},
        "fullDescription": {"text": message},
        "helpUri": uri,
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": {
            "category": rule.category,
            "tags": [rule.category],
            "precision": "low" if rule.path == "<model>" else "medium",
        },
    }


def region(lf: LocatedFinding, *, snippet: bool = True) -> dict[str, Any]:
    reg: dict[str, Any] = {
        "startLine": max(lf.line, 1),
        "startColumn": max(lf.column, 1),
        "endLine": max(lf.end_line, lf.line, 1),
        "endColumn": max(lf.end_column, 1),
    }
    if reg["endLine"] == reg["startLine"]:
        reg["endColumn"] = max(reg["endColumn"], reg["startColumn"])
    if snippet:
        reg["snippet"] = {"text": lf.finding.text}
    return reg


def fix(
    lf: LocatedFinding, rule: Rule | None, root: str | None = None, rules: Mapping[str, Rule] | None = None
) -> dict[str, Any] | None:
    """The sentence rewrite as a SARIF fix, when `--fix` would apply it (every rule it answers is
    `fix: safe`, nothing to fill in) and it sits verbatim on one line; a finding placed without a
    sentence rewrite falls back to its rule's first rewrite over the matched words.

    A span that crosses lines or differs in length from the text it replaces was unescaped from
    its file (a quoted YAML or JSON string), so replacing the raw region could corrupt the file.
    """
    e, at = lf.edit, lf.edit_region
    if e is not None:
        known = dict(rules or {})
        if rule is not None:
            known.setdefault(lf.finding.rule, rule)
        if (
            not e.fixable
            or at is None
            or not e.rules
            or any(known.get(r) is None or known[r].fix != "safe" for r in e.rules)
        ):
            return None
        line, column, end_line, end_column = at
        if end_line != line or end_column - column != e.end - e.start:
            return None
        deleted = {
            "startLine": max(line, 1),
            "startColumn": max(column, 1),
            "endLine": max(line, 1),
            "endColumn": max(end_column, column, 1),
        }
        return {
            "description": {"text": f"Replace with “{e.text}”"},
            "artifactChanges": [
                {
                    "artifactLocation": artifact_location(lf.path, root),
                    "replacements": [{"deletedRegion": deleted, "insertedContent": {"text": e.text}}],
                }
            ],
        }
    rewrites = lf.finding.rewrites or (rule.rewrites if rule else ())
    if rule is None or rule.fix != "safe" or not rewrites or is_template(rewrites[0]) or "{" in rewrites[0]:
        return None
    if lf.end_line != lf.line or lf.end_column - lf.column != len(lf.finding.text):
        return None
    return {
        "description": {"text": f"Replace with “{rewrites[0]}”"},
        "artifactChanges": [
            {
                "artifactLocation": artifact_location(lf.path, root),
                "replacements": [
                    {"deletedRegion": region(lf, snippet=False), "insertedContent": {"text": rewrites[0]}}
                ],
            }
        ],
    }


def result_object(
    lf: LocatedFinding, rule: Rule | None, index: int, root: str | None = None, rules: Mapping[str, Rule] | None = None
) -> dict[str, Any]:
    f = lf.finding
    text = f.message or f"“{f.text}”"
    hint = suggestion(lf)
    if hint:
        text = f"{text.rstrip()} {hint[0].upper()}{hint[1:]}"
    res: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index,
        "level": level(f.severity),
        "message": {"text": text},
        "locations": [
            {"physicalLocation": {"artifactLocation": artifact_location(lf.path, root), "region": region(lf)}}
        ],
        "partialFingerprints": {FINGERPRINT_KEY: lf.fingerprint},
        "properties": {
            "category": f.category,
            "failing": lf.failing,
            "matched": f.text,
            "source": f.source,
            **({"confidence": f.confidence} if f.confidence is not None else {}),
        },
    }
    if lf.edit is not None:
        res["properties"]["rewrite"] = lf.edit.text if lf.edit.advice is None else None
        res["properties"]["needsWords"] = not lf.edit.fixable
    if lf.key:
        res["locations"][0]["logicalLocations"] = [{"name": lf.key, "kind": "member"}]
        res["properties"]["key"] = lf.key
    change = fix(lf, rule, root, rules)
    if change:
        res["fixes"] = [change]
    return res


def notifications(result: CheckResult) -> list[dict[str, Any]]:
    """File errors and unused suppressions: reported about the run, not about a reply's text."""
    out = [{"level": "error", "message": {"text": e}, "descriptor": {"id": "coach.input-error"}} for e in result.errors]
    out += [
        {
            "level": "warning",
            "message": {"text": f"unused suppression: {s}"},
            "descriptor": {"id": "coach.unused-suppression"},
        }
        for s in result.unused_suppressions
    ]
    return out


def sarif_document(result: CheckResult, rules: Mapping[str, Rule]) -> dict[str, Any]:
    found = problems_found(result)
    samples: dict[str, LocatedFinding] = {}
    for lf in found:
        samples.setdefault(lf.finding.rule, lf)
    ids = sorted(samples)
    index = {rule_id: i for i, rule_id in enumerate(ids)}
    root = os.path.abspath(result.root or os.getcwd())
    driver = {
        "name": "coach",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": DOCS_URL,
        "rules": [rule_descriptor(r, rules.get(r), samples[r]) for r in ids],
    }
    run = {
        "tool": {"driver": driver},
        "invocations": [
            {"executionSuccessful": not result.errors, "toolExecutionNotifications": notifications(result)}
        ],
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(root).as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [result_object(lf, rules.get(lf.finding.rule), index[lf.finding.rule], root, rules) for lf in found],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def write_sarif(result: CheckResult, rules: Mapping[str, Rule], out: TextIO) -> None:
    json.dump(sarif_document(result, rules), out, ensure_ascii=False, indent=2)
    out.write("\n")
