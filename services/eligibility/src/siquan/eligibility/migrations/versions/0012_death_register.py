"""The register of deaths officers read and correct: each death keeps the division whose
certifications or applications it ended (or the division of the death it corroborates),
the masked resident ID when the source named the person by it, the daily file and line it
came on, and the certifications it revoked; a death recorded in error is corrected (by an
approver who did not record it) with the reason and the evidence, and its certifications
are reinstated as if never revoked.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    ALTER TABLE deaths
        ADD COLUMN masked_resident_id text,
        ADD COLUMN file_id text,
        ADD COLUMN file_line integer CHECK (file_line >= 2),
        ADD COLUMN division_code text,
        ADD COLUMN township_code text,
        ADD COLUMN revoked_certification_ids text[] NOT NULL DEFAULT '{}',
        ADD COLUMN corrected_at timestamptz,
        ADD COLUMN corrected_by text,
        ADD COLUMN correction_reason text,
        ADD COLUMN correction_evidence_kind text,
        ADD COLUMN correction_document_number text,
        ADD CONSTRAINT deaths_file_line CHECK (
            (file_id IS NULL) = (file_line IS NULL)
            AND (file_id IS NULL OR source = 'public_security_file')),
        ADD CONSTRAINT deaths_correction_complete CHECK (
            (corrected_at IS NULL) = (corrected_by IS NULL)
            AND (corrected_at IS NULL) = (correction_reason IS NULL)
            AND (corrected_at IS NULL) = (correction_evidence_kind IS NULL)
            AND (corrected_at IS NULL) = (correction_document_number IS NULL)),
        ADD CONSTRAINT deaths_corrected_by_another CHECK (
            corrected_by IS NULL OR recorded_by IS NULL OR corrected_by <> recorded_by)""")
    op.execute("CREATE INDEX deaths_by_date ON deaths (date_of_death)")


def downgrade() -> None:
    op.execute("DROP INDEX deaths_by_date")
    op.execute("""
    ALTER TABLE deaths DROP CONSTRAINT deaths_corrected_by_another,
        DROP CONSTRAINT deaths_correction_complete, DROP CONSTRAINT deaths_file_line,
        DROP COLUMN correction_document_number, DROP COLUMN correction_evidence_kind,
        DROP COLUMN correction_reason, DROP COLUMN corrected_by, DROP COLUMN corrected_at,
        DROP COLUMN revoked_certification_ids, DROP COLUMN township_code,
        DROP COLUMN division_code, DROP COLUMN file_line, DROP COLUMN file_id,
        DROP COLUMN masked_resident_id""")
