"""The `coach check` renderers against one hand-built result, so CI formats stay valid and exact."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from coach import __version__
from coach.models import Apology, CheckResult, EntryResult, Finding, LocatedFinding, Rule, TextReport
from coach.render.check_json import write_check_json
from coach.render.check_terminal import render_check
from coach.render.checkstyle import write_checkstyle
from coach.render.github import escape_data, escape_property, write_github
from coach.render.junit import write_junit
from coach.render.sarif import camel_name, write_sarif

MD = "replies/refund, 50%.md"
LIB = "macros/library.yaml"

RULES = {
    "blocking.policy.company-policy": Rule(
        id="blocking.policy.company-policy",
        category="blocking",
        severity="warning",
        message="Hides behind policy: explain the reason, 100% of the time.",
        source="Dixon et al. (2013)",
        rewrites=("The reason is",),
    ),
    "blocking.powerless.nothing-i-can-do": Rule(
        id="blocking.powerless.nothing-i-can-do",
        category="blocking",
        severity="error",
        message="Tells the customer they are out of options.",
        source="GUIDE: a refusal with no alternative; Dixon, Toman & DeLisi (2013)",
        rewrites=("Here's what I can do", "Let me see what I can do"),
        fix="safe",
    ),
    "non_apology.inconvenience": Rule(
        id="non_apology.inconvenience",
        category="non_apology",
        severity="info",
        message="Apologises for a hypothetical.",
        rewrites=("I'm sorry the order was late",),
        fix="safe",
    ),
    "advocacy.action.let-me": Rule(
        id="advocacy.action.let-me", category="advocacy", severity="info", message="Takes ownership."
    ),
}


def finding(rule_id: str, text: str, message: str, line: int = 1, column: int = 1) -> Finding:
    r = RULES[rule_id]
    return Finding(
        rule_id,
        r.category,
        None,
        r.severity,
        column - 1,
        column - 1 + len(text),
        line,
        column,
        text,
        message,
        r.rewrites,
    )


def located(
    f: Finding, path: str, key: str | None, line: int, column: int, *, failing: bool = True, width: int | None = None
) -> LocatedFinding:
    end = column + (len(f.text) if width is None else width)
    return LocatedFinding(f, path, key, line, column, line, end, f"fp-{f.rule}-{line}", failing)


def report(source: str, score: int, *findings: Finding) -> TextReport:
    return TextReport(source, "…", findings, Apology(offered=False), score)


@pytest.fixture()
def result() -> CheckResult:
    policy = finding(
        "blocking.policy.company-policy", "company policy", "Hides behind policy:\nexplain, 100% of the time.", 2, 9
    )
    nothing = finding(
        "blocking.powerless.nothing-i-can-do", "nothing we can do", "Tells the customer they are out of options.", 1, 16
    )
    let_me = finding("advocacy.action.let-me", "let me", "Takes ownership.", 1, 40)
    sorry = finding("non_apology.inconvenience", "sorry for any inconvenience", "Apologises for a hypothetical.", 1, 3)
    entries = (
        EntryResult(MD, None, 1, report(MD, 55, policy), (located(policy, MD, None, 4, 9),)),
        EntryResult(
            LIB,
            "shipping-delay",
            3,
            report(LIB, 40, nothing, let_me),
            (
                located(nothing, LIB, "shipping-delay", 4, 20),
                located(let_me, LIB, "shipping-delay", 4, 44, failing=False),
            ),
        ),
        # Unescaped from a quoted YAML string: the file span is longer than the match.
        EntryResult(
            LIB,
            "late-refund",
            10,
            report(LIB, 70, sorry),
            (located(sorry, LIB, "late-refund", 11, 8, failing=False, width=29),),
            ("apology is missing repair, repentance (require-complete-apology)",),
        ),
        EntryResult(LIB, "greeting", 20, report(LIB, 100), ()),
    )
    return CheckResult(
        entries,
        suppressed=2,
        baselined=1,
        unused_suppressions=("macros/library.yaml:14: coach: ignore blocking.x",),
        fail_on="warning",
    )


def render(writer, result: CheckResult) -> str:
    out = io.StringIO()
    writer(result, RULES, out)
    return out.getvalue()


# --- SARIF -----------------------------------------------------------------------------------


def assert_region(region: dict) -> None:
    for key in ("startLine", "startColumn", "endLine", "endColumn"):
        assert isinstance(region[key], int) and region[key] >= 1, key
    assert (region["endLine"], region["endColumn"]) >= (region["startLine"], region["startColumn"])


def test_sarif_structure(result):
    doc = json.loads(render(write_sarif, result))
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "coach" and driver["version"] == __version__
    ids = [r["id"] for r in driver["rules"]]
    # Only negative rules that fired; advocacy is a positive signal, not a code-scanning alert.
    assert ids == ["blocking.policy.company-policy", "blocking.powerless.nothing-i-can-do", "non_apology.inconvenience"]
    for rule in driver["rules"]:
        assert set(rule) >= {
            "id",
            "name",
            "shortDescription",
            "fullDescription",
            "help",
            "defaultConfiguration",
            "properties",
        }
        assert isinstance(rule["shortDescription"]["text"], str) and rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("none", "note", "warning", "error")
        assert rule["properties"]["precision"] == "medium"
        assert rule["properties"]["tags"] == [rule["properties"]["category"]]
    nothing = driver["rules"][1]
    assert nothing["name"] == "BlockingPowerlessNothingICanDo"
    assert nothing["defaultConfiguration"]["level"] == "error"
    assert "Dixon, Toman & DeLisi (2013)" in nothing["help"]["text"]
    assert "Dixon, Toman & DeLisi (2013)" in nothing["help"]["markdown"]
    assert "GUIDE" not in json.dumps(driver["rules"])  # internal labeling notes are not help
    assert "- “Let me see what I can do”" in nothing["help"]["markdown"]
    assert driver["rules"][2]["defaultConfiguration"]["level"] == "note"

    results = run["results"]
    assert len(results) == 3
    for res in results:
        assert set(res) >= {"ruleId", "ruleIndex", "level", "message", "locations"}
        assert ids[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in ("none", "note", "warning", "error")
        assert isinstance(res["message"]["text"], str)
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert_region(loc["region"])
        assert isinstance(res["partialFingerprints"]["coach/v1"], str)
    policy, nothing_res, sorry = results
    assert policy["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "replies/refund%2C%2050%25.md"
    assert policy["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 4,
        "startColumn": 9,
        "endLine": 4,
        "endColumn": 23,
        "snippet": {"text": "company policy"},
    }
    assert policy["message"]["text"].endswith("Try: “The reason is”")
    assert "fixes" not in policy  # not fix: safe
    assert sorry["level"] == "note" and sorry["properties"]["failing"] is False
    assert "fixes" not in sorry  # span differs from the match: unsafe to splice
    assert nothing_res["locations"][0]["logicalLocations"] == [{"name": "shipping-delay", "kind": "member"}]
    (fix,) = nothing_res["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": LIB, "uriBaseId": "%SRCROOT%"}
    (replacement,) = change["replacements"]
    assert replacement["deletedRegion"] == {"startLine": 4, "startColumn": 20, "endLine": 4, "endColumn": 37}
    assert replacement["insertedContent"] == {"text": "Here's what I can do"}

    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "warning" and "unused suppression" in note["message"]["text"]


def test_sarif_errors_and_empty_run():
    doc = json.loads(render(write_sarif, CheckResult((), errors=("x.yaml: not valid YAML",))))
    run = doc["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["invocations"][0]["toolExecutionNotifications"][0]["level"] == "error"


def test_camel_name():
    assert camel_name("non_apology.sorry-if") == "NonApologySorryIf"


# --- GitHub ----------------------------------------------------------------------------------


def test_github_escaping():
    assert escape_data("50%\r\nok: a,b") == "50%25%0D%0Aok: a,b"
    assert escape_property("a: b, 5%\n") == "a%3A b%2C 5%25%0A"


def test_github_lines_exact(result):
    assert render(write_github, result).splitlines() == [
        "::warning file=replies/refund%2C 50%25.md,line=4,col=9,endLine=4,endColumn=23,"
        "title=blocking.policy.company-policy::Hides behind policy:%0Aexplain, 100%25 of the time."
        " (try: “The reason is”)",
        "::error file=macros/library.yaml,line=4,col=20,endLine=4,endColumn=37,"
        "title=blocking.powerless.nothing-i-can-do::Tells the customer they are out of options."
        " (try: “Here's what I can do”)",
        "::notice file=macros/library.yaml,line=11,col=8,endLine=11,endColumn=37,"
        "title=non_apology.inconvenience::Apologises for a hypothetical."
        " (try: “I'm sorry the order was late”)",
        "::error file=macros/library.yaml,line=10,title=coach::late-refund: apology is missing "
        "repair, repentance (require-complete-apology)",
        "::warning title=coach::unused suppression: macros/library.yaml:14: coach: ignore blocking.x",
        "coach: 4 replies checked, 3 failed, 3 findings (2 suppressed, 1 in baseline)",
    ]


# --- JUnit and checkstyle --------------------------------------------------------------------


def test_junit(result):
    text = render(write_junit, result)
    root = ET.fromstring(text.encode("utf-8"))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "3", "0")
    md_suite, lib_suite, unused = root.findall("testsuite")
    assert (md_suite.get("name"), md_suite.get("file")) == (MD, MD)
    assert (lib_suite.get("name"), lib_suite.get("file")) == (LIB, LIB)
    assert (md_suite.get("tests"), md_suite.get("failures"), md_suite.get("errors")) == ("1", "1", "0")
    assert (lib_suite.get("tests"), lib_suite.get("failures"), lib_suite.get("errors")) == ("3", "2", "0")
    cases = md_suite.findall("testcase") + lib_suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        (MD, "refund, 50%.md"),
        (LIB, "shipping-delay"),
        (LIB, "late-refund"),
        (LIB, "greeting"),
    ]
    md, shipping, late, greeting = cases
    assert md.find("failure").get("type") == "blocking.policy.company-policy"
    assert "100% of the time" in md.find("failure").text
    assert md.find("failure").text.startswith(f"{MD}:4:9: ")  # the line, where the schema has no attribute
    assert shipping.find("failure").get("message") == "1 failing finding"
    assert late.find("failure").get("type") == "coach.problem"
    assert "require-complete-apology" in late.find("failure").get("message")
    assert "sorry for any inconvenience" in late.find("system-out").text
    assert greeting.find("failure") is None and greeting.find("system-out") is None
    assert "unused suppression" in unused.find("system-out").text and unused.get("tests") == "0"


def test_junit_file_errors_and_control_characters():
    bad = CheckResult((), errors=('a\x0bb.yaml:3: bad <yaml> & "quotes"',))
    root = ET.fromstring(render(write_junit, bad).encode("utf-8"))
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "0", "1")
    assert suite.get("file") == "a\ufffdb.yaml"
    assert suite.find("testcase").get("name") == "a\ufffdb.yaml:3"
    assert suite.find("testcase/error").get("message") == 'bad <yaml> & "quotes"'


def test_checkstyle(result):
    root = ET.fromstring(render(write_checkstyle, result).encode("utf-8"))
    assert root.tag == "checkstyle" and root.get("version") == "4.3"
    files = root.findall("file")
    assert [f.get("name") for f in files] == [MD, LIB]
    (policy,) = files[0].findall("error")
    assert policy.attrib == {
        "line": "4",
        "column": "9",
        "severity": "warning",
        "message": "Hides behind policy:\nexplain, 100% of the time. (try: “The reason is”)",
        "source": "coach.blocking.policy.company-policy",
    }
    errors = files[1].findall("error")
    assert [(e.get("line"), e.get("severity"), e.get("source")) for e in errors] == [
        ("4", "error", "coach.blocking.powerless.nothing-i-can-do"),
        ("11", "info", "coach.non_apology.inconvenience"),
        ("10", "error", "coach.problem"),
    ]
    assert errors[0].get("message").startswith("[shipping-delay] ")


def test_checkstyle_input_error_sits_on_its_file():
    bad = CheckResult(
        (), errors=("macros/a.yaml:7: not valid YAML (fix the indentation)", r"C:\replies\b.json: cannot read the file")
    )
    files = ET.fromstring(render(write_checkstyle, bad).encode("utf-8")).findall("file")
    assert [f.get("name") for f in files] == ["macros/a.yaml", r"C:\replies\b.json"]
    assert files[0].find("error").attrib == {
        "line": "7",
        "severity": "error",
        "source": "coach.input-error",
        "message": "not valid YAML (fix the indentation)",
    }
    assert files[1].find("error").get("line") is None


# --- JSON and terminal -----------------------------------------------------------------------


def test_json_round_trip(result):
    doc = json.loads(render(write_check_json, result))
    assert doc["schema"] == "coach-check/1"
    assert doc["summary"] == {
        "entries": 4,
        "failed": 3,
        "findings": 3,
        "failing": 2,
        "suppressed": 2,
        "baselined": 1,
        "fail_on": "warning",
    }
    assert [(e["path"], e["key"], e["line"], e["score"]) for e in doc["entries"]] == [
        (MD, None, 1, 55),
        (LIB, "shipping-delay", 3, 40),
        (LIB, "late-refund", 10, 70),
        (LIB, "greeting", 20, 100),
    ]
    shipping = doc["entries"][1]
    assert shipping["findings"] == [lf.to_dict() for lf in result.entries[1].findings]
    assert shipping["apology"]["offered"] is False
    assert doc["entries"][2]["problems"] == list(result.entries[2].problems)
    assert doc["unused_suppressions"] == list(result.unused_suppressions)
    assert doc["errors"] == []


def test_terminal(result):
    console = Console(record=True, width=120, color_system=None)
    render_check(result, RULES, console)
    text = console.export_text()
    assert f"{MD}:4:9" in text and "company policy" in text
    assert "Hides behind policy: explain, 100% of the time.  → “The reason is”" in text
    assert "macros/library.yaml:4:20  error    blocking.powerless.nothing-i-can-do" in text
    assert "→ “Here's what I can do”" in text
    assert "shipping-delay" in text and "late-refund" in text
    assert "greeting" not in text  # clean replies are only counted
    assert "let me" not in text  # positive findings are not problems
    assert "macros/library.yaml:10  ✗ apology is missing repair" in text
    assert "4 replies checked, 3 failed, 3 findings (2 suppressed, 1 in baseline)" in text
    assert "warning: unused suppression: macros/library.yaml:14" in text

    quiet = Console(record=True, width=120, color_system=None)
    render_check(result, RULES, quiet, show_rewrites=False)
    assert "→" not in quiet.export_text()


def test_renderers_import_no_typer():
    import subprocess
    import sys

    code = (
        "import sys, coach.render.sarif, coach.render.github, coach.render.junit, "
        "coach.render.checkstyle, coach.render.check_json; "
        "print('typer' in sys.modules, 'rich' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_finding_whose_rewrites_all_need_slots_shows_no_rewrite_and_does_not_crash():
    """A template whose {object} found nothing is never shown, and nothing else is left to show."""
    from rich.console import Console

    from coach.models import Finding, LocatedFinding
    from coach.render.check_terminal import finding_text

    f = Finding(
        "blocking.x",
        "blocking",
        None,
        "warning",
        0,
        5,
        1,
        1,
        "nope.",
        "m",
        rewrites=("Let me see what I can do about {object}.",),
    )
    assert f.suggestions == () and f.suggestion is None
    line = finding_text(LocatedFinding(f, "a.txt", None, 1, 1, 1, 6, "fp"), show_rewrites=True)
    console = Console(record=True, width=200)
    console.print(line)
    assert "{object}" not in console.export_text() and "→" not in console.export_text()
