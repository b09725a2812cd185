"""`coach check` as a library: lint every canned reply, place findings in files, apply
suppressions, per-path settings and the baseline, and plan and write back safe fixes. No CLI, no rich."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from .analyzer import Analyzer
from .config import Settings, settings_for
from .errors import InputError
from .exitcodes import fails, gate_problems
from .library import (
    LIBRARY_EXTENSIONS,
    Edit,
    Entry,
    LibraryOptions,
    Suppression,
    discover,
    entries_from_text,
    iter_entries,
)
from .library.baseline import entries_for
from .library.selection import Selector, never_replies, project_root
from .library.suppress import find as find_suppression
from .models import CheckResult, EntryResult, Finding, LocatedFinding, edit_for, has_prefix
from .rewrite import SentenceRewrite


class CheckedEntry(NamedTuple):
    """One reply as checked: its entry, its unsuppressed findings and the sentence rewrites that answer them."""

    entry: Entry
    findings: list[Finding]
    edits: tuple[SentenceRewrite, ...] = ()


@dataclass
class CheckRun:
    """The result plus what a fix or an editor needs: entries and their unsuppressed findings, by
    file, and the suppressions that matched nothing."""

    result: CheckResult
    entries: dict[str, list[CheckedEntry]] = field(default_factory=dict)
    unused: list[Suppression] = field(default_factory=list)


def _allowed(rule_id: str, settings: Settings) -> bool:
    """Per-path select/ignore, applied to findings of the one shared analyzer."""
    return (not settings.select or has_prefix(rule_id, settings.select)) and not has_prefix(rule_id, settings.ignore)


@dataclass(frozen=True)
class Stdin:
    """`coach check -`: one file's text from standard input, and the name reports give it."""

    text: str
    name: str | None = None

    @property
    def path(self) -> str:
        return self.name or "<stdin>"


def run_check(
    paths: Iterable[str],
    settings: Settings,
    analyzer: Analyzer,
    *,
    options: LibraryOptions | None = None,
    baseline: set[str] | None = None,
    force_exclude: bool = False,
    respect_gitignore: bool = True,
    stdin: Stdin | None = None,
) -> CheckRun:
    """Check every reply under `paths` ("-" is `stdin`); unreadable files are reported in `errors` and skipped.

    A path that does not exist raises UsageError before anything is read."""
    options = options or LibraryOptions()
    paths = list(paths)
    errors: list[str] = []
    loaded: list[Entry] = []
    files = list(
        discover(
            paths,
            settings.include,
            settings.exclude,
            root=settings.root,
            force_exclude=force_exclude,
            respect_gitignore=respect_gitignore,
            on_skip=lambda exc: errors.append(str(exc)),
        )
    )
    for path in files:
        try:
            if path == "-":
                if stdin is None:
                    raise InputError("'-' given but no standard input was read", path="-")
                if stdin.name and not stdin_selected(stdin.name, settings, force_exclude, respect_gitignore):
                    continue
                loaded.extend(iter_entries(stdin.path, options, text=stdin.text))
            else:
                loaded.extend(iter_entries(path, options))
        except InputError as exc:
            errors.append(str(exc))
    return check_entries(
        loaded, settings, analyzer, errors=errors, baseline=baseline, root=project_root(paths, settings.root)
    )


def check_text(
    path: str,
    text: str,
    settings: Settings,
    analyzer: Analyzer,
    *,
    options: LibraryOptions | None = None,
    baseline: set[str] | None = None,
) -> CheckRun:
    """Check one library file's unsaved text (an editor's buffer) exactly as `run_check` checks
    the file; InputError when it cannot be read (a YAML syntax error, say)."""
    return check_entries(
        entries_from_text(path, text, options),
        settings,
        analyzer,
        baseline=baseline,
        root=project_root([path], settings.root),
    )


def check_entries(
    loaded: list[Entry],
    settings: Settings,
    analyzer: Analyzer,
    *,
    errors: Iterable[str] = (),
    baseline: set[str] | None = None,
    root: str | None = None,
) -> CheckRun:
    """Lint loaded replies and apply per-path settings, suppressions and the baseline."""
    found = analyzer.findings_in(e.lintable_text() for e in loaded)
    results: list[EntryResult] = []
    run = CheckRun(CheckResult(()))
    used: set[Suppression] = set()
    all_suppressions: list[Suppression] = []
    suppressed = baselined = 0
    for entry, findings in zip(loaded, found):
        local = settings_for(settings, entry.path)
        findings = [
            dataclasses.replace(f, text=entry.text[f.start : f.end]) for f in findings if _allowed(f.rule, local)
        ]
        all_suppressions.extend(entry.suppressions)
        kept: list[Finding] = []
        for f in findings:
            line, _ = entry.locate(f.start)
            hit = find_suppression(entry.suppressions, f.rule, line)
            if hit is not None:
                used.add(hit)
                suppressed += 1
            else:
                kept.append(f)
        prints = entries_for([(f.rule, f.text, entry.path, entry.key) for f in kept], root=settings.root)
        located = []
        for f, printed in zip(kept, prints):
            if baseline is not None and printed.fingerprint in baseline:
                baselined += 1
                continue
            line, column = entry.locate(f.start)
            end_line, end_column = entry.locate(f.end)
            located.append(
                LocatedFinding(
                    f,
                    entry.path,
                    entry.key,
                    line,
                    column,
                    end_line,
                    end_column,
                    printed.fingerprint,
                    fails(f, local.fail_on),
                )
            )
        report = analyzer.report(
            entry.key or entry.path, entry.text, findings, rewrite_only=[lf.finding for lf in located]
        )
        answered = {id(old): new for old, new in zip(findings, report.findings)}
        located = [
            _with_edit(dataclasses.replace(lf, finding=answered[id(lf.finding)]), entry, report.edits) for lf in located
        ]
        results.append(
            EntryResult(
                entry.path,
                entry.key,
                entry.line,
                report,
                tuple(located),
                gate_problems(report, local.min_score, local.require_complete_apology),
            )
        )
        run.entries.setdefault(entry.path, []).append(CheckedEntry(entry, [lf.finding for lf in located], report.edits))
    run.unused = [s for s in all_suppressions if s not in used]
    unused = [
        f"{s.path or '?'}:{s.line}: unused suppression of {', '.join(s.rules) or 'all rules'} (no finding matched it)"
        for s in run.unused
    ]
    run.result = CheckResult(
        tuple(results),
        suppressed,
        baselined,
        tuple(unused),
        tuple(errors),
        settings.fail_on,
        root or project_root([], settings.root),
    )
    return run


def stdin_selected(name: str, settings: Settings, force_exclude: bool, respect_gitignore: bool) -> bool:
    """With --force-exclude, stdin named by --stdin-filename is selected like a named file."""
    if not force_exclude:
        return not never_replies(name)
    return Selector(
        LIBRARY_EXTENSIONS, settings.include, settings.exclude, root=settings.root, respect_gitignore=respect_gitignore
    ).file_wanted(name, named=True)


def _with_edit(lf: LocatedFinding, entry: Entry, edits: Iterable[SentenceRewrite]) -> LocatedFinding:
    """`lf` with the sentence rewrite that answers it, placed in the file."""
    e = edit_for(lf.finding, edits)
    if e is None:
        return lf
    return dataclasses.replace(lf, edit=e, edit_region=(*entry.locate(e.start), *entry.locate(e.end)))


@dataclass
class FixPlan:
    """What `coach check --fix` changes, per file, and what it leaves for the agent."""

    edits: dict[str, list[Edit]] = field(default_factory=dict)
    #: Rewrites of `fix: safe` rules left out: a [placeholder] to fill in or advice only.
    needs_words: int = 0

    @property
    def changed(self) -> int:
        return sum(len(e) for e in self.edits.values())


def plan_fixes(run: CheckRun, analyzer: Analyzer) -> FixPlan:
    """Safe edits per file: sentence rewrites answering only rules marked `fix: safe`, never
    suppressed, never over masked text (template variables), and never one the agent must
    complete (a `[placeholder]`, or advice instead of a rewrite)."""
    rules = {r.id: r for r in analyzer.all_rules}
    plan = FixPlan()
    for path, entries in run.entries.items():
        for entry, _, edits in entries:
            for e in sorted(edits, key=lambda e: e.start):
                if not e.rules or any(rules.get(r) is None or rules[r].fix != "safe" for r in e.rules):
                    continue
                if any(lo < e.end and e.start < hi for lo, hi in entry.masked):
                    continue
                if not e.fixable:
                    plan.needs_words += 1
                    continue
                plan.edits.setdefault(path, []).append(Edit(entry.key, e.start, e.end, e.text))
    return plan


def apply_fixes(
    plan: FixPlan, options: LibraryOptions | None = None, encoding: str | None = None, *, write: bool = True
) -> list[str]:
    """Write each planned file back (atomically, in the codec it was read with: `encoding`, a
    UTF-16/32 BOM, or UTF-8), or with `write=False` change nothing; the unified diff per file."""
    from .atomic import OutputError, atomic_writer
    from .library import apply_edits
    from .textinput import encoding_of

    options = options or LibraryOptions()
    diffs = []
    for path, edits in plan.edits.items():
        codec = encoding_of(path, encoding)
        with open(path, encoding=codec, newline="") as handle:
            before = handle.read()
        after = apply_edits(path, edits, options)
        diffs.append(unified_diff(path, before, after))
        if not write:
            continue
        try:
            with atomic_writer(path, encoding=codec, newline="") as handle:
                handle.write(after)
        except UnicodeEncodeError as exc:
            raise OutputError(
                f"the fixed text cannot be written as {codec} ({exc.reason}); the file was left unchanged",
                path=path,
                hint="fix it by hand, or convert the file to UTF-8",
            ) from None
    return diffs


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=f"a/{path}", tofile=f"b/{path}"
        )
    )
