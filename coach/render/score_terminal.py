"""Rich end-of-run tables for `coach score`: agents, worst conversations, top rules, and progress."""

from __future__ import annotations

import re

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from ..aggregate import AgentSummary, Summary
from ..controls import escape_controls, visible_conversation
from ..models import NEGATIVE_CATEGORIES, ConversationReport, Finding, TurnReport, placeholder_spans
from .terminal import marked, marked_spans

STYLES = {"blocking": "bold red", "non_apology": "bold magenta", "advocacy": "bold green", "apology": "bold cyan"}
WINDOW = 32  # characters of context either side of a highlighted match
MAX_FINDINGS = 5  # negative findings listed per worst conversation
AGENT_ROWS = 50  # agents with a row (most conversations first); the rest share "(other agents)"


def score_style(score: float) -> str:
    return "green" if score >= 80 else "yellow" if score >= 60 else "red"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


#: (header, short header for narrow terminals): the short ones are used when the full ones do not fit.
AGENT_COLUMNS = (
    ("convs", "conv"),
    ("turns", "turn"),
    ("adv\n/100", "adv"),
    ("block\n/100", "blk"),
    ("apology\n%", "apol"),
    ("apology\nmissed", "miss"),
    ("score\nmean", "mean"),
    ("score\np10/50/90", "p10/50/90"),
)
AGENT_CAPTION = "adv, block: per 100 agent turns · apology: mean completeness · missed: apology expected but missing"
SHORT_CAPTION = (
    "adv, blk: per 100 agent turns · apol: mean apology completeness · miss: apology "
    "expected but missing · mean, p10/50/90: score"
)


def agent_cells(a: AgentSummary) -> list:
    """One agent's row, shared by the per-agent rows and the overall footer."""
    return [
        Text(escape_controls(a.agent, one_line=True), overflow="fold"),
        str(a.conversations),
        str(a.turns),
        Text(f"{a.per_100(a.advocacy):.1f}", "green"),
        Text(f"{a.per_100(a.blocking):.1f}", "red" if a.blocking else ""),
        percent(a.mean_completeness),
        str(a.apology_expected),
        Text(f"{a.mean_score:.1f}", score_style(a.mean_score)),
        f"{a.percentile(0.1)}/{a.percentile(0.5)}/{a.percentile(0.9)}",
    ]


def _agent_table(
    summary: Summary, columns: list[int], short: bool, title: str | None, caption: str | None, width: int | None = None
) -> Table:
    """The agent column plus the chosen number columns; numbers are never wrapped or cut, names fold
    into what is left of `width`."""
    rows, others = summary.agent_rows(AGENT_ROWS)
    if others is not None:
        rows = rows + [others]
    footer = len(summary.agents) > 1
    cells = [agent_cells(a) for a in rows] + ([agent_cells(summary.overall)] if footer else [])
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        caption=caption,
        caption_justify="left",
    )
    longest = max((len(a.agent) for a in rows), default=5)
    widths = []
    for i in columns:
        header = AGENT_COLUMNS[i][1 if short else 0]
        widths.append(max([len(str(c[i + 1])) for c in cells] + [max(len(h) for h in header.split("\n"))]))
    # What is left for names: less each number column's padding (2) and separator (1).
    left = (width - sum(widths) - 3 * len(columns)) if width else longest
    left = max(left, 5)
    table.add_column("agent", min_width=min(max(longest, 5), 12, left), max_width=left, overflow="fold")
    for i, widest in zip(columns, widths):
        header = AGENT_COLUMNS[i][1 if short else 0]
        table.add_column(header, justify="right", no_wrap=True, min_width=widest)
    for i, row in enumerate(cells):
        if footer and i == len(cells) - 1:
            table.add_section()
        style = (
            "bold" if footer and i == len(cells) - 1 else "dim" if others is not None and i == len(rows) - 1 else None
        )
        table.add_row(row[0], *(row[c + 1] for c in columns), style=style)
    return table


def _fits(table: Table, width: int) -> bool:
    """Whether every column gets its minimum width (rich drops or cuts columns when they do not)."""
    columns = table.columns
    padding = 2 * len(columns) - (0 if table.pad_edge else 2)
    rules = len(columns) - 1 + (2 if table.show_edge else 0)  # the box's (blank) column separators
    return sum(c.min_width or 1 for c in columns) + padding + rules <= width


def agent_tables(summary: Summary, console: Console) -> list[Table]:
    """The per-agent table at the console's width: full headers, else short ones, else split in two
    tables (counts and rates, then apologies and scores), so names and numbers never vanish."""
    width = console.width
    every = list(range(len(AGENT_COLUMNS)))
    for short in (False, True):
        table = _agent_table(summary, every, short, "Agents", SHORT_CAPTION if short else AGENT_CAPTION, width)
        if _fits(table, width):
            return [table]
    halves = (every[:4], every[4:])
    return [
        _agent_table(summary, halves[0], True, "Agents", None, width),
        _agent_table(summary, halves[1], True, None, SHORT_CAPTION, width),
    ]


def agent_table(summary: Summary) -> Table:
    """The full-width per-agent table (see agent_tables for narrow terminals)."""
    return _agent_table(summary, list(range(len(AGENT_COLUMNS))), False, "Agents", AGENT_CAPTION)


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
    out.append(
        ("«" if plain else "") + flat(text[start:end]) + ("»" if plain else ""),
        STYLES.get(f.category, "bold yellow") + " underline",
    )
    out.append(flat(text[end:hi]) + ("…" if hi < len(text) else ""))
    return out


def conversation_block(rank: int, report: ConversationReport, plain: bool, show_rewrites: bool) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    head = Text.assemble(
        (f"{report.conversation}", "bold"),
        "  ",
        (report.agent or "(unknown)", "cyan"),
        "  score ",
        (f"{report.score}/100", f"bold {score_style(report.score)}"),
        "  ",
        (report.source, "dim"),
    )
    grid.add_row(Text(f"{rank:>2}.", "bold"), head)
    bad = [(t, f) for t in report.turns for f in t.findings if f.category in NEGATIVE_CATEGORIES]
    for turn, f in bad[:MAX_FINDINGS]:
        label = Text.assemble(
            (f.category.replace("_", "-"), STYLES.get(f.category, "bold yellow")),
            " ",
            (f.rule, "dim"),
            " ",
            (f"turn {turn.number}", "dim"),
        )
        grid.add_row("", label)
        grid.add_row("", Text.assemble("  ", snippet(turn.text, f, plain)))
        shown = f.suggestion
        if show_rewrites and shown:
            grid.add_row("", Text.assemble(("  → ", "green"), marked(f"“{shown}”", "green")))
    if len(bad) > MAX_FINDINGS:
        grid.add_row("", Text(f"… {len(bad) - MAX_FINDINGS} more", "dim"))
    if show_rewrites:
        for turn in dict.fromkeys(t for t, _ in bad[:MAX_FINDINGS]):
            if turn.rewritten is not None:
                grid.add_row("", Text.assemble((f"  turn {turn.number} rewritten: ", "green"), rewritten_turn(turn)))
    apology = report.apology
    if report.apology_expected:
        grid.add_row("", Text("apology expected after a complaint, none offered", "magenta"))
    elif apology.offered and apology.missing:
        grid.add_row(
            "", Text(f"apology {percent(apology.completeness)} complete, missing " + ", ".join(apology.missing), "cyan")
        )
    return grid


def rewritten_turn(turn: TurnReport) -> Text:
    """A turn's rewritten text on one line (same length, so its placeholders stay marked)."""
    return marked_spans(re.sub(r"\s", " ", turn.rewritten or ""), placeholder_spans(turn.edits))


def rules_table(summary: Summary, top: int, show_rewrites: bool) -> Table:
    table = Table(title="Top rules", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("rule", overflow="fold", ratio=2)
    table.add_column("count", justify="right", no_wrap=True)
    if show_rewrites:
        table.add_column("first rewrite", overflow="fold", ratio=3)
    for rule, count in summary.rules.most_common(top):
        cells: list[Text | str] = [Text(escape_controls(rule), STYLES.get(rule.split(".", 1)[0], "")), str(count)]
        if show_rewrites:
            rewrite = summary.rewrites.get(rule)
            cells.append(Text(f"“{escape_controls(rewrite)}”", "green") if rewrite else Text("–", "dim"))
        table.add_row(*cells)
    return table


def render_score(summary: Summary, console: Console, *, top: int = 10, show_rewrites: bool = True) -> None:
    """The supervisor's end-of-run view: who blocks, where apologies fell short, what to coach."""
    plain = console.no_color or not console.is_terminal
    if not summary.conversations:
        console.print("No conversations scored.")
        return
    for i, table in enumerate(agent_tables(summary, console)):
        if i:
            console.print()
        console.print(table)
    worst = summary.worst()[:top]
    if worst:
        console.print(Text("Worst conversations", "bold"))
        for rank, report in enumerate(worst, 1):
            console.print(conversation_block(rank, visible_conversation(report), plain, show_rewrites))
        console.print()
    if summary.rules:
        console.print(rules_table(summary, top, show_rewrites))
    console.print(
        f"{summary.conversations} conversations, {summary.agent_count} agents, "
        f"mean score {summary.overall.mean_score:.1f}",
        highlight=False,
    )


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
    from .console import SafeConsole

    err = console if console.stderr else SafeConsole(stderr=True, no_color=console.no_color, highlight=False)
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(bar_width=20),
        CountColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        EtaColumn(),
        console=err,
        transient=True,
    )
