"""The schemas of the admin API's OpenAPI document: its objects, as data.

`openapi.py` writes the paths and refers to these by name; the credential kinds are
filled in from the provider registry (`with_providers`).
"""

from __future__ import annotations

from typing import Any

from smssign.core.providers import Providers


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


STATUS = {"type": "string", "enum": ["pending", "filing", "approved", "rejected"]}
DELIVERY_STATUS = {"type": "string", "enum": ["pending", "delivered", "failed", "cancelled"]}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                },
            }
        },
    },
    "Signature": {
        "type": "object",
        "description": "A signature; webhooks carry the same object.",
        "properties": {
            "id": {"type": "integer"},
            "account_id": {"type": "integer"},
            "name": {"type": "string"},
            "international": {"type": "boolean"},
            "sign_type": {"type": ["integer", "null"]},
            "document_type": {"type": ["integer", "null"]},
            "purpose": {"type": "integer", "description": "0 own use, 1 for others"},
            "proof_images": {
                "type": "array",
                "items": {"type": "string"},
                "description": "sha256 digests; fetch with GET /images/{digest}",
            },
            "commission_image": {"type": ["string", "null"]},
            "remark": {"type": "string"},
            "qualification_id": {"type": ["integer", "null"]},
            "extra": {"type": "object"},
            "status": STATUS,
            "review_reply": {"type": "string"},
            "submitted_at": {"type": "number"},
            "reviewed_at": {"type": ["number", "null"]},
            "application_id": {"type": "integer"},
            "version": {"type": "integer"},
            "created_at": {"type": "number"},
            "updated_at": {"type": "number"},
        },
    },
    "SignatureList": {
        "type": "object",
        "properties": {
            "signatures": {"type": "array", "items": _ref("Signature")},
            "total": {"type": "integer"},
        },
    },
    "Template": {
        "type": "object",
        "description": "A template; its webhooks carry the same object.",
        "properties": {
            "id": {"type": "integer"},
            "account_id": {"type": "integer"},
            "name": {"type": "string"},
            "content": {
                "type": "string",
                "description": "Neutral form: variables are {1}, {2}, ... or {name}",
            },
            "type": {
                "type": "string",
                "enum": ["normal", "marketing", "notification", "verification"],
            },
            "international": {"type": "boolean"},
            "remark": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "approved", "rejected"]},
            "review_reply": {"type": "string"},
            "submitted_at": {"type": "number"},
            "reviewed_at": {"type": ["number", "null"]},
            "application_id": {"type": "integer"},
            "version": {"type": "integer"},
            "created_at": {"type": "number"},
            "updated_at": {"type": "number"},
        },
    },
    "TemplateList": {
        "type": "object",
        "properties": {
            "templates": {"type": "array", "items": _ref("Template")},
            "total": {"type": "integer"},
        },
    },
    "TemplateReview": {
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": {"type": "string", "enum": ["approved", "rejected"]},
            "reason": {
                "type": "string",
                "maxLength": 500,
                "description": "Required to reject; the applicant reads it",
            },
        },
    },
    "Queue": {
        "type": "object",
        "properties": {
            "signatures": {"type": "array", "items": _ref("Signature")},
            "total": {"type": "integer"},
            "templates": {"type": "array", "items": _ref("Template")},
            "template_total": {"type": "integer"},
        },
    },
    "TimelineEntry": {
        "type": "object",
        "required": ["at", "kind"],
        "properties": {
            "at": {"type": "number"},
            "kind": {"type": "string", "enum": ["application", "review", "delivery", "deleted"]},
            "application": {"type": "object"},
            "review": {
                "type": "object",
                "properties": {
                    "decision": STATUS,
                    "reason": {"type": "string"},
                    "reviewer": {"type": "string"},
                    "application_id": {"type": "integer"},
                },
            },
            "delivery": _ref("Delivery"),
            "event": {"type": "object"},
        },
    },
    "Review": {
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": {"type": "string", "enum": ["approved", "filing", "rejected"]},
            "reason": {
                "type": "string",
                "maxLength": 500,
                "description": "Required to reject; becomes ReviewReply",
            },
        },
    },
    "Account": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "certification": {"type": "string", "enum": ["enterprise", "individual"]},
            "arrears": {"type": "boolean"},
            "ip_allow": {"type": "array", "items": {"type": "string"}},
            "signature_quota": {"type": "integer"},
            "created_at": {"type": "number"},
        },
    },
    "AccountDetail": {
        "type": "object",
        "properties": {
            "account": _ref("Account"),
            "credentials": {"type": "array", "items": _ref("Credential")},
            "webhook": {"oneOf": [_ref("Webhook"), {"type": "null"}]},
        },
    },
    "AccountChange": {
        "type": "object",
        "properties": {
            "certification": {"type": "string", "enum": ["enterprise", "individual"]},
            "arrears": {"type": "boolean"},
            "ip_allow": {"type": "array", "items": {"type": "string"}, "maxItems": 100},
            "signature_quota": {"type": "integer", "minimum": 0, "maximum": 1000000},
        },
    },
    "NewAccount": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "maxLength": 200},
            "certification": {"type": "string", "enum": ["enterprise", "individual"]},
        },
    },
    "Issued": {
        "type": "object",
        "description": "The same shape as `smssign accounts create --json`; secrets shown once.",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "certification": {"type": "string"},
            # ... and one object per credential kind: see `_with_providers`.
        },
    },
    "Credential": {
        "type": "object",
        "properties": {
            "dialect": {"type": "string", "enum": []},
            "key_id": {"type": ["string", "null"]},
            "secret": {"type": "string", "description": "Only right after a rotation"},
            "created_at": {"type": "number"},
        },
    },
    "Webhook": {
        "type": "object",
        "properties": {
            "account_id": {"type": "integer"},
            "url": {"type": "string"},
            "enabled": {"type": "boolean"},
            "secret": {
                "type": "string",
                "description": "Only when smssign made the secret up (PUT without one)",
            },
            "created_at": {"type": "number"},
            "updated_at": {"type": "number"},
        },
    },
    "WebhookSetting": {
        "type": "object",
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "format": "uri"},
            "secret": {"type": "string", "maxLength": 256},
            "enabled": {"type": "boolean", "default": True},
        },
    },
    "Delivery": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "event_id": {"type": "integer"},
            "account_id": {"type": "integer"},
            "signature_id": {"type": ["integer", "null"]},
            "type": {"type": "string"},
            "status": DELIVERY_STATUS,
            "attempts": {"type": "integer"},
            "next_attempt_at": {"type": "number"},
            "last_status_code": {"type": ["integer", "null"]},
            "last_error": {"type": "string"},
            "created_at": {"type": "number"},
            "finished_at": {"type": ["number", "null"]},
            "channel": {
                "type": "string",
                "description": "webhook, or the report format of a status-report delivery",
            },
            "url": {
                "type": ["string", "null"],
                "description": "Where a report goes; null for a webhook (its account's URL)",
            },
            "attempt_log": {"type": "array", "items": {"type": "object"}},
            "body": {
                "type": ["object", "array", "string"],
                "description": "What is sent (single delivery only): the JSON, or the text of "
                "a form-encoded report",
            },
        },
    },
    "Counts": {"type": "object", "additionalProperties": {"type": "integer"}},
}


def with_providers(providers: Providers) -> dict[str, Any]:
    """SCHEMAS with the registered credential kinds filled in."""
    names = list(providers.kind_names)
    issued = SCHEMAS["Issued"]
    credential = SCHEMAS["Credential"]
    return {
        **SCHEMAS,
        "Issued": {
            **issued,
            "properties": {**issued["properties"], **{name: {"type": "object"} for name in names}},
        },
        "Credential": {
            **credential,
            "properties": {
                **credential["properties"],
                "dialect": {"type": "string", "enum": names},
            },
        },
    }
