"""Normalization keeps an exact map back to the original text."""

from coach.engine.normalize import normalize


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


def test_long_punctuation_runs_are_cut_but_offsets_stay_exact():
    original = "Hi " + "=" * 5000 + " there"
    n = normalize(original)
    assert n.text == "Hi === there"
    start = n.text.index("there")
    assert n.orig_span(start, start + 5) == (5004, 5009)
    assert normalize("a ... b --- c").text == "a ... b --- c"  # short runs untouched


def test_long_runs_of_mixed_punctuation_are_cut_too():
    original = "Hi " + "!?" * 20000 + " there"
    n = normalize(original)
    assert n.text == "Hi !?! there"
    start = n.text.index("there")
    assert n.orig_span(start, start + 5) == (40004, 40009)
    assert normalize("wow!?!?" + "\U0001f600!" * 5).text == "wow!?!?" + "\U0001f600!" * 5  # short: kept


def test_long_whitespace_free_chunks_are_broken_with_offsets_kept():
    original = ":)" * 31 + "x" + "tail" * 40 + " there"
    n = normalize(original)
    assert max(len(chunk) for chunk in n.text.split()) <= 128
    assert n.text.replace(" ", "") == original.replace(" ", "")
    start = n.text.index("there")
    assert original[slice(*n.orig_span(start, start + 5))] == "there"
    for at, ch in enumerate(n.text):  # every character maps back to itself (added spaces to the next one)
        if ch != " ":
            assert original[n.orig_offset(at)] == ch
