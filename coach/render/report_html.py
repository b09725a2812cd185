"""`coach report`: one self-contained HTML page from a results store, with inline SVG trend charts
per agent and per rule and a section per agent (worst conversations, findings, rewrites, top rules).

Same safety as the score page: every text goes through `e`, and the page's Content-Security-Policy
allows no network load and no script but the page's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from .. import __version__
from ..models import label_of
from ..store.reportdata import ReportData, StoredConversation
from ..store.trends import AgentTrend
from . import html_assets as assets
from .html import e, percent, score_class, with_placeholders

PALETTE = ("#2e90fa", "#d92d20", "#079455", "#dc6803", "#7a5af8", "#0e9384", "#c11574", "#667085")
CSS = """
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.charts figure { margin: 0; flex: 1 1 340px; max-width: 600px; }
figcaption { font-size: 13px; color: var(--muted); }
svg.trend { width: 100%; height: auto; background: var(--card); border: 1px solid var(--line);
  border-radius: 8px; }
svg.trend text { font: 11px system-ui, sans-serif; fill: var(--muted); }
section.agent { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 4px 16px 14px; margin: 18px 0; }
nav.agents a { margin-right: 12px; }
.quote { font-style: italic; }
"""


def _points(
    values: Sequence[float | None], width: int, height: int, top: float, pad: int
) -> list[tuple[float, float] | None]:
    n = max(len(values), 1)
    step = (width - 2 * pad) / max(n - 1, 1)
    out: list[tuple[float, float] | None] = []
    for i, v in enumerate(values):
        if v is None:
            out.append(None)
            continue
        x = pad + (i * step if n > 1 else (width - 2 * pad) / 2)
        y = height - pad - (height - 2 * pad) * (v / top if top else 0)
        out.append((round(x, 1), round(y, 1)))
    return out


def line_chart(
    periods: list[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    label: str,
    top: float | None = None,
    unit: str = "",
) -> str:
    """An inline SVG line chart: one line per (name, color, values), a break where a value is missing,
    a dot with a tooltip on every point, a y axis from 0, and at most ~8 period labels."""
    width, height, pad = 520, 200, 34
    rows = -(-len(series) // (4 if all(len(n) <= 18 for n, _, _ in series) else 2))
    present = [v for _, _, values in series for v in values if v is not None]
    top = top or (max(present) if present else 1.0) or 1.0
    parts = [f'<svg class="trend" viewBox="0 0 {width} {height + 6 + 13 * rows}" role="img" aria-label="{e(label)}">']
    for frac in (0, 0.5, 1):
        y = round(height - pad - (height - 2 * pad) * frac, 1)
        parts.append(
            f'<line x1="{pad}" y1="{y}" x2="{width - pad}" y2="{y}" stroke="#e4e7ec"/>'
            f'<text x="{pad - 4}" y="{y + 4}" text-anchor="end">{e(_num(top * frac))}</text>'
        )
    every = max(1, -(-len(periods) // 8))
    for i, (point, period) in enumerate(zip(_points([0.0] * len(periods), width, height, top, pad), periods)):
        if point and (i % every == 0 or i == len(periods) - 1):
            parts.append(f'<text x="{point[0]}" y="{height - pad + 16}" text-anchor="middle">{e(period)}</text>')
    for index, (name, color, values) in enumerate(series):
        points = _points(values, width, height, top, pad)
        runs: list[list[tuple[float, float]]] = [[]]
        for p in points:
            if p is None:
                runs.append([])
            else:
                runs[-1].append(p)
        parts.append(f'<g class="series"><title>{e(name)}</title>')
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x},{y}" for x, y in run)
                parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{path}"/>')
        for p, v, period in zip(points, values, periods):
            if p is not None:
                parts.append(
                    f'<circle cx="{p[0]}" cy="{p[1]}" r="3" fill="{color}">'
                    f"<title>{e(name)}, {e(period)}: {e(_num(v))}{e(unit)}</title></circle>"
                )
        parts.append("</g>")
        columns = 4 if max(len(n) for n, _, _ in series) <= 18 else 2
        lx = pad + (index % columns) * (480 // columns)
        ly = height + 4 + (index // columns) * 13
        parts.append(
            f'<rect x="{lx}" y="{ly - 8}" width="10" height="3" fill="{color}"/>'
            f'<text x="{lx + 14}" y="{ly - 4}">{e(_short(name, 18 if columns == 4 else 36))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def _short(name: str, limit: int = 18) -> str:
    return name if len(name) <= limit else "…" + name[-(limit - 1) :]


def _agent_charts(agent: AgentTrend, periods: list[str]) -> str:
    score = line_chart(
        periods,
        [("mean score", PALETTE[0], agent.series(periods, "mean_score"))],
        label=f"{agent.agent}: mean score per period",
        top=100,
    )
    rates = line_chart(
        periods,
        [
            ("blocking", PALETTE[1], agent.series(periods, "blocking_per_100")),
            ("advocacy", PALETTE[2], agent.series(periods, "advocacy_per_100")),
        ],
        label=f"{agent.agent}: blocking and advocacy per 100 agent turns",
        unit=" / 100 turns",
    )
    return (
        f'<div class="charts"><figure>{score}<figcaption>Mean score (0–100)</figcaption></figure>'
        f"<figure>{rates}<figcaption>Blocking and advocacy per 100 agent turns</figcaption></figure></div>\n"
    )


def _conversation(conv: StoredConversation) -> str:
    flags = [
        f"{n} {k}"
        for n, k in ((conv.blocking, "blocking"), (conv.non_apology, "non-apology"), (conv.advocacy, "advocacy"))
        if n
    ]
    if conv.apology_expected:
        flags.append("apology expected after a complaint")
    items = []
    for f in conv.findings:
        label = label_of(f.category, f.element)
        rewrite = f' → <span class="rewrite">{with_placeholders(f.rewrite)}</span>' if f.rewrite else ""
        how = f" (model, {f.confidence:.2f})" if f.source == "model" and f.confidence is not None else ""
        items.append(
            f'<li>turn {f.turn} · {e(f.speaker)}: <span class="badge {e(f.category)}">'
            f'{e(label.replace("_", "-"))}</span> <span class="quote">“{e(f.text)}”</span>{rewrite} '
            f"<code>{e(f.rule)}</code>{e(how)}</li>"
        )
    findings = f'<ul class="findings">{"".join(items)}</ul>' if items else '<p class="note">No findings.</p>'
    when = f" · {e(conv.started_at)}" if conv.started_at else ""
    return (
        f'<details class="conv" open data-search="{e(conv.conversation.lower())}"><summary>'
        f'<span class="score {score_class(conv.score)}">{conv.score}</span> <b>{e(conv.conversation)}</b>'
        f'{when} <span class="src">{e(conv.source)}</span> <span class="flag">{e(" · ".join(flags))}</span>'
        f'</summary><div class="turns">{findings}</div></details>\n'
    )


def _slug(index: int) -> str:
    return f"agent-{index + 1}"


def _agent_section(index: int, agent: AgentTrend, data: ReportData) -> str:
    periods = data.trends.periods
    total = agent.total
    rows = agent.rows(periods, data.trends.by)
    last = rows[-1] if rows else None
    change = ""
    if last and last["mean_score_change"] is not None:
        change = f" ({last['mean_score_change']:+.1f} on the period before)"
    items = [
        (total.conversations, "conversations"),
        (total.agent_turns, "agent turns"),
        (_num(total.per_100(total.blocking)), "blocking / 100 turns"),
        (_num(total.per_100(total.advocacy)), "advocacy / 100 turns"),
        (percent(total.completeness), "apology completeness"),
        (_num(total.mean_score), "mean score"),
    ]
    totals = (
        '<div class="totals">'
        + "".join(f'<div class="total"><b>{e(v)}</b><span>{e(k)}</span></div>' for v, k in items)
        + "</div>"
    )
    top = data.top_rules.get(agent.agent, [])
    rules = (
        (
            '<table class="rules"><thead><tr><th>rule</th><th>category</th><th>findings</th></tr></thead><tbody>'
            + "".join(f'<tr><td class="rule">{e(r)}</td><td>{e(c)}</td><td>{n}</td></tr>' for r, c, n in top)
            + "</tbody></table>"
        )
        if top
        else '<p class="note">No findings in agent turns.</p>'
    )
    worst = "".join(_conversation(c) for c in data.worst.get(agent.agent, []))
    latest = f"Latest period {e(last['period'])}: mean score {_num(last['mean_score'])}{e(change)}." if last else ""
    return (
        f'<section class="agent" id="{_slug(index)}"><h2>{e(agent.agent)}</h2>\n{totals}\n'
        f'<h3>Trend</h3><p class="note">{latest}</p>\n{_agent_charts(agent, periods)}'
        f"<h3>Top rules</h3>\n{rules}\n<h3>Worst conversations</h3>\n{worst}</section>\n"
    )


def _header(data: ReportData, title: str, generated: str) -> str:
    periods = data.trends.periods
    span = f"{periods[0]} to {periods[-1]}" if periods else "no dated conversations"
    versions = sorted({r.coach_version for r in data.runs})
    inputs = sorted({i for r in data.runs for i in r.inputs})
    shown = inputs[:12]
    more = f" and {len(inputs) - len(shown)} more" if len(inputs) > len(shown) else ""
    runs = len(data.runs)
    first = data.runs[0].started_at if data.runs else "–"
    last = data.runs[-1].started_at if data.runs else "–"
    return (
        f'<header><h1>{e(title)}</h1>\n<p class="meta">Store {e(data.store)} · {e(span)} by {e(data.trends.by)} · '
        f"generated {e(generated)} by coach {e(__version__)}</p>\n"
        f'<p class="meta">{runs} run(s) from {e(first)} to {e(last)} · scored by coach '
        f"{e(', '.join(versions) or '–')} · inputs: {e(', '.join(shown) or '–')}{e(more)}</p>\n</header>\n"
    )


def write_report(data: ReportData, out: IO[str], *, title: str = "coach report", generated: str = "") -> None:
    """The whole page; `generated` is the time the header shows (ISO UTC)."""
    trends = data.trends
    periods = trends.periods
    out.write(
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{e(assets.csp())}">\n'
        f'<meta name="generator" content="coach {e(__version__)}">\n<title>{e(title)}</title>\n'
        f"<style>{assets.CSS}{CSS}</style>\n</head>\n<body>\n"
    )
    out.write(_header(data, title, generated))
    out.write("<main>\n")
    if not periods:
        out.write('<p class="note">No dated conversations in the store for this selection.</p>\n')
    else:
        nav = " ".join(f'<a href="#{_slug(i)}">{e(a.agent)}</a>' for i, a in enumerate(trends.agents))
        out.write(f'<nav class="agents"><b>Agents:</b> {nav}</nav>\n')
        series = [
            (a.agent, PALETTE[i % len(PALETTE)], a.series(periods, "mean_score")) for i, a in enumerate(trends.agents)
        ]
        blocking = [
            (a.agent, PALETTE[i % len(PALETTE)], a.series(periods, "blocking_per_100"))
            for i, a in enumerate(trends.agents)
        ]
        out.write(
            '<section id="trends"><h2>Trends per agent</h2>\n<div class="charts">'
            f"<figure>{line_chart(periods, series, label='Mean score per agent', top=100)}"
            "<figcaption>Mean score per agent and period</figcaption></figure>"
            f"<figure>{line_chart(periods, blocking, label='Blocking per 100 agent turns', unit=' / 100 turns')}"
            "<figcaption>Blocking per 100 agent turns, per agent</figcaption></figure></div></section>\n"
        )
        if data.rules:
            rule_series = [
                (rule, PALETTE[i % len(PALETTE)], [float(v) for v in values])
                for i, (rule, (_, values)) in enumerate(data.rules.items())
            ]
            rows = "".join(
                f'<tr><td class="rule">{e(rule)}</td><td>{e(category)}</td><td>{sum(values)}</td></tr>'
                for rule, (category, values) in data.rules.items()
            )
            out.write(
                '<section id="rules"><h2>Trends per rule</h2>\n<div class="charts"><figure>'
                f"{line_chart(periods, rule_series, label='Findings per rule and period')}"
                "<figcaption>Findings in agent turns per period, most frequent rules</figcaption></figure>"
                '</div>\n<table class="rules sortable"><thead><tr><th>rule</th><th>category</th>'
                f"<th>findings</th></tr></thead><tbody>{rows}</tbody></table></section>\n"
            )
        for i, agent in enumerate(trends.agents):
            out.write(_agent_section(i, agent, data))
    if trends.undated:
        out.write(f'<p class="note">{trends.undated} stored conversation(s) have no date and are not shown.</p>\n')
    out.write(f"</main>\n<script>{assets.SCRIPT}</script>\n</body>\n</html>\n")
