"""Help Scout saved replies: `[{"id", "name", "text"}]` (text is HTML when it has tags)."""

from __future__ import annotations

from coach.library.entry import Candidate
from coach.library.generic import items_of, require, scalar_text, shaped
from coach.library.htmltext import looks_like_html
from coach.library.source import LibraryFile, Node

NAME = "helpscout"
_EMBEDDED = ("saved-replies", "savedReplies", "saved_replies")


def _replies(root: Node | None) -> list[Node] | None:
    if root is not None and root.kind == "map":
        embedded = root.get("_embedded")
        if embedded is not None and embedded.kind == "map":
            return items_of(embedded, *_EMBEDDED)
        if root.get("text") is not None and root.get("name") is not None:
            return [root]
    return shaped(items_of(root, *_EMBEDDED), "text")


def detect(root: Node | None) -> bool:
    """Saved-reply objects: a name, a text and Help Scout's id/_links/preview fields."""
    replies = _replies(root) or []
    return bool(replies) and all(
        r.kind == "map"
        and r.get("name") is not None
        and r.get("text") is not None
        and any(r.get(k) is not None for k in ("id", "_links", "preview", "snippet"))
        for r in replies
    )


def candidates(root: Node | None, source: LibraryFile, options: object = None) -> list[Candidate]:
    out = []
    for i, reply in enumerate(require(_replies(root), source, "a Help Scout saved-replies export")):
        text = reply.get("text") if reply.kind == "map" else None
        if text is not None and text.kind == "str" and text.value.strip():
            key = scalar_text(reply.get("name")) or f"[{i}]"
            out.append(Candidate(key, text, html=looks_like_html(text.value)))
    return out
