"""`--redact` masks personal data everywhere coach prints it: in texts written in odd ways
(IBANs, non-breaking spaces, fullwidth or zero-width-split addresses, quoted local parts),
in ids, agent fields and macro titles, in `--diff`, and in warnings on stderr."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.models import Apology, ConversationReport, Finding, TextReport, TurnReport
from coach.redact import is_date_or_id, redact_conversation, redact_report, redact_text

GOLDEN = Path(__file__).parent / "data" / "golden" / "phrasebook.yaml"
NBSP, NNBSP, ZWSP, ZWJ = "\u00a0", "\u202f", "\u200b", "\u200d"


@pytest.mark.parametrize(
    "secret, visible",
    [
        ("DE89 3704 0044 0532 0130 00", "DE89"),
        ("DE89370400440532013000", "3704"),
        ("GB82WEST12345698765432", "WEST"),
        (f"NL91{NBSP}ABNA{NBSP}0417{NBSP}1643{NBSP}00", "ABNA"),
        (f"4111{NBSP}1111{NBSP}1111{NBSP}1111", "1111"),
        (f"4111{NNBSP}1111{NNBSP}1111{NNBSP}1111", "1111"),
        ("４１１１ １１１１ １１１１ １１１１", "１１１１"),
        ("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ｊａｎｅ"),
        (f"jane{ZWSP}.doe@exa{ZWSP}mple.com", "jane"),
        (f"jane{ZWJ}@example.com", "jane"),
        ('"john doe"@example.com', "john"),
        ('"j..d"@example.org', "j..d"),
        ("jane.o'neil+billing@example.co.uk", "jane.o"),
        (f"+1{NBSP}415{NBSP}555{NBSP}0132", "415"),
        ("415‑555‑0132", "555"),
    ],
)
def test_redact_text_masks_what_is_written_in_odd_ways(secret, visible):
    text = f"Please note: {secret}, thanks."
    masked = redact_text(text)
    assert len(masked) == len(text)
    assert visible not in masked and masked.startswith("Please note: ") and masked.endswith(", thanks.")


@pytest.mark.parametrize(
    "text", ["Order 12345 shipped in 2024.", "Order AB12 CDEF is here.", "Let me see what I can do."]
)
def test_redact_text_keeps_ordinary_text(text):
    assert redact_text(text) == text


EMAIL, PHONE = "jane.doe@example.com", "+1 415 555 0132"


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "c.jsonl"
    rows = [
        {
            "id": EMAIL,
            "agent": PHONE,
            "channel": "sms " + PHONE,
            "turns": [
                {
                    "speaker": "customer",
                    "text": "My IBAN is DE89 3704 0044 0532 0130 00, mail ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",
                },
                {"speaker": "agent", "text": "Sadly there's nothing I can do."},
            ],
        },
        {"id": "bob@example.org", "turns": []},  # warns on stderr, with its id
        {"id": "x", "turns": [{"speaker": "caller " + PHONE, "text": "hi"}]},  # warns, with the field
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


SECRETS = ("jane.doe", "example.com", "415 555", "3704 0044", "ｊａｎｅ", "bob@", "example.org")


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "html", "rich"])
def test_score_redact_masks_ids_agents_texts_and_stderr(corpus, fmt):
    r = CliRunner().invoke(
        app,
        [
            "score",
            str(corpus),
            "--no-defaults",
            "-p",
            str(GOLDEN),
            "--format",
            fmt,
            "--redact",
            "--no-progress",
            "--no-color",
            "--per",
            "finding",
        ],
    )
    assert r.exit_code == 3, r.output
    assert "no readable messages" in r.stderr
    for secret in SECRETS:
        assert secret not in r.stdout, (secret, fmt)
        assert secret not in r.stderr, (secret, "stderr")
    if fmt == "jsonl":
        row = json.loads(r.stdout.splitlines()[0])
        assert row["source"] == str(corpus) and len(row["conversation"]) == len(EMAIL)


@pytest.mark.parametrize("fmt", ["rich", "json", "sarif", "junit", "checkstyle"])
def test_check_redact_masks_macro_titles(tmp_path, fmt):
    lib = tmp_path / "macros.json"
    lib.write_text(
        json.dumps(
            [{"title": f"Reply to {EMAIL} / {PHONE}", "body": f"Sadly there's nothing I can do. Call {PHONE}."}]
        ),
        encoding="utf-8",
    )
    r = CliRunner().invoke(
        app, ["check", str(lib), "--no-defaults", "-p", str(GOLDEN), "--format", fmt, "--redact", "--no-color"]
    )
    assert r.exit_code == 1, r.output
    assert "Reply to" in r.stdout
    for secret in ("jane.doe", "example.com", "415 555"):
        assert secret not in r.stdout, (secret, fmt)


def test_check_diff_under_redact_masks_the_reply(tmp_path):
    lib = tmp_path / "macros.json"
    lib.write_text(
        json.dumps([{"title": "Refund", "body": f"Sadly there's nothing I can do. Write to {EMAIL}."}]),
        encoding="utf-8",
    )
    r = CliRunner().invoke(app, ["check", str(lib), "--no-defaults", "-p", str(GOLDEN), "--diff", "--redact"])
    assert r.exit_code == 1 and "Here's what I can do" in r.stdout
    assert "jane.doe" not in r.stdout and "example.com" not in r.stdout


def test_lint_redact_masks_stderr_and_every_format(tmp_path):
    draft = tmp_path / f"to {EMAIL}.txt"
    draft.write_text(f"Sadly there's nothing I can do. Card 4111{NBSP}1111{NBSP}1111{NBSP}1111.", encoding="utf-8")
    config = tmp_path / ".coach.yaml"
    config.write_text("min-score: 90\n", encoding="utf-8")
    for fmt in ("rich", "json", "text"):
        r = CliRunner().invoke(
            app,
            [
                "lint",
                "--file",
                str(draft),
                "--no-defaults",
                "-p",
                str(GOLDEN),
                "--format",
                fmt,
                "--redact",
                "--no-color",
                "--config",
                str(config),
            ],
        )
        assert r.exit_code == 1 and "is below min-score 90" in r.stderr
        assert "jane.doe" not in r.stderr and "1111" not in r.stdout, fmt


# -- the pure functions, case by case --------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mail jane@example.com now", "Mail ****@*******.*** now"),  # the shape stays readable: @ and dots
        ("Call +1 (415) 555-0132 today", "Call +* (***) ***-**** today"),
        ("card 4111-1111-1111-1111", "card ****-****-****-****"),
        ("ping @janedoe", "ping @*******"),  # a handle keeps only its @
        ("tel 415 555 0132 or 2024.03.15", "tel *** *** **** or 2024.03.15"),
        ("", ""),
    ],
)
def test_redact_text_masks_in_place(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "On 2024-03-15 it broke",  # ISO date
        "see 15/03/2024",  # day/month/year
        "Order 12345678 shipped",
        "ticket #4155550132",  # a ticket number, named as one
        "ref: 4155550132",
        "Call ext. 12 34",  # too few digits to be a phone number
        "mail @ home",
    ],
)
def test_redact_text_keeps_dates_ids_and_short_numbers(text):
    assert redact_text(text) == text


@pytest.mark.parametrize(
    "text, number, expected",
    [
        ("Due 2024-03-15.", "2024-03-15", True),
        ("Due 15.03.2024.", "15.03.2024", True),
        ("Case no. 4155550132", "4155550132", True),
        ("Invoice 4155 5501 32", "4155 5501 32", True),
        ("Call 4155550132", "4155550132", False),
        ("Due 2024-13-15.", "2024-13-15", False),  # no month 13
    ],
)
def test_is_date_or_id(text, number, expected):
    start = text.index(number)
    assert is_date_or_id(text, start, start + len(number)) is expected


def _finding(text: str, start: int) -> Finding:
    return Finding("blocking.x", "blocking", None, "warning", start, start + len(text), 1, start + 1, text, "m")


def test_redact_report_keeps_offsets_and_masks_only_findings_that_hold_data():
    text = "Write to jane@example.com, sadly nothing I can do."
    plain = _finding("sadly nothing I can do", text.index("sadly"))
    holding = _finding("jane@example.com", text.index("jane"))
    masked = redact_report(
        TextReport(source="draft", text=text, findings=(plain, holding), apology=Apology(offered=False), score=60)
    )
    assert masked.text == "Write to ****@*******.***, sadly nothing I can do." and len(masked.text) == len(text)
    assert masked.findings[0] is plain
    assert masked.findings[1].text == "****@*******.***" and masked.findings[1].start == holding.start


def test_redact_conversation_masks_ids_agents_and_channels_but_keeps_the_source():
    report = ConversationReport(
        conversation="jane@example.com",
        source="in/jane@example.com.jsonl",
        agent="+1 415 555 0132",
        channel=None,
        score=80,
        apology=Apology(offered=False),
        apology_expected=False,
        counts=(),
        turns=(TurnReport(index=0, speaker="agent", name=None, text="Call +1 415 555 0132"),),
    )
    masked = redact_conversation(report)
    assert (masked.conversation, masked.agent, masked.channel) == ("****@*******.***", "+* *** *** ****", None)
    assert masked.source == report.source and masked.turns[0].text == "Call +* *** *** ****"


def test_redact_masks_the_rewritten_draft_too():
    """The rewrite keeps the sentence's other words: personal data in them is masked there as well."""
    r = CliRunner().invoke(
        app,
        [
            "lint",
            "--no-defaults",
            "--no-model",
            "-p",
            str(GOLDEN),
            "--format",
            "json",
            "--redact",
            "Write to jo@example.com: there's nothing I can do.",
        ],
    )
    (doc,) = json.loads(r.stdout)["results"]
    assert "here's what I can do" in doc["rewritten"] and "jo@example.com" not in r.stdout
    assert doc["rewritten"].startswith("Write to **@*******.***")
