"""Byte-level input: open files/stdin, gunzip, detect BOMs and binaries, stream decoded lines.

Why a class of its own: every format needs the same guarantees (streaming, one
invalid-UTF-8 warning per file, CRLF/CR normalised, gzip and decode failures as
InputError), and the sniffer needs the first bytes before any format is chosen.
"""

from __future__ import annotations

import codecs
import gzip
import io
import sys
import threading
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from coach import textinput
from coach.errors import InputError
from coach.textinput import detect_bom, looks_binary

HEAD_SIZE = 64 * 1024
CHUNK_SIZE = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"

_decode_errors = threading.local()


def _replace_and_record(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: like "replace", but tells the active InputFile where the first bad byte was."""
    record = getattr(_decode_errors, "record", None)
    if record is not None and isinstance(exc, UnicodeDecodeError):
        record(exc)
    return "\ufffd", exc.end  # type: ignore[attr-defined]


codecs.register_error("coach.replace", _replace_and_record)


def open_binary(path: str) -> BinaryIO:
    """Open a path (or "-" for stdin) as a peekable byte stream; failures become InputError."""
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # stdin replaced by a text object (tests, embedding)
            data = sys.stdin.read()
            stream = io.BytesIO(data.encode("utf-8") if isinstance(data, str) else data)
        return stream if hasattr(stream, "peek") else io.BufferedReader(stream)
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path=path, hint="pass folders to `coach score` directly") from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", path=path) from None


class InputFile:
    """A readable transcript: `head` (first bytes, decompressed) and `lines()` (decoded, numbered)."""

    def __init__(
        self, stream: BinaryIO, path: str, encoding: str | None = None, warn=None, head_size: int = HEAD_SIZE
    ) -> None:
        self.path = path
        self._warn = warn
        self._raw = stream
        peek = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
        if peek == GZIP_MAGIC:
            self._stream: BinaryIO = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
        else:
            self._stream = stream
        self._eof = False
        self.head = self._read(max(head_size, 4))  # at least a BOM's worth, unless the input is shorter
        bom_encoding, self._skip = detect_bom(self.head)
        if encoding is not None:
            self.encoding = encoding
            if codecs.lookup(encoding).name != "utf-8" or bom_encoding != "utf-8":
                self._skip = 0
        else:
            self.encoding = bom_encoding or "utf-8"
        self.explicit_encoding = encoding is not None
        self._consumed = False

    # -- raw bytes -------------------------------------------------------------------------
    def _read(self, size: int) -> bytes:
        """Read at least `size` bytes unless the input ends, using short reads (`read1`) so a pipe
        delivers what it has; gzip/OS failures become InputError."""
        parts: list[bytes] = []
        want = size
        read = getattr(self._stream, "read1", None) or self._stream.read
        try:
            while want > 0 and not self._eof:
                chunk = read(max(want, CHUNK_SIZE))
                if not chunk:
                    self._eof = True
                    break
                parts.append(chunk)
                want -= len(chunk)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise InputError(
                f"truncated or corrupt gzip file ({exc})", path=self.path, hint="re-download or re-compress the export"
            ) from None
        except OSError as exc:
            raise InputError(f"read failed: {exc}", path=self.path) from None
        return b"".join(parts)

    def _chunks(self) -> Iterator[bytes]:
        if self._consumed:
            raise RuntimeError("InputFile.lines() can only be iterated once")
        self._consumed = True
        yield self.head[self._skip :]
        while not self._eof:
            chunk = self._read(1)
            if chunk:
                yield chunk

    def is_empty(self) -> bool:
        """True for input with no content but whitespace (and perhaps a BOM); reads on while unsure.

        Each byte is decoded once (a blank head used to be decoded again after every chunk:
        quadratic, a minute for 64 MB of spaces), and at most MAX_LINE_CHARS of blank lead-in
        are held: `yes '' | coach score -` ends instead of filling memory forever."""
        try:
            decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        except LookupError:
            return False
        limit = textinput.MAX_LINE_CHARS
        parts = [self.head]
        data = self.head[self._skip :]
        held = len(self.head)
        try:
            while True:
                if decoder.decode(data, self._eof).replace("\ufeff", "").strip():
                    return False
                if self._eof:
                    return True
                if held > limit:
                    raise InputError(
                        f"the first {limit // (1024 * 1024)} MB hold nothing but blank "
                        f"space; the rest of the input was skipped",
                        path=self.path,
                        hint="is it really a transcript export?",
                    )
                data = self._read(1)
                parts.append(data)
                held += len(data)
        finally:
            if len(parts) > 1:
                self.head = b"".join(parts)

    def is_binary(self) -> bool:
        """NUL bytes in the first 8 KB of a file that is not UTF-16/32 mean it is not text."""
        return looks_binary(self.head, self.encoding)

    # -- decoded text ----------------------------------------------------------------------
    def lines(self) -> Iterator[tuple[int, str]]:
        """Yield (line number, line) with CRLF and lone CR normalised to LF, decoding incrementally."""
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="coach.replace")
        fed = self._skip
        reported = False

        def record(exc: UnicodeDecodeError) -> None:
            nonlocal reported
            if reported:
                return
            reported = True
            pending = getattr(decoder, "buffer", b"")
            base = fed - (len(pending) if isinstance(pending, bytes) else 0)
            offset = base + exc.start
            if self._warn is not None:
                if self.explicit_encoding:
                    self._warn(f"{self.path}: invalid {self.encoding} at byte {offset}; decoded with replacement")
                else:
                    self._warn(
                        f"{self.path}: invalid UTF-8 at byte {offset}; decoded with replacement "
                        f"(use --encoding to override)"
                    )

        def decode(data: bytes, final: bool) -> str:
            nonlocal fed
            _decode_errors.record = record
            try:
                text = decoder.decode(data, final)
            except UnicodeError as exc:  # codecs that ignore custom handlers (rare)
                raise InputError(
                    f"cannot decode as {self.encoding}: {exc}",
                    path=self.path,
                    hint="use --encoding to name the file's encoding",
                ) from None
            finally:
                _decode_errors.record = None
            fed += len(data)
            return text

        limit = textinput.MAX_LINE_CHARS
        lineno = 0
        carry = ""
        partial: list[str] = []
        partial_len = 0  # chars in `partial`
        chunks = self._chunks()
        final = False
        while not final:
            data = next(chunks, None)
            final = data is None
            text = carry + decode(data or b"", final)
            carry = ""
            if not final and text.endswith("\r"):
                carry, text = "\r", text[:-1]
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            pieces = text.split("\n")
            if len(pieces) == 1:
                partial.append(pieces[0])
                partial_len += len(pieces[0])
                if partial_len > limit:
                    raise InputError(
                        f"line {lineno + 1} is longer than {limit // (1024 * 1024)} MB; "
                        f"the rest of the file was skipped",
                        path=self.path,
                        line=lineno + 1,
                        hint="is it really a transcript export? check --format-in",
                    )
                continue
            partial.append(pieces[0])
            lineno += 1
            yield lineno, "".join(partial)
            for piece in pieces[1:-1]:
                lineno += 1
                yield lineno, piece
            partial = [pieces[-1]]
            partial_len = len(pieces[-1])
        rest = "".join(partial)
        if rest:
            yield lineno + 1, rest

    def close(self) -> None:
        if self._raw is not getattr(sys.stdin, "buffer", None):
            try:
                self._raw.close()
            except OSError:
                pass
