"""One exception family and one exit-code table, so every command fails the same way."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes; decided in one place (coach.exitcodes.exit_code) from results."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    INPUT_FAILED = 3
    INTERNAL = 4


class CoachError(Exception):
    """Base of every error coach reports as a one-line message instead of a traceback."""

    exit_code = ExitCode.USAGE

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint

    def location(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def __str__(self) -> str:
        loc = self.location()
        text = f"{loc}: {self.message}" if loc else self.message
        return f"{text} ({self.hint})" if self.hint else text


class UsageError(CoachError):
    """Bad command-line options or configuration."""


class ConfigError(CoachError):
    """A bad `[tool.coach]` table or `.coach.yaml` file."""


class InputError(CoachError):
    """An input file that cannot be read or parsed; in a batch it is reported and skipped."""

    exit_code = ExitCode.INPUT_FAILED


class PhrasebookError(CoachError):
    """One problem in a phrasebook, located by file, line and rule id."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        rule: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, path=path, line=line, hint=hint)
        self.rule = rule

    def __str__(self) -> str:
        loc = self.location()
        rule = f" [{self.rule}]" if self.rule else ""
        text = f"{loc}:{rule} {self.message}" if loc else f"{rule.strip()} {self.message}".strip()
        return f"{text} ({self.hint})" if self.hint else text


class PhrasebookErrors(CoachError):
    """Every problem found in one or more phrasebooks, reported all at once."""

    def __init__(self, errors: list[PhrasebookError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))
