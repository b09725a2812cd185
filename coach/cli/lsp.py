"""`coach lsp`: a language server over stdio, for canned replies in an editor."""

from __future__ import annotations

import importlib.util

from ..errors import ExitCode, UsageError
from .options import (
    ConfigOpt,
    IgnoreOpt,
    ModelOpt,
    NoDefaultsOpt,
    NoModelOpt,
    OnlyOpt,
    PhrasebookOpt,
    handle_errors,
    model_choice,
)


@handle_errors(exit_code=ExitCode.USAGE)
def lsp(
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = None,
    no_model: NoModelOpt = None,
    model: ModelOpt = None,
    only: OnlyOpt = None,
    ignore: IgnoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Speak the Language Server Protocol on stdin/stdout: diagnostics, quick fixes and hovers."""
    if importlib.util.find_spec("pygls") is None:
        raise UsageError('this command needs the pygls package; install it with: pip install "coach-cs[serve]"')
    from ..serve.lsp import LspOptions, run

    run(
        LspOptions(
            phrasebooks=[str(p) for p in phrasebook or []],
            no_defaults=no_defaults,
            model=model_choice(no_model, model),
            only=tuple(only or ()),
            ignore=tuple(ignore or ()),
            config=config,
        )
    )
