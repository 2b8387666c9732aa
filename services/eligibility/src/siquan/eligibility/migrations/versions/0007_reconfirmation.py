"""The yearly re-confirmation's record (how and by whom each certification was
re-confirmed, with an optional evidence reference) and the end the program's rules set for
each certification (an age limit), assessed once by the deadlines loop.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LIVE = "('active', 'suspended')"
STATEMENTS = [
    """CREATE TABLE reconfirmations (
        id                 bigserial PRIMARY KEY,
        certification_id   uuid NOT NULL REFERENCES certifications (id),
        year               int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
        method             text NOT NULL CHECK (method IN
                               ('in_person', 'village_visit', 'survival_check',
                                'partner_data')),
        evidence_reference text CHECK (length(evidence_reference) BETWEEN 1 AND 200),
        confirmed_by       text NOT NULL,
        confirmed_at       timestamptz NOT NULL,
        UNIQUE (certification_id, year)
    )""",
    """ALTER TABLE certifications
        ADD COLUMN end_assessed boolean NOT NULL DEFAULT false,
        ADD COLUMN ends_on date,
        ADD COLUMN ends_reason text,
        ADD CONSTRAINT an_end_has_its_reason CHECK ((ends_on IS NULL) = (ends_reason IS NULL))""",
    f"CREATE INDEX certifications_end_unassessed ON certifications (id)"
    f" WHERE NOT end_assessed AND status IN {LIVE}",
    f"CREATE INDEX certifications_ending ON certifications (ends_on)"
    f" WHERE ends_on IS NOT NULL AND status IN {LIVE}",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP INDEX certifications_end_unassessed, certifications_ending")
    op.execute("ALTER TABLE certifications DROP CONSTRAINT an_end_has_its_reason,"
               " DROP COLUMN end_assessed, DROP COLUMN ends_on, DROP COLUMN ends_reason")
    op.execute("DROP TABLE reconfirmations")
