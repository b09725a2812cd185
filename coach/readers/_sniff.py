"""Format detection from the file name and its first bytes, so `coach score exports/` just works.

JSON exports are told apart by keys only one platform uses (is_inbound → Front,
from_agent → Gorgias, conversation_parts → Intercom, …), looked for in the head
of the file; extensions decide for .vtt/.srt/.csv/.tsv, and plain text is
recognised by `Name: …` speaker lines.
"""

from __future__ import annotations

import os
import re
import zlib

from coach.errors import InputError
from coach.readers._context import FORMATS
from coach.readers._inputfile import GZIP_MAGIC, HEAD_SIZE, detect_bom
from coach.readers.csv_ import SPEAKER_COLUMNS, TEXT_COLUMNS, norm_header, sniff_delimiter
from coach.readers.text import parse_speaker
from coach.readers.vtt import TIMING_RE

_EXT = {".vtt": "vtt", ".webvtt": "vtt", ".srt": "srt", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv"}
_TEXT_EXT = frozenset({".txt", ".text", ".log", ".md", ".chat", ".transcript"})
_JSON_EXT = frozenset({".json", ".jsonl", ".ndjson", ".jsonlines"})


def _has(text: str, *keys: str) -> bool:
    return any(re.search(rf'(?<!\\)"{re.escape(k)}"\s*:', text) for k in keys)


def sniff_json(text: str) -> str | None:
    """The JSON format whose distinctive keys appear in `text`, or None."""
    if _has(text, "turns"):
        return "jsonl"
    if _has(text, "conversation_parts", "part_type", "conversation_message"):
        return "intercom"
    if _has(text, "transcriptSegments", "transcript_segments", "segmentParticipant", "segment_participant"):
        return "ccai"
    if _has(text, "entries") and _has(text, "start_timestamp_usec", "startTimestampUsec", "user_id", "userId"):
        return "ccai"
    if _has(text, "from_agent", "created_datetime"):
        return "gorgias"
    if _has(text, "is_inbound"):
        return "front"
    if _has(text, "threads") and _has(text, "createdBy", "_embedded"):
        return "helpscout"
    if _has(text, "incoming") and _has(text, "body_text", "support_email", "private"):
        return "freshdesk"
    if _has(text, "author_id") and _has(text, "plain_body", "html_body", "comments"):
        return "zendesk"
    if _has(text, "ParticipantId", "InitialContactId", "AbsoluteTime"):
        return "connect"
    if _has(text, "ParticipantRole", "speaker_labels", "audio_segments") or (
        _has(text, "results") and _has(text, "transcripts")
    ):
        return "transcribe"
    return None


def _decode_head(head: bytes) -> str:
    if head[:2] == GZIP_MAGIC:
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, HEAD_SIZE)
        except zlib.error:
            return ""
    encoding, skip = detect_bom(head)
    text = head[skip:].decode(encoding or "utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_csv(first_line: str, tsv: bool) -> bool:
    delimiter = "\t" if tsv else sniff_delimiter(first_line)
    if delimiter not in first_line:
        return False
    cells = {norm_header(c.strip('"')) for c in first_line.split(delimiter)}
    return bool(cells & set(TEXT_COLUMNS)) and bool(cells & set(SPEAKER_COLUMNS))


def _looks_text(text: str) -> bool:
    lines = [line for line in text.split("\n") if line.strip()][:40]
    return any(parse_speaker(line) is not None for line in lines)


def sniff(name: str, head: bytes) -> str:
    """The format of a file called `name` starting with `head`; InputError naming the choices if none fits."""
    if head[:4] == b"PAR1":  # Parquet's magic (read_path hands such files to pyarrow before sniffing)
        return "parquet"
    base = os.path.basename(name).lower()
    if base.endswith(".gz"):
        base = base[:-3]
    ext = os.path.splitext(base)[1]
    text = _decode_head(head)
    stripped = text.lstrip("\ufeff \t\n")
    if ext in _EXT:
        return _EXT[ext]
    if stripped.startswith("WEBVTT"):
        return "vtt"
    first_lines = stripped.split("\n", 3)
    if len(first_lines) > 1 and first_lines[0].strip().isdigit() and TIMING_RE.match(first_lines[1]):
        return "srt"
    if ext in _JSON_EXT or stripped[:1] in ("{", "["):
        found = sniff_json(text)
        if found is not None:
            return found
        if ext in (".jsonl", ".ndjson", ".jsonlines"):
            return "jsonl"
        if ext in _JSON_EXT or (stripped[:1] == "{" and ext not in _TEXT_EXT):
            raise InputError(
                "JSON without the fields of any known export",
                path=name,
                hint=f"use --format-in with one of: {', '.join(FORMATS)}",
            )
    if ext not in _TEXT_EXT and first_lines and first_lines[0]:
        for tsv in (True, False):
            if _looks_csv(first_lines[0], tsv):
                return "tsv" if tsv else "csv"
    if ext in _TEXT_EXT or _looks_text(stripped):
        return "text"
    raise InputError(
        "cannot tell the transcript format", path=name, hint=f"use --format-in with one of: {', '.join(FORMATS)}"
    )
