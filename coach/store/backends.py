"""Where a results store lives: a SQLite file (stdlib) or a PostgreSQL database (SQLAlchemy Core
with psycopg, the `postgres` extra).

Why a thin layer of our own: every statement coach runs is plain SQL with `:name` parameters,
which both sqlite3 and SQLAlchemy's `text()` take as they are, so the schema, the migrations
and the queries are written once. The few differences (column types; times and days as
ISO text in SQLite, `timestamptz` and `date` in PostgreSQL) are answered here.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from ..errors import UsageError

_LIST_PARAM = re.compile(r":(\w+)\b")


def expand(sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """`IN (:ids)` with a list value becomes `IN (:ids_0, :ids_1, …)`: both drivers take that."""
    lists = {k: v for k, v in params.items() if isinstance(v, (list, tuple))}
    if not lists:
        return sql, params
    flat = {k: v for k, v in params.items() if k not in lists}

    def names(match: re.Match) -> str:
        key = match[1]
        if key not in lists:
            return match[0]
        values = lists[key] or [None]  # IN (NULL) matches nothing
        for i, value in enumerate(values):
            flat[f"{key}_{i}"] = value
        return ", ".join(f":{key}_{i}" for i in range(len(values)))

    return _LIST_PARAM.sub(names, sql), flat


def redacted_url(target: str) -> str:
    """A store's name fit for reports and messages: a URL's password is masked."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", target)


class Backend:
    """One open connection. Subclasses fill the dialect and the four driver calls."""

    dialect = ""
    #: The driver's exceptions: `guard` turns them into one-line CoachErrors.
    errors: tuple[type[BaseException], ...] = ()
    #: Column types by role, substituted into the migrations' `{pk}`, `{ts}`, `{bool}`, `{real}`.
    types: dict[str, str] = {}
    name = ""

    @contextlib.contextmanager
    def guard(self, doing: str) -> Iterator[None]:
        """A database error (locked past the timeout, disk full, connection lost, a constraint) as
        one line naming the store, instead of a traceback."""
        try:
            yield
        except self.errors as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            raise UsageError(
                f"{self.name}: cannot {doing}: {reason[0] if reason else type(exc).__name__}",
                hint="check the store (space, permissions, the server) and run again",
            ) from None

    def time_param(self, iso: str | None) -> Any:
        return iso

    def date_param(self, day: str | None) -> Any:
        return day

    def time_value(self, value: Any) -> str | None:
        return value

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Sequence[dict[str, Any]]) -> None:
        raise NotImplementedError

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        raise NotImplementedError
        yield

    def close(self) -> None:
        raise NotImplementedError

    def tables(self) -> set[str]:
        raise NotImplementedError


class SQLiteBackend(Backend):
    """A local file: nothing to install. Writers take turns (BEGIN IMMEDIATE, 30 s busy timeout)."""

    dialect = "sqlite"
    types = {
        "pk": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "ts": "TEXT",
        "date": "TEXT",
        "bool": "BOOLEAN",
        "real": "REAL",
        "bigint": "INTEGER",
    }

    errors = (sqlite3.Error,)

    def __init__(self, path: str) -> None:
        self.name = path
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise UsageError(f"{path}: its folder does not exist", hint="create it, or give another --store")
        try:
            self.conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"{path}: cannot open as a SQLite results store: {exc}") from None

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        sql, params = expand(sql, params or {})
        return self.conn.execute(sql, params).fetchall()

    def executemany(self, sql: str, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.executemany(sql, rows)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA optimize")  # statistics for the planner, as SQLite advises on close
        self.conn.close()

    def tables(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


class PostgresBackend(Backend):
    """A PostgreSQL database through SQLAlchemy Core and psycopg 3; times are `timestamptz`."""

    dialect = "postgresql"
    types = {
        "pk": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "ts": "TIMESTAMPTZ",
        "date": "DATE",
        "bool": "BOOLEAN",
        "real": "DOUBLE PRECISION",
        "bigint": "BIGINT",
    }

    def __init__(self, url: str) -> None:
        self.name = redacted_url(url)
        try:
            import sqlalchemy
        except ImportError:
            raise UsageError(
                "a PostgreSQL store needs SQLAlchemy and psycopg", hint='pip install "coach-cs[postgres]"'
            ) from None
        self._text = sqlalchemy.text
        self.errors = (sqlalchemy.exc.SQLAlchemyError,)
        driver_url = re.sub(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql+psycopg://", url)
        try:
            self.engine = sqlalchemy.create_engine(driver_url, poolclass=sqlalchemy.pool.NullPool)
            self.conn = self.engine.connect()
        except ImportError:
            raise UsageError("a PostgreSQL store needs psycopg", hint='pip install "coach-cs[postgres]"') from None
        except sqlalchemy.exc.SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise UsageError(
                f"{self.name}: cannot connect: {reason}",
                hint="check the URL, that the server runs and that the user may log in",
            ) from None
        self._tx: Any = None  # the open RootTransaction, if any

    def time_param(self, iso: str | None) -> Any:
        if iso is None:
            return None
        return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

    def date_param(self, day: str | None) -> Any:
        return None if day is None else date.fromisoformat(day)

    def time_value(self, value: Any) -> str | None:
        return _iso(value)

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        sql, params = expand(sql, params or {})
        with self._autocommit():
            result = self.conn.execute(self._text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []

    def executemany(self, sql: str, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            with self._autocommit():
                self.conn.execute(self._text(sql), list(rows))

    @contextlib.contextmanager
    def _autocommit(self) -> Iterator[None]:
        if self._tx is not None:
            yield
            return
        with self.conn.begin():
            yield

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self._tx = self.conn.begin()
        try:
            yield
        except BaseException:
            self._tx.rollback()
            raise
        else:
            self._tx.commit()
        finally:
            self._tx = None

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()

    def tables(self) -> set[str]:
        rows = self.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {r[0] for r in rows}


def connect(target: str) -> Backend:
    """A backend for `--store TARGET`: a postgresql:// URL, else a SQLite file path."""
    if re.match(r"^postgres(?:ql)?(?:\+\w+)?://", target):
        return PostgresBackend(target)
    if "://" in target:
        raise UsageError(
            f"--store {redacted_url(target)}: not a SQLite path or postgresql:// URL",
            hint="give results.db or postgresql://user@host/db",
        )
    return SQLiteBackend(target)
