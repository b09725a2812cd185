"""Shared by the `coach serve` tests: a running server in a subprocess, and a tiny model."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from conftest import TEST_PHRASEBOOK

TEST_FLAGS = ("-p", str(TEST_PHRASEBOOK), "--no-defaults")


class Server:
    def __init__(self, proc: subprocess.Popen, url: str) -> None:
        self.proc, self.url = proc, url
        self.stderr = ""

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(self.url + path.lstrip("/"), data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def lint(self, payload: dict, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        status, _, body = self.request(
            "POST",
            "/v1/lint",
            json.dumps(payload).encode("utf-8"),
            {"Content-Type": "application/json", **(headers or {})},
        )
        return status, body

    def stop(self) -> int:
        """SIGTERM, then the exit code; stderr is kept in self.stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr = self.proc.stderr.read() if self.proc.stderr else ""
        return self.proc.returncode


@contextlib.contextmanager
def running(*args: str, env: dict[str, str] | None = None, cwd: str | None = None) -> Iterator[Server]:
    """`coach serve --port 0 ARGS` until its URL is printed; stopped (SIGTERM) at the end."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    try:
        line = proc.stdout.readline()
        found = re.search(r"(http://\S+/)", line)
        if not found:
            proc.kill()
            raise AssertionError(f"no URL printed: {line!r} {proc.stderr.read()!r}")
        server = Server(proc, found.group(1))
        wait_ready(server)
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_ready(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if server.request("GET", "/v1/health")[0] in (200, 401):
                return
        except OSError:
            pass
        if time.monotonic() > deadline or server.proc.poll() is not None:
            raise AssertionError("the server never became ready")
        time.sleep(0.05)


def lint_cli(texts: list[str], *args: str) -> bytes:
    """What `coach lint --format json` prints for these drafts."""
    done = subprocess.run(
        [sys.executable, "-m", "coach", "lint", "--format", "json", *args, "--", *texts],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def tiny_model(folder: Path) -> Path:
    """A one-label model that marks any sentence with the word "computer" as blocking."""
    import numpy as np

    from coach.engine.nlp import get_nlp
    from coach.model.store import ModelData, save

    key = get_nlp().tokenizer("computer")[0].norm
    save(
        ModelData(
            labels=("blocking",),
            vocabulary=np.array([key], dtype=np.uint64),
            weights=np.array([[8.0]], dtype=np.float32),
            bias=np.array([-4.0], dtype=np.float32),
            thresholds=np.array([0.5], dtype=np.float32),
            gates=np.zeros(1, dtype=np.float32),
        ),
        folder,
    )
    return folder
