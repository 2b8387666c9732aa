"""Recoveries that are not an officer's entry: the bank's return of an overpaid payment,
and an offset withheld from a later payment.

- `recoveries.returned_payment_id`: the overpaid payment whose return by the bank this
  recovery is — at most once per payment (the money came back once).
- `recoveries.offset_payment_id`: the later payment an offset was withheld from.

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
        ADD COLUMN offset_payment_id uuid,
        ADD CONSTRAINT a_return_is_a_repayment
            CHECK (returned_payment_id IS NULL OR kind = 'repayment'),
        ADD CONSTRAINT an_offset_names_its_payment
            CHECK ((kind = 'offset') = (offset_payment_id IS NOT NULL))""")


def downgrade() -> None:
    op.execute("ALTER TABLE recoveries DROP COLUMN offset_payment_id,"
               " DROP COLUMN returned_payment_id")
