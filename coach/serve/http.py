"""The HTTP API and page of `coach serve`, as a Starlette app (run on uvicorn by coach.serve.run).

Every answer is JSON (errors too: 400, 401, 404, 405, 413, 415, 500), never a stack trace;
the access log has method, path, status, size and time only, never a draft.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .service import MAX_TEXTS, LintService

#: The largest request body accepted (bytes); `coach serve --max-body` changes it.
MAX_BODY = 1_000_000
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")

log = logging.getLogger("coach.serve")


class ApiError(Exception):
    """A request the API refuses: answered as {"error": {"status", "message"}}."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status, headers=headers)


MESSAGES = {404: "no such endpoint: see /openapi.json", 405: "method not allowed"}


async def http_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.message, exc.headers)
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, MESSAGES.get(exc.status_code, str(exc.detail)), exc.headers)


# -- request parsing -----------------------------------------------------------------
async def read_json(request: Request, limit: int) -> Any:
    """The body as JSON: 415 when not declared JSON, 413 past `limit` bytes, 400 when malformed."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise ApiError(415, "send the body as JSON with Content-Type: application/json")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the body is over the {limit:,}-byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the body is over the {limit:,}-byte limit")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError):  # undecodable bytes, or nested past Python's limit
        raise ApiError(400, "malformed JSON: not UTF-8 text, or nested too deeply") from None


def texts_of(data: Any) -> list[str]:
    """The drafts of a lint request: {"text": "..."} or {"texts": ["...", ...]}, nothing else."""
    if not isinstance(data, dict):
        raise ApiError(400, 'the body must be a JSON object: {"text": "..."} or {"texts": ["...", ...]}')
    unknown = sorted(set(data) - {"text", "texts"})
    if unknown:
        raise ApiError(400, f'unknown field "{unknown[0]}" (expected "text" or "texts")')
    if ("text" in data) == ("texts" in data):
        raise ApiError(400, 'give exactly one of "text" or "texts"')
    if "text" in data:
        texts, names = [data["text"]], ['"text"']
        if not isinstance(data["text"], str):
            raise ApiError(400, '"text" must be a string')
    else:
        texts = data["texts"]
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ApiError(400, '"texts" must be a list of strings')
        if len(texts) > MAX_TEXTS:
            raise ApiError(413, f'"texts" has {len(texts):,} drafts; at most {MAX_TEXTS:,} per request')
        names = [f'"texts"[{i}]' for i in range(len(texts))]
    for name, text in zip(names, texts):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(400, f"{name} is not valid Unicode (it has a lone surrogate)") from None
    return texts


# -- endpoints -------------------------------------------------------------------------
def build_routes(service: LintService, page: bytes, page_headers: dict[str, str], max_body: int) -> list[BaseRoute]:
    async def lint(request: Request) -> Response:
        """
        summary: Lint drafts
        description: >
          The same JSON document `coach lint --format json` prints for the same texts
          (schema coach/1); each result's source is arg:N, in request order.
        requestBody:
          required: true
          content:
            application/json:
              schema: {$ref: "#/components/schemas/LintRequest"}
        responses:
          200:
            description: One result per draft.
            content:
              application/json:
                schema: {$ref: "#/components/schemas/LintDocument"}
          400: {$ref: "#/components/responses/Error"}
          401: {$ref: "#/components/responses/Error"}
          413: {$ref: "#/components/responses/Error"}
          415: {$ref: "#/components/responses/Error"}
          500: {$ref: "#/components/responses/Error"}
        """
        texts = texts_of(await read_json(request, max_body))
        try:
            document = await asyncio.wrap_future(service.submit(texts))
        except Exception as exc:  # a bug in analysis: this request fails, the server goes on
            log.error("analysis failed: %s", type(exc).__name__)
            raise ApiError(500, "the analysis failed (an internal error); the server is still running") from None
        return Response(document, media_type="application/json")

    async def health(request: Request) -> Response:
        """
        summary: Readiness
        description: >
          200 once drafts can be linted; `matchers` is "full" once the whole phrasebook is
          compiled ("per-request" before that - same findings, slower).
        responses:
          200:
            description: Ready.
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Health"}
        """
        return JSONResponse(service.health())

    async def rules(request: Request) -> Response:
        """
        summary: The loaded rules
        responses:
          200:
            description: Phrasebook rules, then the model's.
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Rules"}
        """
        return JSONResponse(service.rules())

    async def index(request: Request) -> Response:
        return Response(page, media_type="text/html; charset=utf-8", headers=page_headers)

    document: list[dict] = []

    async def openapi(request: Request) -> Response:
        if not document:  # built on first request: start-up does not pay for it
            from starlette.schemas import SchemaGenerator

            from .openapi import BASE

            document.append(SchemaGenerator(BASE).get_schema(routes))
        return JSONResponse(document[0])

    routes: list[BaseRoute] = [
        Route("/", index, methods=["GET"], include_in_schema=False),
        Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
        Route("/v1/health", health, methods=["GET"]),
        Route("/v1/rules", rules, methods=["GET"]),
        Route("/v1/lint", lint, methods=["POST"]),
    ]
    return routes


# -- middleware (plain ASGI: cheaper than BaseHTTPMiddleware on every request) ----------
class AccessLog:
    """Outermost: logs method, path (no query), status, bytes and time; turns any escaped
    exception into a JSON 500; refuses Host headers a loopback server was not addressed by
    (DNS rebinding)."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str] | None) -> None:
        self.app = app
        self.hosts = {h.lower() for h in hosts} if hosts is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        state = {"status": 500, "size": 0, "started": False}

        async def sending(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
            elif message["type"] == "http.response.body":
                state["size"] += len(message.get("body", b""))
            await send(message)

        try:
            if self.hosts is not None and _host(scope) not in self.hosts:
                await error_response(400, "unexpected Host header: address the server as localhost or 127.0.0.1")(
                    scope, receive, sending
                )
            else:
                await self.app(scope, receive, sending)
        except Exception as exc:
            log.error("internal error: %s", type(exc).__name__)
            if not state["started"]:
                await error_response(500, "internal error; the server is still running")(scope, receive, sending)
        finally:
            log.info(
                "%s %s %s %dB %.1fms",
                scope["method"],
                scope["path"],
                state["status"],
                state["size"],
                (time.perf_counter() - began) * 1000,
            )


def _host(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1").lower()
            return host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return ""


class BearerToken:
    """Every /v1/ call must carry `Authorization: Bearer TOKEN` (compared in constant time)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
            if not hmac.compare_digest(given, self.expected):
                await error_response(
                    401, "missing or wrong token: send Authorization: Bearer TOKEN", {"WWW-Authenticate": "Bearer"}
                )(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    service: LintService,
    *,
    token: str | None = None,
    allow_origins: Iterable[str] = (),
    hosts: Iterable[str] | None = None,
    max_body: int = MAX_BODY,
) -> Starlette:
    """The app. `hosts`: Host header names to accept (None: any); `token`: required on /v1/."""
    from .page import page_headers, render_page

    middleware = [Middleware(AccessLog, hosts=hosts)]
    origins = list(allow_origins)
    if origins:
        from starlette.middleware.cors import CORSMiddleware

        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            )
        )
    if token:
        middleware.append(Middleware(BearerToken, token=token))
    routes = build_routes(service, render_page(), page_headers(), max_body)
    return Starlette(
        routes=routes, middleware=middleware, exception_handlers={HTTPException: http_error, ApiError: http_error}
    )
