"""sealed key: a sealed copy of a hashed key whose provider signs pushes with it

`''` for every existing row: only the hash of a bearer key issued before this revision
is stored, so no copy can be made of it (rotating the key makes one). A plain ADD
COLUMN, in place on SQLite and PostgreSQL.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "credentials",
        sa.Column("sealed_key", sa.Text(), nullable=False, server_default=sa.text("''")),
    )


def downgrade() -> None:
    # SQLite (3.35 and later) drops a column in place, like PostgreSQL.
    op.execute("ALTER TABLE credentials DROP COLUMN sealed_key")
