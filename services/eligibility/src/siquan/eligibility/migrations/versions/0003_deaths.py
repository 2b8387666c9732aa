"""Deaths reported by public security, kept so that an application entered or approved
after the report (or racing it) never grants a certification to a dead person.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE deaths (
        report_id     text PRIMARY KEY,
        person_key    text NOT NULL,
        date_of_death date NOT NULL,
        recorded_at   timestamptz NOT NULL
    )""")
    op.execute("CREATE INDEX deaths_by_person ON deaths (person_key)")


def downgrade() -> None:
    op.execute("DROP TABLE deaths")
