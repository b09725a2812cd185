"""Helpers every reader shares: HTML to text, quoted-reply stripping, speaker roles, time formats.

Why shared: platform bodies arrive as HTML e-mail with quoted history, and the
linter must only ever see what the agent actually wrote in that turn.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

# --------------------------------------------------------------------------- HTML to text
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
_PARA_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "table", "pre", "dl", "figure", "hr"}
)
_BLOCK_TAGS = _PARA_TAGS | frozenset(
    {
        "address",
        "article",
        "aside",
        "dd",
        "div",
        "dt",
        "fieldset",
        "figcaption",
        "footer",
        "form",
        "header",
        "li",
        "main",
        "nav",
        "section",
        "tr",
        "center",
    }
)


class _TextBuilder(HTMLParser):
    """Collects text line by line; block tags break lines, blockquote lines get a '> ' prefix."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.cur_quote = 0
        self.quote = 0
        self.skip = 0
        self.pre = 0

    def _flush(self, paragraph: bool = False) -> None:
        text = "".join(self.cur).strip()
        if text:
            self.lines.append("> " * self.cur_quote + text)
        if paragraph and self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.cur = []
        self.cur_quote = self.quote

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "br":
            self._break()
        elif tag in _BLOCK_TAGS:
            self._flush(tag in _PARA_TAGS)
            if tag == "blockquote":
                self.quote += 1
                self.cur_quote = self.quote
            elif tag == "pre":
                self.pre += 1
        elif tag in ("td", "th") and self.cur:
            self.cur.append(" ")

    def _break(self) -> None:
        """<br>: end the line, or make a blank line when the line is already empty (<br><br>)."""
        if "".join(self.cur).strip():
            self._flush()
        else:
            self._flush(paragraph=True)

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag == "br":
            self._break()
        elif tag in _BLOCK_TAGS:
            self._flush(tag in _PARA_TAGS)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self._flush(tag in _PARA_TAGS)
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
                self.cur_quote = self.quote
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if not self.cur:
            self.cur_quote = self.quote
        if self.pre:
            first, *rest = data.split("\n")
            self.cur.append(first)
            for piece in rest:
                self._flush()
                self.cur.append(piece)
        else:
            self.cur.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        self._flush()
        return _tidy("\n".join(self.lines))


def _tidy(text: str) -> str:
    """Strip trailing spaces, collapse runs of blank lines, trim the ends."""
    # Per line, not `[ \t\u00a0]+\n`: that regex is quadratic on a long run of blanks without a newline.
    text = "\n".join(line.rstrip(" \t\u00a0") for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_text(markup: str) -> str:
    """Render an HTML body as plain text: blocks and <br> become newlines, entities are unescaped."""
    if "<" not in markup and "&" not in markup:
        return _tidy(markup)
    parser = _TextBuilder()
    try:
        parser.feed(markup)
        parser.close()
        return parser.text()
    except (AssertionError, ValueError, IndexError):  # malformed markup the stdlib parser rejects
        stripped = re.sub(r"<[^>]*>", " ", markup)
        return _tidy(html.unescape(re.sub(r"[ \t]+", " ", stripped)))


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>", text))


# ------------------------------------------------------------------ quoted e-mail history
_ON_WROTE = re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE)
_REPLY_ABOVE = re.compile(r"^\s*##-.*reply above this line.*-##", re.IGNORECASE)
_FROM = re.compile(r"^\s*\*?From:\*?\s+\S", re.IGNORECASE)
_SENT = re.compile(r"^\s*\*?(Sent|Date):\*?\s+\S", re.IGNORECASE)
_RULE = re.compile(r"^\s*[_\-=*]{3,}\s*$")


def strip_quoted_email(text: str) -> str:
    """Drop '>'-quoted lines and everything from an 'On … wrote:' / Original Message / From+Sent header on."""
    lines = text.split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if _ORIGINAL.match(line) or _REPLY_ABOVE.match(line):
            break
        if line.lstrip()[:3].lower() == "on " and (
            _ON_WROTE.match(line) or (i + 1 < len(lines) and _ON_WROTE.match(line + " " + lines[i + 1]))
        ):
            break
        if _FROM.match(line) and any(_SENT.match(nxt) for nxt in lines[i + 1 : i + 5]):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    while kept and (not kept[-1].strip() or _RULE.match(kept[-1])):
        kept.pop()
    return _tidy("\n".join(kept))


def clean_body(body: str, is_html: bool | None = None) -> str:
    """A platform message body as the words the author wrote: HTML rendered, quoted history removed."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if is_html or (is_html is None and looks_like_html(body)):
        body = html_to_text(body)
    return strip_quoted_email(body)


# ------------------------------------------------------------------------ speaker roles
def _norm(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().casefold())


ROLE_VALUES: dict[str, str] = {}
for _role, _values in {
    "agent": "agent staff admin administrator operator support rep representative advisor adviser "
    "teammate employee human_agent csr assignee any_agent outbound supervisor",
    "customer": "customer end_user enduser user requester contact visitor lead client caller guest "
    "member inbound consumer shopper",
    "system": "system bot automated auto ivr virtual_agent automated_agent chatbot custom_bot notification system_user",
}.items():
    for _value in _values.split():
        ROLE_VALUES[_value] = _role

_AGENT_WORDS = frozenset(
    "agent support rep representative advisor adviser associate operator staff "
    "admin csr specialist helpdesk concierge moderator service team".split()
)
_SYSTEM_WORDS = frozenset("system bot chatbot ivr automated auto-reply autoresponder".split())
_CUSTOMER_WORDS = frozenset(
    "customer client caller user visitor guest member requester contact "
    "lead shopper buyer subscriber end-user enduser".split()
)


def role_value(value: str) -> str | None:
    """Map a platform role value (agent, end-user, requester, bot, …) to agent/customer/system."""
    return ROLE_VALUES.get(_norm(value))


def is_agent_name(name: str, agent_names: tuple[str, ...]) -> bool:
    """--agent-name matches the whole speaker name or its first word, case-insensitively."""
    folded = name.strip().casefold()
    first = folded.split()[0] if folded.split() else folded
    return any(a.strip().casefold() in (folded, first) for a in agent_names if a.strip())


def classify_name(name: str, agent_names: tuple[str, ...] = ()) -> tuple[str | None, bool]:
    """(role or None if unknown, whether the name is just a role label like 'Agent')."""
    if is_agent_name(name, agent_names):
        return "agent", False
    exact = role_value(name)
    if exact is not None:
        return exact, True
    words = [w.strip(".,'’") for w in name.casefold().split()]
    if any(w in _AGENT_WORDS for w in words):
        return "agent", False
    if any(w in _SYSTEM_WORDS for w in words) or "virtual assistant" in name.casefold():
        return "system", False
    if any(w in _CUSTOMER_WORDS for w in words):
        return "customer", False
    return None, False


# -------------------------------------------------------------------------- time formats
def epoch_to_iso(value: float, per_second: int = 1) -> str:
    """Unix time (seconds, or `per_second` units) as ISO 8601 UTC (or the number as text if out of range)."""
    try:
        stamp = datetime.fromtimestamp(value / per_second, tz=UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return str(value)
    text = stamp.isoformat(timespec="milliseconds" if stamp.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def millis_to_clock(millis: float) -> str:
    """An offset into a call in milliseconds as HH:MM:SS.mmm."""
    try:
        total = int(round(float(millis)))
    except (OverflowError, ValueError):
        return str(millis)
    if total < 0:
        return str(millis)
    hours, rest = divmod(total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"
