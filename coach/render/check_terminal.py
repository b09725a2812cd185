"""The rich `coach check` report: findings grouped by file with clickable `path:line:col` locations.

Only negative findings and entry problems are listed (clean replies are just counted); a finding
below the fail-on threshold is dimmed. Lines never wrap, so editors and CI logs can link them.
"""

from __future__ import annotations

from typing import Mapping

from rich.console import Console
from rich.text import Text

from ..controls import visible_check
from ..models import NEGATIVE_CATEGORIES, CheckResult, EntryResult, LocatedFinding, Rule
from .check_json import summary, summary_line

SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "blue"}


def finding_text(lf: LocatedFinding, show_rewrites: bool) -> Text:
    f = lf.finding
    dim = "" if lf.failing else "dim"
    text = Text.assemble(
        (f"{lf.path}:{lf.line}:{lf.column}", "bold" if lf.failing else "dim"), "  ",
        (f"{f.severity:<7}", SEVERITY_STYLES.get(f.severity, "") if lf.failing else "dim"), "  ",
        (f.rule, "cyan" if lf.failing else "dim"), "  ", (f"“{f.text}”", f"italic {dim}".strip()))
    if f.message:
        text.append("  " + " ".join(f.message.split()), style=dim)  # one line per finding
    if show_rewrites and f.rewrites:
        text.append(f"  → “{f.rewrites[0]}”", style="green")
    return text


def entry_lines(entry: EntryResult, show_rewrites: bool) -> list[Text]:
    findings = [lf for lf in entry.findings if lf.finding.category in NEGATIVE_CATEGORIES]
    if not findings and not entry.problems:
        return []
    lines = []
    if entry.key:
        head = Text.assemble("  ", (entry.key, "bold"), (f"  line {entry.line}", "dim"),
                             (f"  score {entry.report.score}/100", "dim"))
        lines.append(head)
    indent = "    " if entry.key else "  "
    for lf in findings:
        lines.append(Text(indent) + finding_text(lf, show_rewrites))
    for problem in entry.problems:
        lines.append(Text.assemble(indent, (f"{entry.path}:{entry.line}", "bold"), "  ",
                                   ("✗ ", "bold red"), (problem, "red")))
    return lines


def render_check(result: CheckResult, rules: Mapping[str, Rule], console: Console, *,
                 show_rewrites: bool = True) -> None:
    result = visible_check(result)  # control characters in replies and names shown, not obeyed
    by_file: dict[str, list[Text]] = {}
    for entry in result.entries:
        lines = entry_lines(entry, show_rewrites)
        if lines:
            by_file.setdefault(entry.path, []).extend(lines)
    for path, lines in by_file.items():
        console.print(Text(path, style="bold underline"), soft_wrap=True, highlight=False)
        for line in lines:
            console.print(line, soft_wrap=True, highlight=False)
        console.print()
    for error in result.errors:
        console.print(Text.assemble(("error: ", "bold red"), error), soft_wrap=True, highlight=False)
    for unused in result.unused_suppressions:
        console.print(Text.assemble(("warning: ", "bold yellow"), "unused suppression: ", unused),
                      soft_wrap=True, highlight=False)
    counts = summary(result)
    verdict = (("failed", "bold red") if result.failed
               else ("input errors", "bold red") if result.errors else ("passed", "bold green"))
    console.print(Text.assemble(summary_line(result), "  ", verdict,
                                (f" (fail-on: {counts['fail_on']})", "dim")),
                  soft_wrap=True, highlight=False)
