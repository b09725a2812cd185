"""Rich end-of-run tables for `coach score`: agents, worst conversations, top rules, and progress."""

from __future__ import annotations

import re

from rich import box
from rich.console import Console
from rich.progress import (BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.table import Table
from rich.text import Text

from ..aggregate import AgentSummary, Summary
from ..models import NEGATIVE_CATEGORIES, ConversationReport, Finding

STYLES = {"blocking": "bold red", "non_apology": "bold magenta", "advocacy": "bold green",
          "apology": "bold cyan"}
WINDOW = 32  # characters of context either side of a highlighted match
MAX_FINDINGS = 5  # negative findings listed per worst conversation


def score_style(score: float) -> str:
    return "green" if score >= 80 else "yellow" if score >= 60 else "red"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def agent_cells(a: AgentSummary) -> list:
    """One agent's row, shared by the per-agent rows and the overall footer."""
    return [Text(a.agent, overflow="fold"), str(a.conversations), str(a.turns),
            Text(f"{a.per_100(a.advocacy):.1f}", "green"),
            Text(f"{a.per_100(a.blocking):.1f}", "red" if a.blocking else ""),
            percent(a.mean_completeness), str(a.apology_expected),
            Text(f"{a.mean_score:.1f}", score_style(a.mean_score)),
            f"{a.percentile(0.1)}/{a.percentile(0.5)}/{a.percentile(0.9)}"]


def agent_table(summary: Summary) -> Table:
    table = Table(title="Agents", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False, caption="adv, block: per 100 agent turns · apology: mean "
                  "completeness · missed: apology expected but missing", caption_justify="left")
    table.add_column("agent", min_width=8, ratio=1)
    for name in ("convs", "turns", "adv\n/100", "block\n/100", "apology\n%", "apology\nmissed",
                 "score\nmean", "score\np10/50/90"):
        table.add_column(name, justify="right", no_wrap=True)
    for agent in sorted(summary.agents.values(), key=lambda a: a.agent):
        table.add_row(*agent_cells(agent))
    if len(summary.agents) > 1:
        table.add_section()
        table.add_row(*agent_cells(summary.overall), style="bold")
    return table


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def snippet(text: str, f: Finding, plain: bool) -> Text:
    """A one-line window around the match, the match styled (or «marked» without color)."""
    start, end = max(0, min(f.start, len(text))), max(0, min(f.end, len(text)))
    lo, hi = max(0, start - WINDOW), min(len(text), end + WINDOW)
    if lo:
        lo = text.find(" ", lo, start) + 1 or lo
    if hi < len(text):
        cut = text.rfind(" ", end, hi)
        hi = cut if cut > end else hi
    out = Text("…" if lo else "")
    out.append(flat(text[lo:start]))
    out.append(("«" if plain else "") + flat(text[start:end]) + ("»" if plain else ""),
               STYLES.get(f.category, "bold yellow") + " underline")
    out.append(flat(text[end:hi]) + ("…" if hi < len(text) else ""))
    return out


def conversation_block(rank: int, report: ConversationReport, plain: bool,
                       show_rewrites: bool) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    head = Text.assemble((f"{report.conversation}", "bold"), "  ",
                         (report.agent or "(unknown)", "cyan"), "  score ",
                         (f"{report.score}/100", f"bold {score_style(report.score)}"), "  ",
                         (report.source, "dim"))
    grid.add_row(Text(f"{rank:>2}.", "bold"), head)
    bad = [(t, f) for t in report.turns for f in t.findings if f.category in NEGATIVE_CATEGORIES]
    for turn, f in bad[:MAX_FINDINGS]:
        label = Text.assemble((f.category.replace("_", "-"), STYLES.get(f.category, "bold yellow")),
                              " ", (f.rule, "dim"), " ", (f"turn {turn.number}", "dim"))
        grid.add_row("", label)
        grid.add_row("", Text.assemble("  ", snippet(turn.text, f, plain)))
        if show_rewrites and f.rewrites:
            grid.add_row("", Text.assemble(("  → ", "green"), (f"“{f.rewrites[0]}”", "green")))
    if len(bad) > MAX_FINDINGS:
        grid.add_row("", Text(f"… {len(bad) - MAX_FINDINGS} more", "dim"))
    apology = report.apology
    if report.apology_expected:
        grid.add_row("", Text("apology expected after a complaint, none offered", "magenta"))
    elif apology.offered and apology.missing:
        grid.add_row("", Text(f"apology {percent(apology.completeness)} complete, missing "
                              + ", ".join(apology.missing), "cyan"))
    return grid


def rules_table(summary: Summary, top: int, show_rewrites: bool) -> Table:
    table = Table(title="Top rules", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    table.add_column("rule", overflow="fold", ratio=2)
    table.add_column("count", justify="right", no_wrap=True)
    if show_rewrites:
        table.add_column("first rewrite", overflow="fold", ratio=3)
    for rule, count in summary.rules.most_common(top):
        cells = [Text(rule, STYLES.get(rule.split(".", 1)[0], "")), str(count)]
        if show_rewrites:
            rewrite = summary.rewrites.get(rule)
            cells.append(Text(f"“{rewrite}”", "green") if rewrite else Text("–", "dim"))
        table.add_row(*cells)
    return table


def render_score(summary: Summary, console: Console, *, top: int = 10,
                 show_rewrites: bool = True) -> None:
    """The supervisor's end-of-run view: who blocks, where apologies fell short, what to coach."""
    plain = console.no_color or not console.is_terminal
    if not summary.conversations:
        console.print("No conversations scored.")
        return
    console.print(agent_table(summary))
    worst = summary.worst()[:top]
    if worst:
        console.print(Text("Worst conversations", "bold"))
        for rank, report in enumerate(worst, 1):
            console.print(conversation_block(rank, report, plain, show_rewrites))
        console.print()
    if summary.rules:
        console.print(rules_table(summary, top, show_rewrites))
    console.print(f"{summary.conversations} conversations, {len(summary.agents)} agents, "
                  f"mean score {summary.overall.mean_score:.1f}", highlight=False)


class RateColumn(ProgressColumn):
    """Conversations per second, from the task's `conversations` field (else its completed)."""

    def render(self, task: Task) -> Text:
        done = task.fields.get("conversations", task.completed)
        elapsed = task.finished_time if task.finished else task.elapsed
        rate = done / elapsed if elapsed else 0.0
        return Text(f"{rate:,.0f} conv/s" if rate >= 10 else f"{rate:.1f} conv/s", "dim")


class CountColumn(ProgressColumn):
    """How many conversations are scored so far, whatever the task's total counts (bytes...)."""

    def render(self, task: Task) -> Text:
        return Text(f"{int(task.fields.get('conversations', task.completed)):,} conversations")


class EtaColumn(TimeRemainingColumn):
    """ETA only when a total is known (e.g. input bytes); blank while streaming an unknown size."""

    def render(self, task: Task) -> Text:
        return super().render(task) if task.total is not None else Text("")


def make_progress(console: Console) -> Progress:
    """A stderr progress display; update tasks with `conversations=n` and bytes as completed."""
    err = console if console.stderr else Console(stderr=True, no_color=console.no_color,
                                                 highlight=False)
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=20),
                    CountColumn(), RateColumn(), TimeElapsedColumn(), EtaColumn(),
                    console=err, transient=True)
