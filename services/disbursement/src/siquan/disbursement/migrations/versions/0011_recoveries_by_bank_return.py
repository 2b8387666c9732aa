"""A recovery that is no officer's entry: the bank's return of an overpaid payment.

- `recoveries.returned_payment_id`: the overpaid payment whose return by the bank this
  repayment is — at most once per payment (the money came back once).

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    ALTER TABLE recoveries
        ADD COLUMN returned_payment_id uuid UNIQUE REFERENCES overpaid_payments (payment_id),
        ADD CONSTRAINT a_return_is_a_repayment
            CHECK (returned_payment_id IS NULL OR kind = 'repayment')""")


def downgrade() -> None:
    op.execute("ALTER TABLE recoveries DROP COLUMN returned_payment_id")
