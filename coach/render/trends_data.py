"""`coach trends --format csv|json`: one row per agent and period, for spreadsheets and scripts."""

from __future__ import annotations

import csv
import json
from typing import IO

from ..store.trends import DELTA_METRICS, Trends
from .score_csv import safe_cell

COLUMNS = (
    "agent",
    "period",
    "period_start",
    "conversations",
    "agent_turns",
    "blocking_per_100",
    "advocacy_per_100",
    "apology_completeness",
    "mean_score",
    *(f"{name}_change" for name in DELTA_METRICS),
)


def write_trends_csv(trends: Trends, out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in trends.rows():
        writer.writerow([safe_cell(row[c]) for c in COLUMNS])


def write_trends_json(trends: Trends, out: IO[str]) -> None:
    json.dump(trends.to_dict(), out, ensure_ascii=False, indent=2)
    out.write("\n")
