"""`coach score` renderers: JSON schema, CSV modes and injection guard, HTML safety, rich tables."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress

from coach.aggregate import Summary
from coach.analyzer import conversation_report
from coach.models import Conversation, ConversationReport, Finding, Turn
from coach.render.html import write_html
from coach.render.score_csv import CONVERSATION_COLUMNS, FINDING_COLUMNS, safe_cell, write_csv
from coach.render.score_json import write_json, write_jsonl
from coach.render.score_terminal import make_progress, render_score

DATA = Path(__file__).parent / "data" / "score" / "conversations.json"
HOSTILE = "<script>alert(1)</script>"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def load_reports() -> list[ConversationReport]:
    """Reports from the fixture, offsets computed from each finding's phrase."""
    reports = []
    for c in json.loads(DATA.read_text(encoding="utf-8"))["conversations"]:
        turns, per_turn = [], []
        for t in c["turns"]:
            turns.append(Turn(t["speaker"], t["text"], t.get("name")))
            found = []
            for f in t["findings"]:
                start = t["text"].index(f["phrase"])
                found.append(
                    Finding(
                        f["rule"],
                        f["category"],
                        f.get("element"),
                        "warning",
                        start,
                        start + len(f["phrase"]),
                        1,
                        start + 1,
                        f["phrase"],
                        f["message"],
                        tuple(f.get("rewrites", ())),
                    )
                )
            per_turn.append(found)
        conv = Conversation(c["id"], tuple(turns), agent=c["agent"], channel=c.get("channel"), source=c["source"])
        reports.append(conversation_report(conv, per_turn, {}))
    return reports


@pytest.fixture
def reports() -> list[ConversationReport]:
    return load_reports()


@pytest.fixture
def summary(reports) -> Summary:
    s = Summary(top=10)
    for r in reports:
        s.add(r)
    return s


def one_pass(reports, summary):
    """A generator that feeds the summary as it yields, like the CLI's single pass."""
    for r in reports:
        summary.add(r)
        yield r


# -- JSON / JSONL ---------------------------------------------------------------------
class FlushCounter(io.StringIO):
    flushes = 0

    def flush(self):
        self.flushes += 1
        super().flush()


def test_jsonl_one_schema_line_per_conversation_flushed(reports, monkeypatch):
    import coach.render.score_json as module

    monkeypatch.setattr(module, "FLUSH_EVERY", 2)
    out = FlushCounter()
    write_jsonl(iter(reports), out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and out.flushes == 2  # after the 2nd line and at the end
    for line, report in zip(lines, reports):
        doc = json.loads(line)
        assert doc == {"schema": "coach/1", **json.loads(json.dumps(report.to_dict()))}
        assert {"conversation", "source", "agent", "score", "apology", "counts", "turns"} <= set(doc)
        for turn in doc["turns"]:
            assert set(turn) == {"index", "turn", "speaker", "name", "time", "text", "findings", "rewritten", "edits"}
            assert turn["turn"] == turn["index"] + 1
    first = json.loads(lines[0])
    assert first["conversation"] == "=SUM(A1:A2)" and first["apology"]["expected"] is True
    assert first["turns"][0]["text"].startswith(HOSTILE)
    blocking = first["turns"][1]["findings"][0]
    assert blocking["rule"] == "blocking.powerless.nothing-i-can-do"
    assert first["turns"][1]["text"][blocking["start"] : blocking["end"]] == blocking["text"]


def test_json_document_streamed_with_summary_filled_in_the_same_pass(reports):
    summary, out = Summary(), io.StringIO()
    write_json(one_pass(reports, summary), summary, out)
    doc = json.loads(out.getvalue())
    assert doc["schema"] == "coach/1"
    assert [c["conversation"] for c in doc["conversations"]] == ["=SUM(A1:A2)", "conv-2", "conv-3"]
    assert "schema" not in doc["conversations"][0]
    assert doc["summary"]["conversations"] == 3
    assert doc["summary"] == json.loads(json.dumps(summary.to_dict()))


def test_json_empty_run_is_valid():
    out = io.StringIO()
    write_json(iter(()), Summary(), out)
    assert json.loads(out.getvalue())["conversations"] == []


# -- CSV ------------------------------------------------------------------------------
def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_per_conversation(reports):
    out = io.StringIO()
    write_csv(reports, out)
    rows = read_csv(out.getvalue())
    assert (
        tuple(rows[0])
        == (
            "conversation",
            "source",
            "agent",
            "channel",
            "score",
            "agent_turns",
            "advocacy",
            "blocking",
            "non_apology",
            "apology_offered",
            "apology_completeness",
            "apology_missing",
            "apology_expected",
            "started_at",
            "rewritten",
        )
        == CONVERSATION_COLUMNS
    )
    assert len(rows) == 4
    first, good, non = (dict(zip(rows[0], r)) for r in rows[1:])
    assert first["conversation"] == "'=SUM(A1:A2)"  # formula defused
    assert (first["agent"], first["channel"], first["blocking"], first["agent_turns"]) == ("Ann", "email", "2", "1")
    assert first["apology_expected"] == "true" and first["apology_offered"] == "false"
    assert first["apology_completeness"] == "" and first["apology_missing"] == ""
    assert good["advocacy"] == "1" and good["apology_offered"] == "true"
    assert good["apology_missing"] == ";".join(reports[1].apology.missing)
    assert ";" in good["apology_missing"]
    expected = reports[1].apology.completeness
    assert float(good["apology_completeness"]) == pytest.approx(expected, abs=1e-3)
    assert non["non_apology"] == "1" and non["channel"] == ""
    changed = [t for t in reports[0].turns if t.rewritten]
    assert first["rewritten"] == "\n".join(f"turn {t.number}: {t.rewritten}" for t in changed) and changed
    assert good["rewritten"] == ""  # no negative finding: nothing rewritten


def test_csv_per_finding(reports):
    out = io.StringIO()
    write_csv(iter(reports), out, per="finding")
    rows = read_csv(out.getvalue())
    assert (
        tuple(rows[0])
        == (
            "conversation",
            "source",
            "agent",
            "turn",
            "speaker",
            "rule",
            "category",
            "element",
            "severity",
            "start",
            "end",
            "text",
            "message",
            "first_rewrite",
            "finding_source",
            "confidence",
            "time",
            "finding_rewrite",
            "rewritten",
        )
        == FINDING_COLUMNS
    )
    found = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert len(found) == sum(len(r.findings) for r in reports) == 8
    blocking = found[1]
    assert blocking["rule"] == "blocking.powerless.nothing-i-can-do"
    assert (blocking["turn"], blocking["speaker"], blocking["start"], blocking["end"]) == (
        "2",
        "agent",
        "17",
        "41",
    )  # the second turn: numbered from 1, as the terminal and HTML say
    assert blocking["first_rewrite"] == "Here's what I can do"
    turn = reports[0].turns[1]
    # one rewrite for the sentence, both swaps in place
    assert (
        blocking["finding_rewrite"]
        == turn.findings[0].rewrite
        == "Here's what I can do, -Here is why, and what I can do instead."
    )
    assert blocking["rewritten"] == "'" + turn.rewritten and "Here's what I can do" in turn.rewritten  # defused
    assert all(f["rewritten"] == "" for f in found if f["speaker"] == "customer")
    assert (blocking["finding_source"], blocking["confidence"]) == ("rule", "")
    assert found[2]["first_rewrite"] == "'-Here is why, and what I can do instead"
    assert found[0]["conversation"] == "'=SUM(A1:A2)"
    assert {f["element"] for f in found if f["category"] == "apology"} == {"regret", "responsibility", "repair"}


def test_csv_per_agent(reports):
    from coach.render.score_csv import AGENT_COLUMNS

    out = io.StringIO()
    write_csv(iter(reports), out, per="agent")
    rows = read_csv(out.getvalue())
    assert tuple(rows[0]) == AGENT_COLUMNS and rows[0][:3] == ["agent", "conversations", "agent_turns"]
    agents = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert set(agents) == {r.agent for r in reports}
    ann = agents["Ann"]
    expected = [r for r in reports if r.agent == "Ann"]
    assert int(ann["conversations"]) == len(expected)
    assert int(ann["blocking"]) == sum(r.count_map.get("blocking", 0) for r in expected)
    assert ann["top_blocking_rule"] == "blocking.powerless.nothing-i-can-do"
    with pytest.raises(ValueError):
        write_csv(reports, io.StringIO(), per="team")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("hello = world", "hello = world"),
        ("", ""),
        (None, ""),
        (5, 5),
        (-5, -5),
        (True, "true"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_csv_rejects_unknown_mode(reports):
    with pytest.raises(ValueError):
        write_csv(reports, io.StringIO(), per="turn")


# -- HTML -----------------------------------------------------------------------------
EXTERNAL = re.compile(r"""(?:src|href|action|xlink:href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def page(summary, reports=None, **kw) -> str:
    out = io.StringIO()
    write_html(summary, reports, out, title=kw.pop("title", "Team <b>weekly</b>"), **kw)
    return out.getvalue()


def test_html_page_is_self_contained_and_escaped(summary, reports):
    html = page(summary, reports)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert '<table class="agents sortable">' in html and '<table class="rules sortable">' in html
    assert "<svg" in html and "<rect" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html and HOSTILE not in html
    assert html.count("<script>") == 1  # ours only
    assert "Team &lt;b&gt;weekly&lt;/b&gt;" in html and "<b>weekly</b>" not in html
    assert "Hides behind policy &lt;b&gt;bold&lt;/b&gt;." in html
    assert not EXTERNAL.search(html)
    assert "http://" not in html and "https://" not in html and "url(" not in html
    assert "Content-Security-Policy" in html
    for text in (
        "Ann",
        "Bob",
        "Here&#x27;s what I can do",
        "blocking.policy.our-policy",
        "=SUM(A1:A2)",
        "apology missing",
    ):
        assert text in html
    # every conversation once: the worst list covers all three, so no "Other" section
    assert html.count('<details class="conv"') == 3 and "Other conversations" not in html


def test_html_highlights_findings_in_span_style(summary):
    html = page(summary)
    assert 'class="spans"' in html  # displaCy span markup
    for label, color in (
        ("BLOCKING", "#ff8a8a"),
        ("NON-APOLOGY", "#f08cf0"),
        ("ADVOCACY", "#7ed99b"),
        ("REGRET", "#6fd6d6"),
    ):
        assert re.search(rf"background: {color}[^>]*>\s*<span[^>]*>\s*{label.lower()}", html, re.I), label
    assert "non-apology" in html and "→ I&#x27;m sorry this happened" in html


def test_html_histogram_buckets(summary, reports):
    html = page(summary)
    assert html.count("<rect") == 10
    for r in reports:
        lo = min(r.score // 10 * 10, 90)
        assert f"<title>{lo}–" in html
    total = sum(int(n) for n in re.findall(r"<title>\d+–\d+: (\d+) conversations", html))
    assert total == 3


def test_html_single_pass_and_cap(reports):
    many = [
        conversation_report(Conversation(f"c{i}", (Turn("agent", f"Hello {i}", "Cy"),), agent="Cy"), [[]], {})
        for i in range(12)
    ]
    summary = Summary(top=3)
    html = page(summary, one_pass(reports + many, summary), cap=4)
    assert "15 conversations scored" in html
    assert html.count('<details class="conv"') == 3 + 4
    assert "Other conversations" in html and "Listed 7 of 15 conversations (at most 4 besides the worst" in html


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_html_renders_in_headless_chromium(summary, reports, tmp_path):
    target = tmp_path / "score.html"
    target.write_text(page(summary, reports), encoding="utf-8")
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        target.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert 'data-ready="1"' in dom  # the inline script ran to its end under the CSP
    assert '<table class="agents sortable">' in dom and '<table class="rules sortable">' in dom
    assert "<svg" in dom and "alert(1)" in dom
    assert "Uncaught" not in done.stderr
    assert "Refused to" not in done.stderr  # nothing blocked by the Content-Security-Policy


# -- terminal -------------------------------------------------------------------------
def test_terminal_tables(summary):
    console = Console(record=True, width=100)
    render_score(summary, console)
    text = console.export_text()
    for needle in (
        "Agents",
        "Ann",
        "Bob",
        "Worst conversations",
        "Top rules",
        "“Here's what I can do”",
        "“I'm sorry this happened”",
        "«There's nothing I can do»",
        "blocking.powerless.nothing-i-can-do",
        "apology expected after a complaint",
        "exports/zendesk.json",
    ):
        assert needle in text, needle
    assert text.index("=SUM(A1:A2)") < text.index("conv-3") < text.index("Top rules")


def test_terminal_fits_80_columns_without_color(summary):
    console = Console(record=True, width=80, no_color=True, force_terminal=True)
    render_score(summary, console, top=2)
    assert all(len(line) <= 80 for line in console.export_text().splitlines())
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m|38;[25];", console.export_text(styles=True))


def test_terminal_without_rewrites_and_empty(summary):
    console = Console(record=True, width=100)
    render_score(summary, console, top=1, show_rewrites=False)
    text = console.export_text()
    assert "Here's what I can do" not in text and "conv-2" not in text
    empty = Console(record=True, width=80)
    render_score(Summary(), empty)
    assert "No conversations scored" in empty.export_text()


def test_make_progress_columns():
    progress = make_progress(Console(width=100))
    assert isinstance(progress, Progress) and progress.console.stderr
    bytes_task = progress.add_task("scoring", total=1000, conversations=42)
    progress.update(bytes_task, completed=500)
    streaming = progress.add_task("reading", total=None)
    progress.update(streaming, advance=7)
    cells = [[str(c.render(t)) if hasattr(c, "render") else "" for c in progress.columns] for t in progress.tasks]
    assert any("42 conversations" in c for c in cells[0])
    assert any("conv/s" in c for c in cells[0])
    assert any("7 conversations" in c for c in cells[1])


# -- smoke: real analyzer output through every renderer --------------------------------
def test_analyzer_reports_render_everywhere():
    from coach.analyzer import Analyzer

    convs = [
        Conversation(
            f"s{i}",
            (
                Turn("customer", "This is terrible, my order is late."),
                Turn(
                    "agent",
                    "There's nothing I can do. I'm sorry you feel that way, but I'll make it right today.",
                    "Dee",
                ),
            ),
            agent="Dee",
        )
        for i in range(3)
    ]
    reports = list(Analyzer().score_conversations(convs))
    summary = Summary()
    for r in reports:
        summary.add(r)
    for write in (
        lambda o: write_jsonl(reports, o),
        lambda o: write_json(reports, summary, o),
        lambda o: write_csv(reports, o),
        lambda o: write_csv(reports, o, per="finding"),
        lambda o: write_html(summary, reports, o, title="smoke"),
    ):
        out = io.StringIO()
        write(out)
        assert out.getvalue()
    console = Console(record=True, width=80)
    render_score(summary, console)
    assert "Dee" in console.export_text()


def placeholder_reports() -> list[ConversationReport]:
    """One conversation whose blocking rewrite leaves a [placeholder] for the agent, and hostile text."""
    text = "<b>Hi</b>, there's nothing I can do."
    start = text.index("there's")
    f = Finding(
        "blocking.powerless.nothing-i-can-do",
        "blocking",
        None,
        "warning",
        start,
        len(text) - 1,
        1,
        start + 1,
        text[start:-1],
        "Out of options.",
        ("here's what I can do: [what you can offer]",),
    )
    conv = Conversation("c<1>", (Turn("customer", "It broke."), Turn("agent", text, "Ann")), agent="Ann", source="x")
    return [conversation_report(conv, [[], [f]], {})]


def test_html_marks_placeholders_in_the_rewritten_turn_with_a_legend():
    reports = placeholder_reports()
    s = Summary(top=10)
    for r in reports:
        s.add(r)
    html = page(s, reports)
    (turn,) = [t for t in reports[0].turns if t.rewritten]
    assert turn.rewritten == "<b>Hi</b>, here's what I can do: [what you can offer]."
    assert (
        '<div class="rewritten"><span class="who">rewritten</span> <span class="text">&lt;b&gt;Hi&lt;/b&gt;, '
        'here&#x27;s what I can do: <mark class="placeholder">[what you can offer]</mark>.</span></div>'
    ) in html
    assert '<p class="legend"><mark class="placeholder">' in html
    assert "<b>Hi</b>" not in html


def test_score_terminal_marks_placeholders_and_shows_the_rewritten_turn():
    reports = placeholder_reports()
    s = Summary(top=10)
    for r in reports:
        s.add(r)
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    render_score(s, console)
    plain = console.export_text(clear=False)
    assert "turn 2 rewritten: <b>Hi</b>, here's what I can do: [what you can offer]." in plain
    styled = console.export_text(styles=True)
    assert "\x1b[1;7;33m[what you can offer]" in styled  # bold reverse yellow: something to fill in
