"""One self-contained HTML page for `coach score`, for supervisors to open offline and share."""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Iterable
from html import escape
from typing import IO

from spacy import displacy

from ..aggregate import AgentSummary, Summary
from ..models import ConversationReport, Finding, TurnReport, placeholder_spans
from ..rewrite import PLACEHOLDER
from . import html_assets as assets

# The page stays readable (and its making bounded) at any input size; everything cut here is in
# the JSONL / JSON / CSV outputs.
CAP = 500  # conversations listed besides the worst
OTHER_TURNS = 5_000  # turns kept for all of those together (memory)
REWRITE_SHOWN = 400  # characters of each rewrite under a finding (a run-on "sentence" can be a whole turn)
OTHER_BYTES = 8_000_000  # and no more of the page for them than this
TURNS_SHOWN = 50  # turns shown per conversation
TEXT_SHOWN = 3_000  # characters shown per turn
FINDINGS_SHOWN = 10  # findings listed per turn
AGENT_ROWS = 200  # agents with a row (most conversations first); the rest share "(other agents)"
TOKEN = re.compile(r"\S+")


def e(value: object) -> str:
    """Every piece of text on the page goes through here: transcripts are untrusted."""
    return escape("" if value is None else str(value), quote=True)


def score_class(score: float) -> str:
    return "s-green" if score >= 80 else "s-amber" if score >= 60 else "s-red"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def agent_row(a: AgentSummary, cell: str = "td") -> str:
    cells = [
        a.agent,
        a.conversations,
        a.turns,
        f"{a.per_100(a.advocacy):.1f}",
        f"{a.per_100(a.blocking):.1f}",
        percent(a.mean_completeness),
        a.apology_expected,
        f"{a.mean_score:.1f}",
        f"{a.percentile(0.1)} / {a.percentile(0.5)} / {a.percentile(0.9)}",
    ]
    return "<tr>" + "".join(f"<{cell}>{e(c)}</{cell}>" for c in cells) + "</tr>\n"


def agent_table(summary: Summary) -> str:
    heads = (
        "agent",
        "conversations",
        "agent turns",
        "advocacy / 100 turns",
        "blocking / 100 turns",
        "apology completeness",
        "apology missed",
        "mean score",
        "p10 / median / p90",
    )
    shown, others = summary.agent_rows(AGENT_ROWS)
    rows = "".join(agent_row(a) for a in shown) + (agent_row(others) if others is not None else "")
    head = "".join(f"<th>{e(h)}</th>" for h in heads)
    return (
        f'<div class="scroll"><table class="agents sortable"><thead><tr>{head}'
        f"</tr></thead>\n<tbody>\n{rows}</tbody>\n<tfoot>{agent_row(summary.overall)}</tfoot>"
        '</table></div>\n<p class="note">Apology missed: a complaint met without an apology. '
        "Click a column to sort.</p>\n"
    )


def totals(summary: Summary) -> str:
    o = summary.overall
    items = [
        (o.conversations, "conversations"),
        (summary.agent_count, "agents"),
        (o.turns, "agent turns"),
        (f"{o.per_100(o.advocacy):.1f}", "advocacy / 100 turns"),
        (f"{o.per_100(o.blocking):.1f}", "blocking / 100 turns"),
        (o.non_apology, "non-apologies"),
        (o.apology_expected, "apologies missed"),
        (f"{o.mean_score:.1f}", "mean score"),
        (o.percentile(0.5), "median score"),
    ]
    return (
        '<div class="totals">'
        + "".join(f'<div class="total"><b>{e(v)}</b><span>{e(k)}</span></div>' for v, k in items)
        + "</div>\n"
    )


def histogram_svg(histogram: list[int]) -> str:
    """The 0-100 score histogram as ten inline SVG bars (90-100 includes 100)."""
    buckets = [sum(histogram[i * 10 : i * 10 + 10]) for i in range(10)]
    buckets[9] += sum(histogram[100:])
    top, width, height, base = max(buckets) or 1, 600, 220, 190
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="Conversations per score band">']
    parts.append(f'<line x1="20" y1="{base}" x2="{width - 20}" y2="{base}" stroke="#d0d5dd"/>')
    for i, n in enumerate(buckets):
        lo, hi = i * 10, (100 if i == 9 else i * 10 + 9)
        x, h = 28 + i * 56, round(160 * n / top)
        color = "#079455" if lo >= 80 else "#dc6803" if lo >= 60 else "#d92d20"
        parts.append(
            f"<g><title>{lo}–{hi}: {n} conversations</title>"
            f'<rect x="{x}" y="{base - h}" width="44" height="{h}" rx="3" fill="{color}"/>'
            f'<text x="{x + 22}" y="{base - h - 5}" text-anchor="middle">{n}</text>'
            f'<text x="{x + 22}" y="{base + 18}" text-anchor="middle">{lo}–{hi}</text></g>'
        )
    parts.append("</svg>\n")
    return "".join(parts)


def rules_table(summary: Summary) -> str:
    rows = []
    for rule, count in summary.rules.most_common(summary.top):
        category = rule.split(".", 1)[0]
        badge = (
            f'<span class="badge {e(category)}">{e(category.replace("_", "-"))}</span> '
            if category in assets.CATEGORY_COLORS
            else ""
        )
        rewrite = summary.rewrites.get(rule)
        rows.append(
            f'<tr><td class="rule">{badge}{e(rule)}</td><td>{count}</td>'
            f'<td class="text rewrite">{"→ " + e(rewrite) if rewrite else "–"}</td></tr>\n'
        )
    if not rows:
        return '<p class="note">No rule fired.</p>\n'
    return (
        '<table class="rules sortable"><thead><tr><th>rule</th><th>count</th>'
        '<th class="text">first rewrite</th></tr></thead>\n<tbody>\n' + "".join(rows) + "</tbody></table>\n"
    )


def span_markup(turn: TurnReport) -> str:
    """The turn with its findings underlined, in displaCy's span style (whitespace tokens);
    a turn longer than TEXT_SHOWN characters is cut there (its findings are still listed)."""
    text, more = turn.text[:TEXT_SHOWN], max(0, len(turn.text) - TEXT_SHOWN)
    cut = f'<div class="note">… {more:,} more characters</div>' if more else ""
    tokens = [(m.start(), m.end(), m.group()) for m in TOKEN.finditer(text)]
    starts = [s for s, _, _ in tokens]
    spans = []
    for f in turn.findings[:FINDINGS_SHOWN]:  # the tokens overlapping [start, end), by bisection
        lo = max(0, bisect.bisect_right(starts, f.start) - 1)
        if tokens and tokens[lo][1] <= f.start:
            lo += 1
        hi = bisect.bisect_left(starts, f.end)
        if lo < hi:
            spans.append({"start_token": lo, "end_token": hi, "label": e(f.label.replace("_", "-"))})
    if not spans:
        return f'<div class="plain">{e(text)}</div>{cut}'
    colors = {k.replace("_", "-"): v for k, v in assets.DISPLACY_COLORS.items()}
    doc = {"text": text, "spans": spans, "tokens": [t for _, _, t in tokens]}
    # displaCy escapes token text itself; labels are escaped above.
    return displacy.render(doc, style="span", manual=True, page=False, jupyter=False, options={"colors": colors}) + cut


#: Shown once above the conversations: what a marked placeholder asks of the agent.
LEGEND = (
    '<p class="legend"><mark class="placeholder">[what you can offer]</mark> a placeholder in a '
    "rewrite: the agent fills it in with their own words before sending.</p>\n"
)


def with_placeholders(text: str, spans: Iterable[tuple[int, int]] | None = None) -> str:
    """`text` escaped, each placeholder (the given spans, else every [bracketed] part) in a
    <mark class="placeholder">."""
    if spans is None:
        spans = [m.span() for m in PLACEHOLDER.finditer(text)]
    out, pos = [], 0
    for a, b in sorted(spans):
        if a < pos or b > len(text):
            continue
        out.append(e(text[pos:a]) + f'<mark class="placeholder">{e(text[a:b])}</mark>')
        pos = b
    return "".join(out) + e(text[pos:])


def rewritten_markup(turn: TurnReport) -> str:
    """The turn rewritten, its placeholders marked; empty when no rewrite changed it."""
    if turn.rewritten is None:
        return ""
    text = turn.rewritten[:TEXT_SHOWN]
    spans = [(a, b) for a, b in placeholder_spans(turn.edits) if b <= len(text)]
    return (
        f'<div class="rewritten"><span class="who">rewritten</span> '
        f'<span class="text">{with_placeholders(text, spans)}</span></div>'
    )


def finding_item(f: Finding) -> str:
    shown = [r if len(r) <= REWRITE_SHOWN else r[:REWRITE_SHOWN] + "…" for r in f.suggestions]
    rewrites = "".join(f'<li class="rewrite">→ {with_placeholders(r)}</li>' for r in shown)
    message = f" — {e(f.message)}" if f.message else ""
    origin = (
        f"<code>{e(f.rule)}</code>"
        if f.source == "rule"
        else f'<span class="model">coach\'s model, {f.confidence or 0:.0%}</span>'
    )
    return (
        f'<li><span class="badge {e(f.category)}">{e(f.label.replace("_", "-"))}</span> '
        f"{origin} “{e(f.text)}”{message}" + (f"<ul>{rewrites}</ul>" if rewrites else "") + "</li>"
    )


def conversation(report: ConversationReport, *, open_: bool, turns: int | None = None) -> str:
    """One conversation as a <details> block: its first TURNS_SHOWN turns (`turns`: how many it
    had before it was trimmed for keeping, when it was)."""
    counts = report.count_map
    search = " ".join(str(x) for x in (report.conversation, report.agent, report.source) if x)
    flags = [f"{counts[k]} {k.replace('_', '-')}" for k in ("blocking", "non_apology", "advocacy") if counts.get(k)]
    if report.apology_expected:
        flags.append('<span class="flag">apology missing</span>')
    elif report.apology.offered:
        flags.append(f"apology {percent(report.apology.completeness)}")
    parts = [
        f'<details class="conv" data-search="{e(search.lower())}"{" open" if open_ else ""}>'
        f'<summary><span class="score {score_class(report.score)}">{report.score}</span> '
        f"<b>{e(report.conversation)}</b> · {e(report.agent or '(unknown)')}"
        f' · <span class="src">{e(report.source)}</span> · ' + " · ".join(flags) + '</summary>\n<div class="turns">'
    ]
    for turn in report.turns[:TURNS_SHOWN]:
        who = " · ".join(e(x) for x in (turn.speaker, turn.name, f"turn {turn.number}") if x)
        items = "".join(finding_item(f) for f in turn.findings[:FINDINGS_SHOWN])
        if len(turn.findings) > FINDINGS_SHOWN:
            items += f'<li class="note">… {len(turn.findings) - FINDINGS_SHOWN:,} more findings</li>'
        parts.append(
            f'<div class="turn {e(turn.speaker)}"><div class="who">{who}</div>'
            + span_markup(turn)
            + (f'<ul class="findings">{items}</ul>' if items else "")
            + rewritten_markup(turn)
            + "</div>\n"
        )
    hidden = max(turns or 0, len(report.turns)) - min(len(report.turns), TURNS_SHOWN)
    if hidden > 0:
        parts.append(f'<p class="note">… {hidden:,} more turns (every turn is in the JSON and CSV outputs)</p>\n')
    parts.append("</div></details>\n")
    return "".join(parts)


def write_html(
    summary: Summary,
    reports: Iterable[ConversationReport] | None,
    out: IO[str],
    *,
    title: str = "coach score",
    cap: int = CAP,
) -> None:
    """The page: totals, agents, score chart, top rules, worst conversations, then up to `cap` more.

    `reports` (None for the worst only) is read before anything is written, so it may be
    the same single pass that feeds `summary` (it must be, for the worst to be told apart);
    only `cap` + top reports are kept, each trimmed to the turns the page shows, and only
    while they hold fewer than OTHER_TURNS turns together.
    """
    kept: list[tuple[int, ConversationReport, int]] = []  # (position in the stream, report, its turns)
    total = budget = 0
    for report in reports or ():
        total += 1
        if len(kept) < cap + summary.top and budget < OTHER_TURNS:
            shown = report.turns[:TURNS_SHOWN]
            budget += len(shown)
            trimmed = report if len(shown) == len(report.turns) else dataclasses.replace(report, turns=shown)
            kept.append((total, trimmed, len(report.turns)))
    worst = summary.worst()
    worst_at = summary.worst_positions()
    others = [(r, n) for at, r, n in kept if at not in worst_at][:cap]
    out.write(
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{e(assets.csp())}">\n'
        f'<meta name="generator" content="coach">\n<title>{e(title)}</title>\n'
        f"<style>{assets.CSS}</style>\n</head>\n<body>\n"
    )
    out.write(
        f'<header><h1>{e(title)}</h1><p class="meta">{summary.conversations} conversations '
        f"scored · {summary.agent_count} agents</p>\n{totals(summary)}</header>\n<main>\n"
    )
    out.write(f'<section id="agents"><h2>Agents</h2>\n{agent_table(summary)}</section>\n')
    out.write(
        '<section id="distribution"><h2>Score distribution</h2>\n'
        f"{histogram_svg(summary.overall.histogram)}</section>\n"
    )
    out.write(f'<section id="rules"><h2>Top rules</h2>\n{rules_table(summary)}</section>\n')
    out.write(
        '<section id="worst"><h2>Worst conversations</h2>\n<p><input id="filter" '
        'type="search" placeholder="Filter by conversation, agent or file" '
        'aria-label="Filter conversations"></p>\n' + LEGEND
    )
    for report in worst:
        out.write(conversation(report, open_=True))
    if not worst:
        out.write('<p class="note">No conversations scored.</p>\n')
    out.write("</section>\n")
    if others:
        out.write('<section id="conversations"><h2>Other conversations</h2>\n')
        listed = size = 0
        for report, turns in others:
            block = conversation(report, open_=False, turns=turns)
            if size and size + len(block) > OTHER_BYTES:
                break
            out.write(block)
            listed, size = listed + 1, size + len(block)
        if total > listed + len(worst):
            out.write(
                f'<p class="note">Listed {listed + len(worst):,} of {total:,} conversations '
                f"(at most {cap:,} besides the worst, and a few MB of them); every conversation "
                f"is in the JSON and CSV outputs.</p>\n"
            )
        out.write("</section>\n")
    out.write(f"</main>\n<script>{assets.SCRIPT}</script>\n</body>\n</html>\n")
