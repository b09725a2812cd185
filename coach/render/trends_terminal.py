"""Rich tables for `coach trends`: each agent's sparklines and last change, then every period."""

from __future__ import annotations

from rich import box
from rich.console import Console, JustifyMethod
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from ..controls import escape_controls
from ..store.trends import Trends, sparkline

#: Metrics where a fall is the good direction.
LOWER_IS_BETTER = {"blocking_per_100"}


def _value(value, metric: str) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.0f}%" if metric == "apology_completeness" else f"{value:.1f}"


def _change(value, metric: str) -> Text:
    if value is None or value == 0:
        return Text("" if value is None else "±0", "dim")
    better = (value < 0) if metric in LOWER_IS_BETTER else (value > 0)
    shown = f"{value * 100:+.0f}pt" if metric == "apology_completeness" else f"{value:+.1f}"
    return Text(shown.replace("-", "−"), "green" if better else "red")


def _cell(row: dict, metric: str, changes: bool = True) -> Text:
    text = Text(_value(row[metric], metric))
    change = _change(row[f"{metric}_change"], metric) if changes else Text("")
    if change.plain:
        text.append(" ")
        text.append(change)
    return text


def _overview(trends: Trends, spark: list[str], names: int, changes: bool = True) -> Table:
    what = f" · rule {trends.rule}" if trends.rule else ""
    span = trends.periods[0] if len(trends.periods) == 1 else f"{trends.periods[0]} … {trends.periods[-1]}"
    cut = f" (the last {len(spark)})" if len(spark) < len(trends.periods) else ""
    table = Table(
        title=f"Trends by {trends.by}, {span}{what}",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        padding=(0, 1, 0, 0),
        caption=f"trends: one mark per period, oldest first{cut} · last: the agent's latest "
        "period and its change against the period before · block: per 100 agent turns",
        caption_justify="left",
    )
    table.add_column("agent", overflow="fold", min_width=names)
    table.add_column("convs", justify="right", no_wrap=True)
    table.add_column("score\ntrend", no_wrap=True)
    table.add_column("block\ntrend", no_wrap=True)
    table.add_column("last\nscore", justify="right", no_wrap=True)
    table.add_column("last\nblock", justify="right", no_wrap=True)
    for agent in trends.agents:
        last = agent.rows(trends.periods, trends.by)[-1]
        table.add_row(
            Text(escape_controls(agent.agent, one_line=True)),
            str(agent.total.conversations),
            Text(sparkline(agent.series(spark, "mean_score")), "cyan"),
            Text(sparkline(agent.series(spark, "blocking_per_100")), "red"),
            _cell(last, "mean_score", changes),
            _cell(last, "blocking_per_100", changes),
        )
    return table


def _detail(trends: Trends, names: int | None, changes: bool, turns: bool = True) -> Table:
    scope = f" (rule {trends.rule} only)" if trends.rule else ""
    table = Table(
        title="Per period",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        padding=(0, 1, 0, 0),  # one space between columns
        caption=f"block, adv: per 100 agent turns{scope} · apology: mean completeness · "
        + ("change against the period before" if changes else "changes: a wider terminal or --format csv"),
        caption_justify="left",
    )
    justify: JustifyMethod
    for name, justify in (
        ("agent", "left"),
        ("period", "left"),
        ("convs", "right"),
        ("turns", "right"),
        ("block/100", "right"),
        ("adv/100", "right"),
        ("apology", "right"),
        ("score", "right"),
    ):
        if name == "turns" and not turns:
            continue
        table.add_column(
            name,
            justify=justify,
            no_wrap=name != "agent",
            overflow="fold",
            min_width=names if name == "agent" else None,
        )
    for agent in trends.agents:
        for i, row in enumerate(agent.rows(trends.periods, trends.by)):
            cells = [
                Text(escape_controls(agent.agent, one_line=True)) if i == 0 else "",
                row["period"],
                str(row["conversations"]),
                str(row["agent_turns"]),
                _cell(row, "blocking_per_100", changes),
                _cell(row, "advocacy_per_100", changes),
                _cell(row, "apology_completeness", changes),
                _cell(row, "mean_score", changes),
            ]
            table.add_row(*(cells if turns else cells[:3] + cells[4:]))
        table.add_section()
    return table


def _width(console: Console, table: Table) -> int:
    """The width the table wants, unclamped by the terminal."""
    return Measurement.get(console, console.options.update_width(10_000), table).maximum


def _fits(console: Console, table: Table) -> bool:
    return _width(console, table) <= console.width


def render_trends(trends: Trends, console: Console) -> None:
    """Both tables fit the terminal: sparklines keep the latest periods that fit, and a narrow
    terminal's per-period table drops the change columns (every value stays; CSV has them all)."""
    if not trends.periods:
        console.print(
            "No dated conversations in the store for this selection."
            + (f" ({trends.undated} have no date.)" if trends.undated else "")
        )
        return
    names = min(20, max([5, *(len(a.agent) for a in trends.agents)]))
    shown = len(trends.periods)
    overview = _overview(trends, trends.periods, names)
    while shown > 4 and not _fits(console, overview):
        shown = max(4, shown - max(1, (_width(console, overview) - console.width + 1) // 2))
        overview = _overview(trends, trends.periods[-shown:], names)
    if not _fits(console, overview):
        overview = _overview(trends, trends.periods[-shown:], names, changes=False)
    console.print(overview)
    console.print()
    for changes, turns, width in (
        (True, True, names),
        (False, True, names),
        (False, False, names),
        (False, False, None),
    ):  # last: long names fold onto two lines
        detail = _detail(trends, width, changes, turns)
        if _fits(console, detail):
            break
    console.print(detail)
    if trends.undated:
        console.print(Text(f"{trends.undated} stored conversation(s) have no date and are not shown.", "dim"))
