"""A change of category cuts a certification's term at its effective date, as a transfer
does: the span before it keeps the old category, the span from it has the new one, so a
forecast counts every period at the standard of the category in force then.

- `certifications.category_since`: the effective date of the category change that set the
  span's category (NULL: the grant's or a transfer's category). A change applies to every
  later span whose category no later change set, whatever order the events arrive in.
  Rows recorded before keep NULL (their category was set for the whole term).

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE certifications ADD COLUMN category_since date")


def downgrade() -> None:
    op.execute("ALTER TABLE certifications DROP COLUMN category_since")
