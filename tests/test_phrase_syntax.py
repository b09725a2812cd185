"""The phrase syntax compiler: parsing, expansion, and the errors authors see."""

import pytest

from coach.engine.phrase_syntax import Gap, PhraseSyntaxError, Word, describe, expand


def variants(phrase):
    return [describe(v) for v in expand(phrase)]


def test_alternatives_and_optional_words():
    assert variants("there's nothing (I|we) can do") == ["there's nothing I can do", "there's nothing we can do"]
    assert variants("[just] the rules") == ["the rules", "just the rules"]


def test_nested_groups_and_multiword_alternatives():
    assert variants("(can't|am (unable|not able) to) help") == [
        "can't help",
        "am unable to help",
        "am not able to help",
    ]


def test_exact_words_and_gaps():
    (variant,) = expand("=refund _ [_] now")
    assert variant == (Word("refund", exact=True), Gap(), Gap(optional=True), Word("now"))


def test_top_level_alternatives():
    assert variants("a|b c") == ["a", "b c"]


def test_duplicates_removed():
    assert variants("(a|a) b") == ["a b"]


@pytest.mark.parametrize(
    "phrase, message",
    [
        ("", "empty phrase"),
        ("   ", "empty phrase"),
        ("(a|b", "missing closing"),
        ("a ]", "unexpected"),
        ("a (|b)", "empty alternative"),
        ("=", "must be followed"),
        ("[_]", "fire everywhere"),
        ("[a] [b]", "fire everywhere"),
        ("_ a", "cannot start or end with a gap"),
        ("a _", "cannot start or end with a gap"),
    ],
)
def test_errors(phrase, message):
    with pytest.raises(PhraseSyntaxError, match=message):
        expand(phrase)


def test_expansion_limit():
    with pytest.raises(PhraseSyntaxError, match="more than"):
        expand(" ".join(["(a|b|c|d)"] * 8))


def test_error_column_points_at_problem():
    with pytest.raises(PhraseSyntaxError) as info:
        expand("nothing (I|we can do")
    assert info.value.column == len("nothing (I|we can do") + 1
