"""Plain one-line-per-finding output (`source:line:col: severity rule message`), for editors and grep."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from ..controls import escape_controls
from ..models import TextReport


def write_text(reports: Iterable[TextReport], out: IO[str]) -> None:
    for report in reports:
        source = escape_controls(report.source, one_line=True)  # text is repr()'d: escaped already
        for f in report.findings:
            shown = f.suggestion
            hint = f" -> {shown!r}" if shown else ""
            out.write(
                f"{source}:{f.line}:{f.column}: {f.severity} {f.rule} "
                f"{f.text!r}: {escape_controls(f.message, one_line=True)}{hint}\n"
            )
        if report.rewritten is not None:
            out.write(f"{source}: rewritten {report.rewritten!r}\n")
        out.write(f"{source}: score {report.score}/100\n")
