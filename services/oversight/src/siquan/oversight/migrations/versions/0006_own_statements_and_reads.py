"""A person's own statement behind a one-time code, and every officer read of personal data.

`person_contacts`: the mobile number on file per person key (from application.submitted.v1),
the one place oversight keeps it. `statement_codes`: one row per code asked for — the code
only as a keyed hash, its expiry, attempts and use; every request is a row (also for a
person with no number on file, so an answer never says whether the person exists) and the
rows are what the rate limits count. `sms_outbox`: what the simulated SMS adapter sent.
`personal_data_reads`: who read which person's record or statement, when and why.

Revision ID: 0006
Revises: 0004
"""

from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE person_contacts (
            person_key text PRIMARY KEY,
            phone text NOT NULL,
            recorded_at timestamptz NOT NULL
        )""")
    op.execute("""
        CREATE TABLE statement_codes (
            request_id uuid PRIMARY KEY,
            person_key text NOT NULL,
            client_hash text NOT NULL,
            phone_hash text,
            code_hash text,
            requested_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            used_at timestamptz
        )""")
    op.execute("CREATE INDEX statement_codes_person ON statement_codes (person_key, requested_at)")
    op.execute("CREATE INDEX statement_codes_client ON statement_codes (client_hash, requested_at)")
    op.execute(
        "CREATE INDEX statement_codes_phone ON statement_codes"
        " (phone_hash, requested_at) WHERE phone_hash IS NOT NULL"
    )
    op.execute("""
        CREATE TABLE sms_outbox (
            sms_id bigserial PRIMARY KEY,
            phone text NOT NULL,
            body text NOT NULL,
            request_id uuid NOT NULL,
            queued_at timestamptz NOT NULL
        )""")
    op.execute("""
        CREATE TABLE personal_data_reads (
            read_id uuid PRIMARY KEY,
            officer_id text NOT NULL,
            person_key text NOT NULL,
            what text NOT NULL,
            purpose text NOT NULL,
            service text NOT NULL,
            read_at timestamptz NOT NULL
        )""")
    op.execute(
        "CREATE INDEX personal_data_reads_officer ON personal_data_reads (officer_id, read_at)"
    )
    op.execute("CREATE INDEX personal_data_reads_at ON personal_data_reads (read_at)")


def downgrade() -> None:
    op.execute("DROP TABLE personal_data_reads, sms_outbox, statement_codes, person_contacts")
