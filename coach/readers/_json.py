"""JSON plumbing shared by the canonical and platform readers: documents, typed fields, the driver.

Why one driver: every JSON format must stream JSON Lines, guard size and nesting
of whole-file exports, and route a bad record to `on_error` the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from coach.errors import InputError
from coach.models import Conversation, Turn
from coach.readers._context import Context
from coach.readers._inputfile import InputFile
from coach.textfix import SURROGATE_ESCAPE, repair_tree

MAX_JSON_CHARS = 64 * 1024 * 1024

_KINDS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "list": (list,),
    "dict": (dict,),
    "bool": (bool,),
    "num": (int, float),
    "id": (str, int, float),
    "time": (str, int, float),
}
_KIND_NAMES = {
    "str": "a string",
    "list": "a list",
    "dict": "an object",
    "bool": "true or false",
    "num": "a number",
    "id": "a string or number",
    "time": "a string or number",
}


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def dotted(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def get(obj: dict, key: str, kind: str, where: str = "", required: bool = False) -> Any:
    """obj[key] checked against `kind`; None/absent gives None, or InputError naming the field if required."""
    value = obj.get(key)
    if value is None:
        if required:
            raise InputError(f"missing field '{dotted(where, key)}'")
        return None
    if not isinstance(value, _KINDS[kind]) or (kind in ("num", "id", "time") and isinstance(value, bool)):
        raise InputError(f"field '{dotted(where, key)}' must be {_KIND_NAMES[kind]}, not {type_name(value)}")
    return value


def get_any(obj: dict, keys: tuple[str, ...], kind: str, where: str = "", required: bool = False) -> Any:
    """The first of several spellings (camelCase / snake_case) that is present."""
    for key in keys:
        if obj.get(key) is not None:
            return get(obj, key, kind, where)
    if required:
        raise InputError(f"missing field '{dotted(where, keys[0])}'")
    return None


def objects(items: list, where: str) -> Iterator[tuple[str, dict]]:
    """Each element of a list with its path, which must be an object."""
    for i, item in enumerate(items):
        here = dotted(where, i)
        if not isinstance(item, dict):
            raise InputError(f"'{here}' must be an object, not {type_name(item)}")
        yield here, item


def as_id(value: Any) -> str | None:
    """An id as text; a float that is a whole number (exports written by JavaScript) without ".0"."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return None if value is None else str(value)


def _parse_line(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise InputError("JSON nested too deeply") from None
    except ValueError as exc:
        raise InputError(f"invalid JSON: {exc}") from None


SURROGATE_WARNING = (
    "lone surrogate escape (half of a UTF-16 pair, such as a cut emoji) replaced with U+FFFD"
    "; later ones in this file are replaced silently"
)


def documents(src: InputFile, ctx: Context) -> Iterator[tuple[Any, int | None]]:
    """JSON Lines if the first non-blank line is an object on its own, else one whole-file document.

    Lone surrogate escapes (`"\\ud83d"`) are repaired to U+FFFD, with one warning per file:
    nothing downstream (spaCy, UTF-8 output) can encode them."""
    warned = False

    def repaired(doc: Any, raw: str, line: int, whole: bool = False) -> Any:
        nonlocal warned
        escape = SURROGATE_ESCAPE.search(raw)
        if escape is None:
            return doc
        doc, changed = repair_tree(doc)
        if changed and not warned:
            warned = True
            ctx.warn(SURROGATE_WARNING, line + raw.count("\n", 0, escape.start()) if whole else line)
        return doc

    lines = src.lines()
    first: tuple[int, str] | None = None
    for lineno, line in lines:
        if line.strip():
            first = (lineno, line)
            break
    if first is None:
        return
    start, line = first
    try:
        head_doc = _parse_line(line)
    except InputError:
        head_doc = None
    if isinstance(head_doc, dict):
        yield repaired(head_doc, line, start), start
        for lineno, line in lines:
            if not line.strip():
                continue
            try:
                doc = _parse_line(line)
                if not isinstance(doc, dict):
                    raise InputError(f"expected a JSON object on each line, got {type_name(doc)}")
            except InputError as exc:
                ctx.recover(exc, lineno)
                continue
            yield repaired(doc, line, lineno), lineno
        return
    parts, size = [line], len(line)
    for _, line in lines:
        if size > MAX_JSON_CHARS:
            break
        size += len(line) + 1
        parts.append(line)
    if size > MAX_JSON_CHARS:  # checked after the loop too, so a one-line document is capped as well
        raise ctx.error(
            f"JSON document larger than {MAX_JSON_CHARS // (1024 * 1024)} MB",
            hint="split the export or convert it to JSON Lines, one conversation per line",
        )
    text = "\n".join(parts)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ctx.error(f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno + start - 1) from None
    except RecursionError:
        raise ctx.error("JSON nested too deeply") from None
    except ValueError as exc:
        raise ctx.error(f"invalid JSON: {exc}") from None
    yield repaired(doc, text, start, whole=True), None


Split = Callable[[Any], list[tuple[str, dict]]]
Build = Callable[[dict, Context, str, str, int | None], "Conversation | None"]


def read_json(src: InputFile, ctx: Context, split: Split, build: Build) -> Iterator[Conversation]:
    """Drive a JSON format: split each document into conversation records, build each, route errors."""
    for doc, line in documents(src, ctx):
        try:
            records = split(doc)
        except InputError as exc:
            ctx.recover(exc, line)
            continue
        for index, (where, record) in enumerate(records):
            if line is not None:
                fallback = f"{ctx.stem}:{line}" if len(records) == 1 else f"{ctx.stem}:{line}#{index + 1}"
            else:
                fallback = ctx.stem if len(records) == 1 else f"{ctx.stem}#{index + 1}"
            try:
                conv = build(record, ctx, where, fallback, line)
            except InputError as exc:
                ctx.recover(exc, line)
                continue
            if conv is not None:
                yield conv


def split_list(doc: Any, keys: tuple[str, ...], is_one: Callable[[dict], bool], what: str) -> list[tuple[str, dict]]:
    """A document as conversation records: one object, a list of them, or a wrapper key holding a list."""
    if isinstance(doc, dict):
        if is_one(doc):
            return [("", doc)]
        for key in keys:
            items = doc.get(key)
            if isinstance(items, list):
                return list(objects(items, key))
        raise InputError(f"not {what}: no {' / '.join(repr(k) for k in keys)} list found", hint="check --format-in")
    if isinstance(doc, list):
        return list(objects(doc, ""))
    raise InputError(f"not {what}: the document is {type_name(doc)}", hint="check --format-in")


def finish(
    ctx: Context,
    turns: Iterable[Turn],
    conv_id: str,
    *,
    where: str = "",
    line: int | None = None,
    agent: str | None = None,
    channel: str | None = None,
    meta: tuple[tuple[str, Any], ...] = (),
    started_at: str | None = None,
) -> Conversation | None:
    """A Conversation from built turns, or None (with a warning) when nothing public was said."""
    turns = tuple(turns)
    if not turns:
        label = f"{where} " if where else ""
        ctx.warn(f"{label}conversation {conv_id} has no readable messages; skipped", line)
        return None
    if agent is None:
        agent = next((t.name for t in turns if t.speaker == "agent" and t.name), None)
    return Conversation(
        id=conv_id,
        turns=turns,
        agent=agent,
        channel=channel,
        source=ctx.path,
        line=line,
        meta=meta,
        started_at=started_at,
    )
