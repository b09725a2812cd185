"""Streaming roll-ups for `coach score`: per agent, worst conversations, top rules.

Memory stays flat whatever the corpus size: counters and a 0-100 histogram per
agent for at most MAX_AGENTS agents (the conversations of any further agents are
counted together as "(other agents)"), and a bounded heap of the worst conversations.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field

from .models import ConversationReport

UNKNOWN_AGENT = "(unknown)"
OTHER_AGENTS = "(other agents)"
#: Agents with a row of their own; a million distinct names (an id column mapped as the agent)
#: took 1.5 GB. Any later agent is counted in one "(other agents)" row.
MAX_AGENTS = 1000


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

    def merge(self, other: AgentSummary) -> None:
        """Add another summary's totals to this one (for the "(other agents)" row)."""
        for name in (
            "conversations",
            "turns",
            "advocacy",
            "blocking",
            "non_apology",
            "apologies",
            "completeness_sum",
            "apology_expected",
            "score_sum",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram)]
        self.rules.update(other.rules)
        firsts = [t for t in (self.first_started_at, other.first_started_at) if t]
        lasts = [t for t in (self.last_started_at, other.last_started_at) if t]
        self.first_started_at = min(firsts) if firsts else None
        self.last_started_at = max(lasts) if lasts else None

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
            "agent": self.agent,
            "conversations": self.conversations,
            "turns": self.turns,
            "advocacy_per_100_turns": self.per_100(self.advocacy),
            "blocking_per_100_turns": self.per_100(self.blocking),
            "non_apology": self.non_apology,
            "apologies": self.apologies,
            "apology_completeness": self.mean_completeness,
            "apology_expected": self.apology_expected,
            "score": {
                "mean": self.mean_score,
                "p10": self.percentile(0.1),
                "median": self.percentile(0.5),
                "p90": self.percentile(0.9),
            },
            "top_blocking_rules": [{"rule": r, "count": n} for r, n in self.rules.most_common(5)],
            "first_started_at": self.first_started_at,
            "last_started_at": self.last_started_at,
        }


@dataclass
class Summary:
    """Everything the end-of-run tables need, built one report at a time."""

    top: int = 10
    agents: dict[str, AgentSummary] = field(default_factory=dict)
    #: Conversations of agents beyond the first MAX_AGENTS, or None while there are none.
    other_agents: AgentSummary | None = None
    max_agents: int = MAX_AGENTS
    overall: AgentSummary = field(default_factory=lambda: AgentSummary("(all)"))
    rules: Counter = field(default_factory=Counter)
    rewrites: dict[str, str | None] = field(default_factory=dict)
    _worst: list = field(default_factory=list)
    _seq: int = 0

    def add(self, report: ConversationReport) -> None:
        name = report.agent or UNKNOWN_AGENT
        agent = self.agents.get(name)
        if agent is None:
            if len(self.agents) < self.max_agents:
                agent = self.agents[name] = AgentSummary(name)
            else:
                agent = self.other_agents = self.other_agents or AgentSummary(OTHER_AGENTS)
        agent.add(report)
        self.overall.add(report)
        for _, f in report.findings:
            self.rules[f.rule] += 1
            if f.rewrites and f.rule not in self.rewrites:
                self.rewrites[f.rule] = f.rule_suggestion
        self._seq += 1
        # Keep the `top` lowest scores: a max-heap on (-score) of size top.
        item = (-report.score, -self._seq, report)
        if len(self._worst) < self.top:
            heapq.heappush(self._worst, item)
        elif item > self._worst[0]:
            heapq.heapreplace(self._worst, item)

    def worst(self) -> list[ConversationReport]:
        return [r for _, _, r in sorted(self._worst, key=lambda i: (-i[0], -i[1]))]

    def worst_positions(self) -> set[int]:
        """Where the worst conversations came in the stream that fed `add` (1 = the first)."""
        return {-seq for _, seq, _ in self._worst}

    def agent_rows(self, limit: int) -> tuple[list[AgentSummary], AgentSummary | None]:
        """The table's rows: at most `limit` agents (those with the most conversations, by
        name), and one row for every other agent together (None when all fit)."""
        rest = list(self.agents.values())
        if len(rest) <= limit and self.other_agents is None:
            return sorted(rest, key=lambda a: a.agent), None
        rest.sort(key=lambda a: (-a.conversations, a.agent))
        shown, hidden = rest[:limit], rest[limit:]
        others = AgentSummary(OTHER_AGENTS)
        for agent in hidden + ([self.other_agents] if self.other_agents else []):
            others.merge(agent)
        return sorted(shown, key=lambda a: a.agent), others

    @property
    def agent_count(self) -> str:
        """How many agents, as text: "1,000+" once some were folded into "(other agents)"."""
        return f"{len(self.agents):,}+" if self.other_agents is not None else f"{len(self.agents):,}"

    @property
    def conversations(self) -> int:
        return self.overall.conversations

    def to_dict(self) -> dict:
        return {
            "conversations": self.conversations,
            "overall": self.overall.to_dict(),
            "agents": [a.to_dict() for a in sorted(self.agents.values(), key=lambda a: a.agent)]
            + ([self.other_agents.to_dict()] if self.other_agents is not None else []),
            "top_rules": [{"rule": r, "count": n} for r, n in self.rules.most_common(self.top)],
        }
