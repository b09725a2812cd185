"""Bad input loses nothing: every class of broken file, end to end through `coach score` and `coach check`.

Each test mixes the bad file(s) with a good one in the same batch and checks the contract: the exit code
(score/check: 3 when an input was reported and skipped; lint: 2), one line naming the file (and line where
that means something), no traceback, and the good file still scored or checked. The reader-level unit tests
live in test_readers.py / test_library.py; phrasebook loading in test_phrasebook_load.py; faults in
test_faults.py. docs/reliability.md maps each class to its test.
"""

from __future__ import annotations

import codecs
import gzip
import json
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden" / "phrasebook.yaml"
TRANSCRIPTS = DATA / "transcripts"
runner = CliRunner()

BLOCKING = "Sadly there's nothing I can do."
GOOD_LINE = (
    json.dumps(
        {
            "id": "good-1",
            "turns": [{"speaker": "customer", "text": "Where is my parcel?"}, {"speaker": "agent", "text": BLOCKING}],
        }
    )
    + "\n"
)
GOOD_REPLY = "Sadly there is nothing we can do.\n"


# ----------------------------------------------------------------------------------------------- helpers
def score(*args: str):
    return runner.invoke(
        app, ["score", "--no-progress", "--no-defaults", "-p", str(GOLDEN), "--format", "jsonl", *args]
    )


def check(*args: str):
    return runner.invoke(app, ["check", "--no-defaults", "-p", str(GOLDEN), "--format", "json", *args])


def no_traceback(r) -> None:
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output


def lines_naming(r, path: Path | str) -> list[str]:
    return [line for line in r.stderr.splitlines() if str(path) in line]


def one_line(r, path: Path | str, *words: str, line: int | None = None, kind: str = "warning") -> str:
    """The single stderr line about `path`: `coach: <kind>: PATH[:LINE]: ...` containing every word."""
    found = lines_naming(r, path)
    assert len(found) == 1, r.stderr
    (text,) = found
    where = f"{path}:{line}:" if line is not None else f"{path}:"
    assert text.startswith(f"coach: {kind}: {where}"), text
    for word in words:
        assert word in text, text
    return text


def scored(r) -> dict[str, dict]:
    """Conversation id -> its report, from `--format jsonl` output."""
    return {row["conversation"]: row for row in map(json.loads, r.stdout.splitlines())}


def checked(r) -> dict:
    return json.loads(r.stdout)


def entries_of(doc: dict, path: Path) -> list[dict]:
    return [e for e in doc["entries"] if e["path"] == str(path)]


@pytest.fixture
def good(tmp_path: Path) -> Path:
    """A good transcript to score beside the bad ones."""
    path = tmp_path / "good.jsonl"
    path.write_text(GOOD_LINE, encoding="utf-8")
    return path


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    """A folder for library files, with its own empty config (no settings leak in from above) and a good reply."""
    folder = tmp_path / "lib"
    folder.mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.coach]\n", encoding="utf-8")
    (folder / "good.md").write_text(GOOD_REPLY, encoding="utf-8")
    return folder


def good_checked(r, lib: Path) -> None:
    doc = checked(r)
    (entry,) = entries_of(doc, lib / "good.md")
    assert [f["rule"] for f in entry["findings"]] == ["blocking.nothing-i-can-do"]


# ==================================================================================== transcripts: score
def test_score_invalid_utf8_one_warning_with_offset_and_encoding_override(tmp_path, good):
    bad = tmp_path / "latin.txt"
    bad.write_bytes(b"Customer: caf\xe9?\nAgent: Sorry, \xff " + BLOCKING.encode() + b"\n")
    r = score(str(good), str(bad))
    no_traceback(r)
    assert r.exit_code == 0, r.stderr  # decoded with replacement: a warning, not a failure
    one_line(r, bad, "invalid UTF-8 at byte 13", "--encoding")
    convs = scored(r)
    assert set(convs) == {"good-1", "latin"}
    assert convs["latin"]["turns"][0]["text"] == "caf\ufffd?"
    r = score(str(bad), "--encoding", "cp1252")
    assert r.exit_code == 0 and lines_naming(r, bad) == [], r.stderr
    assert scored(r)["latin"]["turns"][0]["text"] == "café?"


def test_score_utf8_and_utf16_boms(tmp_path, good):
    utf8 = tmp_path / "bom8.jsonl"
    utf8.write_bytes(codecs.BOM_UTF8 + GOOD_LINE.replace("good-1", "bom8").encode())
    chat = f"Customer: Hello\r\nAgent: {BLOCKING}\r\n"
    le, be = tmp_path / "bom16le.txt", tmp_path / "bom16be.txt"
    le.write_bytes(chat.encode("utf-16"))  # BOM + little endian
    be.write_bytes(codecs.BOM_UTF16_BE + chat.encode("utf-16-be"))
    r = score(str(good), str(utf8), str(le), str(be))
    no_traceback(r)
    assert r.exit_code == 0 and r.stderr == "", r.stderr
    convs = scored(r)
    assert set(convs) == {"good-1", "bom8", "bom16le", "bom16be"}
    for conv in ("bom8", "bom16le", "bom16be"):
        turns = convs[conv]["turns"]
        assert [t["speaker"] for t in turns] == ["customer", "agent"]
        assert turns[1]["text"] == BLOCKING and turns[1]["findings"][0]["rule"] == "blocking.nothing-i-can-do"


def test_score_crlf_and_lone_cr(tmp_path, good):
    crlf, cr = tmp_path / "crlf.txt", tmp_path / "cr.txt"
    crlf.write_bytes(f"Customer: one\r\ntwo\r\nAgent: {BLOCKING}\r\n".encode())
    cr.write_bytes(f"Customer: one\rtwo\rAgent: {BLOCKING}\r".encode())
    r = score(str(good), str(crlf), str(cr))
    no_traceback(r)
    assert r.exit_code == 0 and r.stderr == "", r.stderr
    convs = scored(r)
    for name in ("crlf", "cr"):
        turns = convs[name]["turns"]
        assert [(t["speaker"], t["text"]) for t in turns] == [("customer", "one\ntwo"), ("agent", BLOCKING)]
        assert turns[1]["findings"][0]["column"] == 7


def test_score_nul_bytes_and_binaries_are_skipped_with_a_reason(tmp_path, good):
    nul = tmp_path / "nul.jsonl"
    nul.write_bytes(GOOD_LINE.encode().replace(b"good-1", b"n\x00ul"))
    png = tmp_path / "image.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    packed = tmp_path / "blob.jsonl.gz"
    packed.write_bytes(gzip.compress(bytes(range(256)) * 8, mtime=0))
    r = score(str(good), str(nul), str(png), str(packed))
    no_traceback(r)
    assert r.exit_code == 3
    for path in (nul, png, packed):
        text = one_line(r, path, "binary file, skipped")
        assert text.count("skipped") == 1, text
    assert set(scored(r)) == {"good-1"}
    assert "3 input problem(s); 1 conversations scored" in r.stderr


def test_score_empty_files_warn_and_do_not_fail(tmp_path, good):
    empties = {
        "empty.jsonl": b"",
        "bom-only.txt": codecs.BOM_UTF8,
        "blank.csv": b"  \r\n\n",
        "empty.vtt.gz": gzip.compress(b"", mtime=0),
    }
    for name, data in empties.items():
        (tmp_path / name).write_bytes(data)
    r = score(str(good), *(str(tmp_path / name) for name in empties))
    no_traceback(r)
    assert r.exit_code == 0, r.stderr
    for name in empties:
        one_line(r, tmp_path / name, "empty file")
    assert set(scored(r)) == {"good-1"}


@pytest.mark.slow
def test_score_100_mb_single_line_and_huge_json(tmp_path, good):
    line = tmp_path / "one-line.txt"
    with line.open("wb") as out:  # 100 MB with no line break
        out.write(b"Agent: ")
        chunk = b"lorem ipsum dolor sit amet " * 40_000
        for _ in range(100 * 1024 * 1024 // len(chunk) + 1):
            out.write(chunk)
    huge = tmp_path / "huge.json"
    with huge.open("w", encoding="utf-8") as out:  # a 70 MB whole-file export, over the 64 MB JSON cap
        out.write('{"conversations": [\n')
        row = json.dumps({"id": "x", "turns": [{"speaker": "agent", "text": "lorem ipsum " * 50}]})
        for _ in range(70 * 1024 * 1024 // len(row)):
            out.write(row + ",\n")
        out.write(GOOD_LINE.strip() + "]}\n")
    started = time.monotonic()
    r = score(str(line), str(huge), str(good))
    elapsed = time.monotonic() - started
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, line, "longer than 64 MB", "skipped", line=1)
    one_line(r, huge, "JSON document larger than 64 MB")
    assert set(scored(r)) == {"good-1"}
    assert elapsed < 20, f"took {elapsed:.1f}s"


def test_score_overlong_message_is_reported_and_the_rest_of_the_file_scored(tmp_path, good):
    mixed = tmp_path / "mixed.jsonl"
    long_text = "lorem ipsum " * 100_000  # 1.2 million characters in one message
    mixed.write_text(
        GOOD_LINE.replace("good-1", "before")
        + json.dumps({"id": "long", "turns": [{"speaker": "agent", "text": long_text}]})
        + "\n"
        + GOOD_LINE.replace("good-1", "after"),
        encoding="utf-8",
    )
    r = score(str(good), str(mixed))
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, mixed, "'long'", "1,200,000 characters", "1,000,000-character limit", line=2)
    assert set(scored(r)) == {"good-1", "before", "after"}


def test_score_deeply_nested_json(tmp_path, good):
    deep_line = tmp_path / "deep.jsonl"
    deep_line.write_text(
        GOOD_LINE.replace("good-1", "a")
        + "[" * 100_000
        + "\n"
        + '{"id": "b", "x": '
        + "[" * 100_000
        + "]" * 100_000
        + "}\n"
        + GOOD_LINE.replace("good-1", "c"),
        encoding="utf-8",
    )
    deep_doc = tmp_path / "deep.json"
    deep_doc.write_text('{"comments": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    zendesk = tmp_path / "zendesk.json"
    shutil.copy(TRANSCRIPTS / "zendesk_comments.json", zendesk)
    r = score(str(good), str(deep_line))
    no_traceback(r)
    assert r.exit_code == 3
    assert lines_naming(r, deep_line) == [
        f"coach: warning: {deep_line}:{n}: JSON nested too deeply; skipped" for n in (2, 3)
    ]
    assert set(scored(r)) == {"good-1", "a", "c"}
    r = score("--format-in", "zendesk", str(zendesk), str(deep_doc))
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, deep_doc, "nested too deeply")
    assert len(scored(r)) == 1


def test_score_huge_whole_file_json_is_refused(tmp_path, good, monkeypatch):
    import coach.readers._json as readers_json

    monkeypatch.setattr(readers_json, "MAX_JSON_CHARS", 10_000)
    big = tmp_path / "export.json"
    big.write_text(json.dumps({"conversations": [json.loads(GOOD_LINE)] * 100}, indent=1), encoding="utf-8")
    one = tmp_path / "one-line.json"  # the cap must hold for a document on a single line too (a list: a
    one.write_text(json.dumps([json.loads(GOOD_LINE)] * 100), encoding="utf-8")  # one-line object is JSON Lines)
    r = score(str(big), str(one), str(good))
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, big, "JSON document larger than 0 MB", "JSON Lines")
    one_line(r, one, "JSON document larger than 0 MB")
    assert set(scored(r)) == {"good-1"}


def test_score_missing_or_wrongly_typed_fields(tmp_path, good):
    records = tmp_path / "records.jsonl"
    records.write_text(
        "\n".join(
            [
                json.dumps({"id": "no-turns"}),
                json.dumps({"id": "ok", "turns": [{"speaker": "agent", "text": BLOCKING}]}),
                json.dumps({"id": "bad-text", "turns": [{"speaker": "agent", "text": 42}]}),
                json.dumps({"id": ["list"], "turns": []}),
                json.dumps({"id": "bad-speaker", "turns": [{"speaker": "boss", "text": "hi"}]}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    no_text = tmp_path / "no-text.csv"
    no_text.write_text("conversation_id,role,note\n1,agent,hi\n", encoding="utf-8")
    short = tmp_path / "short.csv"
    short.write_text(f"conversation_id,role,text\n1,agent,{BLOCKING}\n1,customer\n2,agent,fine\n", encoding="utf-8")
    r = score(str(good), str(records), str(no_text), str(short))
    no_traceback(r)
    assert r.exit_code == 3
    problems = lines_naming(r, records)
    assert [p.split(": ", 3)[2] for p in problems] == [f"{records}:1", f"{records}:3", f"{records}:4", f"{records}:5"]
    assert "missing field 'turns'" in problems[0] and "'turns[0].text' must be a string" in problems[1]
    assert "'id' must be a string or number" in problems[2] and "turns[0].speaker" in problems[3]
    one_line(r, no_text, "no text column", "--text-column", line=1)
    one_line(r, short, "row has 2 cells", line=3)
    assert set(scored(r)) == {"good-1", "ok", "1", "2"}
    assert "6 input problem(s)" in r.stderr


def test_score_messages_stay_one_line_when_the_input_holds_line_breaks(tmp_path, good):
    header = tmp_path / "header.csv"
    header.write_text('conversation_id,role,"not\ntext"\n1,agent,hi\n', encoding="utf-8")
    ids = tmp_path / "ids.jsonl"
    ids.write_text(json.dumps({"id": "a\nb", "turns": []}) + "\n", encoding="utf-8")
    r = score(str(good), str(header), str(ids))
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, header, "no text column", "header: conversation_id, role, not\\ntext")
    one_line(r, ids, "conversation a\\nb has no readable messages", line=1)
    assert set(scored(r)) == {"good-1"}


def test_score_truncated_gzip_keeps_what_was_read(tmp_path, good):
    rows = "".join(
        json.dumps({"id": f"c{i}", "turns": [{"speaker": "agent", "text": f"{i} " + "x" * 40}]}) + "\n"
        for i in range(3000)
    )
    packed = gzip.compress(rows.encode(), mtime=0)
    cut = tmp_path / "export.jsonl.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    r = score(str(good), str(cut))
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, cut, "truncated or corrupt gzip file", "re-download")
    convs = scored(r)
    assert "good-1" in convs and 100 < len(convs) - 1 < 3000  # the conversations before the cut are kept
    assert all(c == "good-1" or c.startswith("c") for c in convs)


def test_score_vtt_and_srt_garbage(tmp_path):
    good_vtt = tmp_path / "call.vtt"
    shutil.copy(TRANSCRIPTS / "call.vtt", good_vtt)
    cases = {
        "no-cues.vtt": (b"WEBVTT\n\nthis is not a cue\n\n--> -->\n", "no cues found"),
        "no-speakers.vtt": (b"WEBVTT\n\n00:01.000 --> 00:02.000\nhello\n", "no speaker names found"),
        "noise.srt": (b"1\n00:00 --> \nlorem\n\n2\nxx --> yy\n\n-->\n", "no cues found"),
        "binary.vtt": (b"WEBVTT\n\x00\x01\x02" + bytes(range(256)), "binary file"),
    }
    for name, (data, _) in cases.items():
        (tmp_path / name).write_bytes(data)
    r = score(str(good_vtt), *(str(tmp_path / name) for name in cases))
    no_traceback(r)
    assert r.exit_code == 3
    for name, (_, message) in cases.items():
        one_line(r, tmp_path / name, message)
    assert set(scored(r)) == {"call"}


@pytest.mark.parametrize(
    "name, body",
    [
        ("dashes.txt", "-" * 200_000 + "x\nAgent: hi\nCustomer: ok\n"),
        ("dash-runs.txt", "--- " + "- " * 100_000 + "x\nAgent: hi\nCustomer: ok\n"),
        ("equals.txt", "=" * 200_000 + "x\nAgent: hi\nCustomer: ok\n"),
        (
            "voices.vtt",
            "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Sam>hi\n\n00:02.000 --> 00:03.000\n" + "<v a" * 50_000 + "\n",
        ),
        (
            "blanks.json",
            json.dumps(
                {
                    "users": [{"id": 1, "role": "agent", "name": "Sam"}],
                    "comments": [{"author_id": 1, "plain_body": "hi" + " " * 200_000 + "there"}],
                }
            ),
        ),
    ],
)
def test_score_long_lines_stay_linear(tmp_path, good, name, body):
    # These lines made the text/VTT/body-cleaning regexes backtrack quadratically (minutes for 200 KB). The
    # text-format ones sit before the first speaker line, so only the reader sees them, not the tokenizer.
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    started = time.monotonic()
    r = score(str(good), str(path))
    no_traceback(r)
    assert time.monotonic() - started < 10
    assert r.exit_code == 0 and r.stderr.count("\n") <= 1, r.stderr  # at most the ignored-preamble warning
    assert len(scored(r)) == 2


# ===================================================================================== libraries: check
def test_check_invalid_utf8_names_file_line_and_byte_and_encoding_override(lib):
    bad = lib / "latin.yaml"
    bad.write_bytes(b"greeting: Hello\nrefusal: caf\xe9 - it's company policy\nother: \xff\n")
    r = check(str(lib))
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, bad, "cannot decode the file as utf-8 at byte 28", "--encoding", line=2, kind="error")
    good_checked(r, lib)
    assert entries_of(checked(r), bad) == []
    r = check(str(bad), "--encoding", "cp1252")
    no_traceback(r)
    assert r.exit_code == 1 and r.stderr == "", r.stderr
    (finding,) = [f for e in entries_of(checked(r), bad) for f in e["findings"]]
    assert finding["rule"] == "blocking.policy" and (finding["file_line"], finding["file_column"]) == (2, 17)


def test_check_utf8_and_utf16_boms(lib):
    utf8 = lib / "bom8.yaml"
    utf8.write_bytes(codecs.BOM_UTF8 + b"a: fine\nb: It's company policy.\n")
    le = lib / "bom16.md"
    le.write_bytes("Hi!\r\nIt's company policy.\r\n".encode("utf-16"))
    be = lib / "bom16be.json"
    be.write_bytes(codecs.BOM_UTF16_BE + '[{"name": "x", "body": "It\'s company policy."}]'.encode("utf-16-be"))
    r = check(str(lib))
    no_traceback(r)
    assert r.exit_code == 1 and r.stderr == "", r.stderr
    doc = checked(r)
    good_checked(r, lib)
    located = {
        Path(f["path"]).name: (f["file_line"], f["file_column"])
        for e in doc["entries"]
        for f in e["findings"]
        if f["rule"] == "blocking.policy"
    }
    assert located == {"bom8.yaml": (2, 4), "bom16.md": (2, 1), "bom16be.json": (1, 25)}


def test_check_crlf_and_lone_cr_locations(lib):
    for name, data in {
        "crlf.yaml": b"a: one\r\nb: It's company policy.\r\n",
        "cr.yaml": b"a: one\rb: It's company policy.\r",
        "cr.md": b"Hello.\rIt's company policy.\r",
    }.items():
        (lib / name).write_bytes(data)
    r = check(str(lib))
    no_traceback(r)
    assert r.exit_code == 1 and r.stderr == "", r.stderr
    doc = checked(r)
    located = {
        Path(f["path"]).name: (f["file_line"], f["file_column"])
        for e in doc["entries"]
        for f in e["findings"]
        if f["rule"] == "blocking.policy"
    }
    assert located == {"crlf.yaml": (2, 4), "cr.yaml": (2, 4), "cr.md": (2, 1)}


def test_check_nul_bytes_and_binaries_are_skipped_with_a_reason(lib):
    (lib / "nul.md").write_bytes(b"It's company policy.\x00\x00")
    (lib / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (lib / "export.json").write_bytes(gzip.compress(b'[{"name": "a", "body": "x"}]', mtime=0))
    r = check(str(lib))
    no_traceback(r)
    assert r.exit_code == 3
    for name in ("nul.md", "image.txt", "export.json"):
        one_line(r, lib / name, "binary file, skipped", kind="error")
    good_checked(r, lib)
    assert len(checked(r)["errors"]) == 3


def test_check_empty_files_have_no_replies(lib):
    for name in ("empty.md", "empty.yaml", "empty.json", "empty.csv", "blank.txt"):
        (lib / name).write_bytes(b"" if name != "blank.txt" else codecs.BOM_UTF8 + b" \r\n\n")
    r = check(str(lib))
    no_traceback(r)
    assert r.exit_code == 1 and r.stderr == "", r.stderr  # 1: the good reply's finding; nothing else to say
    doc = checked(r)
    assert [e["path"] for e in doc["entries"]] == [str(lib / "good.md")] and doc["errors"] == []


@pytest.mark.slow
def test_check_100_mb_single_line_and_huge_json(lib):
    line = lib / "one-line.md"
    with line.open("wb") as out:
        chunk = b"lorem ipsum dolor sit amet " * 40_000
        for _ in range(100 * 1024 * 1024 // len(chunk) + 1):
            out.write(chunk)
    huge = lib / "huge.json"
    with huge.open("w", encoding="utf-8") as out:
        out.write("[\n")
        row = json.dumps({"name": "x", "body": "lorem ipsum " * 50})
        for _ in range(70 * 1024 * 1024 // len(row)):
            out.write(row + ",\n")
        out.write(json.dumps({"name": "last", "body": "fine"}) + "]\n")
    started = time.monotonic()
    r = check(str(lib))
    elapsed = time.monotonic() - started
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, line, "larger than 64 MB", "split", kind="error")
    one_line(r, huge, "larger than 64 MB", kind="error")
    good_checked(r, lib)
    assert elapsed < 20, f"took {elapsed:.1f}s"


def test_check_overlong_reply_is_refused(lib):
    (lib / "long.md").write_text("lorem ipsum " * 100_000, encoding="utf-8")
    (lib / "long.yaml").write_text("short: fine\nlong: " + "lorem ipsum " * 100_000 + "\n", encoding="utf-8")
    r = check(str(lib))
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, lib / "long.md", "the reply is 1,200,000 characters", "1,000,000-character limit", line=1, kind="error")
    one_line(r, lib / "long.yaml", "reply 'long' is 1,199,999 characters", line=2, kind="error")
    good_checked(r, lib)


def test_check_deeply_nested_json_and_yaml(lib):
    (lib / "deep.json").write_text("[" * 100_000, encoding="utf-8")
    (lib / "deep-closed.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (lib / "deep.yaml").write_text("[" * 100_000, encoding="utf-8")
    r = check(str(lib))  # was: a RecursionError traceback that stopped the whole run
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, lib / "deep.json", "nesting too deep", line=1, kind="error")
    one_line(r, lib / "deep-closed.json", "nesting too deep", line=1, kind="error")
    one_line(r, lib / "deep.yaml", "nested too deeply", kind="error")
    good_checked(r, lib)


def test_check_huge_library_file_is_refused(lib, monkeypatch):
    from coach import textinput

    monkeypatch.setattr(textinput, "MAX_FILE_BYTES", 10_000)
    big = lib / "export.json"
    big.write_text(
        json.dumps([{"name": f"r{i}", "body": "It's company policy."} for i in range(500)]), encoding="utf-8"
    )
    r = check(str(lib))
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, big, "the file is larger than 0 MB", "split the library", kind="error")
    good_checked(r, lib)


def test_check_missing_or_wrongly_typed_fields(lib):
    files = {
        "number.json": (
            '[{"name": "a", "body": "fine"},\n {"name": "b", "body": 42}]',
            "the reply text 'body' must be a string",
            2,
        ),
        "list.yaml": ("- name: a\n  body: [not, text]\n", "the reply text 'body' must be a string", 2),
        "no-text.csv": ("name,note\na,hi\n", "no text column", 1),
        "short-row.csv": ("name,body\na,fine\nIt's company policy.\n", "row has 1 cell(s); the 'body' column", 3),
        "zendesk.json": (
            '{"macros": [{"title": "x",\n "actions": [{"field": "comment_value", "value": 5}]}]}',
            "a comment action's value must be text",
            2,
        ),
        "scalar.json": ("42", "no replies found", 1),
    }
    for name, (content, _, _) in files.items():
        (lib / name).write_text(content, encoding="utf-8")
    (lib / "no-body.json").write_text(
        '[{"name": "category only"}, {"name": "b", "body": "It\'s company policy."}]', encoding="utf-8"
    )
    r = check(str(lib))
    no_traceback(r)
    assert r.exit_code == 3
    for name, (_, message, line) in files.items():
        one_line(r, lib / name, message, line=line, kind="error")
    good_checked(r, lib)
    (entry,) = entries_of(checked(r), lib / "no-body.json")  # an object without a text key is not a reply
    assert entry["key"] == "b" and entry["findings"][0]["rule"] == "blocking.policy"


def test_check_messages_stay_one_line_when_the_input_holds_line_breaks(lib):
    (lib / "header.csv").write_text('name,"not\nbody"\na,hi\n', encoding="utf-8")
    (lib / "control.yaml").write_text("a: fine\nb: x\x1fy\n", encoding="utf-8")
    r = check(str(lib))
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, lib / "header.csv", "no text column (columns: name, not\\nbody)", line=1, kind="error")
    one_line(r, lib / "control.yaml", "unacceptable character #x001f", line=2, kind="error")
    good_checked(r, lib)


def test_check_gzip_is_not_a_library_format(lib):
    packed = gzip.compress(b'[{"name": "a", "body": "It\'s company policy."}]', mtime=0)
    (lib / "export.json.gz").write_bytes(packed[: len(packed) // 2])
    r = check(str(lib))  # found in a folder: not a library extension, not read
    no_traceback(r)
    assert r.exit_code == 1 and r.stderr == "", r.stderr
    r = check(str(lib / "good.md"), str(lib / "export.json.gz"))  # named: refused with a reason
    no_traceback(r)
    assert r.exit_code == 3
    one_line(r, lib / "export.json.gz", "binary file, skipped", kind="error")
    good_checked(r, lib)


def test_check_malformed_html_bodies(lib):
    # The library analog of VTT/SRT garbage: broken markup in helpdesk HTML bodies. Whatever html.parser
    # makes of it (or gives up on: then the body is read as written), the reply is checked and located.
    bodies = {
        "gave-up": "<p><b>Hi <![bogus[ <div class=x> It's company policy. </p",
        "mismatched": "<p><b>Hi</i> It's company policy.</p></div></span>",
        "table": "<table><tr><td>It's company policy.<td></table></table>",
        "entities": "<p>Hi &bogus; &#xZZ; <b>It's company policy.</b> <a href=\"x>y",
        "unclosed": "<p>It's company policy. <br",
    }
    export = lib / "zendesk.json"
    export.write_text(
        json.dumps(
            {
                "macros": [
                    {"title": key, "actions": [{"field": "comment_value_html", "value": v}]}
                    for key, v in bodies.items()
                ]
            }
        ),
        encoding="utf-8",
    )
    r = check(str(lib))
    no_traceback(r)
    assert r.exit_code == 1 and r.stderr == "", r.stderr
    raw = export.read_text(encoding="utf-8")
    entries = entries_of(checked(r), export)
    assert [e["key"] for e in entries] == list(bodies)
    for entry in entries:
        (finding,) = entry["findings"]
        assert finding["file_line"] == 1
        assert raw[finding["file_column"] - 1 :].startswith("It's company policy"), entry["key"]
    good_checked(r, lib)


def test_check_yaml_alias_bomb_and_recursive_alias_are_refused(lib):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for prev, name in zip("abcdefg", "bcdefgh"):
        bomb += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    bomb += 'reply: {body: "It\'s company policy.", coach: *h}\n'
    (lib / "bomb.yaml").write_text(bomb, encoding="utf-8")
    (lib / "loop.yaml").write_text("a: &a\n  body: hi\n  more: *a\n", encoding="utf-8")
    started = time.monotonic()
    r = check(str(lib), "--fix")  # --fix walks the whole tree: an expanded bomb took minutes
    no_traceback(r)
    assert time.monotonic() - started < 10
    assert r.exit_code == 3
    one_line(r, lib / "bomb.yaml", "values after expanding aliases; refusing", line=6, kind="error")
    one_line(r, lib / "loop.yaml", "alias refers to the value that contains it", kind="error")
    assert (lib / "good.md").read_text(encoding="utf-8") != GOOD_REPLY  # the good file was still fixed


def test_check_yaml_python_tags_are_refused_and_never_run(lib, tmp_path):
    marker = tmp_path / "pwned"
    (lib / "tagged.yaml").write_text(f'reply: !!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")
    (lib / "tagged-root.yaml").write_text(f'!!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")
    (lib / "tagged-scalar.yaml").write_text("reply: !!python/name:os.system ''\n", encoding="utf-8")
    r = check(str(lib))
    no_traceback(r)
    assert r.exit_code == 3 and not marker.exists()
    one_line(r, lib / "tagged.yaml", "unsupported YAML tag !!python/object/apply:os.system", line=1, kind="error")
    one_line(r, lib / "tagged-root.yaml", "unsupported YAML tag", line=1, kind="error")
    one_line(r, lib / "tagged-scalar.yaml", "invalid YAML value", "python/name:os.system", line=1, kind="error")
    good_checked(r, lib)


def test_check_fix_keeps_encoding_bom_and_line_ends(lib):
    fixed = "Here's what I can do"  # the hedge goes with the refusal
    text = "Caf\u00e9 note. Sadly there's nothing I can do.\r\n"
    files = {
        "utf16.md": (
            text.encode("utf-16"),
            [],
            lambda b: (
                b.startswith(codecs.BOM_UTF16_LE)
                and b.decode("utf-16") == text.replace("Sadly there's nothing I can do", fixed)
            ),
        ),
        "latin.md": (
            text.encode("latin-1"),
            ["--encoding", "latin-1"],
            lambda b: b == text.replace("Sadly there's nothing I can do", fixed).encode("latin-1"),
        ),
        "cr.md": (
            text.replace("\r\n", "\r").encode() + b"Next line.\r",
            [],
            lambda b: (
                b
                == (
                    text.replace("\r\n", "\r").replace("Sadly there's nothing I can do", fixed) + "Next line.\r"
                ).encode()
            ),
        ),
    }
    for name, (data, options, ok) in files.items():
        path = lib / name
        path.write_bytes(data)
        r = runner.invoke(app, ["check", "--no-defaults", "-p", str(GOLDEN), "--fix", str(path), *options])
        no_traceback(r)
        assert r.exit_code == 0, r.stderr
        assert ok(path.read_bytes()), (name, path.read_bytes())


# ======================================================================================= untrusted phrasebooks
def test_phrasebook_python_tag_is_never_run(tmp_path):
    marker = tmp_path / "pwned"
    book = tmp_path / "evil.yaml"
    book.write_text(f'!!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")
    r = runner.invoke(app, ["lint", "--no-defaults", "-p", str(book), "There's nothing I can do."])
    no_traceback(r)
    assert r.exit_code == 2 and not marker.exists()
    assert r.stderr == (
        f"coach: error: {book}:1: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' "
        "is not allowed in a phrasebook; remove it\n"
    )
    book.write_text(
        f"""\
rules:
  - id: blocking.demo
    category: blocking
    phrases: !!python/object/apply:os.system ["touch {marker}"]
    rewrites: [a, b]
    examples: {{match: ["touch {marker}"], no_match: ["b"]}}
""",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["lint", "--no-defaults", "-p", str(book), "hello"])
    no_traceback(r)
    assert not marker.exists()  # composed, never constructed: the tag cannot run anything


def test_phrasebook_python_tag_on_a_value_is_refused():
    from coach.errors import PhrasebookErrors
    from coach.phrasebook import parse_phrasebook

    with pytest.raises(PhrasebookErrors, match="tag"):
        parse_phrasebook(
            "rules:\n  - id: blocking.x\n    category: blocking\n"
            '    phrases: !!python/object/apply:os.system ["echo hi"]\n'
            '    rewrites: [a, b]\n    examples: {match: ["echo hi"], no_match: ["b"]}\n',
            "book.yaml",
        )


# ================================================================================================ lint
def test_lint_bad_input_file_exits_2(tmp_path):
    missing = tmp_path / "missing.txt"
    r = runner.invoke(app, ["lint", "--no-defaults", "-p", str(GOLDEN), "--file", str(missing)])
    no_traceback(r)
    assert r.exit_code == 2
    assert r.stderr == f"coach: error: {missing}: file not found (check the path)\n"
    latin = tmp_path / "draft.txt"
    latin.write_bytes(b"Caf\xe9: there's nothing I can do.\r\n")
    r = runner.invoke(app, ["lint", "--no-defaults", "-p", str(GOLDEN), "--format", "json", "--file", str(latin)])
    no_traceback(r)
    assert r.exit_code == 1  # a finding; the bad byte is only a warning
    assert r.stderr == f"coach: warning: {latin}: invalid UTF-8 at byte 3; decoded with replacement\n"
