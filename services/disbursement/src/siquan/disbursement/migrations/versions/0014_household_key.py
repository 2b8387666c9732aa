"""Each certification keeps the household (户) it was granted to, as eligibility's
keyed fingerprint of the register number: a per-household benefit is paid once per
household and period (one-off: once), and a later entitlement of the same household can
be named by it.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE certifications ADD COLUMN household_key text")
    op.execute("CREATE INDEX certifications_by_household ON certifications (household_key)"
               " WHERE household_key IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX certifications_by_household")
    op.execute("ALTER TABLE certifications DROP COLUMN household_key")
