"""Binding, security checks and running uvicorn for `coach serve`; stops cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from .http import LOOPBACK_HOSTS, MAX_BODY, create_app
from .service import LintService

log = logging.getLogger("coach.serve")

#: Off loopback, a token shorter than this is refused: it would be guessable.
MIN_TOKEN = 16
TOKEN_HINT = 'make one with: python3 -c "import secrets; print(secrets.token_urlsafe())"'


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8088
    token: str | None = None
    allow_origins: list[str] = field(default_factory=list)
    max_body: int = MAX_BODY
    workers: int = 1


class Stopped(Exception):
    """SIGINT or SIGTERM arrived: stop serving, exit 0."""


def _stop(signum: int, frame: object) -> None:
    raise Stopped()


def is_loopback(host: str) -> bool:
    """True when every address `host` names is a loopback one (127.0.0.0/8, ::1)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UsageError(f"cannot resolve --host {host!r}") from None
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def check_security(options: ServeOptions) -> bool:
    """Refuse to listen off loopback without a strong enough token; True when on loopback."""
    loopback = is_loopback(options.host)
    if options.token is not None and len(options.token) < MIN_TOKEN:
        raise UsageError(f"the token is shorter than {MIN_TOKEN} characters; {TOKEN_HINT}")
    if not loopback and not options.token:
        raise UsageError(
            f"--host {options.host} is reachable from other machines: give --token "
            f"(or set COACH_TOKEN) so only holders of it can call the API; {TOKEN_HINT}"
        )
    for origin in options.allow_origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise UsageError(f"--allow-origin {origin!r} is not an origin such as https://desk.example.com")
    return loopback


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (before the slow start-up, so a port in use fails at once)."""
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)[0]
        # proto=IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets that say TCP, and
        # with it on, a response's head and body wait 40 ms for a delayed ACK.
        sock = socket.socket(info[0], info[1], info[2])
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if info[0] == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(info[4])
        sock.listen(128)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another --port, or stop what is using it",
        ) from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    address, port = sock.getsockname()[:2]
    if address in ("0.0.0.0", "::"):
        address = socket.gethostname()
    return f"http://{'[' + address + ']' if ':' in address else address}:{port}/"


def configure_logging() -> None:
    """Our access log and uvicorn's warnings on stderr, one line each; drafts never appear."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    for name, level in (("coach.serve", logging.INFO), ("uvicorn.error", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


def serve(service: LintService, options: ServeOptions, announce: Callable[[str], None]) -> None:
    """Bind, load, print the URL, serve until SIGINT/SIGTERM. Returns when stopped."""
    loopback = check_security(options)
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        sock = bind(options.host, options.port)
        service.load()
        hosts = None
        if loopback:  # a loopback server answers only to names of itself (DNS rebinding)
            hosts = {*LOOPBACK_HOSTS, options.host.lower()}
        app = create_app(
            service, token=options.token, allow_origins=options.allow_origins, hosts=hosts, max_body=options.max_body
        )
        configure_logging()
        if options.workers <= 1:
            service.warm()
            announce(url_of(sock))
            run_uvicorn(app, sock)
        else:
            service.warm(background=False)  # before forking, so the workers share the matchers
            announce(url_of(sock))
            supervise(app, sock, options.workers)
    except Stopped:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        service.close()


def run_uvicorn(app: Callable[..., Any], sock: socket.socket) -> None:
    """Serve on `sock` until a signal; uvicorn shuts down gracefully, then re-raises it (Stopped)."""
    import uvicorn

    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        server_header=False,
        ws="none",
        date_header=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
        h11_max_incomplete_event_size=64 * 1024,
    )
    uvicorn.Server(config).run(sockets=[sock])


def supervise(app: Callable[..., Any], sock: socket.socket, workers: int) -> None:
    """Fork `workers` processes that share the listening socket and everything loaded so far
    (copy-on-write); restart one that dies; on SIGINT/SIGTERM stop them all and wait.

    The caller builds the matchers before: start-up takes their few hundred ms longer, and two
    workers took ~250 MB together (PSS) instead of ~390 MB with a copy each."""
    import gc
    import time

    gc.freeze()  # children would otherwise copy every page the collector touches

    def spawn() -> int:
        pid = os.fork()
        if pid:
            return pid
        code = 0
        try:
            run_uvicorn(app, sock)
        except Stopped:
            pass
        except BaseException:  # noqa: BLE001 - a worker must never return into the parent's code
            code = 1
        finally:
            os._exit(code)

    children = {spawn() for _ in range(workers)}
    deaths: list[float] = []
    try:
        while children:
            pid, status = os.wait()
            children.discard(pid)
            log.error("worker %d died (%s); starting another", pid, _describe(status))
            deaths = [t for t in deaths if time.monotonic() - t < 60] + [time.monotonic()]
            if len(deaths) > 2 * workers:
                raise UsageError("workers keep dying; stopping (run with --workers 1 to see why)")
            children.add(spawn())
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _describe(status: int) -> str:
    return f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"
