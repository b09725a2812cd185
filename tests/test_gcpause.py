"""Pausing the cyclic collector never leaves it in a state the caller did not choose."""

import gc

import pytest

from coach.gcpause import paused, settle


def test_paused_restores_an_enabled_collector_even_after_an_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_paused_leaves_a_disabled_collector_disabled():
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_settle_turns_on_only_a_collector_start_up_turned_off(monkeypatch):
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    settle()  # enabled already (a library user, a test): nothing to do
    assert frozen == [] and gc.isenabled()
    gc.disable()
    settle()
    assert frozen == [True] and gc.isenabled()
