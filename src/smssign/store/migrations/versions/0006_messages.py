"""messages: sent messages, replies, outcome rules; balance and frequency limits

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite does it in place (a batch rebuild would drop `accounts`,
    # which every other table references).
    op.add_column(
        "accounts",
        sa.Column("balance", sa.BigInteger(), nullable=False, server_default=sa.text("1000000")),
    )
    op.add_column(
        "accounts",
        sa.Column("frequency_limits", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )
    op.create_table(
        "messages",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", _ID, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("dialect", sa.String(20), nullable=False),
        sa.Column("mobile", sa.String(20), nullable=False),
        sa.Column("sign", sa.String(100), nullable=False),
        sa.Column("signature_id", _ID, nullable=True),
        sa.Column("template_id", _ID, nullable=True),
        sa.Column("template_type", sa.String(20), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("fee", sa.Integer(), nullable=False),
        sa.Column("provider_message_id", sa.String(100), nullable=False),
        sa.Column("session", sa.Text(), nullable=False),
        sa.Column("extend", sa.String(32), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error_code", sa.String(100), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("reported_at", sa.Float(), nullable=True),
        sa.Column("due_at", sa.Float(), nullable=True),
        sa.Column("pulled_at", sa.Float(), nullable=True),
        sa.Column("callback_url", sa.Text(), nullable=True),
    )
    op.create_index("messages_mobile", "messages", ["mobile", "id"])
    op.create_index("messages_provider_id", "messages", ["provider_message_id"])
    op.create_index("messages_account", "messages", ["account_id", "created_at"])
    op.create_index("messages_account_mobile", "messages", ["account_id", "mobile", "created_at"])
    op.create_index(
        "messages_due",
        "messages",
        ["due_at"],
        sqlite_where=sa.text("due_at IS NOT NULL"),
        postgresql_where=sa.text("due_at IS NOT NULL"),
    )
    op.create_index(
        "messages_unpulled",
        "messages",
        ["account_id", "reported_at"],
        sqlite_where=sa.text("reported_at IS NOT NULL AND pulled_at IS NULL"),
        postgresql_where=sa.text("reported_at IS NOT NULL AND pulled_at IS NULL"),
    )
    op.create_table(
        "replies",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", _ID, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("dialect", sa.String(20), nullable=False),
        sa.Column("mobile", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sign", sa.String(100), nullable=False),
        sa.Column("extend", sa.String(32), nullable=False),
        sa.Column("message_id", _ID, nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("pulled_at", sa.Float(), nullable=True),
    )
    op.create_index("replies_account", "replies", ["account_id", "id"])
    op.create_index("replies_mobile", "replies", ["mobile", "id"])
    op.create_table(
        "outcome_rules",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("account_id", _ID, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("pattern", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error_code", sa.String(100), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outcome_rules")
    op.drop_index("replies_mobile", table_name="replies")
    op.drop_index("replies_account", table_name="replies")
    op.drop_table("replies")
    for name in (
        "messages_unpulled",
        "messages_due",
        "messages_account_mobile",
        "messages_account",
        "messages_provider_id",
        "messages_mobile",
    ):
        op.drop_index(name, table_name="messages")
    op.drop_table("messages")
    # SQLite (3.35 and later) drops a column in place, like PostgreSQL.
    op.execute("ALTER TABLE accounts DROP COLUMN frequency_limits")
    op.execute("ALTER TABLE accounts DROP COLUMN balance")
