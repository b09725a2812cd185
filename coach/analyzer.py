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
from .models import Finding, Rule, TextReport
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
