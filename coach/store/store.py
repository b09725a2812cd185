"""Opening a store and writing runs into it, a batch of whole conversations per transaction.

Versions: a stored conversation is known by its id (the export's, or `file:line` where the
export gives none) and the fingerprint of the rules and model that scored it. Storing it
again with the same fingerprint replaces that version; with another it adds a version.
Exactly one version of each id is `latest` (the last stored), and queries read only those.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime

from .. import __version__
from ..errors import UsageError
from ..models import ConversationReport
from .backends import Backend, connect, redacted_url
from .migrations import migrate, version

#: Conversations per transaction: an interrupted run loses at most this many, never a part of one.
BATCH = 500


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """An open results store, migrated to this coach's schema."""

    def __init__(self, backend: Backend) -> None:
        self.db = backend

    @property
    def name(self) -> str:
        return self.db.name

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def begin_run(
        self,
        *,
        inputs: Iterable[str],
        rules_fingerprint: str,
        model_fingerprint: str | None,
        fingerprint: str,
        batch: int = BATCH,
    ) -> RunWriter:
        """Record a run as running (committed at once, so an interrupted one shows) and return
        the writer its conversations go through."""
        db = self.db
        params = {
            "t": db.time_param(now_iso()),
            "v": __version__,
            "r": rules_fingerprint,
            "m": model_fingerprint,
            "f": fingerprint,
            "i": json.dumps(list(inputs)),
        }
        with db.guard("record the run"), db.transaction():
            rows = db.execute(
                "INSERT INTO runs (started_at, status, coach_version, rules_fingerprint, "
                "model_fingerprint, fingerprint, inputs) VALUES (:t, 'running', :v, :r, :m, :f, :i) "
                "RETURNING id",
                params,
            )
        return RunWriter(self, rows[0][0], fingerprint, batch)


def open_store(target: str, *, create: bool = True) -> Store:
    """The store at `target` (SQLite path or postgresql:// URL), migrated when `create`; for
    reading (`create=False`) a missing or older store is a usage error, not an empty result."""
    if not create and "://" not in target and not os.path.exists(target):
        raise UsageError(f"{target}: no such results store", hint="write one with coach score ... --store PATH")
    backend = connect(target)
    try:
        with backend.guard("open the results store"):
            _prepare(backend, target, create)
    except BaseException:
        backend.close()
        raise
    return Store(backend)


def _prepare(backend: Backend, target: str, create: bool) -> None:
    """Migrate a store for writing; for reading, refuse what is not a store and bring an older one up
    (migrations only add)."""
    if create:
        migrate(backend)
        return
    have = version(backend)
    if have == 0:
        raise UsageError(
            f"{redacted_url(target)}: not a coach results store (no runs stored yet)",
            hint="write one with coach score ... --store",
        )
    migrate(backend)  # refuses a store newer than this coach


def _conversation_row(report: ConversationReport, run: int, fingerprint: str, db: Backend) -> dict:
    counts = report.count_map
    apology = report.apology
    return {
        "run": run,
        "conversation": report.conversation,
        "fingerprint": fingerprint,
        "latest": True,
        "source": report.source,
        "record": report.record,
        "agent": report.agent,
        "channel": report.channel,
        "started_at": db.time_param(report.started_at),
        "day": db.date_param(report.started_at[:10] if report.started_at else None),
        "score": report.score,
        "turns": len(report.turns),
        "agent_turns": report.agent_turns,
        "advocacy": counts.get("advocacy", 0),
        "blocking": counts.get("blocking", 0),
        "non_apology": counts.get("non_apology", 0),
        "offered": apology.offered,
        "completeness": apology.completeness,
        "missing": ";".join(apology.missing) or None,
        "expected": report.apology_expected,
    }


_INSERT_CONVERSATION = (
    "INSERT INTO conversations (run_id, conversation, fingerprint, latest, source, record, agent, channel, "
    "started_at, day, score, turns, agent_turns, advocacy, blocking, non_apology, apology_offered, "
    "apology_completeness, apology_missing, apology_expected) VALUES (:run, :conversation, :fingerprint, "
    ":latest, :source, :record, :agent, :channel, :started_at, :day, :score, :turns, :agent_turns, :advocacy, "
    ":blocking, :non_apology, :offered, :completeness, :missing, :expected)"
)
_INSERT_FINDING = (
    "INSERT INTO findings (conversation_id, latest, agent, started_at, day, turn, speaker, rule, category, element, "
    "severity, source, confidence, span_start, span_end, text, rewrite) VALUES (:cid, :latest, :agent, "
    ":started_at, :day, :turn, :speaker, :rule, :category, :element, :severity, :source, :confidence, :start, :end, "
    ":text, :rewrite)"
)


class RunWriter:
    """Takes one run's reports and stores them BATCH at a time, each batch one transaction."""

    def __init__(self, store: Store, run_id: int, fingerprint: str, batch: int = BATCH) -> None:
        self.store = store
        self.run_id = run_id
        self.fingerprint = fingerprint
        self.batch = batch
        self.pending: dict[str, ConversationReport] = {}
        self.stored = 0
        self.closed = False

    def add(self, report: ConversationReport) -> None:
        self.pending.pop(report.conversation, None)  # a repeated id: the last one read wins
        self.pending[report.conversation] = report
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        db = self.store.db
        reports = list(self.pending.values())
        keys = [r.conversation for r in reports]
        days = {r.conversation: db.date_param(r.started_at[:10]) if r.started_at else None for r in reports}
        with db.guard("store conversations"), db.transaction():
            where = {"keys": keys, "fp": self.fingerprint}
            db.execute(
                "DELETE FROM findings WHERE conversation_id IN (SELECT id FROM conversations "
                "WHERE fingerprint = :fp AND conversation IN (:keys))",
                where,
            )
            db.execute("DELETE FROM conversations WHERE fingerprint = :fp AND conversation IN (:keys)", where)
            # Older versions step back. No `latest` test on the updated table: it would tempt a planner
            # without statistics into the trend indexes (every latest row) instead of the id lookups.
            older = {"keys": keys, "yes": True, "no": False}
            db.execute(
                "UPDATE findings SET latest = :no WHERE conversation_id IN (SELECT id "
                "FROM conversations WHERE latest = :yes AND conversation IN (:keys))",
                older,
            )
            db.execute(
                "UPDATE conversations SET latest = :no WHERE conversation IN (:keys)", {"keys": keys, "no": False}
            )
            db.executemany(
                _INSERT_CONVERSATION, [_conversation_row(r, self.run_id, self.fingerprint, db) for r in reports]
            )
            ids = dict(
                db.execute(
                    "SELECT conversation, id FROM conversations WHERE run_id = :run AND conversation IN (:keys)",
                    {"run": self.run_id, "keys": keys},
                )
            )
            db.executemany(
                _INSERT_FINDING,
                [
                    {
                        "cid": ids[r.conversation],
                        "latest": True,
                        "agent": r.agent,
                        "started_at": db.time_param(r.started_at),
                        "day": days[r.conversation],
                        "turn": t.number,
                        "speaker": t.speaker,
                        "rule": f.rule,
                        "category": f.category,
                        "element": f.element,
                        "severity": f.severity,
                        "source": f.source,
                        "confidence": f.confidence,
                        "start": f.start,
                        "end": f.end,
                        "text": f.text,
                        "rewrite": f.rule_suggestion,
                    }
                    for r in reports
                    for t in r.turns
                    for f in t.findings
                ],
            )
            db.execute(
                "UPDATE runs SET conversations = conversations + :n WHERE id = :run",
                {"n": len(reports), "run": self.run_id},
            )
        self.stored += len(reports)
        self.pending.clear()

    def finish(self, status: str = "finished") -> None:
        """Store what is pending (a finished run) or drop it (an interrupted one), and close the run;
        a batch that fails leaves the run marked failed (or interrupted, on Ctrl-C)."""
        if status == "finished":
            try:
                self.flush()
            except BaseException as exc:
                self.pending.clear()
                with contextlib.suppress(Exception):
                    self._close("interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
                raise
        else:
            self.pending.clear()
        self._close(status)

    def _close(self, status: str) -> None:
        self.closed = True
        db = self.store.db
        with db.guard("record the run's end"), db.transaction():
            db.execute(
                "UPDATE runs SET status = :s, finished_at = :t WHERE id = :run",
                {"s": status, "t": db.time_param(now_iso()), "run": self.run_id},
            )
