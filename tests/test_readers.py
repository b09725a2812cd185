"""Tests for coach.readers: one sample export per format, sniffing, sources, and bad inputs."""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import threading
from pathlib import Path

import pytest

from coach.errors import InputError, UsageError
from coach.readers import (
    FORMATS,
    ReaderOptions,
    _json,
    html_to_text,
    iter_sources,
    read_bytes,
    read_path,
    sniff,
    strip_quoted_email,
)
from coach.readers._inputfile import HEAD_SIZE

DATA = Path(__file__).parent / "data" / "transcripts"
SORRY = "I'm sorry for the trouble, let me see what I can do."


def read(name: str | Path, **options):
    warnings: list[str] = []
    path = str(DATA / name) if isinstance(name, str) else str(name)
    convs = list(read_path(path, ReaderOptions(**options), warn=warnings.append))
    return convs, warnings


def pairs(conv):
    return [(t.speaker, t.text) for t in conv.turns]


def from_bytes(data: bytes, name: str = "x.txt", **options):
    warnings: list[str] = []
    errors: list[InputError] = []
    on_error = options.pop("on_error", None)
    convs = list(
        read_bytes(
            data, name, ReaderOptions(**options), warn=warnings.append, on_error=errors.append if on_error else None
        )
    )
    return convs, warnings, errors


# ----------------------------------------------------------------------------- formats
def test_jsonl_canonical():
    convs, warnings = read("conversations.jsonl")
    assert warnings == []
    assert [c.id for c in convs] == ["chat-1001", "chat-1002", "1003"]
    first = convs[0]
    assert (first.agent, first.channel, first.line, first.source) == (
        "Sam Patel",
        "chat",
        1,
        str(DATA / "conversations.jsonl"),
    )
    assert pairs(first)[1] == ("agent", SORRY)
    assert first.turns[1].name == "Sam Patel" and first.turns[1].time == "2024-03-04T10:31:40Z"
    assert convs[1].line == 3 and convs[1].meta == (("queue", "billing"),)
    assert pairs(convs[1]) == [
        ("customer", "Can I get a refund for the annual plan? I only used it a week."),
        ("agent", "Unfortunately that's our policy: annual plans aren't refundable after 48 hours."),
        ("system", "Riley has left the chat."),
    ]
    assert [t.speaker for t in convs[2].turns] == ["customer", "system"]  # "user"/"bot" synonyms


def test_json_list_of_conversations():
    convs, _ = read("conversations.json")
    assert [c.id for c in convs] == ["email-77", "email-78"]
    assert convs[0].agent == "Dana" and convs[0].channel == "email" and convs[0].line is None
    assert pairs(convs[1]) == [
        ("customer", "Please cancel my subscription."),
        ("agent", "Done. Your plan stays active until 31 March."),
    ]


def test_gzip_is_transparent():
    plain, _ = read("conversations.jsonl")
    zipped, _ = read("conversations.jsonl.gz")
    assert [pairs(c) for c in zipped] == [pairs(c) for c in plain]
    assert zipped[0].source.endswith("conversations.jsonl.gz")


def test_text_chat_log():
    convs, warnings = read("chat_log.txt")
    assert [c.id for c in convs] == ["LD-2201", "LD-2202", "chat_log#3"]
    first = convs[0]
    assert first.agent == "Sam" and first.line == 2
    assert [(t.speaker, t.name, t.time, t.line) for t in first.turns] == [
        ("agent", "Sam", "10:32", 3),
        ("customer", "Jordan", "10:33", 4),
        ("agent", "Sam", "10:34", 6),
        ("customer", "Jordan", "10:36", 9),
    ]
    assert first.turns[1].text == "My card was charged twice for the same order.\nI can send a screenshot if needed."
    assert first.turns[2].text == SORRY + "\n\nOrder number: 88123 shows a single charge on our side."
    assert pairs(convs[1]) == [
        ("agent", "Thank you for calling, this is Priya."),
        ("customer", "I want to return a jacket I bought online."),
        ("agent", "Unfortunately that's our policy: online purchases can only be returned by mail."),
        ("system", "The customer rated this conversation 2/5."),
    ]
    assert convs[1].turns[0].name is None
    assert [t.speaker for t in convs[2].turns] == ["customer", "customer"]
    assert len(warnings) == 1 and "Alex, Morgan" in warnings[0] and "--agent-name" in warnings[0]


def test_text_agent_names():
    convs, warnings = read("chat_log.txt", agent_names=("morgan",))
    assert [(t.speaker, t.name) for t in convs[2].turns] == [("customer", "Alex"), ("agent", "Morgan")]
    assert convs[2].agent == "Morgan" and warnings == []


def test_text_single_conversation_uses_stem_and_warns_on_preamble():
    convs, warnings, _ = from_bytes(b"Ticket export\nSupport: Hello!\nClient: Hi\n", "t-9.txt")
    assert [c.id for c in convs] == ["t-9"]
    assert pairs(convs[0]) == [("agent", "Hello!"), ("customer", "Hi")]
    assert warnings == ["t-9.txt:1: text before the first speaker line ignored"]


def test_text_timestamp_styles():
    data = b"2024-03-04 10:32:05 Sam [Support]: Hello\n10:33 PM - Jo: hi\n(10:34) Bot: Rate us\n"
    convs, _, _ = from_bytes(data, "x.log")
    assert [(t.speaker, t.name, t.time, t.text) for t in convs[0].turns] == [
        ("agent", "Sam", "2024-03-04 10:32:05", "Hello"),
        ("customer", "Jo", "10:33 PM", "hi"),
        ("system", None, "10:34", "Rate us"),
    ]


def test_srt_sound_cues_are_not_speakers():
    data = b"1\n00:00:01,000 --> 00:00:02,000\n[Agent] Hi there\n\n2\n00:00:03,000 --> 00:00:04,000\n[Music]\n"
    convs, _, _ = from_bytes(data, "x.srt")
    assert pairs(convs[0]) == [("agent", "Hi there [Music]")]


def test_csv_groups_rows_and_skips_private():
    convs, warnings = read("messages.csv")
    assert warnings == []
    assert [c.id for c in convs] == ["T-501", "T-502"]
    t501 = convs[0]
    assert t501.agent == "Sam Patel" and t501.line == 2
    assert [(t.speaker, t.name, t.line) for t in t501.turns] == [
        ("customer", "Casey Lin", 2),
        ("agent", "Sam Patel", 3),
        ("customer", "Casey Lin", 6),
    ]
    assert t501.turns[1].text == SORRY + "\nCould you tell me which phone you use?"
    assert t501.turns[0].time == "2024-03-01T09:00:00Z"
    assert pairs(convs[1]) == [
        ("customer", "Can I change my delivery address?"),
        ("agent", "Unfortunately that's our policy once an order has shipped."),
    ]


def test_tsv():
    convs, _ = read("messages.tsv")
    assert [c.id for c in convs] == ["9001", "9002"]
    assert [t.speaker for t in convs[0].turns] == ["customer", "agent"]
    assert [t.speaker for t in convs[1].turns] == ["customer", "system"]
    assert convs[0].turns[1].time == "2024-02-11 08:09"


def test_csv_explicit_columns_and_semicolons():
    data = b"Chat;Who;Said\n1;Operator;Hello\n1;Jo;Hi there\n"
    convs, _, _ = from_bytes(data, "x.csv", id_column="chat", speaker_column="WHO", text_column="said")
    assert [(c.id, pairs(c)) for c in convs] == [("1", [("agent", "Hello"), ("customer", "Hi there")])]
    assert convs[0].turns[1].name == "Jo"


def test_vtt():
    convs, warnings = read("call.vtt")
    assert warnings == [] and len(convs) == 1
    conv = convs[0]
    assert (conv.id, conv.channel, conv.agent) == ("call", "voice", "Agent Sam")
    assert [(t.speaker, t.time) for t in conv.turns] == [
        ("agent", "00:00:00.500"),
        ("customer", "00:00:03.400"),
        ("agent", "00:00:10.300"),
    ]
    assert conv.turns[1].text == (
        "Hi, my internet has been down since this morning and I work from home. It's really frustrating."
    )
    assert conv.turns[2].text == SORRY + " I can see an outage in your area."


def test_srt():
    convs, _ = read("call.srt")
    assert pairs(convs[0]) == [
        ("agent", "Good afternoon, you're through to billing."),
        ("customer", "I was charged a late fee but I paid on time."),
        ("agent", "Unfortunately that's our policy, the fee applies after the due date."),
        ("customer", "That's not fair."),
    ]
    assert convs[0].turns[2].time == "00:00:08.200"


def test_zendesk_skips_private_notes_and_strips_quotes():
    convs, warnings = read("zendesk_comments.json")
    assert warnings == []
    conv = convs[0]
    assert (conv.id, conv.agent, conv.channel) == ("zendesk_comments", "Sam Patel", "email")
    assert pairs(conv) == [
        (
            "customer",
            "Hi,\n\nI ordered the Trailblazer backpack (order #40213) ten days ago and tracking "
            "hasn't moved since Monday.",
        ),
        ("agent", "Hi Jordan,\n\n" + SORRY + " I've asked the carrier to trace the parcel.\n\nBest,\nSam"),
        ("customer", "Any news? I need it for a trip on Friday."),
        (
            "agent",
            "Unfortunately that's our policy: we can only refund once the carrier closes the claim, "
            "usually within 5 business days.",
        ),
    ]
    assert all("Do NOT offer" not in t.text for t in conv.turns)


def test_zendesk_ticket_export_without_users_guesses_with_warning():
    doc = {
        "ticket": {"id": 35436, "requester_id": 7, "subject": "Help", "via": {"channel": "web"}},
        "comments": [
            {"id": 1, "author_id": 7, "body": "My printer is on fire", "public": True},
            {"id": 2, "author_id": 9, "body": "Internal: call them", "public": False},
            {"id": 3, "author_id": 9, "body": "Please unplug it now.", "public": True},
        ],
    }
    convs, warnings, _ = from_bytes(json.dumps(doc).encode(), "ticket.json")
    assert [(c.id, c.channel, c.meta) for c in convs] == [("35436", "web", (("subject", "Help"),))]
    assert pairs(convs[0]) == [("customer", "My printer is on fire"), ("agent", "Please unplug it now.")]
    assert len(warnings) == 1 and "include=users" in warnings[0]


def test_intercom_skips_notes_and_assignments():
    convs, _ = read("intercom_conversation.json")
    conv = convs[0]
    assert (conv.id, conv.channel, conv.agent) == ("147", "chat", "Sam Patel")
    assert pairs(conv) == [
        ("customer", "Hello, I can't log in to my account since the update.\n\nI keep getting error 403."),
        ("agent", "Hi Casey, " + SORRY + "\n\nCould you try resetting your password here?"),
        ("customer", "Tried it, still 403."),
        (
            "agent",
            "Thanks for trying. Unfortunately that's our policy: accounts locked by SSO have to be "
            "unlocked by your company admin.",
        ),
    ]
    assert conv.turns[0].time == "2024-03-04T10:00:00Z"


INTERCOM_1X = {  # the API 1.x shape (as in Intercom's Go client fixtures): `conversation_message`, no `source`
    "type": "conversation.list",
    "conversations": [
        {
            "type": "conversation",
            "id": "147",
            "created_at": 1400850973,
            "conversation_message": {
                "type": "conversation_message",
                "id": "537e",
                "subject": "<p>Login</p>",
                "body": "<p>Hi Alice,</p>\n\n<p>Unfortunately that's our policy.</p>",
                "author": {"type": "admin", "id": "25"},
                "attachments": [],
            },
            "conversation_parts": {
                "type": "conversation_part.list",
                "conversation_parts": [
                    {
                        "type": "conversation_part",
                        "id": "4412",
                        "part_type": "comment",
                        "body": "<p>Hi Jane, it's all great thanks!</p>",
                        "created_at": 1400857494,
                        "author": {"type": "user", "id": "536e"},
                        "attachments": [],
                    }
                ],
            },
        },
        {
            "type": "conversation",
            "id": "148",
            "conversation_message": {
                "type": "conversation_message",
                "body": "<p>Where is my order?</p>",
                "author": {"type": "user", "id": "9"},
            },
        },
    ],
}


def test_intercom_api_1x_keeps_the_opening_message():
    data = json.dumps(INTERCOM_1X).encode("utf-8")
    convs = list(read_bytes(data, "export.json"))
    assert [c.id for c in convs] == ["147", "148"]
    first, second = convs
    assert pairs(first) == [
        ("agent", "Hi Alice,\n\nUnfortunately that's our policy."),
        ("customer", "Hi Jane, it's all great thanks!"),
    ]
    assert first.channel is None  # "conversation_message" is the object's type, not a channel
    assert first.turns[0].time == "2014-05-23T13:16:13Z"
    assert dict(first.meta)["subject"] == "Login"
    assert pairs(second) == [("customer", "Where is my order?")]
    assert sniff("export.json", data) == "intercom"


def test_freshdesk():
    convs, _ = read("freshdesk_conversations.json")
    conv = convs[0]
    assert conv.id == "20"
    assert pairs(conv) == [
        ("agent", "Hi Morgan,\n\n" + SORRY + " Could you send a photo of the serial number?\n\nRegards,\nPriya"),
        ("customer", "Here it is: SN-4471-XK."),
        (
            "agent",
            "Thanks Morgan. Unfortunately that's our policy: the warranty covers 24 months from purchase, "
            "so this repair would be paid.",
        ),
    ]


def test_helpscout_orders_oldest_first_and_skips_notes():
    convs, _ = read("helpscout_threads.json")
    conv = convs[0]
    assert [(t.speaker, t.name) for t in conv.turns] == [
        ("agent", "Dana Okafor"),
        ("customer", "Alex Kim"),
        ("agent", "Dana Okafor"),
    ]
    assert conv.turns[1].text == "Can I get cash back for the rest of my gift card?"
    assert conv.turns[2].text == "Hi Alex,\n\nUnfortunately that's our policy: gift cards can't be exchanged for cash."


def test_front_sorts_by_time_and_skips_drafts():
    convs, _ = read("front_messages.json")
    conv = convs[0]
    assert (conv.id, conv.channel, conv.agent) == ("cnv_y4xb93i", "email", "Riley Chen")
    assert [(t.speaker, t.name) for t in conv.turns] == [("customer", "Noor Haddad"), ("agent", "Riley Chen")]
    assert conv.turns[1].text == (
        "Hi Noor,\n\nUnfortunately that's our policy for sale items: they can be exchanged but not refunded."
    )
    assert conv.turns[0].time == "2024-03-01T11:00:00.500Z"


def test_gorgias_skips_internal_notes():
    convs, _ = read("gorgias_ticket.json")
    conv = convs[0]
    assert (conv.id, conv.channel, conv.agent) == ("7712", "chat", "Sam Patel")
    assert pairs(conv) == [
        ("customer", "The code SPRING20 says it's expired but your email said it's valid all week!"),
        ("agent", SORRY),
        ("agent", "You're right, our email was wrong.\nI've applied 20% to your order manually."),
    ]


def test_connect_chat_skips_events():
    convs, _ = read("connect_chat_transcript.json")
    conv = convs[0]
    assert (conv.id, conv.channel, conv.agent) == ("0d4c8f1e-1111-4a2b-9c3d-EXAMPLE22222", "chat", "Priya")
    assert [t.speaker for t in conv.turns] == ["system", "customer", "system", "agent", "agent"]
    assert conv.turns[3].text == "Hi, this is Priya. " + SORRY
    assert conv.turns[1].name is None and conv.turns[1].time == "2024-03-07T16:01:20.451Z"


def test_connect_contact_lens():
    convs, _ = read("contact_lens_call.json")
    conv = convs[0]
    assert (conv.id, conv.channel) == ("0f5b7e22-2222-4c3d-8e9f-EXAMPLE66666", "voice")
    assert [(t.speaker, t.time) for t in conv.turns] == [
        ("agent", "00:00:00.520"),
        ("customer", "00:00:03.400"),
        ("agent", "00:00:07.650"),
        ("customer", "00:01:05.200"),
    ]
    assert conv.turns[2].text == "Unfortunately that's our policy: cancelling in the first year carries a fee."


def test_transcribe_call_analytics():
    convs, _ = read("transcribe_call_analytics.json")
    conv = convs[0]
    assert (conv.id, conv.channel) == ("call-2024-03-08-0042", "voice")
    assert [t.speaker for t in conv.turns] == ["agent", "customer", "agent", "agent"]
    assert conv.turns[2].text == SORRY and conv.turns[2].time == "00:00:08.900"


def test_transcribe_speaker_labels():
    convs, warnings = read("transcribe_speaker_labels.json")
    assert pairs(convs[0]) == [
        ("agent", "Thanks for calling."),
        ("customer", "Hi, my bill is wrong."),
        ("agent", "Let me check that."),
    ]
    assert len(warnings) == 1 and "spk_0" in warnings[0]
    convs, warnings = read("transcribe_speaker_labels.json", agent_names=("spk_1",))
    assert [t.speaker for t in convs[0].turns] == ["customer", "agent", "customer"] and warnings == []


def test_ccai_conversation():
    convs, _ = read("ccai_conversation.json")
    conv = convs[0]
    assert (conv.id, conv.channel, conv.agent) == ("8162536474883", "chat", "agent-0117")
    assert [t.speaker for t in conv.turns] == ["system", "customer", "agent", "agent"]
    assert conv.turns[2].text == SORRY


def test_ccai_entries():
    convs, _ = read("ccai_entries.json")
    assert pairs(convs[0]) == [
        ("customer", "Hello, I'm calling about a charge I don't recognise."),
        ("agent", "Unfortunately that's our policy: we need the last four digits of the card first."),
        ("customer", "It ends in 4421."),
    ]
    assert convs[0].turns[0].time == "2024-03-09T12:00:00Z"


def test_ccai_channel_tags_when_roles_missing():
    doc = {
        "name": "c/1",
        "transcript": {
            "transcriptSegments": [{"text": "hi", "channelTag": 1}, {"text": "hello, how can I help?", "channelTag": 2}]
        },
        "callMetadata": {"customerChannel": 1, "agentChannel": 2},
    }
    convs, _, _ = from_bytes(json.dumps(doc).encode(), "c.json", format="ccai")
    assert [t.speaker for t in convs[0].turns] == ["customer", "agent"]


# ------------------------------------------------------------------------------ sniffing
SAMPLES = {
    "conversations.jsonl": "jsonl",
    "conversations.json": "jsonl",
    "conversations.jsonl.gz": "jsonl",
    "chat_log.txt": "text",
    "messages.csv": "csv",
    "messages.tsv": "tsv",
    "call.vtt": "vtt",
    "call.srt": "srt",
    "zendesk_comments.json": "zendesk",
    "intercom_conversation.json": "intercom",
    "freshdesk_conversations.json": "freshdesk",
    "helpscout_threads.json": "helpscout",
    "front_messages.json": "front",
    "gorgias_ticket.json": "gorgias",
    "connect_chat_transcript.json": "connect",
    "contact_lens_call.json": "connect",
    "transcribe_call_analytics.json": "transcribe",
    "transcribe_speaker_labels.json": "transcribe",
    "ccai_conversation.json": "ccai",
    "ccai_entries.json": "ccai",
    "conversations.parquet": "parquet",
}


def test_every_format_has_a_sample():
    assert set(SAMPLES.values()) == set(FORMATS)
    assert sorted(SAMPLES) == sorted(p.name for p in DATA.iterdir())


@pytest.mark.parametrize("name,expected", sorted(SAMPLES.items()))
def test_sniff_samples_by_name_and_by_content(name, expected):
    head = (DATA / name).read_bytes()[:HEAD_SIZE]
    assert sniff(name, head) == expected
    if expected not in ("csv", "tsv", "srt") or name.endswith(".gz"):
        # by content alone (stdin): everything but CSV/TSV/SRT, whose headers need the extension here
        assert sniff("-", head) == expected


@pytest.mark.parametrize("name", ["messages.csv", "messages.tsv", "call.srt"])
def test_sniff_by_content_for_stdin(name):
    assert sniff("-", (DATA / name).read_bytes()) == SAMPLES[name]


def test_format_override(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("conversation_id,role,message\n1,agent,Hello\n1,customer,Hi\n")
    assert sniff(str(path), path.read_bytes()) == "text"
    convs, _ = read(path, format="csv")
    assert pairs(convs[0]) == [("agent", "Hello"), ("customer", "Hi")]
    with pytest.raises(UsageError):
        ReaderOptions(format="docx")


def test_sniff_unknown_names_choices():
    with pytest.raises(InputError) as info:
        sniff("notes.dat", b"just some words\nwithout any speakers\n")
    assert "--format-in" in str(info.value) and "zendesk" in str(info.value)
    with pytest.raises(InputError, match="JSON without the fields"):
        sniff("data.json", b'{"foo": 1}')


# ------------------------------------------------------------------------ sources
def test_iter_sources_folders_globs_and_stdin(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for rel in ("a.jsonl", "b/c.json", "b/d.txt.gz", "b/README", ".hidden.jsonl", ".git/x.json"):
        (tmp_path / rel).write_text("{}")
    found = list(iter_sources([str(tmp_path)]))
    assert found == [str(tmp_path / "a.jsonl"), str(tmp_path / "b" / "c.json"), str(tmp_path / "b" / "d.txt.gz")]
    assert list(iter_sources([str(tmp_path)], pattern="*.json")) == [str(tmp_path / "b" / "c.json")]
    assert list(iter_sources([str(tmp_path / "**" / "*.json")])) == [str(tmp_path / "b" / "c.json")]
    assert list(iter_sources(["-", str(tmp_path / "a.jsonl"), str(tmp_path / "a.jsonl")])) == [
        "-",
        str(tmp_path / "a.jsonl"),
    ]
    assert len(list(iter_sources([str(DATA)]))) == len(SAMPLES)


def test_iter_sources_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        iter_sources([str(tmp_path / "missing.jsonl")])
    with pytest.raises(UsageError, match="no files match"):
        iter_sources([str(tmp_path / "*.csv")])
    (tmp_path / "only.xml").write_text("<x/>")
    with pytest.raises(InputError, match="no transcript files"):
        iter_sources([str(tmp_path)])


def test_read_path_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(read_path(str(tmp_path / "nope.jsonl"), warn=lambda m: None))


def test_stdin(monkeypatch):
    data = (DATA / "conversations.jsonl").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    convs = list(read_path("-", warn=lambda m: None))
    assert [c.id for c in convs] == ["chat-1001", "chat-1002", "1003"] and convs[0].source == "-"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
@pytest.mark.parametrize(
    "fmt,first,rest",
    [
        (
            "jsonl",
            b'{"id": "a", "turns": [{"speaker": "agent", "text": "hi"}]}\n',
            b'{"id": "b", "turns": [{"speaker": "agent", "text": "yo"}]}\n',
        ),
        ("text", b"# conversation: a\nAgent: hi\n# conversation: b\n", b"Agent: yo\n"),
        ("csv", b"conversation_id,role,text\na,agent,hi\nb,agent,hello\n", b"b,customer,yo\n"),
    ],
)
def test_conversations_stream_before_the_file_ends(tmp_path, fmt, first, rest):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got_first = threading.Event()
    waited_in_vain: list[bool] = []

    def writer():
        with open(fifo, "wb") as out:
            out.write(first)
            out.flush()
            waited_in_vain.append(not got_first.wait(5))
            out.write(rest)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        convs = read_path(str(fifo), ReaderOptions(format=fmt), warn=lambda m: None)
        assert next(convs).id == "a"
        got_first.set()
        assert [c.id for c in convs] == ["b"]
    finally:
        got_first.set()
        thread.join(10)
    assert waited_in_vain == [False]  # the first conversation arrived while the writer still held the rest


# ---------------------------------------------------------------------- bad inputs
def test_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "export.jsonl.gz"
    data = gzip.compress((DATA / "conversations.jsonl").read_bytes() * 50, mtime=0)
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as info:
        list(read_path(str(path), warn=lambda m: None))
    assert info.value.path == str(path) and "gzip" in info.value.message


def test_invalid_utf8_warns_once_with_offset():
    convs, warnings, _ = from_bytes(b"Agent: caf\xe9 ok\nCustomer: \xff\xfe bad\n", "x.txt")
    assert convs[0].turns[0].text == "caf\ufffd ok"
    assert warnings == ["x.txt: invalid UTF-8 at byte 10; decoded with replacement (use --encoding to override)"]
    convs, warnings, _ = from_bytes(b"Agent: caf\xe9 ok\n", "x.txt", encoding="cp1252")
    assert convs[0].turns[0].text == "café ok" and warnings == []


def test_invalid_utf8_offset_after_the_first_chunk():
    data = b"Agent: " + b"a" * (HEAD_SIZE + 10) + b"\xe9\n"
    _, warnings, _ = from_bytes(data, "x.txt")
    assert warnings == [
        f"x.txt: invalid UTF-8 at byte {HEAD_SIZE + 17}; decoded with replacement (use --encoding to override)"
    ]


def test_multibyte_and_crlf_split_across_chunks():
    pad = HEAD_SIZE - len("Agent: ") - 1
    data = ("Agent: " + "x" * pad + "é\r\nCustomer: ok\r\n").encode()
    assert data[HEAD_SIZE - 1 : HEAD_SIZE + 1] == "é".encode()
    convs, warnings, _ = from_bytes(data, "x.txt")
    assert warnings == [] and [t.line for t in convs[0].turns] == [1, 2]
    data = ("Agent: " + "x" * (HEAD_SIZE - 8) + "\r\nCustomer: ok\n").encode()
    assert data[HEAD_SIZE - 1 : HEAD_SIZE] == b"\r"
    convs, _, _ = from_bytes(data, "x.txt")
    assert [t.line for t in convs[0].turns] == [1, 2]


def test_boms_and_line_endings():
    convs, _, _ = from_bytes(b"\xef\xbb\xbf" + (DATA / "conversations.jsonl").read_bytes(), "x.jsonl")
    assert len(convs) == 3
    utf16 = "Agent: Hello\r\nCustomer: Hi\r\n".encode("utf-16")
    convs, warnings, _ = from_bytes(utf16, "x.txt")
    assert pairs(convs[0]) == [("agent", "Hello"), ("customer", "Hi")] and warnings == []
    convs, _, _ = from_bytes(b"Agent: one\rtwo\r\nCustomer: three\r", "x.txt")
    assert pairs(convs[0]) == [("agent", "one\ntwo"), ("customer", "three")]
    assert convs[0].turns[1].line == 3


def test_binary_file_is_refused():
    with pytest.raises(InputError, match="binary file, skipped"):
        from_bytes(b"PK\x03\x04\x00\x00\x08\x00 some zip", "x.jsonl")


def test_empty_file_warns():
    for data in (b"", b"\xef\xbb\xbf", b"  \n\n"):
        convs, warnings, _ = from_bytes(data, "e.jsonl")
        assert convs == [] and warnings == ["e.jsonl: empty file"]


def test_bad_jsonl_line_strict_and_skippable():
    good = b'{"id": "a", "turns": [{"speaker": "agent", "text": "hi"}]}\n'
    data = good + b'{"id": "b", "turns": [\n' + good.replace(b'"a"', b'"c"')
    with pytest.raises(InputError) as info:
        from_bytes(data, "x.jsonl")
    assert info.value.line == 2 and info.value.path == "x.jsonl" and "invalid JSON" in info.value.message
    convs, _, errors = from_bytes(data, "x.jsonl", on_error=True)
    assert [c.id for c in convs] == ["a", "c"] and [c.line for c in convs] == [1, 3]
    assert [(e.line, e.path) for e in errors] == [(2, "x.jsonl")]
    _, _, errors = from_bytes(good + b"[1, 2]\n", "x.jsonl", on_error=True)
    assert "JSON object" in errors[0].message and errors[0].line == 2


@pytest.mark.parametrize(
    "record,field",
    [
        ({"id": "a"}, "missing field 'turns'"),
        ({"id": "a", "turns": "hi"}, "field 'turns' must be a list, not a string"),
        ({"id": "a", "turns": [{"speaker": "agent", "text": 5}]}, "field 'turns[0].text' must be a string"),
        ({"id": "a", "turns": [{"text": "x"}]}, "missing field 'turns[0].speaker'"),
        ({"id": "a", "turns": [{"speaker": "boss", "text": "x"}]}, "turns[0].speaker"),
        ({"id": ["a"], "turns": []}, "field 'id' must be a string or number"),
        ({"id": "a", "turns": [7]}, "'turns[0]' must be an object"),
    ],
)
def test_missing_or_wrongly_typed_fields(record, field):
    with pytest.raises(InputError) as info:
        from_bytes(json.dumps(record).encode() + b"\n", "x.jsonl")
    assert field in info.value.message and info.value.line == 1


def test_field_errors_in_whole_file_exports_name_the_record():
    doc = {"conversations": [{"id": "a", "turns": [{"speaker": "agent", "text": "hi"}]}, {"id": "b"}]}
    with pytest.raises(InputError, match=r"conversations\[1\]\.turns"):
        from_bytes(json.dumps(doc).encode(), "x.json")
    convs, _, errors = from_bytes(json.dumps(doc).encode(), "x.json", on_error=True)
    assert [c.id for c in convs] == ["a"] and len(errors) == 1
    bad = json.loads((DATA / "zendesk_comments.json").read_text())
    del bad["comments"][2]["author_id"]
    with pytest.raises(InputError, match=r"missing field 'comments\[2\]\.author_id'"):
        from_bytes(json.dumps(bad).encode(), "z.json")
    bad = json.loads((DATA / "freshdesk_conversations.json").read_text())
    bad[1]["incoming"] = "yes"
    with pytest.raises(InputError, match=r"field '\[1\]\.incoming' must be true or false"):
        from_bytes(json.dumps(bad).encode(), "f.json", format="freshdesk")


def test_invalid_whole_file_json_reports_line():
    with pytest.raises(InputError) as info:
        from_bytes(b'{\n  "comments": [\n    {"id": 1,,}\n  ]\n}\n', "z.json", format="zendesk")
    assert info.value.line == 3 and "invalid JSON" in info.value.message


def test_deeply_nested_json():
    deep = b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(InputError, match="nested too deeply"):
        from_bytes(deep, "x.json", format="zendesk")
    good = b'{"id": "a", "turns": [{"speaker": "agent", "text": "hi"}]}\n'
    deep_line = b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"\n"
    convs, _, errors = from_bytes(good + deep_line + good, "x.jsonl", on_error=True)
    assert len(convs) == 2 and [(e.line, e.message) for e in errors] == [(2, "JSON nested too deeply")]
    with pytest.raises(InputError, match="nested too deeply"):
        from_bytes(deep_line, "x.jsonl")


def test_oversized_json_document(monkeypatch):
    monkeypatch.setattr(_json, "MAX_JSON_CHARS", 100)
    with pytest.raises(InputError, match="larger than"):
        from_bytes(b"[\n" + b'{"id": 1},\n' * 20 + b"{}]", "x.json", format="jsonl")


def test_text_without_speakers_and_vtt_without_cues():
    with pytest.raises(InputError, match="no speaker lines"):
        from_bytes(b"hello there\nnothing here\n", "x.txt")
    with pytest.raises(InputError, match="no cues"):
        from_bytes(b"WEBVTT\n\nhello\n", "x.vtt")
    with pytest.raises(InputError, match="no speaker names"):
        from_bytes(b"WEBVTT\n\n00:01.000 --> 00:02.000\nhello\n", "x.vtt")


def test_csv_problems():
    with pytest.raises(InputError, match="--text-column"):
        from_bytes(b"conversation_id,role,note\n1,agent,hi\n", "x.csv")
    with pytest.raises(InputError, match="column 'said' not found"):
        from_bytes(b"conversation_id,role,text\n1,agent,hi\n", "x.csv", text_column="said")
    with pytest.raises(InputError) as info:
        from_bytes(b"conversation_id,role,text\n1,agent,hi\n1,customer\n", "x.csv")
    assert info.value.line == 3
    data = b"conversation_id,role,text\n1,agent,hi\n1,customer\n2,agent,a\n1,agent,b\n"
    convs, warnings, errors = from_bytes(data, "x.csv", on_error=True)
    assert [c.id for c in convs] == ["1", "2", "1"] and errors[0].line == 3
    assert "appears again" in warnings[0]


# ------------------------------------------------------------------------ helpers
def test_html_to_text():
    html = (
        "<div><p>Hi&nbsp;there,</p><p>Line one<br>line two &amp; more</p>"
        "<script>alert(1)</script><style>p{}</style><ul><li>a</li><li>b</li></ul></div>"
    )
    assert html_to_text(html) == "Hi there,\n\nLine one\nline two & more\n\na\nb"
    assert html_to_text("<blockquote>old</blockquote><p>new</p>") == "> old\n\nnew"
    assert html_to_text("<![bogus[ x") in ("", "x", "<![bogus[ x")  # never raises


def test_strip_quoted_email():
    text = "Thanks!\n\nOn Mon, Mar 4, 2024 at 9:40 AM Acme <a@b.c> wrote:\n> old text\n> more"
    assert strip_quoted_email(text) == "Thanks!"
    wrapped = "Sure.\nOn Mon, Mar 4, 2024 at 9:40 AM Sam Patel\n<sam@acme.example> wrote:\nold"
    assert strip_quoted_email(wrapped) == "Sure."
    assert strip_quoted_email("Ok\n-----Original Message-----\nFrom: x") == "Ok"
    assert strip_quoted_email("Yes\n________________\nFrom: Acme\nSent: Monday\nTo: me\nold") == "Yes"
    assert strip_quoted_email("a\n> quoted\nb") == "a\nb"
    assert strip_quoted_email("From: the team, with love") == "From: the team, with love"


def test_without_a_warn_callback_warnings_go_to_logging_not_stderr(caplog, capsys):
    with caplog.at_level("WARNING", logger="coach.readers"):
        assert list(read_bytes(b"", "e.jsonl")) == []
        assert list(read_bytes(b"Agent: Hello\n\xff\n", "bad.txt"))  # invalid UTF-8, decoded with replacement
    assert [(r.name, r.levelname) for r in caplog.records] == [("coach.readers", "WARNING")] * 2
    assert caplog.messages[0] == "e.jsonl: empty file" and caplog.messages[1].startswith("bad.txt: invalid UTF-8")
    assert capsys.readouterr().err == ""
