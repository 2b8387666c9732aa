"""Each certification's term: the grant's effective date and the first day nothing is owed
any more (a revocation's or lapse's effective date), so a forecast counts a certification
in exactly the periods it was payable in, and a report for a period counts what was
certified then. Rows recorded before have no dates: they count as before (active in every
period, or in none once ended).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE certifications ADD COLUMN certified_from date,"
               " ADD COLUMN certified_until date")


def downgrade() -> None:
    op.execute("ALTER TABLE certifications DROP COLUMN certified_from,"
               " DROP COLUMN certified_until")
