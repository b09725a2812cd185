"""`coach lsp` driven by a real LSP client (pygls's) over stdio: initialize, didOpen, didChange,
publishDiagnostics, codeAction and hover, compared with what `coach check` says of the file."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
from conftest import TEST_PHRASEBOOK  # noqa: E402
from lsprotocol import types as lsp  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

pytestmark = pytest.mark.slow
TIMEOUT = 60

DRAFT = (
    "Hi {{ticket.requester.first_name}},\n\n"
    "Unfortunately there's nothing I can do about the fee.\n"
    "It's company policy. <!-- coach: ignore[blocking.policy] -- legal wants this -->\n"
)
LIBRARY = """\
- name: refund-denied
  body: "Sorry for any inconvenience, but there's nothing I can do."
- name: fine
  body: Let me see what I can do for you.
"""


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("coach-test", "1")
        self.diagnostics: dict[str, asyncio.Queue] = {}

        @self.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(ls: Client, params: lsp.PublishDiagnosticsParams) -> None:
            ls.queue(params.uri).put_nowait(params)

    def queue(self, uri: str) -> asyncio.Queue:
        return self.diagnostics.setdefault(uri, asyncio.Queue())

    async def next_diagnostics(self, uri: str, version: int | None = None) -> lsp.PublishDiagnosticsParams:
        while True:
            params = await asyncio.wait_for(self.queue(uri).get(), TIMEOUT)
            if version is None or params.version == version:
                return params


def session(root: Path, body, *args: str):
    """Start `coach lsp` in `root`, initialize, run body(client), shut down cleanly."""

    async def main():
        client = Client()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        await client.start_io(sys.executable, "-m", "coach", "lsp", *args, cwd=str(root), env=env)
        try:
            result = await asyncio.wait_for(
                client.initialize_async(
                    lsp.InitializeParams(
                        capabilities=lsp.ClientCapabilities(),
                        root_uri=root.as_uri(),
                        workspace_folders=[lsp.WorkspaceFolder(root.as_uri(), "root")],
                    )
                ),
                TIMEOUT,
            )
            client.initialized(lsp.InitializedParams())
            outcome = await body(client, result)
            await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
            client.exit(None)
            code = await asyncio.wait_for(client._server.wait(), TIMEOUT)
            assert code == 0
        finally:
            if client._server.returncode is None:  # a failed step: do not wait for a clean exit
                client._server.kill()
            await client.stop()
        return outcome

    return asyncio.run(main())


def open_doc(client: Client, path: Path, text: str, language: str) -> str:
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, language, 1, text)))
    return uri


def apply(text: str, edit: lsp.TextEdit) -> str:
    """A TextEdit applied to text without surrogate pairs (UTF-16 columns = code points)."""
    lines = text.split("\n")

    def offset(p: lsp.Position) -> int:
        return sum(len(line) + 1 for line in lines[: p.line]) + p.character

    return text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]


def check_json(root: Path, name: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "coach", "check", name, "--format", "json", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(done.stdout)


def negatives(document: dict) -> list[tuple[str, int, int, int, int]]:
    """(rule, 0-based start line/col, end line/col) of check's negative findings: LSP's coordinates."""
    return sorted(
        (f["rule"], f["file_line"] - 1, f["file_column"] - 1, f["end_line"] - 1, f["end_column"] - 1)
        for e in document["entries"]
        for f in e["findings"]
        if f["category"] in ("blocking", "non_apology")
    )


def as_rows(diagnostics: list[lsp.Diagnostic]) -> list[tuple[str, int, int, int, int]]:
    return sorted(
        (d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
        for d in diagnostics
        if d.code not in ("unused-suppression", "gate")
    )


def test_diagnostics_match_coach_check_and_code_actions_apply_rewrites(tmp_path):
    md = tmp_path / "refund.md"
    md.write_text(DRAFT, encoding="utf-8")
    expected = negatives(check_json(tmp_path, "refund.md"))
    assert [r[0] for r in expected] == ["blocking.powerless.nothing-i-can-do"]  # policy suppressed
    fixed = DRAFT.replace(
        "Unfortunately there's nothing I can do about the fee.", "Let me see what I can do about the fee."
    )  # the sentence, rewritten whole
    (tmp_path / "fixed.md").write_text(fixed, encoding="utf-8")
    expected_after = negatives(check_json(tmp_path, "fixed.md"))

    async def body(client: Client, init: lsp.InitializeResult):
        assert init.capabilities.hover_provider
        uri = open_doc(client, md, DRAFT, "markdown")
        first = await client.next_diagnostics(uri, 1)
        assert as_rows(first.diagnostics) == expected
        d = first.diagnostics[0]
        assert d.source == "coach" and d.severity == lsp.DiagnosticSeverity.Warning

        hover = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri), d.range.start))
        assert "blocking.powerless.nothing-i-can-do" in hover.contents.value
        assert "out of options" in hover.contents.value  # the rule's message

        actions = await client.text_document_code_action_async(
            lsp.CodeActionParams(lsp.TextDocumentIdentifier(uri), d.range, lsp.CodeActionContext([d]))
        )
        fixes = [a for a in actions if a.kind == lsp.CodeActionKind.QuickFix]
        assert fixes and fixes[0].is_preferred
        edit = fixes[0].edit.changes[uri][0]
        assert apply(DRAFT, edit) == fixed

        # The buffer, edited but unsaved, is what gets checked: the draft as the action left it.
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version=2, uri=uri),
                [lsp.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)],
            )
        )
        second = await client.next_diagnostics(uri, 2)
        assert as_rows(second.diagnostics) == expected_after
        assert "blocking.powerless.nothing-i-can-do" not in [r[0] for r in expected_after]

    session(tmp_path, body)


def test_yaml_library_entries_placeholders_and_unused_suppressions(tmp_path):
    lib = tmp_path / "macros.yaml"
    lib.write_text(LIBRARY, encoding="utf-8")
    expected = negatives(check_json(tmp_path, "macros.yaml", "-p", str(TEST_PHRASEBOOK), "--no-defaults"))
    assert expected

    async def body(client: Client, init):
        uri = open_doc(client, lib, LIBRARY, "yaml")
        got = await client.next_diagnostics(uri, 1)
        assert as_rows(got.diagnostics) == expected
        d = next(x for x in got.diagnostics if x.code.startswith("blocking"))
        actions = await client.text_document_code_action_async(
            lsp.CodeActionParams(lsp.TextDocumentIdentifier(uri), d.range, lsp.CodeActionContext([d]))
        )
        edit = next(a for a in actions if a.kind == lsp.CodeActionKind.QuickFix).edit.changes[uri][0]
        assert apply(LIBRARY, edit) == LIBRARY.replace(
            "Sorry for any inconvenience, but there's nothing I can do",
            "Sorry this caused you trouble, but here's what I can do",
        )  # one rewrite for the sentence

        # Placeholders are masked; an unused suppression is reported as in `coach check`.
        text = (
            '- name: a\n  body: "Hi {{ there is nothing I can do }}"\n'
            '  coach: "ignore[blocking] -- nothing to ignore"\n'
        )
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version=2, uri=uri),
                [lsp.TextDocumentContentChangeWholeDocument(text)],
            )
        )
        again = await client.next_diagnostics(uri, 2)
        assert [x.code for x in again.diagnostics] == ["unused-suppression"]

        broken = "- name: a\n  body: [unclosed\n"
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version=3, uri=uri),
                [lsp.TextDocumentContentChangeWholeDocument(broken)],
            )
        )
        bad = await client.next_diagnostics(uri, 3)
        assert len(bad.diagnostics) == 1 and bad.diagnostics[0].severity == lsp.DiagnosticSeverity.Error
        assert "cannot read this file" in bad.diagnostics[0].message

    session(tmp_path, body, "-p", str(TEST_PHRASEBOOK), "--no-defaults")


def test_utf16_positions_and_plain_text_suppression_comments(tmp_path):
    """Editors count UTF-16 units by default: an emoji before a finding moves it by two."""
    text = "😀😀 There's nothing I can do.\n# coach: ignore-next-line[blocking]\nThere's nothing I can do.\n"
    path = tmp_path / "reply.txt"

    async def body(client: Client, init):
        uri = open_doc(client, path, text, "plaintext")
        got = await client.next_diagnostics(uri, 1)
        assert [(d.range.start.line, d.range.start.character, d.range.end.character) for d in got.diagnostics] == [
            (0, 5, 29)
        ]

    session(tmp_path, body)


def test_bad_config_is_one_message_and_excluded_files_get_nothing(tmp_path):
    (tmp_path / ".coach.yaml").write_text("exclude: ['drafts/**']\n", encoding="utf-8")
    (tmp_path / "drafts").mkdir()
    excluded = tmp_path / "drafts" / "wip.md"

    async def body(client: Client, init):
        uri = open_doc(client, excluded, "There's nothing I can do.", "markdown")
        other = open_doc(client, tmp_path / "ok.md", "There's nothing I can do.", "markdown")
        assert len((await client.next_diagnostics(other, 1)).diagnostics) == 1
        assert (await client.next_diagnostics(uri, 1)).diagnostics == ()  # excluded by the config

    session(tmp_path, body)

    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: nope\n", encoding="utf-8")
    messages: list[lsp.ShowMessageParams] = []

    async def broken(client: Client, init):
        client.feature(lsp.WINDOW_SHOW_MESSAGE)(lambda ls, params: messages.append(params))
        open_doc(client, tmp_path / "ok.md", "There's nothing I can do.", "markdown")
        for _ in range(600):
            if messages:
                break
            await asyncio.sleep(0.1)

    session(tmp_path, broken, "-p", str(bad))
    assert len(messages) == 1 and messages[0].type == lsp.MessageType.Error
    assert messages[0].message.startswith("coach: ") and "bad.yaml" in messages[0].message


def test_code_action_inserts_the_placeholder_and_says_to_fill_it_in(tmp_path):
    """A sentence rewrite that needs the agent's words is offered, not preferred, its title naming
    what to fill in; the edit inserts the placeholder as it is (never silently dropped or filled)."""
    rules = Path(__file__).parent / "data" / "rewrite" / "placeholder.yaml"
    text = "Sorry, there's nothing I can do.\n"
    reply = tmp_path / "reply.txt"
    reply.write_text(text, encoding="utf-8")

    async def body(client: Client, init: lsp.InitializeResult):
        uri = open_doc(client, reply, text, "plaintext")
        (d,) = (await client.next_diagnostics(uri, 1)).diagnostics
        assert "filling in [what you can offer]" in d.message
        actions = await client.text_document_code_action_async(
            lsp.CodeActionParams(lsp.TextDocumentIdentifier(uri), d.range, lsp.CodeActionContext([d]))
        )
        fixes = [a for a in actions if a.kind == lsp.CodeActionKind.QuickFix]
        first = fixes[0]
        assert first.title.startswith("Rewrite as “") and first.title.endswith("then fill in [what you can offer]")
        assert not first.is_preferred
        assert "[what you can offer]" in apply(text, first.edit.changes[uri][0])
        hover = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri), d.range.start))
        assert "(fill in [what you can offer])" in hover.contents.value
        # No "fix all": the one safe rewrite needs the agent's words.
        assert not [a for a in actions if a.kind == lsp.CodeActionKind.SourceFixAll]

    session(tmp_path, body, "--no-defaults", "--no-model", "-p", str(rules))
