"""`coach report`: the HTML report over time, from a results store that `coach score --store` wrote."""

from __future__ import annotations

from typing import Annotated

import typer

from .options import AgentOpt, By, SinceOpt, StoreOpt, UntilOpt, handle_errors


@handle_errors()
def report(
    store: StoreOpt,
    output: Annotated[str, typer.Option("--output", "-o", help="The HTML file to write (atomically).")],
    by: Annotated[By, typer.Option("--by", help="Period length of the trend charts.")] = By.week,
    agent: AgentOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    top: Annotated[int, typer.Option(help="Worst conversations shown per agent.", min=1)] = 5,
    title: Annotated[str, typer.Option(help="The page title.")] = "coach report",
) -> None:
    """A self-contained HTML report: trend charts per agent and rule, and a section per agent."""
    from ..atomic import atomic_writer
    from ..render.report_html import write_report
    from ..store import open_store
    from ..store.reportdata import report_data
    from ..store.store import now_iso
    from ..timewindow import TimeWindow

    window = TimeWindow.parse(since, until)
    with open_store(store, create=False) as opened, opened.db.guard("read the results store"):
        data = report_data(opened, by=by.value, window=window, agent=agent, top=top)
    with atomic_writer(output) as out:
        write_report(data, out, title=title, generated=now_iso())
