"""A survey import under way in the console: how far its rows are checked and, once done,
its report (refused rows by number, field and reason; never a person's data), so that the
officer's progress page and error report do not depend on the process that runs it.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE survey_import_progress (
        id            uuid PRIMARY KEY,
        officer_id    text NOT NULL,
        filename      text NOT NULL,
        total         integer NOT NULL CHECK (total >= 0),
        checked       integer NOT NULL DEFAULT 0 CHECK (checked >= 0),
        stage         text NOT NULL DEFAULT 'checking'
                      CHECK (stage IN ('checking', 'saving', 'done', 'failed')),
        accepted      integer NOT NULL DEFAULT 0,
        refused_rows  integer NOT NULL DEFAULT 0,
        errors        jsonb NOT NULL DEFAULT '[]',
        failure       text NOT NULL DEFAULT '',
        started_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL
    )""")
    op.execute("CREATE INDEX survey_import_progress_by_officer"
               " ON survey_import_progress (officer_id, started_at)")


def downgrade() -> None:
    op.execute("DROP TABLE survey_import_progress")
