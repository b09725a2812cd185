"""What every command shares: options, error handling, the console, building the analyzer.

Imports no command module, so commands can import it without a circle.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..config import require_phrasebooks
from ..errors import CoachError, ExitCode, InputError, UsageError
from ..exitcodes import FAIL_ON

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console


class Split(str, enum.Enum):
    """The stable partition of labeled files by id hash (coach.evaluate.in_split)."""

    all = "all"
    tune = "tune"
    check = "check"


#: --fail-on's choices, made from the one list the config reads too (coach.exitcodes.FAIL_ON).
FailOn = enum.Enum("FailOn", [(name, name) for name in FAIL_ON], type=str)  # type: ignore[misc]


def handle_errors(exit_code: int | None = None) -> Callable:
    """Turn CoachError into one line on stderr and an exit code; never a traceback."""

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            redact_stderr(False)  # a command given --redact turns it on
            try:
                return func(*args, **kwargs)
            except CoachError as exc:
                code = exit_code if exit_code is not None else exc.exit_code
                for line in str(exc).split("\n") if str(exc) else [exc.__class__.__name__]:
                    echo_err(f"coach: error: {line}")
                raise typer.Exit(int(code)) from None
            except KeyboardInterrupt:
                echo_err("coach: interrupted")
                raise typer.Exit(130) from None
            except OSError as exc:  # stdout on a full disk or /dev/full: one line, not a crash
                if not disk_full(exc):
                    raise
                echo_err(f"coach: error: cannot write the output: disk full ({exc.strerror})")
                raise typer.Exit(int(ExitCode.USAGE)) from None

        return wrapper

    return decorate


def disk_full(exc: OSError) -> bool:
    from ..atomic import FULL

    return exc.errno in FULL


def make_console(no_color: bool = False, stderr: bool = False) -> Console:
    """A console that shows control characters in what it prints as escapes (render.console)."""
    from ..render.console import SafeConsole

    return SafeConsole(no_color=no_color or None, stderr=stderr, highlight=False, markup=False, soft_wrap=False)


class _Stderr:
    """What every stderr line goes through; `redact` is set by a command run with --redact."""

    redact = False


def redact_stderr(on: bool) -> None:
    """Under --redact, mask personal data in every warning and error line too."""
    _Stderr.redact = on


def stderr_line(message: str) -> str:
    """`message` as one safe line: personal data masked under --redact, then control
    characters and line breaks shown as escapes, so input text cannot drive the terminal."""
    from ..controls import escape_controls

    if _Stderr.redact:
        from ..redact import redact_text

        message = redact_text(message)
    return escape_controls(message, one_line=True)


def echo_err(message: str) -> None:
    typer.echo(stderr_line(message), err=True)


class Warnings:
    """A run's warnings: the first SHOWN of each kind printed as they come (through the progress
    display when one is live, so they land above the bar), the rest counted and summarized at the end.

    A warning's kind is its text without the leading `path:line:` and with numbers blurred, so
    "x.jsonl:17: line is not valid JSON" and "x.jsonl:18: ..." are alike."""

    SHOWN = 3

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.examples: dict[str, str] = {}
        self.printer: Callable[[str], None] = lambda line: typer.echo(line, err=True)

    @staticmethod
    def kind(message: str) -> str:
        bare = re.sub(r"^[^\s:][^:]*?(?::\d+)*: ", "", message, count=1)
        return re.sub(r"\d+", "#", bare)

    def __call__(self, message: str) -> None:
        kind = self.kind(message)
        seen = self.counts.get(kind, 0)
        self.counts[kind] = seen + 1
        if seen < self.SHOWN:
            self.printer(stderr_line(f"coach: warning: {message}"))
        elif seen == self.SHOWN:
            self.examples[kind] = message

    def summary(self) -> list[str]:
        """One line per kind that was cut short: "... and 297 more like this" (one more is just printed)."""
        return [
            stderr_line(
                f"coach: warning: {self.examples[kind]}"
                if count == self.SHOWN + 1
                else f"coach: warning: ... and {count - self.SHOWN} more like this ({self.examples[kind]})"
            )
            for kind, count in self.counts.items()
            if count > self.SHOWN
        ]


_warnings: Warnings | None = None


@contextlib.contextmanager
def collecting_warnings() -> Iterator[Warnings]:
    """Route `warn` through one Warnings for a run; print the summary of repeats when it ends."""
    global _warnings
    previous, _warnings = _warnings, Warnings()
    try:
        yield _warnings
    finally:
        collected, _warnings = _warnings, previous
        for line in collected.summary():
            typer.echo(line, err=True)


def warn(message: str) -> None:
    if _warnings is not None:
        _warnings(message)
    else:
        echo_err(f"coach: warning: {message}")


#: The longest draft `coach lint` reads, in characters: spaCy's own `max_length`, as for one
#: message in `coach score`. Files are read only this far (times four bytes), so /dev/zero or a
#: FIFO that never ends cannot fill memory (their stat size is 0).
MAX_DRAFT_CHARS = 1_000_000


def read_text_file(path: str) -> str:
    """A draft from disk: UTF-8 (BOM stripped), invalid bytes replaced with a warning."""
    limit = 4 * MAX_DRAFT_CHARS + 3
    try:
        if path == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
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
    if len(data) > limit or len(text) > MAX_DRAFT_CHARS:
        raise InputError(
            f"the draft is longer than {MAX_DRAFT_CHARS:,} characters",
            path=path,
            hint="lint one reply at a time; `coach score` reads whole transcripts",
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_stdin_text(encoding: str | None = None) -> str:
    """All of stdin as text for `coach check -`: the codec given, else the one a BOM names, else UTF-8."""
    from ..textinput import file_encoding

    data = sys.stdin.buffer.read()
    codec = file_encoding(data[:4], encoding)
    try:
        return data.decode(codec)
    except LookupError:
        raise UsageError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"cannot decode stdin as {codec} at byte {exc.start} ({exc.reason})",
            path="-",
            hint="pass its encoding with --encoding",
        ) from None


# -- shared options ------------------------------------------------------------------
PhrasebookOpt = Annotated[
    list[Path] | None, typer.Option("--phrasebook", "-p", help="Add a phrasebook YAML file (repeatable).")
]
NoDefaultsOpt = Annotated[
    bool | None,
    typer.Option("--no-defaults", help="Use only the given phrasebooks, not the bundled ones.", show_default=False),
]
ConfigOpt = Annotated[
    str | None, typer.Option("--config", help="Use this pyproject.toml / .coach.yaml instead of discovering one.")
]
OnlyOpt = Annotated[
    list[str] | None,
    typer.Option("--only", "--select", help="Only rules whose dotted id starts with this prefix (repeatable)."),
]
IgnoreOpt = Annotated[
    list[str] | None, typer.Option("--ignore", help="Skip rules whose dotted id starts with this prefix (repeatable).")
]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colors (NO_COLOR is honoured too).")]
RedactOpt = Annotated[
    bool,
    typer.Option(
        "--redact",
        help="Mask e-mail addresses, phone and card numbers, IBANs, @handles and (coach score) the "
        "speakers' names in the output and on stderr; dates and ticket/order ids are kept.",
    ),
]
NoModelOpt = Annotated[
    bool | None, typer.Option("--no-model", help="Rules only: do not run coach's classifier.", show_default=False)
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Use this model folder (written by `coach train`) instead of the bundled one.",
        show_default=False,
    ),
]
FailOnOpt = Annotated[
    FailOn | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 when a blocking/non-apology finding is at or above this (default from config, else warning).",
        show_default=False,
    ),
]


def project_settings(config: str | None, start: str = ".", **cli):
    """[tool.coach] / .coach.yaml settings (found upward from `start`), overridden by flags."""
    from ..config import load_settings, merge_cli

    return merge_cli(load_settings(config, start=start), **cli)


def model_choice(no_model: bool | None, model: str | None) -> bool | str | None:
    """--no-model / --model DIR as the `model` setting (None: leave the config's)."""
    if no_model and model:
        raise UsageError("give --no-model or --model, not both")
    return False if no_model else model


def build_analyzer(
    phrasebook: list[Path] | None,
    no_defaults: bool | None,
    only: list[str] | None,
    ignore: list[str] | None,
    *,
    config: str | None = None,
    start: str = ".",
    settings=None,
    no_model: bool | None = None,
    model: str | None = None,
):
    """The Analyzer the project's config and these flags ask for (flags win)."""
    from ..analyzer import Analyzer

    if settings is None:
        settings = project_settings(
            config,
            start,
            no_defaults=no_defaults,
            select=tuple(only) if only else None,
            ignore=tuple(ignore) if ignore else None,
            model=model_choice(no_model, model),
        )
    phrasebooks = list(settings.phrasebooks) + [str(p) for p in phrasebook or []]
    require_phrasebooks(settings.no_defaults, phrasebooks)
    return Analyzer(
        phrasebooks=phrasebooks,
        defaults=not settings.no_defaults,
        only=settings.select,
        ignore=settings.ignore,
        model=settings.model,
    )


# -- the results store (coach trends, coach report) ------------------------------------------
class By(str, enum.Enum):
    day = "day"
    week = "week"
    month = "month"


StoreOpt = Annotated[
    str, typer.Option("--store", help="The results store: a SQLite file, or postgresql://user@host/db.")
]
SinceOpt = Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD, ISO time, or 7d / 4w back).")]
UntilOpt = Annotated[str | None, typer.Option(help="Up to this date (a date includes that whole day).")]
AgentOpt = Annotated[str | None, typer.Option("--agent", help="Only this agent.")]
