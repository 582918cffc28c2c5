"""pushes: deliveries with their own target; a dialect's own fields on templates

A delivery may now carry its own URL, content type and accepted replies (a push, see
core.deliveries.Push), and one event may make several deliveries: its webhook delivery
and any pushes. So `deliveries.event_id` loses its unique constraint (an index takes its
place) and gains `url`, `content_type` and `replies`, NULL for webhook deliveries.
Templates get `extra`, a dialect's own fields, `{}` for every existing row.

PostgreSQL drops the constraint in place. SQLite cannot, so it rebuilds deliveries and
delivery_attempts (which points at deliveries), keeping every id and value.

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

_DELIVERY_COLUMNS = (
    "id, event_id, account_id, signature_id, type, body, status, attempts, "
    "next_attempt_at, lease_until, leased_by, last_status_code, last_error, created_at, "
    "finished_at"
)
_ATTEMPT_COLUMNS = (
    "id, delivery_id, number, url, started_at, duration, status_code, error, response, delivered"
)
_PUSH_COLUMNS = ("url", "content_type", "replies")


def upgrade() -> None:
    op.add_column(
        "templates",
        sa.Column("extra", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(pushes=True)
    else:
        for constraint in sa.inspect(op.get_bind()).get_unique_constraints("deliveries"):
            if constraint["column_names"] == ["event_id"] and constraint["name"]:
                op.drop_constraint(constraint["name"], "deliveries", type_="unique")
        for name in _PUSH_COLUMNS:
            op.add_column("deliveries", sa.Column(name, sa.Text(), nullable=True))
    op.create_index("deliveries_event", "deliveries", ["event_id"])


def downgrade() -> None:
    """Back to one delivery per event; only possible while no push was ever made."""
    bind = op.get_bind()
    pushes = bind.execute(
        sa.text("SELECT COUNT(*) FROM deliveries WHERE url IS NOT NULL")
    ).scalar_one()
    if pushes:
        raise RuntimeError("deliveries holds pushes, which revision 0006 cannot keep")
    op.drop_index("deliveries_event", table_name="deliveries")
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite(pushes=False)
    else:
        for name in _PUSH_COLUMNS:
            op.drop_column("deliveries", name)
        op.create_unique_constraint("deliveries_event_id_key", "deliveries", ["event_id"])
    # SQLite (3.35 and later) drops a column in place, like PostgreSQL.
    op.execute("ALTER TABLE templates DROP COLUMN extra")


def _rebuild_sqlite(*, pushes: bool) -> None:
    """deliveries and delivery_attempts anew: with the push columns and no unique
    event_id when `pushes`, else as revision 0002 made them."""
    extra = [sa.Column(name, sa.Text(), nullable=True) for name in _PUSH_COLUMNS] if pushes else []
    unique = [] if pushes else [sa.UniqueConstraint("event_id")]
    op.create_table(
        "deliveries_new",
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
        *extra,
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.PrimaryKeyConstraint("id"),
        *unique,
    )
    op.create_table(
        "delivery_attempts_new",
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
        # Renaming deliveries_new below renames this reference with it.
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries_new.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        f"INSERT INTO deliveries_new ({_DELIVERY_COLUMNS}) "
        f"SELECT {_DELIVERY_COLUMNS} FROM deliveries"
    )
    op.execute(
        f"INSERT INTO delivery_attempts_new ({_ATTEMPT_COLUMNS}) "
        f"SELECT {_ATTEMPT_COLUMNS} FROM delivery_attempts"
    )
    # Children before parents: dropping a table deletes its rows, which the foreign keys
    # of its children would refuse.
    op.drop_table("delivery_attempts")
    op.drop_table("deliveries")
    op.rename_table("deliveries_new", "deliveries")
    op.rename_table("delivery_attempts_new", "delivery_attempts")
    op.create_index("deliveries_account", "deliveries", ["account_id", "id"])
    op.create_index("deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_index("deliveries_signature", "deliveries", ["signature_id", "id"])
    op.create_index("delivery_attempts_delivery", "delivery_attempts", ["delivery_id", "id"])
