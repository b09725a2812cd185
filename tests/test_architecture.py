"""The library core never imports the CLI (typer) or the terminal renderer (rich): only
coach/cli/ and the rich renderers may. (spaCy itself may load them; that is not coach's doing.)
Inside coach/cli/, only app.py imports the command modules: no import circle."""

import ast
from pathlib import Path

COACH = Path(__file__).resolve().parent.parent / "coach"
ALLOWED = {
    "__main__.py",
    "spark/submit.py",
    "render/terminal.py",
    "render/evaluation.py",
    "render/score_terminal.py",
    "render/check_terminal.py",
    "render/console.py",
    "render/trends_terminal.py",
}
CLI = COACH / "cli"
COMMANDS = {p.stem for p in CLI.glob("*.py")} - {"__init__", "app", "options"}


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
        if rel.startswith("cli/"):
            continue
        bad = imported_roots(path) & {"typer", "rich", "click"}
        if bad and rel not in ALLOWED:
            offenders[rel] = sorted(bad)
    assert not offenders


def test_core_never_imports_the_cli():
    for path in COACH.rglob("*.py"):
        rel = path.relative_to(COACH).as_posix()
        if rel in ALLOWED or rel.startswith("cli/"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "from .cli" not in text and "coach.cli" not in text and "from ..cli" not in text, rel


def sibling_imports(path: Path) -> set[str]:
    """Modules of coach/cli/ that `path` imports (`from . import x`, `from .x import ...`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found |= {alias.name for alias in node.names}
    return found


def test_only_the_app_imports_commands():
    assert {"lint", "score", "check", "eval", "phrasebook"} <= COMMANDS
    for path in CLI.glob("*.py"):
        if path.stem in ("app", "__init__"):
            continue
        assert not sibling_imports(path) & (COMMANDS | {"app"}), path.name
