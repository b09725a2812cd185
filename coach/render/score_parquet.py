"""Parquet output for `coach score`, through pyarrow, a row group every few thousand conversations.

Three tables, chosen with --per:
* conversation: one row per conversation with the fields of a `--format jsonl` line (turns
  and their findings nested, `counts` a map), so SQL engines see what JSON readers see;
* turn: one flat row per turn, with its findings counted by category and its `rewritten` draft;
* finding: one flat row per finding (the file is `source`; the finding's own "rule"/"model"
  origin is `finding_source`).
The schemas and the report-to-Arrow conversion are shared with `coach.spark`, so a Spark job
writes the same columns as `coach score --format parquet`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from typing import IO

from ..models import ConversationReport
from .score_json import SCHEMA

PER = ("conversation", "turn", "finding")
#: Conversations per row group: a few MB of text and findings, so memory stays flat.
GROUP_CONVERSATIONS = 2000


@cache
def _types():
    import pyarrow as pa

    text, i64, f64, flag = pa.string(), pa.int64(), pa.float64(), pa.bool_()
    counts = pa.map_(text, i64)
    finding = [
        ("rule", text),
        ("category", text),
        ("element", text),
        ("severity", text),
        ("start", i64),
        ("end", i64),
        ("line", i64),
        ("column", i64),
        ("text", text),
        ("message", text),
        ("rewrites", pa.list_(text)),
        ("rewrite", text),
    ]
    return pa, text, i64, f64, flag, counts, finding


@cache
def arrow_schema(per: str = "conversation"):
    """The pyarrow schema of the --per table."""
    if per not in PER:
        raise ValueError(f"per must be one of {PER}, not {per!r}")
    pa, text, i64, f64, flag, counts, finding = _types()
    where = [("conversation", text), ("source", text)]
    if per == "conversation":
        apology = pa.struct(
            [
                ("offered", flag),
                ("elements", pa.list_(text)),
                ("missing", pa.list_(text)),
                ("completeness", f64),
                ("expected", flag),
            ]
        )
        found = pa.struct(finding + [("source", text), ("confidence", f64)])
        edit = pa.struct(
            [
                ("start", i64),
                ("end", i64),
                ("text", text),
                ("rules", pa.list_(text)),
                ("advice", text),
                ("placeholders", pa.list_(pa.list_(i64))),
            ]
        )
        turn = pa.struct(
            [
                ("index", i64),
                ("turn", i64),
                ("speaker", text),
                ("name", text),
                ("time", text),
                ("text", text),
                ("findings", pa.list_(found)),
                ("rewritten", text),
                ("edits", pa.list_(edit)),
            ]
        )
        fields = [
            ("schema", text),
            *where,
            ("line", i64),
            ("record", i64),
            ("agent", text),
            ("channel", text),
            ("started_at", text),
            ("score", i64),
            ("apology", apology),
            ("counts", counts),
            ("turns", pa.list_(turn)),
        ]
    else:
        fields = [
            *where,
            ("record", i64),
            ("agent", text),
            ("channel", text),
            ("started_at", text),
            ("score", i64),
            ("index", i64),
            ("turn", i64),
            ("speaker", text),
            ("time", text),
        ]
        if per == "turn":
            fields += [
                ("name", text),
                ("text", text),
                ("findings", i64),
                ("rules", pa.list_(text)),
                ("counts", counts),
                ("rewritten", text),
            ]
        else:
            fields += finding + [("finding_source", text), ("confidence", f64), ("rewritten", text)]
    return pa.schema(fields)


def rows(report: ConversationReport, per: str = "conversation") -> Iterator[dict]:
    """The report as rows of the --per table (dicts in `arrow_schema(per)`'s shape)."""
    if per == "conversation":
        row = {"schema": SCHEMA, **report.to_dict()}
        row["counts"] = list(row["counts"].items())
        yield row
        return
    head = {
        "conversation": report.conversation,
        "source": report.source,
        "record": report.record,
        "agent": report.agent,
        "channel": report.channel,
        "started_at": report.started_at,
        "score": report.score,
    }
    for turn in report.turns:
        at = {**head, "index": turn.index, "turn": turn.number, "speaker": turn.speaker, "time": turn.time}
        if per == "turn":
            counts: dict[str, int] = {}
            for f in turn.findings:
                counts[f.category] = counts.get(f.category, 0) + 1
            yield {
                **at,
                "name": turn.name,
                "text": turn.text,
                "findings": len(turn.findings),
                "rules": [f.rule for f in turn.findings],
                "counts": sorted(counts.items()),
                "rewritten": turn.rewritten,
            }
            continue
        for f in turn.findings:
            found = f.to_dict()
            found["finding_source"] = found.pop("source")
            yield {**at, **found, "rewritten": turn.rewritten}


def to_batch(reports: Iterable[ConversationReport], per: str = "conversation"):
    """A pyarrow RecordBatch of the reports' rows."""
    import pyarrow as pa

    return pa.RecordBatch.from_pylist([r for report in reports for r in rows(report, per)], schema=arrow_schema(per))


def write_parquet(
    reports: Iterable[ConversationReport], out: IO[bytes], per: str = "conversation", group: int = GROUP_CONVERSATIONS
) -> None:
    """Stream reports into a Parquet file on `out`, one row group per `group` conversations."""
    import pyarrow.parquet as pq

    writer = pq.ParquetWriter(out, arrow_schema(per), compression="zstd")
    try:
        pending: list[ConversationReport] = []
        for report in reports:
            pending.append(report)
            if len(pending) >= group:
                writer.write_batch(to_batch(pending, per))
                pending = []
        if pending:
            writer.write_batch(to_batch(pending, per))
    finally:
        writer.close()
