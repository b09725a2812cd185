"""`coach eval`: precision, recall and F1 per label on labeled utterances."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ExitCode
from .options import (
    ConfigOpt,
    IgnoreOpt,
    ModelOpt,
    NoColorOpt,
    NoDefaultsOpt,
    NoModelOpt,
    OnlyOpt,
    PhrasebookOpt,
    Split,
    build_analyzer,
    handle_errors,
    make_console,
    warn,
)


class EvalFormat(str, enum.Enum):
    rich = "rich"
    json = "json"


class By(str, enum.Enum):
    source = "source"
    file = "file"


@handle_errors(exit_code=ExitCode.USAGE)
def eval_(
    files: Annotated[list[str], typer.Argument(help="Labeled JSONL files (the format of data/labeled/README.md).")],
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = None,
    no_model: NoModelOpt = None,
    model: ModelOpt = None,
    only: OnlyOpt = None,
    ignore: IgnoreOpt = None,
    errors: Annotated[bool, typer.Option("--errors", help="List every false positive and negative.")] = False,
    unused: Annotated[bool, typer.Option("--unused", help="List rules that never fired.")] = False,
    split: Annotated[
        Split, typer.Option("--split", help="Score only the stable 'tune' (70%) or 'check' (30%) part.")
    ] = Split.all,
    by: Annotated[
        By | None,
        typer.Option(
            "--by",
            help="Also score each group: the labeled 'source' field (real vs written data), or the file.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[EvalFormat, typer.Option("--format", help="Output format.")] = EvalFormat.rich,
    config: ConfigOpt = None,
    no_color: NoColorOpt = False,
) -> None:
    """Measure precision, recall and F1 per label: rules alone, model alone, and both."""
    import json

    from ..evaluate import evaluate_views, group_items, read_items

    analyzer = build_analyzer(phrasebook, no_defaults, only, ignore, config=config, no_model=no_model, model=model)
    items = [item for path in files for item in read_items(path, split.value, warn=warn)]
    with_model = analyzer.classifier is not None
    found = list(analyzer.findings_by_source(i.text for i in items))
    views = evaluate_views(items, found, with_model)
    main = views["both" if with_model else "rules"]
    groups = {}
    if by is not None:
        for name, at in group_items(items, by.value).items():
            groups[name] = evaluate_views([items[i] for i in at], [found[i] for i in at], with_model)
    if fmt is EvalFormat.json:
        doc = main.to_dict()
        doc["view"] = "both" if with_model else "rules"
        doc["views"] = {name: ev.to_dict() for name, ev in views.items()}
        if groups:
            doc["groups"] = {name: {view: ev.to_dict() for view, ev in vs.items()} for name, vs in groups.items()}
        if errors:
            doc["errors"] = [
                {
                    "kind": e.kind,
                    "label": e.label,
                    "id": e.item.id,
                    "text": e.item.text,
                    "rules": list(e.rules),
                    "spans": list(e.spans),
                }
                for e in main.errors
            ]
        if unused:
            doc["unused"] = sorted(r.id for r in analyzer.all_rules if r.id not in main.fired)
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    from ..render.evaluation import render_errors, render_groups, render_unused, render_views

    console = make_console(no_color)
    title = f"coach eval ({split.value}): {', '.join(Path(f).name for f in files)}"
    render_views(views, console, title)
    if groups:
        assert by is not None  # groups are only made with --by
        render_groups(groups, console, by.value)
    if errors:
        render_errors(main, console)
    if unused:
        render_unused(analyzer.all_rules, main.fired, console)
