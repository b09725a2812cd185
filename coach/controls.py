"""Control characters shown, not obeyed: text from transcripts, drafts, file names and
phrasebooks may hold ESC sequences (`\\x1b]0;title\\x07`, `\\x1b[2J`, OSC 8 links), BEL or
bidi overrides that a terminal would act on. Terminal reports and stderr messages show
them as visible escapes; JSON, CSV and other file formats keep the real text."""

from __future__ import annotations

import re
from collections.abc import Callable

#: C0 controls but tab and line feed, DEL, C1 controls (CSI, OSC... as single bytes), and the
#: bidi embeddings/overrides/isolates that reorder what a terminal shows.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: The same plus tab and line feed, for one-line messages.
CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _sub(match: re.Match) -> str:
    return _shown(match.group(0))


def escape_controls(text: str, *, one_line: bool = False) -> str:
    """`text` with control characters as visible escapes (`\\x1b`, `\\r`, `\\u202e`); with
    `one_line`, tabs and line breaks too."""
    pattern = CONTROL_OR_BREAK if one_line else CONTROL
    return pattern.sub(_sub, text) if pattern.search(text) else text


def shown_cells(cells: list[str]) -> str:
    """Header cells of a CSV file for a one-line message (a quoted cell may hold a line break)."""
    return ", ".join(escape_controls(c, one_line=True) for c in cells)


def escape_controls_mapped(text: str) -> tuple[str, Callable[[int], int]]:
    """escape_controls(text) and a function taking an offset into `text` to the offset of
    the same place in the escaped text, so findings can still be highlighted."""
    if not CONTROL.search(text):
        return text, lambda i: i
    starts: list[int] = []  # offsets in `text` of each control character
    pieces: list[str] = []
    last = 0
    for match in CONTROL.finditer(text):
        starts.append(match.start())
        pieces += [text[last : match.start()], _shown(match.group(0))]
        last = match.end()
    pieces.append(text[last:])
    extra = [len(_shown(text[i])) - 1 for i in starts]
    import bisect
    from itertools import accumulate

    grown = [0, *accumulate(extra)]

    def at(offset: int) -> int:
        return offset + grown[bisect.bisect_left(starts, offset)]

    return "".join(pieces), at


# -- whole results, escaped for a terminal renderer ------------------------------------
def _finding(f, at: Callable[[int], int]):
    import dataclasses

    return dataclasses.replace(
        f,
        start=at(f.start),
        end=at(f.end),
        text=escape_controls(f.text),
        message=escape_controls(f.message),
        rewrites=tuple(escape_controls(r) for r in f.rewrites),
        rewrite=None if f.rewrite is None else escape_controls(f.rewrite),
    )


def _rewritten(report, text: str, at: Callable[[int], int]) -> dict:
    """The report's rewrite fields for the shown `text`: edits moved along and escaped, the draft rebuilt."""
    import dataclasses

    from .rewrite import apply_edits

    edits = tuple(
        dataclasses.replace(e, start=at(e.start), end=at(e.end), text=escape_controls(e.text)) for e in report.edits
    )
    return {"edits": edits, "rewritten": None if report.rewritten is None else apply_edits(text, edits)}


def _optional(text: str | None) -> str | None:
    return None if text is None else escape_controls(text, one_line=True)


def visible_report(report):
    """A TextReport whose text, findings (offsets moved along) and source are safe to show."""
    import dataclasses

    text, at = escape_controls_mapped(report.text)
    return dataclasses.replace(
        report,
        source=escape_controls(report.source, one_line=True),
        text=text,
        findings=tuple(_finding(f, at) for f in report.findings),
        **_rewritten(report, text, at),
    )


def visible_conversation(report):
    """A ConversationReport with every text, name and id safe to show."""
    import dataclasses

    turns = []
    for turn in report.turns:
        text, at = escape_controls_mapped(turn.text)
        turns.append(
            dataclasses.replace(
                turn,
                text=text,
                name=_optional(turn.name),
                findings=tuple(_finding(f, at) for f in turn.findings),
                **_rewritten(turn, text, at),
            )
        )
    return dataclasses.replace(
        report,
        conversation=escape_controls(report.conversation, one_line=True),
        source=escape_controls(report.source, one_line=True),
        agent=_optional(report.agent),
        channel=_optional(report.channel),
        turns=tuple(turns),
    )


def visible_check(result):
    """A CheckResult whose paths, reply names, texts and messages are safe to show."""
    import dataclasses

    def located(lf, at):
        edit = lf.edit and dataclasses.replace(
            lf.edit, start=at(lf.edit.start), end=at(lf.edit.end), text=escape_controls(lf.edit.text)
        )
        return dataclasses.replace(
            lf,
            finding=_finding(lf.finding, at),
            path=escape_controls(lf.path, one_line=True),
            key=_optional(lf.key),
            edit=edit,
        )

    entries = []
    for entry in result.entries:
        report = visible_report(entry.report)
        _, at = escape_controls_mapped(entry.report.text)
        entries.append(
            dataclasses.replace(
                entry,
                path=escape_controls(entry.path, one_line=True),
                key=_optional(entry.key),
                report=report,
                findings=tuple(located(lf, at) for lf in entry.findings),
                problems=tuple(escape_controls(p, one_line=True) for p in entry.problems),
            )
        )
    return dataclasses.replace(
        result,
        entries=tuple(entries),
        errors=tuple(escape_controls(e, one_line=True) for e in result.errors),
        unused_suppressions=tuple(escape_controls(u, one_line=True) for u in result.unused_suppressions),
    )
