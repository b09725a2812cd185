"""Golden files: `coach lint --format json` on every tests/data/golden/lint/*.txt must equal
the .json beside it. Regenerate after an intended change with COACH_UPDATE_GOLDEN=1."""

import json
import os
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
        result = CliRunner().invoke(app, ["lint", "--no-defaults", "--no-model", "-p", str(test_phrasebook),
                                          "--format", "json", "--fail-on", "never", "--file", case.name])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    expected_path = case.with_suffix(".json")
    if os.environ.get("COACH_UPDATE_GOLDEN"):
        expected_path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(expected_path.read_text(encoding="utf-8"))
