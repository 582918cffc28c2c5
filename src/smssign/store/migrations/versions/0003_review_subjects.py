"""review core: applications, reviews and events keyed by (subject_kind, subject_id)

Every existing row is a signature's: `signature_id` becomes `subject_id` with
`subject_kind = 'signature'`, and the foreign keys from applications and reviews to
signatures go (the reviewed row's table depends on its kind). Ids and every other value
are kept, so SignApplyIds, event ids and webhook deliveries stay as they were.

PostgreSQL changes the tables in place. SQLite cannot drop a foreign key in place, so it
rebuilds applications and reviews (reviews first out, since they point at applications)
and renames the events column, which had no foreign key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SIGNATURE = "signature"


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite()
    else:
        _alter_in_place()
    # RENAME COLUMN is plain SQL on both databases (SQLite since 3.25).
    op.execute("ALTER TABLE events RENAME COLUMN signature_id TO subject_id")
    op.add_column("events", sa.Column("subject_kind", sa.String(length=20), nullable=True))
    op.execute(
        sa.text("UPDATE events SET subject_kind = :kind WHERE subject_id IS NOT NULL").bindparams(
            kind=SIGNATURE
        )
    )
    op.create_index("events_subject", "events", ["subject_kind", "subject_id", "id"])
    op.create_index("applications_subject", "applications", ["subject_kind", "subject_id", "id"])
    op.create_index("reviews_subject", "reviews", ["subject_kind", "subject_id", "id"])


def _alter_in_place() -> None:
    inspector = sa.inspect(op.get_bind())
    for table in ("applications", "reviews"):
        for key in inspector.get_foreign_keys(table):
            if key["constrained_columns"] == ["signature_id"] and key["name"]:
                op.drop_constraint(key["name"], table, type_="foreignkey")
        op.drop_index(f"{table}_signature", table_name=table)
        op.execute(f"ALTER TABLE {table} RENAME COLUMN signature_id TO subject_id")
        op.add_column(
            table,
            sa.Column(
                "subject_kind",
                sa.String(length=20),
                nullable=False,
                server_default=SIGNATURE,
            ),
        )
        op.alter_column(table, "subject_kind", server_default=None)


def _rebuild_sqlite() -> None:
    op.create_table(
        "applications_new",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", _id(), nullable=False),
        sa.Column("account_id", _id(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("dialect", sa.String(length=20), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "reviews_new",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", _id(), nullable=False),
        sa.Column("application_id", _id(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        # Renaming applications_new below renames this reference with it.
        sa.ForeignKeyConstraint(["application_id"], ["applications_new.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    kind = {"kind": SIGNATURE}
    op.execute(
        sa.text(
            "INSERT INTO applications_new "
            "(id, subject_kind, subject_id, account_id, kind, dialect, snapshot, created_at) "
            "SELECT id, :kind, signature_id, account_id, kind, dialect, snapshot, created_at "
            "FROM applications"
        ).bindparams(**kind)
    )
    op.execute(
        sa.text(
            "INSERT INTO reviews_new "
            "(id, subject_kind, subject_id, application_id, decision, reason, reviewer, "
            "created_at) "
            "SELECT id, :kind, signature_id, application_id, decision, reason, reviewer, "
            "created_at FROM reviews"
        ).bindparams(**kind)
    )
    # Children before parents: dropping a table deletes its rows, which the foreign keys
    # of its children would refuse.
    op.drop_table("reviews")
    op.drop_table("applications")
    op.rename_table("applications_new", "applications")
    op.rename_table("reviews_new", "reviews")


def downgrade() -> None:
    """Back to signature_id; only possible while every subject is a signature."""
    bind = op.get_bind()
    for table in ("applications", "reviews", "events"):
        others = bind.execute(
            sa.text(
                f"SELECT COUNT(*) FROM {table} "
                "WHERE subject_kind IS NOT NULL AND subject_kind != :kind"
            ).bindparams(kind=SIGNATURE)
        ).scalar_one()
        if others:
            raise RuntimeError(f"{table} holds rows of other kinds than signatures")
    op.drop_index("reviews_subject", table_name="reviews")
    op.drop_index("applications_subject", table_name="applications")
    op.drop_index("events_subject", table_name="events")
    op.execute("ALTER TABLE events DROP COLUMN subject_kind")
    op.execute("ALTER TABLE events RENAME COLUMN subject_id TO signature_id")
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite_back()
        return
    for table in ("applications", "reviews"):
        op.drop_column(table, "subject_kind")
        op.execute(f"ALTER TABLE {table} RENAME COLUMN subject_id TO signature_id")
        op.create_foreign_key(
            f"{table}_signature_id_fkey", table, "signatures", ["signature_id"], ["id"]
        )
        op.create_index(f"{table}_signature", table, ["signature_id", "id"])


def _rebuild_sqlite_back() -> None:
    op.create_table(
        "applications_old",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("signature_id", _id(), nullable=False),
        sa.Column("account_id", _id(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("dialect", sa.String(length=20), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["signature_id"], ["signatures.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "reviews_old",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("signature_id", _id(), nullable=False),
        sa.Column("application_id", _id(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications_old.id"]),
        sa.ForeignKeyConstraint(["signature_id"], ["signatures.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        "INSERT INTO applications_old "
        "(id, signature_id, account_id, kind, dialect, snapshot, created_at) "
        "SELECT id, subject_id, account_id, kind, dialect, snapshot, created_at "
        "FROM applications"
    )
    op.execute(
        "INSERT INTO reviews_old "
        "(id, signature_id, application_id, decision, reason, reviewer, created_at) "
        "SELECT id, subject_id, application_id, decision, reason, reviewer, created_at "
        "FROM reviews"
    )
    op.drop_table("reviews")
    op.drop_table("applications")
    op.rename_table("applications_old", "applications")
    op.rename_table("reviews_old", "reviews")
    op.create_index("applications_signature", "applications", ["signature_id", "id"])
    op.create_index("reviews_signature", "reviews", ["signature_id", "id"])
