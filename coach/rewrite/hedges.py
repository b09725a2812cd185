"""Words that only wrap a refusal ("Unfortunately", "I'm afraid", "Sorry, but", "As I
said"): a rewrite absorbs them instead of leaving them dangling in front of the offer."""

from __future__ import annotations

import re

_HEDGE_WORDS = (
    r"unfortunately|regrettably|sadly|honestly|again|also|however|but|and|so|well|ok(?:ay)?"
    r"|(?:i'?m|i am|we'?re|we are)\s+afraid(?:\s+that(?![\w'’]))?"
    r"|(?:(?:i'?m|i am|we'?re|we are|so|really|very)\s+)*sorry(?:\s+to\s+say)?(?:\s+that(?![\w'’]))?"
    r"(?=\s*,?\s*(?:but|however)\b)"
    r"|(?:my|our)?\s*apologies(?=\s*,?\s*(?:but|however)\b)"
    r"|(?:as|like)\s+(?:i|we)\s+(?:have\s+|had\s+)?(?:already\s+|previously\s+|just\s+)?"
    r"(?:said|mentioned|explained|stated|told\s+you|advised)(?:\s+(?:before|earlier|previously|above))?"
    r"|as\s+(?:previously\s+|already\s+)?(?:mentioned|stated|explained|advised)(?:\s+(?:before|earlier|above))?"
    r"|(?:i|we)\s+regret\s+to\s+(?:inform|tell|advise)\s+you(?:\s+that)?"
    r"|please\s+(?:note|be\s+advised|understand|be\s+aware)(?:\s+that)?"
    r"|at\s+this\s+(?:time|point|moment)|at\s+the\s+moment|currently"
)
#: Hedges at the start of a clause, with the comma or colon after them.
LEADING = re.compile(rf"^(?:(?:{_HEDGE_WORDS})\b\s*[,:]?\s*)+", re.I)
#: A clause that is nothing but a hedge or an apology cushioning the refusal.
ONLY = re.compile(
    rf"^(?:(?:{_HEDGE_WORDS})|(?:(?:i'?m|i am|we'?re|we are|so|really|very)\s+)*sorry(?:\s+about\s+that)?"
    r"|(?:my|our)\s+apologies|apologies|(?:i'?m|i am|we'?re|we are)\s+afraid)[\s!.?]*$",
    re.I,
)
#: A clause that only restates the rule behind the refusal ("it's company policy").
RESTATES = re.compile(
    r"^(?:(?:it|that|this)(?:'s|\s+is|\s+was)\s+(?:just\s+|simply\s+)?(?:our\s+|the\s+|a\s+)?(?:company\s+|store\s+)?"
    r"(?:policy|rules?|procedure|protocol)|(?:those|these)\s+are\s+(?:just\s+)?the\s+(?:rules|terms|conditions)"
    r"|rules\s+are\s+rules|(?:as\s+)?per\s+(?:our\s+)?policy|(?:i|we)\s+do\s+not\s+make\s+the\s+rules)[\s!.?]*$",
    re.I,
)
#: Conjunctions that join a clause to the one before it; dropped when the clause starts a sentence.
CONJUNCTION = re.compile(r"^(?:but|however|and|so|because|since|as|though|although)\b\s*,?\s*", re.I)


def strip_leading(clause: str) -> str:
    """`clause` without the hedges in front of it."""
    return LEADING.sub("", clause, count=1)


def only_hedge(clause: str) -> bool:
    return bool(ONLY.match(clause.strip())) or not strip_leading(clause).strip(" ,.;:!?")


def restates_rule(clause: str) -> bool:
    return bool(RESTATES.match(strip_leading(clause).strip()))


def dangling(sentence: str) -> bool:
    """A sentence that still opens with a refusal's wrapper ("Unfortunately, ...") — a check."""
    return bool(
        re.match(
            r"^(?:unfortunately|regrettably|sadly|i'?m afraid|sorry,?\s+but|"
            r"as i (?:said|mentioned)|like i said|i'?m sorry,?\s+but)\b",
            sentence.strip(),
            re.I,
        )
    )
