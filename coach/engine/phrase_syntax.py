"""The compact phrase syntax that phrasebook authors write, parsed and expanded.

    there's nothing (I|we) can do      alternatives in ( | )
    [just] the rules                   optional words in [ ]
    refund                             any form of the word: refund, refunds, refunded...
    =refund                            this exact form only
    sorry _ but                        exactly one word of any kind
    sorry [_] but                      zero or one word of any kind
    nothing I can do {object}          ends in a slot: matches "nothing I can do"; the words
                                       after the match fill {object} in the rule's rewrites

Expansion yields *variants*: tuples of atoms, where an atom is a word (any
form), an exact word, a gap, or (for big phrases, see `plan`) one of several
words. Plain variants become PhraseMatcher phrases; the rest become slot
patterns (coach.engine.compiler). This module is pure: it knows nothing of spaCy, so it
can be tested and fuzzed on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

MAX_VARIANTS = 2000
#: Limits that refuse a hostile phrase before anything is allocated for it (the longest bundled
#: phrase is under 900 characters, nests brackets 3 deep and has at most 4 gaps):
MAX_PHRASE_CHARS = 10_000  # a 4.8 MB alternation took GBs before the variant limit refused it
MAX_DEPTH = 20  # brackets inside brackets: 20,000 levels raised RecursionError
MAX_GAPS = 12  # `_` / `[_]`: a phrase with 500 gaps cost 13 ms for every word that anchored it
_SPECIAL = "()[]|"
#: A slot that ends a phrase: `{name}`, a lowercase identifier. It matches nothing itself.
SLOT_END = re.compile(r"\s*\{([a-z][a-z0-9_]*)\}\s*$")


class PhraseSyntaxError(ValueError):
    """A phrase that cannot be parsed; `column` is 1-based within the phrase."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column

    def __str__(self) -> str:
        msg = self.args[0]
        return f"{msg} (at column {self.column})" if self.column else msg


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    exact: bool = False


@dataclass(frozen=True, slots=True)
class Gap:
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Choice:
    """One of several single words (any form of each), or none when optional.

    Big alternations compile to one Matcher token with an IN-set instead of
    multiplying into thousands of PhraseMatcher phrases.
    """

    words: tuple[str, ...]
    optional: bool = False


Atom = Word | Gap | Choice
Variant = tuple[Atom, ...]
#: A phrase with at most this many variants is expanded for the (fastest) PhraseMatcher;
#: a bigger one keeps its single-word alternations as Choice atoms for the Matcher.
SMALL = 512


# --- parsing: phrase -> nested structure ---------------------------------------
# Node kinds: ("seq", [nodes]), ("alt", [seq nodes], optional), ("atom", Atom)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0
        self.gaps = 0

    def error(self, message: str) -> PhraseSyntaxError:
        return PhraseSyntaxError(message, self.pos + 1)

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def parse(self) -> tuple:
        node = self.alternatives(closing=None)
        self.skip_ws()
        if self.pos < len(self.text):
            raise self.error(f"unexpected {self.text[self.pos]!r}")
        return node

    def alternatives(self, closing: str | None) -> tuple:
        options = [self.sequence()]
        while self.pos < len(self.text) and self.text[self.pos] == "|":
            self.pos += 1
            options.append(self.sequence())
        if closing is not None:
            if self.pos >= len(self.text):
                raise self.error(f"missing closing {closing!r}")
            if self.text[self.pos] != closing:
                raise self.error(f"expected {closing!r}, found {self.text[self.pos]!r}")
            self.pos += 1
        return ("alt", options, False) if len(options) > 1 else options[0]

    def sequence(self) -> tuple:
        items: list[tuple] = []
        while True:
            self.skip_ws()
            if self.pos >= len(self.text):
                break
            ch = self.text[self.pos]
            if ch in "|)]":
                break
            if ch in "([":
                start = self.pos
                self.depth += 1
                if self.depth > MAX_DEPTH:
                    raise self.error(f"brackets nested more than {MAX_DEPTH} deep")
                self.pos += 1
                inner = self.alternatives(closing=")" if ch == "(" else "]")
                self.depth -= 1
                options = inner[1] if inner[0] == "alt" else [inner]
                if any(opt == ("seq", []) for opt in options):
                    self.pos = start
                    raise self.error("empty alternative inside brackets")
                items.append(("alt", options, ch == "["))
                continue
            items.append(("atom", self.word()))
        return ("seq", items)

    def word(self) -> Atom:
        start = self.pos
        while self.pos < len(self.text) and not self.text[self.pos].isspace() and self.text[self.pos] not in _SPECIAL:
            self.pos += 1
        raw = self.text[start : self.pos]
        if raw == "_":
            self.gaps += 1
            if self.gaps > MAX_GAPS:
                self.pos = start
                raise self.error(f"more than {MAX_GAPS} gaps '_'; anchor the phrase on more words")
            return Gap()
        if raw.startswith("="):
            if len(raw) == 1:
                self.pos = start
                raise self.error("'=' must be followed by a word")
            return Word(raw[1:], exact=True)
        return Word(raw)


def split_slot(phrase: str) -> tuple[str, str | None]:
    """The phrase without its ending `{slot}`, and the slot's name (None without one)."""
    m = SLOT_END.search(phrase)
    return (phrase[: m.start()], m.group(1)) if m else (phrase, None)


def parse(phrase: str) -> tuple:
    """Parse a phrase into its node tree (raises PhraseSyntaxError); an ending `{slot}`
    is not part of what matches."""
    if not phrase or not phrase.strip():
        raise PhraseSyntaxError("empty phrase")
    if len(phrase) > MAX_PHRASE_CHARS:
        raise PhraseSyntaxError(
            f"phrase is {len(phrase):,} characters long, over the {MAX_PHRASE_CHARS:,} "
            f"limit; split it into several phrases"
        )
    phrase, _ = split_slot(phrase)
    brace = next((i for i, ch in enumerate(phrase) if ch in "{}"), None)
    if brace is not None:
        raise PhraseSyntaxError(
            "a slot is written {name} (lowercase letters, digits, _) and only at the very end of a phrase", brace + 1
        )
    if not phrase.strip():
        raise PhraseSyntaxError("a phrase needs words before its {slot}")
    return _Parser(phrase).parse()


# --- expansion: node tree -> variants ---------------------------------------------


def count(node: tuple) -> int:
    """How many variants a node expands to, without expanding it."""
    if node[0] == "atom":
        return 1
    if node[0] == "seq":
        total = 1
        for child in node[1]:
            total *= count(child)
        return total
    return sum(count(option) for option in node[1]) + (1 if node[2] else 0)


def _single_words(node: tuple) -> tuple[str, ...] | None:
    """The words of an alternation whose every option is one plain word, else None."""
    words = []
    for option in node[1]:
        items = option[1] if option[0] == "seq" else [option]
        if len(items) != 1 or items[0][0] != "atom" or not isinstance(items[0][1], Word) or items[0][1].exact:
            return None
        words.append(items[0][1].text)
    return tuple(words)


def _expand(node: tuple, limit: int, compact: bool = False) -> list[Variant]:
    kind = node[0]
    if kind == "atom":
        return [(node[1],)]
    if kind == "seq":
        result: list[Variant] = [()]
        for child in node[1]:
            words = _single_words(child) if compact and child[0] == "alt" else None
            # "[_]" stays one optional-gap atom instead of doubling the variants.
            parts: list[Variant]
            if child[0] == "alt" and child[2] and child[1] == [("seq", [("atom", Gap())])]:
                parts = [(Gap(optional=True),)]
            elif words is not None and len(words) > 1 or (words and child[2]):
                parts = [(Choice(words, optional=child[2]),)]
            else:
                parts = _expand(child, limit, compact)
            if len(result) * len(parts) > limit:
                raise PhraseSyntaxError(f"phrase expands to more than {limit} variants; split it into several phrases")
            result = [a + b for a, b in product(result, parts)]
        return result
    # alternatives (optional when node[2])
    out: list[Variant] = [()] if node[2] else []
    for option in node[1]:
        out.extend(_expand(option, limit, compact))
        if len(out) > limit:  # checked as it grows, not after every option was expanded
            raise PhraseSyntaxError(f"phrase expands to more than {limit} variants; split it into several phrases")
    return out


def expand(phrase: str, limit: int = MAX_VARIANTS) -> list[Variant]:
    """Every concrete variant of `phrase`, in order, without duplicates.

    Raises PhraseSyntaxError for bad syntax, too many variants, or a phrase that
    could match nothing but gaps (it would fire everywhere).
    """
    return _checked(_expand(parse(phrase), limit))


@lru_cache(maxsize=8192)
def plan(phrase: str, limit: int = MAX_VARIANTS) -> tuple[Variant, ...]:
    """The variants coach compiles: all of them for a small phrase; for a big one, its
    single-word alternations kept as Choice atoms (one Matcher token each). Cached:
    loading a phrasebook checks every phrase and compiling it plans them again."""
    node = parse(phrase)
    return tuple(_checked(_expand(node, limit, compact=count(node) > SMALL)))


def _required(atom: Atom) -> bool:
    return isinstance(atom, Word) or (isinstance(atom, Choice) and not atom.optional)


def _checked(variants: list[Variant]) -> list[Variant]:
    seen: set[Variant] = set()
    unique: list[Variant] = []
    for variant in variants:
        if variant in seen:
            continue
        seen.add(variant)
        if not any(_required(atom) for atom in variant):
            raise PhraseSyntaxError(
                "phrase can match without any word (only optional parts or gaps); it would fire everywhere"
            )
        if isinstance(variant[0], Gap) or isinstance(variant[-1], Gap):
            raise PhraseSyntaxError("a phrase cannot start or end with a gap '_'")
        unique.append(variant)
    return unique


def describe(variant: Variant) -> str:
    """A variant written back in phrase syntax, for `coach phrasebook show`."""
    parts = []
    for atom in variant:
        if isinstance(atom, Gap):
            parts.append("[_]" if atom.optional else "_")
        elif isinstance(atom, Choice):
            inner = "|".join(atom.words)
            parts.append(f"[{inner}]" if atom.optional else f"({inner})")
        else:
            parts.append(("=" if atom.exact else "") + atom.text)
    return " ".join(parts)
