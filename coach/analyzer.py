"""The public API: `Analyzer(...).lint(texts)` -> TextReports, in input order, in one pass.

    >>> from coach import Analyzer
    >>> report = next(Analyzer().lint(["There's nothing I can do."]))
    >>> [f.rule for f in report.findings]
    ['blocking.powerless.nothing-i-can-do']
"""

from __future__ import annotations

from collections import deque
from typing import Iterable, Iterator, Sequence

from .matching import Engine
from .models import Conversation, ConversationReport, Finding, Rule, TextReport, TurnReport
from .normalize import Normalized, normalize
from .phrasebook import load_rules, select_rules
from . import scoring

BATCH_SIZE = 256


class Analyzer:
    """Loads phrasebooks, compiles matchers once, and analyzes texts in batches."""

    def __init__(self, rules: Sequence[Rule] | None = None, *, phrasebooks: Iterable[str] = (),
                 defaults: bool = True, only: Iterable[str] = (), ignore: Iterable[str] = ()) -> None:
        if rules is None:
            rules = load_rules(list(phrasebooks), defaults=defaults)
        self.rules: list[Rule] = select_rules(rules, only, ignore)
        self.weights = {r.id: r.weight for r in self.rules}
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(self.rules)
        return self._engine

    def findings_in(self, texts: Iterable[str], *, speakers: Iterable[str] | None = None
                    ) -> Iterator[list[Finding]]:
        """Findings per text, streaming through spaCy's tokenizer in batches."""
        engine = self.engine
        norms: deque[Normalized] = deque()

        def normalized_texts() -> Iterator[str]:
            for text in texts:
                n = normalize(text)
                norms.append(n)
                yield n.text

        speaker_iter = iter(speakers) if speakers is not None else None
        for doc in engine.nlp.tokenizer.pipe(normalized_texts(), batch_size=BATCH_SIZE):
            n = norms.popleft()
            found = engine.findings(doc, n)
            if speaker_iter is not None:
                speaker = next(speaker_iter)
                found = [f for f in found if self._speaks(f.rule, speaker)]
            else:
                found = [f for f in found if engine.rules[f.rule].speaker != "customer"]
            yield found

    def _speaks(self, rule_id: str, speaker: str) -> bool:
        wanted = self.engine.rules[rule_id].speaker
        return wanted == "any" or wanted == speaker or (wanted == "agent" and speaker not in ("customer",))

    def report(self, source: str, text: str, findings: list[Finding]) -> TextReport:
        """Score one text's findings into the immutable TextReport every renderer reads."""
        apology = scoring.apology(findings)
        return TextReport(
            source=source, text=text, findings=tuple(findings), apology=apology,
            score=scoring.score(findings, self.weights, apology),
            counts=tuple(sorted(scoring.counts(findings).items())),
        )

    def lint(self, texts: Iterable[str], sources: Iterable[str] | None = None) -> Iterator[TextReport]:
        """Analyze drafts in one pass; results come in input order."""
        texts = list(texts)
        names = list(sources) if sources is not None else [f"arg:{i + 1}" for i in range(len(texts))]
        for source, text, found in zip(names, texts, self.findings_in(texts)):
            yield self.report(source, text, found)

    def lint_text(self, text: str, source: str = "<text>") -> TextReport:
        return next(self.lint([text], [source]))

    def score_conversations(self, conversations: Iterable[Conversation]) -> Iterator[ConversationReport]:
        """Score conversations as they stream in; all turns go through one tokenizer pipe."""
        engine = self.engine
        pending: deque[Conversation] = deque()
        norms: deque[Normalized] = deque()

        def texts() -> Iterator[str]:
            for conv in conversations:
                pending.append(conv)
                for turn in conv.turns:
                    n = normalize(turn.text)
                    norms.append(n)
                    yield n.text

        current: list[list[Finding]] = []
        for doc in engine.nlp.tokenizer.pipe(texts(), batch_size=BATCH_SIZE):
            n = norms.popleft()
            while not pending[0].turns:
                yield conversation_report(pending.popleft(), [], self.weights)
            conv = pending[0]
            speaker = conv.turns[len(current)].speaker
            current.append([f for f in engine.findings(doc, n) if self._speaks(f.rule, speaker)])
            if len(current) == len(conv.turns):
                yield conversation_report(pending.popleft(), current, self.weights)
                current = []
        while pending:
            yield conversation_report(pending.popleft(), [], self.weights)


def conversation_report(conv: Conversation, per_turn: list[list[Finding]],
                        weights: dict[str, float]) -> ConversationReport:
    """Fold one conversation's per-turn findings into its report (agent side scored)."""
    turns = []
    agent_findings: list[Finding] = []
    complaint_seen = False
    answered = False
    for index, turn in enumerate(conv.turns):
        found = per_turn[index] if index < len(per_turn) else []
        turns.append(TurnReport(index, turn.speaker, turn.name, turn.text, tuple(found)))
        if turn.speaker == "agent":
            agent_findings.extend(found)
            if complaint_seen and any(f.element in ("regret", "responsibility") for f in found):
                answered = True
        elif any(f.category == "complaint" for f in found):
            complaint_seen = True
    apology = scoring.apology(agent_findings)
    agent_replied = any(t.speaker == "agent" for t in conv.turns)
    all_counts = scoring.counts(f for t in turns for f in t.findings)
    return ConversationReport(
        conversation=conv.id, source=conv.source, agent=conv.agent or _agent_name(conv),
        channel=conv.channel, score=scoring.score(agent_findings, weights, apology),
        apology=apology, apology_expected=complaint_seen and agent_replied and not answered,
        counts=tuple(sorted(all_counts.items())), turns=tuple(turns),
    )


def _agent_name(conv: Conversation) -> str | None:
    """The first named agent turn, for exports that name agents only on turns."""
    return next((t.name for t in conv.turns if t.speaker == "agent" and t.name), None)
