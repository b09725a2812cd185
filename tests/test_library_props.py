"""Property tests: whatever a library file holds, every library reader yields sound entries or raises InputError.

One test family per kind of input (raw bytes, library-shaped text, structured documents written as JSON, YAML
and CSV), each run for every library format and for sniffing (format None). Nothing but InputError may escape
iter_entries or apply_edits, an error is one line naming the file, and every entry's positions are in range.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.errors import InputError
from coach.library import FORMATS, Edit, Entry, LibraryOptions, apply_edits, iter_entries

FAST = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
NAMES = ("reply.md", "reply.txt", "lib.yaml", "lib.yml", "lib.json", "lib.csv", "lib.tsv", "lib.dat")
fmt_or_sniff = st.sampled_from((None,) + FORMATS)


def consume(folder: Path, name: str, data: bytes, fmt: str | None, encoding: str | None = None) -> list[Entry]:
    """Read the file; only InputError may escape. Check each entry's shape and that edits fail only cleanly."""
    path = folder / name
    path.write_bytes(data)
    options = LibraryOptions(format=fmt, encoding=encoding)
    try:
        entries = list(iter_entries(str(path), options))
    except InputError as exc:
        assert exc.message and exc.path == str(path)
        assert "\n" not in str(exc)
        return []
    for entry in entries:
        assert isinstance(entry, Entry) and entry.path == str(path) and isinstance(entry.text, str)
        assert entry.line >= 1 and entry.column >= 1
        for offset in {0, len(entry.text) // 2, len(entry.text)}:
            line, column = entry.locate(offset)
            assert line >= 1 and column >= 1
        assert all(0 <= a < b <= len(entry.text) for a, b in entry.masked)
        assert len(entry.lintable_text()) == len(entry.text)
    try:
        unchanged = apply_edits(str(path), [], options)
        if entries:
            first = entries[0]
            apply_edits(str(path), [Edit(first.key, 0, min(3, len(first.text)), "ok")], options)
    except InputError as exc:
        assert exc.message and "\n" not in str(exc)
    else:
        assert isinstance(unchanged, str)
    return entries


# ------------------------------------------------------------------------------------------- raw bytes
@FAST
@given(data=st.binary(max_size=600), fmt=fmt_or_sniff, name=st.sampled_from(NAMES))
def test_arbitrary_bytes_parse_or_raise_input_error(tmp_path_factory, data, fmt, name):
    consume(tmp_path_factory.mktemp("bytes"), name, data, fmt)


@FAST
@given(
    data=st.binary(max_size=300),
    fmt=fmt_or_sniff,
    name=st.sampled_from(NAMES),
    encoding=st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-8-sig", "ascii"]),
)
def test_arbitrary_bytes_with_an_encoding_parse_or_raise(tmp_path_factory, data, fmt, name, encoding):
    consume(tmp_path_factory.mktemp("enc"), name, data, fmt, encoding)


# --------------------------------------------------------------------------------- library-shaped text
PIECES = st.sampled_from(
    [
        "- name: a\n  body: ",
        "a: ",
        "macros:\n",
        "  - ",
        "body: |\n  ",
        "text: >\n  ",
        "&a ",
        "*a",
        "!!str ",
        "!!binary ",
        "!!python/name:os.system ",
        "? ",
        "{",
        "}",
        "[",
        "]",
        '"',
        "'",
        ",",
        ":",
        "\\u00e9",
        "\\",
        "---\n",
        "...\n",
        '{"name": "x", "body": "',
        '"}',
        '{"macros": [',
        "]}",
        "name,body\n",
        "x,",
        '"a ""b"""',
        "\t",
        "\r\n",
        "\r",
        "\n",
        "\ufeff",
        "\x00",
        "<!-- coach: ignore[blocking.policy] -- r -->",
        "# coach: ignore-file\n",
        "coach: ignore",
        "{{ticket.id}}",
        "{% if x %}",
        "<p>",
        "</p>",
        "<br>",
        "&amp;",
        "<![CDATA[",
        "**",
        "`",
        "_",
        "It's company policy.",
        "there's nothing I can do",
        "actions",
        "comment_value",
        "setResponseText",
        "content_html",
        "_embedded",
        "saved-replies",
        "type: macro",
    ]
)
library_text = st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=25).map("".join)


@FAST
@given(text=library_text, fmt=fmt_or_sniff, name=st.sampled_from(NAMES))
def test_library_shaped_text_parses_or_raises(tmp_path_factory, text, fmt, name):
    consume(tmp_path_factory.mktemp("text"), name, text.encode("utf-8", "surrogatepass"), fmt)


# ---------------------------------------------------------------------------------- structured documents
KEYS = st.sampled_from(
    [
        "name",
        "title",
        "key",
        "id",
        "body",
        "text",
        "content",
        "message",
        "macros",
        "replies",
        "data",
        "items",
        "macro",
        "actions",
        "field",
        "value",
        "comment_value",
        "comment_value_html",
        "arguments",
        "body_text",
        "body_html",
        "type",
        "content_html",
        "folder_id",
        "canned_responses",
        "_embedded",
        "saved-replies",
        "savedReplies",
        "preview",
        "_links",
        "coach",
        "ignore",
        "reason",
    ]
) | st.text(max_size=6)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(
        [
            "setResponseText",
            "comment_value",
            "macro",
            "list",
            "It's company policy.",
            "<p>Sorry, it's <b>policy</b></p>",
            "ignore[blocking]",
            "",
        ]
    )
    | st.text(max_size=12)
)
documents = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5), max_leaves=20
)


@FAST
@given(doc=documents, fmt=fmt_or_sniff, indent=st.sampled_from([None, 1]))
def test_json_documents_parse_or_raise(tmp_path_factory, doc, fmt, indent):
    consume(tmp_path_factory.mktemp("json"), "lib.json", json.dumps(doc, indent=indent).encode(), fmt)


@FAST
@given(
    doc=documents,
    fmt=fmt_or_sniff,
    style=st.sampled_from([None, '"', "'", "|"]),
    flow=st.sampled_from([None, True, False]),
)
def test_yaml_documents_parse_or_raise(tmp_path_factory, doc, fmt, style, flow):
    text = yaml.safe_dump(doc, allow_unicode=True, default_style=style, default_flow_style=flow, width=20)
    consume(tmp_path_factory.mktemp("yaml"), "lib.yaml", text.encode("utf-8"), fmt)


@FAST
@given(
    rows=st.lists(st.lists(st.text(max_size=10) | SCALARS.map(str), max_size=4), max_size=6),
    header=st.lists(KEYS, min_size=1, max_size=4),
    fmt=st.sampled_from([None, "csv"]),
    name=st.sampled_from(["lib.csv", "lib.tsv"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_csv_documents_parse_or_raise(tmp_path_factory, rows, header, fmt, name, newline):
    out = io.StringIO()
    csv.writer(out, delimiter="\t" if name.endswith(".tsv") else ",", lineterminator=newline).writerows([header, *rows])
    consume(tmp_path_factory.mktemp("csv"), name, out.getvalue().encode("utf-8", "surrogatepass"), fmt)
