"""Rich tables for `coach eval`: per-label scores, error listing, unused rules."""

from __future__ import annotations

from typing import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..evaluate import Evaluation
from ..models import Rule


def _num(value: float, target: float | None = None) -> Text:
    style = "" if target is None else ("green" if value >= target else "red")
    return Text(f"{value:.2f}", style=style)


def render_scores(ev: Evaluation, console: Console, title: str) -> None:
    table = Table(title=title, title_justify="left")
    for name in ("label", "support", "predicted", "precision", "recall", "F1"):
        table.add_column(name, justify="left" if name == "label" else "right")
    for s in ev.scores.values():
        if not s.support and not s.fp:
            continue
        table.add_row(s.label, str(s.support), str(s.tp + s.fp), _num(s.precision),
                      _num(s.recall), _num(s.f1))
    micro, macro = ev.micro(), ev.macro()
    table.add_section()
    table.add_row("micro avg", str(micro.support), str(micro.tp + micro.fp), _num(micro.precision),
                  _num(micro.recall), _num(micro.f1))
    table.add_row("macro avg", "", "", _num(macro["precision"]), _num(macro["recall"]),
                  _num(macro["f1"]))
    console.print(table)
    console.print(f"{ev.items} utterances")


def render_errors(ev: Evaluation, console: Console) -> None:
    for kind, heading in (("fp", "False positives"), ("fn", "False negatives")):
        cases = [e for e in ev.errors if e.kind == kind]
        console.print(Text(f"\n{heading} ({len(cases)})", style="bold"))
        for e in sorted(cases, key=lambda c: (c.label, c.item.path, c.item.line)):
            where = f"{e.item.path}:{e.item.line}"
            head = Text.assemble((f"{e.label:<15}", "bold red" if kind == "fp" else "bold yellow"),
                                 (f" {e.item.id} ", "dim"), (where, "dim"))
            console.print(head)
            console.print(Text(f"    {e.item.text}"))
            if kind == "fp":
                for rule, span in zip(e.rules, e.spans):
                    console.print(Text.assemble("    fired ", (rule, "cyan"), f" on “{span}”"))
            elif e.spans:
                console.print(Text.assemble("    missed “", (e.spans[0], "yellow"), "”"))


def render_unused(rules: Iterable[Rule], fired: set[str], console: Console) -> None:
    unused = sorted(r.id for r in rules if r.id not in fired)
    console.print(Text(f"\nRules that never fired ({len(unused)})", style="bold"))
    for rule_id in unused:
        console.print(f"  {rule_id}")
