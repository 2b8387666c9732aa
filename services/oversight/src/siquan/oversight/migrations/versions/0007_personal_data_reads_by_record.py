"""Reads of personal data as they are recorded: the reading officer's division (an auditor
sees the reads of officers within theirs) and which record was read (kind and id), in
place of the free-form `what`. Nothing wrote the table before this revision, so it is
created again in its final shape.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TABLE personal_data_reads")
    op.execute("""
        CREATE TABLE personal_data_reads (
            read_id uuid PRIMARY KEY,
            officer_id text NOT NULL,
            officer_division text NOT NULL,
            person_key text NOT NULL,
            record text NOT NULL,
            record_id text NOT NULL,
            purpose text NOT NULL,
            service text NOT NULL,
            read_at timestamptz NOT NULL
        )""")
    op.execute("CREATE INDEX personal_data_reads_officer ON personal_data_reads"
               " (officer_id, read_at)")
    op.execute("CREATE INDEX personal_data_reads_at ON personal_data_reads (read_at)")


def downgrade() -> None:
    op.execute("DROP TABLE personal_data_reads")
    op.execute("""
        CREATE TABLE personal_data_reads (
            read_id uuid PRIMARY KEY,
            officer_id text NOT NULL,
            person_key text NOT NULL,
            what text NOT NULL,
            purpose text NOT NULL,
            service text NOT NULL,
            read_at timestamptz NOT NULL
        )""")
    op.execute("CREATE INDEX personal_data_reads_officer ON personal_data_reads"
               " (officer_id, read_at)")
    op.execute("CREATE INDEX personal_data_reads_at ON personal_data_reads (read_at)")
