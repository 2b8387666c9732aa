"""Holds an auditor places: a hold no longer needs a finding (an auditor's hold rests on
the evidence the auditor names, a list of references), and it is on a person or on a
payment run (at most one active hold per run); the lift's officer and reason stay recorded
as before.

Revision ID: 0009
Revises: 0007
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE holds ALTER COLUMN finding_id DROP NOT NULL")
    op.execute("ALTER TABLE holds ADD COLUMN evidence text[] NOT NULL DEFAULT '{}'")
    op.execute("ALTER TABLE holds ADD CONSTRAINT placed_on_finding_or_evidence CHECK ("
               " finding_id IS NOT NULL OR cardinality(evidence) >= 1)")
    op.execute("ALTER TABLE holds ALTER COLUMN person_key DROP NOT NULL")
    op.execute("ALTER TABLE holds ADD COLUMN run_id text")
    op.execute("ALTER TABLE holds ADD CONSTRAINT on_person_or_run CHECK ("
               " (person_key IS NULL) <> (run_id IS NULL))")
    op.execute("CREATE UNIQUE INDEX one_active_run_hold ON holds (run_id)"
               " WHERE lifted_at IS NULL AND run_id IS NOT NULL")


def downgrade() -> None:
    op.execute("DELETE FROM holds WHERE finding_id IS NULL OR run_id IS NOT NULL")
    op.execute("DROP INDEX one_active_run_hold")
    op.execute("ALTER TABLE holds DROP CONSTRAINT on_person_or_run")
    op.execute("ALTER TABLE holds DROP COLUMN run_id")
    op.execute("ALTER TABLE holds ALTER COLUMN person_key SET NOT NULL")
    op.execute("ALTER TABLE holds DROP CONSTRAINT placed_on_finding_or_evidence")
    op.execute("ALTER TABLE holds DROP COLUMN evidence")
    op.execute("ALTER TABLE holds ALTER COLUMN finding_id SET NOT NULL")
