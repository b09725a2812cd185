"""`coach serve`: a resident HTTP API and web page that lints drafts in milliseconds."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import ExitCode, UsageError
from .options import (
    ConfigOpt,
    IgnoreOpt,
    ModelOpt,
    NoDefaultsOpt,
    NoModelOpt,
    OnlyOpt,
    PhrasebookOpt,
    RedactOpt,
    build_analyzer,
    echo_err,
    handle_errors,
    model_choice,
    project_settings,
    redact_stderr,
)

EXTRA_HINT = 'install it with: pip install "coach-cs[serve]"'


def require_extra(module: str) -> None:
    """A clear usage error, not a traceback, when the optional extra is not installed."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise UsageError(f"this command needs the {module} package; {EXTRA_HINT}")


@handle_errors(exit_code=ExitCode.USAGE)
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).", min=0, max=65535)] = 8088,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="COACH_TOKEN",
            show_envvar=True,
            help="Require `Authorization: Bearer TOKEN` on every /v1/ call (prefer the COACH_TOKEN variable: "
            "arguments show in process lists).",
        ),
    ] = None,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option("--allow-origin", help="Let pages from this origin call the API (CORS); repeatable."),
    ] = None,
    max_body: Annotated[
        int, typer.Option("--max-body", min=1, help="Largest request body in bytes (larger: 413).")
    ] = 1_000_000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Processes sharing the port and the loaded phrasebooks; one per core for many concurrent "
            "users (see the README).",
        ),
    ] = 1,
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = None,
    no_model: NoModelOpt = None,
    model: ModelOpt = None,
    only: OnlyOpt = None,
    ignore: IgnoreOpt = None,
    config: ConfigOpt = None,
    redact: RedactOpt = False,
) -> None:
    """Serve the lint API (POST /v1/lint) and a web page (/) until stopped with Ctrl+C or SIGTERM."""
    redact_stderr(redact)
    require_extra("uvicorn")
    require_extra("starlette")
    from ..serve.run import ServeOptions
    from ..serve.run import serve as run_server
    from ..serve.service import LintService

    settings = project_settings(
        config,
        ".",
        no_defaults=no_defaults,
        model=model_choice(no_model, model),
        select=tuple(only) if only else None,
        ignore=tuple(ignore) if ignore else None,
    )
    analyzer = build_analyzer(phrasebook, None, None, None, settings=settings)
    options = ServeOptions(
        host=host,
        port=port,
        token=token or None,
        allow_origins=list(allow_origin or []),
        max_body=max_body,
        workers=workers,
    )

    def announce(url: str) -> None:
        typer.echo(f"coach serve: listening on {url} (page at /, API at /v1/, OpenAPI at /openapi.json)")

    run_server(LintService(analyzer, redact=redact), options, announce)
    echo_err("coach serve: stopped")
    raise typer.Exit(0)
