"""Parquet in and out of `coach score` on one machine: both input shapes, column options, errors,
and the three --per tables of --format parquet."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

pa = pytest.importorskip("pyarrow", reason="pyarrow is the [parquet] extra")
pq = pytest.importorskip("pyarrow.parquet")

from coach.cli import app  # noqa: E402
from coach.errors import InputError  # noqa: E402
from coach.readers import ReaderOptions, read_bytes, read_path  # noqa: E402
from coach.readers import parquet as parquet_reader  # noqa: E402

runner = CliRunner()
BLOCK = "Sadly there's nothing I can do."
FINE = "Let me check what I can do."


@pytest.fixture
def score(test_phrasebook):
    def run(*args, **kwargs):
        return runner.invoke(
            app, ["score", "--no-progress", "--no-defaults", "-p", str(test_phrasebook), "--no-model", *args], **kwargs
        )

    return run


def conversations_table(n=12, **extra):
    rows = {
        "id": [f"c{i}" for i in range(n)],
        "agent": [f"agent{i % 3}" for i in range(n)],
        "turns": [
            [
                {"speaker": "customer", "text": "My order never arrived."},
                {"speaker": "agent", "text": BLOCK if i % 4 == 0 else FINE},
            ]
            for i in range(n)
        ],
    }
    rows.update(extra)
    return pa.table(rows)


def write(table, path, **kwargs):
    pq.write_table(table, str(path), **kwargs)
    return path


def test_conversation_per_row_numbers_records_by_row_and_skips_empty_rows(tmp_path):
    table = pa.table(
        {
            "id": ["a", "b", "c"],
            "turns": [
                [{"speaker": "customer", "text": "Hi"}, {"speaker": "agent", "text": BLOCK, "name": "Jo"}],
                [],
                [{"speaker": "end-user", "text": "Thanks"}, {"speaker": "Support Team", "text": "  "}],
            ],
        }
    )
    warnings = []
    convs = list(read_path(str(write(table, tmp_path / "x.parquet", row_group_size=1)), warn=warnings.append))
    assert [(c.id, c.record, c.line) for c in convs] == [("a", 1, None), ("c", 3, None)]
    assert [t.speaker for t in convs[0].turns] == ["customer", "agent"]
    assert convs[0].agent == "Jo"
    assert [t.text for t in convs[1].turns] == ["Thanks"]  # blank turns dropped
    assert any("row 2" in w and "no readable messages" in w for w in warnings)


def test_struct_fields_and_columns_are_found_by_csv_names_or_options(tmp_path):
    table = pa.table(
        {
            "case_ref": ["T1"],
            "assignee": ["Sam"],
            "messages": [
                [
                    {"role": "requester", "body": "It broke.", "created_at": "10:00"},
                    {"role": "staff", "body": BLOCK, "created_at": "10:05"},
                ]
            ],
        }
    )
    path = write(table, tmp_path / "t.parquet")
    (conv,) = read_path(str(path), ReaderOptions(id_column="Case Ref"))
    assert (conv.id, conv.agent) == ("T1", "Sam")
    assert [(t.speaker, t.time) for t in conv.turns] == [("customer", "10:00"), ("agent", "10:05")]
    (conv,) = read_path(str(path))  # without --id-column: "case_ref" is not an id name, so the row numbers it
    assert conv.id == "t:1"


def test_turn_per_row_groups_consecutive_ids_across_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(parquet_reader, "BATCH_ROWS", 2)
    table = pa.table(
        {
            "call": ["k1", "k1", "k1", "k2", "k2", "k1"],
            "who": ["caller", "agent", "agent", "caller", "agent", "agent"],
            "said": ["Hello", BLOCK, "Bye", "Hi", FINE, "Again"],
            "agent_name": [None, "Ana", None, None, "Bo", None],
        }
    )
    path = write(table, tmp_path / "calls.parquet", row_group_size=3)
    warnings = []
    convs = list(
        read_path(
            str(path), ReaderOptions(id_column="call", speaker_column="who", text_column="said"), warn=warnings.append
        )
    )
    assert [(c.id, c.record, len(c.turns), c.agent) for c in convs] == [
        ("k1", 1, 3, "Ana"),
        ("k2", 4, 2, "Bo"),
        ("k1", 6, 1, None),
    ]
    assert any("appears again" in w for w in warnings)


def test_turn_per_row_without_id_is_one_conversation_named_after_the_file(tmp_path):
    path = write(pa.table({"speaker": ["customer", "agent"], "text": ["Hi", FINE]}), tmp_path / "chat.parquet")
    (conv,) = read_path(str(path))
    assert (conv.id, conv.record) == ("chat", 1)


def test_missing_text_column_names_the_file_and_the_option(tmp_path):
    path = write(pa.table({"speaker": ["agent"], "words": ["hi"]}), tmp_path / "bad.parquet")
    with pytest.raises(InputError) as err:
        list(read_path(str(path)))
    assert err.value.path == str(path) and "--text-column" in str(err.value)
    with pytest.raises(InputError, match="column 'nope' not found"):
        list(read_path(str(path), ReaderOptions(text_column="nope")))


def test_parquet_bytes_are_read_from_stdin_by_their_magic(tmp_path):
    path = write(conversations_table(3), tmp_path / "x.parquet")
    convs = list(read_bytes(path.read_bytes(), "-"))
    assert [c.id for c in convs] == ["c0", "c1", "c2"]


def test_score_reads_parquet_like_jsonl(score, tmp_path):
    table = conversations_table()
    folder = tmp_path / "lake"
    folder.mkdir()
    write(table, folder / "part-0.parquet", row_group_size=5)
    jsonl = tmp_path / "same.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in table.to_pylist()), encoding="utf-8")
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert score(str(folder), "--format", "jsonl", "-o", str(a)).exit_code == 0  # folders find .parquet
    assert score(str(jsonl), "--format", "jsonl", "-o", str(b)).exit_code == 0
    left = [json.loads(line) for line in a.read_text().splitlines()]
    right = [json.loads(line) for line in b.read_text().splitlines()]
    assert len(left) == 12
    for one, other in zip(left, right):
        assert (one["record"], one["line"]) == (right.index(other) + 1, None)  # rows, not lines
        for key in ("source", "line", "record"):
            one.pop(key), other.pop(key)
        assert one == other


def test_broken_parquet_file_is_reported_and_skipped(score, tmp_path):
    good = write(conversations_table(4), tmp_path / "good.parquet")
    torn = tmp_path / "torn.parquet"
    torn.write_bytes(good.read_bytes()[:200])
    out = tmp_path / "o.jsonl"
    r = score(str(torn), str(good), "--format", "jsonl", "-o", str(out))
    assert r.exit_code == 3
    assert "torn.parquet: cannot read as Parquet" in r.output
    assert len(out.read_text().splitlines()) == 4


def read_rows(path):
    return pq.read_table(str(path)).to_pylist()


def test_format_parquet_conversation_rows_hold_the_jsonl_fields(score, tmp_path):
    src = write(conversations_table(), tmp_path / "in.parquet")
    out, lines = tmp_path / "out.parquet", tmp_path / "out.jsonl"
    assert score(str(src), "--format", "parquet", "-o", str(out)).exit_code == 0
    assert score(str(src), "--format", "jsonl", "-o", str(lines)).exit_code == 0
    rows = read_rows(out)
    for row in rows:
        row["counts"] = dict(row["counts"])
    assert rows == [json.loads(line) for line in lines.read_text().splitlines()]


def test_format_parquet_per_turn_and_per_finding_are_flat(score, tmp_path):
    src = write(conversations_table(), tmp_path / "in.parquet")
    turns, findings = tmp_path / "t.parquet", tmp_path / "f.parquet"
    assert score(str(src), "--format", "parquet", "--per", "turn", "-o", str(turns)).exit_code == 0
    assert score(str(src), "--format", "parquet", "--per", "finding", "-o", str(findings)).exit_code == 0
    turn_rows = read_rows(turns)
    assert len(turn_rows) == 24
    assert turn_rows[1]["conversation"] == "c0" and turn_rows[1]["turn"] == 2
    assert dict(turn_rows[1]["counts"]) == {"blocking": 1} and turn_rows[1]["findings"] == 1
    found = read_rows(findings)
    assert {f["conversation"] for f in found if f["category"] == "blocking"} == {"c0", "c4", "c8"}
    assert all(f["finding_source"] == "rule" and f["source"].endswith("in.parquet") for f in found)
    # The rewrite travels too: the turn rewritten on its row and on each of its findings' rows.
    assert turn_rows[1]["rewritten"] and turn_rows[1]["rewritten"] != turn_rows[1]["text"]
    assert turn_rows[0]["rewritten"] is None
    blocking = [f for f in found if f["category"] == "blocking"]
    assert all(f["rewrite"] and f["rewrite"] in f["rewritten"] for f in blocking)


def test_parquet_output_is_written_in_row_groups(tmp_path, analyzer):
    from coach.render.score_parquet import write_parquet

    convs = list(read_path(str(write(conversations_table(7), tmp_path / "in.parquet"))))
    with open(tmp_path / "o.parquet", "wb") as out:
        write_parquet(analyzer.score_conversations(convs), out, group=3)
    meta = pq.ParquetFile(str(tmp_path / "o.parquet")).metadata
    assert (meta.num_row_groups, meta.num_rows) == (3, 7)


def test_per_turn_needs_parquet_and_parquet_needs_a_file_on_a_terminal(score, tmp_path):
    r = score("x.jsonl", "--format", "csv", "--per", "turn")
    assert r.exit_code == 2 and "--per turn needs --format parquet" in r.output


def test_parquet_without_pyarrow_names_the_extra(score, tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    r = score(str(Path(__file__)), "--format", "parquet", "-o", str(tmp_path / "o.parquet"))
    assert r.exit_code == 2 and "coach-cs[parquet]" in r.output


def test_started_at_from_its_column_or_the_first_dated_turn_and_kept_in_parquet(score, tmp_path):
    table = pa.table(
        {
            "id": ["a", "b"],
            "started_at": ["2024-03-04T09:00:00+01:00", None],
            "turns": [
                [{"speaker": "customer", "text": "Hi", "time": "2024-03-04T09:14:27Z"}],
                [
                    {"speaker": "customer", "text": "Hi", "time": "10:00"},
                    {"speaker": "agent", "text": BLOCK, "time": "2024-03-05 10:01:00"},
                ],
            ],
        }
    )
    path = write(table, tmp_path / "dated.parquet")
    convs = list(read_path(str(path)))
    assert [c.started_at for c in convs] == ["2024-03-04T08:00:00Z", "2024-03-05T10:01:00Z"]
    out = tmp_path / "o.parquet"
    assert score(str(path), "--format", "parquet", "-o", str(out)).exit_code == 0
    rows = read_rows(out)
    assert [r["started_at"] for r in rows] == ["2024-03-04T08:00:00Z", "2024-03-05T10:01:00Z"]
    assert [t["time"] for t in rows[1]["turns"]] == ["10:00", "2024-03-05 10:01:00"]
