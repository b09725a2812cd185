"""Text input shared by the transcript readers (coach/readers) and the reply library (coach/library).

Both meet the same files: UTF-8 with or without a BOM, UTF-16/32 exports from Windows tools,
binaries passed by mistake, and files too big to be what they claim. One BOM table, one
binary probe, one set of size limits and one way to choose the codec keep the two agreeing.
"""

from __future__ import annotations

import codecs

from coach.errors import InputError

#: NUL bytes within this many leading bytes of a file that is not UTF-16/32 mean it is not text.
BINARY_PROBE = 8 * 1024
#: A longer "line" of a streamed transcript is not a text export: refuse it rather than fill memory.
MAX_LINE_CHARS = 64 * 1024 * 1024
#: Like a whole-file transcript export: a larger library file is refused, not parsed for minutes.
MAX_FILE_BYTES = 64 * 1024 * 1024

#: (byte-order mark, codec that consumes it, codec that keeps it as U+FEFF), longest first: the
#: UTF-32-LE mark starts with the UTF-16-LE one. Streams decode with the first codec (the BOM
#: names the byte order and vanishes); whole files that are edited and written back use the
#: second, so the mark survives as a character that `LibraryFile` strips and puts back.
BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
)


def detect_bom(head: bytes) -> tuple[str | None, int]:
    """The encoding a byte-order mark announces for streaming, and how many bytes to skip (only
    UTF-8's mark is skipped by hand: the UTF-16/32 codecs consume theirs)."""
    for bom, encoding, _ in BOMS:
        if head.startswith(bom):
            return encoding, (len(bom) if encoding == "utf-8" else 0)
    return None, 0


def file_encoding(head: bytes, encoding: str | None = None) -> str:
    """The codec to read (and write back) a whole file: the one given, else the one a UTF-16/32 BOM
    names, else UTF-8. These codecs keep the BOM in the text (a UTF-8 BOM too)."""
    if encoding:
        return encoding
    return next((keep for bom, _, keep in BOMS if keep != "utf-8" and head.startswith(bom)), "utf-8")


def encoding_of(path: str, encoding: str | None = None) -> str:
    """`file_encoding` of the file at `path` (UTF-8 when it cannot be read; reading it reports why)."""
    if encoding:
        return encoding
    try:
        with open(path, "rb") as handle:
            return file_encoding(handle.read(4))
    except OSError:
        return "utf-8"


def is_wide(encoding: str) -> bool:
    """UTF-16 or UTF-32, whose text is full of NUL bytes; LookupError for an unknown codec."""
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def looks_binary(head: bytes, encoding: str) -> bool:
    """NUL bytes in the first BINARY_PROBE bytes of a file that is not UTF-16/32 mean it is not text."""
    return b"\x00" in head[:BINARY_PROBE] and not is_wide(encoding)


def read_whole(path: str, encoding: str | None = None) -> tuple[str, str]:
    """A whole file's text and the codec it was decoded with; OS and decoding failures, unknown
    codecs, binaries and files over MAX_FILE_BYTES become one-line InputErrors."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(
            f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
            path=path,
            hint="split the library into several files",
        )
    codec = file_encoding(data[:4], encoding)
    try:
        wide = is_wide(codec)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}", path=path) from None
    if not wide and looks_binary(data, codec):
        raise InputError(
            "binary file, skipped", path=path, hint="coach check reads text, Markdown, YAML, JSON and CSV/TSV files"
        )
    try:
        return data.decode(codec), codec
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode(codec, errors="replace")
        line = before.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
        raise InputError(
            f"cannot decode the file as {codec} at byte {exc.start} ({exc.reason})",
            path=path,
            line=line,
            hint="pass the file's encoding with --encoding",
        ) from None
