"""Zendesk macro exports: the reply is the `comment_value` (or `comment_value_html`) action of each macro."""

from __future__ import annotations

from coach.errors import InputError
from coach.library.entry import Candidate
from coach.library.generic import line_of, pick_body, require, scalar_text, shaped
from coach.library.source import LibraryFile, Node

NAME = "zendesk"


def _macros(root: Node | None) -> list[Node] | None:
    if root is None:
        return None
    if root.kind == "map":
        listed = root.get("macros")
        if listed is not None and listed.kind == "seq":
            return listed.items
        single = root.get("macro")
        if single is not None and single.kind == "map":
            return [single]
        if root.get("actions") is not None:
            return [root]
    return shaped(root.items, "actions") if root.kind == "seq" else None


def _actions(macro: Node) -> list[Node]:
    actions = macro.get("actions") if macro.kind == "map" else None
    return [a for a in actions.items if a.kind == "map"] if actions is not None and actions.kind == "seq" else []


def detect(root: Node | None) -> bool:
    """A list of macros whose actions are {field, value} pairs."""
    macros = _macros(root) or []
    return bool(macros) and any(a.get("field") is not None for m in macros for a in _actions(m))


def _value(action: Node, source: LibraryFile) -> Node | None:
    value = action.get("value")
    if value is not None and value.kind == "seq":  # ["channel:all", "text"]
        texts = [v for v in value.items if v.kind == "str"]
        value = texts[-1] if texts else None
    if value is not None and value.kind != "str":
        raise InputError("a comment action's value must be text", path=source.path, line=line_of(source, value))
    return value


def candidates(root: Node | None, source: LibraryFile, options: object = None) -> list[Candidate]:
    out = []
    for i, macro in enumerate(require(_macros(root), source, "a Zendesk macro export")):
        key = scalar_text(macro.get("title")) or scalar_text(macro.get("raw_title")) or f"[{i}]"
        plain = [_value(a, source) for a in _actions(macro) if scalar_text(a.get("field")) == "comment_value"]
        rich = [_value(a, source) for a in _actions(macro) if scalar_text(a.get("field")) == "comment_value_html"]
        for k in range(max(len(plain), len(rich))):
            picked = pick_body(plain[k] if k < len(plain) else None, rich[k] if k < len(rich) else None)
            if picked:
                out.append(Candidate(key, picked[0], html=picked[1], companion=picked[2]))
    return out
