"""The OpenAPI document's fixed part; Starlette's SchemaGenerator adds each endpoint from its
docstring, so the description lives beside the code it describes."""

from __future__ import annotations

from .. import __version__

_FINDING = {
    "type": "object",
    "required": [
        "rule",
        "category",
        "severity",
        "start",
        "end",
        "line",
        "column",
        "text",
        "message",
        "rewrites",
        "source",
        "confidence",
    ],
    "properties": {
        "rule": {"type": "string", "example": "blocking.powerless.nothing-i-can-do"},
        "category": {"type": "string", "example": "blocking"},
        "element": {"type": "string", "nullable": True, "description": "the apology element, for apology findings"},
        "severity": {"type": "string", "enum": ["info", "warning", "error"]},
        "start": {"type": "integer", "description": "offset of the first character (Unicode code points)"},
        "end": {"type": "integer", "description": "offset after the last character (exclusive)"},
        "line": {"type": "integer", "description": "1-based"},
        "column": {"type": "integer", "description": "1-based"},
        "text": {"type": "string"},
        "message": {"type": "string"},
        "rewrites": {
            "type": "array",
            "items": {"type": "string"},
            "description": "replacements for text, in the matched words' case",
        },
        "source": {
            "type": "string",
            "enum": ["rule", "model"],
            "description": "a phrasebook rule matched these words, or the classifier marked this sentence",
        },
        "confidence": {"type": "number", "nullable": True, "description": "0-1, model findings only"},
        "rewrite": {
            "type": "string",
            "nullable": True,
            "description": "the sentence rewrite that answers this finding (see the result's edits)",
        },
    },
}

_EDIT = {
    "type": "object",
    "description": "one sentence of the draft rewritten: [start, end) of the original replaced by text",
    "properties": {
        "start": {"type": "integer"},
        "end": {"type": "integer"},
        "text": {"type": "string"},
        "rules": {"type": "array", "items": {"type": "string"}, "description": "the findings' rules it answers"},
        "advice": {
            "type": "string",
            "nullable": True,
            "description": "where no rewrite fits: what to do instead (text is then the original)",
        },
        "placeholders": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "integer"}},
            "description": "[start, end) in text of each [placeholder] the agent must fill in",
        },
    },
}

BASE = {
    "openapi": "3.0.3",
    "info": {
        "title": "coach serve",
        "version": __version__,
        "description": "Coaching for customer-service replies: blocking vs flexible-advocacy language "
        "and apology completeness. POST /v1/lint returns exactly `coach lint --format "
        'json`\'s document. Errors are {"error": {"status", "message"}}. When the '
        "server was started with a token, every /v1/ call needs it as a bearer token.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "responses": {
            "Error": {
                "description": "Refused or failed; the server goes on serving.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
        "schemas": {
            "LintRequest": {
                "type": "object",
                "additionalProperties": False,
                "description": "exactly one of text or texts; at most 1 MB (see --max-body) and 10,000 texts",
                "properties": {
                    "text": {"type": "string"},
                    "texts": {"type": "array", "items": {"type": "string"}, "maxItems": 10000},
                },
                "example": {"text": "Sorry for any inconvenience. There's nothing I can do."},
            },
            "Finding": _FINDING,
            "Edit": _EDIT,
            "Apology": {
                "type": "object",
                "properties": {
                    "offered": {"type": "boolean"},
                    "elements": {"type": "array", "items": {"type": "string"}},
                    "missing": {"type": "array", "items": {"type": "string"}},
                    "completeness": {"type": "number", "nullable": True},
                },
            },
            "Result": {
                "type": "object",
                "properties": {
                    "source": {"type": "string", "example": "arg:1"},
                    "score": {"type": "integer", "minimum": 0, "maximum": 100},
                    "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "findings": {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}},
                    "apology": {"$ref": "#/components/schemas/Apology"},
                    "rewritten": {
                        "type": "string",
                        "nullable": True,
                        "description": "the draft with every sentence rewrite in place; null when unchanged",
                    },
                    "edits": {"type": "array", "items": {"$ref": "#/components/schemas/Edit"}},
                },
            },
            "LintDocument": {
                "type": "object",
                "properties": {
                    "schema": {"type": "string", "enum": ["coach/1"]},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}},
                },
            },
            "Health": {
                "type": "object",
                "properties": {
                    "status": {"type": "string", "enum": ["ok"]},
                    "version": {"type": "string"},
                    "rules": {"type": "integer"},
                    "model": {"type": "string", "nullable": True, "description": "the loaded model's fingerprint"},
                    "matchers": {"type": "string", "enum": ["full", "per-request"]},
                },
            },
            "Rules": {
                "type": "object",
                "properties": {"schema": {"type": "string"}, "rules": {"type": "array", "items": {"type": "object"}}},
            },
            "Error": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
                    }
                },
            },
        },
    },
    "security": [{}, {"bearer": []}],
}
