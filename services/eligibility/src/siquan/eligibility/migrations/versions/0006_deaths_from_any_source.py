"""Deaths from any source: each death keeps where it came from (public security's
message or daily file, or an officer) and, for an officer's record, the evidence and the
officer; public security's daily files are kept by file id with the per-line report they
were answered with, so a file sent again is answered the same and changes nothing.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    ALTER TABLE deaths
        ADD COLUMN source text NOT NULL DEFAULT 'public_security'
            CHECK (source IN ('public_security', 'public_security_file', 'officer')),
        ADD COLUMN evidence_kind text,
        ADD COLUMN document_number text,
        ADD COLUMN recorded_by text,
        ADD CONSTRAINT deaths_officer_evidence CHECK (
            source <> 'officer' OR (evidence_kind IS NOT NULL
                                    AND document_number IS NOT NULL
                                    AND recorded_by IS NOT NULL))""")
    op.execute("""
    CREATE TABLE death_files (
        file_id     text PRIMARY KEY,
        sha256      text NOT NULL,
        key_id      text NOT NULL,
        lines       integer NOT NULL CHECK (lines >= 0),
        accepted    integer NOT NULL CHECK (accepted >= 0),
        duplicate   integer NOT NULL CHECK (duplicate >= 0),
        refused     integer NOT NULL CHECK (refused >= 0),
        report      jsonb NOT NULL,
        received_at timestamptz NOT NULL
    )""")


def downgrade() -> None:
    op.execute("DROP TABLE death_files")
    op.execute("""
    ALTER TABLE deaths DROP CONSTRAINT deaths_officer_evidence,
        DROP COLUMN recorded_by, DROP COLUMN document_number, DROP COLUMN evidence_kind,
        DROP COLUMN source""")
