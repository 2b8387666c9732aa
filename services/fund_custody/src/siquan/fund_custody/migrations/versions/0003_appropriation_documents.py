"""An appropriation may name the budget document that paid it in (拨款文号); one document
is recorded once per special account, so a repeated submission cannot book money twice.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE appropriations ADD COLUMN document_number text"
               " CHECK (document_number IS NULL OR length(document_number) BETWEEN 1 AND 64)")
    op.execute("CREATE UNIQUE INDEX appropriations_document_once ON appropriations"
               " (special_account_id, document_number) WHERE document_number IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX appropriations_document_once")
    op.execute("ALTER TABLE appropriations DROP COLUMN document_number")
