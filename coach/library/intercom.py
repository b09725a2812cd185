"""Intercom macro (saved reply) exports: `{"type": "list", "data": [{"type": "macro", "name", "body"}]}`."""

from __future__ import annotations

from coach.library.entry import Candidate
from coach.library.generic import items_of, scalar_text, shaped, titled_bodies
from coach.library.source import LibraryFile, Node

NAME = "intercom"


def _macros(root: Node | None) -> list[Node] | None:
    if root is not None and root.kind == "map" and scalar_text(root.get("type")) == "macro":
        return [root]
    return shaped(items_of(root, "data", "macros"), "body", "body_text")


def detect(root: Node | None) -> bool:
    """Objects typed "macro", or a typed "list" whose data items carry an HTML body."""
    macros = [m for m in _macros(root) or [] if m.kind == "map"]
    if any(scalar_text(m.get("type")) == "macro" for m in macros):
        return True
    listed = root is not None and root.kind == "map" and scalar_text(root.get("type")) == "list"
    return listed and bool(macros) and all(m.get("body") is not None and m.get("name") is not None for m in macros)


def candidates(root: Node | None, source: LibraryFile, options: object = None) -> list[Candidate]:
    return titled_bodies(_macros(root), source, "an Intercom macro export", "name", "body_text", "body")
