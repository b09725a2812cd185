"""The rich `coach lint` report: highlighted draft, findings with rewrites, the rewritten
reply (its [placeholders] marked as something to fill in), an apology checklist and the score.
Falls back to plain text off a terminal."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..controls import visible_report
from ..exitcodes import fails
from ..models import CORE_APOLOGY_ELEMENTS, NEGATIVE_CATEGORIES, TextReport, edit_for, placeholder_spans
from ..rewrite import PLACEHOLDER
from ..scoring import ELEMENT_EXAMPLES

STYLES = {"blocking": "bold red", "non_apology": "bold magenta", "advocacy": "bold green", "apology": "bold cyan"}
MARKS = {"blocking": "✗", "non_apology": "✗", "advocacy": "✓", "apology": "✓"}
ELEMENT_NOTES = {"responsibility": "weighs most", "repair": "weighs second"}
#: A placeholder the agent must fill in ("[what you can offer]"): it must not pass for finished text.
PLACEHOLDER_STYLE = "bold reverse yellow"


def style_for(category: str) -> str:
    return STYLES.get(category, "bold yellow")


def score_style(score: int) -> str:
    return "green" if score >= 80 else "yellow" if score >= 60 else "red"


def reflow(text: str) -> str:
    """Join lines a hard-wrapped draft broke mid-sentence (the next line starts in lowercase), so the
    terminal wraps the paragraph as one and no lone word is left on a line. Same length: offsets hold."""
    return re.sub(r"(?<=[^\s])\n(?=[a-z(\"'“‘])", " ", text)


def _wrap(text: str, width: int) -> list[tuple[int, int]]:
    """Offsets [start, end) of display lines: hard line breaks, then greedy wrap at spaces."""
    lines, pos = [], 0
    for raw in text.split("\n"):
        start, end = pos, pos + len(raw)
        while end - start > width:
            cut = text.rfind(" ", start, start + width + 1)
            if cut <= start:
                cut = start + width
            lines.append((start, cut))
            start = cut + 1 if cut < end and text[cut] == " " else cut
        lines.append((start, end))
        pos = end + 1
    return lines


def highlighted(report: TextReport, plain: bool, width: int = 76) -> Text:
    """The draft with findings styled; off a terminal, a ~~~ line under each finding."""
    draft = reflow(report.text)
    text = Text(draft)
    for f in report.findings:
        text.stylize(f"underline {style_for(f.category)}", f.start, f.end)
    if not plain or not report.findings:
        return text
    out = Text()
    for start, end in _wrap(draft, max(width, 20)):
        marks = [" "] * (end - start)
        for f in report.findings:
            for i in range(max(f.start, start), min(f.end, end)):
                marks[i - start] = "~"
        out.append(draft[start:end] + "\n")
        if "~" in marks:
            out.append("".join(marks).rstrip() + "\n")
    out.rstrip()
    return out


def findings_block(report: TextReport, fail_on: str) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(width=1)
    table.add_column(no_wrap=True)
    table.add_column()
    for f in report.findings:
        mark = MARKS.get(f.category, "!")
        if f.category in NEGATIVE_CATEGORIES and not fails(f, fail_on):
            mark = "·"
        origin = f.rule if f.source == "rule" else f"coach's model, {f.confidence or 0:.0%}"
        head = Text.assemble(
            (f.label.replace("_", "-"), style_for(f.category)), "  ", (origin, "dim"), "  ", (f"“{f.text}”", "italic")
        )
        body = [head]
        if f.message and f.category not in ("advocacy", "apology"):
            body.append(Text(f.message))
        edit = edit_for(f, report.edits)
        if edit is not None and edit.advice:
            body.append(Text.assemble(("advice: ", "yellow"), edit.advice))
        shown = f.suggestions
        for rewrite in shown[:3]:
            body.append(Text.assemble(("→ ", "green"), marked(f"“{rewrite}”", "green")))
        table.add_row(Text(mark, style=style_for(f.category)), Text(f"{f.line}:{f.column}", "dim"), Group(*body))
    return table


def marked(text: str, style: str = "") -> Text:
    """`text` with every [placeholder] in it styled as something to fill in."""
    out = Text(text, style)
    for m in PLACEHOLDER.finditer(text):
        out.stylize(PLACEHOLDER_STYLE, m.start(), m.end())
    return out


def marked_spans(text: str, spans: Iterable[tuple[int, int]], style: str = "") -> Text:
    """`text` with the given placeholder spans styled as something to fill in."""
    out = Text(text, style)
    for a, b in spans:
        out.stylize(PLACEHOLDER_STYLE, a, b)
    return out


def rewritten_draft(report: TextReport) -> Text:
    """The rewritten draft, reflowed, with the placeholders its sentence rewrites left marked."""
    draft = reflow(report.rewritten or "")
    lead = len(draft) - len(draft.lstrip())
    return marked_spans(draft.strip(), [(a - lead, b - lead) for a, b in placeholder_spans(report.edits) if a >= lead])


def apology_block(report: TextReport) -> Group | None:
    a = report.apology
    if not a.offered and not a.non_apology:
        return None
    present = set(a.elements)
    have = sum(1 for e in CORE_APOLOGY_ELEMENTS if e in present)
    pct = int(round((a.completeness or 0) * 100))
    bar = "█" * have + "░" * (5 - have)
    if a.offered:
        title = Text.assemble(("Apology  ", "bold"), (bar, "cyan"), f"  {have} of 5 elements · completeness {pct}%")
    else:
        title = Text.assemble(
            ("Apology  ", "bold"), (bar, "magenta"), "  0 of 5 — a non-apology stands where an apology should be"
        )
    rows = Table.grid(padding=(0, 2))
    for element in CORE_APOLOGY_ELEMENTS + ("forgiveness",):
        if element in present:
            rows.add_row(Text("✓", "green"), Text(element), Text(""))
        elif element != "forgiveness":
            note = ELEMENT_NOTES.get(element, "")
            rows.add_row(
                Text("✗", "red"),
                Text(element),
                Text.assemble(f"e.g. “{ELEMENT_EXAMPLES[element]}”", (f"  ({note})" if note else "", "dim")),
            )
    return Group(title, Padding(rows, (0, 0, 0, 2)))


def summary(report: TextReport, fail_on: str) -> Text:
    counts = report.count_map
    parts = [
        f"{counts.get('blocking', 0)} blocking",
        f"{counts.get('non_apology', 0)} non-apology",
        f"{counts.get('advocacy', 0)} advocacy",
    ]
    others = sorted(
        k
        for k in counts
        if k not in ("blocking", "non_apology", "advocacy") and k not in CORE_APOLOGY_ELEMENTS + ("forgiveness",)
    )
    parts += [f"{counts[k]} {k}" for k in others]
    failing = any(fails(f, fail_on) for f in report.findings)
    verdict = ("fails", "red") if failing else ("passes", "green")
    return Text.assemble(" · ".join(parts), "   ", verdict, (f" (fail-on: {fail_on})", "dim"))


def render_report(report: TextReport, console: Console, fail_on: str = "warning") -> None:
    report = visible_report(report)  # control characters in the draft shown, not obeyed
    plain = console.no_color or not console.is_terminal
    title = Text.assemble(("draft ", "bold"), (f"({report.source})", "dim"))
    subtitle = Text.assemble("score ", (f"{report.score}/100", f"bold {score_style(report.score)}"))
    console.print(
        Panel(
            highlighted(report, plain, console.width - 4),
            title=title,
            title_align="left",
            subtitle=subtitle,
            subtitle_align="right",
            border_style="dim",
        )
    )
    if report.findings:
        console.print(Padding(findings_block(report, fail_on), (0, 1)))
    else:
        console.print(Text(" No findings.", "green"))
    if report.rewritten is not None:
        console.print()
        console.print(Text(" Rewritten", "bold"))
        console.print(Padding(rewritten_draft(report), (0, 1)))
        blanks = [report.rewritten[a:b] for a, b in placeholder_spans(report.edits)]
        if blanks:
            console.print(
                Padding(
                    Text.assemble(
                        ("Fill in ", "yellow"),
                        *sum(
                            (
                                [(b, PLACEHOLDER_STYLE), (", " if i < len(blanks) - 1 else "", "")]
                                for i, b in enumerate(dict.fromkeys(blanks))
                            ),
                            [],
                        ),
                        (" before sending.", "yellow"),
                    ),
                    (0, 1),
                )
            )
    block = apology_block(report)
    if block is not None:
        console.print()
        console.print(Padding(block, (0, 1)))
    console.print()
    console.print(Padding(summary(report, fail_on), (0, 1)))


def render_lint(reports: Iterable[TextReport], console: Console, fail_on: str = "warning", quiet: bool = False) -> None:
    """The full report, or with `quiet` one summary line per draft."""
    for i, report in enumerate(reports):
        if quiet:
            counts = report.count_map
            console.print(
                f"{visible_report(report).source}: score {report.score}/100, "
                f"{counts.get('blocking', 0)} blocking, "
                f"{counts.get('non_apology', 0)} non-apology, "
                f"{counts.get('advocacy', 0)} advocacy",
                highlight=False,
            )
            continue
        if i:
            console.print()
        render_report(report, console, fail_on)
