"""template extra: a dialect's own fields on templates (a review-result callback URL)

`{}` for every existing row. A plain ADD COLUMN, in place on SQLite and PostgreSQL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "templates",
        sa.Column("extra", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )


def downgrade() -> None:
    # SQLite (3.35 and later) drops a column in place, like PostgreSQL.
    op.execute("ALTER TABLE templates DROP COLUMN extra")
