"""The typer app: parse options, call the core, pick a renderer, map errors to exit codes.

Heavy imports (spaCy, rich renderers) happen inside commands so `coach --help`
and `coach lint` start fast.
"""

from __future__ import annotations

import enum
import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable, Optional

import typer

from .errors import CoachError, ExitCode, InputError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

app = typer.Typer(
    name="coach",
    help="Coach customer-service language: advocacy vs blocking phrases and apology completeness.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
phrasebook_app = typer.Typer(help="List, show, validate and test phrasebooks.", no_args_is_help=True)
app.add_typer(phrasebook_app, name="phrasebook")


class LintFormat(str, enum.Enum):
    rich = "rich"
    text = "text"
    json = "json"
    jsonl = "jsonl"


class FailOn(str, enum.Enum):
    info = "info"
    warning = "warning"
    error = "error"
    never = "never"


def fail(message: str, code: int = ExitCode.USAGE) -> None:
    """Print one line to stderr and exit with `code`."""
    typer.echo(f"coach: error: {message}", err=True)
    raise typer.Exit(int(code))


def handle_errors(exit_code: int | None = None) -> Callable:
    """Turn CoachError into one line on stderr and an exit code; never a traceback."""
    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except CoachError as exc:
                code = exit_code if exit_code is not None else exc.exit_code
                for line in str(exc).splitlines() or [exc.__class__.__name__]:
                    typer.echo(f"coach: error: {line}", err=True)
                raise typer.Exit(int(code)) from None
            except KeyboardInterrupt:
                typer.echo("coach: interrupted", err=True)
                raise typer.Exit(130) from None
        return wrapper
    return decorate


def make_console(no_color: bool = False, stderr: bool = False) -> "Console":
    from rich.console import Console

    return Console(no_color=no_color or None, stderr=stderr, highlight=False, markup=False,
                   soft_wrap=False)


def warn(message: str) -> None:
    typer.echo(f"coach: warning: {message}", err=True)


def read_text_file(path: str) -> str:
    """A draft from disk: UTF-8 (BOM stripped), invalid bytes replaced with a warning."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=path, hint="check the path") from None
    except IsADirectoryError:
        raise InputError("is a directory; give a file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        warn(f"{path}: invalid UTF-8 at byte {exc.start}; decoded with replacement")
        text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


# -- shared options ------------------------------------------------------------------
PhrasebookOpt = Annotated[Optional[list[Path]], typer.Option(
    "--phrasebook", "-p", help="Add a phrasebook YAML file (repeatable).")]
NoDefaultsOpt = Annotated[bool, typer.Option(
    "--no-defaults", help="Use only the given phrasebooks, not the bundled ones.")]
OnlyOpt = Annotated[Optional[list[str]], typer.Option(
    "--only", "--select", help="Only rules whose dotted id starts with this prefix (repeatable).")]
IgnoreOpt = Annotated[Optional[list[str]], typer.Option(
    "--ignore", help="Skip rules whose dotted id starts with this prefix (repeatable).")]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colors (NO_COLOR is honoured too).")]


def build_analyzer(phrasebook: list[Path] | None, no_defaults: bool, only: list[str] | None,
                   ignore: list[str] | None):
    from .analyzer import Analyzer

    if no_defaults and not phrasebook:
        raise UsageError("--no-defaults needs at least one --phrasebook")
    return Analyzer(phrasebooks=[str(p) for p in phrasebook or []], defaults=not no_defaults,
                    only=only or (), ignore=ignore or ())


@app.command()
@handle_errors(exit_code=ExitCode.USAGE)
def lint(
    texts: Annotated[Optional[list[str]], typer.Argument(
        help="Draft replies to lint; none reads --file or stdin.", show_default=False)] = None,
    file: Annotated[Optional[list[str]], typer.Option(
        "--file", "-f", help="Read a draft from a file ('-' for stdin); repeatable.")] = None,
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = False,
    only: OnlyOpt = None,
    ignore: IgnoreOpt = None,
    fail_on: Annotated[FailOn, typer.Option(
        "--fail-on", help="Exit 1 when a blocking/non-apology finding is at or above this.")
    ] = FailOn.warning,
    fmt: Annotated[LintFormat, typer.Option("--format", help="Output format.")] = LintFormat.rich,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="One summary line per draft.")] = False,
    no_color: NoColorOpt = False,
) -> None:
    """Lint draft replies: highlight blocking language, suggest rewrites, check the apology."""
    from .report import exit_code

    drafts: list[str] = list(texts or [])
    sources = [f"arg:{i + 1}" for i in range(len(drafts))]
    for path in file or []:
        drafts.append(read_text_file(path))
        sources.append("<stdin>" if path == "-" else path)
    if not drafts:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("nothing to lint: give a draft as an argument, --file PATH, or pipe it on stdin")
        drafts.append(read_text_file("-"))
        sources.append("<stdin>")
    analyzer = build_analyzer(phrasebook, no_defaults, only, ignore)
    reports = list(analyzer.lint(drafts, sources))
    out = sys.stdout
    if fmt is LintFormat.json:
        from .render.json_ import write_json
        write_json(reports, out)
    elif fmt is LintFormat.jsonl:
        from .render.json_ import write_jsonl
        write_jsonl(reports, out)
    elif fmt is LintFormat.text:
        from .render.text import write_text
        write_text(reports, out)
    else:
        from .render.terminal import render_lint
        render_lint(reports, make_console(no_color), fail_on.value, quiet=quiet)
    code = exit_code([f for r in reports for f in r.findings], fail_on.value)
    raise typer.Exit(int(code))


class EvalFormat(str, enum.Enum):
    rich = "rich"
    json = "json"


class Split(str, enum.Enum):
    all = "all"
    tune = "tune"
    check = "check"


@app.command("eval")
@handle_errors(exit_code=ExitCode.USAGE)
def eval_(
    files: Annotated[list[str], typer.Argument(help="Labeled JSONL files (shared/eval format).")],
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = False,
    only: OnlyOpt = None,
    ignore: IgnoreOpt = None,
    errors: Annotated[bool, typer.Option("--errors", help="List every false positive and negative.")] = False,
    unused: Annotated[bool, typer.Option("--unused", help="List rules that never fired.")] = False,
    split: Annotated[Split, typer.Option(
        "--split", help="Score only the stable 'tune' (70%) or 'check' (30%) part.")] = Split.all,
    fmt: Annotated[EvalFormat, typer.Option("--format", help="Output format.")] = EvalFormat.rich,
    no_color: NoColorOpt = False,
) -> None:
    """Measure precision, recall and F1 per label on labeled utterances."""
    import json

    from .evaluate import evaluate, read_items

    analyzer = build_analyzer(phrasebook, no_defaults, only, ignore)
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
    from .render.evaluation import render_errors, render_scores, render_unused

    console = make_console(no_color)
    title = f"coach eval ({split.value}): {', '.join(Path(f).name for f in files)}"
    render_scores(result, console, title)
    if errors:
        render_errors(result, console)
    if unused:
        render_unused(analyzer.rules, result.fired, console)


def _rules_for(paths: list[Path] | None, no_defaults: bool):
    from .phrasebook import load_rules

    if no_defaults and not paths:
        raise UsageError("--no-defaults needs at least one phrasebook")
    return load_rules([str(p) for p in paths or []], defaults=not no_defaults)


@phrasebook_app.command("list")
@handle_errors(exit_code=ExitCode.USAGE)
def phrasebook_list(
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = False,
    only: OnlyOpt = None,
    no_color: NoColorOpt = False,
) -> None:
    """List rules: id, category, severity, phrase count and source."""
    from rich.table import Table

    from .phrasebook import select_rules

    rules = select_rules(_rules_for(phrasebook, no_defaults), only or ())
    table = Table(title=f"{len(rules)} rules", title_justify="left")
    for name in ("id", "category", "severity", "phrases", "source"):
        table.add_column(name, overflow="fold")
    for r in rules:
        table.add_row(r.id, r.label if r.category != "apology" else f"apology/{r.element}",
                      r.severity, str(len(r.phrases) + len(r.patterns)), r.source)
    make_console(no_color).print(table)


@phrasebook_app.command("show")
@handle_errors(exit_code=ExitCode.USAGE)
def phrasebook_show(
    rule: Annotated[str, typer.Argument(help="A rule id.")],
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = False,
    no_color: NoColorOpt = False,
) -> None:
    """Show one rule: its fields, compiled token patterns and examples."""
    import difflib

    from rich.text import Text

    from .matching import Engine

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


@phrasebook_app.command("validate")
@handle_errors(exit_code=ExitCode.USAGE)
def phrasebook_validate(
    paths: Annotated[list[Path], typer.Argument(help="Phrasebook files to validate.")],
) -> None:
    """Check phrasebooks' schema and patterns; report every problem as file:line; exit 2 on any."""
    from .errors import PhrasebookErrors
    from .matching import Engine
    from .phrasebook import read_phrasebook

    problems: list[str] = []
    for path in paths:
        try:
            Engine(read_phrasebook(path).rules)
        except PhrasebookErrors as exc:
            problems.extend(str(e) for e in exc.errors)
    for line in problems:
        typer.echo(line, err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {len(paths)} file(s)", err=True)
        raise typer.Exit(int(ExitCode.USAGE))
    typer.echo(f"{len(paths)} phrasebook(s) valid")


@phrasebook_app.command("test")
@handle_errors(exit_code=ExitCode.USAGE)
def phrasebook_test(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Phrasebooks to test (default: the bundled ones).")] = None,
    no_defaults: NoDefaultsOpt = False,
) -> None:
    """Run every rule's examples both ways and the rewrite-loop check, like a test runner."""
    from .authoring import example_failures, rewrite_failures
    from .matching import Engine
    from .phrasebook import load_rules

    paths = paths or []
    rules = load_rules([str(p) for p in paths], defaults=not (paths and no_defaults) if paths else True)
    tested = [r for r in rules if not paths or any(Path(r.path).resolve() == p.resolve() for p in paths)]
    engine = Engine(rules)
    failures = example_failures(engine, tested) + rewrite_failures(engine, tested)
    for failure in failures:
        typer.echo(f"FAIL {failure}")
    examples = sum(len(r.match_examples) + len(r.no_match_examples) for r in tested)
    rewrites = sum(len(r.rewrites) for r in tested if r.negative)
    checks = examples + rewrites
    typer.echo(f"{len(tested)} rules, {examples} examples, {rewrites} rewrites checked")
    typer.echo(f"{checks - len(failures)} passed, {len(failures)} failed")
    if failures:
        raise typer.Exit(int(ExitCode.FINDINGS))


def main() -> None:
    """Console-script entry point: run the app, flush, and skip interpreter teardown."""
    try:
        app()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, int) or exc.code is None:
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    try:
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    # Tearing down spaCy's and numpy's module state costs ~0.15 s and does nothing useful.
    os._exit(code)
