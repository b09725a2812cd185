"""Checks for raw spaCy token patterns, the phrasebook escape hatch (pure: no spaCy import)."""

from __future__ import annotations

import re
from typing import Any

# Token attributes coach's blank pipeline fills in. LEMMA is accepted and read as
# NORM, which holds the lookup lemma (the blank pipeline has no lemmatizer component).
STRING_ATTRS = {"ORTH", "TEXT", "LOWER", "NORM", "LEMMA", "SHAPE", "PREFIX", "SUFFIX"}
BOOL_ATTRS = {
    "IS_ALPHA",
    "IS_ASCII",
    "IS_DIGIT",
    "IS_LOWER",
    "IS_UPPER",
    "IS_TITLE",
    "IS_PUNCT",
    "IS_SPACE",
    "IS_STOP",
    "LIKE_NUM",
    "LIKE_URL",
    "LIKE_EMAIL",
    "IS_SENT_START",
}
INT_ATTRS = {"LENGTH"}
OPS = {"!", "?", "*", "+", "{}"}
PREDICATES = {
    "IN",
    "NOT_IN",
    "REGEX",
    "FUZZY",
    "==",
    "!=",
    ">=",
    "<=",
    ">",
    "<",
    "IS_SUBSET",
    "IS_SUPERSET",
    "INTERSECTS",
}
_OP_RE = re.compile(r"^\{\d*(,\d*)?\}$")
MAX_REGEX_CHARS = 200
#: More quantifiers than this in one REGEX: even without nesting, backtracking grows like
#: the token's length to that power.
MAX_QUANTIFIERS = 4
#: Strings a REGEX that "matches every token" matches: REGEX uses re.search, so '', 'x*' or
#: '^' succeed on any token at all.
_PROBES = ("a", "Z", "7", "!", "refund", "I'm", "\u00e9t\u00e9", "\U0001f600", "_", "x" * 40)


def _repeat_problem(items, inside: bool, counter: list[int]) -> str | None:
    """Walk a parsed regex: a repeat (of more than one) inside another, or alternatives inside
    one, can backtrack exponentially: (a+)+, ((a+))+$, (a|a)*$, (x|y+)+."""
    from re import _constants as c  # type: ignore[attr-defined]  # the regex parser's own tree: nesting is not a text pattern

    for op, av in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            _, high, body = av
            multi = high is c.MAXREPEAT or high > 1
            if multi:
                counter[0] += 1
                if inside:
                    return "nests quantifiers"
            problem = _repeat_problem(body, inside or multi, counter)
            if problem:
                return problem
        elif op is c.BRANCH:
            if inside:
                return "repeats a group of alternatives"
            for alternative in av[1]:
                problem = _repeat_problem(alternative, inside, counter)
                if problem:
                    return problem
        elif op is c.SUBPATTERN:
            problem = _repeat_problem(av[-1], inside, counter)
            if problem:
                return problem
        elif op in (c.ASSERT, c.ASSERT_NOT):
            problem = _repeat_problem(av[1], inside, counter)
            if problem:
                return problem
        elif op is c.GROUPREF_EXISTS:
            for branch in av[1:]:
                if branch is not None:
                    problem = _repeat_problem(branch, inside, counter)
                    if problem:
                        return problem
        # POSSESSIVE_REPEAT and ATOMIC_GROUP never backtrack into their body: nothing to check.
    return None


def _short(value: str, width: int = 60) -> str:
    return repr(value) if len(value) <= width else repr(value[:width]) + f"... ({len(value):,} characters)"


def regex_problem(value: str) -> str | None:
    """Why a REGEX value is refused: too long, invalid, able to backtrack for ever (nested
    quantifiers, repeated alternatives, too many quantifiers), or matching every token."""
    if len(value) > MAX_REGEX_CHARS:
        return f"REGEX longer than {MAX_REGEX_CHARS} characters; use phrases instead"
    try:
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(value)
        compiled = re.compile(value)
    except (re.error, OverflowError, RecursionError) as exc:
        return f"invalid REGEX {_short(value)}: {exc}"
    counter = [0]
    problem = _repeat_problem(list(parsed), False, counter)
    if problem:
        return f"REGEX {_short(value)} {problem} (catastrophic backtracking); simplify it"
    if counter[0] > MAX_QUANTIFIERS:
        return (
            f"REGEX {_short(value)} has {counter[0]} quantifiers, over {MAX_QUANTIFIERS} "
            f"(backtracking grows with each); simplify it"
        )
    if all(compiled.search(probe) for probe in _PROBES):
        return f"REGEX {_short(value)} matches every token"
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
            if pred in _COMPARISONS and (isinstance(arg, bool) or not isinstance(arg, int)):
                return f"{pred} needs an integer"
        return None
    if attr in BOOL_ATTRS and not isinstance(value, bool):
        return f"{attr} needs true/false"
    if attr in INT_ATTRS and (isinstance(value, bool) or not isinstance(value, int)):
        return f"{attr} needs an integer"
    if attr in STRING_ATTRS and not isinstance(value, str):
        return f"{attr} needs a string"
    return None


_COMPARISONS = ("==", "!=", ">=", "<=", ">", "<")


def _always_true(pred: str, arg: Any) -> bool:
    """A predicate every token meets (tokens have at least one character): NOT_IN [],
    LENGTH >= 0 or > 0 or != 0, a REGEX that matches anything."""
    if pred == "NOT_IN":
        return arg == []
    if pred in _COMPARISONS and isinstance(arg, int):
        return (pred == ">=" and arg <= 1) or (pred == ">" and arg < 1) or (pred == "!=" and arg < 1)
    if pred == "REGEX" and isinstance(arg, str):
        try:
            return all(re.search(arg, probe) for probe in _PROBES)
        except re.error:
            return False
    return False


def _constrains(attrs: dict[str, Any]) -> bool:
    """Whether a token's attributes rule any token out (`{LENGTH: {">=": 0}}` does not)."""
    for value in attrs.values():
        if not isinstance(value, dict) or not all(_always_true(pred, arg) for pred, arg in value.items()):
            return True
    return False


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
        constrained = bool(attrs) and _constrains(attrs)
        if (
            constrained
            and op in (None, "+", "{}")
            or (constrained and op and _OP_RE.match(op) and not op.startswith("{0"))
        ):
            anchored = True
    if not anchored:
        return (
            "pattern matches everything (every token is a wildcard, optional, or constrained only "
            "by a test every token passes)"
        )
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
