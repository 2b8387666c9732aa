"""An application is found by its notice and by the time it was decided only once it has
one: the two indexes hold the applications that do. Every stage of the cycle writes each
application's row anew (its status is indexed), and each index written with it costs; an
index of a column still NULL took an entry of NULL for every application at every stage,
and nothing looks applications up by a NULL notice or decision time.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX applications_by_decision, applications_by_notice")
    op.execute("CREATE INDEX applications_by_decision ON applications (decided_at)"
               " WHERE decided_at IS NOT NULL")
    op.execute("CREATE INDEX applications_by_notice ON applications (notice_id)"
               " WHERE notice_id IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX applications_by_decision, applications_by_notice")
    op.execute("CREATE INDEX applications_by_decision ON applications (decided_at)")
    op.execute("CREATE INDEX applications_by_notice ON applications (notice_id)")
