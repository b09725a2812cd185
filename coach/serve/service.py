"""The analysis behind `coach serve`: one Analyzer, one analysis thread, no web framework.

spaCy and coach's matchers are CPU-bound Python that holds the GIL, so more threads
would not analyze faster; one thread keeps the Analyzer (not thread-safe) to itself
while the event loop goes on reading and writing sockets.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any

from .. import __version__
from ..analyzer import WARM_TEXTS, Analyzer
from ..models import Rule

#: Texts one request may carry: below the Analyzer's WARM_TEXTS, so its own memory zones
#: never open inside the one a request runs in (spaCy's zones must not nest).
MAX_TEXTS = 10_000
assert MAX_TEXTS < WARM_TEXTS

#: Seconds after start-up the matchers' background build waits for a first request to answer.
WARM_AFTER = 1.0

log = logging.getLogger("coach.serve")


class LintService:
    """Answers lint requests with exactly `coach lint --format json`'s document."""

    def __init__(self, analyzer: Analyzer, *, redact: bool = False) -> None:
        self.analyzer = analyzer
        self.redact = redact
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coach-analysis")
        self._full = threading.Event()
        self._answered = threading.Event()
        self._warmer: threading.Thread | None = None
        self._model_id: str | None = None

    def start(self, *, background: bool = True) -> LintService:
        """`load`, then `warm`: ready to answer."""
        self.load()
        self.warm(background=background)
        return self

    def load(self) -> None:
        """The tokenizer and the model, in this process, starting no thread (workers fork after)."""
        from ..engine.nlp import get_nlp

        get_nlp()
        classifier = self.analyzer.classifier  # a bad --model fails here, before the URL is printed
        self._model_id = classifier.data.fingerprint if classifier is not None else None

    def warm(self, *, background: bool = True) -> None:
        """Build the whole phrasebook's matchers (a few hundred ms), in a background thread by
        default, once the first request is answered or WARM_AFTER seconds pass without one;
        until then requests are answered as one-shot `coach lint` answers them, with matchers
        for just the draft's words. Same findings either way: the server is ready as soon as
        a one-shot lint would be, and the build does not slow its first answer down."""
        if background:
            self._warmer = threading.Thread(target=self._warm, args=(WARM_AFTER,), name="coach-warm", daemon=True)
            self._warmer.start()
        else:
            self._warm(0)

    def _warm(self, wait: float) -> None:
        from ..gcpause import settle

        self._answered.wait(wait)
        try:
            self.analyzer.engine  # noqa: B018 -- the property builds the matchers on first access
        except Exception as exc:  # keep serving with per-request matchers: slower, same findings
            log.error("building the matchers failed (%s); answering with per-request matchers", type(exc).__name__)
            return
        self._full.set()
        settle()  # start-up's objects are permanent: later collections skip them

    @property
    def is_warm(self) -> bool:
        return self._full.is_set()

    def submit(self, texts: Sequence[str]) -> Future[str]:
        """The JSON document for these drafts (sources arg:1, arg:2...), on the analysis thread."""
        return self._pool.submit(self.lint_json, list(texts))

    def lint_json(self, texts: list[str]) -> str:
        from ..engine.nlp import get_nlp
        from ..render.json_ import write_json

        # A memory zone frees the word types a request brings (order numbers, e-mails,
        # names) when it ends, so a server running for weeks does not grow. Only once the
        # background build is done: it adds the phrasebooks' strings, which must stay.
        zone = get_nlp().memory_zone() if self._full.is_set() else nullcontext()
        try:
            with zone:
                reports = list(self.analyzer.lint(texts, [f"arg:{i + 1}" for i in range(len(texts))]))
        finally:
            self._answered.set()
        if self.redact:
            from ..redact import redact_report

            reports = [redact_report(r) for r in reports]
        out = io.StringIO()
        write_json(reports, out)
        return out.getvalue()

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "version": __version__,
            "rules": len(self.analyzer.all_rules),
            "model": self._model_id,
            "matchers": "full" if self.is_warm else "per-request",
            "worker": os.getpid(),
        }

    def rules(self) -> dict[str, Any]:
        model = {r.id for r in self.analyzer.model_rules}
        return {
            "schema": "coach/1",
            "rules": [rule_dict(r, "model" if r.id in model else "phrasebook") for r in self.analyzer.all_rules],
        }

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def rule_dict(rule: Rule, kind: str) -> dict[str, Any]:
    """A loaded rule as /v1/rules lists it; `source` is the rule's citation, as in phrasebooks."""
    return {
        "id": rule.id,
        "kind": kind,
        "category": rule.category,
        "element": rule.element,
        "severity": rule.severity,
        "weight": rule.weight,
        "speaker": rule.speaker,
        "message": rule.message,
        "rewrites": list(rule.rewrites),
        "fix": rule.fix,
        "phrases": len(rule.phrases) + len(rule.patterns),
        "source": rule.source,
    }
