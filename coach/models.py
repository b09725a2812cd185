"""Immutable value types shared by the core, the readers and every renderer."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .rewrite import SentenceRewrite

#: A `{slot}` in a rewrite template (docs/phrasebooks.md, "Rewrites"); group 1 is its name.
SLOT = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
#: How an *addition* starts: a rewrite that keeps the sentence as written and adds to its
#: end ("... and if they can't sort it out, I'll follow it up for you.").
ADDITION = "..."
#: Said after the message of a match an offer follows in its sentence (`Rule.softened_by`).
SOFTENED = " An offer follows it in this sentence, so it is only noted; leading with the offer reads better still."


def has_prefix(rule_id: str, prefixes: Iterable[str]) -> bool:
    """Whether a dotted rule id is one of `prefixes` or under one (`blocking` holds `blocking.policy`)."""
    return any(rule_id == p or rule_id.startswith(p.rstrip(".") + ".") for p in prefixes)


#: A dotted rule id or id prefix as written in config, CLI flags and suppressions.
RULE_PREFIX = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$")

SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

#: The apology elements, in the order a report lists them (research weight first).
APOLOGY_ELEMENTS = ("responsibility", "repair", "regret", "explanation", "repentance", "forgiveness")
#: The five that make an apology complete (Lewicki, Polin & Lount 2016).
CORE_APOLOGY_ELEMENTS = APOLOGY_ELEMENTS[:5]

BUILTIN_CATEGORIES = ("blocking", "advocacy", "apology", "non_apology")
#: Categories whose findings are negative: they fail runs and get rewrites.
NEGATIVE_CATEGORIES = frozenset({"blocking", "non_apology"})
#: Categories whose findings are positive signals: they never fail a run.
POSITIVE_CATEGORIES = frozenset({"advocacy", "apology"})


def label_of(category: str, element: str | None) -> str:
    """The label a rule or finding counts toward: the element for apology, else the category."""
    return element if category == "apology" and element else category


@dataclass(frozen=True, slots=True)
class Example:
    """A sentence a rule must (span set or not) or must not fire on."""

    text: str
    span: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One phrasebook rule, validated; compiled patterns live in coach.engine."""

    id: str
    category: str
    phrases: tuple[str, ...] = ()
    patterns: tuple[Any, ...] = ()
    unless: tuple[str, ...] = ()
    element: str | None = None
    message: str = ""
    source: str = ""
    severity: str = "warning"
    weight: float = 1.0
    rewrites: tuple[str, ...] = ()
    fix: str | None = None
    speaker: str = "agent"
    override: bool = False
    match_examples: tuple[Example, ...] = ()
    no_match_examples: tuple[str, ...] = ()
    #: Categories one of whose findings must follow in the same sentence ("sorry, but"
    #: is a non-apology only when a refusal or blame follows it).
    followed_by: tuple[str, ...] = ()
    #: Categories or rule ids (a dotted prefix: `advocacy.followup`) one of whose findings,
    #: following in the same sentence, cancels the match ("call the airline, and if they
    #: can't sort it out, I'll follow it up for you" is a hand-off the agent still owns).
    unless_followed_by: tuple[str, ...] = ()
    #: Names as in `unless_followed_by` whose finding, following in the same sentence, keeps
    #: the match but softens it to `info` with no rewrite ("we can't refund the fee, but
    #: here's what I can do: ..." is still a limit, already answered with an offer).
    softened_by: tuple[str, ...] = ()
    #: Where a reader learns more about the rule (SARIF helpUri); empty: its section in docs/rules.md.
    help_uri: str = ""
    path: str = ""
    line: int = 0

    @property
    def negative(self) -> bool:
        return self.category in NEGATIVE_CATEGORIES

    @property
    def label(self) -> str:
        """The label this rule votes for: the element for apology rules, else the category."""
        return label_of(self.category, self.element)


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule match or model prediction, with offsets into the ORIGINAL text (end
    exclusive); line/column 1-based. `source` says which: "rule" (a phrasebook rule
    matched these words) or "model" (the classifier marked this sentence, with a
    `confidence` from 0 to 1; rules have none)."""

    rule: str
    category: str
    element: str | None
    severity: str
    start: int
    end: int
    line: int
    column: int
    text: str
    message: str
    rewrites: tuple[str, ...] = ()
    source: str = "rule"
    confidence: float | None = None
    #: The sentence rewrite this finding produced (set by the Analyzer; None: no rewrite answers it).
    rewrite: str | None = None

    @property
    def softened(self) -> bool:
        """A finding that an offer follows in its sentence (`Rule.softened_by`): only noted."""
        return self.message.endswith(SOFTENED)

    @property
    def label(self) -> str:
        return label_of(self.category, self.element)

    @property
    def suggestions(self) -> tuple[str, ...]:
        """What a reader is offered: the sentence rewrite first, then the rule's rewrites that
        need no words from the draft (templates with `{slots}` and additions are used only by coach.rewrite)."""
        out = [self.rewrite] if self.rewrite else []
        for r in self.rewrites:
            if not SLOT.search(r) and not r.startswith(ADDITION):
                r = r[:1].upper() + r[1:] if r.rstrip().endswith((".", "!", "?")) else r
                if r not in out:
                    out.append(r)
        return tuple(out)

    @property
    def suggestion(self) -> str | None:
        """The one rewrite to show where there is room for one."""
        return next(iter(self.suggestions), None)

    @property
    def rule_suggestion(self) -> str | None:
        """The rule's own first usable rewrite, whatever the sentence around it (tables per rule)."""
        return next((r for r in self.suggestions if r != self.rewrite), self.rewrite)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "category": self.category,
            "element": self.element,
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "column": self.column,
            "text": self.text,
            "message": self.message,
            # what a reader can use as is: no `{slot}` templates (those live in the phrasebooks)
            "rewrites": [r for r in self.suggestions if r != self.rewrite],
            "source": self.source,
            "confidence": self.confidence,
            "rewrite": self.rewrite,
        }


@dataclass(frozen=True, slots=True)
class Apology:
    """Apology completeness for one reply (or one conversation's agent side)."""

    offered: bool
    elements: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    completeness: float | None = None
    non_apology: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "offered": self.offered,
            "elements": list(self.elements),
            "missing": list(self.missing),
            "completeness": self.completeness,
        }


@dataclass(frozen=True, slots=True)
class TextReport:
    """The analysis of one text: the one result type that feeds every lint renderer."""

    source: str
    text: str
    findings: tuple[Finding, ...]
    apology: Apology
    score: int
    counts: tuple[tuple[str, int], ...] = ()
    #: The draft with every sentence rewrite in place; None when no negative finding changed it.
    rewritten: str | None = None
    #: The sentence rewrites that made `rewritten` (offsets into `text`).
    edits: tuple[SentenceRewrite, ...] = ()

    @property
    def count_map(self) -> dict[str, int]:
        return dict(self.counts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "score": self.score,
            "counts": self.count_map,
            "findings": [f.to_dict() for f in self.findings],
            "apology": self.apology.to_dict(),
            "rewritten": self.rewritten,
            "edits": [e.to_dict() for e in self.edits],
        }


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of a transcript as a reader yields it."""

    speaker: str  # "agent" | "customer" | "system"
    text: str
    name: str | None = None
    time: str | None = None
    line: int | None = None  # line in the source file where the turn starts, when known


@dataclass(frozen=True, slots=True)
class Conversation:
    """One conversation as a reader yields it; `source` is the file it came from."""

    id: str
    turns: tuple[Turn, ...]
    agent: str | None = None
    channel: str | None = None
    source: str = ""
    line: int | None = None
    meta: tuple[tuple[str, Any], ...] = field(default=())
    #: Its 1-based number among the conversations read from `source` (set by `coach score`):
    #: with the resolved source, the position `--resume` skips by.
    record: int | None = None
    #: When it started, ISO 8601 UTC (`YYYY-MM-DDTHH:MM:SSZ`): the export's created time or the
    #: first turn's; None when the format has no dates.
    started_at: str | None = None


@dataclass(frozen=True, slots=True)
class TurnReport:
    """One turn of a scored conversation with its findings (offsets into this turn's text)."""

    index: int
    speaker: str
    name: str | None
    text: str
    findings: tuple[Finding, ...] = ()
    time: str | None = None  # as the export gives it (a date, a clock time or an offset)
    #: An agent turn with negative findings, rewritten (see TextReport.rewritten); else None.
    rewritten: str | None = None
    edits: tuple[SentenceRewrite, ...] = ()

    @property
    def number(self) -> int:
        """The turn as people count it (from 1): what every report shows as "turn N"."""
        return self.index + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "turn": self.number,
            "speaker": self.speaker,
            "name": self.name,
            "time": self.time,
            "text": self.text,
            "findings": [f.to_dict() for f in self.findings],
            "rewritten": self.rewritten,
            "edits": [e.to_dict() for e in self.edits],
        }


@dataclass(frozen=True, slots=True)
class ConversationReport:
    """The analysis of one conversation: the one result type every `coach score` renderer reads."""

    conversation: str
    source: str
    agent: str | None
    channel: str | None
    score: int
    apology: Apology
    apology_expected: bool
    counts: tuple[tuple[str, int], ...]
    turns: tuple[TurnReport, ...]
    line: int | None = None  # where the conversation starts in `source`, when the format has lines
    record: int | None = None  # its number among the conversations read from `source`
    started_at: str | None = None  # ISO 8601 UTC, as on Conversation

    @property
    def count_map(self) -> dict[str, int]:
        return dict(self.counts)

    @property
    def agent_turns(self) -> int:
        return sum(1 for t in self.turns if t.speaker == "agent")

    @property
    def findings(self) -> tuple[tuple[int, Finding], ...]:
        """(turn index, finding) for every finding, in turn order."""
        return tuple((t.index, f) for t in self.turns for f in t.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation": self.conversation,
            "source": self.source,
            "line": self.line,
            "record": self.record,
            "agent": self.agent,
            "channel": self.channel,
            "started_at": self.started_at,
            "score": self.score,
            "apology": {**self.apology.to_dict(), "expected": self.apology_expected},
            "counts": self.count_map,
            "turns": [t.to_dict() for t in self.turns],
        }


@dataclass(frozen=True, slots=True)
class LocatedFinding:
    """A finding placed in a file for CI: file line/column (1-based), entry key, fingerprint."""

    finding: Finding
    path: str
    key: str | None
    line: int
    column: int
    end_line: int
    end_column: int
    fingerprint: str
    failing: bool = True
    #: The sentence rewrite that answers this finding (text, placeholders, advice), if any,
    #: and where it sits in the file: (line, column, end line, end column), 1-based.
    edit: SentenceRewrite | None = None
    edit_region: tuple[int, int, int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.finding.to_dict(),
            "path": self.path,
            "key": self.key,
            "file_line": self.line,
            "file_column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "fingerprint": self.fingerprint,
            "failing": self.failing,
            "edit": self.edit.to_dict() if self.edit else None,
        }


@dataclass(frozen=True, slots=True)
class EntryResult:
    """One canned reply checked: where it lives, its lint report, its placed findings."""

    path: str
    key: str | None
    line: int
    report: TextReport
    findings: tuple[LocatedFinding, ...]
    problems: tuple[str, ...] = ()  # entry-level gates that failed (min-score, incomplete apology)

    @property
    def name(self) -> str:
        return f"{self.path}::{self.key}" if self.key else self.path

    @property
    def failed(self) -> bool:
        return bool(self.problems) or any(f.failing for f in self.findings)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Everything `coach check` found: the one result type its renderers read."""

    entries: tuple[EntryResult, ...]
    suppressed: int = 0
    baselined: int = 0
    unused_suppressions: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # files that could not be read, one line each
    fail_on: str = "warning"
    #: The folder report paths are relative to (git top level, else the config's folder); None: here.
    root: str | None = None

    @property
    def findings(self) -> tuple[LocatedFinding, ...]:
        return tuple(f for e in self.entries for f in e.findings)

    @property
    def failed(self) -> bool:
        return any(e.failed for e in self.entries)


def placeholder_spans(edits: Iterable[SentenceRewrite]) -> list[tuple[int, int]]:
    """Where the edits' `[placeholders]` sit in the rewritten text (edits applied in order of start,
    an overlapping one skipped, as `coach.rewrite.apply_edits` applies them)."""
    out: list[tuple[int, int]] = []
    shift = pos = 0
    for e in sorted(edits, key=lambda e: e.start):
        if e.start < pos:
            continue
        at = e.start + shift
        out.extend((at + a, at + b) for a, b in e.placeholders)
        shift += len(e.text) - (e.end - e.start)
        pos = e.end
    return out


def edit_for(finding: Finding, edits: Iterable[SentenceRewrite]) -> SentenceRewrite | None:
    """The sentence rewrite (or advice) that answers `finding`, if any."""
    return next(
        (e for e in edits if finding.rule in e.rules and e.start <= finding.end and finding.start <= e.end), None
    )


def _reduce_by_fields(self: Any) -> tuple:
    """Pickle as (class, field values): about 3x faster to write than the default for slots
    dataclasses, and `--jobs` workers send every conversation and report through pickle."""
    return type(self), tuple(getattr(self, name) for name in self.__slots__)


for _cls in (Finding, Apology, Turn, Conversation, TurnReport, ConversationReport):
    _cls.__reduce__ = _reduce_by_fields  # type: ignore[method-assign]
