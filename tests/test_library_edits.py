"""apply_edits: changes only the edited text, keeps comments/order/indentation, and re-parses as expected."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.errors import InputError
from coach.library import Edit, LibraryOptions, apply_edits, iter_entries

DATA = Path(__file__).parent / "data" / "library"
OLD, NEW = "nothing I can do", "here is what I can do"


def fix(path: Path, old: str = OLD, new: str = NEW, options: LibraryOptions | None = None) -> str:
    """apply_edits replacing the first `old` in every entry that has it."""
    edits = []
    for e in iter_entries(str(path), options):
        i = e.text.find(old)
        if i >= 0:
            edits.append(Edit(e.key, i, i + len(old), new))
    assert edits
    return apply_edits(str(path), edits, options)


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.split("\n"), after.split("\n")
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b) if x != y]


def copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / Path(name).name
    shutil.copy(DATA / name, target)
    return target


@pytest.mark.parametrize(
    "name",
    [
        "replies/refund-denied.md",
        "macros.yaml",
        "macros.json",
        "macros.csv",
        "zendesk_macros.json",
        "intercom_macros.json",
        "helpscout_saved_replies.json",
        "freshdesk_canned_responses.json",
        "gorgias_macros.json",
    ],
)
def test_every_sample_round_trips(tmp_path, name):
    path = copy(tmp_path, name)
    before = path.read_text(encoding="utf-8")
    after = fix(path)
    for old_line, new_line in changed_lines(before, after):
        assert old_line.replace(OLD, NEW) == new_line
    path.write_text(after, encoding="utf-8")
    texts = [e.text for e in iter_entries(str(path))]
    assert any(NEW in t for t in texts) and not any(OLD in t for t in texts)


def test_yaml_keeps_comments_and_layout(tmp_path):
    path = copy(tmp_path, "macros.yaml")
    before = path.read_text(encoding="utf-8")
    after = fix(path, "company policy", "our refund window")
    assert changed_lines(before, after) == [
        (
            "      Unfortunately there's nothing I can do, it's company policy.",
            "      Unfortunately there's nothing I can do, it's our refund window.",
        )
    ]
    assert after.startswith("# Support macros for the billing team.\n")
    assert yaml.safe_load(after)["macros"][0]["body"].endswith("our refund window.\nI'm sorry for any inconvenience.\n")


def test_yaml_requotes_only_when_the_style_cannot_hold_the_text(tmp_path):
    path = tmp_path / "lib.yaml"
    path.write_text(
        "- name: a   # keep me\n  body: Sorry for the wait.\n- name: b\n  body: 'It''s policy'\n"
        "- name: c\n  body: |\n    Line one\n    Line two\n",
        encoding="utf-8",
    )
    a, b, c = iter_entries(str(path))
    after = apply_edits(
        str(path),
        [
            Edit("a", 0, 5, "Note: thanks"),  # ": " is not allowed in a plain scalar -> double-quoted
            Edit("b", b.text.index("policy"), len(b.text), "the 'rule'"),  # stays single-quoted
            Edit("c", c.text.index("two"), c.text.index("two") + 3, "2\nLine 3"),  # literal block keeps indent
        ],
    )
    assert after == (
        '- name: a   # keep me\n  body: "Note: thanks for the wait."\n- name: b\n'
        "  body: 'It''s the ''rule'''\n- name: c\n  body: |\n    Line one\n    Line 2\n    Line 3\n"
    )
    assert [e["body"] for e in yaml.safe_load(after)] == [
        "Note: thanks for the wait.",
        "It's the 'rule'",
        "Line one\nLine 2\nLine 3\n",
    ]


def test_json_escapes_and_keeps_other_escapes(tmp_path):
    path = copy(tmp_path, "macros.json")
    before = path.read_text(encoding="utf-8")
    after = fix(path, "sorry", 'sorry "truly"\n')
    assert changed_lines(before, after) == [
        (
            '      "text": "I\\u2019m sorry for any inconvenience \\u2014 we\\u2019re on it.",',
            '      "text": "I\\u2019m sorry \\"truly\\"\\n for any inconvenience \\u2014 we\\u2019re on it.",',
        )
    ]
    expected = 'I\u2019m sorry "truly"\n for any inconvenience \u2014 we\u2019re on it.'
    assert json.loads(after)["replies"][1]["text"] == expected


def test_csv_requotes_a_cell_that_needs_it(tmp_path):
    path = copy(tmp_path, "macros.csv")
    after = fix(path, "I'm sorry for any inconvenience.", 'Sorry, "really".')
    assert 'Apology,"Sorry, ""really"".",general' in after
    rows = list(csv.reader(io.StringIO(after)))
    assert rows[2] == ["Apology", 'Sorry, "really".', "general"]


def test_html_bodies_and_their_twins(tmp_path):
    path = copy(tmp_path, "gorgias_macros.json")
    after = fix(path, "company policy", "our policy & process")
    args = json.loads(after)["data"][0]["actions"][1]["arguments"]
    assert args["body_text"].endswith("our policy & process.")
    assert args["body_html"].endswith("our policy &amp; process.</div>")
    path = copy(tmp_path, "zendesk_macros.json")
    with pytest.raises(InputError, match="line break into the HTML"):
        fix(path, "sorry", "sorry\n")
    (_, delay, _) = iter_entries(str(path))
    start = delay.text.index(",\n\nI'm")
    with pytest.raises(InputError, match="crosses HTML markup"):
        apply_edits(str(path), [Edit(delay.key, start, start + 5, "x")])


def test_text_files_keep_crlf_and_bom(tmp_path):
    path = tmp_path / "r.txt"
    path.write_bytes(b"\xef\xbb\xbfHi,\r\nit's company policy.\r\n")
    (e,) = iter_entries(str(path))
    i = e.text.index("company policy")
    after = apply_edits(str(path), [Edit(None, i, i + len("company policy"), "our rule")])
    assert after == "\ufeffHi,\r\nit's our rule.\r\n"


def test_refuses_unknown_keys_overlaps_and_ranges(tmp_path):
    path = copy(tmp_path, "macros.yaml")
    with pytest.raises(InputError, match="no reply named 'Missing'"):
        apply_edits(str(path), [Edit("Missing", 0, 1, "x")])
    with pytest.raises(InputError, match="overlapping"):
        apply_edits(str(path), [Edit("Shipping delay", 0, 5, "x"), Edit("Shipping delay", 3, 8, "y")])
    with pytest.raises(InputError, match="outside the reply"):
        apply_edits(str(path), [Edit("Shipping delay", 0, 999, "x")])
    md = copy(tmp_path, "replies/refund-denied.md")
    with pytest.raises(InputError, match="one-reply text file"):
        apply_edits(str(md), [Edit("key", 0, 1, "x")])


def test_no_edits_returns_the_file_unchanged(tmp_path):
    path = copy(tmp_path, "zendesk_macros.json")
    assert apply_edits(str(path), []) == path.read_text(encoding="utf-8")


_ALPHABET = st.sampled_from(list("ab c:#'\"\\\n\t-{}\u00e9\U0001f600,&*"))
_TEXT = st.text(alphabet=_ALPHABET, min_size=1, max_size=30).filter(str.strip)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=_TEXT, style=st.sampled_from([None, '"', "'", "|", ">"]), data=st.data())
def test_yaml_edits_property(tmp_path_factory, value, style, data):
    path = tmp_path_factory.mktemp("y") / "lib.yaml"
    path.write_text(
        yaml.safe_dump([{"name": "k", "body": value}], allow_unicode=True, default_style=style, width=12),
        encoding="utf-8",
    )
    (e,) = iter_entries(str(path))
    assert e.text == value
    start = data.draw(st.integers(0, len(value)))
    end = data.draw(st.integers(start, len(value)))
    new = data.draw(st.text(alphabet=_ALPHABET, max_size=6))
    after = apply_edits(str(path), [Edit("k", start, end, new)])
    assert yaml.safe_load(after) == [{"name": "k", "body": value[:start] + new + value[end:]}]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=_TEXT, data=st.data())
def test_json_edits_property(tmp_path_factory, value, data):
    path = tmp_path_factory.mktemp("j") / "lib.json"
    path.write_text(json.dumps({"macros": [{"name": "k", "body": value}]}, indent=1), encoding="utf-8")
    (e,) = iter_entries(str(path))
    for i, ch in enumerate(value):  # every char points at itself or at its escape sequence
        line, column = e.locate(i)
        raw = path.read_text(encoding="utf-8").split("\n")[line - 1][column - 1 :]
        assert raw.startswith(json.dumps(ch)[1:-1])
    start = data.draw(st.integers(0, len(value)))
    end = data.draw(st.integers(start, len(value)))
    new = data.draw(st.text(alphabet=_ALPHABET, max_size=6))
    after = apply_edits(str(path), [Edit("k", start, end, new)])
    assert json.loads(after)["macros"][0]["body"] == value[:start] + new + value[end:]
