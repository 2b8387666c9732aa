"""Applications, certifications and the messaging tables.

Revision ID: 0001
Revises:
"""

from alembic import op

from siquan.shared.messaging_schema import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op.execute)
    op.execute("""
    CREATE TABLE applications (
        id                 uuid PRIMARY KEY,
        program_code       text NOT NULL,
        category           text NOT NULL,
        resident_id        text NOT NULL,
        person_key         text NOT NULL,
        masked_name        text NOT NULL,
        masked_resident_id text NOT NULL,
        division_code      text NOT NULL,
        eligible_from      date NOT NULL,
        status             text NOT NULL CHECK (status IN
                               ('submitted', 'reviewed', 'rejected', 'certified')),
        submitted_by       text NOT NULL,
        submitted_at       timestamptz NOT NULL,
        reviewed_by        text,
        reviewed_at        timestamptz,
        review_reason      text NOT NULL DEFAULT '',
        approved_by        text,
        approved_at        timestamptz,
        CHECK (approved_by IS NULL OR approved_by <> reviewed_by)
    )""")
    op.execute("""
    CREATE UNIQUE INDEX one_live_application_per_person_and_program
        ON applications (person_key, program_code) WHERE status <> 'rejected'""")
    op.execute("""
    CREATE TABLE certifications (
        id                 uuid PRIMARY KEY,
        application_id     uuid NOT NULL UNIQUE REFERENCES applications (id),
        program_code       text NOT NULL,
        category           text NOT NULL,
        policy_version     text NOT NULL,
        person_key         text NOT NULL,
        division_code      text NOT NULL,
        effective_from     date NOT NULL,
        status             text NOT NULL DEFAULT 'active'
                               CHECK (status IN ('active', 'revoked', 'lapsed')),
        reviewed_by        text NOT NULL,
        approved_by        text NOT NULL CHECK (approved_by <> reviewed_by),
        approved_at        timestamptz NOT NULL
    )""")


def downgrade() -> None:
    op.execute("DROP TABLE certifications, applications, inbox, outbox")
