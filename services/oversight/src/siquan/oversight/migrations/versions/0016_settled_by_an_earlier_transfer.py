"""A settled payment the bank answered with a transfer it had made earlier names it.

- `settled_payments.transferred_as`: the payment id of the earlier order the bank made the
  transfer under (`payments.settled`'s `transferred_as`: a run lost in a restore of
  disbursement's database and started again), NULL when the bank moved the money for this
  payment. Two payments of the same transfer are one payment: neither is paid twice, and
  a person's statement shows the transfer once.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE settled_payments ADD COLUMN transferred_as text")


def downgrade() -> None:
    op.execute("ALTER TABLE settled_payments DROP COLUMN transferred_as")
