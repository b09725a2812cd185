"""Trends per agent and period from a results store: what `coach trends` and `coach report` show.

Why days first: the database sums the latest conversations per agent and UTC day (one indexed
pass, the same SQL in SQLite and PostgreSQL); days are folded into weeks or months here, where
calendar arithmetic is easy and the rows are few (agents x days).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..timewindow import TimeWindow
from .store import Store

PERIODS = ("day", "week", "month")


def period_of(day: str, by: str) -> str:
    """The period label a UTC day (YYYY-MM-DD) falls in: the day, `2024-W09` (ISO week) or `2024-03`."""
    if by == "day":
        return day
    if by == "month":
        return day[:7]
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def period_start(label: str, by: str) -> date:
    if by == "day":
        return date.fromisoformat(label)
    if by == "month":
        return date.fromisoformat(label + "-01")
    return date.fromisocalendar(int(label[:4]), int(label[6:]), 1)


def next_period(label: str, by: str) -> str:
    start = period_start(label, by)
    if by == "day":
        return (start + timedelta(days=1)).isoformat()
    if by == "week":
        return period_of((start + timedelta(days=7)).isoformat(), by)
    return (start.replace(day=28) + timedelta(days=4)).isoformat()[:7]


def periods_between(first: str, last: str, by: str) -> list[str]:
    out = [first]
    while out[-1] < last:
        out.append(next_period(out[-1], by))
    return out


@dataclass
class Cell:
    """One agent's totals in one period."""

    conversations: int = 0
    agent_turns: int = 0
    blocking: int = 0
    advocacy: int = 0
    non_apology: int = 0
    score_sum: int = 0
    apologies: int = 0
    completeness_sum: float = 0.0
    hits: int = 0  # findings of the --rule prefix

    def add(self, other: Cell) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def per_100(self, value: int) -> float | None:
        return round(100.0 * value / self.agent_turns, 1) if self.agent_turns else None

    @property
    def mean_score(self) -> float | None:
        return round(self.score_sum / self.conversations, 1) if self.conversations else None

    @property
    def completeness(self) -> float | None:
        return round(self.completeness_sum / self.apologies, 3) if self.apologies else None

    def metrics(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations,
            "agent_turns": self.agent_turns,
            "blocking_per_100": self.per_100(self.blocking),
            "advocacy_per_100": self.per_100(self.advocacy),
            "apology_completeness": self.completeness,
            "mean_score": self.mean_score,
        }


#: The metrics that get a change against the previous period.
DELTA_METRICS = ("blocking_per_100", "advocacy_per_100", "apology_completeness", "mean_score")


@dataclass
class AgentTrend:
    agent: str
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def total(self) -> Cell:
        total = Cell()
        for cell in self.cells.values():
            total.add(cell)
        return total

    def rows(self, periods: list[str], by: str) -> list[dict[str, Any]]:
        """One row per period the agent has conversations in, with changes against the period
        just before (None when the agent had none then)."""
        out = []
        previous: dict[str, Any] | None = None
        for label in periods:
            cell = self.cells.get(label)
            if cell is None or not cell.conversations:
                previous = None
                continue
            row = {
                "agent": self.agent,
                "period": label,
                "period_start": period_start(label, by).isoformat(),
                **cell.metrics(),
            }
            for name in DELTA_METRICS:
                before = previous.get(name) if previous else None
                row[f"{name}_change"] = (
                    None
                    if before is None or row[name] is None
                    else round(row[name] - before, 3 if name == "apology_completeness" else 1)
                )
            out.append(row)
            previous = row
        return out

    def series(self, periods: list[str], metric: str) -> list[float | None]:
        """The metric in every period (None where the agent had no conversations): a sparkline's points."""
        return [
            self.cells[p].metrics()[metric] if p in self.cells and self.cells[p].conversations else None
            for p in periods
        ]


@dataclass
class Trends:
    by: str
    periods: list[str]
    agents: list[AgentTrend]
    rule: str | None = None
    undated: int = 0

    def rows(self) -> list[dict[str, Any]]:
        return [row for a in self.agents for row in a.rows(self.periods, self.by)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "coach-trends/1",
            "by": self.by,
            "rule": self.rule,
            "periods": self.periods,
            "undated_conversations": self.undated,
            "agents": [
                {"agent": a.agent, "periods": a.rows(self.periods, self.by), "total": a.total.metrics()}
                for a in self.agents
            ],
        }


def _filters(store: Store, window: TimeWindow, agent: str | None, alias: str = "c") -> tuple[str, dict]:
    db = store.db
    sql = f"{alias}.latest = :yes AND {alias}.started_at IS NOT NULL"
    params: dict[str, Any] = {"yes": True}
    if window.since:
        sql += f" AND {alias}.started_at >= :since"
        params["since"] = db.time_param(window.since)
    if window.before:
        sql += f" AND {alias}.started_at < :before"
        params["before"] = db.time_param(window.before)
    if agent is not None:
        sql += f" AND {alias}.agent = :agent"
        params["agent"] = agent
    return sql, params


def rule_range(prefix: str) -> dict[str, str]:
    """A dotted-id prefix as an index range: the rule itself, or any id under `prefix.`."""
    return {"rule": prefix, "lo": prefix + ".", "hi": prefix + "/"}  # "/" sorts right after "."


#: The range [rule, rule + "/") is what the index seeks; inside it only the rule and `rule.…` count
#: (not `rule-other`, which sorts between them).
RULE_MATCH = "f.rule >= :rule AND f.rule < :hi AND (f.rule = :rule OR f.rule >= :lo)"
UNKNOWN = "(unknown)"


def daily(store: Store, window: TimeWindow, agent: str | None = None) -> list[tuple]:
    """(agent, day, conversations, agent turns, blocking, advocacy, non-apology, score sum,
    apologies, completeness sum) per agent and UTC day, latest versions only: one pass over
    the conversations_trend index, already in (agent, day) order."""
    where, params = _filters(store, window, agent)
    rows = store.db.execute(
        "SELECT c.agent, c.day, count(*), sum(c.agent_turns), sum(c.blocking), sum(c.advocacy), "
        "sum(c.non_apology), sum(c.score), "
        "sum(CASE WHEN c.apology_offered THEN 1 ELSE 0 END), sum(c.apology_completeness) "
        f"FROM conversations c WHERE {where} GROUP BY c.agent, c.day",
        params,
    )
    return [(a, store.db.time_value(d), *rest) for a, d, *rest in rows]


def daily_rule_hits(store: Store, window: TimeWindow, prefix: str, agent: str | None = None) -> list[tuple]:
    """(agent, day, category, findings) of the rules under `prefix`, per agent and UTC day, from the
    findings_trend index alone (findings carry their conversation's agent, time and latest flag)."""
    where, params = _filters(store, window, agent, alias="f")
    rows = store.db.execute(
        f"SELECT f.agent, f.day, f.category, count(*) FROM findings f WHERE {where} AND {RULE_MATCH} "
        "GROUP BY f.rule, f.agent, f.day, f.category",
        {**params, **rule_range(prefix)},
    )
    return [(a, store.db.time_value(d), category, n) for a, d, category, n in rows]


def undated(store: Store, agent: str | None = None) -> int:
    sql = "SELECT count(*) FROM conversations WHERE latest = :yes AND started_at IS NULL"
    params: dict[str, Any] = {"yes": True}
    if agent is not None:
        sql += " AND agent = :agent"
        params["agent"] = agent
    return store.db.execute(sql, params)[0][0]


def trends(
    store: Store,
    *,
    by: str = "week",
    window: TimeWindow = TimeWindow(),
    agent: str | None = None,
    rule: str | None = None,
) -> Trends:
    """Every agent's totals per period; with `rule`, blocking and advocacy count only the findings of
    rules under that prefix (`hits` counts them all)."""
    if by not in PERIODS:
        raise ValueError(f"by must be one of {PERIODS}")
    agents: dict[str, AgentTrend] = {}
    seen: set[str] = set()

    def cell(name: str | None, day: str) -> Cell:
        label = period_of(day, by)
        seen.add(label)
        trend = agents.setdefault(name or UNKNOWN, AgentTrend(name or UNKNOWN))
        return trend.cells.setdefault(label, Cell())

    for name, day, n, turns, blocking, advocacy, non_apology, score, apologies, completeness in daily(
        store, window, agent
    ):
        c = cell(name, day)
        c.add(
            Cell(
                n,
                turns or 0,
                0 if rule else blocking or 0,
                0 if rule else advocacy or 0,
                0 if rule else non_apology or 0,
                score or 0,
                apologies or 0,
                float(completeness or 0.0),
            )
        )
    if rule:
        for name, day, category, n in daily_rule_hits(store, window, rule, agent):
            c = cell(name, day)
            c.hits += n
            if category in ("blocking", "advocacy", "non_apology"):
                setattr(c, category, getattr(c, category) + n)
    periods = periods_between(min(seen), max(seen), by) if seen else []
    ordered = sorted(agents.values(), key=lambda a: (a.agent == UNKNOWN, a.agent.casefold()))
    return Trends(by, periods, ordered, rule, undated(store, agent))


def sparkline(values: Iterable[float | None]) -> str:
    """Unicode block sparkline; a space where there is no value."""
    values = list(values)
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    bars = "▁▂▃▄▅▆▇█"
    if high == low:
        return "".join(" " if v is None else bars[3] for v in values)
    return "".join(" " if v is None else bars[round((v - low) / (high - low) * (len(bars) - 1))] for v in values)
