"""What `coach report` shows, read from a results store: trends, per-rule counts, and each agent's
worst conversations, findings and top rules. The renderer (coach.render.report_html) only draws."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..timewindow import TimeWindow
from .store import Store
from .trends import UNKNOWN, Trends, _filters, period_of, trends


@dataclass(frozen=True)
class StoredFinding:
    turn: int
    speaker: str
    rule: str
    category: str
    element: str | None
    text: str
    rewrite: str | None
    source: str
    confidence: float | None


@dataclass(frozen=True)
class StoredConversation:
    conversation: str
    source: str
    channel: str | None
    started_at: str | None
    score: int
    blocking: int
    advocacy: int
    non_apology: int
    apology_completeness: float | None
    apology_expected: bool
    findings: tuple[StoredFinding, ...] = ()


@dataclass
class Run:
    id: int
    started_at: str
    status: str
    coach_version: str
    fingerprint: str
    inputs: list[str]
    conversations: int


@dataclass
class ReportData:
    store: str
    trends: Trends
    runs: list[Run]
    #: rule -> (category, hits per period); the rules with the most agent-turn findings first.
    rules: dict[str, tuple[str, list[int]]]
    worst: dict[str, list[StoredConversation]] = field(default_factory=dict)
    top_rules: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)


def _agent_filter(store: Store, window: TimeWindow, agent: str) -> tuple[str, dict]:
    where, params = _filters(store, window, None)
    if agent == UNKNOWN:
        return where + " AND c.agent IS NULL", params
    return where + " AND c.agent = :agent", {**params, "agent": agent}


def _runs(store: Store, window: TimeWindow, agent: str | None) -> list[Run]:
    where, params = _filters(store, window, agent)
    db = store.db
    rows = db.execute(
        "SELECT r.id, r.started_at, r.status, r.coach_version, r.fingerprint, r.inputs, "
        "r.conversations FROM runs r WHERE r.id IN (SELECT DISTINCT c.run_id FROM conversations c "
        f"WHERE {where}) ORDER BY r.id",
        params,
    )
    return [Run(i, db.time_value(t) or "", s, v, f, json.loads(inputs), n) for i, t, s, v, f, inputs, n in rows]


def _rule_series(
    store: Store, window: TimeWindow, agent: str | None, by: str, periods: list[str], limit: int
) -> dict[str, tuple[str, list[int]]]:
    where, params = _filters(store, window, agent, alias="f")
    hits: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for rule, category, d, n in store.db.execute(
        f"SELECT f.rule, f.category, f.day, count(*) FROM findings f "
        f"WHERE {where} AND f.speaker = 'agent' GROUP BY f.rule, f.category, f.day",
        params,
    ):
        hits[(rule, category)][period_of(store.db.time_value(d) or "", by)] += n
    ranked = sorted(hits.items(), key=lambda item: (-sum(item[1].values()), item[0][0]))[:limit]
    return {rule: (category, [counts.get(p, 0) for p in periods]) for (rule, category), counts in ranked}


def _worst(store: Store, window: TimeWindow, agent: str, top: int) -> list[StoredConversation]:
    where, params = _agent_filter(store, window, agent)
    db = store.db
    rows = db.execute(
        "SELECT c.id, c.conversation, c.source, c.channel, c.started_at, c.score, c.blocking, "
        "c.advocacy, c.non_apology, c.apology_completeness, c.apology_expected FROM conversations c "
        f"WHERE {where} ORDER BY c.score, c.started_at DESC, c.id LIMIT :top",
        {**params, "top": top},
    )
    found: dict[int, list[StoredFinding]] = defaultdict(list)
    if rows:
        for cid, *values in db.execute(
            "SELECT conversation_id, turn, speaker, rule, category, element, text, rewrite, source, confidence "
            "FROM findings WHERE conversation_id IN (:ids) ORDER BY conversation_id, turn, span_start",
            {"ids": [r[0] for r in rows]},
        ):
            found[cid].append(StoredFinding(*values))
    return [
        StoredConversation(
            conv,
            src,
            channel,
            db.time_value(started),
            score,
            blocking,
            advocacy,
            non_apology,
            completeness,
            bool(expected),
            tuple(found[cid]),
        )
        for cid, conv, src, channel, started, score, blocking, advocacy, non_apology, completeness, expected in rows
    ]


def _top_rules(
    store: Store, window: TimeWindow, agent: str | None, limit: int
) -> dict[str, list[tuple[str, str, int]]]:
    where, params = _filters(store, window, agent, alias="f")
    per_agent: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for agent, rule, category, n in store.db.execute(
        f"SELECT f.agent, f.rule, f.category, count(*) FROM findings f WHERE {where} AND f.speaker = 'agent' "
        "GROUP BY f.agent, f.rule, f.category",
        params,
    ):
        per_agent[agent or UNKNOWN].append((rule, category, n))
    return {agent: sorted(rows, key=lambda r: (-r[2], r[0]))[:limit] for agent, rows in per_agent.items()}


def report_data(
    store: Store,
    *,
    by: str = "week",
    window: TimeWindow = TimeWindow(),
    agent: str | None = None,
    top: int = 5,
    rules: int = 8,
) -> ReportData:
    """Everything the report draws, for the latest version of each stored conversation."""
    result = trends(store, by=by, window=window, agent=agent)
    data = ReportData(
        store.name,
        result,
        _runs(store, window, agent),
        _rule_series(store, window, agent, by, result.periods, rules) if result.periods else {},
    )
    tops = _top_rules(store, window, agent, 10)
    for a in result.agents:
        data.worst[a.agent] = _worst(store, window, a.agent, top)
        data.top_rules[a.agent] = tops.get(a.agent, [])
    return data


__all__ = ["ReportData", "StoredConversation", "StoredFinding", "Run", "report_data"]
