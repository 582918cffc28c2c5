"""messages: a per-message status-report URL (a request's own callback URL)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 17:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN with a default: SQLite does it in place, and rows sent before it
    # report to the account's URL, as they did.
    op.add_column(
        "messages",
        sa.Column("report_url", sa.Text(), nullable=False, server_default=sa.text("''")),
    )


def downgrade() -> None:
    # SQLite (3.35 and later) drops a column in place, like PostgreSQL.
    op.execute("ALTER TABLE messages DROP COLUMN report_url")
