"""The one BOM table, binary probe and size limit both the transcript readers and the library use."""

import codecs

import pytest

from coach import textinput
from coach.errors import InputError
from coach.textinput import detect_bom, file_encoding, looks_binary, read_whole

TEXT = "Thanks for waiting\n"


@pytest.mark.parametrize(
    "head, streamed, skip, whole",
    [
        (codecs.BOM_UTF8 + b"hi", "utf-8", 3, "utf-8"),
        (codecs.BOM_UTF16_LE + "hi".encode("utf-16-le"), "utf-16", 0, "utf-16-le"),
        (codecs.BOM_UTF16_BE + "hi".encode("utf-16-be"), "utf-16", 0, "utf-16-be"),
        (codecs.BOM_UTF32_LE + "hi".encode("utf-32-le"), "utf-32", 0, "utf-32-le"),  # not mistaken for UTF-16-LE
        (codecs.BOM_UTF32_BE + "hi".encode("utf-32-be"), "utf-32", 0, "utf-32-be"),
        (b"hi", None, 0, "utf-8"),
        (b"", None, 0, "utf-8"),
    ],
)
def test_a_bom_names_the_codec_for_streams_and_for_whole_files(head, streamed, skip, whole):
    assert detect_bom(head) == (streamed, skip)
    assert file_encoding(head) == whole
    assert file_encoding(head, "cp1252") == "cp1252"  # a codec given wins over any BOM


@pytest.mark.parametrize(
    "head, encoding, binary",
    [
        (b"PK\x03\x04\x00\x00", "utf-8", True),
        ("hi".encode("utf-16-le"), "utf-16-le", False),  # NULs are how UTF-16 spells ASCII
        ("hi".encode("utf-32"), "utf-32", False),
        (b"plain text", "utf-8", False),
        (b"x" * textinput.BINARY_PROBE + b"\x00", "utf-8", False),  # past the probe
    ],
)
def test_nul_bytes_mean_binary_unless_the_codec_is_wide(head, encoding, binary):
    assert looks_binary(head, encoding) is binary


@pytest.mark.parametrize(
    "data, encoding, expected",
    [
        (TEXT.encode("utf-8"), None, (TEXT, "utf-8")),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), None, ("\ufeff" + TEXT, "utf-8")),  # the caller strips it
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), None, ("\ufeff" + TEXT, "utf-16-le")),
        ("Café\n".encode("cp1252"), "cp1252", ("Café\n", "cp1252")),
    ],
)
def test_read_whole_decodes_with_the_codec_it_reports(tmp_path, data, encoding, expected):
    path = tmp_path / "replies.txt"
    path.write_bytes(data)
    assert read_whole(str(path), encoding) == expected


@pytest.mark.parametrize(
    "data, encoding, message, line",
    [
        (b"ok\nok\n\xff\n", None, "cannot decode the file as utf-8 at byte 6", 3),
        (b"\x00\x01binary", None, "binary file, skipped", None),
        (b"ok", "no-such-codec", "unknown encoding 'no-such-codec'", None),
    ],
)
def test_read_whole_failures_are_one_line_input_errors(tmp_path, data, encoding, message, line):
    path = tmp_path / "replies.txt"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as caught:
        read_whole(str(path), encoding)
    assert caught.value.path == str(path) and caught.value.line == line


def test_read_whole_refuses_a_file_over_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(textinput, "MAX_FILE_BYTES", 10)
    path = tmp_path / "replies.txt"
    path.write_bytes(b"x" * 11)
    with pytest.raises(InputError, match="larger than"):
        read_whole(str(path))
    path.write_bytes(b"x" * 10)
    assert read_whole(str(path)) == ("x" * 10, "utf-8")
