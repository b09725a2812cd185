"""`coach lint`: one or more draft replies, before they are sent."""

from __future__ import annotations

import enum
import sys
from typing import Annotated

import typer

from ..errors import ExitCode, UsageError
from .options import (
    ConfigOpt,
    FailOnOpt,
    IgnoreOpt,
    ModelOpt,
    NoColorOpt,
    NoDefaultsOpt,
    NoModelOpt,
    OnlyOpt,
    PhrasebookOpt,
    RedactOpt,
    build_analyzer,
    echo_err,
    handle_errors,
    make_console,
    model_choice,
    project_settings,
    read_text_file,
    redact_stderr,
    warn,
)


class LintFormat(str, enum.Enum):
    rich = "rich"
    text = "text"
    json = "json"
    jsonl = "jsonl"


@handle_errors(exit_code=ExitCode.USAGE)
def lint(
    texts: Annotated[
        list[str] | None, typer.Argument(help="Draft replies to lint; none reads --file or stdin.", show_default=False)
    ] = None,
    file: Annotated[
        list[str] | None, typer.Option("--file", "-f", help="Read a draft from a file ('-' for stdin); repeatable.")
    ] = None,
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = None,
    no_model: NoModelOpt = None,
    model: ModelOpt = None,
    only: OnlyOpt = None,
    ignore: IgnoreOpt = None,
    fail_on: FailOnOpt = None,
    fmt: Annotated[LintFormat, typer.Option("--format", help="Output format.")] = LintFormat.rich,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="One summary line per draft.")] = False,
    config: ConfigOpt = None,
    redact: RedactOpt = False,
    no_color: NoColorOpt = False,
) -> None:
    """Lint draft replies: highlight blocking language, suggest rewrites, check the apology."""
    from ..exitcodes import exit_code, gate_problems
    from ..textfix import argument

    redact_stderr(redact)
    drafts: list[str] = []
    for number, text in enumerate(texts or [], 1):
        draft, replaced = argument(text)
        if replaced:
            warn(f"arg:{number}: not valid UTF-8; decoded with replacement")
        drafts.append(draft)
    sources = [f"arg:{i + 1}" for i in range(len(drafts))]
    for path in file or []:
        drafts.append(read_text_file(path))
        sources.append("<stdin>" if path == "-" else path)
    if not drafts:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("nothing to lint: give a draft as an argument, --file PATH, or pipe it on stdin")
        drafts.append(read_text_file("-"))
        sources.append("<stdin>")
    start = next((p for p in file or [] if p != "-"), ".")
    settings = project_settings(
        config,
        start,
        no_defaults=no_defaults,
        model=model_choice(no_model, model),
        select=tuple(only) if only else None,
        ignore=tuple(ignore) if ignore else None,
        fail_on=fail_on.value if fail_on else None,
    )
    analyzer = build_analyzer(phrasebook, None, None, None, settings=settings)
    reports = list(analyzer.lint(drafts, sources))
    if redact:
        from ..redact import redact_report

        reports = [redact_report(r) for r in reports]
    out = sys.stdout
    if fmt is LintFormat.json:
        from ..render.json_ import write_json

        write_json(reports, out)
    elif fmt is LintFormat.jsonl:
        from ..render.json_ import write_jsonl

        write_jsonl(reports, out)
    elif fmt is LintFormat.text:
        from ..render.text import write_text

        write_text(reports, out)
    else:
        from ..render.terminal import render_lint

        render_lint(reports, make_console(no_color), settings.fail_on, quiet=quiet)
    gates = [
        (r.source, p) for r in reports for p in gate_problems(r, settings.min_score, settings.require_complete_apology)
    ]
    for source, problem in gates:
        echo_err(f"coach: {source}: {problem}")
    code = exit_code([f for r in reports for f in r.findings], settings.fail_on, extra_failure=bool(gates))
    raise typer.Exit(int(code))
