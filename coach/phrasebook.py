"""Phrasebooks: YAML rule files, loaded safely and validated all at once.

Every problem in a file is collected and raised together as PhrasebookErrors,
each located by file, line and rule id, so an author fixes them in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from . import yamlsafe
from .errors import PhrasebookError, PhrasebookErrors
from .models import Example, Rule, has_prefix
from .rule_validation import Problems, read_fragments, strings, suggest, validate_rule

TOP_KEYS = ("phrasebook", "version", "description", "defaults", "define", "extends", "disable", "rules")
DEFAULT_KEYS = ("category", "severity", "weight", "source", "speaker", "help_uri")
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


def parse_phrasebook(text: str, path: str) -> Phrasebook:
    """Validate one phrasebook's text; raise PhrasebookErrors listing every problem."""
    errs = Problems(path)
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
            errs.add(f"unknown top-level key '{key}'", value.line, hint=suggest(key, TOP_KEYS))
    defaults: dict[str, Any] = {}
    fragments = read_fragments(top["define"], errs) if "define" in top else {}
    if "defaults" in top:
        d = top["defaults"]
        if not isinstance(d.value, dict):
            errs.add("'defaults' must be a mapping", d.line)
        else:
            for key, value in d.value.items():
                if key not in DEFAULT_KEYS:
                    errs.add(f"unknown key '{key}' in defaults", value.line, hint=suggest(key, DEFAULT_KEYS))
                else:
                    defaults[key] = value.value
    if "extends" in top:
        book.extends = tuple(t for t, _ in strings(top["extends"], "extends", errs, None))
    if "disable" in top:
        book.disable = tuple(t for t, _ in strings(top["disable"], "disable", errs, None))
    rules = top.get("rules")
    if rules is None or not isinstance(rules.value, list):
        if rules is not None or not book.disable:
            errs.add("'rules' must be a list of rules", rules.line if rules else root.line)
    else:
        seen: dict[str, int] = {}
        for item in rules.value:
            rule = validate_rule(item, defaults, errs, path, fragments)
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
