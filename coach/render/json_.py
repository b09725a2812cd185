"""JSON and JSONL output for `coach lint`: the documented, versioned `coach/1` schema."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO

from ..models import TextReport

SCHEMA = "coach/1"


def lint_result(report: TextReport) -> dict:
    """One result object: source, score, counts, findings, apology."""
    return report.to_dict()


def write_json(reports: Iterable[TextReport], out: IO[str]) -> None:
    doc = {"schema": SCHEMA, "results": [lint_result(r) for r in reports]}
    json.dump(doc, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_jsonl(reports: Iterable[TextReport], out: IO[str]) -> None:
    """One line per result, each carrying the schema so lines stand alone."""
    for report in reports:
        out.write(json.dumps({"schema": SCHEMA, **lint_result(report)}, ensure_ascii=False))
        out.write("\n")
