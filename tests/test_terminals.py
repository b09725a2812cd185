"""What people see in a terminal at 40, 60 and 100 columns: the agent table, `coach check` lines,
the lint report's rewritten draft, and warnings around the progress bar (in tmux, a real terminal)."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from coach.aggregate import Summary
from coach.cli import app
from coach.cli.options import Warnings
from coach.models import Conversation, Turn
from coach.render.score_terminal import render_score
from coach.render.terminal import reflow, render_lint

WIDTHS = (40, 60, 100)
LONG_NAME = "Alexandra Konstantinopoulou-Smythe"
runner = CliRunner()


def conversations(n: int) -> list[Conversation]:
    out = []
    for i in range(n):
        agent = LONG_NAME if i % 3 == 0 else f"agent{i % 3}"
        text = "Sadly there's nothing I can do." if i % 4 == 0 else "Let me check what I can do."
        out.append(
            Conversation(
                f"c{i}",
                (Turn("customer", "My order never arrived."), Turn("agent", text, agent)),
                source="x.jsonl",
                agent=agent,
            )
        )
    return out


@pytest.fixture(scope="module")
def summary(analyzer):
    reports = list(analyzer.score_conversations(conversations(1200)))
    result = Summary(top=2)
    for report in reports:
        result.add(report)
    return result


def screen(render, width: int, terminal: bool = False) -> str:
    console = Console(width=width, no_color=True, force_terminal=terminal, highlight=False)
    with console.capture() as capture:
        render(console)
    return re.sub(r"\x1b\[[0-9;]*m", "", capture.get())  # styles (italic, bold) stay without color


# -- coach score: names and numbers never vanish ----------------------------------------------------
@pytest.mark.parametrize("width", WIDTHS)
def test_agent_table_keeps_names_and_numbers(summary, width):
    text = screen(lambda c: render_score(summary, c, top=2), width)
    lines = text.splitlines()
    assert all(len(line.rstrip()) <= width for line in lines)
    assert "…" not in text
    table = text.split("Worst conversations")[0]
    letters = re.sub(r"[\s\d./–()%]+", "", table)
    assert re.sub(r"\s+", "", LONG_NAME) in letters  # folded over lines at worst, never dropped
    for agent in sorted(summary.agents.values(), key=lambda a: a.agent):
        row = next(line for line in lines if line.startswith(agent.agent[:5]))
        numbers = [
            str(agent.conversations),
            str(agent.turns),
            f"{agent.per_100(agent.advocacy):.1f}",
            f"{agent.per_100(agent.blocking):.1f}",
            f"{agent.mean_score:.1f}",
        ]
        rows = [line for line in lines if line.startswith(agent.agent[:5])]
        for number in numbers:
            assert any(re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.])", r) for r in rows), (number, row)
        spread = f"{agent.percentile(0.1)}/{agent.percentile(0.5)}/{agent.percentile(0.9)}"
        assert any(spread in r for r in rows)
    if width >= 100:
        assert table.count("agent  ") <= 1 and "p10/50/90" in table  # one table with every column


# -- coach check: wrapped at words on a terminal, one line per finding elsewhere --------------------
@pytest.mark.parametrize("width", WIDTHS)
def test_check_output_wraps_at_words(tmp_path, monkeypatch, width):
    from coach.analyzer import Analyzer
    from coach.checking import run_check
    from coach.config import Settings
    from coach.render.check_terminal import render_check

    (tmp_path / "bad.md").write_text("Unfortunately there's nothing I can do, it's company policy.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    analyzer = Analyzer()
    result = run_check(["bad.md"], Settings(), analyzer).result
    rules = {r.id: r for r in analyzer.all_rules}
    text = screen(lambda c: render_check(result, rules, c), width, terminal=True)
    words = set(re.findall(r"[A-Za-z']+", " ".join(lf.finding.message for lf in result.findings)))
    for line in text.splitlines():
        assert len(line) <= width
    pieces = set(re.findall(r"[A-Za-z']+", text))
    assert words <= pieces  # no word was cut at the edge
    located = [line for line in text.splitlines() if "bad.md:1:" in line]
    assert len(located) == 2 and all(line.lstrip().startswith("bad.md:1:") for line in located)
    piped = screen(lambda c: render_check(result, rules, c), width, terminal=False)
    assert len([line for line in piped.splitlines() if "bad.md:1:" in line]) == 2
    assert any(len(line) > width for line in piped.splitlines())  # a CI log keeps each finding whole


# -- coach lint: the rewritten draft has no lone word --------------------------------------------------
def test_reflow_joins_hard_wrapped_lines_only():
    text = "Hi Dana,\nThanks for writing. There's nothing I can do\nabout the fee.\n\nBest,\nSam"
    assert reflow(text) == "Hi Dana,\nThanks for writing. There's nothing I can do about the fee.\n\nBest,\nSam"
    assert len(reflow(text)) == len(text)


@pytest.mark.parametrize("width", WIDTHS)
def test_lint_rewritten_block_wraps_as_a_paragraph(analyzer, width):
    draft = (
        "Hi Dana, sorry for any inconvenience. Unfortunately there's nothing I can do\n"
        "about the late fee, it's company policy. You will have to call your bank about the\n"
        "double charge.\n"
    )
    report = analyzer.lint_text(draft, "draft.txt")
    text = screen(lambda c: render_lint([report], c), width)
    block = text.split("Rewritten", 1)[1].split("\n\n", 1)[0]
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    assert lines and all(len(line.split()) > 1 for line in lines[:-1])  # only the last line may be short
    assert all(len(line) <= width for line in text.splitlines())


# -- warnings: summarized repeats, printed through the progress display --------------------------------
def test_repeated_warnings_are_summarized():
    printed = []
    warnings = Warnings()
    warnings.printer = printed.append
    for i in range(300):
        warnings(f"x.jsonl:{i + 2}: invalid JSON: Expecting value (column 1); skipped")
    warnings("y.csv: no agent found")
    assert (
        len(printed) == 4
        and printed[0] == "coach: warning: x.jsonl:2: invalid JSON: Expecting value (column 1); skipped"
    )
    assert warnings.summary() == [
        "coach: warning: ... and 297 more like this (x.jsonl:5: invalid JSON: Expecting value (column 1); skipped)"
    ]


def bad_export(folder: Path, n: int = 600) -> Path:
    rows = []
    for conv in conversations(n):
        rows.append(
            json.dumps(
                {
                    "id": conv.id,
                    "agent": conv.agent,
                    "turns": [{"speaker": t.speaker, "text": t.text} for t in conv.turns],
                }
            )
        )
        if int(conv.id[1:]) % 2 == 0:
            rows.append("{broken")
    path = folder / "x.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_score_summarizes_repeated_warnings(tmp_path, test_phrasebook):
    path = bad_export(tmp_path)
    r = runner.invoke(
        app, ["score", str(path), "--progress", "--no-defaults", "-p", str(test_phrasebook), "--no-color"]
    )
    assert r.exit_code == 3
    warned = [line for line in r.stderr.splitlines() if line.startswith("coach: warning:")]
    assert len(warned) == 4 and "... and 297 more like this" in warned[-1]
    assert r.stdout.lstrip().startswith("Agents")


@pytest.mark.slow
@pytest.mark.parametrize("width", (60, 100))
def test_progress_bar_and_warnings_in_tmux(tmp_path, test_phrasebook, width):
    """A real terminal: warnings land on their own lines above the bar, the bar is gone before the report."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    bad_export(tmp_path, 3000)
    session = f"coach-test-{os.getpid()}-{width}"
    done = tmp_path / "done"
    command = (
        f"cd {tmp_path} && {sys.executable} -m coach score x.jsonl --no-defaults -p {test_phrasebook} "
        f"--top 1 --no-color; touch {done}"
    )
    env = {**os.environ, "COACH_CACHE_DIR": os.environ.get("COACH_CACHE_DIR", str(tmp_path / "cache"))}
    subprocess.run(
        ["tmux", "-L", session, "new-session", "-d", "-s", session, "-x", str(width), "-y", "60", command],
        check=True,
        env=env,
    )
    try:
        subprocess.run(
            ["tmux", "-L", session, "set-option", "-t", session, "remain-on-exit", "on"], capture_output=True
        )
        deadline = time.time() + 120
        while not done.exists() and time.time() < deadline:
            time.sleep(0.3)
        shown = subprocess.run(
            ["tmux", "-L", session, "capture-pane", "-p", "-t", session, "-S", "-200"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        subprocess.run(["tmux", "-L", session, "kill-server"], capture_output=True)
    assert done.exists(), shown
    lines = shown.splitlines()
    warned = [i for i, line in enumerate(lines) if "coach: warning:" in line]
    assert len(warned) == 4, shown
    assert all(lines[i].startswith("coach: warning:") for i in warned), shown  # never spliced into the bar
    assert "conv/s" not in shown and "scoring" not in shown  # the bar ended before the report
    report = next(i for i, line in enumerate(lines) if line.startswith("Agents"))
    assert report > warned[-1]
