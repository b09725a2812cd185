"""`coach eval`: precision, recall and F1 per label on labeled utterances."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from .options import (ConfigOpt, IgnoreOpt, NoColorOpt, NoDefaultsOpt, OnlyOpt, PhrasebookOpt,
                      build_analyzer, handle_errors, make_console)
from ..errors import ExitCode


class EvalFormat(str, enum.Enum):
    rich = "rich"
    json = "json"


class Split(str, enum.Enum):
    all = "all"
    tune = "tune"
    check = "check"


@handle_errors(exit_code=ExitCode.USAGE)
def eval_(
    files: Annotated[list[str], typer.Argument(help="Labeled JSONL files (shared/eval format).")],
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = None,
    only: OnlyOpt = None,
    ignore: IgnoreOpt = None,
    errors: Annotated[bool, typer.Option("--errors", help="List every false positive and negative.")] = False,
    unused: Annotated[bool, typer.Option("--unused", help="List rules that never fired.")] = False,
    split: Annotated[Split, typer.Option(
        "--split", help="Score only the stable 'tune' (70%) or 'check' (30%) part.")] = Split.all,
    fmt: Annotated[EvalFormat, typer.Option("--format", help="Output format.")] = EvalFormat.rich,
    config: ConfigOpt = None,
    no_color: NoColorOpt = False,
) -> None:
    """Measure precision, recall and F1 per label on labeled utterances."""
    import json

    from ..evaluate import evaluate, read_items

    analyzer = build_analyzer(phrasebook, no_defaults, only, ignore, config=config)
    items = [item for path in files for item in read_items(path, split.value)]
    reports = analyzer.lint([i.text for i in items], [i.id for i in items])
    result = evaluate(items, reports)
    if fmt is EvalFormat.json:
        doc = result.to_dict()
        if errors:
            doc["errors"] = [{"kind": e.kind, "label": e.label, "id": e.item.id, "text": e.item.text,
                              "rules": list(e.rules), "spans": list(e.spans)} for e in result.errors]
        if unused:
            doc["unused"] = sorted(r.id for r in analyzer.rules if r.id not in result.fired)
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    from ..render.evaluation import render_errors, render_scores, render_unused

    console = make_console(no_color)
    title = f"coach eval ({split.value}): {', '.join(Path(f).name for f in files)}"
    render_scores(result, console, title)
    if errors:
        render_errors(result, console)
    if unused:
        render_unused(analyzer.rules, result.fired, console)
