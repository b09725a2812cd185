"""The command-line interface: `app` (typer) and `main` (the console script).

`app.py` registers the commands, `options.py` holds what they share, and each
command lives in its own module. The core (`coach/` outside `cli/` and
`render/`) never imports this package.
"""

from .app import app, main

__all__ = ["app", "main"]
