"""A settled chunk keeps apart what it settled by transfers the bank had made earlier.

- `settled_chunks.transferred_earlier_fen`: the part of the chunk's settled payments the
  bank answered with a transfer it had made earlier under another payment id (the same
  instruction key: a run lost in a restore of disbursement's database and started again).
  No money moved for it, so it is not in `amount_fen` (what the chunk paid out) and never
  reaches `paid_out`; the run's reservation for it is released when the run settles.
  `payment_count` still counts every settled payment of the chunk. Rows recorded before
  keep 0.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE settled_chunks ADD COLUMN transferred_earlier_fen bigint"
               " NOT NULL DEFAULT 0 CHECK (transferred_earlier_fen >= 0)")


def downgrade() -> None:
    op.execute("ALTER TABLE settled_chunks DROP COLUMN transferred_earlier_fen")
