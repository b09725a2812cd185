"""`coach check`'s CI reports against the real schemas and readers: OASIS SARIF 2.1.0 (plus what
GitHub code scanning needs), the Jenkins xunit JUnit schema and junitparser, checkstyle."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach import DOCS_URL
from coach.cli import app
from coach.model.rules import model_rules
from coach.phrasebook import load_rules
from coach.ruledocs import anchor, rules_markdown

jsonschema = pytest.importorskip("jsonschema")
xmlschema = pytest.importorskip("xmlschema")
junitparser = pytest.importorskip("junitparser")

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(__file__).parent / "data" / "schemas"
runner = CliRunner()
BAD = "Hi,\nUnfortunately there's nothing I can do, it's company policy.\n"
LIBRARY = (
    '- title: Refund refused\n  body: "Sorry for any inconvenience, there\'s nothing I can do."\n'
    "- title: Fine\n  body: Let me check what I can do.\n"
)


@pytest.fixture()
def repo(tmp_path):
    """A git working tree with replies in a subfolder and a broken library file."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "support" / "macros").mkdir(parents=True)
    (root / "support" / "macros" / "refusal.md").write_text(BAD, encoding="utf-8")
    (root / "support" / "macros" / "library.yaml").write_text(LIBRARY, encoding="utf-8")
    (root / "support" / "macros" / "broken.json").write_text('{"a": [1,\n  2,,]}', encoding="utf-8")
    return root


def check(cwd: Path, *args: str):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(app, ["check", *args])
    finally:
        os.chdir(old)


# -- SARIF -----------------------------------------------------------------------------------------
def sarif_validator():
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("where", ["support/macros", ".", "support"])
def test_sarif_is_valid_and_relative_to_the_repository_root(repo, where):
    r = check(repo / where, os.path.relpath(repo / "support" / "macros", repo / where), "--format", "sarif")
    assert r.exit_code == 3, r.output  # findings, and one unreadable file
    doc = json.loads(r.stdout)
    errors = sorted(sarif_validator().iter_errors(doc), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])
    run = doc["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for res in run["results"] for loc in res["locations"]}
    assert uris == {"support/macros/refusal.md", "support/macros/library.yaml"}
    assert all(
        loc["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        for res in run["results"]
        for loc in res["locations"]
    )


def test_sarif_rules_have_help_for_the_reader(repo):
    doc = json.loads(check(repo, "--format", "sarif").stdout)
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert rules
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    anchors = {anchor(line[4:]) for line in page.splitlines() if line.startswith("### ")}
    for rule in rules:
        assert rule["helpUri"].startswith(DOCS_URL + "rules.md#")
        assert rule["helpUri"].rsplit("#", 1)[1] in anchors
        assert "GUIDE" not in rule["help"]["text"] and "GUIDE" not in rule["help"]["markdown"]
        assert "labeled" not in rule["help"]["text"]
        assert "Try instead" in rule["help"]["text"] and rule["helpUri"] in rule["help"]["text"]


def test_help_uri_from_the_phrasebook_and_for_user_rules(tmp_path):
    (tmp_path / "team.yaml").write_text(
        "defaults:\n  help_uri: https://wiki.example.org/coaching\nrules:\n"
        '  - id: blocking.team.no-way\n    category: blocking\n    phrases: ["no way"]\n'
        '    rewrites: ["let me see", "here\'s an option"]\n'
        '    examples: {match: ["No way."], no_match: ["Let me see."]}\n'
        '  - id: blocking.team.nope\n    category: blocking\n    phrases: ["nope"]\n'
        '    help_uri: https://wiki.example.org/nope\n    rewrites: ["let me see", "here\'s an option"]\n'
        '    examples: {match: ["Nope."], no_match: ["Let me see."]}\n',
        encoding="utf-8",
    )
    (tmp_path / "r.md").write_text("No way. Nope.\n", encoding="utf-8")
    r = runner.invoke(
        app, ["check", str(tmp_path / "r.md"), "--no-defaults", "-p", str(tmp_path / "team.yaml"), "--format", "sarif"]
    )
    rules = {x["id"]: x["helpUri"] for x in json.loads(r.stdout)["runs"][0]["tool"]["driver"]["rules"]}
    assert rules == {
        "blocking.team.no-way": "https://wiki.example.org/coaching",
        "blocking.team.nope": "https://wiki.example.org/nope",
    }
    (tmp_path / "bad.yaml").write_text(
        "rules:\n  - id: blocking.x\n    category: blocking\n    phrases: [x]\n"
        "    help_uri: not a link\n    rewrites: [a, b]\n"
        "    examples: {match: [x], no_match: [y]}\n",
        encoding="utf-8",
    )
    bad = runner.invoke(app, ["phrasebook", "validate", str(tmp_path / "bad.yaml")])
    assert bad.exit_code == 2 and "help_uri" in bad.stderr


def test_rules_page_is_current():
    """docs/rules.md is what `coach phrasebook docs` writes: every bundled rule has its section."""
    expected = rules_markdown(load_rules() + model_rules())
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == expected, (
        "run: coach phrasebook docs -o docs/rules.md"
    )


# -- JUnit -----------------------------------------------------------------------------------------
def test_junit_is_valid_for_jenkins_and_read_by_junitparser(repo, tmp_path):
    out = tmp_path / "report.xml"
    r = check(repo, "--format", "junit", "-o", str(out))
    assert r.exit_code == 3, r.output
    xmlschema.XMLSchema(str(SCHEMAS / "jenkins-junit-10.xsd")).validate(str(out))
    xml = junitparser.JUnitXml.fromfile(str(out))
    suites = {suite.name: suite for suite in xml}
    lib = suites[os.path.join(".", "support", "macros", "library.yaml")]
    assert lib.tests == 2 and lib.failures == 1 and lib.errors == 0
    cases = {case.name: case for case in lib}
    (failure,) = cases["Refund refused"].result
    assert isinstance(failure, junitparser.Failure)
    assert os.path.join("support", "macros", "library.yaml") + ":2:" in failure.text
    assert cases["Fine"].is_passed
    broken = suites[os.path.join(".", "support", "macros", "broken.json")]
    (case,) = broken
    assert broken.errors == 1 and isinstance(case.result[0], junitparser.Error)
    assert xml.tests == 4 and xml.failures == 2 and xml.errors == 1


# -- checkstyle ------------------------------------------------------------------------------------
def test_checkstyle_puts_input_errors_on_their_file(repo):
    import xml.etree.ElementTree as ET

    r = check(repo, "--format", "checkstyle")
    files = {f.get("name"): f for f in ET.fromstring(r.stdout.encode("utf-8")).findall("file")}
    broken = files[os.path.join(".", "support", "macros", "broken.json")]
    (error,) = broken.findall("error")
    assert error.get("line") == "2" and error.get("source") == "coach.input-error"
    assert ":2" not in error.get("message") and "broken.json" not in error.get("message")
    assert all(":" not in name.replace(os.sep, "/").split("/")[-1] for name in files)


@pytest.mark.slow
def test_git_top_level_decides_the_root(tmp_path):
    """A real `git init` (a .git folder) decides the root even when the config sits deeper."""
    root = tmp_path / "r"
    (root / "a").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "a" / ".coach.yaml").write_text("fail-on: warning\n", encoding="utf-8")
    (root / "a" / "x.md").write_text(BAD, encoding="utf-8")
    doc = json.loads(check(root / "a", "x.md", "--format", "sarif").stdout)
    (uri,) = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in doc["runs"][0]["results"]}
    assert uri == "a/x.md"


# -- the sentence rewrite in every CI format ----------------------------------------------------
PLACEHOLDER_RULES = Path(__file__).parent / "data" / "rewrite" / "placeholder.yaml"


@pytest.fixture()
def placeholder_repo(tmp_path):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "reply.txt").write_text(
        "Sorry, there's nothing I can do.\nNo refunds, it's our policy.\n", encoding="utf-8"
    )
    return root


def placeholder_check(root, fmt):
    r = check(root, "reply.txt", "--no-model", "--no-defaults", "-p", str(PLACEHOLDER_RULES), "--format", fmt)
    assert r.exit_code == 1, r.output
    return r.stdout


def test_sarif_fixes_only_fixable_rewrites_and_names_the_placeholder(placeholder_repo):
    doc = json.loads(placeholder_check(placeholder_repo, "sarif"))
    errors = sorted(sarif_validator().iter_errors(doc), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])
    by_rule = {res["ruleId"]: res for res in doc["runs"][0]["results"]}
    nothing, policy = by_rule["blocking.out-of-options"], by_rule["blocking.rulebook"]
    assert "fixes" not in nothing and nothing["properties"]["needsWords"] is True
    assert "filling in [what you can offer]" in nothing["message"]["text"]
    assert "[what you can offer]" in nothing["properties"]["rewrite"]
    (replacement,) = policy["fixes"][0]["artifactChanges"][0]["replacements"]
    # a sentence rewrite replaces its sentence: the swap in place, the rest of it as written
    assert replacement["insertedContent"] == {"text": "No refunds, the reason is this."}
    assert replacement["deletedRegion"] == {"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 29}


@pytest.mark.parametrize("fmt", ["github", "checkstyle", "junit", "json"])
def test_every_check_format_carries_the_sentence_rewrite(placeholder_repo, fmt):
    out = placeholder_check(placeholder_repo, fmt)
    assert "the reason is this" in out and "[what you can offer]" in out
    if fmt == "json":
        (entry,) = json.loads(out)["entries"]
        assert "[what you can offer]" in entry["rewritten"] and "the reason is this." in entry["rewritten"]
        assert {f["rule"]: f["rewrite"] for f in entry["findings"]}[
            "blocking.rulebook"
        ] == "No refunds, the reason is this."
    else:
        assert "filling in [what you can offer]" in out
