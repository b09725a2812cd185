"""Rule documentation for readers: each rule's help page address (`helpUri`), help text, and docs/rules.md.

Code scanning shows a rule's help beside every finding, so it is written for the person fixing the
reply: what the wording does to the customer, what to say instead, and where to read more. Internal
labeling-guide notes (sources starting "GUIDE:") and training notes never appear in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from . import DOCS_URL
from .models import Rule

RULES_PAGE = "rules.md"

#: Per category: (section title, what it means for the customer). Also the section each rule sits in.
CATEGORIES: dict[str, tuple[str, str]] = {
    "blocking": (
        "Blocking language",
        "Blocking language makes the customer do more work: it says no without an alternative, puts "
        "a rule ahead of the customer, or sends them to chase someone else. Customers met with it "
        "report more effort and are less loyal. Say what you can do, or take the next step for them.",
    ),
    "non_apology": (
        "Non-apologies",
        'A non-apology sounds like an apology but shrinks the harm ("any inconvenience"), puts it '
        'on the customer\'s feelings ("sorry you feel that way"), makes it conditional ("if"), or '
        'only cushions a refusal ("sorry, but"). Apologize plainly for what happened.',
    ),
    "advocacy": (
        "Flexible advocacy",
        'Advocacy commits to act for the customer ("let me see what I can do", "I\'ve got another '
        'option for you"): the wording that lowers customer effort most. coach reports it as a '
        "strength; it never fails a check.",
    ),
    "apology": (
        "Apology elements",
        "An effective apology takes responsibility (weighs most), offers repair (second), expresses "
        "regret, explains, and commits to preventing a repeat; asking forgiveness weighs least. coach "
        "reports which elements a reply has; they never fail a check.",
    ),
    "complaint": (
        "Customer complaint cues",
        "Customer-side cues that a problem was reported, so coach can tell when an apology was expected and none came.",
    ),
}
_CITATION = re.compile(r"\(\d{4}\)|\b(?:19|20)\d{2}\b")


def anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lowercase, punctuation dropped, spaces to hyphens."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def bundled(rule: Rule) -> bool:
    """A rule shipped with coach (a bundled phrasebook's or the classifier's): docs/rules.md has its section."""
    if rule.path == "<model>":
        return True
    from .phrasebook import builtin_dir

    try:
        return bool(rule.path) and Path(rule.path).resolve().parent == builtin_dir().resolve()
    except OSError:
        return False


def help_uri(rule: Rule) -> str:
    """The rule's `help_uri`, else its section in docs/rules.md (bundled rules), else its category's."""
    if rule.help_uri:
        return rule.help_uri
    if bundled(rule):
        return f"{DOCS_URL}{RULES_PAGE}#{anchor(rule.id)}"
    title = CATEGORIES.get(rule.category, (None,))[0]
    return f"{DOCS_URL}{RULES_PAGE}" + (f"#{anchor(title)}" if title else "")


def citation(rule: Rule) -> str:
    """The rule's source when it is published research a reader can look up; else nothing."""
    source = rule.source.strip()
    if not source or rule.path == "<model>":
        return ""
    parts = [p.strip() for p in source.split(";") if p.strip() and not p.strip().upper().startswith("GUIDE:")]
    return "; ".join(p for p in parts if _CITATION.search(p))


def help_text(rule: Rule, uri: str) -> tuple[str, str]:
    """(plain text, Markdown) help for one rule, written for the person fixing the reply."""
    why = CATEGORIES.get(rule.category, ("", ""))[1]
    message = " ".join(rule.message.split()) or rule.id
    text, markdown = [message], [message]
    if why:
        text.append(why)
        markdown.append(why)
    if rule.rewrites:
        text.append("Try instead: " + "; ".join(f"“{r}”" for r in rule.rewrites))
        markdown.append("**Try instead:**\n\n" + "\n".join(f"- “{r}”" for r in rule.rewrites))
    if rule.fix == "safe":
        text.append("`coach check --fix` can apply the first rewrite.")
        markdown.append("`coach check --fix` can apply the first rewrite.")
    cited = citation(rule)
    if cited:
        text.append(f"Research: {cited}")
        markdown.append(f"**Research:** {cited}")
    text.append(f"To keep a wording on purpose, add `coach: ignore[{rule.id}] -- reason` beside it. More: {uri}")
    markdown.append(
        f"To keep a wording on purpose, add `coach: ignore[{rule.id}] -- reason` beside it. "
        f"[More about this rule]({uri})"
    )
    return "\n\n".join(text), "\n\n".join(markdown)


def rules_markdown(rules: Iterable[Rule]) -> str:
    """docs/rules.md: one section per category, one heading per rule (the anchors `help_uri` points at)."""
    rules = list(rules)
    out = [
        "# coach's rules",
        "",
        "Every bundled rule, by category: what it flags, why it matters to the customer, and what to say "
        "instead. Generated by `coach phrasebook docs`; each rule's `helpUri` in SARIF points here.",
        "",
    ]
    categories = list(CATEGORIES) + sorted({r.category for r in rules} - set(CATEGORIES))
    for category in categories:
        members = sorted((r for r in rules if r.category == category), key=lambda r: r.id)
        if not members:
            continue
        title, why = CATEGORIES.get(category, (category.replace("_", " ").capitalize(), ""))
        out += [f"## {title}", ""] + ([why, ""] if why else [])
        for rule in members:
            out += [f"### {rule.id}", ""]
            if rule.message:
                out += [" ".join(rule.message.split()), ""]
            facts = [f"severity {rule.severity}"] + ([f"apology element: {rule.element}"] if rule.element else [])
            if rule.fix == "safe":
                facts.append("`--fix` applies the first rewrite")
            out += ["*" + " · ".join(facts) + "*", ""]
            examples = [ex.text for ex in rule.match_examples][:2]
            if examples:
                out += ["Flags, for example:", ""] + [f"- “{ex}”" for ex in examples] + [""]
            if rule.rewrites:
                out += ["Try instead:", ""] + [f"- “{r}”" for r in rule.rewrites] + [""]
            cited = citation(rule)
            if cited:
                out += [f"Research: {cited}", ""]
    return "\n".join(out).rstrip() + "\n"
