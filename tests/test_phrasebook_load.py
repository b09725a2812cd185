"""Phrasebook validation: every problem reported at once, as file:line [rule] message."""

import textwrap

import pytest

from coach.errors import PhrasebookErrors
from coach.phrasebook import load_rules, parse_phrasebook, select_rules

GOOD_RULE = """
  - id: blocking.demo
    category: blocking
    phrases: ["nothing I can do"]
    rewrites: ["here's what I can do", "let me check"]
    examples:
      match: ["There's nothing I can do."]
      no_match: ["Here's what I can do."]
"""


def problems(text):
    with pytest.raises(PhrasebookErrors) as info:
        parse_phrasebook(textwrap.dedent(text), "book.yaml")
    return [str(e) for e in info.value.errors]


def test_valid_phrasebook_loads():
    book = parse_phrasebook("rules:" + GOOD_RULE, "book.yaml")
    (rule,) = book.rules
    assert rule.id == "blocking.demo" and rule.severity == "warning" and rule.line == 2


def test_all_problems_reported_with_file_line_and_rule():
    found = problems("""\
        rules:
          - id: blocking.bad
            category: blocking
            phrasez: ["x"]
            severity: loud
            rewrites: ["only one"]
            examples: {match: ["x"]}
          - id: Not An Id
            category: advocacy
            phrases: ["(unclosed"]
            examples: {match: ["a"], no_match: ["b"]}
        """)
    text = "\n".join(found)
    assert "book.yaml:4: [blocking.bad] unknown key 'phrasez' (did you mean 'phrases'?)" in text
    assert "book.yaml:5: [blocking.bad] severity 'loud'" in text
    assert "at least two 'rewrites'" in text
    assert "needs at least one 'no_match' example" in text
    assert "book.yaml:8:" in text and "must be dotted lowercase" in text
    assert "missing closing ')'" in text


def test_duplicate_keys_are_an_error():
    found = problems("rules:\n  - id: a.b\n    id: a.c\n")
    assert any("duplicate key 'id'" in p and "book.yaml:3" in p for p in found)


def test_duplicate_rule_ids_in_one_file():
    found = problems("rules:" + GOOD_RULE + GOOD_RULE)
    assert any("duplicate rule id" in p for p in found)


def test_alias_bomb_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 8):
        bomb += (
            f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, "
            f"*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}]\n"
        )
    found = problems(bomb)
    assert any("refusing" in p for p in found)


def test_invalid_yaml_names_line():
    found = problems("rules:\n  - id: [unclosed\n")
    assert found[0].startswith("book.yaml:")


def test_bad_token_patterns_refused():
    found = problems("""\
        rules:
          - id: blocking.raw
            category: blocking
            patterns:
              - [{OP: "*"}]
              - [{TEXT: {REGEX: "(a+)+$"}}]
              - [{POS: VERB}]
            rewrites: [a, b]
            examples: {match: ["a"], no_match: ["b"]}
        """)
    text = "\n".join(found)
    assert "matches everything" in text
    assert "catastrophic" in text
    assert "unknown token attribute" in text


def test_apology_rules_need_an_element():
    found = problems("""\
        rules:
          - id: apology.x
            category: apology
            phrases: [sorry]
            examples: {match: ["sorry"], no_match: ["fine"]}
        """)
    assert any("need 'element'" in p for p in found)


def test_user_phrasebook_override_extends_and_disable(tmp_path, test_phrasebook):
    user = tmp_path / "user.yaml"
    user.write_text(
        "disable: [blocking.policy]\nrules:" + GOOD_RULE.replace("blocking.demo", "blocking.nothing-i-can-do"),
        encoding="utf-8",
    )
    with pytest.raises(PhrasebookErrors, match="override: true"):
        load_rules([str(test_phrasebook), str(user)], defaults=False)
    user.write_text(user.read_text().replace("category: blocking", "category: blocking\n    override: true"))
    rules = {r.id: r for r in load_rules([str(test_phrasebook), str(user)], defaults=False)}
    assert rules["blocking.nothing-i-can-do"].path == str(user)


def test_select_by_dotted_prefix(analyzer):
    ids = [r.id for r in select_rules(analyzer.rules, only=["blocking"], ignore=["blocking.policy"])]
    assert "blocking.policy" not in ids and all(i.startswith("blocking.") for i in ids)
    assert select_rules(analyzer.rules, only=["block"]) == []  # prefixes are whole dotted parts


def test_empty_phrase_wrong_type_and_match_everything():
    found = problems("""\
        rules:
          - id: blocking.x
            category: blocking
            phrases: ["", 42, "[anything]"]
            weight: heavy
            rewrites: [a, b]
            examples: {match: ["a"], no_match: ["b"]}
        """)
    text = "\n".join(found)
    assert "book.yaml:4: [blocking.x] empty string in 'phrases'" in text
    assert "entries must be strings, got int" in text
    assert "fire everywhere" in text
    assert "'weight' must be int/float, got str" in text


def test_oversized_phrasebook_refused(tmp_path):
    from coach.phrasebook import read_phrasebook

    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (6 * 1024 * 1024), encoding="utf-8")
    with pytest.raises(PhrasebookErrors, match="over the 5 MB limit"):
        read_phrasebook(big)


def test_not_utf8_and_missing_file(tmp_path):
    from coach.phrasebook import read_phrasebook

    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("rules: [caf\xe9]".encode("latin-1"))
    with pytest.raises(PhrasebookErrors, match="not UTF-8"):
        read_phrasebook(bad)
    with pytest.raises(PhrasebookErrors, match="phrasebook not found"):
        read_phrasebook(tmp_path / "nope.yaml")


def test_define_fragments_are_reused_in_phrases():
    book = parse_phrasebook(
        textwrap.dedent("""\
        define:
          LOOK: "look into|check on|dig into"
          SOON: "[right] (now|away|today)"
        rules:
          - id: advocacy.look
            category: advocacy
            phrases: ["(I'll|we'll) $LOOK (it|this) $SOON"]
            examples: {match: ["I'll dig into this right away."], no_match: ["I looked."]}
        """),
        "book.yaml",
    )
    assert book.rules[0].phrases == ("(I'll|we'll) (look into|check on|dig into) (it|this) ([right] (now|away|today))",)


def test_unknown_fragment_is_reported():
    found = problems("""\
        define: {LOOK: "look into"}
        rules:
          - id: advocacy.look
            category: advocacy
            phrases: ["I'll $LOOKS it"]
            examples: {match: ["x"], no_match: ["y"]}
        """)
    assert any("unknown fragment $LOOKS" in p and "did you mean 'LOOK'" in p for p in found)


RULE_WITH = """rules:
  - id: non_apology.sorry-but
    category: non_apology
    phrases: ["sorry, but"]
{extra}    rewrites: ["sorry.", "sorry about that."]
    examples:
      match: ["Sorry, but we can't."]
      no_match: ["Sorry about that."]
"""


@pytest.mark.parametrize(
    ("key", "good", "bad", "error"),
    [
        ("followed_by", ["blocking"], "Blocking Stuff", "must be a category"),
        (
            "unless_followed_by",
            ["advocacy", "advocacy.followup.will-follow-up"],
            "Follow Ups",
            "must be a category or a rule id",
        ),
        ("softened_by", ["advocacy.options"], "Offers!", "must be a category or a rule id"),
    ],
)
def test_context_keys_take_category_names_or_rule_ids(key, good, bad, error):
    from coach.errors import PhrasebookErrors
    from coach.phrasebook import parse_phrasebook

    book = parse_phrasebook(RULE_WITH.format(extra=f"    {key}: [{', '.join(good)}]\n"), "f.yaml")
    assert getattr(book.rules[0], key) == tuple(good)
    with pytest.raises(PhrasebookErrors) as info:
        parse_phrasebook(RULE_WITH.format(extra=f"    {key}: [{bad}]\n"), "f.yaml")
    assert f"{key} {bad!r} {error}" in str(info.value)
