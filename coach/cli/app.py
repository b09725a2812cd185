"""The typer app: registers each command module's command; the console-script entry point.

Heavy imports (spaCy, rich renderers) happen inside commands so `coach --help`
and `coach lint` start fast.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from ..controls import escape_controls
from ..errors import ExitCode
from . import check, lint, lsp, phrasebook, report, score, serve, train, trends
from . import eval as eval_cmd

app = typer.Typer(
    name="coach",
    help="Coach customer-service language: advocacy vs blocking phrases and apology completeness.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"coach {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", help="Print coach's version and exit.", callback=_print_version, is_eager=True),
    ] = None,
) -> None:
    """Coach customer-service language: advocacy vs blocking phrases and apology completeness."""


app.command("lint")(lint.lint)
app.command("score")(score.score)
app.command("check")(check.check)
app.command("eval")(eval_cmd.eval_)
app.command("train")(train.train)
app.command("trends")(trends.trends)
app.command("report")(report.report)
app.command("serve")(serve.serve)
app.command("lsp")(lsp.lsp)
app.add_typer(phrasebook.app, name="phrasebook")


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
        app(prog_name="coach")  # also under `python -m coach`: usage lines and completion say coach
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, int) or exc.code is None:
            code = exc.code or 0
        else:
            print(escape_controls(str(exc.code)), file=sys.stderr)
            code = 1
    except Exception as exc:  # a bug: still one line, unless the user asks for the traceback
        if os.environ.get("COACH_DEBUG"):
            raise
        print(
            f"coach: internal error: {type(exc).__name__}: {escape_controls(str(exc), one_line=True)} "
            "(set COACH_DEBUG=1 for the traceback and please report it)",
            file=sys.stderr,
        )
        code = int(ExitCode.INTERNAL)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    except OSError as exc:  # what was left in stdout's buffer met a full disk or /dev/full
        from .options import disk_full

        if not disk_full(exc):
            raise
        print(f"coach: error: cannot write the output: disk full ({exc.strerror})", file=sys.stderr)
        code = int(ExitCode.USAGE)
    try:
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    # Tearing down spaCy's and numpy's module state costs ~0.15 s and does nothing useful.
    os._exit(code)
