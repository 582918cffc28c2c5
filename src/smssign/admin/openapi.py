"""The OpenAPI 3.1 document of the admin API, written as data beside the routes it describes."""

from __future__ import annotations

from typing import Any

from smssign import __version__
from smssign.admin.schemas import DELIVERY_STATUS, with_providers
from smssign.core.providers import Providers

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "Bad query or body",
        401: "Missing, unknown or revoked bearer token",
        404: "No such object",
        409: "The item's status does not allow this decision, or it changed meanwhile",
        413: "Body too large",
        415: "Body is not application/json",
        422: "A field is invalid; `error.field` names it",
    }
    return {str(s): {**_json(_ref("Error"), text[s])} for s in (401, *statuses)}


def _id_param(name: str, what: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {what}'s id",
        "schema": {"type": "integer", "minimum": 1},
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


PAGING = [
    _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Skip this many"),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}, "Page size"),
]

_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
MESSAGE = {
    "type": "object",
    "description": "A message as the inbox shows it (GET /_smssign/messages).",
    "properties": {
        "id": _TEXT,
        "dialect": _TEXT,
        "account_id": {"type": "integer"},
        "mobile": {**_TEXT, "description": "E.164, with +"},
        "sign": _TEXT,
        "template_id": _NULLABLE_TEXT,
        "params": {"oneOf": [{"type": "array", "items": _TEXT}, {"type": "object"}]},
        "text": {**_TEXT, "description": "As the handset shows it: 【sign】content"},
        "parts": {"type": "integer"},
        "fee": {"type": "integer"},
        "status": {"enum": ["pending", "delivered", "failed"]},
        "error_code": _NULLABLE_TEXT,
        "provider_message_id": _TEXT,
        "created_at": {**_TEXT, "format": "date-time"},
        "reported_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
RULE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "pattern": {**_TEXT, "description": "A glob over E.164 numbers, such as +86139*"},
        "status": {"enum": ["failed", "delivered", "pending"]},
        "error_code": _NULLABLE_TEXT,
        "account_id": {"type": ["integer", "null"]},
        "description": _TEXT,
    },
}
MESSAGE_PATHS: dict[str, Any] = {
    "/messages": {
        "get": {
            "summary": "Messages sent, newest first",
            "parameters": [
                _query("mobile", _TEXT, "Only to this number (any form)"),
                _query("account_id", {"type": "integer"}, "Only this account's"),
                _query("dialect", _TEXT, "Only sent through this dialect"),
                _query(
                    "status", {"enum": ["pending", "delivered", "failed"]}, "Only in this status"
                ),
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
                    "Page size",
                ),
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "messages": {"type": "array", "items": MESSAGE},
                            "total": {"type": "integer"},
                        },
                    }
                ),
                **_errors(400),
            },
        }
    },
    "/messages/{message_id}": {
        "get": {
            "summary": "One message",
            "parameters": [_id_param("message_id", "message")],
            "responses": {"200": _json(MESSAGE), **_errors(404)},
        }
    },
    "/outcome-rules": {
        "get": {
            "summary": "The outcome rules of simulated delivery",
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"rules": {"type": "array", "items": RULE}}}
                )
            },
        },
        "post": {
            "summary": "Add an outcome rule (failures need their receipt code)",
            "requestBody": _body(RULE),
            "responses": {"201": _json(RULE), **_errors(404, 413, 415, 422)},
        },
    },
    "/outcome-rules/{rule_id}": {
        "delete": {
            "summary": "Remove an outcome rule",
            "parameters": [_id_param("rule_id", "rule")],
            "responses": {"204": {"description": "Removed"}, **_errors(404)},
        }
    },
}


def document(providers: Providers) -> dict[str, Any]:
    """The whole document, for the credential kinds `providers` declare."""
    sign = _id_param("sign_id", "signature")
    tpl = _id_param("template_id", "template")
    acct = _id_param("account_id", "account")
    dlv = _id_param("delivery_id", "delivery")
    paths: dict[str, Any] = {
        "/me": {
            "get": {
                "summary": "The operator the token belongs to",
                "responses": {
                    "200": _json({"type": "object", "properties": {"id": {}, "name": {}}}),
                    **_errors(),
                },
            }
        },
        "/stats": {
            "get": {
                "summary": "Counts of signatures, templates and webhook deliveries by status",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "signatures": _ref("Counts"),
                                "templates": _ref("Counts"),
                                "deliveries": _ref("Counts"),
                            },
                        }
                    ),
                    **_errors(),
                },
            }
        },
        "/queue": {
            "get": {
                "summary": "Pending signatures and templates, oldest submission first",
                "parameters": [PAGING[1]],
                "responses": {"200": _json(_ref("Queue")), **_errors(400)},
            }
        },
        "/signatures": {
            "get": {
                "summary": "Live signatures of every account",
                "parameters": [
                    _query("status", {"type": "string"}, "Comma-separated statuses"),
                    _query("account_id", {"type": "integer"}, "Only this account's"),
                    _query("q", {"type": "string"}, "Name contains"),
                    _query("order", {"type": "string", "enum": ["newest", "oldest"]}, "Order"),
                    *PAGING,
                ],
                "responses": {"200": _json(_ref("SignatureList")), **_errors(400)},
            }
        },
        "/signatures/{sign_id}": {
            "get": {
                "summary": "A signature (deleted ones too) and its timeline",
                "parameters": [sign],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "signature": _ref("Signature"),
                                "deleted_at": {"type": ["number", "null"]},
                                "timeline": {"type": "array", "items": _ref("TimelineEntry")},
                            },
                        }
                    ),
                    **_errors(404),
                },
            }
        },
        "/signatures/{sign_id}/review": {
            "post": {
                "summary": "Approve, start filing or reject the current application",
                "parameters": [sign],
                "requestBody": _body(_ref("Review")),
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {"signature": _ref("Signature")}}
                    ),
                    **_errors(400, 404, 409, 413, 415, 422),
                },
            }
        },
        "/templates": {
            "get": {
                "summary": "Live templates of every account",
                "parameters": [
                    _query("status", {"type": "string"}, "Comma-separated statuses"),
                    _query("account_id", {"type": "integer"}, "Only this account's"),
                    _query("q", {"type": "string"}, "Name contains"),
                    _query("order", {"type": "string", "enum": ["newest", "oldest"]}, "Order"),
                    *PAGING,
                ],
                "responses": {"200": _json(_ref("TemplateList")), **_errors(400)},
            }
        },
        "/templates/{template_id}": {
            "get": {
                "summary": "A template (deleted ones too) and its timeline",
                "parameters": [tpl],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "template": _ref("Template"),
                                "deleted_at": {"type": ["number", "null"]},
                                "timeline": {"type": "array", "items": _ref("TimelineEntry")},
                            },
                        }
                    ),
                    **_errors(404),
                },
            }
        },
        "/templates/{template_id}/review": {
            "post": {
                "summary": "Approve or reject the template's current application",
                "parameters": [tpl],
                "requestBody": _body(_ref("TemplateReview")),
                "responses": {
                    "200": _json({"type": "object", "properties": {"template": _ref("Template")}}),
                    **_errors(400, 404, 409, 413, 415, 422),
                },
            }
        },
        "/images/{digest}": {
            "get": {
                "summary": "A proof or commission image",
                "parameters": [
                    {
                        "name": "digest",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    }
                ],
                "responses": {
                    "200": {"description": "The image", "content": {"image/*": {}}},
                    **_errors(404),
                },
            }
        },
        "/accounts": {
            "get": {
                "summary": "Every account",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"accounts": {"type": "array", "items": _ref("Account")}},
                        }
                    ),
                    **_errors(),
                },
            },
            "post": {
                "summary": "Create an account with credentials for every dialect",
                "requestBody": _body(_ref("NewAccount")),
                "responses": {
                    "201": _json(_ref("Issued"), "Created; secrets shown once"),
                    **_errors(400, 409, 413, 415, 422),
                },
            },
        },
        "/accounts/{account_id}": {
            "get": {
                "summary": "An account, its active credentials (no secrets) and webhook",
                "parameters": [acct],
                "responses": {"200": _json(_ref("AccountDetail")), **_errors(404)},
            },
            "patch": {
                "summary": "Change certification, arrears, IP allow-list or quota",
                "parameters": [acct],
                "requestBody": _body(_ref("AccountChange")),
                "responses": {
                    "200": _json(_ref("AccountDetail")),
                    **_errors(400, 404, 413, 415, 422),
                },
            },
        },
        "/accounts/{account_id}/credentials/{dialect}/rotate": {
            "post": {
                "summary": "Issue a new credential for one dialect and revoke the old one",
                "parameters": [
                    acct,
                    {
                        "name": "dialect",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": list(providers.kind_names)},
                    },
                ],
                "responses": {
                    "201": _json(_ref("Credential"), "The new credential; secret shown once"),
                    **_errors(404),
                },
            }
        },
        "/accounts/{account_id}/webhook": {
            "get": {
                "summary": "The account's webhook (without its secret)",
                "parameters": [acct],
                "responses": {"200": _json(_ref("Webhook")), **_errors(404)},
            },
            "put": {
                "summary": "Set the webhook; without a secret, keep the current one or make one",
                "parameters": [acct],
                "requestBody": _body(_ref("WebhookSetting")),
                "responses": {
                    "200": _json(_ref("Webhook")),
                    **_errors(400, 404, 413, 415, 422),
                },
            },
            "delete": {
                "summary": "Remove the webhook and cancel its unfinished deliveries",
                "parameters": [acct],
                "responses": {"204": {"description": "Removed"}, **_errors(404)},
            },
        },
        "/deliveries": {
            "get": {
                "summary": "Webhook deliveries, newest first",
                "parameters": [
                    _query("account_id", {"type": "integer"}, "Only this account's"),
                    _query("signature_id", {"type": "integer"}, "Only this signature's"),
                    _query("status", DELIVERY_STATUS, "Only in this status"),
                    *PAGING,
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "deliveries": {"type": "array", "items": _ref("Delivery")}
                            },
                        }
                    ),
                    **_errors(400),
                },
            }
        },
        "/deliveries/{delivery_id}": {
            "get": {
                "summary": "One delivery with its body and every attempt",
                "parameters": [dlv],
                "responses": {"200": _json(_ref("Delivery")), **_errors(404)},
            }
        },
        "/deliveries/{delivery_id}/retry": {
            "post": {
                "summary": "Attempt a delivery again now",
                "parameters": [dlv],
                "responses": {"200": _json(_ref("Delivery")), **_errors(404, 422)},
            }
        },
        **MESSAGE_PATHS,
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "smssign admin API",
            "version": __version__,
            "description": (
                "Review signatures and templates, manage accounts and webhooks. Authenticate with "
                "`Authorization: Bearer <token>` from `smssign operators token NAME`."
            ),
        },
        "servers": [{"url": "/admin/api"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": with_providers(providers),
        },
        "paths": paths,
    }
