"""`coach lint` end to end in-process: inputs, options, formats and exit codes."""

import json

import pytest
from typer.testing import CliRunner

from coach.cli import app

runner = CliRunner()
BLOCKING = "Unfortunately there's nothing I can do."
CLEAN = "Let me check what I can do for you."


@pytest.fixture
def lint(test_phrasebook):
    def run(*args, input=None):
        return runner.invoke(
            app, ["lint", "--no-defaults", "--no-model", "-p", str(test_phrasebook), *args], input=input
        )

    return run


def results(result):
    return json.loads(result.stdout)["results"]


def test_text_arguments_in_order_with_sources(lint):
    r = lint("--format", "json", BLOCKING, CLEAN)
    assert r.exit_code == 1
    out = results(r)
    assert [x["source"] for x in out] == ["arg:1", "arg:2"]
    assert out[0]["findings"][0]["rule"] == "blocking.nothing-i-can-do"
    assert out[1]["findings"][0]["category"] == "advocacy"


def test_files_and_stdin(lint, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_bytes(b"\xef\xbb\xbfLine one.\r\nthere is nothing we can do\r\n")
    r = lint("--format", "json", "--file", str(draft))
    (out,) = results(r)
    assert out["source"] == str(draft)
    assert (out["findings"][0]["line"], out["findings"][0]["column"]) == (2, 1)
    r = lint("--format", "json", input=BLOCKING)
    assert results(r)[0]["source"] == "<stdin>"


def test_clean_draft_exits_zero(lint):
    assert lint("--format", "json", CLEAN).exit_code == 0


@pytest.mark.parametrize("fail_on, code", [("info", 1), ("warning", 1), ("error", 0), ("never", 0)])
def test_fail_on_threshold(lint, fail_on, code):
    assert lint("--format", "json", "--fail-on", fail_on, BLOCKING).exit_code == code


def test_error_severity_fails_at_error(lint):
    assert lint("--format", "json", "--fail-on", "error", "No, it's company policy.").exit_code == 1


def test_positive_findings_never_fail(lint):
    assert lint("--format", "json", "--fail-on", "info", "I'm sorry, that was our mistake.").exit_code == 0


def test_only_and_ignore(lint):
    r = lint("--format", "json", "--ignore", "blocking", BLOCKING)
    assert r.exit_code == 0 and results(r)[0]["findings"] == []
    r = lint("--format", "json", "--only", "advocacy", BLOCKING + " " + CLEAN)
    assert {f["category"] for f in results(r)[0]["findings"]} == {"advocacy"}


def test_jsonl_and_text_formats(lint):
    r = lint("--format", "jsonl", BLOCKING, CLEAN)
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["schema"] for x in lines] == ["coach/1", "coach/1"]
    r = lint("--format", "text", BLOCKING)
    assert "arg:1:1:15: warning blocking.nothing-i-can-do" in r.stdout


def test_rich_report_shows_rewrite_apology_and_score(lint):
    r = lint("--no-color", "I'm sorry for any inconvenience. " + BLOCKING)
    out = r.stdout
    assert "blocking.nothing-i-can-do" in out and "here's what I can do" in out
    assert "Rewritten" in out and "sorry this caused you trouble" in out
    assert "non-apology stands where an apology should be" in out
    assert "score" in out and r.exit_code == 1


def test_quiet_prints_one_line_per_draft(lint):
    r = lint("--quiet", BLOCKING, CLEAN)
    assert len(r.stdout.strip().splitlines()) == 2


def test_missing_file_is_one_line_exit_2(lint):
    r = lint("--file", "/nonexistent/draft.txt")
    assert r.exit_code == 2
    assert r.stderr.strip() == "coach: error: /nonexistent/draft.txt: file not found (check the path)"


def test_malformed_phrasebook_lists_every_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: x.y\n    category: blocking\n    phrases: ['(a']\n", encoding="utf-8")
    r = runner.invoke(app, ["lint", "-p", str(bad), "--no-defaults", "hello"])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) >= 3 and all(line.startswith(f"coach: error: {bad}:") for line in lines)
    assert "Traceback" not in r.output


def test_no_defaults_needs_a_phrasebook():
    r = runner.invoke(app, ["lint", "--no-defaults", "hello"])
    assert r.exit_code == 2 and "--no-defaults needs" in r.stderr


def test_bad_option_is_usage_error(lint):
    assert lint("--fail-on", "loud", "x").exit_code == 2


def test_phrasebook_norms_shows_matching_forms():
    r = runner.invoke(app, ["phrasebook", "norms", "We couldn\u2019t"])
    assert r.exit_code == 0
    assert r.stdout.splitlines() == ["We\twe", "could\tcan", "n't\tnot"]


def test_lint_reads_project_config(tmp_path, test_phrasebook):
    (tmp_path / ".coach.yaml").write_text(
        f"phrasebooks: ['{test_phrasebook}']\nno-defaults: true\nfail-on: error\nmin-score: 70\n", encoding="utf-8"
    )
    draft = tmp_path / "draft.txt"
    draft.write_text(BLOCKING, encoding="utf-8")
    r = runner.invoke(app, ["lint", "--format", "json", "--file", str(draft)])
    out = results(r)[0]
    assert [f["rule"] for f in out["findings"]] == ["blocking.nothing-i-can-do"]  # config's phrasebook only
    assert r.exit_code == 1 and "below min-score 70" in r.stderr  # warning < fail-on error, but the gate fails
    draft.write_text(CLEAN, encoding="utf-8")
    assert runner.invoke(app, ["lint", "--format", "json", "--file", str(draft)]).exit_code == 0
    r = runner.invoke(
        app, ["lint", "--format", "json", "--config", str(tmp_path / ".coach.yaml"), "--fail-on", "warning", BLOCKING]
    )
    assert r.exit_code == 1


def test_version_and_help_exit_zero():
    from coach import __version__

    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.strip() == f"coach {__version__}"
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0 and "lint" in r.stdout and "score" in r.stdout and "--version" in r.stdout


PLACEHOLDER_RULES = __import__("pathlib").Path(__file__).parent / "data" / "rewrite" / "placeholder.yaml"
DRAFT = "Thanks for writing. Sorry, there's nothing I can do. No refunds, it's our policy."


def placeholder_lint(*args):
    return runner.invoke(app, ["lint", "--no-defaults", "--no-model", "-p", str(PLACEHOLDER_RULES), *args, DRAFT])


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_carries_the_rewritten_draft_and_each_findings_rewrite(fmt):
    r = placeholder_lint("--format", fmt)
    doc = json.loads(r.stdout.splitlines()[0]) if fmt == "jsonl" else json.loads(r.stdout)["results"][0]
    # the hedge goes with the refusal; each sentence gets one rewrite
    assert doc["rewritten"] == (
        "Thanks for writing. Here's what I can do: [what you can offer]. No refunds, the reason is this."
    )
    assert {f["rule"]: f["rewrite"] for f in doc["findings"]} == {
        "blocking.out-of-options": "Here's what I can do: [what you can offer].",
        "blocking.rulebook": "No refunds, the reason is this.",
    }
    (nothing,) = [e for e in doc["edits"] if e["placeholders"]]
    start, end = nothing["placeholders"][0]
    assert nothing["text"][start:end] == "[what you can offer]"


def test_clean_draft_has_no_rewritten_text():
    doc = json.loads(
        runner.invoke(
            app,
            ["lint", "--no-defaults", "--no-model", "-p", str(PLACEHOLDER_RULES), "--format", "json", "Happy to help."],
        ).stdout
    )["results"][0]
    assert doc["rewritten"] is None and doc["edits"] == []


def test_text_format_carries_the_rewrite():
    out = placeholder_lint("--format", "text").stdout
    assert '-> "Here\'s what I can do: [what you can offer]."' in out
    assert "arg:1: rewritten \"Thanks for writing. Here's what I can do: [what you can offer]." in out


def test_rich_report_shows_the_rewritten_draft_with_placeholders_marked():
    from rich.console import Console

    from coach.analyzer import Analyzer
    from coach.render.terminal import render_report

    report = Analyzer(phrasebooks=[str(PLACEHOLDER_RULES)], defaults=False, model=False).lint_text(DRAFT)
    console = Console(record=True, width=120, force_terminal=True, color_system="truecolor")
    render_report(report, console)
    styled = console.export_text(styles=True, clear=False)
    assert "Here's what I can do: \x1b[1;7;33m[what you can offer]\x1b[0m" in styled
    assert "Fill in [what you can offer] before sending." in console.export_text()
    plain = placeholder_lint().stdout  # off a terminal: the brackets and the note stay
    assert "Here's what I can do: [what you can offer]. No refunds, the reason is" in " ".join(plain.split())
    assert "Fill in [what you can offer] before sending." in plain
