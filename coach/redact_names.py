"""`--redact` for people's names in `coach score`: the names an export gives its speakers.

An export names its speakers (a turn's `name`, a conversation's `agent`): those names are replaced
by a pseudonym in every name field (`agent-1`, `customer-2`: stable within one run, so per-agent
tables still add up) and masked with `*` wherever their words appear in the text (same length, so
finding offsets stay valid): "Hi Dana," becomes "Hi ****,". A conversation's own speakers are
masked in it; agents' names in every later conversation too. Names that no speaker field gives
(a third person mentioned in passing) cannot be known and are not masked.
"""

from __future__ import annotations

import dataclasses
import re

from .models import ConversationReport, Finding

#: Words in speaker names that name a role, not a person ("Support Team", "Sam (Agent)").
ROLE_WORDS = frozenset(
    "agent agents customer customers support team bot system admin administrator user visitor guest "
    "client caller operator staff service helpdesk desk care the and of at from via rep representative "
    "unknown anonymous lead contact end".split()
)


def name_words(name: str) -> set[str]:
    """The words of a speaker name worth masking in text: letters only, two or more, not role words."""
    return {
        w
        for w in re.findall(r"[^\W\d_][\w'’-]*[^\W\d_]|[^\W\d_]{2,}", name)
        if len(w) >= 2 and w.casefold() not in ROLE_WORDS
    }


class NameMasker:
    """Pseudonyms and text masks for speaker names, across one run's conversations (in order)."""

    def __init__(self) -> None:
        self.pseudonyms: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.agent_words: set[str] = set()

    def pseudonym(self, name: str | None, role: str) -> str | None:
        """The run-stable stand-in for a name (None stays None): `agent-1`, `customer-3`."""
        if not name or not name.strip():
            return name
        key = " ".join(name.casefold().split())
        if key not in self.pseudonyms:
            role = role if role in ("agent", "customer", "system") else "speaker"
            self.counts[role] = self.counts.get(role, 0) + 1
            self.pseudonyms[key] = f"{role}-{self.counts[role]}"
        return self.pseudonyms[key]

    def _pattern(self, words: set[str]) -> re.Pattern[str] | None:
        if not words:
            return None
        alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        return re.compile(rf"(?<![\w@.])(?:{alternatives})(?![\w@]|\.\w)", re.IGNORECASE)

    def conversation(self, report: ConversationReport) -> ConversationReport:
        """The report with its speakers' names replaced in name fields and masked in the text."""
        words: set[str] = set()
        for turn in report.turns:
            if turn.name:
                words |= name_words(turn.name)
                if turn.speaker == "agent":
                    self.agent_words |= name_words(turn.name)
        if report.agent:
            words |= name_words(report.agent)
            self.agent_words |= name_words(report.agent)
        pattern = self._pattern(words | self.agent_words)

        def mask(text: str) -> str:
            return pattern.sub(lambda m: "*" * len(m.group()), text) if pattern else text

        def finding(f: Finding) -> Finding:
            masked, rewrite = mask(f.text), f.rewrite and mask(f.rewrite)
            return (
                f if (masked, rewrite) == (f.text, f.rewrite) else dataclasses.replace(f, text=masked, rewrite=rewrite)
            )

        agent = self.pseudonym(report.agent, "agent")
        turns = tuple(
            dataclasses.replace(
                t,
                text=mask(t.text),
                name=self.pseudonym(t.name, t.speaker),
                findings=tuple(finding(f) for f in t.findings),
                rewritten=t.rewritten and mask(t.rewritten),
                edits=tuple(dataclasses.replace(e, text=mask(e.text)) for e in t.edits),
            )
            for t in report.turns
        )
        return dataclasses.replace(report, agent=agent, turns=turns)
