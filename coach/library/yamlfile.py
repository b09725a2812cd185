"""Safe YAML loading that keeps each scalar's exact place in the file, and writes scalars back in place."""

from __future__ import annotations

import json
import re

import yaml

from coach.errors import InputError
from coach.gcpause import paused
from coach.library.source import LibraryFile, Node, SpanMap
from coach.textfix import repair

STR_TAG = "tag:yaml.org,2002:str"
PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
MAX_VALUES = 1_000_000  # values after expanding aliases: more is an alias bomb (what --fix walks)
_DQ = {
    "0": "\0",
    "a": "\x07",
    "b": "\b",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\x0b",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_HEX = {"x": 2, "u": 4, "U": 8}


class LineLoader(yaml.SafeLoader):
    """SafeLoader used only through yaml.compose, so every node keeps its start and end marks."""


def _dq_escape(src: str, p: int) -> tuple[str | None, int]:
    code = src[p + 1 : p + 2]
    if code in _DQ:
        return _DQ[code], 2
    width = _HEX.get(code)
    digits = src[p + 2 : p + 2 + width] if width else ""
    if width and re.fullmatch(r"[0-9a-fA-F]+", digits) and len(digits) == width:
        return repair(chr(int(digits, 16))), 2 + width
    return None, 2


def align(src: str, node: yaml.ScalarNode) -> tuple[SpanMap | None, int]:
    """Map each char of a scalar's value back to the file: (map or None when unsure, block indent)."""
    start, end, style, value = node.start_mark.index, node.end_mark.index, node.style or "", node.value
    block = style in ("|", ">")
    indent = 0
    if style in ("'", '"'):
        lo, hi = start + 1, end - 1
    elif block:
        nl = src.find("\n", start, end)
        if nl < 0 or re.search(r"\d", src[start:nl].split("#")[0]):
            return None, 0  # empty block, or an explicit indentation indicator: best effort only
        lo, hi = nl + 1, end
        first = re.search(r"^( *)[^ \n]", src[lo:hi], re.M)
        indent = len(first.group(1)) if first else 0
    else:
        lo, hi = start, end
    spans, p, i, line_start = SpanMap(lo), lo, 0, block
    while i < len(value):
        if line_start:
            k = 0
            while k < indent and p < hi and src[p] == " ":
                p, k = p + 1, k + 1
            line_start = False
        if p >= hi:
            return None, indent
        c, r = value[i], src[p]
        if style == '"' and r == "\\":
            if src[p + 1 : p + 2] == "\n":
                p += 2
                while p < hi and src[p] in " \t":
                    p += 1
                continue
            decoded, width = _dq_escape(src, p)
            if decoded != c:
                return None, indent
            spans.add(p, p + width)
            p, i = p + width, i + 1
        elif style == "'" and r == "'" and c == "'" and src[p + 1 : p + 2] == "'":
            spans.add(p, p + 2)
            p, i = p + 2, i + 1
        elif r == c:
            spans.add(p, p + 1)
            p, i, line_start = p + 1, i + 1, block and r == "\n"
        elif r == "\n" and c == " ":
            q = p + 1
            if not block:
                while q < hi and src[q] in " \t":
                    q += 1
            spans.add(p, q)
            p, i, line_start = q, i + 1, block
        elif r in " \t\n":
            p, line_start = p + 1, block and r == "\n"
        else:
            return None, indent
    return spans, indent


class _Builder:
    def __init__(self, source: LibraryFile) -> None:
        self.source = source
        self.memo: dict[int, Node] = {}
        self.sizes: dict[int, int] = {}  # values under each built node, aliases expanded
        self.constructor = yaml.constructor.SafeConstructor()

    def error(self, message: str, mark: yaml.Mark, hint: str | None = None) -> InputError:
        return InputError(message, path=self.source.path, line=mark.line + 1, hint=hint)

    def size(self, ynode: yaml.Node) -> int:
        if id(ynode) not in self.sizes:
            raise self.error(
                "an alias refers to the value that contains it",
                ynode.start_mark,
                "recursive YAML anchors are not supported",
            )
        return self.sizes[id(ynode)]

    def counted(self, ynode: yaml.Node, size: int) -> None:
        if size > MAX_VALUES:
            raise self.error(
                f"more than {MAX_VALUES:,} values after expanding aliases; refusing",
                ynode.start_mark,
                "expand fewer nested &anchors / *aliases",
            )
        self.sizes[id(ynode)] = size

    def build(self, ynode: yaml.Node) -> Node:
        if id(ynode) in self.memo:
            self.size(ynode)  # an alias: refuse one that points into itself
            return self.memo[id(ynode)]
        start, end = ynode.start_mark.index, ynode.end_mark.index
        if not isinstance(ynode, yaml.ScalarNode) and ynode.tag not in PLAIN_TAGS:
            tag = ynode.tag.replace("tag:yaml.org,2002:", "!!")
            raise self.error(
                f"unsupported YAML tag {tag}",
                ynode.start_mark,
                "replies are plain strings, lists and mappings: remove the tag",
            )
        if isinstance(ynode, yaml.MappingNode):
            node = self.memo[id(ynode)] = Node("map", None, start, end)
            seen: set = set()
            for ykey, yval in ynode.value:
                if not isinstance(ykey, yaml.ScalarNode):
                    raise self.error("complex mapping keys are not supported", ykey.start_mark)
                key = self.build(ykey)
                try:
                    hash(key.value)
                except TypeError:
                    raise self.error("unhashable mapping key", ykey.start_mark) from None
                if key.value in seen:
                    raise self.error(
                        f"duplicate key {key.value!r}", ykey.start_mark, "each key may appear once per mapping"
                    )
                seen.add(key.value)
                node.items.append((key, self.build(yval)))
            self.counted(ynode, 1 + sum(self.size(k) + self.size(v) for k, v in ynode.value))
            return node
        if isinstance(ynode, yaml.SequenceNode):
            node = self.memo[id(ynode)] = Node("seq", None, start, end)
            node.items = [self.build(item) for item in ynode.value]
            self.counted(ynode, 1 + sum(self.size(item) for item in ynode.value))
            return node
        if ynode.tag == STR_TAG:
            assert isinstance(ynode, yaml.ScalarNode)  # only scalars carry the str tag
            ynode.value = repair(ynode.value)  # a lone surrogate escape: U+FFFD, offsets kept
            spans, indent = align(self.source.text, ynode)
            node = Node("str", ynode.value, start, end, spans=spans, style=ynode.style or "", indent=indent)
        else:
            try:
                value = self.constructor.construct_object(ynode, deep=True)
            except yaml.YAMLError as exc:
                raise self.error(f"invalid YAML value: {getattr(exc, 'problem', exc)}", ynode.start_mark) from None
            node = Node("str" if isinstance(value, str) else "scalar", value, start, end, style="?")
        self.memo[id(ynode)] = node
        self.sizes[id(ynode)] = 1
        return node


def parse(source: LibraryFile) -> Node | None:
    """Compose the file safely (one document, no duplicate keys); None for an empty document."""
    try:
        with paused():
            root = yaml.compose(source.text, Loader=LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        raise InputError(
            f"invalid YAML: {problem}",
            path=source.path,
            line=mark.line + 1 if mark else None,
            hint="fix the YAML syntax",
        ) from None
    except yaml.reader.ReaderError as exc:  # a control character; its str() spans two lines
        line = source.pos(exc.position)[0] if isinstance(exc.position, int) else None
        what = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise InputError(
            f"invalid YAML: unacceptable character {what} ({exc.reason})",
            path=source.path,
            line=line,
            hint="remove it, or escape it in a double-quoted string",
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {' '.join(str(exc).split())}", path=source.path) from None
    except RecursionError:  # PyYAML's composer recurses once per level
        raise InputError("the file is nested too deeply", path=source.path) from None
    try:
        with paused():
            return _Builder(source).build(root) if root is not None else None
    except RecursionError:
        raise InputError("the file is nested too deeply", path=source.path) from None


def escape(node: Node, text: str) -> str | None:
    """`text` written for the node's scalar style, or None when that style cannot hold it in place."""
    style = node.style
    if style == '"':
        return json.dumps(text, ensure_ascii=False)[1:-1]
    if style == "'":
        return None if "\n" in text else text.replace("'", "''")
    if style == "|":
        return text.replace("\n", "\n" + " " * node.indent)
    if style in ("", ">"):
        return None if "\n" in text else text
    return None


def fits(node: Node, value: str) -> bool:
    """Whether the node's current style can hold the new value (checked as PyYAML's emitter would)."""
    if node.style not in ("", "'"):
        return True
    analysis = yaml.emitter.Emitter(None).analyze_scalar(value)  # type: ignore[arg-type]  # writes nothing
    if node.style == "'":
        return analysis.allow_single_quoted
    tag = yaml.resolver.Resolver().resolve(yaml.ScalarNode, value, (True, False))
    return analysis.allow_block_plain and not analysis.multiline and tag == STR_TAG


def render(node: Node, raw: str, value: str) -> str:
    """The whole scalar rewritten as a double-quoted string (keeping trailing line breaks of blocks)."""
    tail = raw[len(raw.rstrip("\n")) :] if node.style in ("|", ">") else ""
    return json.dumps(value, ensure_ascii=False) + tail
