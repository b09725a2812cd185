"""Plain-text chat logs and transcripts, streamed: each conversation is yielded once it ends.

Accepted speaker lines (one turn each; following lines continue that turn):
  `Agent: …`  `Customer: …`  `Sam: …`  `Sam (agent): …`  `[10:32] Sam (agent): …`  `10:32 Sam: …`
  `2024-03-04 10:32:05 Sam: …`
A speaker is an agent if its name is in --agent-name (whole name or first word),
is a role word (Agent, Support, Rep, Advisor, …) or carries one in brackets;
System/Bot/IVR are "system"; Customer/Client/Caller/User are customers; any other
name is treated as a customer (with one warning per file if a conversation then
has no agent). Unknown names count as speakers only when capitalised
(`Order number: 123` stays part of the turn) and not a label such as Subject/Note.
Conversations are separated by a header line `# conversation: ID` or `=== ID ===`,
or by a line of three or more dashes (`---`, optionally `--- ID`). Without an id a
file's conversations are `<stem>` (only one) or `<stem>#N`. Text before the first
speaker line of a conversation is ignored with a warning (`#` comment lines silently).
A conversation's `started_at` is its first speaker time that has a date (`[10:32]` alone has none).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from coach.models import Conversation, Turn
from coach.readers._common import classify_name, role_value
from coach.readers._context import MAX_TURNS, Context
from coach.readers._inputfile import InputFile

_TIME = (
    r"(?:[\[(](?P<time>[^\[\]()\n]{0,30}\d[^\[\]()\n]{0,30})[\])]\s*"
    r"|(?P<time2>(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?)\s+(?:-\s+)?)?"
)
_NAME = r"(?P<name>[^\W\d_][\w.'’&@-]{0,40}(?:[ \t]+[\w.'’&@-]{1,40}){0,3}?)"
_ROLE = r"(?:\s*[\[(](?P<role>[^\[\]()\n]{1,30})[\])])?"
SPEAKER_RE = re.compile(rf"^\s*{_TIME}{_NAME}{_ROLE}\s*:(?:[ \t]+(?P<text>.*))?$")
# Possessive quantifiers and greedy tails (trimmed in _header) keep these linear: the lazy
# `.*?` + `\s*$` forms they replace backtracked quadratically on long runs of '-' or '='.
_HEADER_RE = re.compile(r"^\s*+(?:#\s*+conversation\s*+[:#]?\s*+(?P<a>\S.*)|={3,}+\s*+(?P<b>\S.*))$", re.IGNORECASE)
_SEPARATOR_RE = re.compile(r"^\s*+-{3,}+(?:[ \t]++(?P<id>.*)|[\s-]*+)$")
_NOT_SPEAKERS = frozenset(
    "subject re fw fwd note notes ps p.s order tracking date time email e-mail "
    "phone address total reference ref ticket case step tip warning error http "
    "https from to cc bcc sent important update reason status example".split()
)


@dataclass
class SpeakerLine:
    """A parsed `Name: text` line; role None means the name is not a known agent/customer/system."""

    name: str | None
    role: str | None
    text: str
    time: str | None
    label: str


def parse_speaker(
    line: str, agent_names: tuple[str, ...] = (), known: set[str] | frozenset = frozenset()
) -> SpeakerLine | None:
    """The speaker line `line` is, or None if it is ordinary text."""
    if ":" not in line:
        return None
    m = SPEAKER_RE.match(line)
    if m is None:
        return None
    name = m["name"].strip()
    words = name.split()
    folded = name.casefold()
    role, is_label = classify_name(name, agent_names)
    if m["role"]:
        given = role_value(m["role"]) or classify_name(m["role"], agent_names)[0]
        if given is not None:
            role, is_label = given, False
        elif role is None:
            return None
    elif (
        role is None
        and folded not in known
        and (words[0].casefold().strip(".") in _NOT_SPEAKERS or not all(w[0].isupper() for w in words))
    ):
        return None
    if role is not None and not m["role"] and words[0].casefold() in _NOT_SPEAKERS:
        return None
    return SpeakerLine(None if is_label else name, role, (m["text"] or "").strip(), m["time"] or m["time2"], folded)


def _rstrip_dashes(text: str) -> str:
    """`text` without trailing whitespace and dashes (a loop, not a regex, so it stays linear)."""
    end = len(text)
    while end and (text[end - 1] == "-" or text[end - 1].isspace()):
        end -= 1
    return text[:end]


def _header(line: str) -> str | None:
    """The raw id of a header/separator line ("" when it has none), or None for any other line."""
    stripped = line.strip()
    if stripped[:3] == "===" and not stripped.replace("=", "").strip():
        # Only '=' and blanks: `={3,}\s*\S.*?\s*={3,}` read `=======` as a header named "=".
        return "=" if stripped[-3:] == "===" and stripped[3:-3].strip() else None
    m = _HEADER_RE.match(line)
    if m is not None:
        if m["a"] is not None:
            return m["a"].rstrip()
        inner = m["b"].rstrip()
        if inner.endswith("==="):  # `=== ID ===` needs a closing run of three or more '='
            return inner.rstrip("=").rstrip()
    m = _SEPARATOR_RE.match(line)
    if m is not None:
        return _rstrip_dashes(m["id"] or "")
    return None


@dataclass
class _Conv:
    """The conversation being collected."""

    id: str | None = None
    line: int | None = None
    turns: list[Turn] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    speaker: SpeakerLine | None = None
    speaker_line: int = 0
    body: list[str] = field(default_factory=list)
    warned_preamble: bool = False

    def end_turn(self) -> None:
        if self.speaker is not None:
            text = "\n".join(self.body).strip()
            if text and len(self.turns) <= MAX_TURNS:  # one past the limit: the conversation is refused
                sp = self.speaker
                self.turns.append(
                    Turn(sp.role or "customer", re.sub(r"\n{3,}", "\n\n", text), sp.name, sp.time, self.speaker_line)
                )
        self.speaker, self.body = None, []


def read(src: InputFile, ctx: Context) -> Iterator[Conversation]:
    agent_names = ctx.options.agent_names
    known: set[str] = set()
    conv = _Conv()
    count = 0
    any_speaker = False

    def close(more: bool) -> Conversation | None:
        nonlocal count
        conv.end_turn()
        if not conv.turns:
            if conv.id is not None:
                ctx.warn(f"conversation {conv.id} has no turns; skipped", conv.line)
            return None
        count += 1
        conv_id = conv.id or (ctx.stem if count == 1 and not more else f"{ctx.stem}#{count}")
        agent = next((t.name for t in conv.turns if t.speaker == "agent" and t.name), None)
        if conv.unknown and not any(t.speaker == "agent" for t in conv.turns):
            ctx.note_unknown(conv.unknown)
        return Conversation(id=conv_id, turns=tuple(conv.turns), agent=agent, source=ctx.path, line=conv.line)

    for lineno, line in src.lines():
        header = _header(line)
        if header is not None:
            done = close(more=True)
            if done is not None:
                yield done
            conv = _Conv(
                id=header.strip().rstrip("-").strip() or None if header else None, line=lineno if header else None
            )
            continue
        speaker = parse_speaker(line, agent_names, known)
        if speaker is not None:
            any_speaker = True
            conv.end_turn()
            known.add(speaker.label)
            if speaker.role is None and speaker.name and speaker.name not in conv.unknown:
                conv.unknown.append(speaker.name)
            conv.speaker, conv.speaker_line, conv.body = speaker, lineno, [speaker.text]
            if conv.line is None:
                conv.line = lineno
        elif conv.speaker is not None:
            conv.body.append(line.strip())
        elif line.strip() and not line.lstrip().startswith("#") and not conv.warned_preamble:
            conv.warned_preamble = True
            ctx.warn("text before the first speaker line ignored", lineno)
    done = close(more=False)
    if done is not None:
        yield done
    if not any_speaker:
        raise ctx.error(
            "no speaker lines found",
            hint="expected lines like 'Agent: …' and 'Customer: …'; name agents with "
            "--agent-name, or pick another --format-in",
        )
    ctx.report_unknown()
