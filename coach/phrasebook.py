"""Phrasebooks: YAML rule files, loaded safely and validated all at once.

Every problem in a file is collected and raised together as PhrasebookErrors,
each located by file, line and rule id, so an author fixes them in one pass.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from . import yamlsafe
from .engine.phrase_syntax import MAX_PHRASE_CHARS, PhraseSyntaxError, plan, split_slot
from .errors import PhrasebookError, PhrasebookErrors
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
    "help_uri",
)
TOP_KEYS = ("phrasebook", "version", "description", "defaults", "define", "extends", "disable", "rules")
FRAGMENT_RE = re.compile(r"\$([A-Za-z][A-Za-z0-9_]*)")
DEFAULT_KEYS = ("category", "severity", "weight", "source", "speaker", "help_uri")
HELP_URI_RE = re.compile(r"^https?://[^\s]+$")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")
CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
SPEAKERS = ("agent", "customer", "any")
BUILTIN_NAMES = ("advocacy", "blocking", "apology", "complaint")


@dataclass
class Phrasebook:
    """One loaded file: its rules plus the default-set controls it declares."""

    path: str
    rules: list[Rule] = field(default_factory=list)
    extends: tuple[str, ...] | None = None
    disable: tuple[str, ...] = ()


#: The cached classes' fields: part of every cache key here, so entries written by a coach
#: whose Rule had other fields are never read back.
#: Bump when validation changes: a phrasebook cached by a build that validated less is read again.
VALIDATION = 3
#: What a cached phrasebook depends on besides its text: the cached classes' field layout
#: (a new field must not unpickle shifted) and the validation rules it passed.
CACHE_SCHEMA = (
    "|".join(",".join(f.name for f in fields(cls)) for cls in (Rule, Example, Phrasebook)) + f"|v{VALIDATION}"
)


def _suggest(key: str, valid: Iterable[str]) -> str | None:
    match = difflib.get_close_matches(str(key), list(valid), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else f"valid keys: {', '.join(valid)}"


class _Collector:
    """Gathers located problems for one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[PhrasebookError] = []

    def add(self, message: str, line: int | None, rule: str | None = None, hint: str | None = None) -> None:
        self.errors.append(PhrasebookError(message, path=self.path, line=line, rule=rule, hint=hint))


def _strings(
    loc: Located | None, what: str, errs: _Collector, rule: str | None, allow_single: bool = True
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


def _check_phrases(items: list[tuple[str, int]], what: str, errs: _Collector, rule: str | None) -> None:
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
    errs: _Collector,
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
    loc: Located | None, errs: _Collector, rule: str | None, line: int
) -> tuple[tuple[Example, ...], tuple[str, ...]]:
    if loc is None or not isinstance(loc.value, dict):
        errs.add("every rule needs 'examples' with 'match' and 'no_match' lists", loc.line if loc else line, rule)
        return (), ()
    for key in loc.value:
        if key not in ("match", "no_match"):
            errs.add(
                f"unknown key '{key}' in examples", loc.value[key].line, rule, hint=_suggest(key, ("match", "no_match"))
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
    no_match = [text for text, _ in _strings(loc.value.get("no_match"), "no_match", errs, rule)]
    if not matches:
        errs.add("needs at least one 'match' example", loc.line, rule)
    if not no_match:
        errs.add("needs at least one 'no_match' example", loc.line, rule)
    return tuple(matches), tuple(no_match)


def _substitute(
    items: list[tuple[str, int]],
    fragments: dict[str, str | None],
    errs: _Collector,
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
                hint = _suggest(name, fragments) if fragments else "define it under the top-level 'define:' key"
                errs.add(f"unknown fragment ${name}", line, rid, hint=hint)  # noqa: B023
                return name
            fragment = fragments[name]
            return name if fragment is None else f"({fragment})"

        out.append((FRAGMENT_RE.sub(fill, phrase), line))
    return out


def _fragments(loc: Located, errs: _Collector) -> dict[str, str | None]:
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
            ((text, _),) = _substitute([(value.value, value.line)], fragments, errs, None, f"fragment ${name}")
            broken = any(fragments.get(m.group(1), "") is None for m in FRAGMENT_RE.finditer(value.value))
            fragments[name] = None if broken or len(errs.errors) > before else text
    return fragments


def _rule(
    loc: Located, defaults: dict[str, Any], errs: _Collector, path: str, fragments: dict[str, str | None] | None = None
) -> Rule | None:
    if not isinstance(loc.value, dict):
        errs.add("each rule must be a mapping with at least 'id', 'category' and 'phrases'", loc.line)
        return None
    data = loc.value
    rid_loc = data.get("id")
    rid = rid_loc.value if rid_loc is not None else None
    if not isinstance(rid, str) or not ID_RE.match(rid):
        errs.add(
            f"rule id {rid!r} must be dotted lowercase words like 'blocking.policy'",
            rid_loc.line if rid_loc else loc.line,
        )
        rid = str(rid) if rid is not None else None
    before = len(errs.errors)
    for key, value in data.items():
        if key not in RULE_KEYS:
            errs.add(f"unknown key '{key}'", value.line, rid, hint=_suggest(key, RULE_KEYS))

    def get(key: str, kinds: tuple[type, ...], default: Any) -> Any:
        item = data.get(key)
        if item is None:
            return defaults.get(key, default)
        if not isinstance(item.value, kinds) or (isinstance(item.value, bool) and bool not in kinds):
            names = "/".join(k.__name__ for k in kinds)
            errs.add(f"'{key}' must be {names}, got {type(item.value).__name__}", item.line, rid)
            return default
        return item.value

    category = get("category", (str,), None)
    if category is None:
        errs.add("missing 'category'", loc.line, rid)
    elif not CATEGORY_RE.match(category):
        errs.add(f"category {category!r} must be a lowercase word", data["category"].line, rid)
    element = get("element", (str,), None)
    if category == "apology" and element not in APOLOGY_ELEMENTS:
        errs.add(
            f"apology rules need 'element': one of {', '.join(APOLOGY_ELEMENTS)}",
            data["element"].line if "element" in data else loc.line,
            rid,
        )
    elif category != "apology" and element is not None:
        errs.add("'element' is only for category 'apology'", data["element"].line, rid)
    severity = get("severity", (str,), "info" if category not in NEGATIVE_CATEGORIES else "warning")
    if severity not in SEVERITIES:
        errs.add(
            f"severity {severity!r} must be one of {', '.join(SEVERITIES)}",
            data["severity"].line if "severity" in data else loc.line,
            rid,
        )
    weight = get("weight", (int, float), 1.0)
    if isinstance(weight, (int, float)) and not 0 <= weight <= 10:
        errs.add("'weight' must be between 0 and 10", data["weight"].line, rid)
    speaker = get("speaker", (str,), "agent")
    if speaker not in SPEAKERS:
        errs.add(f"speaker {speaker!r} must be one of {', '.join(SPEAKERS)}", data["speaker"].line, rid)
    phrases = _substitute(_strings(data.get("phrases"), "phrases", errs, rid), fragments or {}, errs, rid)
    unless = _substitute(_strings(data.get("unless"), "unless", errs, rid), fragments or {}, errs, rid)
    _check_phrases(phrases, "phrases", errs, rid)
    _check_phrases(unless, "unless", errs, rid)
    patterns = _patterns(data.get("patterns"), errs, rid)
    if not phrases and not patterns:
        errs.add("a rule needs 'phrases' (or raw 'patterns')", loc.line, rid)
    rewrite_items = _strings(data.get("rewrites"), "rewrites", errs, rid)
    rewrites = [text for text, _ in rewrite_items]
    _check_slots(phrases, unless, rewrite_items, errs, rid)
    if category in NEGATIVE_CATEGORIES and len(rewrites) < 2:
        errs.add(
            f"{category} rules need at least two 'rewrites'",
            data["rewrites"].line if "rewrites" in data else loc.line,
            rid,
        )
    override = get("override", (bool,), False)
    fix = get("fix", (str,), None)
    if fix not in (None, "safe", "unsafe"):
        errs.add(
            "'fix' must be 'safe' (the first rewrite may be applied automatically) or 'unsafe'", data["fix"].line, rid
        )
    followed_by = [text for text, _ in _strings(data.get("followed_by"), "followed_by", errs, rid)]
    for text in followed_by:
        if not CATEGORY_RE.match(text):
            errs.add(f"followed_by {text!r} must be a category such as 'blocking'", data["followed_by"].line, rid)
    help_uri = get("help_uri", (str,), "").strip()
    if help_uri and not HELP_URI_RE.match(help_uri):
        errs.add(
            f"'help_uri' must be an http(s) address, got {help_uri!r}",
            data["help_uri"].line if "help_uri" in data else loc.line,
            rid,
        )
    matches, no_match = _examples(data.get("examples"), errs, rid, loc.line)
    if len(errs.errors) > before or rid is None:
        return None
    return Rule(
        id=rid,
        category=category,
        element=element,
        phrases=tuple(p for p, _ in phrases),
        patterns=tuple(patterns),
        unless=tuple(u for u, _ in unless),
        message=get("message", (str,), "").strip(),
        source=get("source", (str,), "").strip(),
        severity=severity,
        weight=float(weight),
        rewrites=tuple(rewrites),
        fix=fix,
        speaker=speaker,
        override=override,
        match_examples=matches,
        no_match_examples=no_match,
        followed_by=tuple(followed_by),
        help_uri=help_uri,
        path=path,
        line=loc.line,
    )


def _patterns(loc: Located | None, errs: _Collector, rid: str | None) -> list[Any]:
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


def parse_phrasebook(text: str, path: str) -> Phrasebook:
    """Validate one phrasebook's text; raise PhrasebookErrors listing every problem."""
    errs = _Collector(path)
    try:
        root = yamlsafe.load(text)
    except yamlsafe.YamlProblem as exc:
        raise PhrasebookErrors([PhrasebookError(str(exc), path=path, line=exc.line)]) from None
    book = Phrasebook(path)
    if root is None or not isinstance(root.value, dict):
        errs.add("a phrasebook is a mapping with a 'rules' list", root.line if root else 1)
        raise PhrasebookErrors(errs.errors)
    top = root.value
    for key, value in top.items():
        if key not in TOP_KEYS:
            errs.add(f"unknown top-level key '{key}'", value.line, hint=_suggest(key, TOP_KEYS))
    defaults: dict[str, Any] = {}
    fragments = _fragments(top["define"], errs) if "define" in top else {}
    if "defaults" in top:
        d = top["defaults"]
        if not isinstance(d.value, dict):
            errs.add("'defaults' must be a mapping", d.line)
        else:
            for key, value in d.value.items():
                if key not in DEFAULT_KEYS:
                    errs.add(f"unknown key '{key}' in defaults", value.line, hint=_suggest(key, DEFAULT_KEYS))
                else:
                    defaults[key] = value.value
    if "extends" in top:
        book.extends = tuple(t for t, _ in _strings(top["extends"], "extends", errs, None))
    if "disable" in top:
        book.disable = tuple(t for t, _ in _strings(top["disable"], "disable", errs, None))
    rules = top.get("rules")
    if rules is None or not isinstance(rules.value, list):
        if rules is not None or not book.disable:
            errs.add("'rules' must be a list of rules", rules.line if rules else root.line)
    else:
        seen: dict[str, int] = {}
        for item in rules.value:
            rule = _rule(item, defaults, errs, path, fragments)
            if rule is None:
                continue
            if rule.id in seen:
                errs.add(f"duplicate rule id (first on line {seen[rule.id]})", rule.line, rule.id)
                continue
            seen[rule.id] = rule.line
            book.rules.append(rule)
    if errs.errors:
        raise PhrasebookErrors(errs.errors)
    return book


def read_phrasebook(path: str | Path) -> Phrasebook:
    """Load one phrasebook file from disk; a valid one is cached by its path and bytes, so
    editing one phrasebook re-reads only that one."""
    from . import __version__
    from .engine import cache

    p = Path(path)
    try:
        size = p.stat().st_size
        if size > yamlsafe.MAX_BYTES:
            raise PhrasebookErrors(
                [
                    PhrasebookError(
                        f"phrasebook is {size // 1024} KB, over the {yamlsafe.MAX_BYTES // 1048576} MB limit",
                        path=str(path),
                    )
                ]
            )
        data = _read_capped(p)
        if data is None:  # stat said less: a device, a FIFO or a growing file
            raise PhrasebookErrors(
                [PhrasebookError(f"phrasebook is over the {yamlsafe.MAX_BYTES // 1048576} MB limit", path=str(path))]
            )
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise PhrasebookErrors(
            [PhrasebookError("phrasebook not found", path=str(path), hint="check the --phrasebook path")]
        ) from None
    except UnicodeDecodeError as exc:
        raise PhrasebookErrors(
            [PhrasebookError(f"not UTF-8 (byte {exc.start}); save the phrasebook as UTF-8", path=str(path))]
        ) from None
    except OSError as exc:
        raise PhrasebookErrors([PhrasebookError(f"cannot read: {exc.strerror}", path=str(path))]) from None
    import hashlib

    key = hashlib.sha256(f"book|{__version__}|{CACHE_SCHEMA}|{path}|".encode() + text.encode("utf-8")).hexdigest()
    book = cache.load("book", key, _book_from_data)
    if book is None:
        book = parse_phrasebook(text.lstrip("\ufeff"), str(path))
        rules = cache.rules_to_data(book.rules)
        if rules is not None:
            cache.store(
                "book",
                key,
                {
                    "path": book.path,
                    "rules": rules,
                    "disable": list(book.disable),
                    "extends": None if book.extends is None else list(book.extends),
                },
            )
    return book


def _book_from_data(doc: Any, _blobs: Any) -> Phrasebook:
    """A cached Phrasebook (plain data, see coach.engine.cache); raises on any other shape."""
    from .engine.cache import rules_from_data

    extends, disable = doc["extends"], doc["disable"]
    if not isinstance(doc["path"], str) or not all(isinstance(p, str) for p in [*disable, *(extends or ())]):
        raise ValueError("not a cached phrasebook")
    return Phrasebook(
        doc["path"], rules_from_data(doc["rules"]), None if extends is None else tuple(extends), tuple(disable)
    )


def _read_capped(path: Path) -> bytes | None:
    """The file's bytes, or None past the size limit: read only that far, since stat() says 0
    for /dev/zero and FIFOs."""
    with open(path, "rb") as handle:
        data = handle.read(yamlsafe.MAX_BYTES + 1)
    return None if len(data) > yamlsafe.MAX_BYTES else data


def builtin_dir() -> Path:
    """Where the shipped phrasebooks are: inside the installed wheel, else the source checkout."""
    packaged = Path(str(resources.files("coach").joinpath("phrasebooks")))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "phrasebooks"


def builtin_paths() -> list[str]:
    """The shipped phrasebooks, in a fixed order."""
    base = builtin_dir()
    return [str(base / f"{name}.yaml") for name in BUILTIN_NAMES if (base / f"{name}.yaml").is_file()]


def has_prefix(rule_id: str, prefixes: Iterable[str]) -> bool:
    return any(rule_id == p or rule_id.startswith(p.rstrip(".") + ".") for p in prefixes)


def select_rules(rules: Iterable[Rule], only: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Rule]:
    """Keep rules whose dotted id starts with an `only` prefix and with no `ignore` prefix."""
    only, ignore = tuple(only), tuple(ignore)
    return [r for r in rules if (not only or has_prefix(r.id, only)) and not has_prefix(r.id, ignore)]


def load_rules(user_paths: Iterable[str] = (), *, defaults: bool = True) -> list[Rule]:
    """Load the default phrasebooks (unless disabled) and the user's, resolving overrides.

    A user rule with an id already loaded is an error unless it says `override: true`.
    Problems in all files are reported together. Valid results are cached by file content.
    """
    from .engine import cache

    # A bundled phrasebook named again (`coach phrasebook test phrasebooks/x.yaml`) is one file.
    bundled = {Path(p).resolve() for p in builtin_paths()} if defaults else set()
    user_paths = [p for p in user_paths if Path(p).resolve() not in bundled]
    key = _content_key(builtin_paths() if defaults else [], user_paths)
    cached = cache.load("rules", key, lambda doc, _: cache.rules_from_data(doc)) if key else None
    if cached is not None:
        return cached
    rules = _load_rules(user_paths, defaults)
    data = cache.rules_to_data(rules) if key else None
    if data is not None:
        assert key is not None  # data is only made with a key
        cache.store("rules", key, data)
    return rules


def _content_key(default_paths: list[str], user_paths: list[str]) -> str | None:
    """A hash of every phrasebook's path and bytes (None if one cannot be read)."""
    import hashlib

    from . import __version__

    digest = hashlib.sha256(f"rules|{__version__}|{CACHE_SCHEMA}".encode())
    for group, paths in (("d", default_paths), ("u", user_paths)):
        for path in paths:
            try:
                data = _read_capped(Path(path))
            except OSError:
                return None
            if data is None:
                return None
            digest.update(f"|{group}|{path}|{len(data)}|".encode())
            digest.update(data)
    return digest.hexdigest()


def _load_rules(user_paths: list[str], defaults: bool) -> list[Rule]:
    errors: list[PhrasebookError] = []
    books: list[Phrasebook] = []
    default_books: list[Phrasebook] = []
    for path in builtin_paths() if defaults else []:
        try:
            default_books.append(read_phrasebook(path))
        except PhrasebookErrors as exc:
            errors.extend(exc.errors)
    for path in user_paths:
        try:
            books.append(read_phrasebook(path))
        except PhrasebookErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise PhrasebookErrors(errors)
    extends = [p for b in books if b.extends is not None for p in b.extends]
    disabled = [p for b in books for p in b.disable]
    rules: dict[str, Rule] = {}
    for book in default_books:
        for rule in book.rules:
            if rule.id in rules:
                errors.append(
                    PhrasebookError(
                        f"duplicate rule id (also in {rules[rule.id].path}:{rules[rule.id].line})",
                        path=rule.path,
                        line=rule.line,
                        rule=rule.id,
                    )
                )
            elif (not extends or has_prefix(rule.id, extends)) and not has_prefix(rule.id, disabled):
                rules[rule.id] = rule
    for book in books:
        for rule in book.rules:
            if rule.id in rules and not rule.override:
                prev = rules[rule.id]
                errors.append(
                    PhrasebookError(
                        f"duplicate rule id (also in {prev.path}:{prev.line})",
                        path=rule.path,
                        line=rule.line,
                        rule=rule.id,
                        hint="rename it, or set 'override: true' to replace it",
                    )
                )
            else:
                rules[rule.id] = rule
    if errors:
        raise PhrasebookErrors(errors)
    return list(rules.values())
