"""coach: coach customer-service language — advocacy vs blocking phrases and apology completeness.

The library API never imports the CLI (typer) or the terminal renderer (rich):

    from coach import Analyzer
    report = Analyzer().lint_text("There's nothing I can do.")
"""

from __future__ import annotations

__version__ = "0.1.0"
#: Where coach's documentation is published; each rule's help link (SARIF `helpUri`) points into it.
DOCS_URL = "https://github.com/coach-cs/coach/blob/main/docs/"
__all__ = ["Analyzer", "__version__"]


def __getattr__(name: str):
    # Lazy, so `import coach` stays cheap and `coach --help` never loads spaCy.
    if name == "Analyzer":
        from .analyzer import Analyzer

        return Analyzer
    raise AttributeError(name)
