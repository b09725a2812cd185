"""Golden files: `coach lint --format json` on every tests/data/golden/lint/*.txt must equal
the .json beside it, and `coach check` and `coach score` on the small inputs in golden/check and
golden/score must print exactly golden/<command>/expected/<format>. Regenerate after an intended
change with COACH_UPDATE_GOLDEN=1."""

import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app

CASES = sorted((Path(__file__).parent / "data" / "golden" / "lint").glob("*.txt"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_lint_json_golden(case, test_phrasebook):
    cwd = os.getcwd()
    os.chdir(case.parent)
    try:
        result = CliRunner().invoke(
            app,
            [
                "lint",
                "--no-defaults",
                "--no-model",
                "-p",
                str(test_phrasebook),
                "--format",
                "json",
                "--fail-on",
                "never",
                "--file",
                case.name,
            ],
        )
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    expected_path = case.with_suffix(".json")
    if os.environ.get("COACH_UPDATE_GOLDEN"):
        expected_path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(expected_path.read_text(encoding="utf-8"))


# -- the check and score renderers over small fixed inputs (issue 18: golden files, as black keeps
#    cases). Each output is compared as text with tests/data/golden/<command>/expected/<format>.
GOLDEN = Path(__file__).parent / "data" / "golden"
CHECK_FORMATS = {
    "text": "rich",
    "github": "github",
    "sarif": "sarif",
    "junit": "junit",
    "checkstyle": "checkstyle",
    "json": "json",
}
SCORE_FORMATS = {"json": "json", "csv": "csv", "terminal": "rich"}
SUFFIX = {
    "text": "txt",
    "terminal": "txt",
    "github": "txt",
    "sarif": "sarif.json",
    "junit": "xml",
    "checkstyle": "xml",
    "json": "json",
    "csv": "csv",
}


def golden_output(folder: Path, args: list[str]) -> str:
    """The command's stdout, run in `folder` (paths in reports stay relative), 100 columns wide."""
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(
            app,
            [*args, "--no-defaults", "--no-model", "-p", "../phrasebook.yaml", "--no-color"],
            env={"COLUMNS": "100", "NO_COLOR": "1"},
        )
    finally:
        os.chdir(cwd)
    assert result.exit_code in (0, 1), result.output
    return normalized(result.stdout, folder)


def normalized(text: str, folder: Path) -> str:
    """What differs between machines made fixed: coach's version, and SARIF's root (the git top
    level of wherever the repository is checked out) with the folder's path under it."""
    from coach import __version__

    text = text.replace(f'"{__version__}"', '"<version>"')
    root = re.search(r'"%SRCROOT%": \{\s*"uri": "([^"]+)"', text)
    if root:
        base = Path(root.group(1).removeprefix("file://"))
        under = os.path.relpath(folder.resolve(), base).replace(os.sep, "/")
        text = text.replace(root.group(1), "<root>/")
        if not under.startswith(".."):
            text = text.replace(f'"uri": "{under}/', '"uri": "')
    return text


def compare(expected: Path, got: str) -> None:
    if os.environ.get("COACH_UPDATE_GOLDEN"):
        expected.parent.mkdir(exist_ok=True)
        expected.write_text(got, encoding="utf-8")
    assert got == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", sorted(CHECK_FORMATS))
def test_check_golden(fmt):
    folder = GOLDEN / "check"
    got = golden_output(folder, ["check", "refusal.md", "macros.yaml", "--format", CHECK_FORMATS[fmt]])
    compare(folder / "expected" / f"{fmt}.{SUFFIX[fmt]}", got)


@pytest.mark.parametrize("fmt", sorted(SCORE_FORMATS))
def test_score_golden(fmt):
    folder = GOLDEN / "score"
    got = golden_output(folder, ["score", "conversations.csv", "--format", SCORE_FORMATS[fmt]])
    compare(folder / "expected" / f"{fmt}.{SUFFIX[fmt]}", got)
