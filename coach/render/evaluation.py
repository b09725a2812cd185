"""Rich tables for `coach eval`: per-label scores, error listing, unused rules."""

from __future__ import annotations

from collections.abc import Iterable

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..controls import escape_controls as esc
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
        table.add_row(s.label, str(s.support), str(s.tp + s.fp), _num(s.precision), _num(s.recall), _num(s.f1))
    micro, macro = ev.micro(), ev.macro()
    table.add_section()
    table.add_row(
        "micro avg",
        str(micro.support),
        str(micro.tp + micro.fp),
        _num(micro.precision),
        _num(micro.recall),
        _num(micro.f1),
    )
    table.add_row("macro avg", "", "", _num(macro["precision"]), _num(macro["recall"]), _num(macro["f1"]))
    console.print(table)
    console.print(f"{ev.items} utterances")


def _prf(s) -> list[Text]:
    return [_num(s.precision), _num(s.recall), _num(s.f1)]


def render_views(views: dict[str, Evaluation], console: Console, title: str) -> None:
    """One table: per label, F1 of each view (rules, model, both) and both's precision and recall."""
    if len(views) == 1:
        render_scores(views["rules"], console, title + " (rules only: no model)")
        return
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("label", no_wrap=True)
    for name in ("n", *views, "P", "R"):
        table.add_column(name, justify="right", no_wrap=True)
    both = views["both"]
    for label, s in both.scores.items():
        if not s.support and not any(v.scores[label].fp for v in views.values()):
            continue
        table.add_row(
            label,
            str(s.support),
            *[_num(ev.scores[label].f1) for ev in views.values()],
            _num(s.precision),
            _num(s.recall),
        )
    table.add_section()
    micro = both.micro()
    table.add_row(
        "micro avg",
        str(micro.support),
        *[_num(ev.micro().f1) for ev in views.values()],
        _num(micro.precision),
        _num(micro.recall),
    )
    table.add_row(
        "macro avg",
        "",
        *[_num(ev.macro()["f1"]) for ev in views.values()],
        _num(both.macro()["precision"]),
        _num(both.macro()["recall"]),
    )
    console.print(table)
    console.print(
        f"{both.items} utterances. F1 of rules (phrasebooks alone), model (the classifier "
        "alone) and both (what coach reports); P, R: precision and recall of both"
    )


def render_groups(groups: dict[str, dict[str, Evaluation]], console: Console, by: str) -> None:
    """F1 per label and view for each group of utterances (by source or file)."""
    views = list(next(iter(groups.values())))
    table = Table(title=f"F1 by {by}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(by)
    table.add_column("n", justify="right")
    table.add_column("label")
    table.add_column("support", justify="right")
    for view in views:
        table.add_column(view, justify="right")
    for name, evs in groups.items():
        first = evs[views[0]]
        rows = [
            (label, s)
            for label, s in first.scores.items()
            if s.support or any(ev.scores[label].fp for ev in evs.values())
        ]
        for k, (label, s) in enumerate(rows):
            table.add_row(
                name if k == 0 else "",
                str(first.items) if k == 0 else "",
                label,
                str(s.support),
                *[_num(evs[v].scores[label].f1) for v in views],
            )
        table.add_row("", "", "micro avg", str(first.micro().support), *[_num(evs[v].micro().f1) for v in views])
        table.add_section()
    console.print(table)


def render_errors(ev: Evaluation, console: Console) -> None:
    for kind, heading in (("fp", "False positives"), ("fn", "False negatives")):
        cases = [e for e in ev.errors if e.kind == kind]
        console.print(Text(f"\n{heading} ({len(cases)})", style="bold"))
        for e in sorted(cases, key=lambda c: (c.label, c.item.path, c.item.line)):
            where = esc(f"{e.item.path}:{e.item.line}", one_line=True)
            head = Text.assemble(
                (esc(f"{e.label:<15}"), "bold red" if kind == "fp" else "bold yellow"),
                (esc(f" {e.item.id} ", one_line=True), "dim"),
                (where, "dim"),
            )
            console.print(head)
            console.print(Text(f"    {esc(e.item.text)}"))
            if kind == "fp":
                for rule, span in zip(e.rules, e.spans):
                    console.print(Text.assemble("    fired ", (rule, "cyan"), f" on “{esc(span)}”"))
            elif e.spans:
                console.print(Text.assemble("    missed “", (esc(e.spans[0]), "yellow"), "”"))


def render_unused(rules: Iterable[Rule], fired: set[str], console: Console) -> None:
    unused = sorted(r.id for r in rules if r.id not in fired)
    console.print(Text(f"\nRules that never fired ({len(unused)})", style="bold"))
    for rule_id in unused:
        console.print(f"  {rule_id}")


def render_training(result, console: Console, title: str) -> None:
    """Per label: the chosen threshold and gate, and cross-validated F1 of rules, model and
    both (with both's precision and recall)."""
    from ..model.train import LabelReport

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("label", no_wrap=True)
    for name in ("n", "thr", "gate", "rules", "model", "both", "P", "R"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in result.reports:
        rules, model, both = (LabelReport.prf(c) for c in (r.rules, r.model, r.combined))
        table.add_row(
            r.label,
            str(r.support),
            f"{r.threshold:.2f}",
            f"{r.gate:.2f}",
            _num(rules[2]),
            _num(model[2]),
            _num(both[2]),
            _num(both[0]),
            _num(both[1]),
        )
    console.print(table)
    console.print(
        "F1 per label (P, R: precision and recall of both); thr: a sentence at or above it "
        "is a model finding; gate: what a rule finding's sentence needs to stand"
    )
