"""`coach check` end to end: config, exit codes, suppressions, baseline, fix and diff, formats."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app

runner = CliRunner()
BAD = "Hi {{ticket.requester.first_name}},\nUnfortunately there's nothing I can do.\n"
GOOD = "Hi {first_name}, let me check what I can do for you.\n"


@pytest.fixture
def project(tmp_path, test_phrasebook):
    shutil.copy(test_phrasebook, tmp_path / "rules.yaml")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.coach]\nphrasebooks = ["rules.yaml"]\nno-defaults = true\n', encoding="utf-8"
    )
    replies = tmp_path / "replies"
    replies.mkdir()
    (replies / "bad.md").write_text(BAD, encoding="utf-8")
    (replies / "good.txt").write_text(GOOD, encoding="utf-8")
    return tmp_path


def check(project, *args):
    return runner.invoke(app, ["check", str(project / "replies"), "--no-model", *args])


def test_exit_codes_and_locations(project):
    r = check(project, "--format", "json")
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    (finding,) = [f for e in doc["entries"] for f in e["findings"] if f["category"] == "blocking"]
    assert (finding["file_line"], finding["file_column"]) == (2, 15)
    (project / "replies" / "bad.md").write_text(GOOD, encoding="utf-8")
    assert check(project, "--format", "json").exit_code == 0


def test_fail_on_from_cli_overrides_config(project):
    assert check(project, "--fail-on", "error").exit_code == 0


def test_inline_suppression_and_unused_report(project):
    (project / "replies" / "bad.md").write_text(
        BAD.replace("do.", "do. <!-- coach: ignore[blocking.nothing-i-can-do] -- legal text -->"), encoding="utf-8"
    )
    (project / "replies" / "good.txt").write_text("# coach: ignore-file[blocking.policy]\n" + GOOD, encoding="utf-8")
    r = check(project, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["summary"]["suppressed"] == 1
    assert any("unused suppression" in u for u in doc["unused_suppressions"])


def test_baseline_fails_only_on_new_findings(project):
    baseline = project / "baseline.json"
    assert check(project, "--write-baseline", str(baseline)).exit_code == 0
    assert check(project, "--baseline", str(baseline)).exit_code == 0
    (project / "replies" / "bad.md").write_text("New line first.\n" + BAD, encoding="utf-8")
    assert check(project, "--baseline", str(baseline)).exit_code == 0  # survives line shifts
    (project / "replies" / "new.txt").write_text("It's company policy.\n", encoding="utf-8")
    assert check(project, "--baseline", str(baseline)).exit_code == 1


def test_diff_changes_nothing_and_fix_applies_safe_rewrites(project):
    bad = project / "replies" / "bad.md"
    r = check(project, "--diff")
    assert r.exit_code == 1 and "+Here's what I can do." in r.stdout  # the hedge goes with the refusal
    assert bad.read_text() == BAD
    r = check(project, "--fix")
    assert bad.read_text() == BAD.replace("Unfortunately there's nothing I can do", "Here's what I can do")
    assert r.exit_code == 0, r.output


def test_unknown_config_key_suggests(project):
    (project / "pyproject.toml").write_text('[tool.coach]\nfail_onn = "error"\n', encoding="utf-8")
    r = check(project)
    assert r.exit_code == 2 and "fail-on" in r.stderr and "Traceback" not in r.output


@pytest.mark.parametrize(
    "fmt, marker",
    [
        ("sarif", '"version": "2.1.0"'),
        ("github", "::warning file="),
        ("junit", "<testsuite"),
        ("checkstyle", "<checkstyle"),
    ],
)
def test_ci_formats(project, fmt, marker, tmp_path):
    out = tmp_path / f"out.{fmt}"
    r = check(project, "--format", fmt, "-o", str(out))
    assert r.exit_code == 1
    assert marker in out.read_text()


def test_min_score_and_complete_apology_gates(project):
    (project / "replies" / "bad.md").write_text("I'm sorry, that was our mistake.\n", encoding="utf-8")
    assert check(project).exit_code == 0
    assert check(project, "--require-complete-apology").exit_code == 1
    assert check(project, "--min-score", "99").exit_code == 1


def test_fix_never_applies_a_rewrite_with_a_placeholder(tmp_path):
    """A `fix: safe` rewrite that needs the agent's words ([what you can offer]) is left for them:
    the other safe rewrite is applied, the skipped one is counted, and --diff shows the same."""
    rules = Path(__file__).parent / "data" / "rewrite" / "placeholder.yaml"
    reply = tmp_path / "reply.txt"
    text = "Sorry, there's nothing I can do.\nNo refunds, it's our policy.\n"
    reply.write_text(text, encoding="utf-8")
    args = ["check", str(reply), "--no-model", "--no-defaults", "-p", str(rules)]
    r = runner.invoke(app, [*args, "--diff"])
    assert r.exit_code == 1 and "+No refunds, the reason is this." in r.stdout
    assert "[what you can offer]" not in r.stdout and "left 1 rewrite(s)" in r.stderr
    assert reply.read_text(encoding="utf-8") == text
    r = runner.invoke(app, [*args, "--fix", "--format", "json"])
    assert reply.read_text(encoding="utf-8") == text.replace("it's our policy", "the reason is this")
    assert "applied 1 safe fix(es)" in r.stderr and "left 1 rewrite(s) for you to finish" in r.stderr
    (left,) = [f for e in json.loads(r.stdout)["entries"] for f in e["findings"]]
    assert left["rule"] == "blocking.out-of-options" and left["edit"]["placeholders"]
    assert "[what you can offer]" in left["rewrite"]
    assert r.exit_code == 1  # the placeholder rewrite still waits for the agent
