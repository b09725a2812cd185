"""`--redact` and people's names (from the export's speaker fields), and the dates and ids it keeps."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.redact import is_date_or_id, redact_text
from coach.redact_names import NameMasker, name_words

runner = CliRunner()
CONVERSATIONS = [
    {
        "id": "T-1",
        "agent": "Sam Patel",
        "turns": [
            {
                "speaker": "customer",
                "name": "Alex Kim",
                "text": "Hi, this is Alex Kim. Order 1234567 from 2024-03-04 never came. Call me on 415 555 0132.",
            },
            {
                "speaker": "agent",
                "name": "Sam Patel",
                "text": "Hi Alex, sorry for any inconvenience. Sadly there's nothing I can do. Sam",
            },
        ],
    },
    {
        "id": "T-2",
        "agent": "Sam Patel",
        "turns": [
            {
                "speaker": "customer",
                "name": "Dana Whitfield",
                "text": "Where is ticket #48213377? It's 04.03.2024 today.",
            },
            {
                "speaker": "agent",
                "name": "Support Team",
                "text": "Hi Dana, Sam from support here: it's company policy.",
            },
        ],
    },
]
NAMES = ("Alex", "Kim", "Sam", "Patel", "Dana", "Whitfield")


@pytest.fixture()
def export(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in CONVERSATIONS) + "\n", encoding="utf-8")
    return path


def score(export, *args):
    r = runner.invoke(app, ["score", str(export), "--redact", "--no-progress", "--no-color", *args])
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.mark.parametrize("fmt", ["jsonl", "json", "html", "rich"])
def test_speaker_names_are_masked_everywhere(export, fmt):
    out = score(export, "--format", fmt)
    for name in NAMES:
        assert name not in out, name
    for kept in ("2024-03-04", "#48213377", "04.03.2024", "T-1", "1234567"):
        assert kept in out or fmt == "rich", kept  # the terminal shows only worst findings
    assert "415 555 0132" not in out


def test_name_fields_get_stable_pseudonyms(export):
    lines = [json.loads(x) for x in score(export, "--format", "jsonl").splitlines()]
    assert [line["agent"] for line in lines] == ["agent-1", "agent-1"]
    assert [[t["name"] for t in line["turns"]] for line in lines] == [
        ["customer-1", "agent-1"],
        ["customer-2", "agent-2"],
    ]
    first, second = lines
    assert first["turns"][1]["text"] == "Hi ****, sorry for any inconvenience. Sadly there's nothing I can do. ***"
    assert second["turns"][1]["text"] == "Hi ****, *** from support here: it's company policy."  # role words kept
    starts = [(f["start"], f["end"], f["text"]) for f in first["turns"][1]["findings"]]
    text = first["turns"][1]["text"]
    assert all(text[s:e] == t for s, e, t in starts)  # offsets still point at the masked text


def test_csv_name_fields(export):
    rows = list(csv.DictReader(io.StringIO(score(export, "--format", "csv"))))
    assert {row["agent"] for row in rows} == {"agent-1"}
    findings = list(csv.DictReader(io.StringIO(score(export, "--format", "csv", "--per", "finding"))))
    assert findings and not any(name in json.dumps(findings) for name in NAMES)


def test_name_words_skip_roles():
    assert name_words("Support Team") == set()
    assert name_words("Sam (Agent)") == {"Sam"}
    assert name_words("Anne-Marie O'Neill") == {"Anne-Marie", "O'Neill"}
    assert NameMasker().pseudonym(None, "agent") is None


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Shipped on 2024-03-04 at 10:32.", True),
        ("Since 04.03.2024, nothing.", True),
        ("Ticket #48213377 is open.", True),
        ("Your order 1234567 shipped.", True),
        ("Order no. 99-1234-5678 refunded.", True),
        ("Case: AB-77123456 escalated.", True),
        ("Tracking 1Z 999 AA1 0123 4567 84", True),
        ("Call me on +1 415 555 0132.", False),
        ("My number is 020 7946 0958.", False),
        ("phone number: 415 555 0132", False),
        ("Reach me at (415) 555-0132.", False),
    ],
)
def test_dates_and_ids_are_not_phone_numbers(text, kept):
    assert (redact_text(text) == text) is kept


def test_is_date_or_id_looks_just_before_the_number():
    text = "order 12 shipped; call 415 555 0132"
    start = text.index("415")
    assert not is_date_or_id(text, start, len(text))
    assert is_date_or_id("2024-03-04", 0, 10)
