"""The relational schema, as SQLAlchemy Core tables. Migrations create exactly this.

Partial indexes name their condition here as `sqlite_where` only; the migrations give
PostgreSQL the same condition (`postgresql_where`). Declaring it here too would make
SQLAlchemy import its whole PostgreSQL dialect package (asyncpg's and psycopg's dialects
with it) in every SQLite process at start, about a tenth of a cold start, for options
nothing reads at run time: queries never consult index metadata, and the schema comes
from the migrations, not from `metadata.create_all`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData()

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identity columns.
Id = BigInteger().with_variant(Integer(), "sqlite")

accounts = Table(
    "accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("certification", String(20), nullable=False),
    Column("arrears", Boolean, nullable=False, default=False),
    Column("ip_allow", JSON, nullable=False),
    Column("signature_quota", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    # Sending (migration 0006): the balance in message parts, and the account's changes
    # to its providers' per-number frequency limits (limit name -> count, 0 = off).
    Column("balance", BigInteger, nullable=False, server_default=text("1000000")),
    Column("frequency_limits", JSON, nullable=False, server_default=text("'{}'")),
)

credentials = Table(
    "credentials",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("dialect", String(20), nullable=False),
    Column("key_id", String(200), nullable=False),
    Column("secret", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
    # Migration 0009: a hashed key that its provider also signs pushes with, sealed under
    # the master key (store/keyring.py `key_context`); "" for other kinds, for keys
    # issued before 0009 (only their hash is left) and once the key is revoked.
    Column("sealed_key", Text, nullable=False, server_default=text("''")),
    Index(
        "credentials_active_key",
        "dialect",
        "key_id",
        unique=True,
        sqlite_where=text("revoked_at IS NULL"),
    ),
    Index("credentials_account", "account_id"),
)

qualifications = Table(
    "qualifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("status", String(20), nullable=False),
)

signatures = Table(
    "signatures",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("international", Boolean, nullable=False),
    Column("sign_type", Integer, nullable=True),
    Column("document_type", Integer, nullable=True),
    Column("purpose", Integer, nullable=False),
    Column("proof_images", JSON, nullable=False),
    Column("commission_image", String(64), nullable=True),
    Column("remark", Text, nullable=False),
    Column("qualification_id", Id, nullable=True),
    Column("extra", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("review_reply", Text, nullable=False),
    Column("submitted_at", Float, nullable=False),
    Column("reviewed_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("deleted_at", Float, nullable=True),
    Column("version", Integer, nullable=False),
    Column("application_id", Id, nullable=False),
    Index("signatures_account", "account_id", "id"),
    # A name is held by at most one live signature per account and scope.
    Index(
        "signatures_live_name",
        "account_id",
        "international",
        "name",
        unique=True,
        sqlite_where=text("deleted_at IS NULL AND status != 'rejected'"),
    ),
    Index("signatures_status", "status", "submitted_at"),
)

templates = Table(
    "templates",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("name", String(100), nullable=False),
    # The neutral form, variables written {name} (core/templates.py).
    Column("content", Text, nullable=False),
    Column("type", String(20), nullable=False),
    Column("international", Boolean, nullable=False),
    Column("remark", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("review_reply", Text, nullable=False),
    Column("submitted_at", Float, nullable=False),
    Column("reviewed_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("deleted_at", Float, nullable=True),
    Column("version", Integer, nullable=False),
    Column("application_id", Id, nullable=False),
    # A dialect's own fields (migration 0008).
    Column("extra", JSON, nullable=False, server_default=text("'{}'")),
    Index("templates_account", "account_id", "id"),
    Index("templates_status", "status", "submitted_at"),
)

# --- the review core: keyed by (subject_kind, subject_id) for every reviewable kind ------
# No foreign key to the reviewed row: its table depends on the kind (migration 0003).

applications = Table(
    "applications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subject_kind", String(20), nullable=False),
    Column("subject_id", Id, nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("dialect", String(20), nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("applications_subject", "subject_kind", "subject_id", "id"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subject_kind", String(20), nullable=False),
    Column("subject_id", Id, nullable=False),
    Column("application_id", Id, ForeignKey("applications.id"), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("reviewer", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Index("reviews_subject", "subject_kind", "subject_id", "id"),
)

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("type", String(50), nullable=False),
    Column("subject_kind", String(20), nullable=True),
    Column("subject_id", Id, nullable=True),
    Column("payload", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    # When the webhook dispatcher turned the event into a delivery (or found none due).
    Column("dispatched_at", Float, nullable=True),
    Index("events_account", "account_id", "id"),
    Index("events_subject", "subject_kind", "subject_id", "id"),
    Index(
        "events_undispatched",
        "id",
        sqlite_where=text("dispatched_at IS NULL"),
    ),
)

# --- back office: operators, webhooks, deliveries (migration 0002) ---------------------

operators = Table(
    "operators",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("disabled_at", Float, nullable=True),
)

operator_tokens = Table(
    "operator_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("operator_id", Id, ForeignKey("operators.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
    # Migration 0004: None is a token without an expiry.
    Column("expires_at", Float, nullable=True),
)

operator_sessions = Table(
    "operator_sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("operator_id", Id, ForeignKey("operators.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("address", String(64), nullable=True),
    Column("at", Float, nullable=False),
    Index("login_failures_name", "name", "at"),
    Index("login_failures_address", "address", "at"),
)

server_keys = Table(
    "server_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True, autoincrement=False),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The (first) event delivered: a status-report delivery carries up to 100 events,
    # each listed in report_items (migration 0007), so the id is no longer unique.
    Column("event_id", Id, ForeignKey("events.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("signature_id", Id, nullable=True),
    Column("type", String(50), nullable=False),
    # The exact JSON sent on every attempt, fixed when the event was dispatched.
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Float, nullable=False),
    Column("lease_until", Float, nullable=True),
    Column("leased_by", String(64), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float, nullable=True),
    # Migration 0007: `webhook`, or the report format's name; where a report goes (a
    # webhook's URL is its account's, read from `webhooks` when it is sent).
    Column("channel", String(40), nullable=False, server_default=text("'webhook'")),
    Column("url", Text, nullable=True),
    Index("deliveries_due", "status", "next_attempt_at"),
    Index("deliveries_event", "event_id"),
    Index("deliveries_account", "account_id", "id"),
    Index("deliveries_signature", "signature_id", "id"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("delivery_id", Id, ForeignKey("deliveries.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("url", Text, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("duration", Float, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=False),
    Column("response", Text, nullable=False),
    Column("delivered", Boolean, nullable=False),
    Index("delivery_attempts_delivery", "delivery_id", "id"),
)

# --- status reports and replies pushed in a provider's format (migration 0007) ----------

callbacks = Table(
    "callbacks",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True, autoincrement=False),
    # A report format's name (core/reports.py), which several dialects may share.
    Column("provider", String(40), primary_key=True),
    Column("status_url", Text, nullable=True),
    Column("reply_url", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

report_items = Table(
    "report_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("delivery_id", Id, ForeignKey("deliveries.id"), nullable=False),
    Column("event_id", Id, nullable=False),
    # A message or a reply; no foreign key, so that deleting messages keeps the log.
    Column("subject_kind", String(20), nullable=False),
    Column("subject_id", Id, nullable=False),
    Index("report_items_subject", "subject_kind", "subject_id", "delivery_id"),
)

# --- sending: messages, replies, outcome rules (migration 0006) --------------------------

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("dialect", String(20), nullable=False),
    Column("mobile", String(20), nullable=False),
    Column("sign", String(100), nullable=False),
    Column("signature_id", Id, nullable=True),
    Column("template_id", Id, nullable=True),
    Column("template_type", String(20), nullable=True),
    Column("params", JSON, nullable=False),
    Column("text", Text, nullable=False),
    Column("parts", Integer, nullable=False),
    Column("fee", Integer, nullable=False),
    Column("provider_message_id", String(100), nullable=False),
    Column("session", Text, nullable=False),
    Column("extend", String(32), nullable=False),
    Column("status", String(20), nullable=False),
    Column("error_code", String(100), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("reported_at", Float, nullable=True),
    # When simulated delivery decides the message; NULL once decided (or held forever).
    Column("due_at", Float, nullable=True),
    # When a dialect's status-report queue handed the report out (each is pulled once).
    Column("pulled_at", Float, nullable=True),
    # A request's own status-report URL (a callback_url parameter), else NULL.
    Column("callback_url", Text, nullable=True),
    Index("messages_mobile", "mobile", "id"),
    Index("messages_provider_id", "provider_message_id"),
    Index("messages_account", "account_id", "created_at"),
    Index("messages_account_mobile", "account_id", "mobile", "created_at"),
    Index(
        "messages_due",
        "due_at",
        sqlite_where=text("due_at IS NOT NULL"),
    ),
    Index(
        "messages_unpulled",
        "account_id",
        "reported_at",
        sqlite_where=text("reported_at IS NOT NULL AND pulled_at IS NULL"),
    ),
)

replies = Table(
    "replies",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("dialect", String(20), nullable=False),
    Column("mobile", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("sign", String(100), nullable=False),
    Column("extend", String(32), nullable=False),
    # The message it answers; no foreign key, so that deleting messages keeps replies.
    Column("message_id", Id, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("pulled_at", Float, nullable=True),
    Index("replies_account", "account_id", "id"),
    Index("replies_mobile", "mobile", "id"),
)

outcome_rules = Table(
    "outcome_rules",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=True),
    Column("pattern", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("error_code", String(100), nullable=True),
    Column("description", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)
