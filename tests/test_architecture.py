"""The library core never imports the CLI (typer) or the terminal renderer (rich): only
cli*.py and the rich renderers may. (spaCy itself may load them; that is not coach's doing.)"""

import ast
from pathlib import Path

COACH = Path(__file__).resolve().parent.parent / "coach"
ALLOWED = {"cli.py", "cli_authoring.py", "cli_check.py", "cli_score.py", "__main__.py",
           "render/terminal.py", "render/evaluation.py", "render/score_terminal.py", "render/check_terminal.py"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_imports_neither_typer_nor_rich():
    offenders = {}
    for path in COACH.rglob("*.py"):
        rel = path.relative_to(COACH).as_posix()
        bad = imported_roots(path) & {"typer", "rich", "click"}
        if bad and rel not in ALLOWED:
            offenders[rel] = sorted(bad)
    assert not offenders


def test_core_never_imports_the_cli():
    for path in COACH.rglob("*.py"):
        rel = path.relative_to(COACH).as_posix()
        if rel in ALLOWED:
            continue
        text = path.read_text(encoding="utf-8")
        assert "from .cli" not in text and "coach.cli" not in text and "from ..cli" not in text, rel
