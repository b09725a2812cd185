"""Conventions users expect from a CLI: shell completion they can install, a cache in the platform's place."""

import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.engine import cache

runner = CliRunner()


def test_completion_options_are_offered():
    r = runner.invoke(app, ["--help"], prog_name="coach")
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout


def test_completion_completes_commands_and_options():
    env = {"_COACH_COMPLETE": "complete_bash", "COMP_WORDS": "coach check --st", "COMP_CWORD": "2"}
    r = runner.invoke(app, [], prog_name="coach", env=env)
    assert r.stdout.split() == ["--stdin-filename", "--statistics"]
    env = {"_COACH_COMPLETE": "complete_bash", "COMP_WORDS": "coach ch", "COMP_CWORD": "1"}
    assert runner.invoke(app, [], prog_name="coach", env=env).stdout.split() == ["check"]


@pytest.mark.slow
def test_install_completion_for_bash(tmp_path):
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "coach").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m coach "$@"\n', encoding="utf-8")
    (shim / "coach").chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "SHELL": "/bin/bash",
        "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    # typer asks shellingham which shell runs coach (the nearest shell among its parent processes):
    # run it from bash (a second command keeps bash from exec-ing coach in its place), so the test
    # does not depend on the shell pytest was started from
    r = subprocess.run(
        ["bash", "-c", "coach --install-completion bash; exit $?"], env=env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    script = home / ".bash_completions" / "coach.sh"
    assert "_COACH_COMPLETE" in script.read_text(encoding="utf-8")
    assert str(script) in (home / ".bashrc").read_text(encoding="utf-8")


# -- the cache folder -----------------------------------------------------------------------------
def test_cache_folder_choice(monkeypatch, tmp_path):
    monkeypatch.delenv("COACH_NO_CACHE", raising=False)
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("COACH_CACHE_DIR")
    assert cache.cache_dir() == tmp_path / "xdg" / "coach"
    monkeypatch.delenv("XDG_CACHE_HOME")
    asked = []
    monkeypatch.setattr(
        platformdirs,
        "user_cache_dir",
        lambda name, appauthor=None: asked.append((name, appauthor)) or str(tmp_path / "platform"),
    )
    assert cache.cache_dir() == tmp_path / "platform" and asked == [("coach", False)]
    monkeypatch.setenv("COACH_NO_CACHE", "1")
    assert cache.cache_dir() is None


@pytest.mark.skipif(sys.platform != "linux", reason="the Linux place")
def test_cache_folder_on_linux_is_the_xdg_default(monkeypatch, tmp_path):
    for name in ("COACH_NO_CACHE", "COACH_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.cache_dir() == Path(tmp_path) / ".cache" / "coach"
