"""Property tests: whatever bytes arrive, every reader either parses them or raises InputError."""

from __future__ import annotations

import gzip
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.errors import InputError
from coach.models import Conversation, Turn
from coach.readers import FORMATS, ReaderOptions, html_to_text, read_bytes, sniff, strip_quoted_email

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = ("x.jsonl", "x.json", "x.txt", "x.csv", "x.tsv", "x.vtt", "x.srt", "-", "x.dat", "x.json.gz")


def consume(data: bytes, name: str, fmt: str | None, **options) -> list[Conversation]:
    """Read everything; the only exception allowed out is InputError. Check the output's shape."""
    try:
        convs = list(read_bytes(data, name, ReaderOptions(format=fmt, **options), warn=lambda m: None))
    except InputError as exc:
        assert exc.message and exc.path == name
        return []
    for conv in convs:
        assert isinstance(conv, Conversation) and isinstance(conv.id, str) and conv.source == name
        assert conv.turns and all(isinstance(t, Turn) for t in conv.turns)
        assert all(t.speaker in ("agent", "customer", "system") and isinstance(t.text, str) for t in conv.turns)
    return convs


fmt_or_sniff = st.sampled_from((None,) + FORMATS)

json_scalars = st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "turns",
                    "speaker",
                    "text",
                    "comments",
                    "users",
                    "author_id",
                    "body",
                    "public",
                    "role",
                    "incoming",
                    "private",
                    "_embedded",
                    "threads",
                    "type",
                    "createdBy",
                    "_results",
                    "is_inbound",
                    "messages",
                    "from_agent",
                    "Transcript",
                    "ParticipantRole",
                    "ParticipantId",
                    "Content",
                    "results",
                    "items",
                    "entries",
                    "transcript",
                    "transcriptSegments",
                    "segmentParticipant",
                    "source",
                    "conversation_parts",
                    "part_type",
                    "author",
                    "html_body",
                    "Participants",
                    "BeginOffsetMillis",
                    "start_timestamp_usec",
                    "channelTag",
                    "callMetadata",
                    "alternatives",
                    "content",
                    "speaker_label",
                    "audio_segments",
                    "conversations",
                    "ticket",
                    "data",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)

speakerish = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "Agent: ",
                "Customer: ",
                "[10:32] Sam (agent): ",
                "Bot: ",
                "---",
                "=== X ===",
                "# conversation: 7",
                "00:00:01.000 --> 00:00:02.000",
                "<v Sam>",
                "WEBVTT",
                "1",
                "",
                "conversation_id,role,text",
                "a,agent,hi",
                '"unterminated',
                "\t",
                "\r",
                "> quoted",
            ]
        ),
        st.text(max_size=30),
    ),
    max_size=12,
).map(lambda parts: "\n".join(parts))


@FAST
@given(data=st.binary(max_size=600), fmt=fmt_or_sniff, name=st.sampled_from(NAMES))
def test_arbitrary_bytes_parse_or_raise_input_error(data, fmt, name):
    consume(data, name, fmt)


@FAST
@given(text=speakerish, fmt=fmt_or_sniff, name=st.sampled_from(NAMES), agents=st.sampled_from([(), ("Sam",), ("",)]))
def test_transcript_like_text_parses_or_raises(text, fmt, name, agents):
    consume(text.encode("utf-8", "surrogatepass"), name, fmt, agent_names=agents)


@FAST
@given(doc=json_values, fmt=st.sampled_from(FORMATS), lines=st.booleans())
def test_arbitrary_json_documents_parse_or_raise(doc, fmt, lines):
    text = json.dumps(doc) if not lines else "\n".join(json.dumps(d) for d in (doc if isinstance(doc, list) else [doc]))
    consume(text.encode(), "x.jsonl" if lines else "x.json", fmt)


@FAST
@given(doc=json_values, fmt=st.sampled_from(FORMATS))
def test_gzipped_and_truncated_inputs(doc, fmt):
    packed = gzip.compress(json.dumps(doc).encode(), mtime=0)
    consume(packed, "x.json.gz", fmt)
    consume(packed[: len(packed) // 2], "x.json.gz", fmt)


@FAST
@given(head=st.binary(max_size=400), name=st.sampled_from(NAMES))
def test_sniff_returns_a_format_or_raises(head, name):
    try:
        assert sniff(name, head) in FORMATS
    except InputError:
        pass


@FAST
@given(
    text=st.text(max_size=300)
    | st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<br>",
                "<blockquote>",
                "</blockquote>",
                "<pre>",
                "</pre>",
                "&amp;",
                "<script>",
                "</script>",
                "<![CDATA[",
                "<!--",
                "-->",
                "<",
                ">",
                "<![x[",
                "a",
                " ",
                "\n",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_html_and_quote_helpers_never_raise(text):
    rendered = html_to_text(text)
    assert isinstance(rendered, str)
    stripped = strip_quoted_email(rendered)
    assert not any(line.lstrip().startswith(">") for line in stripped.split("\n"))
