"""`coach serve`'s HTTP API: the lint document, errors, security, logging, and the process."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
from conftest import TEST_PHRASEBOOK  # noqa: E402
from servekit import TEST_FLAGS, lint_cli, running, tiny_model  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from coach.analyzer import Analyzer  # noqa: E402
from coach.serve.http import create_app  # noqa: E402
from coach.serve.service import LintService  # noqa: E402

DRAFT = "I'm sorry for any inconvenience. Unfortunately there's nothing I can do, it's company policy."
SECRET = "Zorblax-7731 order for Mrs Quimby"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def service():
    analyzer = Analyzer(phrasebooks=[str(TEST_PHRASEBOOK)], defaults=False, model=False)
    svc = LintService(analyzer).start(background=False)
    yield svc
    svc.close()


def client(service, **kwargs) -> TestClient:
    return TestClient(create_app(service, **kwargs), base_url="http://127.0.0.1", raise_server_exceptions=False)


def test_lint_returns_exactly_the_cli_json_document(service):
    texts = [DRAFT, "Let me see what I can do. 😀 That was our mistake.", ""]
    with client(service) as c:
        one = c.post("/v1/lint", json={"text": DRAFT})
        many = c.post("/v1/lint", json={"texts": texts})
    assert one.status_code == 200 and one.headers["content-type"] == "application/json"
    assert one.content == lint_cli([DRAFT], *TEST_FLAGS, "--no-model")
    assert many.content == lint_cli(texts, *TEST_FLAGS, "--no-model")
    assert [r["source"] for r in many.json()["results"]] == ["arg:1", "arg:2", "arg:3"]


@pytest.mark.parametrize(
    "body, status, needle",
    [
        (b'{"text": ', 400, "malformed JSON"),
        (b"[1, 2]", 400, "must be a JSON object"),
        (b'{"text": 3}', 400, '"text" must be a string'),
        (b'{"texts": ["a", 2]}', 400, '"texts" must be a list of strings'),
        (b'{"texts": "a"}', 400, '"texts" must be a list of strings'),
        (b'{"text": "a", "texts": ["b"]}', 400, "exactly one"),
        (b"{}", 400, "exactly one"),
        (b'{"txt": "a"}', 400, 'unknown field "txt"'),
        (b'{"text": "\\ud800 lone"}', 400, "lone surrogate"),
        (b"\xff\xfe{", 400, "malformed JSON"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "malformed JSON"),
    ],
)
def test_bad_requests_are_json_400s(service, body, status, needle):
    with client(service) as c:
        r = c.post("/v1/lint", content=body, headers=JSON)
    assert r.status_code == status
    assert needle in r.json()["error"]["message"] and r.json()["error"]["status"] == status


def test_status_codes_for_size_method_path_and_type(service):
    with client(service, max_body=200) as c:
        big = c.post("/v1/lint", json={"text": "x" * 300})
        chunked = c.post("/v1/lint", content=iter([b'{"text": "', b"x" * 300, b'"}']), headers=JSON)
        method = c.get("/v1/lint")
        missing = c.get("/v1/nope")
        form = c.post("/v1/lint", content=b'{"text": "a"}', headers={"Content-Type": "text/plain"})
    assert big.status_code == 413 and "200-byte limit" in big.json()["error"]["message"]
    assert chunked.status_code == 413  # no Content-Length: counted as it streams
    assert method.status_code == 405 and method.headers["allow"] == "POST"
    assert missing.status_code == 404 and missing.json()["error"]["status"] == 404
    assert form.status_code == 415
    with client(service) as c:
        many = c.post("/v1/lint", json={"texts": ["a"] * 10_001})
    assert many.status_code == 413 and "at most 10,000" in many.json()["error"]["message"]


def test_a_crash_in_analysis_is_a_json_500_and_the_server_goes_on(service, monkeypatch):
    calls = []

    def boom(texts, sources=None):
        calls.append(1)
        raise RuntimeError(f"kaboom {texts[0]}")

    with client(service) as c:
        with monkeypatch.context() as m:
            m.setattr(service.analyzer, "lint", boom)
            bad = c.post("/v1/lint", json={"text": SECRET})
        good = c.post("/v1/lint", json={"text": DRAFT})
    assert calls and bad.status_code == 500
    assert bad.json()["error"]["message"].startswith("the analysis failed")
    assert SECRET not in bad.text and "Traceback" not in bad.text
    assert good.status_code == 200 and good.json()["results"][0]["findings"]


def test_access_log_has_no_draft_text(service, caplog):
    with caplog.at_level(logging.INFO, logger="coach.serve"), client(service) as c:
        c.post("/v1/lint", json={"text": SECRET})
        c.post("/v1/lint?text=" + SECRET.replace(" ", "+"), json={"text": SECRET})
    lines = [r.getMessage() for r in caplog.records if r.name == "coach.serve"]
    assert any(line.startswith("POST /v1/lint 200 ") and line.endswith("ms") for line in lines)
    assert not any("Zorblax" in line or "Quimby" in line for line in lines)


def test_token_is_required_on_the_api_but_not_for_the_page(service):
    token = "s3cret-token-0123456789"
    with client(service, token=token) as c:
        assert c.post("/v1/lint", json={"text": DRAFT}).status_code == 401
        assert c.get("/v1/health", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.post("/v1/lint", json={"text": DRAFT}, headers={"Authorization": f"Bearer {token}"})
        page = c.get("/")
    assert ok.status_code == 200 and page.status_code == 200


def test_cors_only_for_allowed_origins(service):
    desk = "https://desk.example.com"
    preflight = {
        "Origin": desk,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    with client(service, allow_origins=[desk], token="s3cret-token-0123456789") as c:
        pre = c.options("/v1/lint", headers=preflight)
        other = c.options("/v1/lint", headers={**preflight, "Origin": "https://evil.example"})
        denied = c.post("/v1/lint", json={"text": "a"}, headers={"Origin": desk})
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == desk
    assert "access-control-allow-origin" not in other.headers
    assert denied.status_code == 401 and denied.headers["access-control-allow-origin"] == desk
    with client(service) as c:
        plain = c.post("/v1/lint", json={"text": "a"}, headers={"Origin": desk})
    assert "access-control-allow-origin" not in plain.headers


def test_loopback_server_refuses_foreign_host_headers(service):
    with client(service, hosts={"127.0.0.1", "localhost"}) as c:
        assert c.get("/v1/health").status_code == 200
        rebound = c.get("/v1/health", headers={"Host": "attacker.example:8088"})
    assert rebound.status_code == 400 and "Host" in rebound.json()["error"]["message"]


def test_health_rules_openapi_and_page(service):
    with client(service) as c:
        health = c.get("/v1/health").json()
        rules = c.get("/v1/rules").json()
        spec = c.get("/openapi.json").json()
        page = c.get("/")
    assert health["status"] == "ok" and health["matchers"] == "full" and health["model"] is None
    ids = [r["id"] for r in rules["rules"]]
    assert "blocking.nothing-i-can-do" in ids and len(ids) == health["rules"]
    assert set(spec["paths"]) == {"/v1/lint", "/v1/health", "/v1/rules"}
    assert "requestBody" in spec["paths"]["/v1/lint"]["post"]
    assert "LintDocument" in spec["components"]["schemas"]
    html = page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "<textarea" in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "#ff8a8a" in html  # the HTML report's blocking colour


def test_requests_run_in_a_memory_zone_once_warm(service):
    """Word types a request brings are freed after it: a long-running server does not grow."""
    from coach.engine.nlp import get_nlp

    word = "Qwzxplonk93"
    with client(service) as c:
        assert c.post("/v1/lint", json={"text": f"Order {word} is late."}).status_code == 200
    assert word not in get_nlp().vocab.strings


def test_model_findings_are_served_like_the_cli(tmp_path):
    model = tiny_model(tmp_path / "model")
    text = "Thanks for writing. The computer says no."
    analyzer = Analyzer(phrasebooks=[str(TEST_PHRASEBOOK)], defaults=False, model=str(model))
    svc = LintService(analyzer).start(background=False)
    try:
        with client(svc) as c:
            got = c.post("/v1/lint", json={"text": text})
            health = c.get("/v1/health").json()
    finally:
        svc.close()
    finding = got.json()["results"][0]["findings"][0]
    assert finding["source"] == "model" and finding["text"] == "The computer says no."
    assert got.content == lint_cli([text], *TEST_FLAGS, "--model", str(model))
    assert health["model"]


# -- the process ------------------------------------------------------------------------
@pytest.mark.slow
def test_serve_process_prints_url_serves_and_stops_cleanly_on_sigterm():
    with running(*TEST_FLAGS, "--no-model") as server:
        status, body = server.lint({"text": SECRET + ". " + DRAFT})
        assert status == 200 and json.loads(body)["results"][0]["findings"]
        assert server.request("GET", "/")[0] == 200
        assert server.url.startswith("http://127.0.0.1:")
        code = server.stop()
    assert code == 0
    assert "stopped" in server.stderr and "POST /v1/lint 200" in server.stderr
    assert "Zorblax" not in server.stderr and "nothing I can do" not in server.stderr


@pytest.mark.slow
def test_serve_answers_while_matchers_build_and_then_the_same():
    """The first answers (before the whole phrasebook is compiled) equal the later ones."""
    with running("--no-model") as server:
        first = server.lint({"text": DRAFT})
        for _ in range(200):
            if json.loads(server.request("GET", "/v1/health")[2])["matchers"] == "full":
                break
            import time

            time.sleep(0.05)
        later = server.lint({"text": DRAFT})
        server.stop()
    assert first == later and first[0] == 200


def coach(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coach", *args], capture_output=True, text=True, timeout=120, env=env)


def test_off_loopback_needs_a_token_and_a_strong_one():
    import os

    env = {k: v for k, v in os.environ.items() if k != "COACH_TOKEN"}
    no_token = coach("serve", "--host", "0.0.0.0", "--port", "0", env=env)
    short = coach("serve", "--host", "0.0.0.0", "--port", "0", "--token", "abc", env=env)
    origin = coach("serve", "--port", "0", "--allow-origin", "desk.example.com", env=env)
    assert no_token.returncode == 2 and "--token" in no_token.stderr and "COACH_TOKEN" in no_token.stderr
    assert short.returncode == 2 and "shorter than 16" in short.stderr
    assert origin.returncode == 2 and "not an origin" in origin.stderr
    assert "Traceback" not in no_token.stderr + short.stderr + origin.stderr


def test_port_in_use_is_a_usage_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = coach("serve", "--port", str(port), "--no-model")
    assert done.returncode == 2 and "cannot listen on 127.0.0.1" in done.stderr


@pytest.mark.slow
def test_token_from_the_environment_on_any_address():
    token = "env-token-0123456789abcdef"
    with running("--host", "0.0.0.0", *TEST_FLAGS, "--no-model", env={"COACH_TOKEN": token}) as server:
        server.url = server.url.split("//")[0] + "//127.0.0.1:" + server.url.rsplit(":", 1)[1]
        assert server.lint({"text": DRAFT})[0] == 401
        status, body = server.lint({"text": DRAFT}, {"Authorization": f"Bearer {token}"})
        assert status == 200
        server.stop()


@pytest.mark.slow
def test_workers_share_the_port_are_restarted_and_all_stop(tmp_path):
    import os
    import signal
    import time

    with running(*TEST_FLAGS, "--no-model", "--workers", "2") as server:
        first = json.loads(server.request("GET", "/v1/health")[2])["worker"]
        os.kill(first, signal.SIGKILL)
        seen = set()
        deadline = time.monotonic() + 60
        while len(seen - {first}) < 2 and time.monotonic() < deadline:
            status, _, body = server.request("GET", "/v1/health")
            if status == 200:
                seen.add(json.loads(body)["worker"])
        workers = seen - {first}
        assert len(workers) == 2  # the survivor and the one started in the killed one's place
        assert server.lint({"text": DRAFT})[0] == 200
        assert server.stop() == 0
    assert f"worker {first} died (signal 9)" in server.stderr
    for pid in workers:
        assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()  # noqa: SIM115 -- one read, closed by refcount


def test_accepted_connections_have_nagle_off():
    """A response's head and body are two writes: with Nagle on, the body waits for a delayed
    ACK (40 ms a request). asyncio turns it off only on sockets created as TCP."""
    import asyncio

    from coach.serve.run import bind

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]

    async def main() -> int:
        seen = asyncio.get_running_loop().create_future()

        def accepted(reader, writer):
            s = writer.get_extra_info("socket")
            seen.set_result(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        value = await asyncio.wait_for(seen, 10)
        writer.close()
        server.close()
        return value

    assert asyncio.run(main()) != 0


def test_redact_masks_the_served_document():
    analyzer = Analyzer(phrasebooks=[str(TEST_PHRASEBOOK)], defaults=False, model=False)
    svc = LintService(analyzer, redact=True).start(background=False)
    try:
        text = "Write to dana@example.com. There's nothing I can do."
        doc = json.loads(svc.submit([text]).result())
    finally:
        svc.close()
    assert "dana@example.com" not in json.dumps(doc)
    assert doc == json.loads(lint_cli([text], *TEST_FLAGS, "--no-model", "--redact"))


def test_a_bad_model_or_phrasebook_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: nope\n", encoding="utf-8")
    model = coach("serve", "--port", "0", "--model", str(tmp_path / "missing"))
    book = coach("serve", "--port", "0", "-p", str(bad))
    assert model.returncode == 2 and "no such model folder" in model.stderr
    assert book.returncode == 2 and "bad.yaml" in book.stderr
    assert "Traceback" not in model.stderr + book.stderr and not model.stdout and not book.stdout
