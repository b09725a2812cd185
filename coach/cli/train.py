"""`coach train`: a classifier from labeled utterances, beside the phrasebooks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from ..errors import ExitCode, UsageError
from .options import (
    ConfigOpt,
    NoColorOpt,
    NoDefaultsOpt,
    PhrasebookOpt,
    Split,
    build_analyzer,
    echo_err,
    handle_errors,
    make_console,
)


@handle_errors(exit_code=ExitCode.USAGE)
def train(
    files: Annotated[list[str], typer.Argument(help="Labeled JSONL files (the `coach eval` format, with spans).")],
    output: Annotated[str, typer.Option("--output", "-o", help="Write the model folder here.")],
    split: Annotated[
        Split, typer.Option("--split", help="Train on the stable 'tune' (70%) part of each file only, or 'all'.")
    ] = Split.all,
    test: Annotated[
        list[str] | None,
        typer.Option("--test", help="Also report on this labeled file (never used to train or choose anything)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the cross-validation folds and the solver.")] = 0,
    folds: Annotated[int, typer.Option(help="Cross-validation folds for thresholds.", min=2)] = 5,
    beta: Annotated[
        float,
        typer.Option(
            help="Choose thresholds for F-beta: below 1 favours precision (fewer, surer findings; the "
            "bundled model uses 0.5), 1 is F1.",
            min=0.1,
        ),
    ] = 0.5,
    rules: Annotated[
        bool,
        typer.Option(
            "--rules/--no-rules", help="Choose thresholds for rules + model together (default) or the model alone."
        ),
    ] = True,
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = None,
    config: ConfigOpt = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr (default: when a terminal).")
    ] = sys.stderr.isatty() if sys.stderr else False,
    no_color: NoColorOpt = False,
) -> None:
    """Train coach's classifier on labeled utterances; print a cross-validated report."""
    from .. import __version__
    from ..evaluate import read_items
    from ..model import store
    from ..model.train import TrainingError
    from ..model.train import train as fit

    try:
        import sklearn
    except ImportError:
        raise UsageError("training needs scikit-learn", hint='pip install "coach-cs[train]"') from None

    items = [item for path in files for item in read_items(path, split.value)]
    if not items:
        raise UsageError(
            "no labeled utterances in the given files" + (f" (split {split.value})" if split.value != "all" else "")
        )
    console = make_console(no_color)
    err_console = make_console(no_color, stderr=True)
    rule_hits = None
    analyzer = build_analyzer(phrasebook, no_defaults, None, None, config=config, no_model=True)
    if rules:
        rule_hits = [
            [(f.label, f.start, f.end) for f in found.rules]
            for found in analyzer.findings_by_source(i.text for i in items)
        ]
    meta = {
        "coach": __version__,
        "trained_on": [{"path": Path(p).as_posix(), "sha256": _sha256(p)} for p in files],
        "split": split.value,
        "thresholds_for": "rules+model" if rules else "model",
        "rules": sorted(r.id for r in analyzer.rules) if rules else [],
        "versions": _versions(sklearn.__version__),
    }
    with _bar(progress, err_console) as tick:
        try:
            result = fit(items, rule_hits, seed=seed, folds=folds, beta=beta, progress=tick, meta=meta)
        except TrainingError as exc:
            raise UsageError(str(exc)) from None
    store.save(result.model, output)
    from ..render.evaluation import render_training

    render_training(
        result,
        console,
        f"coach train: {len(items)} utterances, {result.sentences} sentences, "
        f"{len(result.model.vocabulary)} features; {folds}-fold cross-validated",
    )
    if result.model.meta.get("missing_spans"):
        echo_err(
            f"coach: warning: {result.model.meta['missing_spans']} labels had no span found in their "
            "text; their sentences were left out"
        )
    if test:
        from ..analyzer import Analyzer
        from ..evaluate import evaluate_views
        from ..render.evaluation import render_views

        checked = Analyzer(analyzer.rules, model=output)
        test_items = [item for path in test for item in read_items(path)]
        views = evaluate_views(test_items, checked.findings_by_source(i.text for i in test_items))
        render_views(views, console, f"held-out test: {', '.join(Path(t).name for t in test)}")
    echo_err(f"coach: model written to {output}")


def _sha256(path: str) -> str:
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _versions(sklearn_version: str) -> dict[str, str]:
    import numpy
    import spacy

    return {"spacy": spacy.__version__, "numpy": numpy.__version__, "scikit-learn": sklearn_version}


class _bar:
    """A rich progress bar over the cross-validation fits, or nothing."""

    def __init__(self, enabled: bool, console) -> None:
        self.enabled, self.console, self.progress = enabled, console, None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("training"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} fits"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        task = self.progress.add_task("fits", total=None)
        self.progress.start()
        return lambda done, total: self.progress.update(task, completed=done, total=total)

    def __exit__(self, *exc) -> Literal[False]:
        if self.progress is not None:
            self.progress.stop()
        return False
