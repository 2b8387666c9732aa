"""A receivable may also be what was paid above a standard a backdated change lowered.

- `receivables.cause` admits `standard_lowered`: a change of category (or of county)
  effective from a month already paid owes less for it than was paid; the part of each
  settled payment above the standard now owed is kept in `overpaid_payments` with that
  part as its amount.

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE receivables DROP CONSTRAINT receivables_cause_check")
    op.execute("ALTER TABLE receivables ADD CONSTRAINT receivables_cause_check"
               " CHECK (cause IN ('death', 'revocation', 'standard_lowered'))")


def downgrade() -> None:
    op.execute("ALTER TABLE receivables DROP CONSTRAINT receivables_cause_check")
    op.execute("ALTER TABLE receivables ADD CONSTRAINT receivables_cause_check"
               " CHECK (cause IN ('death', 'revocation'))")
