"""The public API: `Analyzer(...).lint(texts)` -> TextReports, in input order, in one pass.

>>> from coach import Analyzer
>>> report = next(Analyzer().lint(["There's nothing I can do."]))
>>> [f.rule for f in report.findings]
['blocking.powerless.nothing-i-can-do']
"""

from __future__ import annotations

import dataclasses
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from itertools import islice
from typing import TYPE_CHECKING, NamedTuple

from . import scoring
from .engine.engine import CANCELLED_BY_NON_APOLOGY, Engine, named
from .engine.nlp import get_nlp
from .engine.normalize import Normalized, normalize
from .models import (
    NEGATIVE_CATEGORIES,
    SOFTENED,
    Conversation,
    ConversationReport,
    Finding,
    Rule,
    TextReport,
    TurnReport,
    edit_for,
)
from .phrasebook import load_rules, select_rules
from .rewrite import SentenceRewrite, rewrite

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

    from .model.predict import Classifier

BATCH_SIZE = 256
#: `lint` on at most this many characters builds an engine of just the patterns the
#: drafts could match (start-up time); more text uses the whole, shared engine.
DRAFT_ENGINE_CHARS = 200_000
#: Texts tokenized normally first, so common words join the vocabulary for good; after
#: that, every ZONE_TEXTS texts run in a spaCy memory zone whose new word types (order
#: numbers, e-mails, names) are freed at its end, keeping memory flat on huge inputs.
WARM_TEXTS = 20_000
ZONE_TEXTS = 10_000


class Analyzer:
    """Loads phrasebooks and the classifier, compiles matchers once, and analyzes texts in
    batches: rules find exact spans, the model the sentences no rule list enumerates."""

    def __init__(
        self,
        rules: Sequence[Rule] | None = None,
        *,
        phrasebooks: Iterable[str] = (),
        defaults: bool = True,
        only: Iterable[str] = (),
        ignore: Iterable[str] = (),
        model: bool | str | os.PathLike[str] = True,
    ) -> None:
        """`model`: True for the bundled classifier (when the install has one), False for
        rules only, or the folder of a model `coach train` wrote."""
        if rules is None:
            rules = load_rules(list(phrasebooks), defaults=defaults)
        only, ignore = tuple(only), tuple(ignore)
        self.only, self.ignore = only, ignore  # kept so a Spark job can rebuild this analyzer on executors
        self.rules: list[Rule] = select_rules(rules, only, ignore)
        self.model = model
        self.model_rules: list[Rule] = []
        if model is not False and model is not None:
            from .model.rules import model_rules

            self.model_rules = select_rules(model_rules(), only, ignore)
        self.weights = {r.id: r.weight for r in self.all_rules}
        self._speakers = {r.id: r.speaker for r in self.all_rules}
        self._engine: Engine | None = None
        self._classifier: Classifier | None | bool = False  # False: not loaded yet
        #: Per category, the findings that excuse it when they follow in its sentence (the rules'
        #: `unless_followed_by`): the model's reading of that category defers to them too.
        self._excused_by: dict[str, set[str]] = {}
        #: Likewise `softened_by`: a model finding whose sentence holds the offer is only noted.
        self._softened_by: dict[str, set[str]] = {}
        for r in self.rules:
            if r.unless_followed_by:
                self._excused_by.setdefault(r.category, set()).update(r.unless_followed_by)
            if r.softened_by:
                self._softened_by.setdefault(r.category, set()).update(r.softened_by)

    @property
    def all_rules(self) -> list[Rule]:
        """Phrasebook rules and the model's rules: what reports and renderers look up."""
        return self.rules + self.model_rules

    def compile(self) -> Analyzer:
        """Build the matchers and load the model now (a long run does it before forking)."""
        self.engine  # noqa: B018 -- the property builds the matchers on first access
        self.classifier  # noqa: B018 -- the property loads the model on first access
        return self

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(self.rules)
        return self._engine

    @property
    def classifier(self) -> Classifier | None:
        """The loaded model restricted to the selected labels; None when off or absent."""
        if self._classifier is False:
            from .model.predict import load_classifier

            self._classifier = load_classifier(self.model, self.model_rules, get_nlp().vocab.strings)
        return self._classifier  # type: ignore[return-value]

    def _batches(self, texts: Iterable[str]) -> Iterator[list[tuple[Doc, Normalized]]]:
        """Normalize and tokenize texts through spaCy, streaming, in batches of BATCH_SIZE.

        A batch's Docs are only valid until the next batch is requested: after the
        warm-up, Docs live in memory zones that are freed as the stream moves on.
        """
        nlp = get_nlp()
        stream = iter(texts)
        chunk = list(islice(stream, WARM_TEXTS))
        zoned = False
        while chunk:
            with nlp.memory_zone() if zoned else nullcontext():
                norms = [normalize(text) for text in chunk]
                docs = nlp.tokenizer.pipe([n.text for n in norms], batch_size=BATCH_SIZE)
                for at in range(0, len(norms), BATCH_SIZE):
                    yield list(zip(islice(docs, BATCH_SIZE), norms[at : at + BATCH_SIZE]))
            chunk = list(islice(stream, ZONE_TEXTS))
            zoned = True

    def findings_in(
        self, texts: Iterable[str], speaker: str = "agent", *, engine: Engine | None = None
    ) -> Iterator[list[Finding]]:
        """Findings per text (of rules and model for that speaker's turns), in input order."""
        engine = engine or self.engine
        for batch in self._batches(texts):
            yield from self._batch_findings(engine, batch, [speaker] * len(batch))

    def findings_by_source(self, texts: Iterable[str]) -> Iterator[Sources]:
        """Per text, the rules' findings, the model's, and the rule findings the model
        confirms, before they are merged (coach eval measures rules, model and both)."""
        for batch in self._batches(texts):
            rules = [self._findings(self.engine, doc, n, "agent") for doc, n in batch]
            for found, (model, confirmed) in zip(rules, self._model_pass(batch, ["agent"] * len(batch), rules)):
                yield Sources(found, model, confirmed)

    def _findings(self, engine: Engine, doc: Doc, n: Normalized, speaker: str) -> list[Finding]:
        return [f for f in engine.findings(doc, n) if self._rule_lints_speaker(f.rule, speaker)]

    def _model_pass(
        self, batch: list[tuple[Doc, Normalized]], speakers: list[str], rules: list[list[Finding]]
    ) -> list[tuple[list[Finding], list[Finding]]]:
        """Per text of a batch: the classifier's findings, and the rule findings it lets
        stand (customer turns are left to the rules: the model was trained on agent replies)."""
        out: list[tuple[list[Finding], list[Finding]]] = [([], found) for found in rules]
        classifier = self.classifier
        if classifier is None:
            return out
        agent = [i for i, sp in enumerate(speakers) if sp != "customer"]
        scores = classifier.score([batch[i][0] for i in agent])
        for d, i in enumerate(agent):
            doc, n = batch[i]
            model = classifier.findings(d, doc, n, scores)
            if self._excused_by:
                model = [m for m in model if not _in_sentence(m, rules[i], self._excused_by)]
            if self._softened_by:
                model = [_soften(m) if _in_sentence(m, rules[i], self._softened_by) else m for m in model]
            out[i] = (model, classifier.confirmed(d, doc, n, scores, rules[i]))
        return out

    def _batch_findings(
        self, engine: Engine, batch: list[tuple[Doc, Normalized]], speakers: list[str]
    ) -> list[list[Finding]]:
        """Rule and model findings, merged, per text of a batch."""
        found = [self._findings(engine, doc, n, sp) for (doc, n), sp in zip(batch, speakers)]
        if not self.model_rules:
            return found
        return [merge_findings(confirmed, model) for model, confirmed in self._model_pass(batch, speakers, found)]

    def _rule_lints_speaker(self, rule_id: str, speaker: str) -> bool:
        """Customer-side rules lint customer turns; the rest lint agent (and system) turns."""
        wanted = self._speakers[rule_id]
        return wanted == "any" or (wanted == "customer") == (speaker == "customer")

    def report(
        self, source: str, text: str, findings: list[Finding], *, rewrite_only: Sequence[Finding] | None = None
    ) -> TextReport:
        """Score one text's findings into the immutable TextReport every renderer reads, with
        the draft rewritten for its negative findings (or only for `rewrite_only`, a subset:
        `coach check` leaves suppressed and baselined findings as written)."""
        apology = scoring.apology(findings)
        found, rewritten, edits = with_rewrites(text, findings, rewrite_only)
        return TextReport(
            source=source,
            text=text,
            findings=found,
            apology=apology,
            score=scoring.score(findings, self.weights, apology),
            counts=tuple(sorted(scoring.counts(findings).items())),
            rewritten=rewritten,
            edits=edits,
        )

    def lint(self, texts: Iterable[str], sources: Iterable[str] | None = None) -> Iterator[TextReport]:
        """Analyze drafts in one pass; results come in input order."""
        texts = list(texts)
        names = list(sources) if sources is not None else [f"arg:{i + 1}" for i in range(len(texts))]
        if self._engine is None and sum(map(len, texts)) <= DRAFT_ENGINE_CHARS:
            engine, tokenized = self._tokenize_with_draft_engine(texts)
            batches: Iterable[list[tuple[Doc, Normalized]]] = (
                tokenized[at : at + BATCH_SIZE] for at in range(0, len(tokenized), BATCH_SIZE)
            )
        else:
            engine, batches = self.engine, self._batches(texts)
        at = 0
        for batch in batches:
            for found in self._batch_findings(engine, batch, ["agent"] * len(batch)):
                yield self.report(names[at], texts[at], found)
                at += 1

    def _tokenize_with_draft_engine(self, texts: list[str]) -> tuple[Engine, list[tuple[Doc, Normalized]]]:
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
        speakers: deque[str] = deque()

        def turn_texts() -> Iterator[str]:
            for conv in conversations:
                pending.append(conv)
                for turn in conv.turns:
                    speakers.append(turn.speaker)
                    yield turn.text

        current: list[list[Finding]] = []
        for batch in self._batches(turn_texts()):
            for found in self._batch_findings(engine, batch, [speakers.popleft() for _ in batch]):
                while not pending[0].turns:
                    yield conversation_report(pending.popleft(), [], self.weights)
                current.append(found)
                if len(current) == len(pending[0].turns):
                    yield conversation_report(pending.popleft(), current, self.weights)
                    current = []
        while pending:
            yield conversation_report(pending.popleft(), [], self.weights)


class Sources(NamedTuple):
    """One text's findings by where they come from (see Analyzer.findings_by_source)."""

    rules: list[Finding]
    model: list[Finding]
    confirmed: list[Finding]


def _in_sentence(sentence: Finding, rules: list[Finding], names_by_category: dict[str, set[str]]) -> bool:
    """A model finding whose sentence holds a rule finding the phrasebooks name for its
    category ("..., and if they can't sort it out, I'll follow it up for you")."""
    names = names_by_category.get(sentence.category, set())
    return bool(names) and any(
        sentence.start <= f.start < sentence.end and named(f.rule, f.category, names) for f in rules
    )


def _soften(f: Finding) -> Finding:
    """Only noted: an offer follows in the sentence (`Rule.softened_by`)."""
    return dataclasses.replace(f, severity="info", message=f.message.rstrip() + SOFTENED, rewrites=())


def merge_findings(rules: list[Finding], model: list[Finding]) -> list[Finding]:
    """Rule and model findings as one list: where a rule found the same label in the same
    sentence, the rule's finding (exact span, rewrite) stands for both; a non-apology
    cancels regret and forgiveness it overlaps, whichever found them."""
    kept = [m for m in model if not any(r.label == m.label and r.start < m.end and m.start < r.end for r in rules)]
    if not kept:
        return rules
    merged = rules + kept
    non = [f for f in merged if f.label == "non_apology"]
    if non:
        merged = [
            f
            for f in merged
            if not (f.label in CANCELLED_BY_NON_APOLOGY and any(n.start < f.end and f.start < n.end for n in non))
        ]
    merged.sort(key=lambda f: (f.start, f.end, f.rule))
    return merged


def with_rewrites(
    text: str, findings: Sequence[Finding], rewrite_only: Sequence[Finding] | None = None
) -> tuple[tuple[Finding, ...], str | None, tuple[SentenceRewrite, ...]]:
    """The findings each with the sentence rewrite that answers it, the rewritten text (None when
    unchanged) and the sentence rewrites; the rewriter runs only when a finding is negative."""
    chosen = findings if rewrite_only is None else rewrite_only
    if not any(f.category in NEGATIVE_CATEGORIES for f in chosen):
        return tuple(findings), None, ()
    done = rewrite(text, chosen)
    if not done.edits:
        return tuple(findings), None, ()
    return (tuple(_answered(f, done.edits) for f in findings), done.text if done.text != text else None, done.edits)


def _answered(f: Finding, edits: Sequence[SentenceRewrite]) -> Finding:
    """`f` with `rewrite` set to the text of the (non-advice) sentence rewrite that answers it."""
    e = edit_for(f, edits)
    return f if e is None or e.advice is not None else dataclasses.replace(f, rewrite=e.text)


def conversation_report(
    conv: Conversation, per_turn: list[list[Finding]], weights: dict[str, float]
) -> ConversationReport:
    """Fold one conversation's per-turn findings into its report (agent side scored)."""
    turns = []
    agent_findings: list[Finding] = []
    complaint_seen = False
    answered = False
    for index, turn in enumerate(conv.turns):
        found = per_turn[index] if index < len(per_turn) else []
        if turn.speaker == "agent":
            shown, rewritten, edits = with_rewrites(turn.text, found)
        else:
            shown, rewritten, edits = tuple(found), None, ()
        turns.append(TurnReport(index, turn.speaker, turn.name, turn.text, shown, turn.time, rewritten, edits))
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
        conversation=conv.id,
        source=conv.source,
        agent=conv.agent or _agent_name(conv),
        channel=conv.channel,
        score=scoring.score(agent_findings, weights, apology),
        apology=apology,
        apology_expected=complaint_seen and agent_replied and not answered,
        counts=tuple(sorted(all_counts.items())),
        turns=tuple(turns),
        line=conv.line,
        record=conv.record,
        started_at=conv.started_at,
    )


def _agent_name(conv: Conversation) -> str | None:
    """The first named agent turn, for exports that name agents only on turns."""
    return next((t.name for t in conv.turns if t.speaker == "agent" and t.name), None)
