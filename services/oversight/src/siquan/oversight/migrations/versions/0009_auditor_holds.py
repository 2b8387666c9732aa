"""Holds an auditor places: a hold no longer needs a finding (an auditor's hold rests on
the evidence the auditor names, a list of references), and the lift's officer and reason
stay recorded as before.

Revision ID: 0009
Revises: 0007
"""

from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE holds ALTER COLUMN finding_id DROP NOT NULL")
    op.execute("ALTER TABLE holds ADD COLUMN evidence text[] NOT NULL DEFAULT '{}'")
    op.execute("ALTER TABLE holds ADD CONSTRAINT placed_on_finding_or_evidence CHECK ("
               " finding_id IS NOT NULL OR cardinality(evidence) >= 1)")


def downgrade() -> None:
    op.execute("DELETE FROM holds WHERE finding_id IS NULL")
    op.execute("ALTER TABLE holds DROP CONSTRAINT placed_on_finding_or_evidence")
    op.execute("ALTER TABLE holds DROP COLUMN evidence")
    op.execute("ALTER TABLE holds ALTER COLUMN finding_id SET NOT NULL")
