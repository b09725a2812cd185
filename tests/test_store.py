"""The results store, on SQLite and on a real PostgreSQL server: migrations, versions, transactions,
trends, and `coach score --store` / `coach trends` / `coach report` end to end."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sqlite3

import pytest
from typer.testing import CliRunner

from coach.cli.app import app
from coach.errors import UsageError
from coach.models import Apology, ConversationReport, Finding, TurnReport
from coach.store import open_store
from coach.store.backends import connect, expand, redacted_url
from coach.store.migrations import LATEST, MIGRATIONS, migrate, version
from coach.store.trends import period_of, periods_between, sparkline, trends
from coach.timewindow import TimeWindow

runner = CliRunner()


def finding(
    rule: str,
    category: str,
    text: str = "x",
    rewrite: str | None = None,
    element=None,
    source: str = "rule",
    confidence: float | None = None,
) -> Finding:
    return Finding(
        rule,
        category,
        element,
        "warning",
        0,
        len(text),
        1,
        1,
        text,
        "m",
        (rewrite,) if rewrite else (),
        source,
        confidence,
    )


def report(
    conv: str,
    agent: str | None,
    started_at: str | None,
    score: int = 80,
    *,
    agent_findings: tuple[Finding, ...] = (),
    turns: int = 1,
) -> ConversationReport:
    counts: dict[str, int] = {}
    for f in agent_findings:
        counts[f.category] = counts.get(f.category, 0) + 1
    turn_reports = [TurnReport(0, "customer", None, "hello")]
    turn_reports += [TurnReport(i + 1, "agent", agent, "reply", agent_findings if i == 0 else ()) for i in range(turns)]
    offered = any(f.category == "apology" for f in agent_findings)
    return ConversationReport(
        conv,
        "in.jsonl",
        agent,
        "chat",
        score,
        Apology(offered, completeness=0.5 if offered else None),
        False,
        tuple(sorted(counts.items())),
        tuple(turn_reports),
        started_at=started_at,
    )


def store_run(url: str, reports, fingerprint: str = "fp-1", batch: int = 500) -> int:
    with open_store(url) as store:
        writer = store.begin_run(
            inputs=["in.jsonl"],
            rules_fingerprint=fingerprint,
            model_fingerprint=None,
            fingerprint=fingerprint,
            batch=batch,
        )
        for r in reports:
            writer.add(r)
        writer.finish()
        return writer.run_id


def rows(url: str, sql: str, params=None) -> list[tuple]:
    with open_store(url) as store:
        return store.db.execute(sql, params or {})


# -- migrations ---------------------------------------------------------------------------------
def test_a_new_store_has_every_migration_and_the_documented_tables(store_url):
    with open_store(store_url) as store:
        assert version(store.db) == LATEST == len(MIGRATIONS)
        assert {
            "runs",
            "conversations",
            "findings",
            "latest_conversations",
            "latest_findings",
            "coach_schema",
        } <= store.db.tables()
        assert migrate(store.db) == []  # applied once only


def test_migrations_upgrade_an_older_store_in_order(store_url):
    backend = connect(store_url)
    try:
        assert migrate(backend, upto=1) == [1]
        assert "latest_conversations" not in backend.tables()
    finally:
        backend.close()
    store_run(store_url, [report("c1", "Sam", "2024-03-01T10:00:00Z")])
    with open_store(store_url) as store:  # opening migrates to the latest
        assert version(store.db) == LATEST
        assert store.db.execute("SELECT conversation FROM latest_conversations") == [("c1",)]
        numbers = [r[0] for r in store.db.execute("SELECT version FROM coach_schema ORDER BY version")]
        assert numbers == [n for n, _, _ in MIGRATIONS]


def test_a_store_newer_than_coach_is_refused(store_url):
    store_run(store_url, [])
    with open_store(store_url) as store:
        store.db.execute(
            "INSERT INTO coach_schema (version, name, applied_at) VALUES (:v, 'future', 'now')", {"v": LATEST + 1}
        )
    with pytest.raises(UsageError, match="newer than this coach"):
        open_store(store_url)


def test_a_database_that_is_not_a_store_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE runs (x)")
    with pytest.raises(UsageError, match="not a coach results store"):
        open_store(str(path))
    with pytest.raises(UsageError, match="no such results store"):
        open_store(str(tmp_path / "missing.db"), create=False)


def test_store_targets_and_list_parameters():
    assert redacted_url("postgresql://sam:secret@db/coach") == "postgresql://sam:***@db/coach"
    with pytest.raises(UsageError, match="postgresql://"):
        connect("mysql://db/coach")
    sql, params = expand("SELECT 1 WHERE a IN (:ids) AND b = :b", {"ids": [1, 2], "b": 3})
    assert sql == "SELECT 1 WHERE a IN (:ids_0, :ids_1) AND b = :b" and params == {"ids_0": 1, "ids_1": 2, "b": 3}


# -- versions -----------------------------------------------------------------------------------
def test_rescoring_with_the_same_rules_replaces_and_other_rules_add_a_version(store_url):
    first = [
        report("c1", "Sam", "2024-03-01T10:00:00Z", 60, agent_findings=(finding("blocking.a", "blocking"),)),
        report("c2", "Kim", "2024-03-02T10:00:00Z", 90),
    ]
    store_run(store_url, first)
    store_run(store_url, [dataclasses.replace(first[0], score=70)])  # same rules: replaced
    assert rows(store_url, "SELECT conversation, score, latest FROM conversations ORDER BY conversation") == [
        ("c1", 70, True),
        ("c2", 90, True),
    ]
    assert rows(store_url, "SELECT count(*) FROM findings") == [(1,)]  # the old version's finding went with it
    store_run(store_url, [dataclasses.replace(first[0], score=50)], fingerprint="fp-2")  # other rules: a version
    assert rows(
        store_url, "SELECT score, fingerprint, latest FROM conversations WHERE conversation = 'c1' ORDER BY score"
    ) == [(50, "fp-2", True), (70, "fp-1", False)]
    with open_store(store_url) as store:  # queries read the latest version only
        result = trends(store, by="day")
    assert {(a.agent, a.total.conversations, a.total.mean_score) for a in result.agents} == {
        ("Sam", 1, 50.0),
        ("Kim", 1, 90.0),
    }


def test_runs_record_what_scored_them(store_url):
    run = store_run(store_url, [report("c1", "Sam", None)])
    ((status, version_, rules, inputs, n, finished),) = rows(
        store_url,
        "SELECT status, coach_version, rules_fingerprint, inputs, conversations, finished_at FROM runs WHERE id = :id",
        {"id": run},
    )
    from coach import __version__

    assert (status, version_, rules, json.loads(inputs), n) == ("finished", __version__, "fp-1", ["in.jsonl"], 1)
    assert finished is not None


def test_findings_keep_source_confidence_turn_and_first_rewrite(store_url):
    found = (
        finding("blocking.a", "blocking", "no can do", "here's what I can do"),
        finding("model.blocking", "blocking", "we can't", source="model", confidence=0.93),
    )
    store_run(store_url, [report("c1", "Sam", "2024-03-01T10:00:00Z", agent_findings=found)])
    got = rows(store_url, "SELECT turn, speaker, rule, source, confidence, text, rewrite FROM findings ORDER BY rule")
    assert got == [
        (2, "agent", "blocking.a", "rule", None, "no can do", "here's what I can do"),
        (2, "agent", "model.blocking", "model", pytest.approx(0.93), "we can't", None),
    ]


# -- transactions -------------------------------------------------------------------------------
def test_an_interrupted_batch_leaves_only_whole_conversations(store_url, monkeypatch):
    reports = [
        report(
            f"c{i}",
            "Sam",
            "2024-03-01T10:00:00Z",
            agent_findings=(finding("blocking.a", "blocking"), finding("advocacy.b", "advocacy")),
        )
        for i in range(6)
    ]
    with open_store(store_url) as store:
        writer = store.begin_run(inputs=[], rules_fingerprint="r", model_fingerprint=None, fingerprint="r", batch=2)
        real = type(store.db).executemany
        calls = {"findings": 0}

        def failing(self, sql, params):
            if sql.startswith("INSERT INTO findings"):
                calls["findings"] += 1
                if calls["findings"] == 3:  # the third batch: its conversations are in, its findings not yet
                    raise KeyboardInterrupt
            return real(self, sql, params)

        monkeypatch.setattr(type(store.db), "executemany", failing)
        with pytest.raises(KeyboardInterrupt):
            for r in reports:
                writer.add(r)
        writer.finish("interrupted")
    assert rows(store_url, "SELECT conversation FROM conversations ORDER BY conversation") == [
        ("c0",),
        ("c1",),
        ("c2",),
        ("c3",),
    ]
    assert rows(store_url, "SELECT count(*) FROM findings") == [(8,)]
    assert rows(store_url, "SELECT status, conversations FROM runs") == [("interrupted", 4)]


# -- trends -------------------------------------------------------------------------------------
def test_periods():
    assert period_of("2024-03-04", "week") == "2024-W10" and period_of("2024-03-04", "month") == "2024-03"
    assert periods_between("2024-W52", "2025-W02", "week") == ["2024-W52", "2025-W01", "2025-W02"]
    assert periods_between("2024-11", "2025-01", "month") == ["2024-11", "2024-12", "2025-01"]
    assert sparkline([1, None, 3, 2]) == "▁ █▅" and sparkline([None]) == ""


def _trend_corpus():
    block = finding("blocking.policy.x", "blocking")
    other = finding("blocking.powerless.y", "blocking")
    adv = finding("advocacy.z", "advocacy")
    return [
        report("a1", "Sam", "2024-03-04T09:00:00Z", 60, agent_findings=(block, other), turns=2),
        report("a2", "Sam", "2024-03-05T09:00:00Z", 80, agent_findings=(adv,), turns=2),
        report("a3", "Sam", "2024-03-12T09:00:00Z", 90, agent_findings=(adv,), turns=1),
        report("b1", "Kim", "2024-03-12T23:59:59Z", 40, agent_findings=(block, block), turns=1),
        report("u1", None, "2024-03-13T00:00:00Z", 70),
        report("n1", "Kim", None, 10),  # no date: counted apart
    ]


def test_trends_per_agent_and_week_with_changes(store_url):
    store_run(store_url, _trend_corpus())
    with open_store(store_url) as store:
        result = trends(store, by="week")
    assert result.periods == ["2024-W10", "2024-W11"] and result.undated == 1
    by_agent = {a.agent: a.rows(result.periods, "week") for a in result.agents}
    assert [a.agent for a in result.agents] == ["Kim", "Sam", "(unknown)"]
    w10, w11 = by_agent["Sam"]
    assert (
        w10["conversations"],
        w10["agent_turns"],
        w10["blocking_per_100"],
        w10["advocacy_per_100"],
        w10["mean_score"],
    ) == (2, 4, 50.0, 25.0, 70.0)
    assert (w11["blocking_per_100"], w11["advocacy_per_100"], w11["mean_score"]) == (0.0, 100.0, 90.0)
    assert (w11["blocking_per_100_change"], w11["advocacy_per_100_change"], w11["mean_score_change"]) == (
        -50.0,
        75.0,
        20.0,
    )
    assert w10["mean_score_change"] is None
    (kim,) = by_agent["Kim"]  # only in week 11: no change to show
    assert kim["period"] == "2024-W11" and kim["blocking_per_100"] == 200.0 and kim["mean_score_change"] is None


def test_trends_filters_by_rule_prefix_agent_and_window(store_url):
    store_run(store_url, _trend_corpus())
    with open_store(store_url) as store:
        policy = trends(store, by="month", rule="blocking.policy")
        sam = trends(store, by="day", agent="Sam")
        window = trends(store, by="day", window=TimeWindow.parse("2024-03-05", "2024-03-12"))
    totals = {a.agent: a.total for a in policy.agents}
    assert (totals["Sam"].blocking, totals["Sam"].advocacy, totals["Sam"].hits) == (1, 0, 1)
    assert totals["Kim"].blocking == 2
    assert [a.agent for a in sam.agents] == ["Sam"] and sam.periods == [
        "2024-03-04",
        "2024-03-05",
        "2024-03-06",
        "2024-03-07",
        "2024-03-08",
        "2024-03-09",
        "2024-03-10",
        "2024-03-11",
        "2024-03-12",
    ]
    # --until a date includes that whole day, up to 23:59:59
    assert {(a.agent, a.total.conversations) for a in window.agents} == {("Sam", 2), ("Kim", 1)}


# -- the commands -------------------------------------------------------------------------------
CORPUS = [
    {
        "id": "T1",
        "agent": "Sam",
        "turns": [
            {"speaker": "customer", "text": "I was charged twice.", "time": "2024-03-04T10:00:00+01:00"},
            {"speaker": "agent", "text": "There's nothing I can do.", "time": "2024-03-04T10:05:00+01:00"},
        ],
    },
    {
        "id": "T2",
        "agent": "Sam",
        "started_at": "2024-03-12T08:00:00Z",
        "turns": [{"speaker": "customer", "text": "Hi"}, {"speaker": "agent", "text": "Let me see what I can do."}],
    },
    {
        "id": "T3",
        "agent": "Kim",
        "started_at": 1710230400,
        "turns": [{"speaker": "customer", "text": "Hi"}, {"speaker": "agent", "text": "It's company policy. <b>x</b>"}],
    },
    {
        "id": "T4",
        "agent": "Kim",
        "turns": [
            {"speaker": "customer", "text": "Hi"},
            {"speaker": "agent", "text": "It's company policy.", "time": "10:32"},
        ],
    },
]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "week.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in CORPUS), encoding="utf-8")
    return path


def score(*args: str):
    return runner.invoke(app, ["score", "--no-progress", "--no-color", "--no-model", *args])


def test_score_store_then_trends_and_report(corpus, store_url, tmp_path):
    r = score(str(corpus), "--store", store_url, "--format", "jsonl")
    assert r.exit_code == 0, r.output
    assert [json.loads(line)["started_at"] for line in r.stdout.splitlines()] == [
        "2024-03-04T09:00:00Z",
        "2024-03-12T08:00:00Z",
        "2024-03-12T08:00:00Z",
        None,
    ]
    r = score(str(corpus), "--store", store_url, "--format", "jsonl")  # the same run again: replaced
    assert rows(store_url, "SELECT count(*), sum(CASE WHEN latest THEN 1 ELSE 0 END) FROM conversations") == [(4, 4)]
    assert rows(store_url, "SELECT count(*) FROM runs") == [(2,)]

    t = runner.invoke(app, ["trends", "--store", store_url, "--format", "csv"])
    assert t.exit_code == 0, t.output
    table = list(csv.DictReader(io.StringIO(t.stdout)))
    assert [(row["agent"], row["period"], row["conversations"]) for row in table] == [
        ("Kim", "2024-W11", "1"),
        ("Sam", "2024-W10", "1"),
        ("Sam", "2024-W11", "1"),
    ]
    assert float(table[2]["mean_score_change"]) > 0  # Sam blocked less in his second week
    doc = json.loads(
        runner.invoke(
            app, ["trends", "--store", store_url, "--format", "json", "--agent", "Sam", "--by", "month"]
        ).stdout
    )
    assert doc["schema"] == "coach-trends/1" and doc["undated_conversations"] == 0
    assert [a["agent"] for a in doc["agents"]] == ["Sam"] and doc["periods"] == ["2024-03"]
    rich = runner.invoke(app, ["trends", "--store", store_url, "--no-color"], env={"COLUMNS": "100"})
    assert "Trends by week, 2024-W10 … 2024-W11" in rich.stdout and "Sam" in rich.stdout
    assert "1 stored conversation(s) have no date" in rich.stdout

    page = tmp_path / "report.html"
    h = runner.invoke(app, ["report", "--store", store_url, "-o", str(page)])
    assert h.exit_code == 0, h.output
    html = page.read_text(encoding="utf-8")
    assert html.count('<section class="agent"') == 2 and "<svg" in html
    assert "There&#x27;s nothing I can do" in html and "Let me see what I can do" in html  # the rule's first rewrite
    assert str(corpus) in html and "coach 0." in html


def test_score_since_until_and_per_agent(corpus):
    r = score(str(corpus), "--since", "2024-03-10", "--format", "csv", "--per", "agent")
    assert r.exit_code == 0, r.output
    agents = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(a["agent"], a["conversations"], a["first_started_at"]) for a in agents] == [
        ("Kim", "1", "2024-03-12T08:00:00Z"),
        ("Sam", "1", "2024-03-12T08:00:00Z"),
    ]
    assert "1 conversation(s) have no date and were left out" in r.stderr
    r = score(str(corpus), "--until", "2024-03-04", "--format", "jsonl")
    assert [json.loads(line)["conversation"] for line in r.stdout.splitlines()] == ["T1"]
    r = score(str(corpus), "--since", "yesterday")
    assert r.exit_code == 2 and "--since 'yesterday' is not a date" in r.stderr


def test_store_errors_are_one_line(corpus, tmp_path):
    r = score(str(corpus), "--store", str(tmp_path / "no" / "such" / "r.db"))
    assert r.exit_code == 2 and "its folder does not exist" in r.stderr
    t = runner.invoke(app, ["trends", "--store", str(tmp_path / "missing.db")])
    assert t.exit_code == 2 and "no such results store" in t.stderr
    t = runner.invoke(app, ["trends", "--store", str(tmp_path / "x.db"), "--rule", "bad rule"])
    assert t.exit_code == 2 and "not a dotted rule id" in t.stderr
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database " * 400)
    r = score(str(corpus), "--store", str(junk))
    assert r.exit_code == 2 and "junk.db: cannot open as a SQLite results store: file is not a database" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    full = tmp_path / "full.db"
    store_run(str(full), [])
    with sqlite3.connect(full) as conn:  # a database error while writing, as a full disk would give
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON conversations BEGIN SELECT RAISE(ABORT, 'no room'); END")
    r = score(str(corpus), "--store", str(full))
    assert (
        r.exit_code == 2
        and r.stderr.strip()
        == f"coach: error: {full}: cannot store conversations: no room "
        "(check the store (space, permissions, the server) and run again)"
    )
    assert rows(str(full), "SELECT status FROM runs ORDER BY id") == [("finished",), ("failed",)]


def test_fingerprints_follow_rules_and_model(default_analyzer):
    from coach.analyzer import Analyzer
    from coach.store import fingerprints

    rules, model, both = fingerprints(default_analyzer)
    assert model is None
    fewer = Analyzer(ignore=["blocking.policy"], model=False)
    assert fingerprints(fewer)[0] != rules
    assert fingerprints(Analyzer(model=False)) == (rules, model, both)  # stable across loads


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_trends_table_fits_the_terminal(tmp_path, width):
    from rich.console import Console

    from coach.render.trends_terminal import render_trends

    url = str(tmp_path / "r.db")
    many = [
        report(
            f"{name}-{i}",
            name,
            f"2024-{1 + i % 3:02d}-{1 + i % 28:02d}T09:00:00Z",
            40 + i % 60,
            agent_findings=(finding("blocking.a", "blocking"),) * (i % 3),
        )
        for i in range(200)
        for name in ("Samantha Longname", "Kim")
    ]
    store_run(url, many)
    with open_store(url, create=False) as store:
        result = trends(store, by="day")
    console = Console(record=True, width=width, no_color=True)
    render_trends(result, console)
    text = console.export_text()
    assert all(len(line) <= width for line in text.splitlines())
    assert "Samantha" in text and "Kim" in text and "2024-03-28" in text
    words = " ".join(text.split())
    assert ("changes: a wider terminal or --format csv" in words) == (width < 120)  # shown where they fit
