"""Plain one-line-per-finding output (`source:line:col: severity rule message`), for editors and grep."""

from __future__ import annotations

from typing import IO, Iterable

from ..models import TextReport


def write_text(reports: Iterable[TextReport], out: IO[str]) -> None:
    for report in reports:
        for f in report.findings:
            hint = f" -> {f.rewrites[0]!r}" if f.rewrites else ""
            out.write(f"{report.source}:{f.line}:{f.column}: {f.severity} {f.rule} "
                      f"{f.text!r}: {f.message}{hint}\n")
        out.write(f"{report.source}: score {report.score}/100\n")
