"""HTML reply bodies to plain text with a char map back into the HTML, so findings still point somewhere."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from coach.library.source import SpanMap

PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre", "table", "hr"})
LINE = frozenset({"br", "div", "li", "tr", "dd", "dt", "section", "article", "header", "footer", "figure"})
SKIP = frozenset({"script", "style", "head", "title", "template"})
#: Table cells end a word: "<td>It's</td><td>company policy</td>" reads "It's company policy".
CELL = frozenset({"td", "th"})
_TOKENS = re.compile(r"\s+|\S+")
_LOOKS_HTML = re.compile(
    r"</?(?:p|div|br|span|a|b|i|u|em|strong|ul|ol|li|h[1-6]|table|blockquote|pre|img|font)\b[^<>]*>", re.I
)


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_HTML.search(text))


class _Converter(HTMLParser):
    def __init__(self, src: str) -> None:
        super().__init__(convert_charrefs=False)
        self.src = src
        self.starts = [0] + [m.end() for m in re.finditer("\n", src)]
        # Segments (text, raw start, raw end, verbatim): verbatim text is src[start:end] char for char;
        # otherwise every char of text stands for the whole src[start:end] (entities, collapsed spaces, breaks).
        self.out: list[tuple[str, int, int, bool]] = []
        self.skip = 0
        self.pre = 0

    def _offset(self) -> int:
        line, col = self.getpos()
        return self.starts[line - 1] + col

    def _trim(self, chars: str) -> None:
        """Drop trailing chars in `chars` from the output."""
        while self.out:
            text, start, end, verbatim = self.out[-1]
            kept = text.rstrip(chars)
            if kept == text:
                return
            if not kept:
                self.out.pop()
            else:
                self.out[-1] = (kept, start, start + len(kept) if verbatim else end, verbatim)
                return

    def _newlines(self, count: int, at: int) -> None:
        self._trim(" \t")
        have = 0
        for text, *_ in reversed(self.out):
            bare = text.rstrip("\n")
            have += len(text) - len(bare)
            if bare:
                break
        if self.out and have < count:
            self.out.append(("\n" * (count - have), at, at, False))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        at = self._offset()
        if tag in SKIP:
            self.skip += 1
        elif tag in PARAGRAPH:
            self._newlines(2, at)
            if tag == "pre":
                self.pre += 1
        elif tag in LINE:
            self._newlines(1, at)
        elif tag in CELL:
            self._space(at)
        elif tag == "attribute" and not self.skip:
            # Intercom's API form of a placeholder: <attribute key="user.name" default="there"/>
            # Zero-width at the tag, so edits touching the placeholder are refused rather than garbled.
            self.out.append(("{{" + (dict(attrs).get("key") or "") + "}}", at, at, False))

    def handle_endtag(self, tag: str) -> None:
        at = self._offset()
        if tag in SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in PARAGRAPH:
            if tag == "pre" and self.pre:
                self.pre -= 1
            self._newlines(2, at)
        elif tag in LINE and tag != "br":
            self._newlines(1, at)
        elif tag in CELL:
            self._space(at)

    def _space(self, at: int) -> None:
        """A synthetic space at a word boundary the markup makes (zero-width in the source)."""
        if self.out and not self.skip and self.out[-1][0][-1] not in " \n":
            self.out.append((" ", at, at, False))

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        base = self._offset()
        if self.pre:
            self.out.append((data, base, base + len(data), True))
            return
        for m in _TOKENS.finditer(data):
            if not m.group()[0].isspace():
                self.out.append((m.group(), base + m.start(), base + m.end(), True))
            elif self.out and self.out[-1][0][-1] not in " \n":
                self.out.append((" ", base + m.start(), base + m.end(), False))

    def _reference(self, name: str) -> None:
        if self.skip:
            return
        at = self._offset()
        end = at + 1 + len(name)
        if self.src[end : end + 1] == ";":
            end += 1
        self.out.append((html.unescape(self.src[at:end]), at, end, False))

    def handle_entityref(self, name: str) -> None:
        self._reference(name)

    def handle_charref(self, name: str) -> None:
        self._reference("#" + name)

    def handle_comment(self, data: str) -> None:
        # Keep `<!-- coach: ... -->` so suppressions in HTML bodies still work (they are masked later).
        if not self.skip and data.strip().startswith("coach:"):
            at = self._offset()
            self.out.append(("<!--" + data + "-->", at, at + len(data) + 7, True))


def to_text(src: str) -> tuple[str, SpanMap]:
    """Plain text of an HTML body (block tags become line breaks) and its char map into `src`."""
    conv = _Converter(src)
    try:
        conv.feed(src)
        conv.close()
    except Exception:  # html.parser gave up on malformed markup: read the body as written
        conv.out = [(src, 0, len(src), True)]
    conv._trim(" \n\t")
    spans = SpanMap(0)
    for text, start, end, verbatim in conv.out:
        if verbatim:
            spans.add_run(start, len(text))
        else:
            for _ in text:
                spans.add(start, end)
    return "".join(seg[0] for seg in conv.out), spans


def escape(text: str) -> str | None:
    """`text` as HTML for a body edit, or None when it cannot go in as-is (line breaks)."""
    if "\n" in text:
        return None
    return html.escape(text, quote=False)
