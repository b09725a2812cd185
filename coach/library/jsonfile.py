"""A JSON parser that keeps every string's exact place in the file (the stdlib one forgets it)."""

from __future__ import annotations

import json
import re

from coach.errors import InputError
from coach.gcpause import paused
from coach.library.source import LibraryFile, Node, SpanMap

_WS = re.compile(r"[ \t\n\r]*")
_PLAIN = re.compile(r'[^"\\\x00-\x1f]+')
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LITERALS = {"true": True, "false": False, "null": None}
MAX_DEPTH = 200  # two frames per level: 500 hit Python's recursion limit (1000) first, as a traceback


class _Parser:
    def __init__(self, source: LibraryFile) -> None:
        self.source = source
        self.s = source.text
        self.depth = 0

    def fail(self, message: str, at: int) -> InputError:
        line, col = self.source.pos(at)
        return InputError(
            f"invalid JSON: {message} (column {col})", path=self.source.path, line=line, hint="fix the JSON syntax"
        )

    def ws(self, i: int) -> int:
        return _WS.match(self.s, i).end()  # type: ignore[union-attr]  # \s* always matches

    def value(self, i: int) -> tuple[Node, int]:
        s = self.s
        if i >= len(s):
            raise self.fail("unexpected end of file", i)
        c = s[i]
        if c == '"':
            return self.string(i)
        if c in "{[":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail("nesting too deep", i)
            node, end = self.obj(i) if c == "{" else self.arr(i)
            self.depth -= 1
            return node, end
        for word, val in _LITERALS.items():
            if s.startswith(word, i):
                return Node("scalar", val, i, i + len(word)), i + len(word)
        m = _NUMBER.match(s, i)
        if m:
            text = m.group()
            number = float(text) if any(ch in text for ch in ".eE") else int(text)
            return Node("scalar", number, i, m.end()), m.end()
        raise self.fail(f"unexpected character {c!r}", i)

    def string(self, i: int) -> tuple[Node, int]:
        s, spans, parts = self.s, SpanMap(i + 1), []
        j = i + 1
        while True:
            m = _PLAIN.match(s, j)
            if m:
                parts.append(m.group())
                spans.add_run(j, m.end() - j)
                j = m.end()
            if j >= len(s):
                raise self.fail("unterminated string", i)
            c = s[j]
            if c == '"':
                node = Node("str", "".join(parts), i, j + 1, spans=spans, style='"')
                return node, j + 1
            if c != "\\":
                raise self.fail("control character in string (escape it, e.g. \\n)", j)
            esc = s[j + 1 : j + 2]
            if esc in _ESCAPES:
                parts.append(_ESCAPES[esc])
                spans.add(j, j + 2)
                j += 2
                continue
            if esc != "u" or not re.fullmatch(r"[0-9a-fA-F]{4}", s[j + 2 : j + 6]):
                raise self.fail(f"bad escape \\{esc}", j)
            code, width = int(s[j + 2 : j + 6], 16), 6
            if 0xD800 <= code < 0xDC00 and re.fullmatch(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}", s[j + 6 : j + 12]):
                code = 0x10000 + ((code - 0xD800) << 10) + (int(s[j + 8 : j + 12], 16) - 0xDC00)
                width = 12
            # A lone surrogate (half an emoji) cannot be encoded as UTF-8: U+FFFD keeps the offsets.
            parts.append("\ufffd" if 0xD800 <= code < 0xE000 else chr(code))
            spans.add(j, j + width)
            j += width

    def obj(self, i: int) -> tuple[Node, int]:
        node = Node("map", None, i)
        j = self.ws(i + 1)
        if self.s.startswith("}", j):
            node.end = j + 1
            return node, j + 1
        seen: set[str] = set()
        while True:
            if not self.s.startswith('"', j):
                raise self.fail("expected a quoted key", j)
            key, j = self.string(j)
            if key.value in seen:
                line = self.source.pos(key.start)[0]
                raise InputError(
                    f"duplicate key {key.value!r}",
                    path=self.source.path,
                    line=line,
                    hint="each key may appear once per object",
                )
            seen.add(key.value)
            j = self.ws(j)
            if not self.s.startswith(":", j):
                raise self.fail("expected ':' after a key", j)
            val, j = self.value(self.ws(j + 1))
            node.items.append((key, val))
            j = self.ws(j)
            if self.s.startswith(",", j):
                j = self.ws(j + 1)
                continue
            if self.s.startswith("}", j):
                node.end = j + 1
                return node, j + 1
            raise self.fail("expected ',' or '}'", j)

    def arr(self, i: int) -> tuple[Node, int]:
        node = Node("seq", None, i)
        j = self.ws(i + 1)
        if self.s.startswith("]", j):
            node.end = j + 1
            return node, j + 1
        while True:
            val, j = self.value(j)
            node.items.append(val)
            j = self.ws(j)
            if self.s.startswith(",", j):
                j = self.ws(j + 1)
                continue
            if self.s.startswith("]", j):
                node.end = j + 1
                return node, j + 1
            raise self.fail("expected ',' or ']'", j)


def parse(source: LibraryFile) -> Node | None:
    """The file's tree with positions; None for an empty file."""
    p = _Parser(source)
    i = p.ws(0)
    if i >= len(source.text):
        return None
    with paused():
        node, end = p.value(i)
    end = p.ws(end)
    if end < len(source.text):
        raise p.fail("extra data after the top-level value", end)
    return node


def escape(text: str) -> str:
    """`text` as the inside of a JSON string literal."""
    return json.dumps(text, ensure_ascii=False)[1:-1]
