"""Which files `coach check` reads: .gitignore, include/exclude with --force-exclude, stdin, tool configs,
and the real pre-commit framework running the hook this repository declares."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from coach.cli import app
from coach.library import discover
from coach.library.globs import matches, matches_any

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
BAD = "Hi,\nUnfortunately there's nothing I can do.\n"
GOOD = "Hi, let me check what I can do for you.\n"


def tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def found(root: Path, *paths: str, **kwargs) -> list[str]:
    given = [str(root / p) for p in paths] or [str(root)]
    return sorted(os.path.relpath(p, root).replace(os.sep, "/") for p in discover(given, root=str(root), **kwargs))


# -- globs: git's reading, not a hand-written one --------------------------------------------------
def test_globs_follow_gitwildmatch():
    assert matches("drafts/", "drafts/a.md") and not matches_any(["drafts/"], "drafts", folder=False)
    assert matches_any(["drafts/"], "drafts", folder=True)
    assert matches("[ab].md", "x/a.md") and not matches("[ab].md", "c.md")
    assert matches("[!ab].md", "c.md") and not matches("[!ab].md", "a.md")
    assert matches_any(["*.md", "!keep.md"], "drop.md") and not matches_any(["*.md", "!keep.md"], "keep.md")
    assert matches("legal/**", "legal/x/y.md") and not matches("legal/**", "other/legal/y.md")
    assert matches("./legal", "legal/a.md")


# -- .gitignore ------------------------------------------------------------------------------------
def test_walk_respects_gitignore_like_git(tmp_path):
    (tmp_path / ".git" / "info").mkdir(parents=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("local-only.md\n", encoding="utf-8")
    tree(
        tmp_path,
        {
            ".gitignore": "build/\n*.tmp.md\n[x]*.md\n!keep.tmp.md\n",
            "a.md": GOOD,
            "build/b.md": GOOD,
            "c.tmp.md": GOOD,
            "keep.tmp.md": GOOD,
            "xa.md": GOOD,
            "local-only.md": GOOD,
            "sub/.gitignore": "secret.md\n",
            "sub/secret.md": GOOD,
            "sub/open.md": GOOD,
        },
    )
    assert found(tmp_path) == ["a.md", "keep.tmp.md", "sub/open.md"]
    assert found(tmp_path, respect_gitignore=False) == [
        "a.md",
        "build/b.md",
        "c.tmp.md",
        "keep.tmp.md",
        "local-only.md",
        "sub/open.md",
        "sub/secret.md",
        "xa.md",
    ]


def test_gitignore_outside_a_git_tree_is_not_read(tmp_path):
    tree(tmp_path, {".gitignore": "*.md\n", "a.md": GOOD})
    assert found(tmp_path) == ["a.md"]


def test_cli_no_respect_gitignore(tmp_path):
    (tmp_path / ".git").mkdir()
    tree(tmp_path, {".gitignore": "ignored/\n", "ignored/bad.md": BAD, "ok.md": GOOD})
    assert runner.invoke(app, ["check", str(tmp_path)]).exit_code == 0
    r = runner.invoke(app, ["check", str(tmp_path), "--no-respect-gitignore"])
    assert r.exit_code == 1 and "ignored" in r.stdout


# -- named files -----------------------------------------------------------------------------------
def test_named_files_honour_exclude_only_with_force_exclude(tmp_path):
    tree(tmp_path, {"drafts/x.md": BAD, "replies/y.md": GOOD, "README.md": BAD, "notes.rst": GOOD})
    named = ("drafts/x.md", "replies/y.md", "README.md", "notes.rst")
    assert found(tmp_path, *named) == ["README.md", "drafts/x.md", "notes.rst", "replies/y.md"]
    assert found(tmp_path, *named, exclude=["drafts/"], force_exclude=True) == ["replies/y.md"]
    assert found(tmp_path, *named, include=["drafts/**"], force_exclude=True) == ["drafts/x.md"]


def test_tool_configs_are_never_replies(tmp_path):
    tree(
        tmp_path,
        {
            "pyproject.toml": "[build-system]\nrequires = []\n",
            ".pre-commit-config.yaml": "repos: []\n",
            "other.toml": "[x]\n",
            "r.md": GOOD,
        },
    )
    assert found(tmp_path, "pyproject.toml", ".pre-commit-config.yaml", "other.toml", "r.md") == ["r.md"]
    r = runner.invoke(app, ["check", str(tmp_path / "pyproject.toml"), str(tmp_path / ".pre-commit-config.yaml")])
    assert r.exit_code == 0, r.output
    assert "invalid JSON" not in r.output and "no replies" not in r.output


def test_force_exclude_from_config(tmp_path):
    tree(tmp_path, {"pyproject.toml": '[tool.coach]\nexclude = ["legacy/**"]\n', "legacy/old.md": BAD, "new.md": GOOD})
    old = str(tmp_path / "legacy" / "old.md")
    assert runner.invoke(app, ["check", old]).exit_code == 1
    assert runner.invoke(app, ["check", "--force-exclude", old]).exit_code == 0


def test_missing_path_is_a_usage_error(tmp_path):
    r = runner.invoke(app, ["check", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "no such file or folder" in r.stderr


# -- stdin -----------------------------------------------------------------------------------------
def test_check_stdin_with_a_name(tmp_path):
    r = runner.invoke(app, ["check", "-", "--format", "json"], input=BAD)
    assert r.exit_code == 1
    assert {e["path"] for e in json.loads(r.stdout)["entries"]} == {"<stdin>"}
    library = "- title: Refusal\n  body: There's nothing I can do.\n- title: Fine\n  body: Let me check.\n"
    r = runner.invoke(app, ["check", "-", "--stdin-filename", "macros/lib.yaml", "--format", "json"], input=library)
    doc = json.loads(r.stdout)
    assert [(e["path"], e["key"]) for e in doc["entries"]] == [
        ("macros/lib.yaml", "Refusal"),
        ("macros/lib.yaml", "Fine"),
    ]
    assert runner.invoke(app, ["check", "--stdin-filename", "x.md"]).exit_code == 2
    assert runner.invoke(app, ["check", "-", "--fix"], input=BAD).exit_code == 2


def test_stdin_filename_honours_force_exclude(tmp_path, monkeypatch):
    tree(tmp_path, {".coach.yaml": "exclude: [drafts/]\n"})
    monkeypatch.chdir(tmp_path)
    args = ["check", "-", "--stdin-filename", "drafts/x.md"]
    assert runner.invoke(app, args, input=BAD).exit_code == 1
    assert runner.invoke(app, [*args, "--force-exclude"], input=BAD).exit_code == 0


# -- conventions: --statistics, --quiet, --exit-zero -------------------------------------------------
def test_statistics_quiet_and_exit_zero(tmp_path):
    tree(tmp_path, {"a.md": BAD, "b.md": BAD + "It's company policy.\n", "c.md": GOOD})
    r = runner.invoke(app, ["check", str(tmp_path), "--statistics", "--no-color"])
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert lines[0].split()[:2] == ["2", "blocking.powerless.nothing-i-can-do"]
    assert lines[1].split()[:2] == ["1", "blocking.policy.company-policy"]
    assert ".md:" not in r.stdout  # counts, not the findings
    r = runner.invoke(app, ["check", str(tmp_path), "--statistics", "--format", "json"])
    stats = json.loads(r.stdout)["statistics"]
    assert [(s["rule"], s["count"], s["failing"]) for s in stats] == [
        ("blocking.powerless.nothing-i-can-do", 2, 2),
        ("blocking.policy.company-policy", 1, 1),
    ]
    assert runner.invoke(app, ["check", str(tmp_path), "--statistics", "--format", "sarif"]).exit_code == 2
    quiet = runner.invoke(app, ["check", str(tmp_path), "--quiet", "--no-color"])
    assert quiet.exit_code == 1 and "replies checked" not in quiet.stdout and "a.md:2:" in quiet.stdout
    zero = runner.invoke(app, ["check", str(tmp_path), "--exit-zero"])
    assert zero.exit_code == 0 and "failed" in zero.stdout
    (tmp_path / "d.json").write_text("{broken", encoding="utf-8")
    assert runner.invoke(app, ["check", str(tmp_path), "--exit-zero"]).exit_code == 3


# -- the real pre-commit framework ------------------------------------------------------------------
def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.mark.slow
def test_pre_commit_runs_the_declared_hook_and_fails_only_on_bad_replies(tmp_path):
    """The hook as declared in .pre-commit-hooks.yaml, run by pre-commit itself, offline: a `repo: local`
    hook with the same entry, types and files (language `system` instead of `python`, which would
    build a virtualenv from the network)."""
    pre_commit = pytest.importorskip("pre_commit")
    if shutil.which("git") is None:
        pytest.skip("git is not installed: pre-commit needs it")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", ".")
    tree(
        repo,
        {
            "README.md": "# Macros\n\nSorry, there's nothing I can do about READMEs being linted.\n",
            "pyproject.toml": '[build-system]\nrequires = []\n\n[tool.coach]\nexclude = ["drafts/**"]\n',
            "replies/good.txt": GOOD,
            "replies/lib.yaml": "- title: Hello\n  body: Let me check that for you.\n",
            "drafts/wip.md": BAD,
        },
    )
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert "--force-exclude" in hook["entry"]
    local = {**hook, "language": "system"}
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}), encoding="utf-8"
    )
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "coach").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m coach "$@"\n', encoding="utf-8")
    (shim / "coach").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "NO_COLOR": "1",
    }

    def run() -> subprocess.CompletedProcess:
        _git(repo, "add", "-A")
        files = [
            "README.md",
            "pyproject.toml",
            ".pre-commit-config.yaml",
            "drafts/wip.md",
            *sorted(str(p.relative_to(repo)) for p in (repo / "replies").iterdir()),
        ]
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--color", "never", "--files", *files],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    ok = run()
    if "network" in ok.stdout.lower() or "Could not" in ok.stdout:  # pragma: no cover - offline guard
        pytest.skip(f"pre-commit could not run offline: {ok.stdout[-300:]}")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Passed" in ok.stdout
    (repo / "replies" / "bad.md").write_text(BAD, encoding="utf-8")
    bad = run()
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "replies/bad.md:2:" in bad.stdout
    for other in ("README.md", "pyproject.toml", "pre-commit-config", "drafts/wip.md", "invalid JSON"):
        assert other not in bad.stdout, other
    assert pre_commit  # imported: the framework is installed by the test extra
