"""`coach score`: batch-score exported transcripts per conversation and per agent."""

from __future__ import annotations

import contextlib
import enum
import glob
import os
import signal
import sys
from typing import Annotated

import typer

from ..errors import UsageError
from ..inputs import InputPosition, ScoreRun
from .options import (
    ConfigOpt,
    IgnoreOpt,
    ModelOpt,
    NoColorOpt,
    NoDefaultsOpt,
    NoModelOpt,
    OnlyOpt,
    PhrasebookOpt,
    RedactOpt,
    build_analyzer,
    collecting_warnings,
    echo_err,
    handle_errors,
    make_console,
    redact_stderr,
    warn,
)


class ScoreFormat(str, enum.Enum):
    rich = "rich"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    html = "html"
    parquet = "parquet"


class Per(str, enum.Enum):
    conversation = "conversation"
    turn = "turn"
    finding = "finding"
    agent = "agent"


class EngineName(str, enum.Enum):
    local = "local"
    spark = "spark"


class Stop(Exception):
    """Raised in the main thread by SIGTERM so the run ends like Ctrl-C."""


def _input_warn(message: str) -> None:
    """A warning about an input: one line (ids and names taken from a file may hold line
    breaks and control characters; warn shows them escaped)."""
    warn(message)


def _on_sigterm(signum, frame):  # pragma: no cover - exercised in a subprocess test
    raise Stop()


@handle_errors()
def score(
    paths: Annotated[list[str], typer.Argument(help="Transcript files, folders, globs, .gz, or '-' for stdin.")],
    format_in: Annotated[
        str | None, typer.Option("--format-in", help="Force the input format instead of sniffing it.")
    ] = None,
    agent_name: Annotated[
        list[str] | None,
        typer.Option("--agent-name", help="A speaker name that is an agent, for chat logs that use names."),
    ] = None,
    id_column: Annotated[str | None, typer.Option(help="CSV: conversation id column.")] = None,
    speaker_column: Annotated[str | None, typer.Option(help="CSV: speaker/role column.")] = None,
    text_column: Annotated[str | None, typer.Option(help="CSV: text column.")] = None,
    agent_column: Annotated[str | None, typer.Option(help="CSV: agent name column.")] = None,
    time_column: Annotated[str | None, typer.Option(help="CSV: time column.")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Decode inputs with this codec (default UTF-8, invalid bytes replaced).")
    ] = None,
    fmt: Annotated[ScoreFormat, typer.Option("--format", help="Output format.")] = ScoreFormat.rich,
    per: Annotated[
        Per,
        typer.Option(
            help="CSV rows: one per conversation, finding or agent; Parquet: per conversation, turn or finding."
        ),
    ] = Per.conversation,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only conversations that started on or after this date (YYYY-MM-DD, ISO time, or 7d / 4w back)."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Only conversations that started on or before this date (a date includes that whole day)."),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store", help="Also keep this run in a results store: a SQLite file, or postgresql://user@host/db."
        ),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write here (atomically) instead of stdout.")
    ] = None,
    top: Annotated[int, typer.Option(help="How many worst conversations and rules to show.", min=1)] = 10,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.", min=1)] = 1,
    phrasebook: PhrasebookOpt = None,
    no_defaults: NoDefaultsOpt = None,
    no_model: NoModelOpt = None,
    model: ModelOpt = None,
    only: OnlyOpt = None,
    ignore: IgnoreOpt = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr (default: when a terminal).")
    ] = sys.stderr.isatty() if sys.stderr else False,
    config: ConfigOpt = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted --format jsonl --output run.")
    ] = False,
    redact: RedactOpt = False,
    no_color: NoColorOpt = False,
    engine: Annotated[
        EngineName,
        typer.Option(
            help="local: this machine (--jobs); spark: an Apache Spark job writing OUTDIR "
            '(pip install "coach-cs[spark]"; see docs/spark.md).'
        ),
    ] = EngineName.local,
    master: Annotated[
        str | None,
        typer.Option(
            help="--engine spark: the Spark master (local[*], spark://host:7077, yarn; default: "
            "spark-submit's or local[*])."
        ),
    ] = None,
) -> None:
    """Score transcripts: per conversation and per agent, advocacy vs blocking and apologies."""
    from ..aggregate import Summary
    from ..atomic import atomic_writer, resumable_jsonl
    from ..exitcodes import exit_code
    from ..readers import ReaderOptions
    from ..timewindow import TimeWindow

    redact_stderr(redact)
    window = TimeWindow.parse(since, until)
    if engine is EngineName.spark and fmt is ScoreFormat.rich:  # the default: a Spark job writes Parquet
        fmt = ScoreFormat.parquet
    if per is Per.turn and fmt is not ScoreFormat.parquet:
        raise UsageError("--per turn needs --format parquet")
    if fmt is ScoreFormat.parquet:
        if per is Per.agent:
            raise UsageError("--per agent needs --format csv")
        from ..readers.parquet import require_pyarrow

        require_pyarrow()
        if output in (None, "-") and sys.stdout.isatty() and engine is EngineName.local:
            raise UsageError("--format parquet is binary: give --output FILE")
    if master is not None and engine is not EngineName.spark:
        raise UsageError("--master needs --engine spark")
    options = ReaderOptions(
        format=format_in,
        agent_names=tuple(agent_name or ()),
        id_column=id_column,
        speaker_column=speaker_column,
        text_column=text_column,
        agent_column=agent_column,
        time_column=time_column,
        encoding=encoding,
    )
    missing = [p for p in paths if p != "-" and not os.path.exists(p) and not glob.has_magic(p)]
    if missing:
        raise UsageError(f"{missing[0]}: no such file or folder", hint="check the path")
    start = next((p for p in paths if p != "-"), ".")
    analyzer = build_analyzer(
        phrasebook, no_defaults, only, ignore, config=config, start=start, no_model=no_model, model=model
    )
    if engine is EngineName.spark:
        for flag, given in (("--since", since), ("--until", until), ("--store", store)):
            if given:
                raise UsageError(
                    f"{flag} is for --engine local",
                    hint="filter the Parquet by date in Spark; store the results in a later step",
                )
        _spark(
            ScoreRun(analyzer, paths, options, jobs=jobs, redact=redact, warn=_input_warn),
            output,
            fmt,
            per,
            master,
            resume=resume,
            progress=progress,
        )
        return
    analyzer.compile()  # build the matchers now, then let the collector run for the long haul
    writer = _open_store(store, analyzer, paths) if store else None
    from ..gcpause import settle

    settle()
    lost: list = []

    def on_lost(chunk) -> None:
        lost.append(chunk)
        _input_warn(chunk.describe())

    run = ScoreRun(
        analyzer,
        paths,
        options,
        jobs=jobs,
        redact=redact,
        window=None if window.open else window,
        warn=_input_warn,
        on_lost=on_lost,
    )

    summary = Summary(top=top)
    console = make_console(no_color)
    resumable = fmt is ScoreFormat.jsonl and output not in (None, "-")
    if resume and not resumable:
        raise UsageError("--resume needs --format jsonl and --output PATH")
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    # Warnings print above the progress bar (repeats summarized when the run ends); the bar is gone
    # before the report starts.
    job = None
    with collecting_warnings() as warnings:
        try:
            with ProgressBar(progress, no_color, run.position, warnings) as tick:
                if resumable:
                    assert output is not None  # resumable means an --output path
                    with resumable_jsonl(output, resume) as job:
                        if job.done:
                            warn(f"resuming: {len(job.done)} conversation(s) already in the output are skipped")
                        if job.resumed_from and os.path.basename(job.resumed_from).startswith("."):
                            warn(f"resumed from {job.resumed_from}, left by a run that was killed")
                        run.skip = job.done
                        _write(fmt, per, _counted(run.reports(), summary, tick, writer), summary, job.out, top)
                else:
                    reports = run.reports()
                    with atomic_writer(
                        output if fmt is not ScoreFormat.rich else None,
                        mode="wb" if fmt is ScoreFormat.parquet else "w",
                    ) as out:
                        _write(fmt, per, _counted(reports, summary, tick, writer), summary, out, top)
            if writer is not None:
                writer.finish()
        except (KeyboardInterrupt, Stop):
            if resumable and job is not None and job.kept_in:
                where = f"; whole lines are kept in {job.kept_in}: run again with --resume to continue"
            else:
                where = f"; {output} was not written" if output else ""
            if writer is not None:
                writer.finish("interrupted")
                where += f"; {writer.stored} whole conversations are in the store"
            echo_err(f"coach: interrupted after {summary.conversations} conversations{where}")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None  # `coach score ... | head`: the reader has what it wanted
        finally:
            signal.signal(signal.SIGTERM, previous)
            if writer is not None:
                if not writer.closed:  # an error ended the run: its whole batches stay, marked failed
                    with contextlib.suppress(Exception):
                        writer.finish("failed")
                writer.store.close()
    if run.undated:
        warn(
            f"{len(run.undated)} conversation(s) have no date and were left out by --since/--until "
            f"(the first: {run.undated[0]})"
        )
    if fmt is ScoreFormat.rich:
        from ..render.score_terminal import render_score

        try:
            render_score(summary, console, top=top)
        except BrokenPipeError:
            raise typer.Exit(0) from None
    if run.failed or lost:
        echo_err(f"coach: {len(run.failed) + len(lost)} input problem(s); {summary.conversations} conversations scored")
        raise typer.Exit(int(exit_code(input_failed=True)))


def _spark(
    run: ScoreRun, output: str | None, fmt: ScoreFormat, per: Per, master: str | None, *, resume: bool, progress: bool
) -> None:
    """--engine spark: the same analyzer, run as a Spark job (coach.spark.job) into a folder."""
    from ..spark.job import run_job

    for flag, given in (("--redact", run.redact), ("--resume", resume), ("--jobs", run.jobs != 1)):
        if given:
            raise UsageError(
                f"{flag} is for --engine local",
                hint="Spark retries failed tasks itself; its parallelism is --master local[N] or the cluster's"
                if flag != "--redact"
                else "redact the results in a later step",
            )
    with collecting_warnings():
        _, failed = run_job(
            run.paths,
            output=output,
            fmt=fmt.value,
            per=per.value,
            master=master,
            options=run.options,
            analyzer=run.analyzer,
            warn=run.warn,
            echo=echo_err,
            progress=progress,
        )
    if failed:
        echo_err(f"coach: {len(failed)} input problem(s)")
        raise typer.Exit(3)


def _counted(reports, summary, tick, writer=None):
    for report in reports:
        summary.add(report)
        if writer is not None:
            writer.add(report)
        tick()
        yield report


def _open_store(target: str, analyzer, paths: list[str]):
    """The store's writer for this run, opened (and migrated) before any scoring starts, so a bad
    URL or an unwritable file fails at once."""
    from ..store import fingerprints, open_store

    rules, model, both = fingerprints(analyzer)
    store = open_store(target)
    return store.begin_run(
        inputs=[os.path.abspath(p) if p != "-" else p for p in paths],
        rules_fingerprint=rules,
        model_fingerprint=model,
        fingerprint=both,
    )


class ProgressBar:
    """A rich progress bar on stderr, or a no-op. With the inputs' total size known, the
    bar, percentage and ETA follow the bytes read; the count and rate are conversations."""

    def __init__(self, enabled: bool, no_color: bool, position: InputPosition | None = None, warnings=None) -> None:
        self.enabled = enabled
        self.no_color = no_color
        self.position = position or InputPosition()
        self.warnings = warnings
        self.bar = None
        self._printer = None

    def __enter__(self):
        if not self.enabled:
            return lambda: None
        from ..render.score_terminal import make_progress

        bar = self.bar = make_progress(make_console(self.no_color, stderr=True))
        task = self.bar.add_task("scoring", total=None, conversations=0)
        if self.warnings is not None:  # through the live display: each lands above the bar, whole
            self._printer = self.warnings.printer
            bar_console = self.bar.console
            self.warnings.printer = lambda line: bar_console.print(line, markup=False, highlight=False, soft_wrap=True)
        self.bar.start()
        scored = 0

        def tick() -> None:
            nonlocal scored
            scored += 1
            total = self.position.total  # known once the inputs are listed
            if total:
                bar.update(task, total=total, completed=self.position.scored(), conversations=scored)
            else:
                bar.update(task, completed=scored, conversations=scored)

        return tick

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        if self._printer is not None:
            self.warnings.printer = self._printer
        return False


def _write(fmt: ScoreFormat, per: Per, reports, summary, out, top: int) -> None:
    """Write a streaming format as reports come; for the terminal only fold them into `summary`
    (the report is printed once the progress bar is gone)."""
    if fmt is ScoreFormat.jsonl:
        from ..render.score_json import write_jsonl

        write_jsonl(reports, out)
    elif fmt is ScoreFormat.json:
        from ..render.score_json import write_json

        write_json(reports, summary, out)
    elif fmt is ScoreFormat.csv:
        from ..render.score_csv import write_csv

        write_csv(reports, out, per=per.value, summary=summary)
    elif fmt is ScoreFormat.html:
        from ..render.html import write_html

        write_html(summary, reports, out, title="coach score")  # it reads them all before writing
    elif fmt is ScoreFormat.parquet:
        from ..render.score_parquet import write_parquet

        write_parquet(reports, out, per=per.value)
    else:
        for _ in reports:  # fold everything into the summary first
            pass
