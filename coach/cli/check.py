"""`coach check`: a CI gate for libraries of canned replies (macros, saved replies)."""

from __future__ import annotations

import enum
import os
import sys
from typing import Annotated, Any

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
    echo_err,
    handle_errors,
    make_console,
    model_choice,
    read_stdin_text,
    redact_stderr,
    require_phrasebooks,
)


class CheckFormat(str, enum.Enum):
    rich = "rich"
    json = "json"
    sarif = "sarif"
    github = "github"
    junit = "junit"
    checkstyle = "checkstyle"


WRITERS = {
    CheckFormat.json: ("check_json", "write_check_json"),
    CheckFormat.sarif: ("sarif", "write_sarif"),
    CheckFormat.github: ("github", "write_github"),
    CheckFormat.junit: ("junit", "write_junit"),
    CheckFormat.checkstyle: ("checkstyle", "write_checkstyle"),
}


@handle_errors(exit_code=ExitCode.USAGE)
def check(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Reply files or folders (default: the current folder).")
    ] = None,
    config: ConfigOpt = None,
    fmt: Annotated[CheckFormat | None, typer.Option("--format", help="Output format.")] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the report here (atomically) instead of stdout.")
    ] = None,
    fail_on: FailOnOpt = None,
    min_score: Annotated[int | None, typer.Option("--min-score", help="Fail replies scoring below.")] = None,
    require_complete_apology: Annotated[
        bool | None,
        typer.Option(
            "--require-complete-apology/--allow-partial-apology", help="An apology must have all five elements."
        ),
    ] = None,
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = None,
    no_model: NoModelOpt = None,
    model: ModelOpt = None,
    only: OnlyOpt = None,
    ignore: IgnoreOpt = None,
    baseline: Annotated[
        str | None, typer.Option("--baseline", help="Fail only on findings not recorded in this baseline file.")
    ] = None,
    write_baseline: Annotated[
        str | None, typer.Option("--write-baseline", help="Record today's findings as the baseline and exit 0.")
    ] = None,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix", help="Apply safe rewrites (rules marked fix: safe; never one with a [placeholder] to fill in)."
        ),
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Show the safe fixes as a unified diff; change nothing.")
    ] = False,
    format_in: Annotated[
        str | None, typer.Option("--format-in", help="Force the library format instead of sniffing it.")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Decode files with this codec.")] = None,
    force_exclude: Annotated[
        bool,
        typer.Option(
            "--force-exclude",
            help="Apply include/exclude, .gitignore and the file types to files named on the "
            "command line too (pre-commit passes every changed file).",
        ),
    ] = False,
    respect_gitignore: Annotated[
        bool,
        typer.Option(
            "--respect-gitignore/--no-respect-gitignore", help="Skip files that .gitignore or .git/info/exclude ignore."
        ),
    ] = True,
    stdin_filename: Annotated[
        str | None,
        typer.Option(
            "--stdin-filename",
            help="With '-': the name of the file read from stdin, for reports, its format and per-path settings.",
        ),
    ] = None,
    statistics: Annotated[
        bool, typer.Option("--statistics", help="Print how many findings each rule made instead of listing them.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print the findings only: no summary, no progress notes.")
    ] = False,
    exit_zero: Annotated[
        bool,
        typer.Option("--exit-zero", help="Exit 0 even when findings fail the run (unreadable input still exits 3)."),
    ] = False,
    redact: RedactOpt = False,
    no_color: NoColorOpt = False,
) -> None:
    """Check canned replies in CI: exit 0 clean, 1 findings at/above fail-on, 2 usage or config error,
    3 some file unreadable. PATHS may be '-' for one file read from stdin."""
    from ..analyzer import Analyzer
    from ..atomic import atomic_writer
    from ..checking import Stdin, apply_fixes, plan_fixes, run_check
    from ..config import load_settings, merge_cli
    from ..exitcodes import exit_code
    from ..library import LibraryOptions
    from ..library.baseline import entries_for, load_baseline
    from ..library.baseline import write_baseline as save_baseline

    redact_stderr(redact)
    paths = paths or ["."]
    stdin = None
    if "-" in paths:
        if fix or diff:
            raise UsageError("--fix and --diff need files, not '-' (stdin)")
        stdin = Stdin(read_stdin_text(encoding), stdin_filename)
    elif stdin_filename:
        raise UsageError("--stdin-filename needs '-' among the paths")
    if statistics and fmt not in (None, CheckFormat.rich, CheckFormat.json):
        raise UsageError(f"--statistics prints a table or, with --format json, a JSON list; not --format {fmt.value}")
    start = next((p for p in paths if p != "-"), stdin_filename or ".")
    settings = load_settings(config, start=start if os.path.exists(start) else os.path.dirname(start) or ".")
    settings = merge_cli(
        settings,
        fail_on=fail_on.value if fail_on else None,
        min_score=min_score,
        require_complete_apology=require_complete_apology,
        select=tuple(only) if only else None,
        ignore=tuple(ignore) if ignore else None,
        no_defaults=no_defaults,
        model=model_choice(no_model, model),
    )
    phrasebooks = list(settings.phrasebooks) + [str(p) for p in phrasebook or []]
    require_phrasebooks(settings.no_defaults, phrasebooks)
    analyzer = Analyzer(phrasebooks=phrasebooks, defaults=not settings.no_defaults, model=settings.model)
    options = LibraryOptions(format=format_in, encoding=encoding)
    known = load_baseline(baseline) if baseline else None
    selection: dict[str, Any] = dict(force_exclude=force_exclude, respect_gitignore=respect_gitignore, stdin=stdin)
    run = run_check(paths, settings, analyzer, options=options, baseline=known, **selection)

    if write_baseline:
        rows = [(f.finding.rule, f.finding.text, f.path, f.key) for f in run.result.findings]
        save_baseline(write_baseline, entries_for(rows, root=settings.root))
        if not quiet:
            echo_err(f"coach: wrote {len(rows)} finding(s) to baseline {write_baseline}")
        raise typer.Exit(0)

    if fix or diff:
        plan = plan_fixes(run, analyzer)
        diffs = apply_fixes(plan, options, encoding, write=not diff)
        if plan.needs_words and not quiet:
            echo_err(
                f"coach: left {plan.needs_words} rewrite(s) for you to finish: they need the agent's "
                "words (a [placeholder] to fill in, or advice only)"
            )
        if diff:
            for shown in diffs:
                sys.stdout.write(_shown_diff(shown, redact))
            raise typer.Exit(int(exit_code(extra_failure=bool(plan.changed))))
        if not quiet:
            echo_err(f"coach: applied {plan.changed} safe fix(es) in {len(plan.edits)} file(s); re-checking")
        run = run_check(paths, settings, analyzer, options=options, baseline=known, **selection)

    result = run.result
    if redact:
        from ..redact import redact_check

        result = redact_check(result)
    rules = {r.id: r for r in analyzer.all_rules}
    chosen = fmt or CheckFormat(settings.format or "rich")
    if statistics:
        from ..render.check_json import write_statistics

        if chosen is CheckFormat.json:
            with atomic_writer(output) as out:
                write_statistics(result, rules, out)
        else:
            from ..render.check_terminal import render_statistics

            render_statistics(result, rules, make_console(no_color), quiet=quiet)
    elif chosen is CheckFormat.rich:
        from ..render.check_terminal import render_check

        render_check(result, rules, make_console(no_color), quiet=quiet)
    else:
        module, name = WRITERS[chosen]
        import importlib

        writer = getattr(importlib.import_module(f"coach.render.{module}"), name)
        with atomic_writer(output) as out:
            writer(result, rules, out)
    for error in result.errors:
        echo_err("coach: error: " + error)
    failed = result.failed and not exit_zero
    raise typer.Exit(int(exit_code(extra_failure=failed, input_failed=bool(result.errors))))


def _shown_diff(text: str, redact: bool) -> str:
    """The --diff text for a terminal: personal data masked under --redact, control
    characters escaped (a CRLF file shows `\\r` at its line ends)."""
    from ..controls import escape_controls

    if redact:
        from ..redact import redact_text

        text = redact_text(text)
    return escape_controls(text)
