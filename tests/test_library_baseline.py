"""Baseline fingerprints: stable under line shifts and cosmetic edits, written atomically, strict loading."""

from __future__ import annotations

import json
import os

import pytest

from coach.atomic import OutputError
from coach.errors import InputError
from coach.library import baseline
from coach.library.baseline import BaselineEntry, entries_for, fingerprint, load_baseline, write_baseline


def test_fingerprint_ignores_case_quotes_whitespace_and_width(tmp_path):
    a = fingerprint("blocking.policy", "It's  company\npolicy", "lib/macros.yaml", "Refund", root=str(tmp_path))
    b = fingerprint("blocking.policy", "it\u2019s company policy", "lib/macros.yaml", "Refund", root=str(tmp_path))
    c = fingerprint("blocking.policy", "\uff49t's company policy", "lib/macros.yaml", "Refund", root=str(tmp_path))
    assert a == b == c and len(a) == 64
    assert a != fingerprint("blocking.policy", "it's company policy", "lib/macros.yaml", "Other", root=str(tmp_path))
    assert a != fingerprint("blocking.rule", "it's company policy", "lib/macros.yaml", "Refund", root=str(tmp_path))
    assert a != fingerprint("blocking.policy", "it's company policy", "lib/other.yaml", "Refund", root=str(tmp_path))


def test_fingerprint_path_is_relative_and_posix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rel = fingerprint("r", "x", os.path.join("lib", "a.md"), None, root=str(tmp_path))
    absolute = fingerprint("r", "x", str(tmp_path / "lib" / "a.md"), None, root=str(tmp_path))
    assert rel != fingerprint("r", "x", "lib/b.md", None, root=str(tmp_path))
    assert (
        absolute
        == fingerprint("r", "x", "lib/a.md", None, root=str(tmp_path))
        == fingerprint("r", "x", str(tmp_path / "lib" / "a.md"), None, root=str(tmp_path))
    )
    assert baseline.normalize_path(str(tmp_path / "lib" / "a.md"), str(tmp_path)) == "lib/a.md"


def test_stable_under_line_shifts_but_counts_repeats(tmp_path):
    findings = [("non_apology.inconvenience", "sorry for any inconvenience", "a.md", None)] * 2
    first = entries_for(findings, root=str(tmp_path))
    assert first[0].fingerprint != first[1].fingerprint
    # the same findings after lines were inserted above them: nothing positional goes in
    assert [e.fingerprint for e in entries_for(findings, root=str(tmp_path))] == [e.fingerprint for e in first]
    assert first[1].fingerprint == fingerprint(*findings[0], 1, root=str(tmp_path))


def test_write_and_load_round_trip(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "coach-baseline.json"
    items = entries_for(
        [("b.rule", "Text B", "z.md", None), ("a.rule", "Text A", "a.yaml", "K"), ("a.rule", "Text A", "a.yaml", "K")],
        root=str(tmp_path),
    )
    write_baseline(str(target), items + [items[0].to_dict()])  # duplicates collapse, dicts accepted
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["schema"] == "coach-baseline/1"
    assert [(f["path"], f["rule"]) for f in data["findings"]] == [
        ("a.yaml", "a.rule"),
        ("a.yaml", "a.rule"),
        ("z.md", "b.rule"),
    ]
    assert set(data["findings"][0]) == {"fingerprint", "rule", "path", "key", "text"}
    assert load_baseline(str(target)) == {e.fingerprint for e in items}
    assert [p.name for p in tmp_path.iterdir()] == ["coach-baseline.json"]  # no temp files left


def test_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "baseline.json"
    write_baseline(str(target), [BaselineEntry("a.md", None, "r", "t", "0" * 64)])
    before = target.read_text(encoding="utf-8")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(baseline.os, "replace", boom)
    with pytest.raises(OutputError, match="disk full; nothing was written"):
        write_baseline(str(target), [])
    assert target.read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.json"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "invalid baseline JSON"),
        ('{"schema": "other/2", "findings": []}', "not a coach baseline"),
        ('["coach-baseline/1"]', "not a coach baseline"),
        ('{"schema": "coach-baseline/1", "findings": {}}', "must be a list"),
        ('{"schema": "coach-baseline/1", "findings": [{"fingerprint": "xyz"}]}', "no valid fingerprint"),
    ],
)
def test_bad_baselines(tmp_path, content, message):
    path = tmp_path / "b.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        load_baseline(str(path))
    assert info.value.path == str(path)


def test_missing_baseline(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_baseline(str(tmp_path / "none.json"))
