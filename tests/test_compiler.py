"""coach.engine.compiler's routing: which matcher each phrase and pattern goes to, case by case.

Plain variants -> PhraseMatcher phrases; gaps, exact forms, one-of-many words and flag tests ->
slot patterns (with their rarest run of words as phrases under RUN + group); patterns no slot
can express -> spaCy's Matcher, anchored on a word or (with none) read on every text."""

import pytest

from coach.engine.compiler import RUN, UNLESS, Compiled, Compiler, SlotSpec, _max_length, slot_specs
from coach.errors import PhrasebookErrors
from coach.models import Rule


def spec(norms=(), lowers=(), orths=(), flags=(), any=False, optional=False, negate=False) -> SlotSpec:
    return SlotSpec(tuple(norms), tuple(lowers), tuple(orths), tuple(flags), any, optional, negate)


# -- one token dict -> slots, or None for spaCy's Matcher ------------------------------------------
@pytest.mark.parametrize(
    "token, expected",
    [
        ({"NORM": "refund"}, [spec(norms=["refund"])]),
        ({"LOWER": "Refund"}, [spec(lowers=["refund"])]),  # lowered
        ({"ORTH": "Refund"}, [spec(orths=["Refund"])]),
        ({"TEXT": "Refund"}, [spec(orths=["Refund"])]),  # TEXT is ORTH
        ({"ORTH": "24/7"}, [spec(lowers=["24/7"])]),  # no letters: case cannot matter
        ({"NORM": {"IN": ["refund", "credit"]}}, [spec(norms=["refund", "credit"])]),
        ({"NORM": {"NOT_IN": ["refund"]}}, [spec(norms=["refund"], negate=True)]),
        ({"IS_DIGIT": True}, [spec(flags=[("IS_DIGIT", True)])]),
        ({"LOWER": "no", "IS_ALPHA": True}, [spec(lowers=["no"], flags=[("IS_ALPHA", True)])]),
        ({}, [spec(any=True)]),  # a gap
        ({"OP": "?"}, [spec(any=True, optional=True)]),
        ({"NORM": "very", "OP": "{2}"}, [spec(norms=["very"])] * 2),
        ({"NORM": "very", "OP": "{1,3}"}, [spec(norms=["very"])] + [spec(norms=["very"], optional=True)] * 2),
        ({"NORM": "very", "OP": "{,2}"}, [spec(norms=["very"], optional=True)] * 2),
    ],
)
def test_slot_specs_for_tokens_the_slot_matcher_handles(token, expected):
    assert slot_specs(token) == expected


@pytest.mark.parametrize(
    "token",
    [
        {"NORM": "very", "OP": "+"},  # unbounded
        {"NORM": "very", "OP": "*"},
        {"NORM": "very", "OP": "!"},
        {"NORM": "very", "OP": "{2,}"},
        {"NORM": "very", "OP": "{1,13}"},  # more than 12 repeats
        {"NORM": "a", "LOWER": "b"},  # two word attributes
        {"LENGTH": {">=": 3}},  # a comparison, not IN / NOT_IN
        {"NORM": {"IN": ["a"], "NOT_IN": ["b"]}},
        {"NORM": {"IN": "refund"}},  # IN needs a list
        {"SHAPE": "dd"},  # an attribute slots do not test
        {"IS_DIGIT": 1},  # a flag must be a boolean
    ],
)
def test_slot_specs_refuses_what_needs_spacys_matcher(token):
    assert slot_specs(token) is None


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ([{"NORM": "a"}, {"NORM": "b"}], 2),
        ([{"NORM": "a", "OP": "?"}], 1),
        ([{"NORM": "a", "OP": "!"}, {"NORM": "b"}], 1),  # a negated token spans nothing
        ([{"NORM": "a", "OP": "{3}"}], 3),
        ([{"NORM": "a", "OP": "{1,4}"}, {}], 5),
        ([{"NORM": "a", "OP": "{2,}"}], None),
        ([{"NORM": "a", "OP": "+"}], None),
        ([{"NORM": "a"}, {"OP": "*"}], None),
    ],
)
def test_max_length_in_tokens(pattern, expected):
    assert _max_length(pattern) == expected


# -- whole rules through a Compiler -----------------------------------------------------------------
@pytest.fixture
def compiler():
    """A fresh Compiler per rule set, as the analyzer uses one (it remembers run groups)."""
    from coach.engine.nlp import get_nlp

    return Compiler(get_nlp())


def rule(rule_id="blocking.test", phrases=(), patterns=(), unless=()) -> Rule:
    return Rule(rule_id, "blocking", phrases=tuple(phrases), patterns=tuple(patterns), unless=tuple(unless))


def routed(compiled: Compiled) -> dict[str, set[str]]:
    """key -> the matchers it went to: "phrase", "slots", "matcher"."""
    out: dict[str, set[str]] = {}
    assert compiled.table is not None
    for key in compiled.table.keys:
        if not key.startswith(RUN):
            out.setdefault(key, set()).add("phrase")
    for key, *_ in compiled.slots:
        out.setdefault(key, set()).add("slots")
    for key, _ in compiled.token_patterns:
        out.setdefault(key, set()).add("matcher")
    return out


@pytest.mark.parametrize(
    "phrases, patterns, expected",
    [
        (["nothing I can do"], [], {"phrase"}),
        (["(nothing|not much) I can do"], [], {"phrase"}),  # alternatives expand to plain phrases
        (["[really] nothing I can do"], [], {"phrase"}),  # so do optional words
        (["sorry _ but"], [], {"slots"}),  # a gap
        (["sorry [_] but"], [], {"slots"}),
        (["=Sorry but"], [], {"slots"}),  # an exact form
        (["nothing I can do", "sorry _ but"], [], {"phrase", "slots"}),
        ([], [[{"LOWER": "sorry"}, {"IS_PUNCT": True}, {"LOWER": "but"}]], {"slots"}),
        ([], [[{"LOWER": "sorry"}, {"OP": "*"}, {"LOWER": "but"}]], {"matcher"}),  # unbounded gap
        ([], [[{"IS_DIGIT": True}, {"LOWER": "days"}]], {"slots"}),
        ([], [[{"IS_DIGIT": True}, {"IS_PUNCT": True}]], {"matcher"}),  # no words for a run to look for
    ],
)
def test_each_phrase_and_pattern_goes_to_its_matcher(compiler, phrases, patterns, expected):
    compiled = compiler.compile([rule(phrases=phrases, patterns=patterns)])
    assert routed(compiled) == {"blocking.test": expected}
    assert compiled.phrases == []  # handed over to the table


def test_a_slot_patterns_run_is_registered_as_phrases(compiler):
    compiled = compiler.compile([rule(phrases=["sorry _ but"])])
    [(key, specs, run, group)] = compiled.slots
    assert key == "blocking.test" and specs[1] == spec(any=True)
    assert specs[run].norms and not specs[run].any  # the run starts on a word, never on the gap
    assert f"{RUN}{group}" in compiled.table.by_key()


def test_unless_phrases_compile_under_their_own_key(compiler):
    compiled = compiler.compile([rule(phrases=["nothing I can do"], unless=["nothing I can do about the weather"])])
    assert set(compiled.table.by_key()) == {"blocking.test", "blocking.test" + UNLESS}


def test_matcher_patterns_are_anchored_on_their_longest_required_word(compiler):
    compiled = compiler.compile([rule(patterns=[[{"LOWER": "we"}, {"OP": "*"}, {"LOWER": "policy"}]])])
    assert compiled.pattern_anchors == {"policy": None} and not compiled.always  # unbounded: no window


def test_a_bounded_matcher_pattern_keeps_its_width(compiler):
    compiled = compiler.compile([rule(patterns=[[{"LOWER": "our"}, {"LENGTH": {">=": 3}}, {"LOWER": "policy"}]])])
    assert routed(compiled) == {"blocking.test": {"matcher"}}
    assert compiled.pattern_anchors == {"policy": 3}  # the rarer (longer) word, and a 3-token window


def test_a_matcher_pattern_without_a_word_reads_every_text(compiler):
    compiled = compiler.compile([rule(patterns=[[{"IS_DIGIT": True}, {"IS_PUNCT": True}]])])
    assert compiled.always and compiled.pattern_anchors == {}


def test_duplicate_variants_compile_once(compiler):
    compiled = compiler.compile([rule(phrases=["nothing I can do", "(nothing) I can do"])])
    assert len(compiled.table.by_key()["blocking.test"]) == 1 and len(compiled.view["blocking.test"]) == 1


def test_every_bad_rule_is_reported_not_just_the_first(compiler):
    bad = [
        rule("blocking.a", phrases=["sorry (but"]),
        rule("blocking.b", phrases=["fine"]),
        rule("blocking.c", phrases=["[oops"]),
    ]
    with pytest.raises(PhrasebookErrors) as caught:
        compiler.compile(bad)
    assert [e.rule for e in caught.value.errors] == ["blocking.a", "blocking.c"]
