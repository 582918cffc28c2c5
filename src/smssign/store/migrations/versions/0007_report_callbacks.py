"""report callbacks: per-account status and reply URLs, report deliveries in the outbox

Status reports and replies pushed in a provider's format go through the webhooks'
`deliveries` table and worker. A report delivery carries up to 100 events, so a delivery
no longer has an event of its own: `event_id` (its first event) loses its UNIQUE, and
`report_items` lists every message or reply a delivery carries. `channel` tells a
webhook (`webhook`) from a report format's name; `url` is where a report goes (webhooks
keep reading theirs from `webhooks`). `callbacks` holds the URLs per account and format.

PostgreSQL drops the constraint in place. SQLite cannot, so it rebuilds `deliveries`
and `delivery_attempts` (children first out, as in 0003), keeping every id and value.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WEBHOOK = "webhook"

_DELIVERY_COLUMNS = (
    "id, event_id, account_id, signature_id, type, body, status, attempts, next_attempt_at, "
    "lease_until, leased_by, last_status_code, last_error, created_at, finished_at"
)
_ATTEMPT_COLUMNS = (
    "id, delivery_id, number, url, started_at, duration, status_code, error, response, delivered"
)
_INDEXES = (
    ("deliveries_account", ["account_id", "id"]),
    ("deliveries_due", ["status", "next_attempt_at"]),
    ("deliveries_signature", ["signature_id", "id"]),
)


def _deliveries_table(name: str, *, channels: bool) -> None:
    columns: list[sa.Column[object]] = [
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("signature_id", _ID, nullable=True),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Float(), nullable=False),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
    ]
    constraints: list[sa.schema.SchemaItem] = [
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.PrimaryKeyConstraint("id"),
    ]
    if channels:
        columns += [
            sa.Column("channel", sa.String(length=40), nullable=False, server_default=WEBHOOK),
            sa.Column("url", sa.Text(), nullable=True),
        ]
    else:
        constraints.append(sa.UniqueConstraint("event_id"))
    op.create_table(name, *columns, *constraints)


def _attempts_table(name: str, parent: str) -> None:
    op.create_table(
        name,
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("delivery_id", _ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        # Renaming the parent below renames this reference with it.
        sa.ForeignKeyConstraint(["delivery_id"], [f"{parent}.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def _rebuild_sqlite(*, channels: bool) -> None:
    _deliveries_table("deliveries_new", channels=channels)
    _attempts_table("delivery_attempts_new", "deliveries_new")
    op.execute(
        f"INSERT INTO deliveries_new ({_DELIVERY_COLUMNS}) SELECT {_DELIVERY_COLUMNS} "
        "FROM deliveries"
    )
    op.execute(
        f"INSERT INTO delivery_attempts_new ({_ATTEMPT_COLUMNS}) SELECT {_ATTEMPT_COLUMNS} "
        "FROM delivery_attempts"
    )
    # Children before parents: dropping a table deletes its rows, which the foreign keys
    # of its children would refuse.
    op.drop_table("delivery_attempts")
    op.drop_table("deliveries")
    op.rename_table("deliveries_new", "deliveries")
    op.rename_table("delivery_attempts_new", "delivery_attempts")
    for name, columns in _INDEXES:
        op.create_index(name, "deliveries", columns)
    op.create_index("delivery_attempts_delivery", "delivery_attempts", ["delivery_id", "id"])


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(channels=True)
    else:
        inspector = sa.inspect(op.get_bind())
        for constraint in inspector.get_unique_constraints("deliveries"):
            if constraint["column_names"] == ["event_id"] and constraint["name"]:
                op.drop_constraint(constraint["name"], "deliveries", type_="unique")
        op.add_column(
            "deliveries",
            sa.Column("channel", sa.String(length=40), nullable=False, server_default=WEBHOOK),
        )
        op.add_column("deliveries", sa.Column("url", sa.Text(), nullable=True))
    op.create_index("deliveries_event", "deliveries", ["event_id"])
    op.create_table(
        "callbacks",
        sa.Column("account_id", _ID, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("status_url", sa.Text(), nullable=True),
        sa.Column("reply_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "provider"),
    )
    op.create_table(
        "report_items",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("delivery_id", _ID, sa.ForeignKey("deliveries.id"), nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "report_items_subject", "report_items", ["subject_kind", "subject_id", "delivery_id"]
    )


def downgrade() -> None:
    """Back to one delivery per event: the report deliveries and their attempts go."""
    op.drop_index("report_items_subject", table_name="report_items")
    op.drop_table("report_items")
    op.drop_table("callbacks")
    reports = f"SELECT id FROM deliveries WHERE channel != '{WEBHOOK}'"
    op.execute(f"DELETE FROM delivery_attempts WHERE delivery_id IN ({reports})")
    op.execute(f"DELETE FROM deliveries WHERE channel != '{WEBHOOK}'")
    op.drop_index("deliveries_event", table_name="deliveries")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(channels=False)
        return
    op.drop_column("deliveries", "url")
    op.drop_column("deliveries", "channel")
    op.create_unique_constraint("deliveries_event_id_key", "deliveries", ["event_id"])
