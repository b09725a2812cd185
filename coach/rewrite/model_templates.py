"""Sentence rewrites for the classifier's findings, which mark a whole sentence and carry
no matched words: a few surface patterns decide which template fits the sentence; where
none fits, the finding gets advice and the sentence stays as written."""

from __future__ import annotations

import re

_VP_END = r"(?P<vp>[^,.;:!?…\n]+)"
_TAIL_STOP = re.compile(r"\s+(?:because|since|as|until|unless|if|when|but|and then|so|at this time|"
                        r"at the moment|right now|unfortunately|sadly|though|anymore|either|for now)\b.*$", re.I)
_NOT_OBJECT = re.compile(r"^(?:that|this|it|so|anything|much|more|everything|any)$", re.I)

#: (category, pattern, template): the first pattern that matches the sentence wins.
_PATTERNS: tuple[tuple[str, re.Pattern, str], ...] = (
    ("non_apology", re.compile(r"\bsorry\s+(?:if|that)?\s*you\s+(?:feel|felt|think|thought|are|were|'re|got)\b", re.I),
     "I'm sorry we [what went wrong]."),
    ("non_apology", re.compile(r"\b(?:apologi[sz]e|apologies)\s+(?:if|that)\s+you\b", re.I),
     "I'm sorry we [what went wrong]."),
    ("non_apology", re.compile(r"\b(?:sorry|apologi[sz]e|apologies)\b", re.I),
     "I'm sorry for [what went wrong], and here's how I'll put it right: [the fix]."),
    ("blocking", re.compile(r"\b(?:we|i)\s+(?:can't|cannot|can not|are(?:n't| not)\s+able\s+to|am\s+not\s+able\s+to|"
                            r"are\s+unable\s+to|am\s+unable\s+to|won't\s+be\s+able\s+to|will\s+not\s+be\s+able\s+to|"
                            r"couldn't|could\s+not)\s+(?:\w+ly\s+)?" + _VP_END, re.I),
     "Let me see how I can {vp}."),
    ("blocking", re.compile(r"\byou(?:'ll|\s+will|'d|\s+would)?\s+(?:need\s+to|have\s+to|must|should)\s+"
                            r"(?!contact|call|reach|get\s+in\s+touch|speak|talk|visit|go)" + _VP_END, re.I),
     "The quickest way is to {vp}, and I can help with that."),
    ("blocking", re.compile(r"\b(?P<who>(?:the|your|our)\s+[\w&'-]+(?:\s+[\w&'-]+){0,3}?)\s+(?:should|will|can|would|may|might)"
                            r"\s+be\s+(?:able|happy|glad)\s+to\s+(?:help|assist)", re.I),
     "I'll get {who} on this for you: [what happens next]."),
    ("blocking", re.compile(r"\b(?:please\s+)?(?:contact|reach\s+out\s+to|reach|call|get\s+in\s+touch\s+with|speak\s+(?:to|with)|"
                            r"talk\s+to|work\s+with|check\s+with|connect\s+with|file\s+a\s+claim\s+with)\s+(?P<who>(?:the|your|our)\s+[\w&'-]+(?:\s+[\w&'-]+){0,3}?)"
                            r"(?=\s+(?:about|for|regarding|to|on|at|directly|as|and|so|if|who|they|they'll|anytime|today|now|by|in|with|when|via|here|there|using)\b|[,.;:!?]|$)", re.I),
     "I'll get {who} on this for you: [what happens next]."),
)


_LOOSE_END = re.compile(r"(?:\s+(?:to|the|a|an|for|on|at|with|by|from|in|of|and|or|your|our|this|that))+$", re.I)
#: Verbs a "let me see how I can ..." would turn into an empty or wrong promise.
_NO_PROMISE = re.compile(r"^(?:promise|guarantee|discuss|share|see|access|confirm|comment|disclose|speak|"
                         r"talk|say|tell|be|only|not|also|view|look|find|locate|verify|provide\s+(?:any\s+)?(?:details|information))\b", re.I)


def _clean_vp(vp: str) -> str:
    """The verb phrase, cut at its reason or time ("because...", "at this time") and to
    at most 8 words, or "" when it would make a wrong promise."""
    vp = _TAIL_STOP.sub("", vp.strip())
    words = vp.split()
    if not words or _NOT_OBJECT.match(words[0]) or _NOT_OBJECT.match(vp) or _NO_PROMISE.match(vp):
        return ""
    if len(words) > 8:
        vp = _LOOSE_END.sub("", " ".join(words[:8]))
    return vp


def model_rewrite(category: str, sentence: str) -> tuple[str, int] | None:
    """A sentence template that fits `sentence` for a finding of `category`, filled, and
    where in the sentence the words it answers start; None if none fits."""
    for cat, pattern, template in _PATTERNS:
        if cat != category:
            continue
        m = pattern.search(sentence)
        if not m:
            continue
        groups = m.groupdict()
        if "vp" in groups:
            vp = _clean_vp(groups["vp"])
            if not vp:
                continue
            return template.replace("{vp}", vp), m.start()
        if "who" in groups:
            who = groups["who"].strip()
            return template.replace("{who}", who[0].lower() + who[1:] if who.split()[0].lower() in ("the", "your", "our") else who), m.start()
        return template, m.start()
    return None


ADVICE = {
    "blocking": "No template fits this sentence: say what you can do for the customer, or take the next step for them.",
    "non_apology": "No template fits this sentence: apologize plainly for what happened, without \"if\" or \"but\".",
}
