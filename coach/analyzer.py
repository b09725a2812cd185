"""The public API: `Analyzer(...).lint(texts)` -> TextReports, in input order, in one pass.

    >>> from coach import Analyzer
    >>> report = next(Analyzer().lint(["There's nothing I can do."]))
    >>> [f.rule for f in report.findings]
    ['blocking.powerless.nothing-i-can-do']
"""

from __future__ import annotations

from collections import deque
from contextlib import nullcontext
from itertools import islice
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from .engine.engine import Engine
from .engine.nlp import get_nlp
from .models import Conversation, ConversationReport, Finding, Rule, TextReport, TurnReport
from .engine.normalize import Normalized, normalize
from .phrasebook import load_rules, select_rules
from . import scoring

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

BATCH_SIZE = 256
#: `lint` on at most this many characters builds an engine of just the patterns the
#: drafts could match (start-up time); more text uses the whole, shared engine.
FOCUSED_CHARS = 200_000
#: Texts tokenized normally first, so common words join the vocabulary for good; after
#: that, every ZONE_TEXTS texts run in a spaCy memory zone whose new word types (order
#: numbers, e-mails, names) are freed at its end, keeping memory flat on huge inputs.
WARM_TEXTS = 20_000
ZONE_TEXTS = 10_000


class Analyzer:
    """Loads phrasebooks, compiles matchers once, and analyzes texts in batches."""

    def __init__(self, rules: Sequence[Rule] | None = None, *, phrasebooks: Iterable[str] = (),
                 defaults: bool = True, only: Iterable[str] = (), ignore: Iterable[str] = ()) -> None:
        if rules is None:
            rules = load_rules(list(phrasebooks), defaults=defaults)
        self.rules: list[Rule] = select_rules(rules, only, ignore)
        self.weights = {r.id: r.weight for r in self.rules}
        self._speakers = {r.id: r.speaker for r in self.rules}
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(self.rules)
        return self._engine

    def _analyzed(self, texts: Iterable[str]) -> Iterator[tuple["Doc", Normalized]]:
        """Normalize and tokenize texts through batched spaCy pipes, streaming.

        A Doc is only valid until the next one is requested: after the warm-up, Docs live
        in memory zones that are freed as the stream moves on.
        """
        nlp = get_nlp()
        stream = iter(texts)
        chunk = list(islice(stream, WARM_TEXTS))
        zoned = False
        while chunk:
            with (nlp.memory_zone() if zoned else nullcontext()):
                norms = [normalize(text) for text in chunk]
                for doc, n in zip(nlp.tokenizer.pipe([n.text for n in norms], batch_size=BATCH_SIZE),
                                  norms):
                    yield doc, n
            chunk = list(islice(stream, ZONE_TEXTS))
            zoned = True

    def findings_in(self, texts: Iterable[str], speaker: str = "agent", *,
                    engine: Engine | None = None) -> Iterator[list[Finding]]:
        """Findings per text (of rules for that speaker's turns), in input order."""
        engine = engine or self.engine
        for doc, n in self._analyzed(texts):
            yield self._findings(engine, doc, n, speaker)

    def _findings(self, engine: Engine, doc: "Doc", n: Normalized, speaker: str) -> list[Finding]:
        return [f for f in engine.findings(doc, n) if self._speaks(f.rule, speaker)]

    def _speaks(self, rule_id: str, speaker: str) -> bool:
        """Customer-side rules lint customer turns; the rest lint agent (and system) turns."""
        wanted = self._speakers[rule_id]
        return wanted == "any" or (wanted == "customer") == (speaker == "customer")

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
        if self._engine is None and sum(map(len, texts)) <= FOCUSED_CHARS:
            engine, analyzed = self._focused(texts)
            for source, text, (doc, n) in zip(names, texts, analyzed):
                yield self.report(source, text, self._findings(engine, doc, n, "agent"))
            return
        for source, text, found in zip(names, texts, self.findings_in(texts)):
            yield self.report(source, text, found)

    def _focused(self, texts: list[str]) -> tuple[Engine, list[tuple["Doc", Normalized]]]:
        """The drafts tokenized once, and an engine holding only the patterns they could
        match: for a few drafts this costs milliseconds where the whole phrasebook costs a
        few hundred."""
        from .engine.engine import LOWER, NORM

        norms = [normalize(t) for t in texts]
        docs = list(get_nlp().tokenizer.pipe([n.text for n in norms], batch_size=BATCH_SIZE))
        words: set[int] = set()
        for doc in docs:
            words.update(doc.to_array([NORM, LOWER]).ravel().tolist())
        return Engine(self.rules, words=words), list(zip(docs, norms))

    def lint_text(self, text: str, source: str = "<text>") -> TextReport:
        return next(self.lint([text], [source]))

    def score_conversations(self, conversations: Iterable[Conversation]) -> Iterator[ConversationReport]:
        """Score conversations as they stream in; all turns go through one tokenizer pipe."""
        engine = self.engine
        pending: deque[Conversation] = deque()

        def turn_texts() -> Iterator[str]:
            for conv in conversations:
                pending.append(conv)
                yield from (turn.text for turn in conv.turns)

        current: list[list[Finding]] = []
        for doc, n in self._analyzed(turn_texts()):
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
