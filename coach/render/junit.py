"""JUnit XML for `coach check`, so CI test dashboards (GitLab, Jenkins, Azure) list each reply as a test.

Valid against the Jenkins xunit plugin's JUnit schema: one `<testsuite>` per file (the file goes in
its `file` attribute, the one place that schema allows it), one `<testcase>` per reply in it, failing
when a finding fails the run or an entry problem (min-score, incomplete apology) was found; the
line of each finding is in the failure text as `path:line:col`. Non-failing negative findings go to
`<system-out>`. A file that could not be read is a suite with one testcase and an `<error>`.
ElementTree escapes every value.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TextIO

from ..models import NEGATIVE_CATEGORIES, CheckResult, EntryResult, LocatedFinding, Rule
from .check_json import split_error, suggestion

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
    hint = suggestion(lf)
    if hint:
        line += f" → {hint.removeprefix('try: ')}"
    return line


def failure_message(entry: EntryResult, failing: list[LocatedFinding]) -> str:
    parts = [f"{len(failing)} failing finding{'s' if len(failing) != 1 else ''}"] if failing else []
    return "; ".join(parts + list(entry.problems))


def case_name(entry: EntryResult) -> str:
    """The reply's key in a library, else the file's name: stable across edits, so dashboards track it."""
    return entry.key or entry.path.replace("\\", "/").rsplit("/", 1)[-1]


def testcase(suite: ET.Element, entry: EntryResult) -> bool:
    """Add one reply's testcase; True when it failed."""
    case = ET.SubElement(suite, "testcase", name=case_name(entry), classname=entry.path)
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


def _suite(root: ET.Element, name: str, file: str | None = None) -> ET.Element:
    suite = ET.SubElement(root, "testsuite", name=name)
    if file:
        suite.set("file", file)
    return suite


def _count(element: ET.Element, tests: int, failures: int, errors: int, skipped: bool = True) -> None:
    element.set("tests", str(tests))
    element.set("failures", str(failures))
    element.set("errors", str(errors))
    if skipped:  # <testsuites> has no `skipped` in the schema
        element.set("skipped", "0")


def junit_tree(result: CheckResult) -> ET.ElementTree:
    root = ET.Element("testsuites", name="coach")
    suites: dict[str, ET.Element] = {}
    totals = [0, 0, 0]
    counts: dict[str, list[int]] = {}
    for entry in result.entries:
        if entry.path not in suites:
            suites[entry.path] = _suite(root, entry.path, entry.path)
            counts[entry.path] = [0, 0, 0]
        failed = testcase(suites[entry.path], entry)
        counts[entry.path][0] += 1
        counts[entry.path][1] += failed
    for error in result.errors:
        path, line, reason = split_error(error)
        name = path or "coach"
        if name not in suites:
            suites[name] = _suite(root, name, path or None)
            counts[name] = [0, 0, 0]
        case = ET.SubElement(
            suites[name], "testcase", name=f"{path or 'input'}" + (f":{line}" if line else ""), classname=name
        )
        ET.SubElement(case, "error", message=reason, type="coach.input-error").text = error
        counts[name][0] += 1
        counts[name][2] += 1
    if result.unused_suppressions:
        suite = _suite(root, "coach")
        counts["\0unused"] = [0, 0, 0]
        suites["\0unused"] = suite
        ET.SubElement(suite, "system-out").text = "\n".join(
            f"unused suppression: {s}" for s in result.unused_suppressions
        )
    for name, suite in suites.items():
        count = counts[name]
        _count(suite, count[0], count[1], count[2])
        for i in range(3):
            totals[i] += counts[name][i]
    _count(root, totals[0], totals[1], totals[2], skipped=False)
    ET.indent(root)
    return ET.ElementTree(sanitize(root))


def write_tree(tree: ET.ElementTree, out: TextIO) -> None:
    """An XML report with its declaration (shared with the checkstyle writer)."""
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    tree.write(out, encoding="unicode")
    out.write("\n")


def write_junit(result: CheckResult, rules: Mapping[str, Rule], out: TextIO) -> None:
    write_tree(junit_tree(result), out)
