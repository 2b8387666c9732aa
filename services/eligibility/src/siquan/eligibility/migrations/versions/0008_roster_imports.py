"""Rosters migrated from another system: each workbook as submitted by one officer and
approved (or rejected) by a second, and the certifications it created marked as migrated.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CHAIN = ("(status <> 'certified' OR (community_reviewed_by IS NOT NULL"
         " AND reviewed_by IS NOT NULL AND notice_id IS NOT NULL AND approved_by IS NOT NULL))")


def upgrade() -> None:
    op.execute("""
    CREATE TABLE roster_imports (
        id             uuid PRIMARY KEY,
        filename       text NOT NULL,
        sha256         text NOT NULL,
        content        bytea NOT NULL,
        rows_read      integer NOT NULL,
        accepted       integer NOT NULL,
        refused        integer NOT NULL,
        report         jsonb NOT NULL,
        status         text NOT NULL DEFAULT 'awaiting_approval'
                       CHECK (status IN ('awaiting_approval', 'approved', 'rejected')),
        submitted_by   text NOT NULL,
        submitted_at   timestamptz NOT NULL,
        decided_by     text,
        decided_at     timestamptz,
        decision_reason text,
        certifications_created integer,
        CONSTRAINT checker_is_not_the_maker
            CHECK (decided_by IS NULL OR decided_by <> submitted_by)
    )""")
    op.execute("ALTER TABLE certifications ADD COLUMN migrated_from uuid"
               " REFERENCES roster_imports (id)")
    # a migrated application is certified without the chain: approved, by the checker
    op.execute("ALTER TABLE applications ADD COLUMN migrated_from uuid"
               " REFERENCES roster_imports (id)")
    op.execute("ALTER TABLE applications DROP CONSTRAINT certified_only_after_the_chain")
    op.execute(f"ALTER TABLE applications ADD CONSTRAINT certified_only_after_the_chain"
               f" CHECK ({CHAIN} OR (migrated_from IS NOT NULL AND approved_by IS NOT NULL"
               " AND approved_by <> submitted_by)) NOT VALID")
    op.execute("CREATE INDEX certifications_migrated ON certifications (migrated_from)"
               " WHERE migrated_from IS NOT NULL")


def downgrade() -> None:
    op.execute("ALTER TABLE applications DROP CONSTRAINT certified_only_after_the_chain")
    op.execute(f"ALTER TABLE applications ADD CONSTRAINT certified_only_after_the_chain"
               f" CHECK ({CHAIN}) NOT VALID")
    op.execute("ALTER TABLE applications DROP COLUMN migrated_from")
    op.execute("DROP INDEX certifications_migrated")
    op.execute("ALTER TABLE certifications DROP COLUMN migrated_from")
    op.execute("DROP TABLE roster_imports")
