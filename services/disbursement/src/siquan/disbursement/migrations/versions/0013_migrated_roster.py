"""A roster migrated from another system: each workbook disbursement read (its report), and
for each migrated certification the last period the old system already paid and the first
day this system owes (a run treats the periods before it as paid).

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

STATEMENTS = [
    """
    CREATE TABLE roster_imports (
        import_id   uuid PRIMARY KEY,
        sha256      text NOT NULL,
        rows_read   integer NOT NULL,
        accepted    integer NOT NULL,
        refused     integer NOT NULL,
        accounts_registered integer NOT NULL,
        report      jsonb NOT NULL,
        imported_by text NOT NULL,
        imported_at timestamptz NOT NULL
    )""",
    """
    CREATE TABLE migrated_paid_through (
        certification_id text PRIMARY KEY,
        import_id        uuid NOT NULL REFERENCES roster_imports (import_id),
        person_key       text NOT NULL,
        program_code     text NOT NULL,
        division_code    text NOT NULL,
        category         text NOT NULL,
        certified_since  date NOT NULL,
        paid_through     text,
        owed_from        date NOT NULL CHECK (owed_from >= certified_since)
    )""",
    "CREATE INDEX migrated_by_roster ON migrated_paid_through (program_code, division_code)",
    "CREATE INDEX migrated_by_import ON migrated_paid_through (import_id)",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE migrated_paid_through, roster_imports")
