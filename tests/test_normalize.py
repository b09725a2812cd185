"""Normalization keeps an exact map back to the original text."""

from coach.normalize import normalize


def test_ascii_is_identity():
    n = normalize("plain text")
    assert n.text == "plain text"
    assert n.orig_span(0, 5) == (0, 5)


def test_quotes_folded_and_zero_width_dropped():
    original = "I\u2019m sorry \u201cthere\u200bs\u201d"
    n = normalize(original)
    assert n.text == 'I\'m sorry "theres"'
    start = n.text.index("theres")
    s, e = n.orig_span(start, start + len("theres"))
    assert original[s:e] == "there\u200bs"


def test_nfkc_ligature_maps_to_whole_source_char():
    original = "\ufb01x it"  # "ﬁx"
    n = normalize(original)
    assert n.text == "fix it"
    assert n.orig_span(0, 3) == (0, 2)


def test_line_and_column_are_one_based():
    n = normalize("first\nsecond line")
    assert n.line_col(0) == (1, 1)
    assert n.line_col(6) == (2, 1)
    assert n.line_col(13) == (2, 8)
