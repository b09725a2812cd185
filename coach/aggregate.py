"""Streaming roll-ups for `coach score`: per agent, worst conversations, top rules.

Memory stays flat whatever the corpus size: counters and a 0-100 histogram per
agent, and a bounded heap of the worst conversations.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field

from .models import ConversationReport

UNKNOWN_AGENT = "(unknown)"


@dataclass
class AgentSummary:
    """Running totals for one agent."""

    agent: str
    conversations: int = 0
    turns: int = 0
    advocacy: int = 0
    blocking: int = 0
    non_apology: int = 0
    apologies: int = 0
    completeness_sum: float = 0.0
    apology_expected: int = 0
    score_sum: int = 0
    histogram: list[int] = field(default_factory=lambda: [0] * 101)
    rules: Counter = field(default_factory=Counter)
    first_started_at: str | None = None
    last_started_at: str | None = None

    def add(self, report: ConversationReport) -> None:
        counts = report.count_map
        if report.started_at:
            if self.first_started_at is None or report.started_at < self.first_started_at:
                self.first_started_at = report.started_at
            if self.last_started_at is None or report.started_at > self.last_started_at:
                self.last_started_at = report.started_at
        self.conversations += 1
        self.turns += report.agent_turns
        self.advocacy += counts.get("advocacy", 0)
        self.blocking += counts.get("blocking", 0)
        self.non_apology += counts.get("non_apology", 0)
        if report.apology.offered:
            self.apologies += 1
            self.completeness_sum += report.apology.completeness or 0.0
        self.apology_expected += report.apology_expected
        self.score_sum += report.score
        self.histogram[report.score] += 1
        for turn in report.turns:
            if turn.speaker == "agent":
                self.rules.update(f.rule for f in turn.findings if f.category == "blocking")

    def per_100(self, value: int) -> float:
        return round(100.0 * value / self.turns, 1) if self.turns else 0.0

    @property
    def mean_score(self) -> float:
        return round(self.score_sum / self.conversations, 1) if self.conversations else 0.0

    @property
    def mean_completeness(self) -> float | None:
        return round(self.completeness_sum / self.apologies, 3) if self.apologies else None

    def percentile(self, q: float) -> int:
        """Score at quantile q (0-1) from the histogram."""
        if not self.conversations:
            return 0
        target = q * (self.conversations - 1)
        seen = 0
        for value, n in enumerate(self.histogram):
            seen += n
            if seen > target:
                return value
        return 100

    def to_dict(self) -> dict:
        return {
            "agent": self.agent, "conversations": self.conversations, "turns": self.turns,
            "advocacy_per_100_turns": self.per_100(self.advocacy),
            "blocking_per_100_turns": self.per_100(self.blocking),
            "non_apology": self.non_apology, "apologies": self.apologies,
            "apology_completeness": self.mean_completeness,
            "apology_expected": self.apology_expected,
            "score": {"mean": self.mean_score, "p10": self.percentile(0.1),
                      "median": self.percentile(0.5), "p90": self.percentile(0.9)},
            "top_blocking_rules": [{"rule": r, "count": n} for r, n in self.rules.most_common(5)],
            "first_started_at": self.first_started_at, "last_started_at": self.last_started_at,
        }


@dataclass
class Summary:
    """Everything the end-of-run tables need, built one report at a time."""

    top: int = 10
    agents: dict[str, AgentSummary] = field(default_factory=dict)
    overall: AgentSummary = field(default_factory=lambda: AgentSummary("(all)"))
    rules: Counter = field(default_factory=Counter)
    rewrites: dict[str, str] = field(default_factory=dict)
    _worst: list = field(default_factory=list)
    _seq: int = 0

    def add(self, report: ConversationReport) -> None:
        name = report.agent or UNKNOWN_AGENT
        self.agents.setdefault(name, AgentSummary(name)).add(report)
        self.overall.add(report)
        for _, f in report.findings:
            self.rules[f.rule] += 1
            if f.rewrites and f.rule not in self.rewrites:
                self.rewrites[f.rule] = f.rewrites[0]
        self._seq += 1
        # Keep the `top` lowest scores: a max-heap on (-score) of size top.
        item = (-report.score, -self._seq, report)
        if len(self._worst) < self.top:
            heapq.heappush(self._worst, item)
        elif item > self._worst[0]:
            heapq.heapreplace(self._worst, item)

    def worst(self) -> list[ConversationReport]:
        return [r for _, _, r in sorted(self._worst, key=lambda i: (-i[0], -i[1]))]

    @property
    def conversations(self) -> int:
        return self.overall.conversations

    def to_dict(self) -> dict:
        return {
            "conversations": self.conversations,
            "overall": self.overall.to_dict(),
            "agents": [a.to_dict() for a in sorted(self.agents.values(), key=lambda a: a.agent)],
            "top_rules": [{"rule": r, "count": n} for r, n in self.rules.most_common(self.top)],
        }
