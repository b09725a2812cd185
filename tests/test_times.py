"""Conversation times: every reader's `started_at` (ISO 8601 UTC, or None where the format has no
dates), turn times in the outputs, and the --since/--until window."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coach.errors import UsageError
from coach.readers import ReaderOptions, read_bytes, read_path
from coach.readers._times import field_time, to_utc
from coach.timewindow import TimeWindow, parse_bound

DATA = Path(__file__).parent / "data" / "transcripts"

#: Each fixture's first conversation's start; None where the format has only offsets or clock times.
STARTS = {
    "call.srt": None,
    "call.vtt": None,
    "contact_lens_call.json": None,
    "transcribe_call_analytics.json": None,
    "transcribe_speaker_labels.json": None,
    "chat_log.txt": None,  # "[10:32]": a clock time without a date
    "ccai_conversation.json": "2024-03-09T11:58:00Z",
    "ccai_entries.json": "2024-03-09T12:00:00Z",
    "connect_chat_transcript.json": "2024-03-07T16:01:03Z",
    "conversations.jsonl": "2024-03-04T10:31:02Z",
    "conversations.jsonl.gz": "2024-03-04T10:31:02Z",
    "conversations.json": None,
    "conversations.parquet": "2024-03-04T10:31:02Z",
    "freshdesk_conversations.json": "2024-03-02T10:05:11Z",
    "front_messages.json": "2024-03-01T11:00:00Z",
    "gorgias_ticket.json": "2024-03-06T14:00:00Z",
    "helpscout_threads.json": "2024-02-20T09:00:00Z",
    "intercom_conversation.json": "2024-03-04T10:00:00Z",
    "messages.csv": "2024-03-01T09:00:00Z",
    "messages.tsv": "2024-02-11T08:01:00Z",
    "zendesk_comments.json": "2024-03-04T09:14:27Z",
}


def test_every_fixture_is_listed():
    assert set(STARTS) == {p.name for p in DATA.iterdir()}


@pytest.mark.parametrize("name", sorted(STARTS))
def test_each_format_sets_started_at(name):
    first = next(iter(read_path(str(DATA / name), ReaderOptions(), warn=lambda message: None)))
    assert first.started_at == STARTS[name]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-03-01T10:00:00+01:00", "2024-03-01T09:00:00Z"),
        ("2024-03-01T10:00:00.123Z", "2024-03-01T10:00:00Z"),
        ("2024-03-01 10:32", "2024-03-01T10:32:00Z"),  # no zone: UTC
        ("2024-03-01", "2024-03-01T00:00:00Z"),
        ("Fri, 01 Mar 2024 10:32:00 -0500", "2024-03-01T15:32:00Z"),
        (1709287920, "2024-03-01T10:12:00Z"),
        (1709287920000, "2024-03-01T10:12:00Z"),
        ("1709287920", "2024-03-01T10:12:00Z"),
        (1709287920.5, "2024-03-01T10:12:00Z"),
        ("10:32", None),
        ("00:01:05.200", None),
        ("yesterday", None),
        ("2024-13-45T00:00:00", None),
        (True, None),
        (0, None),
        (None, None),
        (1e20, None),
    ],
)
def test_to_utc(value, expected):
    assert to_utc(value) == expected


def test_field_time_passes_over_wrong_types():
    assert field_time({"created_at": ["x"], "createdAt": "2024-03-01T00:00:00Z"}, "created_at", "createdAt") == (
        "2024-03-01T00:00:00Z"
    )
    assert field_time("not an object", "created_at") is None


def read(data: str, name: str, fmt: str | None = None):
    return list(read_bytes(data.encode(), name, ReaderOptions(format=fmt), warn=lambda message: None))


def test_jsonl_started_at_wins_over_turn_times_and_text_logs_with_dates():
    line = {
        "id": "a",
        "started_at": "2024-05-01T08:00:00Z",
        "turns": [{"speaker": "agent", "text": "Hi", "time": "2024-05-02T00:00:00Z"}],
    }
    assert read(json.dumps(line) + "\n", "x.jsonl")[0].started_at == "2024-05-01T08:00:00Z"
    log = "2024-03-04 10:32:05 Agent: Hello\n2024-03-04 10:33:00 Customer: Hi\n"
    (conv,) = read(log, "chat.txt")
    assert conv.started_at == "2024-03-04T10:32:05Z" and conv.turns[0].time == "2024-03-04 10:32:05"


def test_zendesk_ticket_created_at_is_the_start():
    doc = {
        "ticket": {"id": 9, "created_at": "2024-01-31T23:30:00-02:00", "requester_id": 1},
        "users": [{"id": 1, "role": "end-user", "name": "C"}, {"id": 2, "role": "agent", "name": "A"}],
        "comments": [
            {"id": 1, "author_id": 1, "public": True, "body": "Help", "created_at": "2024-02-02T00:00:00Z"},
            {"id": 2, "author_id": 2, "public": True, "body": "Sure", "created_at": "2024-02-02T01:00:00Z"},
        ],
    }
    assert read(json.dumps(doc), "t.json", "zendesk")[0].started_at == "2024-02-01T01:30:00Z"


def test_turn_times_and_started_at_reach_the_outputs(analyzer):
    import io

    from coach.render.score_csv import write_csv

    line = {
        "id": "a",
        "turns": [
            {"speaker": "customer", "text": "I was charged twice.", "time": "2024-03-01T10:00:00Z"},
            {"speaker": "agent", "text": "There's nothing I can do.", "time": "10:05"},
        ],
    }
    (report,) = analyzer.score_conversations(read(json.dumps(line) + "\n", "x.jsonl"))
    doc = report.to_dict()
    assert doc["started_at"] == "2024-03-01T10:00:00Z" and [t["time"] for t in doc["turns"]] == [
        "2024-03-01T10:00:00Z",
        "10:05",
    ]
    assert [t["turn"] for t in doc["turns"]] == [1, 2]
    out = io.StringIO()
    write_csv([report], out, per="finding")
    header, *rows = [r.split(",") for r in out.getvalue().splitlines()]
    assert {r[header.index("time")] for r in rows if r[header.index("speaker")] == "agent"} == {"10:05"}


NOW = datetime(2024, 3, 20, 15, 0, tzinfo=UTC)


def test_time_window():
    w = TimeWindow.parse("2024-03-01", "2024-03-10", now=NOW)
    assert (w.since, w.before) == ("2024-03-01T00:00:00Z", "2024-03-11T00:00:00Z")
    assert "2024-03-10T23:59:59Z" in w and "2024-03-11T00:00:00Z" not in w and "2024-02-29T23:59:59Z" not in w
    assert None not in w and None in TimeWindow()
    assert parse_bound("2024-03-01T12:00+01:00", "--since") == "2024-03-01T11:00:00Z"
    assert parse_bound("2024-03-01T12:00:00", "--until", end=True) == "2024-03-01T12:00:01Z"
    assert parse_bound("7d", "--since", now=NOW) == "2024-03-13T00:00:00Z"
    assert parse_bound("2w", "--until", end=True, now=NOW) == "2024-03-07T00:00:00Z"
    with pytest.raises(UsageError, match="before --since"):
        TimeWindow.parse("2024-03-10", "2024-03-01")
    with pytest.raises(UsageError, match="not a date"):
        TimeWindow.parse("March", None)
