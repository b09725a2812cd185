"""`check_text` (an editor's unsaved buffer) checks exactly as `run_check` checks the saved file,
and `apply_edits_to_text` edits the buffer as `apply_edits` edits the file."""

from __future__ import annotations

import pytest

from coach.checking import check_text, plan_fixes, run_check
from coach.config import Settings
from coach.library import apply_edits, apply_edits_to_text, entries_from_text, iter_entries

CASES = {
    "reply.md": "Hi {{name}},\n\nThere's nothing I can do. <!-- coach: ignore[blocking.policy] -->\n",
    "reply.txt": "# coach: ignore-next-line[blocking]\nThere's nothing I can do.\nSorry for any inconvenience.\n",
    "lib.yaml": '- name: a\n  body: "Sorry for any inconvenience, but there is nothing I can do."\n'
    '  coach: "ignore[advocacy] -- unused"\n- name: b\n  body: |\n    Let me check.\n',
    "lib.json": '[{"name": "a", "body": "There\\u2019s nothing I can do.\\nSorry."}]',
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_buffer_and_file_agree(tmp_path, analyzer, name):
    path = tmp_path / name
    path.write_text(CASES[name], encoding="utf-8")
    settings = Settings(root=str(tmp_path))
    from_file = run_check([str(path)], settings, analyzer)
    from_text = check_text(str(path), CASES[name], settings, analyzer)
    assert from_text.result == from_file.result
    assert [s.line for s in from_text.unused] == [s.line for s in from_file.unused]
    assert entries_from_text(str(path), CASES[name]) == list(iter_entries(str(path)))
    edits = [e for plan in plan_fixes(from_file, analyzer).edits.values() for e in plan]
    assert apply_edits_to_text(str(path), CASES[name], edits) == apply_edits(str(path), edits)


def test_unused_suppressions_are_kept_as_objects(tmp_path, analyzer):
    run = check_text(str(tmp_path / "lib.yaml"), CASES["lib.yaml"], Settings(root=str(tmp_path)), analyzer)
    assert [(s.rules, s.line) for s in run.unused] == [(("advocacy",), 3)]
    assert run.result.unused_suppressions == (
        f"{tmp_path / 'lib.yaml'}:3: unused suppression of advocacy (no finding matched it)",
    )
