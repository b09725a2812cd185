"""`coach trends`: per agent and period, from a results store that `coach score --store` wrote."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from .options import AgentOpt, By, NoColorOpt, SinceOpt, StoreOpt, UntilOpt, handle_errors, make_console


class TrendsFormat(str, enum.Enum):
    rich = "rich"
    csv = "csv"
    json = "json"


@handle_errors()
def trends(
    store: StoreOpt,
    by: Annotated[By, typer.Option("--by", help="Period length.")] = By.week,
    agent: AgentOpt = None,
    rule: Annotated[
        str | None,
        typer.Option("--rule", help="Count only findings of rules under this dotted id prefix (e.g. blocking.policy)."),
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    fmt: Annotated[TrendsFormat, typer.Option("--format", help="Output format.")] = TrendsFormat.rich,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write here (atomically) instead of stdout.")
    ] = None,
    no_color: NoColorOpt = False,
) -> None:
    """Trends per agent and period: blocking and advocacy per 100 agent turns, apologies, scores."""
    from ..atomic import atomic_writer
    from ..errors import UsageError
    from ..models import RULE_PREFIX
    from ..store import open_store
    from ..store.trends import trends as compute
    from ..timewindow import TimeWindow

    window = TimeWindow.parse(since, until)
    if rule is not None and not RULE_PREFIX.match(rule):
        raise UsageError(f"--rule {rule!r} is not a dotted rule id or prefix", hint="e.g. blocking.policy")
    with open_store(store, create=False) as opened, opened.db.guard("read the results store"):
        result = compute(opened, by=by.value, window=window, agent=agent, rule=rule)
    if fmt is TrendsFormat.rich:
        from ..render.trends_terminal import render_trends

        if output not in (None, "-"):
            with atomic_writer(output) as out:
                from rich.console import Console

                render_trends(result, Console(file=out, width=120, no_color=True, force_terminal=False))
        else:
            render_trends(result, make_console(no_color))
        return
    from ..render.trends_data import write_trends_csv, write_trends_json

    with atomic_writer(output, newline="" if fmt is TrendsFormat.csv else None) as out:
        (write_trends_csv if fmt is TrendsFormat.csv else write_trends_json)(result, out)
