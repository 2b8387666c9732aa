"""A finding's details: the figures its evidence states, for findings that have some.

- `findings.details` (jsonb, NULL for the findings of before and those without figures): a
  bank statement line or bank result that differs from the instruction keeps the payment
  id, the expected and the stated amounts (fen) and accounts (masked, as disbursement
  publishes them — never an account number or a resident ID), the kind of difference and
  where it was stated.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE findings ADD COLUMN details jsonb"
               " CHECK (details IS NULL OR jsonb_typeof(details) = 'object')")


def downgrade() -> None:
    op.execute("ALTER TABLE findings DROP COLUMN details")
