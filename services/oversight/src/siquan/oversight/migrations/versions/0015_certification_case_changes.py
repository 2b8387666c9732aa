"""Transfers and changes of category oversight heard: from each one's day the
certification belongs to its county and is of its category, so that a payment is judged
at the category in force for its period and an omission is the business of the county the
certification belonged to in the period.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE watched_case_changes (
        message_id       uuid PRIMARY KEY,
        certification_id text NOT NULL,
        effective_from   date NOT NULL,
        division_code    text NOT NULL,
        category         text NOT NULL,
        decided_at       timestamptz NOT NULL
    )""")
    op.execute("CREATE INDEX watched_case_changes_by_certification"
               " ON watched_case_changes (certification_id, effective_from, decided_at)")


def downgrade() -> None:
    op.execute("DROP TABLE watched_case_changes")
