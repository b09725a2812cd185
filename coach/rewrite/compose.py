"""Composing one rewrite per sentence (or clause) that carries a negative finding.

A sentence is cut into clauses; clauses with no finding stay as written, clauses that
only hedge ("Unfortunately") or only restate the rule ("it's company policy") go, and
the clauses with findings become ONE template filled from the first finding that has a
fitting, unused offer. Word-swap rewrites ("sorry for any" -> "sorry for the") change
the matched words in place. Sentences without findings are never touched.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from ..models import ADDITION, NEGATIVE_CATEGORIES, Finding
from . import hedges
from .model_templates import ADVICE, model_rewrite
from .sentences import clause_spans, sentence_spans
from .templates import capitalize, capture, fill, is_addition, is_template, lower_first, offer_key, slots

_END_PUNCT = re.compile(r"[.!?…]+[\"'’”)\]]*$")
#: Kept as written around a rewritten sentence: @handles in front, an agent's sign-off after.
_PREFIX = re.compile(r"^(?:[@#][\w.]+[,:]?\s+)+")
_SUFFIX = re.compile(
    r"(?:\s+(?:[\^*~/]\s?[A-Za-z]{1,5}|-\s?[A-Z][a-z]+|\(?\d/\d\)?|/\d{1,2}|>>+|\.\.\.?\s*\d/\d))+\.?$"
)
#: A lead-in that cannot stand as a sentence: it joins the rewrite with a comma.
_SUBORDINATE = re.compile(
    r"^(?:while|although|though|if|when|as|since|because|whilst|unless|once|for|to|with|in|on"
    r"|after|before|regarding|due|even)\b",
    re.I,
)
#: A clause that can start a sentence after a rewrite: a subject, a name, or a request.
_STANDS_ALONE = re.compile(
    r"(?:[A-Z0-9@#\"'“]|(?i:i|we|you|it|they|he|she|there|this|that|these|those|a|an|the|"
    r"your|our|my|some|all|any|each|every|please|thanks|thank|let|feel|just|have|hope|enjoy|check|see|keep)\b)"
)
#: A clause that leans on the refusal it followed ("including saving fuel", "still send ...").
_FRAGMENT = re.compile(
    r"(?i:\w+ing|including|such|especially|even|still|also|for|with|without|from|to|in|on|at|"
    r"by|of|due|as|because|since|which|who|where|than|then|not|no|if|unless|or)\b"
)
#: An addition that opens with "but", and a sentence that already turns on a contrast.
_BUT = re.compile(r"but\s+", re.I)
_CONTRAST = re.compile(r"\b(?:but|however|although|though|while|whilst|yet|instead)\b", re.I)
#: A next sentence that goes on with the answer ("You will have to do it at the airport.",
#: "That said, you're welcome to call Alamo."): an offer between the two splits them.
_CONTRAST_NEXT = re.compile(
    r"\s*(?:but|however|instead|that said|alternatively|you(?:'ll| will) (?:need|have) to|you (?:need|have|must) to)\b",
    re.I,
)
#: Where an addition cannot follow: the next sentence goes on about the party the customer
#: was sent to ("They'll work with our team ..."), or the sentence ends on a link.
_THEY_NEXT = re.compile(r"\s*(?:they|they'll|they're|he|she)\b", re.I)
_ENDS_ON_LINK = re.compile(r"(?:https?://|www\.)\S+$", re.I)
_CONCESSIVE = re.compile(r"(?:while|whilst|although|though|even though)\b", re.I)
KEEP_AND_ADD = "Keep what this sentence tells the customer, and add what you will do for them."
ALREADY_TURNS = (
    "This sentence already turns to what the customer can do: lead with that, and add what you will do for them."
)
#: A clause shorter than this (in words) before the rewrite joins it with a comma ("Hi Sam, let me ...").
SHORT_LEAD = 4


@dataclass
class Plan:
    """One sentence's rewrite before it becomes a SentenceRewrite."""

    start: int
    end: int
    text: str
    rules: tuple[str, ...]
    advice: str | None = None


@dataclass
class _Clause:
    start: int
    end: int
    text: str
    findings: list[Finding] = field(default_factory=list)


def units(text: str, findings: Sequence[Finding]) -> list[tuple[int, int, list[Finding]]]:
    """Sentences (merged where one finding straddles two) with their negative findings."""
    spans = sentence_spans(text)
    out: list[list] = []
    for start, end in spans:
        mine = [f for f in findings if f.start < end and f.end > start]
        if out and any(f in out[-1][2] for f in mine):
            out[-1][1] = end
            out[-1][2] += [f for f in mine if f not in out[-1][2]]
        else:
            out.append([start, end, mine])
    return [(s, e, fs) for s, e, fs in out if fs]


def plan_all(text: str, findings: Sequence[Finding], prefer: str | None = None) -> list[Plan]:
    """`prefer`: a rule id whose findings choose the template first (`coach phrasebook test`
    tries every rewrite of a rule on its examples)."""
    # A softened limit already has its offer after it: the sentence stays as written.
    negative = sorted(
        (f for f in findings if f.category in NEGATIVE_CATEGORIES and not f.softened),
        key=lambda f: (f.rule != prefer, f.start, -f.end),
    )
    if not negative:
        return []  # most drafts: nothing to split or rewrite
    used: set[str] = set()
    plans = []
    for start, end, found in units(text, negative):
        plan = plan_sentence(text, start, end, found, used)
        if plan is not None:
            plans.append(plan)
    return plans


def _choose(finding: Finding, after: str, used: set[str], additions: frozenset[str] = frozenset()) -> str | None:
    """The finding's first sentence template with its slots filled and its offer not made yet;
    an addition only if it is in `additions` (it keeps the sentence, so it must answer every
    finding there, and it cannot end a question: "Have you called them, and ... for you.")."""
    for rewrite in finding.rewrites:
        if not is_template(rewrite) or (is_addition(rewrite) and rewrite not in additions):
            continue
        filled = fill(rewrite, {name: capture(name, after) for name in slots(rewrite)})
        if filled is None or offer_key(rewrite) in used:
            continue
        used.add(offer_key(rewrite))
        return filled.strip() if is_addition(rewrite) else capitalize(filled.strip())
    return None


#: Words a match may end on that belong to what follows ("sorry you feel | the charger was ...").
_CARRY = {"the", "our", "this", "that", "it", "we", "your", "there", "my", "a", "an"}


def _after(text: str, finding: Finding, clause_end: int) -> str:
    """The words after the match up to the end of its clause (a determiner the match ends on included)."""
    after = text[finding.end : clause_end] if finding.end < clause_end else ""
    words = finding.text.split()
    if words and words[-1].lower() in _CARRY:
        after = words[-1] + " " + after.lstrip()
    return after


def _swap(finding: Finding) -> str | None:
    """The finding's first word-swap rewrite (no slots), if it has one."""
    return next((r for r in finding.rewrites if not is_template(r) and "{" not in r), None)


def plan_sentence(text: str, start: int, end: int, found: list[Finding], used: set[str]) -> Plan | None:
    """One sentence's rewrite (None when nothing changes); `used` holds the offers made so far."""
    sentence = text[start:end]
    pre = _PREFIX.match(sentence)
    prefix = pre.group() if pre else ""
    post = _SUFFIX.search(sentence[len(prefix) :])
    suffix = post.group() if post else ""
    m = _END_PUNCT.search(sentence[: len(sentence) - len(suffix)])
    punct = m.group() if m else ""
    body_end = end - len(suffix) - len(punct)
    clauses = [_Clause(a, b, text[a:b]) for a, b in clause_spans(text, start + len(prefix), body_end)]
    rule_findings = [f for f in found if f.source == "rule"]
    # The model marks whole sentences: where a rule marks exact words, those decide the clauses.
    for f in rule_findings or found:
        for c in clauses:
            if f.start < c.end and f.end > c.start:
                c.findings.append(f)
    rules = tuple(dict.fromkeys(f.rule for f in found))
    model_findings = [f for f in found if f.source != "rule"]

    # Which findings become the sentence template, which swap words in place.
    template: str | None = None
    swapped: dict[int, list[tuple[Finding, str]]] = {}
    template_clauses: set[int] = set()
    # An addition ends the sentence: not on a question, nor on one that goes on in the next tweet.
    continues = not punct and bool(re.search(r"\d/\d|/\d", suffix))
    if ("?" in punct or continues) and any(
        is_addition(next((r for r in f.rewrites if is_template(r)), "")) for f in rule_findings
    ):
        # The rule keeps its sentence (whom to call, the limit): replacing a question or half
        # a sentence with a template would lose it, and an addition cannot go there.
        return Plan(start, end, sentence, rules, advice=KEEP_AND_ADD)
    additions = _shared_additions(rule_findings)
    for f in rule_findings:
        idx = [i for i, c in enumerate(clauses) if f in c.findings]
        if not idx:
            continue
        swap = _swap(f)
        if swap is not None and not any(is_template(r) for r in f.rewrites[:1]):
            swapped.setdefault(idx[0], []).append((f, swap))
            continue
        template_clauses.update(idx)
        if template is None:
            last = clauses[idx[-1]]
            template = _choose(f, _after(text, f, last.end), used, additions)
    if template is not None and is_addition(template):
        refusal_end = max(f.end for f in rule_findings)
        return _plan_addition(text, start, end, clauses, (prefix, suffix), template, rules, refusal_end)
    if not rule_findings and model_findings:
        f = model_findings[0]
        fitted = model_rewrite(f.category, sentence)
        if fitted is None or offer_key(fitted[0]) in used:
            return Plan(start, end, sentence, rules, advice=ADVICE.get(f.category, f.message))
        template, at = fitted
        used.add(offer_key(template))
        # The clause the fitting words sit in and what follows it, up to a contrast ("but I can ...").
        first = next((i for i, c in enumerate(clauses) if c.end > start + at), 0)
        for i in range(first, len(clauses)):
            if i > first and re.match(r"(?:but|however)\b", clauses[i].text, re.I):
                break
            template_clauses.add(i)

    pieces: list[tuple[str, str]] = []  # ("clause" | "template", text)
    semicolons: set[int] = set()  # pieces that followed a ";" as written (kept: no comma splice)
    placed = False
    for i, c in enumerate(clauses):
        if i and ";" in text[clauses[i - 1].end : c.start]:
            semicolons.add(len(pieces))
        if i in template_clauses:
            if not placed and template is not None:
                pieces.append(("template", template))
            placed = True
            continue
        if i in swapped:
            if template_clauses and hedges.only_hedge(c.text):
                continue  # "As I said," in front of a refusal that gets a template
            pieces.append(("clause", _apply_swaps(text, c, swapped[i])))
            continue
        if hedges.only_hedge(c.text) or (template_clauses and hedges.restates_rule(c.text)):
            continue
        pieces.append(("clause", c.text))
    # A tweet that goes on in the next one ("... reimburse any 1/2") gets no full stop.
    new = _join(pieces, punct, continues=continues, semicolons=semicolons)
    lead = clauses[0].text if clauses else ""
    first_piece = pieces[0][1] if pieces and pieces[0][0] == "clause" else ""
    if lead[:1].islower() and first_piece[:1].islower() and new.startswith(capitalize(first_piece)):
        # A sentence that went on from the line or tweet before ("...nothing I can do\nabout
        # the fee", "...for any | inconvenience this may cause you. 2/2") keeps its lower-case start.
        new = first_piece + new[len(capitalize(first_piece)) :]
    if new:
        new = prefix + new + suffix
    if new == sentence:
        return None
    return Plan(start, end, new, rules)


def _shared_additions(findings: Sequence[Finding]) -> frozenset[str]:
    """The additions every one of the sentence's findings offers: an addition keeps the
    sentence as written, so a second refusal there ("..., as I said") would stay."""
    sets = [frozenset(r for r in f.rewrites if is_addition(r)) for f in findings]
    return frozenset.intersection(*sets) if sets else frozenset()


def _plan_addition(
    text: str,
    start: int,
    end: int,
    clauses: list[_Clause],
    around: tuple[str, str],
    addition: str,
    rules: tuple[str, ...],
    refusal_end: int,
) -> Plan | None:
    """The sentence as written, without the hedges in front of it, with the addition joined
    to its end: what the refusal said (whom to call, the number) stays."""
    kept = [c for c in clauses if not hedges.only_hedge(c.text)]
    # A clause that is nothing but the finding ("No exceptions, the pool closes at nine")
    # goes when the sentence has more to say: the rest is the answer that stays.
    bare = [c for c in kept if any(c.text.strip(" ,;:").lower() == f.text.lower() for f in c.findings)]
    if bare and len(bare) < len(kept):
        kept = [c for c in kept if c not in bare]
    if not kept:
        return None
    first = kept[0]
    lead = hedges.strip_leading(first.text)
    body = lead + text[first.end : kept[-1].end]
    if first is not clauses[0] or lead != first.text:  # a hedge in front went: the sentence starts anew
        body = capitalize(body)
    tail = addition[len(ADDITION) :].strip()
    body = body.rstrip(" ,;:-–—")
    if _BUT.match(tail):
        rest = text[refusal_end : kept[-1].end]
        if _CONTRAST.search(rest) or _CONTRAST_NEXT.match(text[end:]) or _CONCESSIVE.match(lead):
            # "While we can't X, we have Y" already turns to a way forward: a second "but
            # here's what I can do" stacks alternatives (hand-read), so the sentence stays.
            return Plan(start, end, text[start:end], rules, advice=ALREADY_TURNS)
        if _CONTRAST.search(body):
            # "It can be reused but the name can't be changed": a second "but", or "; here's
            # what I can do", reads as a run-on (hand-read): the sentence stays, with advice.
            return Plan(start, end, text[start:end], rules, advice=KEEP_AND_ADD)
    if _THEY_NEXT.match(text[end:]) or _ENDS_ON_LINK.search(body):
        # "..., and if they can't sort it out, I'll follow it up for you. They'll work with
        # our team ..." reads backwards (hand-read): the sentence stays, with advice.
        return Plan(start, end, text[start:end], rules, advice=KEEP_AND_ADD)
    prefix, suffix = around
    return Plan(start, end, prefix + body + ", " + tail + suffix, rules)


def _apply_swaps(text: str, clause: _Clause, swaps: list[tuple[Finding, str]]) -> str:
    """The clause with each word swap in place of its matched words."""
    out, pos = [], clause.start
    for f, swap in sorted(swaps, key=lambda s: s[0].start):
        a, b = max(f.start, clause.start), min(f.end, clause.end)
        if a < pos:
            continue
        out.append(text[pos:a])
        nxt = re.match(r"\s*(\w+)", text[b : clause.end])
        words = swap.split()
        if nxt and len(words) > 1 and words[-1].lower() == nxt.group(1).lower():
            swap = swap[: swap.lower().rindex(words[-1].lower())].rstrip()  # "sorry that | that ..." once
        out.append(swap)
        pos = b
    out.append(text[pos : clause.end])
    return "".join(out)


def _join(pieces: list[tuple[str, str]], punct: str, continues: bool = False, semicolons: Collection[int] = ()) -> str:
    """The pieces as sentences: clauses joined with commas (a semicolon where the draft had
    one, at the indexes in `semicolons`), a template its own sentence (or after a short
    lead-in such as a greeting, with a comma); `continues`: the last sentence goes on
    elsewhere, so it gets no end punctuation of its own."""
    sentences: list[str] = []
    buffer: list[str] = []
    for index, (kind, piece) in enumerate(pieces):
        if kind == "template":
            if buffer:
                lead = "".join(buffer)
                if len(lead.split()) <= SHORT_LEAD or _SUBORDINATE.match(lead):
                    sentences.append(capitalize(lead) + ", " + lower_first(piece))
                else:
                    sentences.append(capitalize(lead) + "." if not _END_PUNCT.search(lead) else capitalize(lead))
                    sentences.append(piece)
                buffer = []
            else:
                sentences.append(piece)
            continue
        if (
            not buffer
            and sentences
            and len(piece.split()) <= 3
            and kind == "clause"
            and pieces[-1] == (kind, piece)
            and sentences[-1][-1:] in ".!?"
            and piece[:1].isupper()
        ):
            # A short clause after the template: an address ("Mr. Grant") joins it; a
            # leftover contrast ("not ours") goes.
            if not re.match(r"(?:not|no|nor)\b", piece.strip(), re.I):
                sentences[-1] = sentences[-1][:-1] + ", " + piece.strip() + sentences[-1][-1]
            continue
        piece = hedges.strip_leading(piece).strip() if not buffer else piece.strip()
        if not buffer and sentences:
            piece = hedges.CONJUNCTION.sub("", piece)
            if _FRAGMENT.match(piece) or not _STANDS_ALONE.match(piece):
                continue  # "including saving fuel": a fragment of the refusal it followed
        if piece:
            if buffer:
                piece = ("; " if index in semicolons else ", ") + piece
            buffer.append(piece)
    if buffer:
        lead = "".join(buffer)
        sentences.append(capitalize(lead) + (punct or ("." if sentences and not continues else "")))
    return _tidy(" ".join(sentences))


def _tidy(text: str) -> str:
    """No double spaces, no space before punctuation, no ", ." or ",," left by removed clauses."""
    text = re.sub(r"\s{2,}", " ", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",\s*([.!?])", r"\1", text)
    text = re.sub(r"([,;:])\s*\1+", r"\1", text)
    text = re.sub(r"\.\.(?!\.)", ".", text)
    return text.strip()
