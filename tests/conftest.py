"""Shared fixtures: a small, stable phrasebook so core tests don't move when the shipped rules are tuned."""

from __future__ import annotations

from pathlib import Path

import os
import tempfile

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
