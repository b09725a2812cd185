"""Suppression comments and `coach` fields: forms, scopes, covers(), masking and unused reporting."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.errors import InputError
from coach.library import iter_entries
from coach.library.suppress import Suppression, find, from_field, parse_directive, unused

DATA = Path(__file__).parent / "data" / "library"


def one(tmp_path: Path, name: str, content: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    (entry,) = iter_entries(str(path))
    return entry


@pytest.mark.parametrize(
    "body, expected",
    [
        ("ignore", ("line", (), None)),
        (" ignore[blocking.policy] -- legal wording ", ("line", ("blocking.policy",), "legal wording")),
        ("ignore-next-line[blocking, apology.regret]", ("next-line", ("blocking", "apology.regret"), None)),
        ("ignore-file -- whole reply is a quote", ("file", (), "whole reply is a quote")),
    ],
)
def test_parse_directive(body, expected):
    assert parse_directive(body) == expected


@pytest.mark.parametrize(
    "body, message",
    [
        ("ignroe[x]", "unknown coach directive 'ignroe'"),
        ("ignore[]", "empty rule list"),
        ("ignore[bad id!]", "bad rule id"),
    ],
)
def test_bad_directives(body, message):
    with pytest.raises(InputError, match=message):
        parse_directive(body, path="r.md", line=3)


def test_covers_by_scope_and_prefix():
    line = Suppression(("blocking.policy",), "line", 4)
    assert line.covers("blocking.policy", 4) and line.covers("blocking.policy.strict", 4)
    assert not line.covers("blocking.policy", 5) and not line.covers("blocking.policyx", 4)
    assert not line.covers("blocking", 4)
    nxt = Suppression(("blocking",), "next-line", 4)
    assert nxt.covers("blocking.policy", 5) and not nxt.covers("blocking.policy", 4)
    everything = Suppression((), "file", 1)
    assert everything.covers("anything.at.all", 99)
    assert Suppression(("apology",), "entry", 2).covers("apology.regret", None)


def test_markdown_same_line_comment(tmp_path):
    e = one(tmp_path, "r.md", "Hi,\n\nIt's company policy. <!-- coach: ignore[blocking.policy] -- legal -->\nBye\n")
    (s,) = e.suppressions
    assert (s.rules, s.scope, s.line, s.reason, s.path) == (("blocking.policy",), "line", 3, "legal", e.path)
    start = e.text.index("<!--")
    assert e.lintable_text()[start : e.text.index("-->") + 3].strip() == ""
    assert s.covers("blocking.policy", e.locate(e.text.index("policy"))[0])


def test_standalone_ignore_comment_applies_to_next_line(tmp_path):
    e = one(tmp_path, "r.md", "<!-- coach: ignore[blocking] -->\nIt's company policy.\n")
    assert e.suppressions[0].scope == "next-line" and e.suppressions[0].covers("blocking.policy", 2)


def test_plain_text_whole_line_comments(tmp_path):
    e = one(
        tmp_path,
        "r.txt",
        "Hi\n  // coach: ignore-file[apology] -- canned\n# coach: ignore-next-line -- ok\n"
        "It's policy.\nnot # coach: ignore here\n",
    )
    scopes = [(s.scope, s.rules, s.line) for s in e.suppressions]
    assert scopes == [("file", ("apology",), 2), ("next-line", (), 3)]
    lint = e.lintable_text()
    assert "coach" not in lint.split("\n")[1] + lint.split("\n")[2]
    assert "not # coach: ignore here" in lint  # only whole-line comments count in .txt


def test_sample_files():
    (md,) = iter_entries(str(DATA / "replies/refund-denied.md"))
    assert [(s.rules, s.scope, s.line) for s in md.suppressions] == [(("non_apology",), "line", 11)]
    (txt,) = iter_entries(str(DATA / "replies/shipping-delay.txt"))
    (s,) = txt.suppressions
    assert s.scope == "next-line" and s.reason == "carrier contract wording"
    policy_line = txt.locate(txt.text.index("it's company policy"))[0]
    assert s.covers("blocking.policy", policy_line)


def test_entry_coach_fields():
    refund, _, _, escalation = iter_entries(str(DATA / "macros.yaml"))
    (s,) = refund.suppressions
    assert (s.rules, s.scope, s.line, s.reason, s.key) == (
        ("blocking.policy",),
        "entry",
        9,
        "Approved by legal, ticket LEGAL-42",
        "Refund denied",
    )
    assert s.covers("blocking.policy", 1234)
    (s,) = escalation.suppressions
    assert (s.rules, s.scope, s.reason) == (("advocacy",), "entry", "tone reviewed")


def test_from_field_forms_and_errors():
    assert from_field({"ignore": "a.b, c"}, line=2).rules == ("a.b", "c")
    assert from_field({"ignore": True, "reason": "quoted"}, line=2).rules == ()
    with pytest.raises(InputError, match="unknown key 'why'"):
        from_field({"ignore": ["a"], "why": "x"}, line=2, path="lib.yaml")
    with pytest.raises(InputError, match="ignore-next-line makes no sense"):
        from_field("ignore-next-line[a]", line=2)
    with pytest.raises(InputError, match="string or a mapping"):
        from_field(3, line=2)


def test_suppression_in_json_html_body(tmp_path):
    path = tmp_path / "z.json"
    path.write_text(
        '{"macros": [{"title": "T", "actions": [{"field": "comment_value_html", "value": '
        '"<p>It is policy. <!-- coach: ignore[blocking] --></p>"}]}]}',
        encoding="utf-8",
    )
    (e,) = iter_entries(str(path))
    assert e.suppressions[0].rules == ("blocking",) and "coach" not in e.lintable_text()


def test_find_and_unused():
    a = Suppression(("blocking",), "line", 3)
    b = Suppression(("apology",), "entry", 1)
    c = Suppression((), "next-line", 7)
    assert find([a, b, c], "blocking.policy", 3) is a
    assert find([a, b, c], "advocacy", 8) is c
    assert find([a, b, c], "advocacy", 3) is None
    assert unused([a, b, c], [a]) == [b, c]
