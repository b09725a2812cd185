"""`coach lsp`: the Language Server Protocol over stdio (pygls), for canned replies in an editor.

Diagnostics are `coach check`'s findings for the buffer as it is, unsaved edits included
(coach.checking.check_text: same reader, masks, suppressions and per-path settings); a code
action applies a rewrite through the library editor, so YAML and JSON stay well formed;
hover shows the rule's message. Analysis runs on one thread beside the protocol's loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.workspace.position_codec import ServerTextPosition

from .. import __version__
from ..errors import CoachError
from ..models import NEGATIVE_CATEGORIES, LocatedFinding
from ..render.check_json import suggestion
from ..rewrite import PLACEHOLDER
from ..rewrite.templates import is_addition, is_template

#: Seconds of quiet typing before a changed buffer is checked again.
DEBOUNCE = 0.15
#: Editor language ids coach reads, and the extension that makes the library reader read them so.
LANGUAGES = {"markdown": ".md", "plaintext": ".txt", "yaml": ".yaml", "json": ".json"}
SEVERITY = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "info": lsp.DiagnosticSeverity.Information,
}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

log = logging.getLogger("coach.lsp")


@dataclass
class LspOptions:
    """The command line's choices; the project's config fills in the rest."""

    phrasebooks: list[str] = field(default_factory=list)
    no_defaults: bool | None = None
    model: bool | str | None = None
    only: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    config: str | None = None


@dataclass
class Checked:
    """One buffer's last check: its version and text, and each finding with its client range."""

    version: int | None
    text: str
    path: str
    findings: list[tuple[LocatedFinding, lsp.Range]]
    run: Any = None


class CoachServer(LanguageServer):
    def __init__(self, options: LspOptions) -> None:
        super().__init__("coach", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.options = options
        self.root = os.getcwd()
        self.settings: Any = None
        self.analyzer: Any = None
        self.failure: str | None = None
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coach-analysis")
        self.checked: dict[str, Checked] = {}
        self.timers: dict[str, asyncio.TimerHandle] = {}

    # -- loading (on the analysis thread) ---------------------------------------------
    def load(self) -> None:
        """Config from the workspace root, then the analyzer, compiled once for every buffer."""
        from ..analyzer import Analyzer
        from ..config import load_settings, merge_cli, require_phrasebooks
        from ..gcpause import settle

        o = self.options
        try:
            settings = merge_cli(
                load_settings(o.config, start=self.root),
                select=o.only or None,
                ignore=o.ignore or None,
                no_defaults=o.no_defaults,
                model=o.model,
            )
            phrasebooks = list(settings.phrasebooks) + o.phrasebooks
            require_phrasebooks(settings.no_defaults, phrasebooks)
            analyzer = Analyzer(phrasebooks=phrasebooks, defaults=not settings.no_defaults, model=settings.model)
            analyzer.compile()
        except CoachError as exc:
            self.failure = f"coach: {exc}"
            return
        self.settings, self.analyzer = settings, analyzer
        settle()

    # -- checking -----------------------------------------------------------------------
    def path_of(self, uri: str, language: str | None) -> str | None:
        """The file path a buffer is read as, or None when coach does not read such files."""
        from ..library import LIBRARY_EXTENSIONS

        parsed = urlparse(uri)
        path = unquote(parsed.path) if parsed.scheme == "file" else (parsed.path or "untitled")
        if os.path.splitext(path)[1].lower() in LIBRARY_EXTENSIONS:
            return path
        return path + LANGUAGES[language] if language in LANGUAGES else None

    def wanted(self, path: str) -> bool:
        """Whether `coach check` would pick the file: `include`/`exclude`, .gitignore, tool files
        skipped (as `--stdin-filename PATH --force-exclude` selects a named file)."""
        from ..checking import stdin_selected

        return stdin_selected(path, self.settings, True, True)

    def check(self, path: str, text: str) -> tuple[Any, str | None, int]:
        """(check run or None, a read error, its line) for one buffer; on the analysis thread."""
        from ..checking import check_text
        from ..errors import InputError

        if self.analyzer is None or not self.wanted(path):
            return None, None, 0
        try:
            return check_text(path, text, self.settings, self.analyzer), None, 0
        except InputError as exc:
            return None, exc.message + (f" ({exc.hint})" if exc.hint else ""), exc.line or 1

    def schedule(self, uri: str, delay: float) -> None:
        old = self.timers.pop(uri, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self.timers[uri] = loop.call_later(delay, lambda: asyncio.ensure_future(self.publish(uri)))

    async def publish(self, uri: str) -> None:
        self.timers.pop(uri, None)
        try:
            await self._publish(uri)
        except Exception as exc:  # a bug: say so in the client's log (no buffer text), keep serving
            self.window_log_message(
                lsp.LogMessageParams(lsp.MessageType.Error, f"coach: internal error: {type(exc).__name__}")
            )

    async def _publish(self, uri: str) -> None:
        doc = self.workspace.get_text_document(uri)
        path = self.path_of(uri, doc.language_id)
        if path is None:
            return
        text, version = doc.source, doc.version
        loop = asyncio.get_running_loop()
        run, error, line = await loop.run_in_executor(self.pool, self.check, path, text)
        if self.failure:
            self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Error, self.failure))
            self.failure = None
        current = self.workspace.get_text_document(uri)
        if current.version != version or uri not in self.workspace.text_documents:
            return  # edited meanwhile: a newer check is on its way
        lines = _LINE_BREAK.split(text)
        codec = doc.position_codec

        def position(line: int, column: int) -> lsp.Position:
            return codec.position_to_client_units(lines, ServerTextPosition(line - 1, column - 1))

        diagnostics: list[lsp.Diagnostic] = []
        findings: list[tuple[LocatedFinding, lsp.Range]] = []
        if error is not None:
            at = lsp.Range(position(line, 1), position(line, len(lines[line - 1]) + 1 if line <= len(lines) else 1))
            diagnostics.append(
                lsp.Diagnostic(at, f"cannot read this file: {error}", lsp.DiagnosticSeverity.Error, source="coach")
            )
        for entry in run.result.entries if run is not None else ():
            for lf in entry.findings:
                where = lsp.Range(position(lf.line, lf.column), position(lf.end_line, lf.end_column))
                findings.append((lf, where))
                if lf.finding.category in NEGATIVE_CATEGORIES:
                    diagnostics.append(diagnostic(lf, where))
            for problem in entry.problems:
                at = lsp.Range(position(entry.line, 1), position(entry.line, 1))
                name = f"{entry.key}: " if entry.key else ""
                diagnostics.append(
                    lsp.Diagnostic(at, name + problem, lsp.DiagnosticSeverity.Error, source="coach", code="gate")
                )
        for s in run.unused if run is not None else ():
            at = lsp.Range(position(s.line, 1), position(s.line, len(lines[s.line - 1]) + 1))
            diagnostics.append(
                lsp.Diagnostic(
                    at,
                    f"unused suppression of {', '.join(s.rules) or 'all rules'} (no finding matched it)",
                    lsp.DiagnosticSeverity.Warning,
                    source="coach",
                    code="unused-suppression",
                    tags=[lsp.DiagnosticTag.Unnecessary],
                )
            )
        self.checked[uri] = Checked(version, text, path, findings, run)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, diagnostics, version))

    # -- code actions and hover ------------------------------------------------------------
    def actions(self, uri: str, wanted: lsp.Range) -> list[lsp.CodeAction]:
        from ..checking import plan_fixes
        from ..library import Edit

        doc = self.workspace.get_text_document(uri)
        done = self.checked.get(uri)
        if done is None or done.version != doc.version or done.text != doc.source:
            return []  # stale: the offsets no longer fit; the next check brings fresh ones
        out: list[lsp.CodeAction] = []
        for lf, where in done.findings:
            f = lf.finding
            if f.category not in NEGATIVE_CATEGORIES or not overlaps(where, wanted):
                continue
            choices = []  # (title, Edit, preferred): the sentence rewrite first, then the phrase rewrites
            e = lf.edit
            if e is not None and e.advice is None:
                fill = [e.text[a:b] for a, b in e.placeholders]
                title = f"Rewrite as “{e.text}”, then fill in {', '.join(fill)}" if fill else f"Rewrite as “{e.text}”"
                choices.append((title, Edit(lf.key, e.start, e.end, e.text), not fill))
            for rewrite in f.rewrites:
                if rewrite == f.rewrite or is_addition(rewrite):
                    continue  # the sentence rewrite above already is this one; an addition needs its sentence
                if is_template(rewrite):  # a whole sentence: it goes over the sentence, never over the words
                    if e is None:
                        continue
                    start, end, title = e.start, e.end, f"Rewrite as “{rewrite}”"
                else:
                    start, end, title = f.start, f.end, f"Replace “{f.text}” with “{rewrite}”"
                choices.append(
                    (
                        title,
                        Edit(lf.key, start, end, rewrite),
                        not choices and rewrite == f.rewrites[0] and not PLACEHOLDER.search(rewrite),
                    )
                )
            for title, change, preferred in choices:
                edit = self.text_edit(uri, done, [change])
                if edit is not None:
                    out.append(
                        lsp.CodeAction(
                            title=title,
                            kind=lsp.CodeActionKind.QuickFix,
                            diagnostics=[diagnostic(lf, where)],
                            is_preferred=preferred,
                            edit=lsp.WorkspaceEdit(changes={uri: [edit]}),
                        )
                    )
        if out and done.run is not None:
            edits = [e for plan in plan_fixes(done.run, self.analyzer).edits.values() for e in plan]
            edit = self.text_edit(uri, done, edits) if edits else None
            if edit is not None:
                out.append(
                    lsp.CodeAction(
                        title="coach: apply every safe fix in this file",
                        kind=lsp.CodeActionKind.SourceFixAll,
                        edit=lsp.WorkspaceEdit(changes={uri: [edit]}),
                    )
                )
        return out

    def text_edit(self, uri: str, done: Checked, edits: list) -> lsp.TextEdit | None:
        """The smallest edit turning the buffer into what the library editor writes."""
        from ..library import apply_edits_to_text

        try:
            after = apply_edits_to_text(done.path, done.text, edits)
        except CoachError:
            return None
        before = done.text
        head = 0
        limit = min(len(before), len(after))
        while head < limit and before[head] == after[head]:
            head += 1
        tail = 0
        while tail < limit - head and before[-1 - tail] == after[-1 - tail]:
            tail += 1
        doc = self.workspace.get_text_document(uri)
        lines = _LINE_BREAK.split(before)
        return lsp.TextEdit(
            lsp.Range(
                offset_position(doc, lines, before, head), offset_position(doc, lines, before, len(before) - tail)
            ),
            after[head : len(after) - tail],
        )

    def hover(self, uri: str, at: lsp.Position) -> lsp.Hover | None:
        done = self.checked.get(uri)
        if done is None:
            return None
        hits = [(lf, where) for lf, where in done.findings if contains(where, at)]
        if not hits:
            return None
        parts = []
        for lf, _ in hits:
            f = lf.finding
            head = f"**{f.label.replace('_', '-')}** · `{f.rule}` · {f.severity}"
            if f.source == "model" and f.confidence is not None:
                head += f" · model {f.confidence:.0%}"
            body = [head, f.message or f"“{f.text}”"]
            e = lf.edit
            if e is not None and e.advice:
                body.append(f"Advice: {e.advice}")
            elif e is not None:
                fill = [e.text[a:b] for a, b in e.placeholders]
                body.append(f"Rewrite: “{e.text}”" + (f" (fill in {', '.join(fill)})" if fill else ""))
            if f.rewrites:
                body.append("Try: " + ", ".join(f"“{r}”" for r in f.suggestions[:3]))
            parts.append("\n\n".join(body))
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, "\n\n---\n\n".join(parts)), hits[0][1])


def diagnostic(lf: LocatedFinding, where: lsp.Range) -> lsp.Diagnostic:
    f = lf.finding
    message = f.message or f"“{f.text}”"
    hint = suggestion(lf)
    if hint:
        message += f" ({hint})"
    return lsp.Diagnostic(
        where,
        message,
        SEVERITY.get(f.severity, lsp.DiagnosticSeverity.Warning),
        code=f.rule,
        source="coach",
        data={"rule": f.rule, "start": f.start, "end": f.end},
    )


def offset_position(doc: Any, lines: list[str], text: str, offset: int) -> lsp.Position:
    """Client position of a code-point offset into `text` (line breaks as LSP counts them)."""
    before = _LINE_BREAK.split(text[:offset])
    return doc.position_codec.position_to_client_units(lines, ServerTextPosition(len(before) - 1, len(before[-1])))


def _key(p: lsp.Position) -> tuple[int, int]:
    return p.line, p.character


def overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    return _key(a.start) <= _key(b.end) and _key(b.start) <= _key(a.end)


def contains(r: lsp.Range, p: lsp.Position) -> bool:
    return _key(r.start) <= _key(p) <= _key(r.end)


def build(options: LspOptions) -> CoachServer:
    server = CoachServer(options)

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: CoachServer, params: lsp.InitializedParams) -> None:
        root = ls.workspace.root_path
        if root:
            ls.root = root
        ls.pool.submit(ls.load)  # the first check waits behind it on the same thread

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: CoachServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CoachServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, DEBOUNCE)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: CoachServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CoachServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        timer = ls.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        ls.checked.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, []))

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll]),
    )
    def code_action(ls: CoachServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        return ls.actions(params.text_document.uri, params.range)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: CoachServer, params: lsp.HoverParams) -> lsp.Hover | None:
        return ls.hover(params.text_document.uri, params.position)

    return server


def run(options: LspOptions) -> None:
    """Serve on stdin/stdout until the client says exit (or closes the pipe)."""
    import sys

    logging.basicConfig(level=logging.WARNING, format="coach lsp: %(levelname)s %(message)s")
    # The protocol gets its own handle on stdout (pygls closes it on exit); anything else that
    # prints goes to stderr instead of corrupting the message stream.
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    sys.stdout = sys.stderr
    build(options).start_io(sys.stdin.buffer, protocol_out)
