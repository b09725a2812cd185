"""Checkstyle XML for `coach check`, the format reviewdog, Jenkins and many PR bots already read.

Files appear in the order they were checked, each with its negative findings (failing or not,
at their own severity) and entry problems (as errors). An unreadable file gets one error on its own
`<file name=...>` (the name without `:line`, the line as an attribute), so reviewdog can attach it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TextIO

from ..models import NEGATIVE_CATEGORIES, CheckResult, LocatedFinding, Rule
from .check_json import split_error, suggestion
from .junit import sanitize, write_tree

SEVERITIES = {"error": "error", "warning": "warning", "info": "info"}


def finding_message(lf: LocatedFinding) -> str:
    f = lf.finding
    message = f.message or f"“{f.text}”"
    if lf.key:
        message = f"[{lf.key}] {message}"
    hint = suggestion(lf)
    if hint:
        message += f" ({hint})"
    return message


def checkstyle_tree(result: CheckResult) -> ET.ElementTree:
    root = ET.Element("checkstyle", version="4.3")
    files: dict[str, ET.Element] = {}

    def file_element(name: str) -> ET.Element:
        if name not in files:
            files[name] = ET.SubElement(root, "file", name=name)
        return files[name]

    for entry in result.entries:
        element = file_element(entry.path)
        for lf in entry.findings:
            if lf.finding.category not in NEGATIVE_CATEGORIES:
                continue
            ET.SubElement(
                element,
                "error",
                line=str(lf.line),
                column=str(lf.column),
                severity=SEVERITIES.get(lf.finding.severity, "warning"),
                message=finding_message(lf),
                source=f"coach.{lf.finding.rule}",
            )
        for problem in entry.problems:
            message = f"[{entry.key}] {problem}" if entry.key else problem
            ET.SubElement(
                element, "error", line=str(entry.line), severity="error", message=message, source="coach.problem"
            )
    for error in result.errors:
        path, line, reason = split_error(error)
        attrs = {"line": str(line)} if line else {}
        ET.SubElement(file_element(path), "error", attrs, severity="error", message=reason, source="coach.input-error")
    ET.indent(root)
    return ET.ElementTree(sanitize(root))


def write_checkstyle(result: CheckResult, rules: Mapping[str, Rule], out: TextIO) -> None:
    write_tree(checkstyle_tree(result), out)
