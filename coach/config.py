"""Project settings from `[tool.coach]` or `.coach.yaml`, validated with errors that name file, line and fix."""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coach.errors import ConfigError, InputError, UsageError
from coach.exitcodes import FAIL_ON
from coach.models import RULE_PREFIX

if TYPE_CHECKING:  # pragma: no cover
    from coach.library.source import LibraryFile, Node

# Library modules are imported where needed: `coach lint` reads config on every start.

YAML_NAMES = (".coach.yaml", ".coach.yml")
#: Keys allowed in a per-path table (the rest only make sense once per project).
PER_PATH_KEYS = ("no-defaults", "select", "ignore", "fail-on", "min-score", "require-complete-apology", "format")
KEYS = ("phrasebooks", "model", *PER_PATH_KEYS, "include", "exclude", "per-path")


@dataclass(frozen=True)
class Settings:
    """Resolved settings; `root` is the config file's folder (globs and phrasebooks are relative to it)."""

    phrasebooks: tuple[str, ...] = ()
    #: True: the bundled classifier; False: rules only; a path: a model `coach train` wrote.
    model: bool | str = True
    no_defaults: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = "warning"
    min_score: int | None = None
    require_complete_apology: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_path: tuple[tuple[str, dict], ...] = ()
    format: str | None = None
    root: str | None = None
    path: str | None = None


def _field(key: str) -> str:
    return key.replace("-", "_")


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


def _strings(
    value: Any, what: str, fail: Callable[[str], Exception], check: re.Pattern[str] | None = None
) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
        raise fail(f"must be a list of {what}, got {_type_name(value)}")
    for item in items:
        if check is not None and not check.match(item.strip()):
            raise fail(f"{item!r} is not a valid {what[:-1]}")
    return tuple(v.strip() for v in items)


def _convert(key: str, value: Any, fail: Callable[[str], Exception], root: str) -> Any:
    """One setting's value, type-checked and normalised."""
    if key in ("no-defaults", "require-complete-apology"):
        if not isinstance(value, bool):
            raise fail(f"must be true or false, got {_type_name(value)}")
        return value
    if key in ("select", "ignore"):
        return _strings(value.split(",") if isinstance(value, str) else value, "rule ids", fail, RULE_PREFIX)
    if key in ("include", "exclude"):
        return _strings(value, "globs", fail)
    if key == "model":
        if isinstance(value, bool):
            return value
        if not isinstance(value, str) or not value.strip():
            raise fail(f"must be true, false or the path of a model folder, got {_type_name(value)}")
        return os.path.normpath(os.path.join(root, os.path.expanduser(value.strip())))
    if key == "phrasebooks":
        paths = _strings(value, "paths", fail)
        return tuple(os.path.normpath(os.path.join(root, os.path.expanduser(p))) for p in paths)
    if key == "fail-on":
        if value not in FAIL_ON:
            raise fail(f"must be one of {', '.join(FAIL_ON)}, got {value!r}")
        return value
    if key == "min-score":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise fail(f"must be a whole number from 0 to 100, got {value!r}")
        return value
    if key == "format":
        if not isinstance(value, str) or not value.strip():
            raise fail(f"must be an output format name, got {_type_name(value)}")
        return value.strip()
    raise AssertionError(key)  # pragma: no cover


class _Loader:
    """Validates one config table, naming the file and (best effort for TOML) the line of each problem."""

    def __init__(self, path: str, text: str, where: str, lines: Callable[[tuple[str, ...]], int | None]) -> None:
        self.path, self.text, self.where, self.lines = path, text, where, lines
        self.root = os.path.dirname(os.path.abspath(path))

    def error(self, message: str, keys: tuple[str, ...], hint: str | None = None) -> ConfigError:
        return ConfigError(message, path=self.path, line=self.lines(keys), hint=hint)

    def table(self, data: Any, allowed: tuple[str, ...], where: str, prefix: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.error(f"{where} must be a table of settings, got {_type_name(data)}", prefix)
        out: dict[str, Any] = {}
        for raw_key, value in data.items():
            key = str(raw_key).replace("_", "-")
            keys = prefix + (str(raw_key),)
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                if key in KEYS:
                    raise self.error(f"{raw_key!r} cannot be set in {where}", keys)
                suggestion = f"; did you mean {close[0]!r}?" if close else ""
                raise self.error(
                    f"unknown key {raw_key!r} in {where}{suggestion}",
                    keys,
                    None if close else f"valid keys: {', '.join(allowed)}",
                )
            if _field(key) in out:
                raise self.error(f"{raw_key!r} is set twice in {where}", keys)
            fail = lambda msg, k=raw_key, ks=keys: self.error(f"{k!r} in {where} {msg}", ks)  # noqa: E731
            if key == "per-path":
                out["per_path"] = self.per_path(value, keys)
            else:
                out[_field(key)] = _convert(key, value, fail, self.root)
        return out

    def per_path(self, value: Any, keys: tuple[str, ...]) -> tuple[tuple[str, dict], ...]:
        if not isinstance(value, dict):
            raise self.error(f"'per-path' in {self.where} must map globs to tables, got {_type_name(value)}", keys)
        return tuple(
            (str(glob), self.table(table, PER_PATH_KEYS, f"per-path {str(glob)!r}", keys + (str(glob),)))
            for glob, table in value.items()
        )

    def settings(self, data: Any) -> Settings:
        values = self.table({} if data is None else data, KEYS, self.where, ())
        return Settings(**values, root=self.root, path=os.path.abspath(self.path))


#: A config file is a few lines; read no further than this (stat() says 0 for devices and FIFOs).
MAX_CONFIG_CHARS = 5 * 1024 * 1024


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_CONFIG_CHARS + 1)
        if len(text) > MAX_CONFIG_CHARS:
            raise ConfigError(f"the config file is larger than {MAX_CONFIG_CHARS // (1024 * 1024)} MB", path=path)
        return text
    except FileNotFoundError:
        raise ConfigError("config file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the config file: {getattr(exc, 'strerror', None) or exc}", path=path) from None


def _toml(path: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ConfigError("invalid TOML: nested too deeply", path=path, hint="fix the TOML syntax") from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+)", str(exc))
        line = int(m.group(1)) if m else len(text.rstrip().split("\n"))  # "at end of document"
        message = re.sub(r" ?[(]at (?:line|end of document).*", "", str(exc))
        raise ConfigError(f"invalid TOML: {message}", path=path, line=line, hint="fix the TOML syntax") from None


def _toml_lines(text: str, nested: bool) -> Callable[[tuple[str, ...]], int | None]:
    """Best-effort line of a key path: the first `key =` (or table header) after its parents' mentions."""
    lines = text.split("\n")
    header = next((i for i, line in enumerate(lines) if re.match(r"\s*\[\s*tool\s*\.\s*coach\s*\]", line)), 0)

    def find(keys: tuple[str, ...]) -> int | None:
        at = header if nested else 0
        for depth, key in enumerate(keys):
            q = re.escape(key)
            pat = re.compile(rf"""^\s*(?:["']?{q}["']?\s*=|\[[^\]=]*["']?{q}["']?)|[{{,]\s*["']?{q}["']?\s*=""")
            hit = next((i for i in range(at, len(lines)) if pat.search(lines[i])), None)
            if hit is None:
                return at + 1 if depth else (header + 1 if nested else None)
            at = hit
        return at + 1

    return find


def _yaml_lines(root: Node | None, source: LibraryFile) -> Callable[[tuple[str, ...]], int | None]:
    def find(keys: tuple[str, ...]) -> int | None:
        node, line = root, None
        for key in keys:
            if node is None or node.kind != "map":
                break
            pair = next(((k, v) for k, v in node.items if str(k.value) == key), None)
            if pair is None:
                break
            line, node = source.pos(pair[0].start)[0], pair[1]
        return line

    return find


def _plain(node: Node | None) -> Any:
    if node is None:
        return None
    if node.kind == "map":
        return {k.value: _plain(v) for k, v in node.items}
    if node.kind == "seq":
        return [_plain(v) for v in node.items]
    return node.value


def _has_coach_table(path: str) -> bool:
    text = _read(path)
    if "coach" not in text:
        return False
    data = _toml(path, text)
    return isinstance(data.get("tool"), dict) and "coach" in data["tool"]


def find_config(start: str) -> str | None:
    """The nearest `.coach.yaml`/`.coach.yml`, or `pyproject.toml` with a [tool.coach] table, upward from start."""
    folder = os.path.abspath(start)
    if not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    while True:
        for name in YAML_NAMES:
            if os.path.isfile(os.path.join(folder, name)):
                return os.path.join(folder, name)
        pyproject = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(pyproject) and _has_coach_table(pyproject):
            return pyproject
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load_settings(path: str | None = None, *, start: str = ".") -> Settings:
    """Settings from `path` (e.g. --config), else from the config found upward from `start`, else defaults."""
    path = path if path is not None else find_config(start)
    if path is None:
        return Settings()
    text = _read(path)
    if path.endswith((".yaml", ".yml")):
        from coach.library import yamlfile
        from coach.library.source import LibraryFile

        source = LibraryFile(path, text)
        try:
            root = yamlfile.parse(source)
        except InputError as exc:
            raise ConfigError(exc.message, path=path, line=exc.line, hint=exc.hint) from None
        loader = _Loader(path, text, os.path.basename(path), _yaml_lines(root, source))
        return loader.settings(_plain(root))
    if path.endswith(".toml"):
        data = _toml(path, text)
        tool = data.get("tool")
        nested = isinstance(tool, dict) and "coach" in tool
        if not nested and os.path.basename(path) == "pyproject.toml":
            return Settings(root=os.path.dirname(os.path.abspath(path)), path=os.path.abspath(path))
        table = tool["coach"] if nested and isinstance(tool, dict) else data
        return _Loader(
            path, text, "[tool.coach]" if nested else os.path.basename(path), _toml_lines(text, nested)
        ).settings(table)
    raise ConfigError(
        "unsupported config file type", path=path, hint="use pyproject.toml ([tool.coach]), .coach.yaml or .coach.yml"
    )


def settings_for(settings: Settings, file_path: str) -> Settings:
    """The settings for one file: matching per-path tables applied in order, like ruff's per-file-ignores."""
    # A per-path `ignore` adds to the project's list; every other key replaces the project's value.
    if not settings.per_path:
        return settings
    base = settings.root or os.getcwd()
    rel = os.path.relpath(os.path.abspath(file_path), base).replace(os.sep, "/")
    for glob, overrides in settings.per_path:
        from coach.library.globs import matches

        if matches(glob, rel):
            values = dict(overrides)
            if "ignore" in values:
                values["ignore"] = settings.ignore + tuple(i for i in values["ignore"] if i not in settings.ignore)
            settings = dataclasses.replace(settings, **values)
    return settings


def merge_cli(settings: Settings, **overrides: Any) -> Settings:
    """Command-line values win over the file wherever they are given (not None)."""
    names = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in names:
            raise TypeError(f"merge_cli() got an unknown setting {name!r}")
        if value is None:
            continue
        key = name.replace("_", "-")
        if key in KEYS and key != "per-path":
            fail = lambda msg, k=key: UsageError(f"--{k} {msg}")  # noqa: E731
            value = _convert(key, list(value) if isinstance(value, tuple) else value, fail, os.getcwd())
        values[name] = value
    return dataclasses.replace(settings, **values)


def require_phrasebooks(no_defaults: bool | None, phrasebooks: list | None) -> None:
    """--no-defaults with nothing to use instead is a usage error (every command and the LSP agree)."""
    if no_defaults and not phrasebooks:
        raise UsageError("--no-defaults needs at least one --phrasebook")
