"""The executor side of a Spark job: one Analyzer per Python worker, Arrow batches in and out.

Spark reuses its Python workers between tasks (spark.python.worker.reuse, on by default), so
the analyzer built from a job's `Spec` is kept in this module, keyed by the spec's digest:
phrasebooks are compiled and the model loaded once per worker, not per task or per batch.
Nothing here imports pyspark: the functions run inside `mapInArrow`.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from ..models import Conversation

if TYPE_CHECKING:  # pragma: no cover
    from ..analyzer import Analyzer
    from ..readers.parquet import Layout

#: Conversations per output Arrow batch (a few MB; Spark sends batches as they come).
OUT_CONVERSATIONS = 1000
_ANALYZERS: dict[str, Analyzer] = {}


@dataclass(frozen=True)
class Spec:
    """What an executor needs to rebuild the driver's analyzer: the selected rules (custom
    phrasebooks included, already validated), the selection, and the model: True (bundled,
    it ships in the wheel), False, or a model folder's files as bytes."""

    rules: tuple
    only: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    model: Any = True  # bool, or {file name: bytes}
    key: str = field(default="", compare=False)

    @classmethod
    def of(cls, analyzer: Analyzer) -> Spec:
        model: Any = analyzer.model if analyzer.model is not None else False
        if not isinstance(model, bool):  # a team's model folder travels as its files
            folder = os.fspath(model)
            files: dict[str, bytes] = {}
            for name in sorted(os.listdir(folder)):
                if os.path.isfile(os.path.join(folder, name)):
                    with open(os.path.join(folder, name), "rb") as handle:
                        files[name] = handle.read()
            model = files
        spec = cls(tuple(analyzer.rules), tuple(analyzer.only), tuple(analyzer.ignore), model)
        digest = hashlib.sha256(pickle.dumps((spec.rules, spec.only, spec.ignore, spec.model))).hexdigest()
        object.__setattr__(spec, "key", digest[:24])
        return spec

    def build(self) -> Analyzer:
        from ..analyzer import Analyzer

        model: Any = self.model
        if isinstance(model, dict):
            folder = tempfile.mkdtemp(prefix="coach-model-")
            for name, data in model.items():
                with open(os.path.join(folder, os.path.basename(name)), "wb") as out:
                    out.write(data)
            model = folder
        return Analyzer(list(self.rules), only=self.only, ignore=self.ignore, model=model)


def analyzer_for(key: str, spec: Any) -> Analyzer:
    """This worker's analyzer for the job's spec (`spec` is the Spec, or a broadcast of it,
    read only the first time)."""
    analyzer = _ANALYZERS.get(key)
    if analyzer is None:
        import gc

        from ..gcpause import paused

        value = spec.value if hasattr(spec, "value") else spec
        with paused():  # as the CLI starts: no collections while ~10^5 long-lived objects are built
            analyzer = value.build().compile()
        gc.freeze()  # and later collections skip them (spaCy's and the matchers' objects)
        _ANALYZERS[key] = analyzer
    return analyzer


def conversations(
    batches: Iterable,
    layout: Layout,
    *,
    fields: Sequence[str | None] | None,
    names: dict[str, str],
    agent_names: tuple[str, ...],
    whole_file: bool,
) -> Iterator[Conversation]:
    """Conversations from batches of rows in the shape `layout` names, plus `__source` and
    `__record` columns; empty ones, and those over the readers' limits, are skipped, as
    `coach score` skips them."""
    from ..readers import _dated, _fitting
    from ..readers._context import Context, ReaderOptions
    from ..readers.parquet import _stem, from_batch

    def read() -> Iterator[Conversation]:
        for batch in batches:
            cols = batch.schema.names
            sources = [
                names.get(s, s) if s is not None else "" for s in batch.column(cols.index("__source")).to_pylist()
            ]
            records = batch.column(cols.index("__record")).to_pylist()
            for _, conv in from_batch(
                batch, layout, sources=sources, records=records, agent_names=agent_names, fields=fields
            ):
                if conv is not None:
                    yield _with_id(conv, _stem(conv.source)) if whole_file else conv

    # The limits and the start time every reader gets (coach.readers), skipping what breaks a limit.
    skip = Context("", ReaderOptions(), lambda message: None, lambda error: None)
    yield from _dated(_fitting(read(), skip))


def _with_id(conv: Conversation, conv_id: str) -> Conversation:
    import dataclasses

    return dataclasses.replace(conv, id=conv_id)


def score_batches(
    batches: Iterable,
    *,
    key: str,
    spec: Any,
    layout: Layout,
    per: str,
    as_json: bool,
    fields: Sequence[str | None] | None = None,
    names: dict[str, str] | None = None,
    agent_names: tuple[str, ...] = (),
    whole_file: bool = False,
    counter: Any = None,
) -> Iterator:
    """The function `mapInArrow` runs: Arrow batches of conversations (or grouped turns) in,
    batches of the --per table (or of JSON lines) out, in input order."""
    import pyarrow as pa

    from ..render.score_parquet import to_batch

    analyzer = analyzer_for(key, spec)
    convs = conversations(
        batches, layout, fields=fields, names=names or {}, agent_names=agent_names, whole_file=whole_file
    )
    reports = analyzer.score_conversations(convs)
    json_schema = pa.schema([("value", pa.string())])
    while chunk := list(islice(reports, OUT_CONVERSATIONS)):
        if counter is not None:
            counter.add(len(chunk))
        if as_json:
            from ..render.score_json import conversation_result

            lines = [json.dumps(conversation_result(r), ensure_ascii=False) for r in chunk]
            yield pa.RecordBatch.from_arrays([pa.array(lines, pa.string())], schema=json_schema)
        else:
            yield to_batch(chunk, per)
