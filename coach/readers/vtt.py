"""WebVTT and SRT call transcripts: cues become turns, one conversation per file.

Speakers come from WebVTT voice tags (`<v Sam>…</v>`, `<v.agent Sam>`), or from a
`Name:` / `[Name]:` / `- Name:` prefix on a cue line (`[Agent]` without a colon only for
role words and names already seen, so `[Music]` stays text) (same rules as the text reader);
a cue line without one continues the previous speaker, because captioners split
sentences across cues. Consecutive cues of one speaker merge into one turn whose
time is the first cue's start (HH:MM:SS.mmm). Other tags (<c>, <i>, <b>, <font>,
inline timestamps) are dropped and entities unescaped; NOTE, STYLE and REGION
blocks are skipped. Cues before the first named speaker are dropped with a
warning; a file with cues but no speaker at all is an InputError.
Cue times are offsets into the recording, not dates: `started_at` is None for these formats.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from coach.models import Conversation, Turn
from coach.readers._common import classify_name, role_value
from coach.readers._context import MAX_TURNS, Context
from coach.readers._inputfile import InputFile
from coach.readers.text import parse_speaker

_STAMP = r"(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
TIMING_RE = re.compile(rf"^\s*(?P<start>{_STAMP})\s*-->\s*(?P<end>{_STAMP})")
# `[^<>]`, not `[^>]`: a name never holds '<', and stopping there keeps `<v a<v a…` (no '>') linear.
_VOICE_RE = re.compile(r"<v(?:\.(?P<cls>[\w.-]*))?(?:\s+(?P<name>[^<>]*))?>", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]*>|<\d[\d:.]*>")
_BRACKET_RE = re.compile(r"^\s*(?:-\s*)?\[(?P<name>[^\[\]\d][^\[\]]{0,40})\]\s*(?P<colon>:?)\s*(?P<text>.*)$")


def clock(stamp: str) -> str:
    """A cue timestamp (mm:ss.ttt, hh:mm:ss,ttt, …) as HH:MM:SS.mmm."""
    stamp = stamp.replace(",", ".")
    main, _, frac = stamp.partition(".")
    parts = [int(p) for p in main.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, minutes, seconds = parts[-3:]
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{(frac + '000')[:3]}"


def _blocks(src: InputFile) -> Iterator[tuple[int, list[str]]]:
    """Blank-line separated blocks with the line number of their first line."""
    block: list[str] = []
    start = 0
    for lineno, line in src.lines():
        if line.strip():
            if not block:
                start = lineno
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def read(src: InputFile, ctx: Context, srt: bool = False) -> Iterator[Conversation]:
    agent_names = ctx.options.agent_names
    known: set[str] = set()
    turns: list[Turn] = []
    unknown: list[str] = []
    speaker: tuple[str | None, str, str, bool] | None = None  # (name, role, label, unknown)
    cues = dropped = untimed = 0
    first_untimed: int | None = None
    parts: list[str] = []
    turn_time: str | None = None
    turn_line = 0

    def end_turn() -> None:
        nonlocal parts
        text = " ".join(p for p in parts if p).strip()
        if speaker is not None and text and len(turns) <= MAX_TURNS:  # one past the limit: refused
            turns.append(Turn(speaker[1], re.sub(r"\s+", " ", text), speaker[0], turn_time, turn_line))
        parts = []

    for start, block in _blocks(src):
        first = block[0].strip()
        if not srt and (first.startswith("WEBVTT") or first.split(" ", 1)[0] in ("NOTE", "STYLE", "REGION")):
            continue
        timing_at = next((i for i, line in enumerate(block[:3]) if TIMING_RE.match(line)), None)
        if timing_at is None:
            if any(line.strip() for line in block):
                untimed += 1
                first_untimed = first_untimed or start
            continue
        timing = TIMING_RE.match(block[timing_at])
        assert timing is not None
        cues += 1
        cue_time = clock(timing["start"])
        for line in block[timing_at + 1 :]:
            who, text = _speaker_of(line, agent_names, known)
            text = html.unescape(_TAG_RE.sub("", text)).replace("\u200e", "").replace("\u200f", "").strip()
            if who is not None and (speaker is None or who[2] != speaker[2]):
                end_turn()
                speaker, turn_time, turn_line = who, cue_time, start
                known.add(who[2])
                if who[1] == "customer" and who[3] and who[0] and who[0] not in unknown:
                    unknown.append(who[0])
            if speaker is None:
                dropped += bool(text)
                continue
            parts.append(text)
    end_turn()
    if cues == 0:
        raise ctx.error("no cues found", hint="expected 'start --> end' timing lines; check --format-in")
    if not turns:
        raise ctx.error("no speaker names found in cues", hint="expected <v Name> voice tags or 'Name:' prefixes")
    if dropped:
        ctx.warn(f"{dropped} cue line(s) before the first named speaker were dropped")
    if untimed:
        ctx.warn(f"{untimed} cue(s) without a valid 'start --> end' timing line were skipped", first_untimed)
    if unknown and not any(t.speaker == "agent" for t in turns):
        ctx.note_unknown(unknown)
    ctx.report_unknown()
    agent = next((t.name for t in turns if t.speaker == "agent" and t.name), None)
    yield Conversation(
        id=ctx.stem, turns=tuple(turns), agent=agent, channel="voice", source=ctx.path, line=turns[0].line
    )


def _speaker_of(
    line: str, agent_names: tuple[str, ...], known: set[str]
) -> tuple[tuple[str | None, str, str, bool] | None, str]:
    """((name, role, label, unknown), rest of line) for a cue line that names its speaker."""
    voice = _VOICE_RE.search(line)
    if voice is not None and voice["name"] and voice["name"].strip():
        name = voice["name"].strip()
        role, is_label = classify_name(name, agent_names)
        if role is None and voice["cls"]:
            role = next((r for r in map(role_value, voice["cls"].split(".")) if r), None)
        rest = line[: voice.start()] + line[voice.end() :]
        return (None if is_label else name, role or "customer", name.casefold(), role is None), rest
    bracket = _BRACKET_RE.match(line)
    if bracket is not None:
        name = bracket["name"].strip()
        role, is_label = classify_name(name, agent_names)
        if not bracket["colon"] and role is None and name.casefold() not in known:
            return None, line  # "[Music]", "[inaudible]": sound cues, not speakers
        return (None if is_label else name, role or "customer", name.casefold(), role is None), bracket["text"]
    plain = _TAG_RE.sub("", line)
    parsed = parse_speaker(re.sub(r"^\s*-\s*", "", plain), agent_names, known)
    if parsed is not None:
        return (parsed.name, parsed.role or "customer", parsed.label, parsed.role is None), parsed.text
    return None, line
