"""Shared fixtures: a small, stable phrasebook so core tests don't move when the shipped rules are tuned."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
TEST_PHRASEBOOK = DATA / "golden" / "phrasebook.yaml"


def pytest_configure(config):
    # Keep the compiled-phrasebook cache of test runs out of the user's ~/.cache.
    os.environ.setdefault("COACH_CACHE_DIR", tempfile.mkdtemp(prefix="coach-test-cache-"))


@pytest.fixture(scope="session")
def test_phrasebook() -> Path:
    return TEST_PHRASEBOOK


@pytest.fixture(scope="session")
def analyzer():
    from coach.analyzer import Analyzer

    return Analyzer(phrasebooks=[str(TEST_PHRASEBOOK)], defaults=False, model=False)


@pytest.fixture(scope="session")
def default_analyzer():
    from coach.analyzer import Analyzer

    return Analyzer(model=False)  # the rules alone: tests of the model are in test_model.py


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL URL: COACH_TEST_POSTGRES (what .ci/run starts), else a server started here;
    the PostgreSQL tests skip, saying why, only when neither can be had."""
    pytest.importorskip("sqlalchemy", reason="the postgres extra (SQLAlchemy, psycopg) is not installed")
    pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")
    url = os.environ.get("COACH_TEST_POSTGRES")
    if url:
        yield url
        return
    from pgserver import start, stop

    url, why = start()
    if url is None:
        pytest.skip(f"no PostgreSQL server could be started: {why}")
    try:
        yield url
    finally:
        stop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """Each store test runs on a fresh SQLite file and on an emptied PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "results.db")
    url = request.getfixturevalue("pg_server")
    import sqlalchemy

    engine = sqlalchemy.create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=sqlalchemy.pool.NullPool
    )
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("DROP SCHEMA public CASCADE"))
        conn.execute(sqlalchemy.text("CREATE SCHEMA public"))
    engine.dispose()
    return url
