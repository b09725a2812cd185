"""Lone UTF-16 surrogates repaired to U+FFFD, one character for one.

JSON may escape half an emoji (`"hi \\ud83d"`, a message cut mid-character) and
Python decodes a non-UTF-8 command-line byte to a lone surrogate; neither can be
encoded as UTF-8, so spaCy and every output writer would fail on it. Replacing
each with U+FFFD keeps every offset, so findings still point at the right place.
"""

from __future__ import annotations

import os
import re
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
#: A `\\uD800`-`\\uDFFF` escape in JSON source: only then can a decoded value hold a lone surrogate.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def repair(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (same length)."""
    return _SURROGATE.sub(REPLACEMENT, text) if _SURROGATE.search(text) else text


def repair_tree(value: Any) -> tuple[Any, int]:
    """A decoded JSON value with lone surrogates repaired in every string (keys too), and how
    many strings were changed. Iterative, so a deeply nested document cannot exhaust the stack."""
    changed = 0

    def fix(item: Any) -> Any:
        nonlocal changed
        if isinstance(item, str) and _SURROGATE.search(item):
            changed += 1
            return _SURROGATE.sub(REPLACEMENT, item)
        return item

    value = fix(value)
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for i, item in enumerate(node):
                node[i] = fix(item)
                if isinstance(item, (list, dict)):
                    stack.append(item)
        elif isinstance(node, dict):
            bad_keys = [k for k in node if isinstance(k, str) and _SURROGATE.search(k)]
            for key in bad_keys:
                node[fix(key)] = node.pop(key)
            for key, item in node.items():
                node[key] = fix(item)
                if isinstance(item, (list, dict)):
                    stack.append(item)
    return value, changed


def argument(text: str) -> tuple[str, bool]:
    """A command-line argument as text: bytes that were not UTF-8 (which Python keeps as lone
    surrogates) decoded with replacement; True when something was replaced."""
    if not _SURROGATE.search(text):
        return text, False
    try:
        raw = os.fsencode(text)
    except UnicodeError:
        return repair(text), True
    return raw.decode("utf-8", errors="replace"), True


#: Codecs Python calls text encodings that do not read bytes as characters: they interpret
#: backslash escapes (and so make lone surrogates out of `\ud83d`) or are for domain names.
_NOT_FILE_ENCODINGS = frozenset({"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined"})


def encoding_problem(name: str) -> str | None:
    """Why `--encoding NAME` cannot decode a file: unknown, or not a text encoding (base64,
    zlib, rot13 and hex transform bytes to bytes or text to text; they crashed the readers)."""
    import codecs

    try:
        info = codecs.lookup(name)
    except LookupError:
        return f"unknown encoding {name!r}"
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in _NOT_FILE_ENCODINGS:
        return f"{name!r} is not a text encoding"
    return None
