"""`coach phrasebook ...`: list, show, validate and test phrasebooks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ExitCode, UsageError
from .options import (
    NoColorOpt,
    NoDefaultsOpt,
    NoModelOpt,
    OnlyOpt,
    PhrasebookOpt,
    echo_err,
    handle_errors,
    make_console,
    require_phrasebooks,
)

app = typer.Typer(help="List, show, validate and test phrasebooks.", no_args_is_help=True)


def _rules_for(paths: list[Path] | None, no_defaults: bool | None):
    from ..phrasebook import load_rules

    require_phrasebooks(no_defaults, paths)
    return load_rules([str(p) for p in paths or []], defaults=not no_defaults)


@app.command("list")
@handle_errors(exit_code=ExitCode.USAGE)
def phrasebook_list(
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = None,
    only: OnlyOpt = None,
    no_model: NoModelOpt = None,
    no_color: NoColorOpt = False,
) -> None:
    """List rules: id, category, severity, phrase count and source (the classifier's labels
    are listed too, as `<label>.model`, when a model is bundled)."""
    from rich.table import Table

    from ..model.rules import model_rules
    from ..model.store import bundled_available
    from ..phrasebook import select_rules

    rules = _rules_for(phrasebook, no_defaults)
    if not no_model and bundled_available():
        rules = rules + model_rules()
    rules = select_rules(rules, only or ())
    console = make_console(no_color)
    wide = console.width >= 120  # the source column only when it fits beside whole ids
    table = Table(title=f"{len(rules)} rules", title_justify="left")
    # Ids stay whole: they are copied into config.
    table.add_column("id", no_wrap=True, min_width=max((len(r.id) for r in rules), default=2))
    table.add_column("category", no_wrap=True)
    table.add_column("severity", no_wrap=True, min_width=8)
    table.add_column("phrases", no_wrap=True, justify="right", min_width=7)
    if wide:
        table.add_column("source", overflow="fold")
    for r in rules:
        count = "model" if r.path == "<model>" else str(len(r.phrases) + len(r.patterns))
        row = [r.id, r.label if r.category != "apology" else f"apology/{r.element}", r.severity, count]
        table.add_row(*row, *([r.source] if wide else []))
    console.print(table)


@app.command("show")
@handle_errors(exit_code=ExitCode.USAGE)
def phrasebook_show(
    rule: Annotated[str, typer.Argument(help="A rule id.")],
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = None,
    no_color: NoColorOpt = False,
) -> None:
    """Show one rule: its fields, compiled token patterns and examples."""
    import difflib

    from rich.text import Text

    from ..engine.engine import Engine

    rules = {r.id: r for r in _rules_for(phrasebook, no_defaults)}
    if rule not in rules:
        near = difflib.get_close_matches(rule, list(rules), n=1)
        raise UsageError(f"no rule {rule!r}" + (f"; did you mean {near[0]!r}?" if near else ""))
    r = rules[rule]
    engine = Engine([r])
    console = make_console(no_color)
    console.print(Text(r.id, "bold"), Text(f"  {r.path}:{r.line}", "dim"))
    for key in ("category", "element", "severity", "weight", "fix", "speaker", "message", "source"):
        value = getattr(r, key)
        if value not in (None, ""):
            console.print(f"  {key}: {value}")
    for title, items in (("phrases", r.phrases), ("unless", r.unless), ("rewrites", r.rewrites)):
        if items:
            console.print(f"  {title}:")
            for item in items:
                console.print(f"    - {item}")
    for key, title in ((r.id, "compiled patterns"), (r.id + "|unless", "compiled unless patterns")):
        patterns = engine.compiled.get(key, [])
        if patterns:
            console.print(f"  {title} ({len(patterns)}):")
            for pattern in patterns:
                console.print(f"    {pattern}")
    console.print("  examples:")
    for ex in r.match_examples:
        console.print(f"    match:    {ex.text}" + (f"   [span: {ex.span}]" if ex.span else ""))
    for text in r.no_match_examples:
        console.print(f"    no_match: {text}")


@app.command("validate")
@handle_errors(exit_code=ExitCode.USAGE)
def phrasebook_validate(
    paths: Annotated[list[Path], typer.Argument(help="Phrasebook files to validate.")],
) -> None:
    """Check phrasebooks' schema and patterns; report every problem as file:line; exit 2 on any."""
    from ..engine.engine import Engine
    from ..errors import PhrasebookErrors
    from ..phrasebook import read_phrasebook

    problems: list[str] = []
    for path in paths:
        try:
            Engine(read_phrasebook(path).rules)
        except PhrasebookErrors as exc:
            problems.extend(str(e) for e in exc.errors)
    for line in problems:
        echo_err(line)
    if problems:
        echo_err(f"{len(problems)} problem(s) in {len(paths)} file(s)")
        raise typer.Exit(int(ExitCode.USAGE))
    typer.echo(f"{len(paths)} phrasebook(s) valid")


@app.command("test")
@handle_errors(exit_code=ExitCode.USAGE)
def phrasebook_test(
    paths: Annotated[list[Path] | None, typer.Argument(help="Phrasebooks to test (default: the bundled ones).")] = None,
    no_defaults: NoDefaultsOpt = None,
) -> None:
    """Run every rule's examples both ways, the rewrite-loop check and every rewrite on
    every example, like a test runner."""
    from ..authoring import example_failures, rewrite_failures
    from ..engine.engine import Engine
    from ..phrasebook import load_rules

    paths = paths or []
    require_phrasebooks(no_defaults, paths)
    # The given files are tested against all loaded rules (the rewrite-loop check needs them).
    rules = load_rules([str(p) for p in paths], defaults=not no_defaults)
    wanted = {p.resolve() for p in paths}
    tested = [r for r in rules if not wanted or Path(r.path).resolve() in wanted]
    engine = Engine(rules)
    failures = example_failures(engine, tested) + rewrite_failures(engine, tested)
    for failure in failures:
        typer.echo(f"FAIL {failure}")
    examples = sum(len(r.match_examples) + len(r.no_match_examples) for r in tested)
    rewrites = sum(len(r.rewrites) for r in tested if r.negative)
    rewritten = sum(len(r.rewrites) * len(r.match_examples) for r in tested if r.negative)
    checks = examples + rewrites + rewritten
    typer.echo(f"{len(tested)} rules, {examples} examples, {rewrites} rewrites checked, {rewritten} rewritten examples")
    typer.echo(f"{checks - len(failures)} passed, {len(failures)} failed")
    if failures:
        raise typer.Exit(int(ExitCode.FINDINGS))


@app.command("docs")
@handle_errors(exit_code=ExitCode.USAGE)
def phrasebook_docs(
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the Markdown here (atomically) instead of stdout.")
    ] = None,
) -> None:
    """Write the rules as a Markdown page (what docs/rules.md is made from): one section per rule."""
    from ..atomic import atomic_writer
    from ..model.rules import model_rules
    from ..ruledocs import rules_markdown

    rules = _rules_for(phrasebook, no_defaults)
    if not no_defaults:
        rules = rules + model_rules()
    with atomic_writer(output) as out:
        out.write(rules_markdown(rules))


@app.command("norms")
@handle_errors(exit_code=ExitCode.USAGE)
def phrasebook_norms(
    text: Annotated[str, typer.Argument(help="Text to show as coach matches it.")],
) -> None:
    """Show each token and the NORM coach matches on (lowercase lookup lemma, contractions
    expanded), for writing raw `patterns` and checking why a phrase does or does not fire."""
    from ..engine.nlp import get_nlp
    from ..engine.normalize import normalize

    for token in get_nlp().tokenizer(normalize(text).text):
        typer.echo(f"{token.text}\t{token.norm_}")
