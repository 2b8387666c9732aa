"""A payment the bank answered with a transfer it had already made names that transfer.

- `payment_results.transferred_as`: the payment id of the earlier order the bank made the
  transfer under (same instruction key), when the bank answered this payment with it and
  moved no money: a run lost in a restore of this database and started again. The payment
  is settled (its payee has the money) and its bank reference is the earlier transfer's;
  fund custody does not pay it out a second time. NULL for every other result.

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE payment_results ADD COLUMN transferred_as uuid"
               " CONSTRAINT transferred_as_is_settled"
               " CHECK (transferred_as IS NULL OR status = 'settled')")


def downgrade() -> None:
    op.execute("ALTER TABLE payment_results DROP COLUMN transferred_as")
