"""`coach report`: the page from a store, its charts and escaping, and the page run in headless Chromium."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from test_store import finding, report, store_run

from coach.render.report_html import line_chart, write_report
from coach.store import open_store
from coach.store.reportdata import report_data

HOSTILE = "<script>alert(1)</script>"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture
def page(tmp_path) -> str:
    url = str(tmp_path / "results.db")
    block = finding("blocking.policy.x", "blocking", "It's " + HOSTILE, "Here's what I can do")
    store_run(
        url,
        [
            report("c1", HOSTILE, "2024-03-04T09:00:00Z", 40, agent_findings=(block, block)),
            report("c2", HOSTILE, "2024-03-12T09:00:00Z", 90, agent_findings=(finding("advocacy.a", "advocacy"),)),
            report("c3", "Kim", "2024-03-05T09:00:00Z", 60, agent_findings=(block,)),
            report("c4", "Kim", None, 10),
        ],
    )
    with open_store(url, create=False) as store:
        data = report_data(store, by="week", top=1)
    out = io.StringIO()
    write_report(data, out, generated="2024-03-20T00:00:00Z")
    return out.getvalue()


def test_report_sections_charts_and_header(page):
    assert page.count('<section class="agent"') == 2
    assert page.count('<svg class="trend"') == 2 + 1 + 2 * 2  # agents x2, rules, 2 per agent
    assert "in.jsonl" in page and "generated 2024-03-20T00:00:00Z" in page and "2024-W10 to 2024-W11" in page
    assert "1 stored conversation(s) have no date" in page
    kim = page[page.index("<h2>Kim</h2>") :]
    assert "blocking.policy.x" in kim and "Here&#x27;s what I can do" in kim
    assert ">c3</b>" in kim and ">c4</b>" not in kim  # --top 1 worst; undated ones are not in the trends


def test_report_for_one_agent(tmp_path):
    url = str(tmp_path / "results.db")
    store_run(
        url,
        [
            report("c1", "Ann", "2024-03-04T09:00:00Z", 40, agent_findings=(finding("blocking.a", "blocking"),)),
            report("c2", "Kim", "2024-03-05T09:00:00Z", 40, agent_findings=(finding("blocking.b", "blocking"),)),
        ],
    )
    with open_store(url, create=False) as store:
        data = report_data(store, agent="Kim")
    assert [a.agent for a in data.trends.agents] == ["Kim"] and list(data.rules) == ["blocking.b"]
    assert list(data.top_rules) == ["Kim"] and [c.conversation for c in data.worst["Kim"]] == ["c2"]


def test_report_escapes_everything(page):
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # the page's own, allowed by its CSP hash


def test_line_chart_breaks_at_missing_values():
    svg = line_chart(["a", "b", "c", "d"], [("x", "#000", [1.0, 2.0, None, 4.0])], label="t")
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 3


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_report_renders_in_headless_chromium(page, tmp_path):
    target = tmp_path / "report.html"
    target.write_text(page, encoding="utf-8")
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
    assert dom.count("<polyline") >= 3 and "<circle" in dom and "alert(1)" in dom
    assert "Uncaught" not in done.stderr
    assert "Refused to" not in done.stderr  # nothing blocked by the Content-Security-Policy
