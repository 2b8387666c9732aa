"""What a run paid (and had returned) for each period it paid, chunk by chunk: a run pays
arrears and top-ups for earlier periods besides its own, and reports per period count
them in the period they are for.

- `run_period_amounts`: per (run, settled or returned, chunk, period) the fen; written with
  the chunk in the same unit of work, so once per chunk. A run settled before this table
  existed has no rows: all it paid stays in its own period.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE run_period_amounts (
        run_id     text NOT NULL REFERENCES allocations (run_id),
        kind       text NOT NULL CHECK (kind IN ('settled', 'returned')),
        chunk      integer NOT NULL CHECK (chunk >= 0),
        period     text NOT NULL,
        amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
        PRIMARY KEY (run_id, kind, chunk, period)
    )""")


def downgrade() -> None:
    op.execute("DROP TABLE run_period_amounts")
