"""Which files `coach check` reads: folders walked, `include`/`exclude`, `.gitignore`, and files
that are never replies."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

import pathspec

from coach.errors import InputError, UsageError
from coach.library.globs import matches_any, normalize
from coach.paths import special_kind

#: Tool configuration that a hook or a glob may hand over: never read as a library of replies.
NOT_REPLIES = frozenset(
    {
        "pyproject.toml",
        ".pre-commit-config.yaml",
        ".pre-commit-hooks.yaml",
        ".coach.yaml",
        ".coach.yml",
        "package.json",
        "package-lock.json",
        "composer.json",
        "tsconfig.json",
        "renovate.json",
    }
)
NOT_REPLY_EXTENSIONS = (".toml", ".lock")
#: A project's own documents, not replies: skipped in folders and, with --force-exclude, when named.
DOCUMENTS = tuple(
    f"{name}{suffix}"
    for stem in (
        "README",
        "CHANGELOG",
        "CHANGES",
        "HISTORY",
        "LICENSE",
        "LICENCE",
        "COPYING",
        "CONTRIBUTING",
        "CODE_OF_CONDUCT",
        "SECURITY",
        "AUTHORS",
        "NOTICE",
    )
    for name in (stem, stem.lower())
    for suffix in ("", ".*")
)
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "venv"})


def git_top(start: str) -> str | None:
    """The working tree's top folder (the one holding `.git`) at or above `start`, else None."""
    folder = os.path.abspath(start)
    if not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def project_root(paths: Iterable[str], config_root: str | None = None) -> str:
    """Where report paths are relative to: the git top level, else the config file's folder, else here."""
    first = next((p for p in paths if p != "-"), ".")
    return git_top(first) or config_root or os.getcwd()


def _read_spec(path: str) -> pathspec.GitIgnoreSpec | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


class GitIgnored:
    """`.gitignore` files and `.git/info/exclude` of one working tree, with git's precedence."""

    def __init__(self, top: str) -> None:
        self.top = top
        self._specs: dict[str, pathspec.GitIgnoreSpec | None] = {}
        self._exclude = _read_spec(os.path.join(top, ".git", "info", "exclude"))

    def _spec(self, folder: str) -> pathspec.GitIgnoreSpec | None:
        if folder not in self._specs:
            self._specs[folder] = _read_spec(os.path.join(folder, ".gitignore"))
        return self._specs[folder]

    def _decides(self, path: str, folder: bool) -> bool:
        """Whether the path itself is ignored: info/exclude, then each .gitignore from the top down; last match wins."""
        rel = os.path.relpath(path, self.top).replace(os.sep, "/")
        parts = rel.split("/")
        chain = [(self.top, self._exclude)]
        base = self.top
        chain.append((base, self._spec(base)))
        for part in parts[:-1]:
            base = os.path.join(base, part)
            chain.append((base, self._spec(base)))
        ignored = False
        for where, spec in chain:
            if spec is None:
                continue
            sub = os.path.relpath(path, where).replace(os.sep, "/") + ("/" if folder else "")
            verdict = spec.check_file(sub).include
            if verdict is not None:
                ignored = verdict
        return ignored

    def ignored(self, path: str, folder: bool = False) -> bool:
        """True when git ignores the path, or a folder it lies in (git cannot re-include inside those)."""
        path = os.path.abspath(path)
        rel = os.path.relpath(path, self.top)
        if rel == "." or rel.startswith(".."):
            return False
        parts = rel.split(os.sep)
        for i in range(1, len(parts)):
            if self._decides(os.path.join(self.top, *parts[:i]), True):
                return True
        return self._decides(path, folder)


def never_replies(path: str) -> bool:
    """Tool configuration (pyproject.toml, .pre-commit-config.yaml, any TOML): never a reply library."""
    name = os.path.basename(path)
    return name in NOT_REPLIES or name.lower().endswith(NOT_REPLY_EXTENSIONS)


class Selector:
    """The rules one run picks files by, relative to `root` (the config file's folder or here)."""

    def __init__(
        self,
        extensions: tuple[str, ...],
        include: Iterable[str] = (),
        exclude: Iterable[str] = (),
        *,
        root: str | None = None,
        respect_gitignore: bool = True,
    ) -> None:
        self.extensions = extensions
        self.include, self.exclude = tuple(include), tuple(exclude) + DOCUMENTS
        self.base = os.path.abspath(root or os.getcwd())
        self.respect_gitignore = respect_gitignore
        self._git: dict[str, GitIgnored | None] = {}
        self._tops: dict[str, str | None] = {}  # folder -> its git top level, looked up once per folder

    def rel(self, path: str) -> str:
        return normalize(os.path.relpath(os.path.abspath(path), self.base).replace(os.sep, "/"))

    def gitignored(self, path: str, folder: bool = False) -> bool:
        if not self.respect_gitignore:
            return False
        where = os.path.abspath(path if folder else os.path.dirname(os.path.abspath(path)))
        if where not in self._tops:
            self._tops[where] = git_top(where)
        top = self._tops[where]
        if top is None:
            return False
        ignored = self._git.get(top)
        if ignored is None:
            ignored = self._git[top] = GitIgnored(top)
        return ignored.ignored(path, folder)

    def folder_wanted(self, path: str) -> bool:
        name = os.path.basename(path)
        return not (
            name.startswith(".")
            or name in SKIPPED_DIRS
            or matches_any(self.exclude, self.rel(path), folder=True)
            or self.gitignored(path, True)
        )

    def file_wanted(self, path: str, *, named: bool = False) -> bool:
        """A found file (or, with --force-exclude, a named one) that the same rules select."""
        name = os.path.basename(path)
        if name.startswith(".") or never_replies(path) or os.path.splitext(name)[1].lower() not in self.extensions:
            return False
        rel = self.rel(path)
        if self.include and not matches_any(self.include, rel):
            return False
        if matches_any(self.exclude, rel):
            return False
        if named:  # a named file's folders were not walked: apply the folder rules to them too
            parts = [p for p in rel.split("/")[:-1] if p not in ("", ".", "..")]
            if any(p.startswith(".") or p in SKIPPED_DIRS for p in parts):
                return False
        return not self.gitignored(path)


def discover(
    paths: Iterable[str],
    extensions: tuple[str, ...],
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    *,
    root: str | None = None,
    force_exclude: bool = False,
    respect_gitignore: bool = True,
    on_skip: Callable[[InputError], None] | None = None,
) -> Iterator[str]:
    """Library files under the given files/folders, sorted, so one command can lint a whole tree.

    Found files need a library extension, must match `include` when given, must not match `exclude`
    (nor the project documents: README, CHANGELOG, LICENSE ...), nor be ignored by git. Named files are
    read as given, except tool configuration; with `force_exclude` they are selected like found files.
    A path that does not exist is a UsageError, raised before anything is read. A FIFO, device or
    socket found in a folder (reading it would hang or never end; named, it is read) and a folder
    that cannot be read go to `on_skip` (raised without it)."""

    def skip(problem: InputError) -> None:
        if on_skip is None:
            raise problem
        on_skip(problem)

    def unreadable(exc: OSError) -> None:
        skip(InputError(f"cannot read the folder: {exc.strerror or exc}; skipped", path=exc.filename))

    paths = list(paths)
    for path in paths:
        if path != "-" and not os.path.exists(path):
            raise UsageError(f"{path}: no such file or folder", hint="check the path")
    select = Selector(extensions, include, exclude, root=root, respect_gitignore=respect_gitignore)
    seen: set[str] = set()
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            key = path if path == "-" else os.path.abspath(path)
            if key in seen or (path != "-" and never_replies(path)):
                continue
            if force_exclude and path != "-" and not select.file_wanted(path, named=True):
                continue
            seen.add(key)
            yield path
            continue
        for folder, dirs, files in os.walk(path, onerror=unreadable):
            dirs[:] = sorted(d for d in dirs if select.folder_wanted(os.path.join(folder, d)))
            for name in sorted(files):
                full = os.path.join(folder, name)
                if os.path.abspath(full) not in seen and select.file_wanted(full):
                    kind = special_kind(full)
                    if kind is not None:
                        skip(
                            InputError(
                                f"{kind}, not a file; skipped", path=full, hint="name it on the command line to read it"
                            )
                        )
                        continue
                    seen.add(os.path.abspath(full))
                    yield full
