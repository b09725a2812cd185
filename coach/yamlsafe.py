"""Safe YAML loading that keeps line numbers and refuses what PyYAML lets through.

PyYAML's safe_load silently keeps the last of two duplicate keys, expands
alias bombs, and forgets where each value was written. coach composes the
node tree itself instead, so every value carries its line and every problem
can be reported as file:line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: much faster
_BOOL = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}


class YamlProblem(ValueError):
    """A YAML problem at a 1-based line."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Located:
    """A value with the 1-based line it was written on; mappings/lists hold Located children."""

    value: Any
    line: int

    def plain(self) -> Any:
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag.rsplit(":", 1)[-1]
    text = node.value
    if tag == "null":
        return None
    if tag == "bool":
        return _BOOL.get(text.lower(), text)
    if tag == "int":
        try:
            return int(text.replace("_", ""), 0)
        except ValueError:
            return text
    if tag == "float":
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return text


_STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
)


def _convert(node: yaml.Node, budget: list[int], depth: int = 0) -> Located:
    if node.tag not in _STANDARD_TAGS:
        raise YamlProblem(f"YAML tag {node.tag!r} is not allowed in a phrasebook; remove it", node.start_mark.line + 1)
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlProblem(f"more than {MAX_NODES} values (after expanding aliases); refusing", node.start_mark.line + 1)
    if depth > 100:
        raise YamlProblem("nested more than 100 levels deep", node.start_mark.line + 1)
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        return Located(_scalar(node), line)
    if isinstance(node, yaml.SequenceNode):
        return Located([_convert(child, budget, depth + 1) for child in node.value], line)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Located] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("mapping keys must be plain strings", key_node.start_mark.line + 1)
            key = _scalar(key_node)
            if key in out:
                raise YamlProblem(
                    f"duplicate key {key!r} (first on line {out[key].line}); "
                    "PyYAML would silently keep only the last one",
                    key_node.start_mark.line + 1,
                )
            out[key] = _convert(value_node, budget, depth + 1)
        return Located(out, line)
    raise YamlProblem(f"unsupported YAML node {type(node).__name__}", line)


def load(text: str) -> Located | None:
    """Compose `text` safely and return Located values (None for an empty document)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlProblem(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB; refusing")
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlProblem(f"invalid YAML: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {exc}") from None
    if node is None:
        return None
    return _convert(node, [MAX_NODES])
