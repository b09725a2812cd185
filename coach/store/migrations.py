"""The results store's schema, as numbered migrations applied in order, once each.

Why numbered SQL instead of Alembic: the SQLite store must work with the standard library
alone, and the same statements (column types filled in per dialect) must build the same
tables in PostgreSQL. `coach_schema` records each applied number; a store newer than this
coach is refused rather than misread. Never edit a released migration: add the next number.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..errors import UsageError
from .backends import Backend

#: (number, name, statements). `{pk}`, `{ts}`, `{date}`, `{bool}`, `{real}`, `{bigint}`: the backend's types.
MIGRATIONS: list[tuple[int, str, tuple[str, ...]]] = [
    (
        1,
        "runs, conversations and findings",
        (
            """CREATE TABLE runs (
            id {pk},
            started_at {ts} NOT NULL,
            finished_at {ts},
            status TEXT NOT NULL,
            coach_version TEXT NOT NULL,
            rules_fingerprint TEXT NOT NULL,
            model_fingerprint TEXT,
            fingerprint TEXT NOT NULL,
            inputs TEXT NOT NULL,
            conversations INTEGER NOT NULL DEFAULT 0
        )""",
            """CREATE TABLE conversations (
            id {pk},
            run_id {bigint} NOT NULL REFERENCES runs (id),
            conversation TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            latest {bool} NOT NULL,
            source TEXT NOT NULL,
            record INTEGER,
            agent TEXT,
            channel TEXT,
            started_at {ts},
            day {date},
            score INTEGER NOT NULL,
            turns INTEGER NOT NULL,
            agent_turns INTEGER NOT NULL,
            advocacy INTEGER NOT NULL,
            blocking INTEGER NOT NULL,
            non_apology INTEGER NOT NULL,
            apology_offered {bool} NOT NULL,
            apology_completeness {real},
            apology_missing TEXT,
            apology_expected {bool} NOT NULL
        )""",
            "CREATE UNIQUE INDEX conversations_version ON conversations (conversation, fingerprint)",
            "CREATE INDEX conversations_run ON conversations (run_id)",
            # Trends read only this index (agent, day and every summed column): no table lookups, no sort.
            """CREATE INDEX conversations_trend ON conversations (latest, agent, day, started_at, agent_turns,
            blocking, advocacy, non_apology, score, apology_offered, apology_completeness)""",
            """CREATE TABLE findings (
            id {pk},
            conversation_id {bigint} NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            latest {bool} NOT NULL,
            agent TEXT,
            started_at {ts},
            day {date},
            turn INTEGER NOT NULL,
            speaker TEXT NOT NULL,
            rule TEXT NOT NULL,
            category TEXT NOT NULL,
            element TEXT,
            severity TEXT NOT NULL,
            source TEXT NOT NULL,
            confidence {real},
            span_start INTEGER NOT NULL,
            span_end INTEGER NOT NULL,
            text TEXT NOT NULL,
            rewrite TEXT
        )""",
            "CREATE INDEX findings_conversation ON findings (conversation_id)",
            # Per-rule trends: a range of rule ids read from the index alone, in (rule, agent, day) order
            # (each finding carries its conversation's latest flag, agent and time).
            "CREATE INDEX findings_trend ON findings (latest, rule, agent, day, category, started_at, speaker)",
        ),
    ),
    (
        2,
        "views of the latest version, for BI tools",
        (
            "CREATE VIEW latest_conversations AS SELECT * FROM conversations WHERE latest",
            """CREATE VIEW latest_findings AS
            SELECT f.*, c.conversation, c.channel, c.source AS conversation_source
            FROM findings f JOIN conversations c ON c.id = f.conversation_id WHERE f.latest""",
        ),
    ),
]

LATEST = MIGRATIONS[-1][0]


def statements(backend: Backend, body: tuple[str, ...]) -> list[str]:
    return [sql.format(**backend.types) for sql in body]


def version(backend: Backend) -> int:
    """The highest migration applied; 0 for an empty store."""
    if "coach_schema" not in backend.tables():
        if backend.tables() & {"runs", "conversations", "findings"}:
            raise UsageError(
                f"{backend.name}: has tables named runs/conversations/findings but is not a coach results store",
                hint="give another --store",
            )
        return 0
    rows = backend.execute("SELECT max(version) FROM coach_schema")
    return rows[0][0] or 0


def migrate(backend: Backend, upto: int = LATEST) -> list[int]:
    """Apply every migration above the store's version, each in its own transaction; return the
    numbers applied. Two coaches migrating at once: the loser's CREATE fails and it re-reads."""
    current = version(backend)
    if current > LATEST:
        raise UsageError(
            f"{backend.name}: the store is at schema version {current}, newer than this coach knows ({LATEST})",
            hint="upgrade coach",
        )
    applied = []
    if current == 0 and "coach_schema" not in backend.tables():
        with backend.transaction():
            backend.execute(
                "CREATE TABLE IF NOT EXISTS coach_schema (version INTEGER PRIMARY KEY, "
                "name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
    for number, name, body in MIGRATIONS:
        if number <= current or number > upto:
            continue
        with backend.transaction():
            if version(backend) >= number:  # another process got there first
                continue
            for sql in statements(backend, body):
                backend.execute(sql)
            backend.execute(
                "INSERT INTO coach_schema (version, name, applied_at) VALUES (:v, :n, :t)",
                {"v": number, "n": name, "t": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
            )
        applied.append(number)
    return applied
