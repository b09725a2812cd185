"""Gorgias macro exports: the reply is the `setResponseText` action's body_text (or body_html)."""

from __future__ import annotations

from coach.library.entry import Candidate
from coach.library.generic import items_of, pick_body, require, scalar_text, shaped
from coach.library.source import LibraryFile, Node

NAME = "gorgias"


def _macros(root: Node | None) -> list[Node] | None:
    if root is not None and root.kind == "map" and root.get("actions") is not None:
        return [root]
    return shaped(items_of(root, "data", "macros"), "actions")


def _responses(macro: Node) -> list[Node]:
    actions = macro.get("actions") if macro.kind == "map" else None
    if actions is None or actions.kind != "seq":
        return []
    return [
        a.get("arguments")
        for a in actions.items
        if a.kind == "map"
        and scalar_text(a.get("name")) == "setResponseText"
        and a.get("arguments") is not None
        and a.get("arguments").kind == "map"
    ]


def detect(root: Node | None) -> bool:
    """Macros with a setResponseText action."""
    return any(_responses(m) for m in _macros(root) or [])


def candidates(root: Node | None, source: LibraryFile, options: object = None) -> list[Candidate]:
    out = []
    for i, macro in enumerate(require(_macros(root), source, "a Gorgias macro export")):
        key = scalar_text(macro.get("name")) if macro.kind == "map" else None
        for args in _responses(macro):
            picked = pick_body(args.get("body_text"), args.get("body_html"))
            if picked:
                out.append(Candidate(key or f"[{i}]", picked[0], html=picked[1], companion=picked[2]))
    return out
