"""Receivables (追回) oversight follows: each one disbursement recorded, and each repayment,
offset or write-off; a recovery seen before its receivable waits in its own table (they
are joined when read), so the two may arrive in any order.

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
    CREATE TABLE receivables (
        receivable_id text PRIMARY KEY,
        program_code  text NOT NULL,
        division_code text NOT NULL,
        fiscal_year   integer NOT NULL,
        cause         text NOT NULL,
        total_fen     bigint NOT NULL CHECK (total_fen > 0),
        periods       jsonb NOT NULL,
        recorded_at   timestamptz NOT NULL
    )""")
    op.execute("CREATE INDEX receivables_by_program ON receivables (program_code, fiscal_year)")
    op.execute("""
    CREATE TABLE recoveries (
        recovery_id   text PRIMARY KEY,
        receivable_id text NOT NULL,
        program_code  text NOT NULL,
        division_code text NOT NULL,
        fiscal_year   integer NOT NULL,
        kind          text NOT NULL CHECK (kind IN ('repayment', 'offset', 'write_off')),
        amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
        recorded_at   timestamptz NOT NULL
    )""")
    op.execute("CREATE INDEX recoveries_by_receivable ON recoveries (receivable_id)")


def downgrade() -> None:
    op.execute("DROP TABLE recoveries, receivables")
