"""HTML reply bodies to plain text with a char map back into the HTML, so findings still point somewhere."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from coach.library.source import SpanMap

PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre", "table", "hr"})
LINE = frozenset({"br", "div", "li", "tr", "dd", "dt", "section", "article", "header", "footer", "figure"})
SKIP = frozenset({"script", "style", "head", "title", "template"})
_TOKENS = re.compile(r"\s+|\S+")
_LOOKS_HTML = re.compile(r"</?(?:p|div|br|span|a|b|i|u|em|strong|ul|ol|li|h[1-6]|table|blockquote|pre|img|font)\b[^<>]*>", re.I)


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_HTML.search(text))


class _Converter(HTMLParser):
    def __init__(self, src: str) -> None:
        super().__init__(convert_charrefs=False)
        self.src = src
        self.starts = [0] + [m.end() for m in re.finditer("\n", src)]
        self.out: list[tuple[str, int, int]] = []  # (char, raw start, raw end)
        self.skip = 0
        self.pre = 0

    def _offset(self) -> int:
        line, col = self.getpos()
        return self.starts[line - 1] + col

    def _newlines(self, count: int, at: int) -> None:
        while self.out and self.out[-1][0] in " \t":
            self.out.pop()
        if not self.out:
            return
        have = 0
        while have < len(self.out) and self.out[-1 - have][0] == "\n":
            have += 1
        for _ in range(count - have):
            self.out.append(("\n", at, at))

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
        elif tag == "attribute" and not self.skip:
            # Intercom's API form of a placeholder: <attribute key="user.name" default="there"/>
            raw = self.get_starttag_text() or ""
            name = dict(attrs).get("key") or ""
            self.out.extend((ch, at, at + len(raw)) for ch in "{{" + name + "}}")

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

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        base = self._offset()
        if self.pre:
            self.out.extend((ch, base + i, base + i + 1) for i, ch in enumerate(data))
            return
        for m in _TOKENS.finditer(data):
            if m.group()[0].isspace():
                if self.out and self.out[-1][0] not in " \n":
                    self.out.append((" ", base + m.start(), base + m.end()))
            else:
                self.out.extend((ch, base + m.start() + i, base + m.start() + i + 1) for i, ch in enumerate(m.group()))

    def _reference(self, name: str) -> None:
        if self.skip:
            return
        at = self._offset()
        end = at + 1 + len(name)
        if self.src[end:end + 1] == ";":
            end += 1
        raw = self.src[at:end]
        text = html.unescape(raw)
        self.out.extend((ch, at, end) for ch in text)

    def handle_entityref(self, name: str) -> None:
        self._reference(name)

    def handle_charref(self, name: str) -> None:
        self._reference("#" + name)

    def handle_comment(self, data: str) -> None:
        # Keep `<!-- coach: ... -->` so suppressions in HTML bodies still work (they are masked later).
        if not self.skip and data.strip().startswith("coach:"):
            at = self._offset()
            raw = "<!--" + data + "-->"
            self.out.extend((ch, at + i, at + i + 1) for i, ch in enumerate(raw))


def to_text(src: str) -> tuple[str, SpanMap]:
    """Plain text of an HTML body (block tags become line breaks) and its char map into `src`."""
    conv = _Converter(src)
    try:
        conv.feed(src)
        conv.close()
    except Exception:  # html.parser is lenient; anything else is treated as text  # pragma: no cover
        conv.out = [(ch, i, i + 1) for i, ch in enumerate(src)]
    out = conv.out
    while out and out[-1][0] in " \n\t":
        out.pop()
    spans = SpanMap(0)
    for _, start, end in out:
        spans.add(start, end)
    return "".join(ch for ch, _, _ in out), spans


def escape(text: str) -> str | None:
    """`text` as HTML for a body edit, or None when it cannot go in as-is (line breaks)."""
    if "\n" in text:
        return None
    return html.escape(text, quote=False)
