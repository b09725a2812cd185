"""JUnit XML for `coach check`, so CI test dashboards (GitLab, Jenkins, Azure) list each reply as a test.

One testcase per reply; it fails when a finding fails the run or an entry problem (min-score,
incomplete apology) was found. Non-failing negative findings go to `<system-out>`. Files that
could not be read are testcases with an `<error>`. ElementTree escapes every value.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Mapping, TextIO

from ..models import NEGATIVE_CATEGORIES, CheckResult, EntryResult, LocatedFinding, Rule

#: Characters XML 1.0 cannot carry even escaped; a pasted reply can hold them.
INVALID_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def sanitize(root: ET.Element) -> ET.Element:
    """Replace characters XML cannot carry with U+FFFD in every text and attribute value."""
    for element in root.iter():
        if element.text:
            element.text = INVALID_XML.sub("\N{REPLACEMENT CHARACTER}", element.text)
        for name, value in element.attrib.items():
            element.set(name, INVALID_XML.sub("\N{REPLACEMENT CHARACTER}", value))
    return root


def finding_line(lf: LocatedFinding) -> str:
    f = lf.finding
    line = f"{lf.path}:{lf.line}:{lf.column}: {f.severity} {f.rule} “{f.text}”"
    if f.message:
        line += f" {f.message}"
    if f.rewrites:
        line += f" → “{f.rewrites[0]}”"
    return line


def failure_message(entry: EntryResult, failing: list[LocatedFinding]) -> str:
    parts = [f"{len(failing)} failing finding{'s' if len(failing) != 1 else ''}"] if failing else []
    return "; ".join(parts + list(entry.problems))


def testcase(suite: ET.Element, entry: EntryResult) -> bool:
    """Add one reply's testcase; True when it failed."""
    case = ET.SubElement(suite, "testcase", classname=entry.path,
                         name=entry.key or entry.path.rsplit("/", 1)[-1], file=entry.path,
                         line=str(entry.line))
    negative = [lf for lf in entry.findings if lf.finding.category in NEGATIVE_CATEGORIES]
    failing = [lf for lf in negative if lf.failing]
    quiet = [lf for lf in negative if not lf.failing]
    if entry.failed:
        kind = failing[0].finding.rule if failing else "coach.problem"
        failure = ET.SubElement(case, "failure", message=failure_message(entry, failing), type=kind)
        details = [finding_line(lf) for lf in failing]
        details += [f"{entry.path}:{entry.line}: {p}" for p in entry.problems]
        failure.text = "\n".join(details)
    if quiet:
        ET.SubElement(case, "system-out").text = "\n".join(finding_line(lf) for lf in quiet)
    return entry.failed


def junit_tree(result: CheckResult) -> ET.ElementTree:
    root = ET.Element("testsuites", name="coach")
    suite = ET.SubElement(root, "testsuite", name="coach")
    failures = sum(testcase(suite, entry) for entry in result.entries)
    for error in result.errors:
        case = ET.SubElement(suite, "testcase", classname="coach", name=error)
        ET.SubElement(case, "error", message=error, type="coach.input-error")
    if result.unused_suppressions:
        ET.SubElement(suite, "system-out").text = "\n".join(
            f"unused suppression: {s}" for s in result.unused_suppressions)
    counts = {"tests": str(len(result.entries) + len(result.errors)), "failures": str(failures),
              "errors": str(len(result.errors)), "skipped": "0"}
    for element in (root, suite):
        element.attrib.update(counts)
    ET.indent(root)
    return ET.ElementTree(sanitize(root))


def write_tree(tree: ET.ElementTree, out: TextIO) -> None:
    """An XML report with its declaration (shared with the checkstyle writer)."""
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    tree.write(out, encoding="unicode")
    out.write("\n")


def write_junit(result: CheckResult, rules: Mapping[str, Rule], out: TextIO) -> None:
    write_tree(junit_tree(result), out)
