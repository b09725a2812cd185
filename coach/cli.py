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


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"coach {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[Optional[bool], typer.Option(
        "--version", help="Print coach's version and exit.", callback=_print_version,
        is_eager=True)] = None,
) -> None:
    """Coach customer-service language: advocacy vs blocking phrases and apology completeness."""


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
NoDefaultsOpt = Annotated[Optional[bool], typer.Option(
    "--no-defaults", help="Use only the given phrasebooks, not the bundled ones.", show_default=False)]
ConfigOpt = Annotated[Optional[str], typer.Option(
    "--config", help="Use this pyproject.toml / .coach.yaml instead of discovering one.")]
OnlyOpt = Annotated[Optional[list[str]], typer.Option(
    "--only", "--select", help="Only rules whose dotted id starts with this prefix (repeatable).")]
IgnoreOpt = Annotated[Optional[list[str]], typer.Option(
    "--ignore", help="Skip rules whose dotted id starts with this prefix (repeatable).")]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colors (NO_COLOR is honoured too).")]
RedactOpt = Annotated[bool, typer.Option(
    "--redact", help="Mask e-mail addresses, phone and card numbers and @handles in the output.")]


def project_settings(config: str | None, start: str = ".", **cli):
    """[tool.coach] / .coach.yaml settings (found upward from `start`), overridden by flags."""
    from .config import load_settings, merge_cli

    return merge_cli(load_settings(config, start=start), **cli)


def build_analyzer(phrasebook: list[Path] | None, no_defaults: bool | None, only: list[str] | None,
                   ignore: list[str] | None, *, config: str | None = None, start: str = ".",
                   settings=None):
    """The Analyzer the project's config and these flags ask for (flags win)."""
    from .analyzer import Analyzer

    if settings is None:
        settings = project_settings(config, start, no_defaults=no_defaults,
                                    select=tuple(only) if only else None,
                                    ignore=tuple(ignore) if ignore else None)
    phrasebooks = list(settings.phrasebooks) + [str(p) for p in phrasebook or []]
    if settings.no_defaults and not phrasebooks:
        raise UsageError("--no-defaults needs at least one --phrasebook")
    return Analyzer(phrasebooks=phrasebooks, defaults=not settings.no_defaults,
                    only=settings.select, ignore=settings.ignore)


@app.command()
@handle_errors(exit_code=ExitCode.USAGE)
def lint(
    texts: Annotated[Optional[list[str]], typer.Argument(
        help="Draft replies to lint; none reads --file or stdin.", show_default=False)] = None,
    file: Annotated[Optional[list[str]], typer.Option(
        "--file", "-f", help="Read a draft from a file ('-' for stdin); repeatable.")] = None,
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = None,
    only: OnlyOpt = None,
    ignore: IgnoreOpt = None,
    fail_on: Annotated[Optional[FailOn], typer.Option(
        "--fail-on", help="Exit 1 when a blocking/non-apology finding is at or above this "
                          "(default from config, else warning).", show_default=False)] = None,
    fmt: Annotated[LintFormat, typer.Option("--format", help="Output format.")] = LintFormat.rich,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="One summary line per draft.")] = False,
    config: ConfigOpt = None,
    redact: RedactOpt = False,
    no_color: NoColorOpt = False,
) -> None:
    """Lint draft replies: highlight blocking language, suggest rewrites, check the apology."""
    from .exitcodes import exit_code, gate_problems

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
    start = next((p for p in file or [] if p != "-"), ".")
    settings = project_settings(config, start, no_defaults=no_defaults,
                                select=tuple(only) if only else None,
                                ignore=tuple(ignore) if ignore else None,
                                fail_on=fail_on.value if fail_on else None)
    analyzer = build_analyzer(phrasebook, None, None, None, settings=settings)
    reports = list(analyzer.lint(drafts, sources))
    if redact:
        from .redact import redact_report
        reports = [redact_report(r) for r in reports]
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
        render_lint(reports, make_console(no_color), settings.fail_on, quiet=quiet)
    gates = [(r.source, p) for r in reports
             for p in gate_problems(r, settings.min_score, settings.require_complete_apology)]
    for source, problem in gates:
        typer.echo(f"coach: {source}: {problem}", err=True)
    code = exit_code([f for r in reports for f in r.findings], settings.fail_on,
                     extra_failure=bool(gates))
    raise typer.Exit(int(code))


# Commands in their own modules register themselves on `app` when imported.
from . import cli_authoring, cli_check, cli_score  # noqa: E402,F401


def main() -> None:
    """Console-script entry point: run the app, flush, and skip interpreter teardown.

    The cyclic garbage collector is off while a command starts (importing spaCy and
    building matchers allocate objects that live until the process ends; each collection
    would walk them all again): lint, check and eval are short-lived and never turn it
    back on; `coach score` does once its matchers are built (gcpause.settle).
    """
    import gc

    gc.disable()
    try:
        app()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, int) or exc.code is None:
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except Exception as exc:  # a bug: still one line, unless the user asks for the traceback
        if os.environ.get("COACH_DEBUG"):
            raise
        print(f"coach: internal error: {type(exc).__name__}: {exc} "
              "(set COACH_DEBUG=1 for the traceback and please report it)", file=sys.stderr)
        code = int(ExitCode.INTERNAL)
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
