"""Checks for raw spaCy token patterns, the phrasebook escape hatch (pure: no spaCy import)."""

from __future__ import annotations

import re
from typing import Any

# Token attributes coach's blank pipeline fills in. LEMMA is accepted and read as
# NORM, which holds the lookup lemma (the blank pipeline has no lemmatizer component).
STRING_ATTRS = {"ORTH", "TEXT", "LOWER", "NORM", "LEMMA", "SHAPE", "PREFIX", "SUFFIX"}
BOOL_ATTRS = {"IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE",
              "IS_PUNCT", "IS_SPACE", "IS_STOP", "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL",
              "IS_SENT_START"}
INT_ATTRS = {"LENGTH"}
OPS = {"!", "?", "*", "+", "{}"}
PREDICATES = {"IN", "NOT_IN", "REGEX", "FUZZY", "==", "!=", ">=", "<=", ">", "<", "IS_SUBSET",
              "IS_SUPERSET", "INTERSECTS"}
# A group that repeats something already repeated: (a+)+, (\w*)*, (x|y+)+ ...
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")
_OP_RE = re.compile(r"^\{\d*(,\d*)?\}$")


def regex_problem(value: str) -> str | None:
    """Why a REGEX value is refused: invalid, or nested quantifiers that can backtrack forever."""
    try:
        re.compile(value)
    except re.error as exc:
        return f"invalid REGEX {value!r}: {exc}"
    if _NESTED_QUANTIFIER.search(value):
        return f"REGEX {value!r} nests quantifiers (catastrophic backtracking); simplify it"
    if len(value) > 200:
        return "REGEX longer than 200 characters; use phrases instead"
    return None


def _value_problem(attr: str, value: Any) -> str | None:
    if isinstance(value, dict):
        for pred, arg in value.items():
            if pred not in PREDICATES:
                return f"unknown predicate {pred!r} on {attr}"
            if pred == "REGEX":
                if not isinstance(arg, str):
                    return "REGEX needs a string"
                problem = regex_problem(arg)
                if problem:
                    return problem
            if pred in ("IN", "NOT_IN") and not isinstance(arg, list):
                return f"{pred} needs a list"
        return None
    if attr in BOOL_ATTRS and not isinstance(value, bool):
        return f"{attr} needs true/false"
    if attr in INT_ATTRS and (isinstance(value, bool) or not isinstance(value, int)):
        return f"{attr} needs an integer"
    if attr in STRING_ATTRS and not isinstance(value, str):
        return f"{attr} needs a string"
    return None


def pattern_problem(pattern: Any) -> str | None:
    """Return why a token pattern is unusable, or None when it is fine."""
    if not isinstance(pattern, list) or not pattern:
        return "a pattern is a non-empty list of token dicts"
    anchored = False
    for token in pattern:
        if not isinstance(token, dict):
            return "each token in a pattern must be a mapping like {LOWER: refund}"
        op = token.get("OP")
        if op is not None and (not isinstance(op, str) or not (op in OPS or _OP_RE.match(op))):
            return f"OP {op!r} must be one of ! ? * + or {{n,m}}"
        attrs = {k: v for k, v in token.items() if k != "OP"}
        for attr, value in attrs.items():
            key = str(attr).upper()
            if key not in STRING_ATTRS | BOOL_ATTRS | INT_ATTRS:
                return f"unknown token attribute {attr!r} (the blank pipeline has no POS/DEP/ENT_TYPE)"
            problem = _value_problem(key, value)
            if problem:
                return problem
        if attrs and op in (None, "+", "{}") or (attrs and op and _OP_RE.match(op)
                                                  and not op.startswith("{0")):
            anchored = True
    if not anchored:
        return "pattern matches everything (every token is a wildcard or optional)"
    return None


def spacy_pattern(pattern: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Upper-case attribute names and read LEMMA as NORM, for spaCy's Matcher."""
    out = []
    for token in pattern:
        converted = {}
        for key, value in token.items():
            name = str(key).upper()
            converted["NORM" if name == "LEMMA" else name] = value
        out.append(converted)
    return out
