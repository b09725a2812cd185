"""Position plumbing shared by every reader: file text, char->file span maps and parsed nodes."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from coach.textinput import read_whole


class LibraryFile:
    """One library file's text, newline-normalised, with the means to turn offsets into line/column."""

    def __init__(self, path: str, raw: str) -> None:
        self.path = path
        self.encoding = "utf-8"
        self.bom = raw.startswith("\ufeff")
        if self.bom:
            raw = raw[1:]
        self.crlf = "\r\n" in raw
        # Classic Mac line ends (lone CR, no LF anywhere) are lines too; a stray CR in an LF file stays a char.
        self.cr = not self.crlf and "\r" in raw and "\n" not in raw
        self.text = raw.replace("\r", "\n") if self.cr else raw.replace("\r\n", "\n")
        self._starts = [0]
        find = self.text.find
        pos = find("\n")
        while pos != -1:
            self._starts.append(pos + 1)
            pos = find("\n", pos + 1)

    @classmethod
    def read(cls, path: str, encoding: str | None = None) -> LibraryFile:
        """Read a file, turning OS and decoding failures, binaries and oversized files into one-line InputErrors."""
        raw, codec = read_whole(path, encoding)
        source = cls(path, raw)
        source.encoding = codec
        return source

    def pos(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a char offset into `text`."""
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1

    def line_start(self, line: int) -> int:
        return self._starts[line - 1]

    def render(self, text: str) -> str:
        """Give edited text back the file's BOM and line endings."""
        if self.crlf:
            text = text.replace("\n", "\r\n")
        elif self.cr:
            text = text.replace("\n", "\r")
        return ("\ufeff" + text) if self.bom else text


class SpanMap:
    """Maps each char of a decoded string to the [start, end) it came from in a raw string, as runs."""

    __slots__ = ("_v", "runs", "length", "origin")

    def __init__(self, origin: int = 0) -> None:
        self._v: list[int] = []
        self.runs: list[tuple[int, int, int, int]] = []  # (value start, raw start, count, raw width per char)
        self.length = 0
        self.origin = origin  # raw offset standing for an empty value

    def add(self, start: int, end: int) -> None:
        """Append one char that came from raw[start:end] (end == start for a synthetic char)."""
        width = end - start
        if self.runs:
            v, r, n, w = self.runs[-1]
            if w == 1 and width == 1 and r + n == start:
                self.runs[-1] = (v, r, n + 1, 1)
                self.length += 1
                return
        self._v.append(self.length)
        self.runs.append((self.length, start, 1, width))
        self.length += 1

    def add_run(self, start: int, count: int) -> None:
        """Append `count` chars copied verbatim from raw[start:start+count]."""
        if count <= 0:
            return
        if self.runs:
            v, r, n, w = self.runs[-1]
            if w == 1 and r + n == start:
                self.runs[-1] = (v, r, n + count, 1)
                self.length += count
                return
        self._v.append(self.length)
        self.runs.append((self.length, start, count, 1))
        self.length += count

    def span(self, index: int) -> tuple[int, int]:
        v, r, n, w = self.runs[bisect.bisect_right(self._v, index) - 1]
        start = r + (index - v) * w
        return start, start + w

    def extent(self, start: int, end: int) -> tuple[int, int]:
        """The raw [start, end) covering value chars [start, end); an insertion point when empty."""
        if start < end:
            return self.span(start)[0], self.span(end - 1)[1]
        if start < self.length:
            point = self.span(start)[0]
        else:
            point = self.span(self.length - 1)[1] if self.length else self.origin
        return point, point

    def contiguous(self, start: int, end: int) -> bool:
        """True when value chars [start, end) come from one unbroken raw stretch, none synthetic."""
        prev = None
        for i in range(start, end):
            a, b = self.span(i)
            if a == b or (prev is not None and a != prev):
                return False
            prev = b
        return True

    def compose(self, outer: SpanMap) -> SpanMap:
        """Map through `outer` (this map's raw string is `outer`'s value string)."""
        out = SpanMap(outer.extent(self.origin, self.origin)[0])
        for _, r, n, w in self.runs:
            for k in range(n):
                a = r + k * w
                out.add(*outer.extent(a, a + w))
        return out


@dataclass(eq=False)
class Node:
    """A parsed value with its place in the file: mappings, sequences, strings and other scalars."""

    kind: str  # "map" | "seq" | "str" | "scalar"
    value: Any = None  # decoded value for scalars
    start: int = 0  # file offset where the node's raw text starts (quotes and block headers included)
    end: int = 0
    items: list = field(default_factory=list)  # map: [(key Node, value Node)], seq: [Node]
    spans: SpanMap | None = None  # str: value char -> file span; None when only best effort is possible
    style: str = ""  # how the string is written: json '"', yaml '' ' " | >, csv '' or '"'
    indent: int = 0  # block scalars: content indentation

    def get(self, key: str) -> Node | None:
        """The value under a string key of a mapping node."""
        if self.kind == "map":
            for k, v in self.items:
                if k.value == key:
                    return v
        return None

    def key_node(self, key: str) -> Node | None:
        if self.kind == "map":
            for k, _ in self.items:
                if k.value == key:
                    return k
        return None


def to_python(node: Node | None, subst: dict[int, str] | None = None) -> Any:
    """A comparable plain value of a tree, with the strings of some nodes (by id) replaced."""
    if node is None:
        return None
    if node.kind == "map":
        return [(to_python(k, subst), to_python(v, subst)) for k, v in node.items]
    if node.kind == "seq":
        return [to_python(item, subst) for item in node.items]
    if subst and id(node) in subst:
        return subst[id(node)]
    return node.value
