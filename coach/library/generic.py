"""Hand-written YAML/JSON libraries: a list of {name, body} objects, a mapping name -> text, or a wrapper."""

from __future__ import annotations

from coach.errors import InputError
from coach.library.entry import Candidate, LibraryOptions
from coach.library.source import LibraryFile, Node

#: Keys under which a library file may nest its list or mapping of replies.
CONTAINERS = (
    "macros",
    "replies",
    "responses",
    "saved_replies",
    "canned_responses",
    "templates",
    "snippets",
    "entries",
    "items",
    "data",
)
_HINT = (
    "expected a list of {name, body} objects, a mapping name -> text, or {macros: [...]}; "
    "set other key names with name_keys/text_keys"
)


def line_of(source: LibraryFile, node: Node) -> int:
    return source.pos(node.start)[0]


def scalar_text(node: Node | None) -> str | None:
    """A name-like scalar as text (numbers allowed), or None."""
    if node is None or node.kind not in ("str", "scalar") or node.value is None or isinstance(node.value, bool):
        return None
    return str(node.value)


def pick_body(text: Node | None, html: Node | None) -> tuple[Node, bool, Node | None] | None:
    """Prefer a plain-text body (keeping its HTML twin in step), else the HTML body; None when neither."""
    plain = text if text is not None and text.kind == "str" and text.value.strip() else None
    rich = html if html is not None and html.kind == "str" and html.value.strip() else None
    if plain is not None:
        return plain, False, rich
    if rich is not None:
        return rich, True, None
    return None


def items_of(root: Node | None, *wrappers: str) -> list[Node] | None:
    """The items of a top-level list, or of a list under one of the wrapper keys; None when neither."""
    if root is None:
        return None
    if root.kind == "seq":
        return root.items
    for key in wrappers:
        inner = root.get(key) if root.kind == "map" else None
        if inner is not None and inner.kind == "seq":
            return inner.items
    return None


def shaped(items: list[Node] | None, *keys: str) -> list[Node] | None:
    """The items when at least one is an object with one of `keys` (a platform's telltale), else None."""
    if items is None or not any(i.kind == "map" and any(i.get(k) is not None for k in keys) for i in items):
        return None if items else items
    return items


def require(items: list[Node] | None, source: LibraryFile, what: str) -> list[Node]:
    if items is None:
        raise InputError(
            f"this file does not look like {what}",
            path=source.path,
            hint="check the export, or pass the right --format",
        )
    return items


def _object(obj: Node, key: str | None, index: int, source: LibraryFile, options: LibraryOptions) -> Candidate | None:
    text, field = None, ""
    for field in options.text_keys:
        text = obj.get(field)
        if text is not None and not (text.kind == "scalar" and text.value is None):
            break
        text = None
    if text is None:
        return None
    if text.kind != "str":
        raise InputError(
            f"the reply text {field!r} must be a string",
            path=source.path,
            line=line_of(source, text),
            hint="quote it, or use a block scalar (|) for several lines",
        )
    if key is None:
        key = next((v for v in (scalar_text(obj.get(k)) for k in options.name_keys) if v), None) or f"[{index}]"
    coach = obj.get("coach")
    coach_key = obj.key_node("coach")
    return Candidate(key, text, coach=coach, coach_line=line_of(source, coach_key) if coach_key else 0)


def candidates(root: Node | None, source: LibraryFile, options: LibraryOptions) -> list[Candidate]:
    """Every reply in a generic library tree, in file order."""
    if root is None:
        return []
    node = root
    while node.kind == "map":
        inner = next((v for k, v in node.items if k.value in CONTAINERS and v.kind in ("seq", "map")), None)
        if inner is None:
            break
        node = inner
    out: list[Candidate] = []
    if node.kind == "str":
        return [Candidate(None, node)]
    if node.kind == "seq":
        for i, item in enumerate(node.items):
            if item.kind == "str":
                out.append(Candidate(f"[{i}]", item))
            elif item.kind == "map":
                cand = _object(item, None, i, source, options)
                if cand is not None:
                    out.append(cand)
    elif node.kind == "map":
        for i, (k, v) in enumerate(node.items):
            if v.kind == "str" and k.value != "coach":
                out.append(Candidate(str(k.value), v))
            elif v.kind == "map":
                cand = _object(v, str(k.value), i, source, options)
                if cand is not None:
                    out.append(cand)
    if not out and (node.items if node.kind in ("map", "seq") else node.value is not None):
        raise InputError("no replies found", path=source.path, line=line_of(source, node), hint=_HINT)
    return out


def titled_bodies(
    items: list[Node] | None, source: LibraryFile, what: str, title: str, text_key: str, html_key: str
) -> list[Candidate]:
    """One Candidate per item of a platform export whose reply sits in a plain-text field and
    an HTML field (Freshdesk canned responses, Intercom macros), keyed by its title."""
    out = []
    for i, item in enumerate(require(items, source, what)):
        if item.kind != "map":
            continue
        picked = pick_body(item.get(text_key), item.get(html_key))
        if picked:
            key = scalar_text(item.get(title)) or f"[{i}]"
            out.append(Candidate(key, picked[0], html=picked[1], companion=picked[2]))
    return out
