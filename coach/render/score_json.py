"""JSON and JSONL output for `coach score`, streamed so memory stays flat on any corpus."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO

from ..aggregate import Summary
from ..models import ConversationReport

SCHEMA = "coach/1"
#: Lines between flushes: a reader of the stream sees progress, and a run cut short
#: leaves whole lines (`--resume` rescores a line cut in half).
FLUSH_EVERY = 64


def conversation_result(report: ConversationReport) -> dict:
    """One conversation object: the `coach/1` schema tag plus the report itself."""
    return {"schema": SCHEMA, **report.to_dict()}


def write_jsonl(reports: Iterable[ConversationReport], out: IO[str]) -> None:
    """One self-describing line per conversation, flushed every FLUSH_EVERY lines."""
    for i, report in enumerate(reports, 1):
        out.write(json.dumps(conversation_result(report), ensure_ascii=False) + "\n")
        if i % FLUSH_EVERY == 0:
            out.flush()
    out.flush()


def write_json(reports: Iterable[ConversationReport], summary: Summary, out: IO[str]) -> None:
    """One document, the conversations array written element by element.

    The summary is written after the array, so a caller may feed `summary.add`
    from the same single pass that yields `reports`.
    """
    out.write('{\n  "schema": ' + json.dumps(SCHEMA) + ',\n  "conversations": [')
    for i, report in enumerate(reports):
        out.write(",\n    " if i else "\n    ")
        out.write(json.dumps(report.to_dict(), ensure_ascii=False))
    out.write('\n  ],\n  "summary": ')
    out.write(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2).replace("\n", "\n  "))
    out.write("\n}\n")
