"""operators: token expiry, failed logins counted per client address

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operator_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.Float(), nullable=True))
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("login_failures_address", ["address", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("login_failures_address")
    with op.batch_alter_table("operator_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
