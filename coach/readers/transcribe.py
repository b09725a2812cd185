"""AWS Transcribe output: Call Analytics (`Transcript[]` by role) and plain jobs with speaker labels.

Call Analytics: `Transcript[]` segments with `ParticipantRole` (AGENT/CUSTOMER),
`Content`, `BeginOffsetMillis`, `Id`; id from `JobName`. Plain Transcribe
(`results`): `results.audio_segments[]` (`transcript`, `start_time`,
`speaker_label`/`channel_label`) when present, else `results.items[]` grouped by
`speaker_label` (punctuation attached to the word before), else
`results.channel_labels.channels[]`; id from `jobName`. Plain jobs carry no
roles: a label listed in --agent-name (e.g. spk_1, ch_0) is the agent; without
one the first speaker is taken as the agent (calls open with the agent's
greeting), with a warning.
Times are offsets into the call (turn `time` HH:MM:SS.mmm); there is no date: `started_at` is None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coach.errors import InputError
from coach.models import Conversation, Turn
from coach.readers._common import is_agent_name, millis_to_clock
from coach.readers._context import Context
from coach.readers._inputfile import InputFile
from coach.readers._json import as_id, dotted, finish, get, objects, read_json, type_name

ROLES = {"AGENT": "agent", "CUSTOMER": "customer"}


def _split(doc: Any) -> list[tuple[str, dict]]:
    if isinstance(doc, dict) and ("Transcript" in doc or "results" in doc):
        return [("", doc)]
    if isinstance(doc, list):
        return list(objects(doc, ""))
    raise InputError(
        f"not an AWS Transcribe output: {type_name(doc)} without 'Transcript' or 'results'", hint="check --format-in"
    )


def _seconds(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"field '{name}' must be a number of seconds, not {value!r}") from None


def _analytics(rec: dict, where: str, line: int | None) -> list[Turn]:
    turns: list[Turn] = []
    for here, seg in objects(get(rec, "Transcript", "list", where, required=True), dotted(where, "Transcript")):
        raw = get(seg, "ParticipantRole", "str", here, required=True)
        role = ROLES.get(raw.upper())
        if role is None:
            raise InputError(f"field '{dotted(here, 'ParticipantRole')}' is {raw!r}; expected AGENT or CUSTOMER")
        content = get(seg, "Content", "str", here, required=True).strip()
        offset = get(seg, "BeginOffsetMillis", "num", here)
        if content:
            turns.append(Turn(role, content, None, None if offset is None else millis_to_clock(offset), line))
    return turns


def _words(items: list, where: str, label: str | None = None) -> list[tuple[str, float | None, str]]:
    """(speaker label, start seconds, word) per item; punctuation has no start and joins the word before."""
    out: list[tuple[str, float | None, str]] = []
    for here, item in objects(items, where):
        alts = get(item, "alternatives", "list", here, required=True)
        if not alts or not isinstance(alts[0], dict):
            raise InputError(f"field '{dotted(here, 'alternatives')}' must hold an object")
        word = get(alts[0], "content", "str", dotted(here, "alternatives[0]"), required=True)
        who = get(item, "speaker_label", "str", here) or label or (out[-1][0] if out else None)
        start = item.get("start_time")
        if get(item, "type", "str", here) == "punctuation" and out:
            prev = out[-1]
            out[-1] = (prev[0], prev[1], prev[2] + word)
            continue
        if who is None:
            raise InputError(f"missing field '{dotted(here, 'speaker_label')}' (run the job with speaker labels)")
        out.append((who, None if start is None else _seconds(start, dotted(here, "start_time")), word))
    return out


def _plain(rec: dict, ctx: Context, where: str, line: int | None) -> list[Turn]:
    rwhere = dotted(where, "results")
    results = get(rec, "results", "dict", where, required=True)
    segments: list[tuple[str, float | None, str]] = []
    audio = get(results, "audio_segments", "list", rwhere)
    if audio:
        for here, seg in objects(audio, dotted(rwhere, "audio_segments")):
            who = get(seg, "speaker_label", "str", here) or get(seg, "channel_label", "str", here)
            if who is None:
                raise InputError(f"missing field '{dotted(here, 'speaker_label')}'")
            start = seg.get("start_time")
            segments.append(
                (
                    who,
                    None if start is None else _seconds(start, dotted(here, "start_time")),
                    get(seg, "transcript", "str", here, required=True),
                )
            )
    elif isinstance(results.get("channel_labels"), dict):
        cwhere = dotted(rwhere, "channel_labels")
        for here, chan in objects(
            get(results["channel_labels"], "channels", "list", cwhere, required=True), dotted(cwhere, "channels")
        ):
            label = get(chan, "channel_label", "str", here, required=True)
            segments += _words(get(chan, "items", "list", here, required=True), dotted(here, "items"), label)
        segments.sort(key=lambda s: s[1] if s[1] is not None else 0.0)
    else:
        segments = _words(get(results, "items", "list", rwhere, required=True), dotted(rwhere, "items"))
    if not segments:
        return []
    labels = list(dict.fromkeys(s[0] for s in segments))
    agents = {lab for lab in labels if is_agent_name(lab, ctx.options.agent_names)}
    if not agents:
        agents = {labels[0]}
        ctx.warn(
            f"speaker labels carry no roles; assumed {labels[0]} (the first speaker) is the agent "
            f"(name the agent's label with --agent-name)",
            line,
        )
    turns: list[Turn] = []
    cur: tuple[str, float | None, list[str]] | None = None
    for who, start, text in segments + [("", None, "")]:
        if cur is not None and who != cur[0]:
            body = " ".join(cur[2]).strip()
            if body:
                role = "agent" if cur[0] in agents else "customer"
                clock = None if cur[1] is None else millis_to_clock(cur[1] * 1000)
                turns.append(Turn(role, body, cur[0], clock, line))
            cur = None
        if cur is None:
            cur = (who, start, [])
        cur[2].append(text)
    return turns


def _build(rec: dict, ctx: Context, where: str, fallback: str, line: int | None) -> Conversation | None:
    if "Transcript" in rec:
        turns = _analytics(rec, where, line)
        conv_id = as_id(get(rec, "JobName", "str", where))
    else:
        turns = _plain(rec, ctx, where, line)
        conv_id = as_id(get(rec, "jobName", "str", where))
    return finish(ctx, turns, conv_id or fallback, where=where, line=line, channel="voice")


def read(src: InputFile, ctx: Context) -> Iterator[Conversation]:
    return read_json(src, ctx, _split, _build)
