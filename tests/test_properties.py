"""Property-based tests: the phrase compiler and phrasebook loader only ever raise coach's
own errors, and every finding's offsets slice exactly its text out of the original."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.engine.phrase_syntax import PhraseSyntaxError, expand
from coach.errors import PhrasebookErrors
from coach.phrasebook import parse_phrasebook

PHRASE_CHARS = st.lists(st.sampled_from(list("ab c()[]|_='’,.") + ["can't", " I "]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(PHRASE_CHARS)
def test_phrase_compiler_parses_or_raises_its_own_error(phrase):
    try:
        variants = expand(phrase)
    except PhraseSyntaxError:
        return
    assert variants and all(variants)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_phrasebook_loader_raises_only_phrasebook_errors(text):
    try:
        parse_phrasebook(text, "fuzz.yaml")
    except PhrasebookErrors as exc:
        assert all(str(e).startswith("fuzz.yaml") for e in exc.errors)


PIECES = st.sampled_from(
    [
        "there's nothing I can do",
        "THERE\u2019S NOTHING WE CAN DO",
        "it's company policy",
        "I'm sorry",
        "sorry for any inconvenience",
        "that was our mistake",
        "I\u2019ve refunded",
        "You will have to call",
        "\u200b",
        "\ufb01",
        "\u00e9",
        "e\u0301",
        "\n",
        "\r\n",
        " ",
        ", ",
        "\u201cquoted\u201d",
        '"',
        "'",
        "not that ",
        "\u00a0",
        "\U0001f600",
        "\t",
        "\u2014",
        # runs cut or split before tokenizing (coach.engine.normalize.LONG_RUN, CHUNK)
        "!?" * 40,
        "=" * 70,
        ":)" * 31 + "x",
        "y" * 130,
        "\U0001f600" * 70,
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=25).map("".join))
def test_finding_offsets_slice_out_their_text(analyzer, text):
    report = analyzer.lint_text(text)
    for f in report.findings:
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.text
        line_start = text.rfind("\n", 0, f.start) + 1
        assert f.line == text.count("\n", 0, f.start) + 1
        assert f.column == f.start - line_start + 1
