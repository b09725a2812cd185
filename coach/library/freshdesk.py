"""Freshdesk canned responses: `[{"id", "title", "content", "content_html", "folder_id"}]`."""

from __future__ import annotations

from coach.library.entry import Candidate
from coach.library.generic import items_of, shaped, titled_bodies
from coach.library.source import LibraryFile, Node

NAME = "freshdesk"


def _responses(root: Node | None) -> list[Node] | None:
    if root is not None and root.kind == "map" and root.get("content_html") is not None:
        return [root]
    return shaped(items_of(root, "canned_responses", "responses"), "content", "content_html")


def detect(root: Node | None) -> bool:
    """Titled responses carrying Freshdesk's content_html or folder_id."""
    responses = _responses(root) or []
    return bool(responses) and all(
        r.kind == "map"
        and r.get("title") is not None
        and (r.get("content_html") is not None or r.get("folder_id") is not None)
        for r in responses
    )


def candidates(root: Node | None, source: LibraryFile, options: object = None) -> list[Candidate]:
    return titled_bodies(
        _responses(root), source, "a Freshdesk canned-responses export", "title", "content", "content_html"
    )
