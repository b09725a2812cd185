"""Rewrite templates and their slots.

A phrasebook rewrite is either a *sentence template* — it ends with . ! ? and replaces
the clauses that carry the finding ("Let me see what I can do about {object}.") — or a
*word swap* — anything else, put in place of the matched words only ("sorry for the" for
"sorry for any") — or an *addition*: it starts with "..." and ends with . ! ?, and the
sentence stays as written with the addition joined to its end (a hand-off keeps the number
to call and gains the agent's follow-up). A template's `{name}` slots are filled from the words after the match,
up to the end of the clause; a template whose slot comes out empty is skipped.
"""

from __future__ import annotations

import re

# A slot in a rewrite, any case (a finding's rewrites take the case of the matched words).
from ..models import ADDITION, SLOT

#: At most this many words go into a slot.
MAX_SLOT_WORDS = 8
_PREPOSITION = re.compile(r"^(?:about|with|on|for|regarding|to|toward|towards|in|of)\s+", re.I)
_DETERMINER = {
    "the",
    "your",
    "this",
    "that",
    "these",
    "those",
    "a",
    "an",
    "our",
    "my",
    "his",
    "her",
    "their",
    "its",
    "each",
    "every",
}
_SUBJECTS = {"it", "we", "there", "you", "i", "they", "he", "she", "it's", "there's", "we've", "you've"}
#: Words that end what a refusal is about: what follows them is a reason, a time or a new clause.
_STOP = {
    "because",
    "since",
    "as",
    "until",
    "unless",
    "if",
    "when",
    "while",
    "but",
    "and",
    "so",
    "or",
    "which",
    "who",
    "at",
    "right",
    "now",
    "today",
    "anymore",
    "either",
    "though",
    "unfortunately",
    "sadly",
    "here",
    "there",
    "once",
    "after",
    "before",
    "without",
    "by",
    "from",
    "due",
    "per",
    "for",
    "through",
    "via",
    "yet",
    "any",
    "more",
    "again",
    "online",
    "over",
    "under",
    "within",
    "about",
    "with",
    "to",
    "on",
    "in",
    "of",
    "please",
    "thanks",
    "thank",
}
_TAIL = re.compile(r"[\s,;:.!?…\"')\]]+$")


def is_template(rewrite: str) -> bool:
    """A whole-sentence template (ends with . ! ?), as opposed to a word swap."""
    return rewrite.rstrip().endswith((".", "!", "?"))


def is_addition(rewrite: str) -> bool:
    """A template that keeps the sentence and adds to its end ("... and I'll follow it up.")."""
    return rewrite.startswith(ADDITION) and is_template(rewrite)


def slots(rewrite: str) -> tuple[str, ...]:
    return tuple(name.lower() for name in SLOT.findall(rewrite))


def capture_object(after: str) -> str:
    """What a refusal is about, from the words after the match: "about the late fee,
    sadly" -> "the late fee"; "" when they do not start with a noun phrase."""
    words = _PREPOSITION.sub("", after.strip(), count=1).split()
    if not words or words[0].lower().strip(",.") not in _DETERMINER:
        return ""
    out: list[str] = []
    for i, word in enumerate(words[: MAX_SLOT_WORDS + 1]):
        bare = word.lower().strip(",.;:!?\"'")
        if i and bare in _STOP:
            break
        out.append(word)
        if re.search(r"[,;:.!?…]$", word):
            break
    if len(out) > MAX_SLOT_WORDS:
        return ""
    text = _TAIL.sub("", " ".join(out))
    return text if len(text.split()) > 1 or text.lower() in ("that", "this", "those", "these") else ""


def capture_rest(after: str, *, clause: bool = True) -> str:
    """The rest of the clause after the match, as written: with `clause`, only when it
    starts with a subject ("the charger was overpriced"), else any verb phrase too."""
    text = _TAIL.sub("", after.strip())
    words = text.split()
    if not words or len(words) > MAX_SLOT_WORDS + 2:
        return ""
    if clause and words[0].lower() not in _DETERMINER | _SUBJECTS:
        return ""
    return text


def capture(name: str, after: str) -> str:
    """A slot's value from the words after the match: `{object}` a noun phrase ("about
    the late fee" -> "the late fee"), `{action}` the rest of the clause ("update the
    app first"), any other name the rest of the clause when it starts with a subject."""
    if name == "object":
        return capture_object(after)
    return capture_rest(after, clause=name != "action")


def fill(template: str, values: dict[str, str]) -> str | None:
    """The template with its slots filled; None when a slot has no value."""
    missing = [name for name in slots(template) if not values.get(name)]
    if missing:
        return None
    return SLOT.sub(lambda m: values[m.group(1).lower()], template)


def offer_key(template: str) -> str:
    """The same offer whatever its case, slots and punctuation: one offer per draft."""
    bare = SLOT.sub("", re.sub(r"\[[^\[\]]*\]", "", template.lower()))
    key = re.sub(r"\s+", " ", re.sub(r"[^a-z ]+", "", bare)).strip()
    return re.sub(r"^(?:and|but|so) ", "", key)  # "... but here's what I can do" is that offer too


def capitalize(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1 :]
        if ch not in "\"'“‘([":
            return text
    return text


def lower_first(text: str) -> str:
    """`text` to follow a comma: first letter lowercased, unless it is "I" or an acronym."""
    m = re.match(r"\s*([A-Za-z])([A-Za-z']*)", text)
    if not m:
        return text
    word = m.group(1) + m.group(2)
    if word == "I" or word.startswith("I'") or (len(word) > 1 and word[1].isupper()):
        return text
    return text[: m.start(1)] + m.group(1).lower() + text[m.start(1) + 1 :]
