"""The slot matcher finds exactly what spaCy's Matcher finds for the same token pattern.

coach looks for a slot pattern only where its rarest run of words occurs and reads the
rest of the pattern around it; spaCy's Matcher reads every token. Generated patterns
(word attributes, IN/NOT_IN, flags, gaps, optional and repeated slots) over generated
texts must give the same (start, end) sets both ways.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.matcher import Matcher

from coach.engine.engine import Engine
from coach.engine.nlp import get_nlp
from coach.models import Rule

WORDS = [
    "we",
    "can",
    "not",
    "help",
    "sorry",
    "Visa",
    "visa",
    "the",
    "The",
    ",",
    ".",
    "refunded",
    "refund",
    "can't",
    "WE",
]
WORD = st.sampled_from(["we", "can", "not", "help", "sorry", "visa", "the", ",", "refund"])

ATTRS = st.one_of(
    st.builds(lambda w: {"NORM": w}, WORD),
    st.builds(lambda w: {"LOWER": w}, WORD),
    st.builds(lambda w: {"ORTH": w}, st.sampled_from(WORDS)),
    st.builds(lambda ws: {"NORM": {"IN": ws}}, st.lists(WORD, min_size=1, max_size=3)),
    st.builds(lambda ws: {"LOWER": {"NOT_IN": ws}}, st.lists(WORD, min_size=1, max_size=3)),
    st.builds(lambda ws: {"ORTH": {"IN": ws}}, st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)),
    st.builds(lambda v: {"IS_ALPHA": v}, st.booleans()),
    st.builds(lambda v, w: {"IS_TITLE": v, "NORM": w}, st.booleans(), WORD),
    st.just({}),
)
OPS = st.sampled_from([None, None, None, "?", "{0,2}", "{1,2}", "{2}"])


@st.composite
def token(draw) -> dict:
    attrs = dict(draw(ATTRS))
    op = draw(OPS)
    if op:
        attrs["OP"] = op
    return attrs


PATTERN = st.lists(token(), min_size=1, max_size=5)
TEXT = st.lists(st.sampled_from(WORDS), max_size=14).map(" ".join)


def _spacy_matches(pattern: list[dict], text: str) -> set[tuple[int, int]]:
    nlp = get_nlp()
    matcher = Matcher(nlp.vocab)
    matcher.add("p", [pattern])
    return {(s, e) for _, s, e in matcher(nlp.tokenizer(text))}


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PATTERN, st.lists(TEXT, min_size=1, max_size=4))
def test_slot_patterns_match_like_spacys_matcher(pattern, texts):
    engine = Engine([Rule(id="t.p", category="blocking", patterns=(pattern,))], use_cache=False)
    nlp = get_nlp()
    for text in texts:
        got = {(s, e) for key, s, e in engine.matches_by_key(nlp.tokenizer(text)) if key == "t.p"}
        assert got == _spacy_matches(pattern, text), (pattern, text)


def test_flag_and_exact_case_patterns_go_to_the_slot_matcher():
    pattern = [{"NORM": "contact"}, {"LOWER": "the", "OP": "?"}, {"IS_LOWER": False, "IS_ALPHA": True}]
    exact = [{"NORM": "sorry"}, {"ORTH": {"NOT_IN": ["but", "So"]}, "OP": "{1,3}"}, {"NORM": "policy"}]
    engine = Engine([Rule(id="t.p", category="blocking", patterns=(pattern, exact))], use_cache=False)
    assert len(engine.matcher) == 0 and len(engine.slot_matcher) == 2
    doc = get_nlp().tokenizer("Please contact the Bank, sorry So it is policy, sorry it is policy")
    assert sorted((s, e) for _, s, e in engine.matches_by_key(doc)) == [(1, 4), (11, 15)]


def test_rare_words_anchor_a_pattern():
    """The run a pattern is looked for by is its rarest required part, not its first word."""
    pattern = [{"NORM": "we"}, {"OP": "{0,2}"}, {"NORM": "reimburse"}]
    engine = Engine([Rule(id="t.p", category="blocking", patterns=(pattern,))], use_cache=False)
    ((group, patterns),) = engine.slot_matcher.groups.items()
    assert patterns[0].after[0].norms == frozenset({get_nlp().vocab.strings["reimburse"]})


def test_a_pattern_with_no_run_of_words_goes_to_spacys_matcher():
    """Nothing to look for in the PhraseMatcher: spaCy's Matcher reads every token, in C."""
    pattern = [{"IS_TITLE": True}, {"NORM": "policy", "OP": "?"}]
    engine = Engine([Rule(id="t.p", category="blocking", patterns=(pattern,))], use_cache=False)
    assert len(engine.slot_matcher) == 0 and len(engine.matcher) == 1
    text = "Our Policy is Firm"
    got = {(s, e) for _, s, e in engine.matches_by_key(get_nlp().tokenizer(text))}
    assert got == _spacy_matches(pattern, text) == {(0, 1), (0, 2), (1, 2), (3, 4)}
