"""Validation of one phrasebook rule, in named steps; every problem is collected, located
by line and rule id, so an author fixes a file in one pass (coach.phrasebook reads the file)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from .engine.phrase_syntax import MAX_PHRASE_CHARS, PhraseSyntaxError, plan, split_slot
from .errors import PhrasebookError
from .models import APOLOGY_ELEMENTS, NEGATIVE_CATEGORIES, SEVERITIES, Example, Rule
from .yamlsafe import Located

RULE_KEYS = (
    "id",
    "category",
    "element",
    "phrases",
    "patterns",
    "unless",
    "message",
    "source",
    "severity",
    "weight",
    "rewrites",
    "fix",
    "speaker",
    "examples",
    "override",
    "followed_by",
    "unless_followed_by",
    "softened_by",
    "help_uri",
)
FRAGMENT_RE = re.compile(r"\$([A-Za-z][A-Za-z0-9_]*)")
HELP_URI_RE = re.compile(r"^https?://[^\s]+$")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")
CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
SPEAKERS = ("agent", "customer", "any")


def suggest(key: str, valid: Iterable[str]) -> str | None:
    match = difflib.get_close_matches(str(key), list(valid), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else f"valid keys: {', '.join(valid)}"


class Problems:
    """Gathers located problems for one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[PhrasebookError] = []

    def add(self, message: str, line: int | None, rule: str | None = None, hint: str | None = None) -> None:
        self.errors.append(PhrasebookError(message, path=self.path, line=line, rule=rule, hint=hint))


def strings(
    loc: Located | None, what: str, errs: Problems, rule: str | None, allow_single: bool = True
) -> list[tuple[str, int]]:
    """A string or list of strings, with lines; problems reported, bad items dropped."""
    if loc is None:
        return []
    items = loc.value if isinstance(loc.value, list) else ([loc] if allow_single else None)
    if items is None:
        errs.add(f"'{what}' must be a list of strings", loc.line, rule)
        return []
    out = []
    for item in items:
        if isinstance(item.value, str) and item.value.strip():
            out.append((item.value, item.line))
        elif isinstance(item.value, str):
            errs.add(f"empty string in '{what}'", item.line, rule)
        else:
            errs.add(
                f"'{what}' entries must be strings, got {type(item.value).__name__}",
                item.line,
                rule,
                hint="quote the entry",
            )
    return out


def _short(text: str, width: int = 60) -> str:
    """A phrase as messages quote it: a hostile 5 MB one is not echoed back whole."""
    return repr(text) if len(text) <= width else repr(text[:width]) + f"... ({len(text):,} characters)"


def _check_phrases(items: list[tuple[str, int]], what: str, errs: Problems, rule: str | None) -> None:
    for phrase, line in items:
        try:
            plan(phrase)
        except PhraseSyntaxError as exc:
            errs.add(f"bad phrase in '{what}' {_short(phrase)}: {exc}", line, rule)


SLOT_RE = re.compile(r"\{([^{}]*)\}")


def _check_slots(
    phrases: list[tuple[str, int]],
    unless: list[tuple[str, int]],
    rewrites: list[tuple[str, int]],
    errs: Problems,
    rule: str | None,
) -> None:
    """Slots end phrases only; a rewrite fills only slots its phrases declare, only in a
    sentence template, and the rule keeps one rewrite without slots."""
    declared = {name for p, _ in phrases if (name := split_slot(p)[1]) is not None}
    for phrase, line in unless:
        if split_slot(phrase)[1]:
            errs.add(f"'unless' phrase {_short(phrase)} cannot have a slot: only 'phrases' fill rewrites", line, rule)
    with_slots = 0
    for text, line in rewrites:
        names = SLOT_RE.findall(text)
        with_slots += bool(names)
        for name in names:
            if name not in declared:
                known = ", ".join(f"{{{n}}}" for n in sorted(declared)) or "none"
                errs.add(
                    f"rewrite {_short(text)} uses {{{name}}}, which no phrase of the rule ends in (declared: {known})",
                    line,
                    rule,
                )
        if names and not text.rstrip().endswith((".", "!", "?")):
            errs.add(
                f"rewrite {_short(text)} has a slot but is not a sentence template (end it with . ! or ?)", line, rule
            )
    if rewrites and with_slots == len(rewrites):
        errs.add(
            "every rewrite uses a slot; keep one without, for when nothing follows the match", rewrites[0][1], rule
        )


def _examples(
    loc: Located | None, errs: Problems, rule: str | None, line: int
) -> tuple[tuple[Example, ...], tuple[str, ...]]:
    if loc is None or not isinstance(loc.value, dict):
        errs.add("every rule needs 'examples' with 'match' and 'no_match' lists", loc.line if loc else line, rule)
        return (), ()
    for key in loc.value:
        if key not in ("match", "no_match"):
            errs.add(
                f"unknown key '{key}' in examples", loc.value[key].line, rule, hint=suggest(key, ("match", "no_match"))
            )
    matches: list[Example] = []
    m = loc.value.get("match")
    for item in m.value if m is not None and isinstance(m.value, list) else []:
        if isinstance(item.value, str) and item.value.strip():
            matches.append(Example(item.value))
        elif isinstance(item.value, dict) and isinstance(item.value.get("text", Located(None, 0)).value, str):
            span = item.value.get("span")
            span_text = span.value if span is not None else None
            if span_text is not None and (not isinstance(span_text, str) or span_text not in item.value["text"].value):
                errs.add(f"example span {span_text!r} does not occur in its text", item.line, rule)
                span_text = None
            matches.append(Example(item.value["text"].value, span_text))
        else:
            errs.add("a 'match' example is a sentence or {text, span}", item.line, rule)
    no_match = [text for text, _ in strings(loc.value.get("no_match"), "no_match", errs, rule)]
    if not matches:
        errs.add("needs at least one 'match' example", loc.line, rule)
    if not no_match:
        errs.add("needs at least one 'no_match' example", loc.line, rule)
    return tuple(matches), tuple(no_match)


def substitute(
    items: list[tuple[str, int]],
    fragments: dict[str, str | None],
    errs: Problems,
    rid: str | None,
    what: str = "phrase",
) -> list[tuple[str, int]]:
    """Replace each $NAME with its `define:` fragment, as one alternation group.

    The length of the result is added up before it is built: fragments that double at each
    level (`A1: "$A0 $A0"` ... `A27`) reached 16 GB. A longer result is reported and the
    phrase left as written; a fragment that was itself too long (None) was reported already."""
    out = []
    for phrase, line in items:
        size = len(phrase)
        for match in FRAGMENT_RE.finditer(phrase):
            fragment = fragments.get(match.group(1))
            if fragment is not None:
                size += len(fragment) + 2 - len(match.group(0))
        if size > MAX_PHRASE_CHARS and size != len(phrase):  # (without fragments: parse() says it)
            errs.add(
                f"{what} expands to {size:,} characters with its $fragments, over the {MAX_PHRASE_CHARS:,} limit",
                line,
                rid,
                hint="use fewer or smaller fragments",
            )
            out.append((phrase, line))
            continue

        def fill(match: re.Match) -> str:
            name = match.group(1)
            if name not in fragments:
                # fill runs inside this iteration's re.sub, so `line` is this phrase's line
                hint = suggest(name, fragments) if fragments else "define it under the top-level 'define:' key"
                errs.add(f"unknown fragment ${name}", line, rid, hint=hint)  # noqa: B023
                return name
            fragment = fragments[name]
            return name if fragment is None else f"({fragment})"

        out.append((FRAGMENT_RE.sub(fill, phrase), line))
    return out


def read_fragments(loc: Located, errs: Problems) -> dict[str, str | None]:
    """Top-level `define:` fragments; later ones may use earlier ones (None: too long, reported)."""
    fragments: dict[str, str | None] = {}
    if not isinstance(loc.value, dict):
        errs.add("'define' maps NAME to a phrase fragment", loc.line)
        return fragments
    for name, value in loc.value.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            errs.add(f"fragment name {name!r} must be a word like LOOK_VERBS", value.line)
        elif not isinstance(value.value, str) or not value.value.strip():
            errs.add(f"fragment ${name} must be a non-empty phrase", value.line)
        else:
            before = len(errs.errors)
            ((text, _),) = substitute([(value.value, value.line)], fragments, errs, None, f"fragment ${name}")
            broken = any(fragments.get(m.group(1), "") is None for m in FRAGMENT_RE.finditer(value.value))
            fragments[name] = None if broken or len(errs.errors) > before else text
    return fragments


def _patterns(loc: Located | None, errs: Problems, rid: str | None) -> list[Any]:
    """Raw spaCy token patterns (escape hatch), checked by coach.engine.engine.validate_pattern."""
    if loc is None:
        return []
    if not isinstance(loc.value, list):
        errs.add("'patterns' must be a list of spaCy token patterns (lists of dicts)", loc.line, rid)
        return []
    from .engine.patterns import pattern_problem  # pure checks, no spaCy import

    out = []
    for item in loc.value:
        pattern = item.plain()
        problem = pattern_problem(pattern)
        if problem:
            errs.add(f"bad token pattern: {problem}", item.line, rid)
        else:
            out.append(pattern)
    return out


class _Fields:
    """One rule's mapping read key by key: a value of the wrong type is reported and the
    default used, so the later steps see plain values."""

    def __init__(self, loc: Located, defaults: dict[str, Any], errs: Problems, rid: str | None) -> None:
        self.data: dict[str, Located] = loc.value
        self.line = loc.line
        self.defaults = defaults
        self.errs = errs
        self.rid = rid

    def get(self, key: str, kinds: tuple[type, ...], default: Any) -> Any:
        item = self.data.get(key)
        if item is None:
            return self.defaults.get(key, default)
        if not isinstance(item.value, kinds) or (isinstance(item.value, bool) and bool not in kinds):
            names = "/".join(k.__name__ for k in kinds)
            self.add(f"'{key}' must be {names}, got {type(item.value).__name__}", item.line)
            return default
        return item.value

    def line_of(self, key: str) -> int:
        """The key's line, or the rule's where the key is absent (a default was wrong)."""
        return self.data[key].line if key in self.data else self.line

    def add(self, message: str, line: int, hint: str | None = None) -> None:
        self.errs.add(message, line, self.rid, hint=hint)


def validate_rule(
    loc: Located, defaults: dict[str, Any], errs: Problems, path: str, fragments: dict[str, str | None] | None = None
) -> Rule | None:
    """One rule from its YAML mapping; None when it has problems (all added to `errs`)."""
    if not isinstance(loc.value, dict):
        errs.add("each rule must be a mapping with at least 'id', 'category' and 'phrases'", loc.line)
        return None
    rid = _rule_id(loc, errs)
    before = len(errs.errors)
    rule = _Fields(loc, defaults, errs, rid)
    _unknown_keys(rule)
    category, element = _category(rule)
    severity = _severity(rule, category)
    weight = _weight(rule)
    speaker = _speaker(rule)
    phrases, unless, patterns = _matching(rule, fragments or {})
    rewrites = _rewrites(rule, category, phrases, unless)
    override = rule.get("override", (bool,), False)
    fix = _fix(rule)
    followed_by = _followed_by(rule)
    unless_followed_by = _unless_followed_by(rule)
    softened_by = _softened_by(rule)
    help_uri = _help_uri(rule)
    matches, no_match = _examples(rule.data.get("examples"), errs, rid, loc.line)
    if len(errs.errors) > before or rid is None:
        return None
    return Rule(
        id=rid,
        category=category,
        element=element,
        phrases=tuple(p for p, _ in phrases),
        patterns=tuple(patterns),
        unless=tuple(u for u, _ in unless),
        message=rule.get("message", (str,), "").strip(),
        source=rule.get("source", (str,), "").strip(),
        severity=severity,
        weight=float(weight),
        rewrites=tuple(rewrites),
        fix=fix,
        speaker=speaker,
        override=override,
        match_examples=matches,
        no_match_examples=no_match,
        followed_by=tuple(followed_by),
        unless_followed_by=tuple(unless_followed_by),
        softened_by=tuple(softened_by),
        help_uri=help_uri,
        path=path,
        line=loc.line,
    )


def _rule_id(loc: Located, errs: Problems) -> str | None:
    rid_loc = loc.value.get("id")
    rid = rid_loc.value if rid_loc is not None else None
    if not isinstance(rid, str) or not ID_RE.match(rid):
        errs.add(
            f"rule id {rid!r} must be dotted lowercase words like 'blocking.policy'",
            rid_loc.line if rid_loc else loc.line,
        )
        return str(rid) if rid is not None else None
    return rid


def _unknown_keys(rule: _Fields) -> None:
    for key, value in rule.data.items():
        if key not in RULE_KEYS:
            rule.add(f"unknown key '{key}'", value.line, hint=suggest(key, RULE_KEYS))


def _category(rule: _Fields) -> tuple[Any, Any]:
    """The category, and the element an apology rule needs (and no other rule may have)."""
    category = rule.get("category", (str,), None)
    if category is None:
        rule.add("missing 'category'", rule.line)
    elif not CATEGORY_RE.match(category):
        rule.add(f"category {category!r} must be a lowercase word", rule.data["category"].line)
    element = rule.get("element", (str,), None)
    if category == "apology" and element not in APOLOGY_ELEMENTS:
        rule.add(f"apology rules need 'element': one of {', '.join(APOLOGY_ELEMENTS)}", rule.line_of("element"))
    elif category != "apology" and element is not None:
        rule.add("'element' is only for category 'apology'", rule.data["element"].line)
    return category, element


def _severity(rule: _Fields, category: Any) -> Any:
    severity = rule.get("severity", (str,), "info" if category not in NEGATIVE_CATEGORIES else "warning")
    if severity not in SEVERITIES:
        rule.add(f"severity {severity!r} must be one of {', '.join(SEVERITIES)}", rule.line_of("severity"))
    return severity


def _weight(rule: _Fields) -> Any:
    weight = rule.get("weight", (int, float), 1.0)
    if isinstance(weight, (int, float)) and not 0 <= weight <= 10:
        rule.add("'weight' must be between 0 and 10", rule.data["weight"].line)
    return weight


def _speaker(rule: _Fields) -> Any:
    speaker = rule.get("speaker", (str,), "agent")
    if speaker not in SPEAKERS:
        rule.add(f"speaker {speaker!r} must be one of {', '.join(SPEAKERS)}", rule.data["speaker"].line)
    return speaker


def _matching(
    rule: _Fields, fragments: dict[str, str | None]
) -> tuple[list[tuple[str, int]], list[tuple[str, int]], list[Any]]:
    """What the rule matches: phrases and unless-phrases with their $fragments filled and
    their syntax checked, and raw token patterns; a rule needs phrases or patterns."""
    errs, rid = rule.errs, rule.rid
    phrases = substitute(strings(rule.data.get("phrases"), "phrases", errs, rid), fragments, errs, rid)
    unless = substitute(strings(rule.data.get("unless"), "unless", errs, rid), fragments, errs, rid)
    _check_phrases(phrases, "phrases", errs, rid)
    _check_phrases(unless, "unless", errs, rid)
    patterns = _patterns(rule.data.get("patterns"), errs, rid)
    if not phrases and not patterns:
        rule.add("a rule needs 'phrases' (or raw 'patterns')", rule.line)
    return phrases, unless, patterns


def _rewrites(rule: _Fields, category: Any, phrases: list[tuple[str, int]], unless: list[tuple[str, int]]) -> list[str]:
    """The rewrites, their slots checked against the phrases; a rule of a negative category
    needs two, so an agent has a choice."""
    items = strings(rule.data.get("rewrites"), "rewrites", rule.errs, rule.rid)
    _check_slots(phrases, unless, items, rule.errs, rule.rid)
    if category in NEGATIVE_CATEGORIES and len(items) < 2:
        rule.add(f"{category} rules need at least two 'rewrites'", rule.line_of("rewrites"))
    return [text for text, _ in items]


def _fix(rule: _Fields) -> Any:
    fix = rule.get("fix", (str,), None)
    if fix not in (None, "safe", "unsafe"):
        rule.add(
            "'fix' must be 'safe' (the first rewrite may be applied automatically) or 'unsafe'", rule.data["fix"].line
        )
    return fix


def _followed_by(rule: _Fields) -> list[str]:
    return _names(rule, "followed_by", (CATEGORY_RE,), "a category such as 'blocking'")


def _unless_followed_by(rule: _Fields) -> list[str]:
    return _names(
        rule, "unless_followed_by", (CATEGORY_RE, ID_RE), "a category or a rule id such as 'advocacy.followup'"
    )


def _softened_by(rule: _Fields) -> list[str]:
    return _names(rule, "softened_by", (CATEGORY_RE, ID_RE), "a category or a rule id such as 'advocacy.options'")


def _names(rule: _Fields, key: str, valid: tuple[re.Pattern, ...], what: str) -> list[str]:
    """A list of categories (or rule ids) under `key`, each checked against one of `valid`."""
    names = [text for text, _ in strings(rule.data.get(key), key, rule.errs, rule.rid)]
    for text in names:
        if not any(pattern.match(text) for pattern in valid):
            rule.add(f"{key} {text!r} must be {what}", rule.data[key].line)
    return names


def _help_uri(rule: _Fields) -> str:
    help_uri = rule.get("help_uri", (str,), "").strip()
    if help_uri and not HELP_URI_RE.match(help_uri):
        rule.add(f"'help_uri' must be an http(s) address, got {help_uri!r}", rule.line_of("help_uri"))
    return help_uri
