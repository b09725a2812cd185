"""The rich `coach check` report: findings grouped by file with clickable `path:line:col` locations.

Only negative findings and entry problems are listed (clean replies are just counted); a finding
below the fail-on threshold is dimmed. On a terminal, long lines wrap at spaces under a hanging
indent (the `path:line:col` stays whole at the start); elsewhere (CI logs, pipes) each finding is
one line, so editors and log viewers can link it.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.text import Text

from ..controls import visible_check
from ..models import NEGATIVE_CATEGORIES, CheckResult, EntryResult, LocatedFinding, Rule
from .check_json import rule_statistics, summary, summary_line
from .terminal import marked

SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "blue"}


def finding_text(lf: LocatedFinding, show_rewrites: bool) -> Text:
    f = lf.finding
    dim = "" if lf.failing else "dim"
    text = Text.assemble(
        (f"{lf.path}:{lf.line}:{lf.column}", "bold" if lf.failing else "dim"),
        "  ",
        (f"{f.severity:<7}", SEVERITY_STYLES.get(f.severity, "") if lf.failing else "dim"),
        "  ",
        (f.rule, "cyan" if lf.failing else "dim"),
        "  ",
        (f"“{f.text}”", f"italic {dim}".strip()),
    )
    if f.message:
        text.append("  " + " ".join(f.message.split()), style=dim)  # one line per finding
    e = lf.edit
    if show_rewrites and e is not None and e.advice:
        text.append(f"  advice: {' '.join(e.advice.split())}", style="yellow")
    elif show_rewrites and f.suggestion:  # None when every rewrite has {slots} none of which filled
        text.append("  → ", style="green")
        text.append(marked(f"“{' '.join(f.suggestion.split())}”", "green"))
    return text


def entry_lines(entry: EntryResult, show_rewrites: bool) -> list[Text]:
    findings = [lf for lf in entry.findings if lf.finding.category in NEGATIVE_CATEGORIES]
    if not findings and not entry.problems:
        return []
    lines = []
    if entry.key:
        head = Text.assemble(
            "  ", (entry.key, "bold"), (f"  line {entry.line}", "dim"), (f"  score {entry.report.score}/100", "dim")
        )
        lines.append(head)
    indent = "    " if entry.key else "  "
    for lf in findings:
        lines.append(Text(indent) + finding_text(lf, show_rewrites))
    for problem in entry.problems:
        lines.append(
            Text.assemble(indent, (f"{entry.path}:{entry.line}", "bold"), "  ", ("✗ ", "bold red"), (problem, "red"))
        )
    return lines


def hanging(text: Text, console: Console, hang: int = 4) -> list[Text]:
    """`text` wrapped at spaces to the console's width, lines after the first indented by `hang`.

    Off a terminal the text stays one line (a CI log or an editor links `path:line:col` lines)."""
    width = console.width
    if not console.is_terminal or width <= hang + 10 or len(text) <= width:
        return [text]
    indent = len(text.plain) - len(text.plain.lstrip(" "))
    hang += indent
    first = text.wrap(console, width)
    if len(first) <= 1:
        return [text]
    used = len(first[0].plain)
    rest = text[used:]
    rest = rest[len(rest.plain) - len(rest.plain.lstrip(" ")) :]
    lines = [first[0]]
    for line in rest.wrap(console, width - hang):
        lines.append(Text(" " * hang) + line)
    for line in lines:
        line.rstrip()
    return lines


def emit(console: Console, text: Text, hang: int = 4) -> None:
    for line in hanging(text, console, hang):
        console.print(line, soft_wrap=True, highlight=False)


def render_check(
    result: CheckResult, rules: Mapping[str, Rule], console: Console, *, show_rewrites: bool = True, quiet: bool = False
) -> None:
    """Findings by file, file errors, unused suppressions and the verdict; `quiet`: the findings only."""
    result = visible_check(result)  # control characters in replies and names shown, not obeyed
    by_file: dict[str, list[Text]] = {}
    for entry in result.entries:
        lines = entry_lines(entry, show_rewrites)
        if lines:
            by_file.setdefault(entry.path, []).extend(lines)
    for path, lines in by_file.items():
        emit(console, Text(path, style="bold underline"))
        for line in lines:
            emit(console, line)
        if not quiet:
            console.print()
    for error in result.errors:
        emit(console, Text.assemble(("error: ", "bold red"), error))
    if quiet:
        return
    for unused in result.unused_suppressions:
        emit(console, Text.assemble(("warning: ", "bold yellow"), "unused suppression: ", unused))
    emit(console, verdict_line(result))


def verdict_line(result: CheckResult) -> Text:
    counts = summary(result)
    verdict = (
        ("failed", "bold red")
        if result.failed
        else ("input errors", "bold red")
        if result.errors
        else ("passed", "bold green")
    )
    return Text.assemble(summary_line(result), "  ", verdict, (f" (fail-on: {counts['fail_on']})", "dim"))


def render_statistics(result: CheckResult, rules: Mapping[str, Rule], console: Console, *, quiet: bool = False) -> None:
    """`--statistics`: findings per rule, most first, like ruff's: count, rule, how many fail, fixable."""
    result = visible_check(result)
    rows = rule_statistics(result, rules)
    width = max((len(str(r["count"])) for r in rows), default=1)
    for row in rows:
        fixable = "  [fixable]" if row["fixable"] else ""
        emit(
            console,
            Text.assemble(
                (f"{row['count']:>{width}}", "bold"),
                "  ",
                (row["rule"], "cyan"),
                (f"  {row['failing']} failing" if row["failing"] else "  not failing", "" if row["failing"] else "dim"),
                (fixable, "green"),
                ("  " + row["message"] if row["message"] else "", "dim"),
            ),
            hang=width + 2,
        )
    for error in result.errors:
        emit(console, Text.assemble(("error: ", "bold red"), error))
    if not quiet:
        if rows:
            console.print()
        emit(console, verdict_line(result))
