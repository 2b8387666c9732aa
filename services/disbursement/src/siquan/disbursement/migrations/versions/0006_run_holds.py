"""Holds an auditor places on a payment run (from oversight): while one is in force no payer
takes the run's unpaid payments. A lift that arrives before its placement leaves the hold
lifted, as for holds on persons.

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
        CREATE TABLE run_holds (
            hold_id    text PRIMARY KEY,
            run_id     uuid NOT NULL,
            reason     text NOT NULL,
            placed_at  timestamptz,
            lifted_at  timestamptz
        )""")
    op.execute("CREATE INDEX run_holds_in_force ON run_holds (run_id) WHERE lifted_at IS NULL")


def downgrade() -> None:
    op.execute("DROP TABLE run_holds")
