"""Score conversations held in an Apache Spark DataFrame (`pip install "coach-cs[spark]"`).

    from coach.spark import score
    results = score(spark.read.parquet("s3://lake/transcripts/2026-11-*"))
    results.write.parquet("s3://lake/coach/2026-11")

`score` takes a DataFrame of conversations (a `turns` list of structs per row) or of turns
(one per row, grouped by conversation id) and returns one of per-conversation results with
the fields of `coach score --format jsonl` (turns and findings nested), or a flat table of
turns or findings (`per=`). The work runs by partition through `mapInArrow`: Arrow batches go
to each Python worker, which builds the analyzer once (phrasebooks compiled, model loaded)
and keeps it for every later task. pyspark is imported only when these functions run.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..readers._context import ReaderOptions
from .worker import Spec

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

    from ..analyzer import Analyzer

__all__ = ["score", "findings_of", "require_pyspark"]

FINDING_FIELDS = (
    "rule",
    "category",
    "element",
    "severity",
    "start",
    "end",
    "line",
    "column",
    "text",
    "message",
    "rewrites",
    "rewrite",
)


def require_pyspark():
    """pyspark's SQL functions, or a usage error that says which extra brings them."""
    import warnings

    # pyspark warns about pandas 3 on import and whenever an Arrow UDF is declared; coach hands
    # it Arrow batches, never pandas.
    warnings.filterwarnings("ignore", message=".*does not yet fully support pandas", category=FutureWarning)
    try:
        import pyarrow  # noqa: F401
        from pyspark.sql import functions
    except ImportError:
        raise UsageError("the Spark engine needs pyspark and pyarrow", hint='pip install "coach-cs[spark]"') from None
    return functions


def score(
    df: DataFrame,
    *,
    analyzer: Analyzer | None = None,
    phrasebooks: Iterable[str] = (),
    defaults: bool = True,
    only: Iterable[str] = (),
    ignore: Iterable[str] = (),
    model: Any = True,
    id_column: str | None = None,
    speaker_column: str | None = None,
    text_column: str | None = None,
    agent_column: str | None = None,
    time_column: str | None = None,
    name_column: str | None = None,
    agent_names: Iterable[str] = (),
    order_column: str | None = None,
    per: str = "conversation",
    findings: bool = False,
    as_json: bool = False,
    sources: dict[str, str] | None = None,
    counter: Any = None,
):
    """Score every conversation of `df`; returns the results DataFrame, or (results, findings)
    with `findings=True` (results are then persisted, so the two share one scoring pass).

    Columns are found as `coach score` finds them in Parquet and CSV (or named with the
    *_column arguments). Where a conversation is (`source`, `record`) comes from the files the
    DataFrame was read from (Spark's `_metadata`: the file and its row); `sources` renames
    file URIs. A DataFrame built otherwise needs an id column, and for a turn per row an
    `order_column` that orders turns. `per`: "conversation" (nested, JSONL's fields), "turn"
    or "finding" (flat); `as_json`: one `value` column holding each conversation's JSONL line;
    `counter`: a Spark accumulator that counts the conversations scored.
    """
    F = require_pyspark()
    from ..render.score_parquet import PER, arrow_schema
    from . import worker

    if per not in PER:
        raise UsageError(f"per must be one of {', '.join(PER)}, not {per!r}")
    if analyzer is None:
        from ..analyzer import Analyzer

        analyzer = Analyzer(phrasebooks=list(phrasebooks), defaults=defaults, only=only, ignore=ignore, model=model)
    spec = Spec.of(analyzer)
    options = ReaderOptions(
        agent_names=tuple(agent_names),
        id_column=id_column,
        speaker_column=speaker_column,
        text_column=text_column,
        agent_column=agent_column,
        time_column=time_column,
        name_column=name_column,
    )
    layout = spark_layout(df.schema, options)
    framed, placed = _with_position(df, F, order_column)
    if not placed and layout.id is None:
        raise UsageError(
            "the DataFrame has no conversation id column and was not read from files", hint="name one with id_column="
        )
    fields = None
    whole_file = False
    if layout.shape == "turns":
        if not placed and order_column is None:
            raise UsageError("a DataFrame of turns not read from files needs order_column= to order them")
        framed, layout, fields = _grouped(framed, layout, F)
        whole_file = layout.id is None
    else:
        framed = framed.select(*layout.columns, "__source", "__record")
    from pyspark.sql.pandas.types import from_arrow_schema
    from pyspark.sql.types import StringType, StructField, StructType

    out_schema = StructType([StructField("value", StringType())]) if as_json else from_arrow_schema(arrow_schema(per))
    run = functools.partial(
        worker.score_batches,
        key=spec.key,
        spec=_shipped(df, spec),
        layout=layout,
        per=per,
        as_json=as_json,
        fields=fields,
        names=dict(sources or {}),
        agent_names=tuple(agent_names),
        whole_file=whole_file,
        counter=counter,
    )
    results = framed.mapInArrow(run, out_schema)
    if not findings:
        return results
    if as_json or per != "conversation":
        raise UsageError("findings=True needs per='conversation' results")
    results = results.persist()
    return results, findings_of(results)


def findings_of(results: DataFrame) -> DataFrame:
    """The flat findings table (the columns of per="finding") of a per-conversation results DataFrame."""
    F = require_pyspark()
    head = ["conversation", "source", "record", "agent", "channel", "started_at", "score"]
    turns = results.select(*head, F.explode("turns").alias("t"))
    found = turns.select(
        *head,
        F.col("t.index").alias("index"),
        F.col("t.turn").alias("turn"),
        F.col("t.speaker").alias("speaker"),
        F.col("t.time").alias("time"),
        F.col("t.rewritten").alias("rewritten"),
        F.explode("t.findings").alias("f"),
    )
    return found.select(
        *head,
        "index",
        "turn",
        "speaker",
        "time",
        *[F.col(f"f.{n}").alias(n) for n in FINDING_FIELDS],
        F.col("f.source").alias("finding_source"),
        F.col("f.confidence").alias("confidence"),
        "rewritten",
    )


def spark_layout(schema, options: ReaderOptions):
    """The Parquet reader's column layout, for a Spark schema."""
    from pyspark.sql.types import ArrayType, StructType

    from ..readers.parquet import find_layout

    structs = {
        f.name: [s.name for s in f.dataType.elementType.fields]
        for f in schema.fields
        if isinstance(f.dataType, ArrayType) and isinstance(f.dataType.elementType, StructType)
    }
    return find_layout(schema.names, structs, options)


def _with_position(df, F, order_column: str | None):
    """`df` with `__source` (the file) and `__record` (its 1-based row); (df, True) when it
    was read from files, else nulls (or `order_column` as the record) and False."""
    try:
        from pyspark.errors import AnalysisException
    except ImportError:  # pragma: no cover - pyspark < 3.4
        from pyspark.sql.utils import AnalysisException
    try:
        framed = df.select(
            "*", F.col("_metadata.file_path").alias("__source"), (F.col("_metadata.row_index") + 1).alias("__record")
        )
        _ = framed.schema  # resolves the plan: raises here when there is no file metadata
        return framed, True
    except AnalysisException:
        record = F.col(order_column).cast("long") if order_column else F.lit(None).cast("long")
        return df.select("*", F.lit(None).cast("string").alias("__source"), record.alias("__record")), False


def _grouped(framed, layout, F):
    """A turn per row, grouped by (file, conversation id): turns sorted by row, the
    conversation's record its first row. Returns (DataFrame, its layout, the struct fields)."""
    from ..readers.parquet import Layout

    parts = [F.col("__record").alias("__row")]
    names = []
    for column, alias in (
        (layout.speaker, "speaker"),
        (layout.text, "text"),
        (layout.name, "name"),
        (layout.time, "time"),
        (layout.agent, "agent"),
    ):
        if column is not None:
            parts.append(F.col(column).alias(alias))
        names.append(alias if column is not None else None)
    keys = ["__source"] + ([layout.id] if layout.id is not None else [])
    grouped = framed.groupBy(*keys).agg(
        F.min("__record").alias("__record"), F.sort_array(F.collect_list(F.struct(*parts))).alias("turns")
    )
    new = Layout(
        "conversations",
        id=layout.id,
        agent=None,
        channel=None,
        speaker="speaker",
        text="text",
        name=names[2],
        time=names[3],
        turns="turns",
    )
    return grouped, new, tuple(names)


def _shipped(df, spec: Spec):
    """The spec as a broadcast (sent to each executor once), or as is where the session has no
    SparkContext (Spark Connect): then it travels inside each task's closure."""
    try:
        return df.sparkSession.sparkContext.broadcast(spec)
    except Exception:  # noqa: BLE001 - Spark Connect raises its own error types here
        return spec
