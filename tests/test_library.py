"""Library readers: every format's sample, masking, locate(), sniffing, discovery and errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from coach.errors import InputError, UsageError
from coach.library import Entry, LibraryOptions, discover, iter_entries, sniff_library

DATA = Path(__file__).parent / "data" / "library"
POLICY = "Unfortunately there's nothing I can do, it's company policy."


def entries(name: str, **options: object) -> list[Entry]:
    return list(iter_entries(str(DATA / name), LibraryOptions(**options)))


def at(path: Path | str, line: int, column: int, length: int) -> str:
    """The file text at a 1-based line/column."""
    text = Path(path).read_text(encoding="utf-8").replace("\r\n", "\n").lstrip("\ufeff")
    return text.split("\n")[line - 1][column - 1 : column - 1 + length]


def check_phrase(entry: Entry, phrase: str) -> None:
    """`phrase` occurs verbatim in the file exactly where locate() says its text offset is."""
    start = entry.text.index(phrase)
    line, column = entry.locate(start)
    assert at(entry.path, line, column, len(phrase)) == phrase


# --- formats -------------------------------------------------------------------------------------------


def test_markdown_reply_is_one_entry_with_markup_masked():
    (e,) = entries("replies/refund-denied.md")
    assert e.key is None and e.format == "text" and (e.line, e.column) == (1, 1)
    assert e.text == (DATA / "replies/refund-denied.md").read_text(encoding="utf-8")
    lint = e.lintable_text()
    assert len(lint) == len(e.text) and lint.count("\n") == e.text.count("\n")
    assert "{{" not in lint and "ticket.requester" not in lint and "https://" not in lint
    assert lint.startswith("  Refund request")  # heading marker masked
    assert "  Refunds are accepted within  30 days  of delivery." in lint  # bullet and emphasis masked
    assert "See our  returns policy " in lint  # link text kept, URL masked
    assert "coach:" not in lint and POLICY in lint
    check_phrase(e, "company policy")
    assert e.locate(e.text.index("I'm sorry")) == (11, 1)


def test_plain_text_reply_masks_placeholders_only():
    (e,) = entries("replies/shipping-delay.txt")
    lint = e.lintable_text()
    assert "{first_name}" not in lint and "%{credit_code}" not in lint
    assert "# coach:" not in lint
    assert "We can't change the carrier, it's company policy." in lint
    check_phrase(e, "company policy")


def test_yaml_library():
    es = entries("macros.yaml")
    assert [e.key for e in es] == ["Refund denied", "Shipping delay", "Password reset", "Escalation"]
    assert es[0].text == ("Hi {{ticket.requester.first_name}},\n\n" + POLICY + "\nI'm sorry for any inconvenience.\n")
    assert es[1].text == "I'm sorry for any inconvenience. Your order ships {ship_date}."
    assert es[2].text == "Hi {first_name}, I have sent you a reset link. It expires in one hour."
    assert es[3].text == "I've escalated this to our specialists \u2014 they'll reply within a day."
    assert [(e.line, e.column) for e in es] == [(5, 7), (14, 11), (18, 11), (22, 12)]
    assert all(e.format == "yaml" for e in es)


def test_json_library_nested_under_replies():
    es = entries("macros.json")
    assert [e.key for e in es] == ["Refund denied", "Apology", "Callback"]
    assert es[0].text == "Hi {{ticket.requester.first_name}},\n\n" + POLICY
    assert es[1].text == "I\u2019m sorry for any inconvenience \u2014 we\u2019re on it."
    assert [(e.line, e.column) for e in es] == [(5, 16), (9, 16), (14, 16)]


def test_csv_library():
    es = entries("macros.csv")
    assert [e.key for e in es] == ["Refund denied", "Apology", "Quote test"]
    assert es[0].text == "Hi {{ticket.requester.first_name}},\n\n" + POLICY
    assert es[2].text == 'She said "no refunds", it\'s company policy.'
    assert [(e.line, e.column) for e in es] == [(2, 16), (5, 9), (6, 13)]
    check_phrase(es[0], "company policy")
    check_phrase(es[2], "it's company policy")


def test_csv_columns_are_configurable(tmp_path):
    p = tmp_path / "lib.csv"
    p.write_text("Macro;Reply text\nA;Sorry for any inconvenience\n", encoding="utf-8")
    with pytest.raises(InputError, match="no text column"):
        list(iter_entries(str(p)))
    (e,) = iter_entries(str(p), LibraryOptions(csv_name_column="macro", csv_text_column="Reply text"))
    assert (e.key, e.text, e.line, e.column) == ("A", "Sorry for any inconvenience", 2, 3)


def test_zendesk_export():
    es = entries("zendesk_macros.json")
    assert [e.key for e in es] == ["Billing::Refund denied", "Shipping::Delay", "General::Thanks"]
    assert es[0].text == ("Hi {{ticket.requester.first_name}},\n\n" + POLICY + "\n\n{{current_user.first_name}}")
    assert es[1].text == (
        "Hi {{ticket.requester.first_name}},\n\nI'm sorry for any inconvenience. Your order is on its way."
    )
    assert es[2].text == "Thanks for your patience, {{ticket.requester.first_name}}!"
    assert [(e.line, e.column) for e in es] == [(9, 46), (18, 54), (27, 62)]
    assert all(e.format == "zendesk" for e in es)
    check_phrase(es[1], "sorry for any inconvenience")  # through the HTML, too


def test_intercom_export_html_body_and_attribute_placeholders():
    es = entries("intercom_macros.json")
    assert [e.key for e in es] == ["Refund denied", "Apology"]
    assert es[0].text == "Hi {{user.name}},\n\n" + POLICY
    assert es[0].lintable_text().startswith("Hi " + " " * 13 + ",")
    assert es[1].text == "I'm sorry for any inconvenience.\n\nWe've fixed the issue & refunded the fee."
    check_phrase(es[0], "company policy")


def test_helpscout_export():
    es = entries("helpscout_saved_replies.json")
    assert [e.key for e in es] == ["Refund denied", "Apology"]
    assert es[0].text == "Hi {%customer.firstName,fallback=there%},\n\n" + POLICY
    assert es[1].text == "I'm sorry for any inconvenience.\n\nThanks, {%user.firstName%}"
    assert "{%" not in es[0].lintable_text()


def test_html_table_cells_end_words(tmp_path, default_analyzer):
    from coach.library.htmltext import to_text

    html = "<table><tr><th>Why</th><th>Refund</th></tr><tr><td>It's</td><td>company policy</td></tr></table>"
    text, spans = to_text(html)
    assert text == "Why Refund\nIt's company policy"
    start = text.index("company")
    assert html[spans.span(start)[0] :].startswith("company policy")  # offsets still point into the HTML
    (tmp_path / "fd.json").write_text(json.dumps([{"id": 1, "title": "Table", "content_html": html}]), encoding="utf-8")
    (entry,) = iter_entries(str(tmp_path / "fd.json"))
    assert "It's company policy" in entry.text
    rules = {f.rule for f in default_analyzer.lint_text(entry.lintable_text()).findings}
    assert "blocking.policy.company-policy" in rules


def test_freshdesk_export_prefers_plain_content():
    es = entries("freshdesk_canned_responses.json")
    assert [e.key for e in es] == ["Refund denied", "Apology"]
    assert es[0].text.startswith("Hi {{ticket.requester.name}}, unfortunately")
    assert (es[0].line, es[0].column) == (6, 17)  # the plain `content` field
    assert es[1].text == "I'm sorry for any inconvenience.\nRegards, {{ticket.agent.name}}"


def test_gorgias_export():
    es = entries("gorgias_macros.json")
    assert [e.key for e in es] == ["Refund denied", "Apology"]
    assert es[0].text == "Hi {{ticket.customer.firstname}},\n\n" + POLICY
    assert es[1].text == "I'm sorry for any inconvenience."
    assert (es[1].line, es[1].column) == (24, 84)


def test_mapping_name_to_text_and_duplicate_names(tmp_path):
    p = tmp_path / "lib.yaml"
    p.write_text("Refund: Sorry, it's policy.\nRefund#2: taken\nlist:\n  - body: one\n", encoding="utf-8")
    es = list(iter_entries(str(p)))
    assert [(e.key, e.text) for e in es] == [("Refund", "Sorry, it's policy."), ("Refund#2", "taken")]
    p.write_text("- {title: A, message: one}\n- {title: A, message: two}\n- just text\n", encoding="utf-8")
    assert [(e.key, e.text) for e in iter_entries(str(p))] == [("A", "one"), ("A#2", "two"), ("[2]", "just text")]


def test_custom_keys(tmp_path):
    p = tmp_path / "lib.json"
    p.write_text(json.dumps([{"label": "A", "reply": "Hello"}]), encoding="utf-8")
    with pytest.raises(InputError, match="no replies found"):
        list(iter_entries(str(p)))
    (e,) = iter_entries(str(p), LibraryOptions(name_keys=("label",), text_keys=("reply",)))
    assert (e.key, e.text, e.line, e.column) == ("A", "Hello", 1, 27)


# --- masking and locate --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "placeholder",
    [
        "{{ticket.requester.first_name}}",
        "{first_name}",
        "{% if vip %}",
        "%{var}",
        "${agent}",
        "{{ user.name | fallback: 'there' }}",
    ],
)
def test_placeholders_are_masked(tmp_path, placeholder):
    p = tmp_path / "r.txt"
    p.write_text(f"Hi {placeholder}, sorry.", encoding="utf-8")
    (e,) = iter_entries(str(p))
    assert e.masked == ((3, 3 + len(placeholder)),)
    assert e.lintable_text() == "Hi " + " " * len(placeholder) + ", sorry."


def test_markdown_code_and_html_are_masked(tmp_path):
    p = tmp_path / "r.md"
    p.write_text(
        "Run `reset --all` now.\n\n```\nit's company policy\n```\n<b>Bold</b> [x][1]\n\n[1]: http://x.y\n",
        encoding="utf-8",
    )
    (e,) = iter_entries(str(p))
    lint = e.lintable_text()
    assert "reset" not in lint and "policy" not in lint and "<b>" not in lint and "http" not in lint
    assert "Run" in lint and "Bold" in lint and " x " in lint
    assert len(lint) == len(e.text)


def test_locate_in_text_yaml_json():
    (md,) = entries("replies/refund-denied.md")
    check_phrase(md, "30 days")
    yaml_es = entries("macros.yaml")
    check_phrase(yaml_es[0], "company policy")  # literal block
    check_phrase(yaml_es[2], "It expires")  # plain scalar continued on the next line
    check_phrase(yaml_es[3], "escalated")  # double-quoted
    i = yaml_es[3].text.index("\u2014")
    assert yaml_es[3].locate(i) == (22, 51) and at(DATA / "macros.yaml", 22, 51, 6) == "\\u2014"
    json_es = entries("macros.json")
    check_phrase(json_es[0], "company policy")  # after an escaped \n
    assert json_es[0].locate(len(json_es[0].text)) == (5, 16 + len(json_es[0].text) + 2)  # two \n escapes


def test_locate_in_folded_and_single_quoted_yaml(tmp_path):
    p = tmp_path / "lib.yaml"
    p.write_text("a: 'it''s\n  company policy'\nb: >\n  folded\n  lines here\n", encoding="utf-8")
    a, b = iter_entries(str(p))
    assert a.text == "it's company policy" and b.text == "folded lines here\n"
    assert a.locate(a.text.index("company")) == (2, 3)
    assert b.locate(b.text.index("lines")) == (5, 3)


def test_crlf_and_bom_files(tmp_path):
    p = tmp_path / "lib.json"
    p.write_bytes(b'\xef\xbb\xbf[\r\n  {"name": "A", "body": "Sorry \\u2014 policy"}\r\n]\r\n')
    (e,) = iter_entries(str(p))
    assert e.text == "Sorry \u2014 policy" and e.locate(e.text.index("policy")) == (2, 39)


def test_entry_without_anchors_counts_lines():
    e = Entry("x.txt", None, "ab\ncd", 3, 5)
    assert e.locate(0) == (3, 5) and e.locate(1) == (3, 6) and e.locate(4) == (4, 2)


# --- sniffing and discovery ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("replies/refund-denied.md", "text"),
        ("replies/shipping-delay.txt", "text"),
        ("macros.yaml", "yaml"),
        ("macros.json", "json"),
        ("macros.csv", "csv"),
        ("zendesk_macros.json", "zendesk"),
        ("intercom_macros.json", "intercom"),
        ("helpscout_saved_replies.json", "helpscout"),
        ("freshdesk_canned_responses.json", "freshdesk"),
        ("gorgias_macros.json", "gorgias"),
    ],
)
def test_sniff_library(name, fmt):
    path = DATA / name
    assert sniff_library(str(path), path.read_bytes()) == fmt


def test_sniff_truncated_head_and_override():
    head = (DATA / "zendesk_macros.json").read_bytes()[:300]
    assert sniff_library("export.json", head) == "zendesk"
    assert sniff_library("export.json", b'{"data": [{"name": "x", "actions": [{"name": "setResponseText"') == "gorgias"
    assert sniff_library("x.json", b"{}", override="yaml") == "yaml"
    with pytest.raises(InputError, match="unknown library format"):
        sniff_library("x.json", b"{}", override="docx")


def test_forced_format_that_does_not_fit():
    with pytest.raises(InputError, match="does not look like a Zendesk"):
        entries("helpscout_saved_replies.json", format="zendesk")


def test_discover(tmp_path):
    for rel in ["a.md", "b/c.yaml", "b/legacy/d.json", ".hidden/e.md", "b/.f.md", "g.png", "node_modules/h.md"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    root = str(tmp_path)
    found = [os.path.relpath(p, root) for p in discover([root], [], [], root=root)]
    assert found == ["a.md", os.path.join("b", "c.yaml"), os.path.join("b", "legacy", "d.json")]
    found = [os.path.relpath(p, root) for p in discover([root], ["b/**"], ["legacy"], root=root)]
    assert found == [os.path.join("b", "c.yaml")]
    explicit = str(tmp_path / "g.png")
    assert list(discover([explicit], [], ["*.png"], root=root)) == [explicit]
    with pytest.raises(UsageError, match="no such file"):
        list(discover([str(tmp_path / "missing")], [], []))


# --- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, message, line",
    [
        ("dup.yaml", "- name: a\n  body: x\n  body: y\n", "duplicate key 'body'", 3),
        ("bad.yaml", "- name: a\n  body: [x\n", "invalid YAML", 3),
        ("two.yaml", "a: x\n---\nb: y\n", "invalid YAML", 2),
        ("bad.json", '{"macros": [\n  {"name": "a",}\n]}', "invalid JSON", 2),
        ("dup.json", '{"a": "x",\n "a": "y"}', "duplicate key 'a'", 2),
        ("num.yaml", "- name: a\n  body: 42\n", "must be a string", 2),
        ("bad.csv", 'name,body\na,"open\n', "unterminated quoted field", 2),
        ("bad.md", "Hi <!-- coach: ignroe[x] -->\n", "unknown coach directive 'ignroe'", 1),
    ],
)
def test_bad_files_raise_one_line_input_errors(tmp_path, name, content, message, line):
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        list(iter_entries(str(p)))
    assert info.value.path == str(p) and info.value.line == line
    assert "\n" not in str(info.value)


def test_unreadable_files(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match="cannot decode") as info:
        list(iter_entries(str(p)))
    assert info.value.hint and "--encoding" in info.value.hint
    (e,) = iter_entries(str(p), LibraryOptions(encoding="latin-1"))
    assert e.text == "caf\xe9"
    with pytest.raises(InputError, match="cannot read"):
        list(iter_entries(str(tmp_path / "nope.txt")))
