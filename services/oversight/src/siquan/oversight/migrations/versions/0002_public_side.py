"""The public side: the notice board (notices and their masked entries), complaints, and
each person's ledger for statements (certification changes, payment lines).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_MASKED_NAME = r"^.\*+$"
_MASKED_ID = r"^([0-9]{4}\*{10}[0-9X]{4}|\*{18})$"
_PERSON_KEY = "^[0-9a-f]{64}$"


def _notices() -> None:
    op.execute("""
    CREATE TABLE public_notices (
        notice_id       text PRIMARY KEY,
        program_code    text NOT NULL,
        policy_version  text,
        division_code   text NOT NULL,
        township_code   text,
        published_on    date,
        closes_on       date,
        notice_days     integer CHECK (notice_days >= 0),
        total_entries   integer NOT NULL CHECK (total_entries >= 0),
        status          text NOT NULL CHECK (status IN ('posted', 'closed')),
        closed_on       date,
        CHECK (status = 'closed' OR (published_on IS NOT NULL AND closes_on IS NOT NULL)),
        CHECK ((status = 'closed') = (closed_on IS NOT NULL))
    )""")
    op.execute("CREATE INDEX public_notices_posted ON public_notices (closes_on)"
               " WHERE status = 'posted'")
    op.execute("CREATE INDEX public_notices_by_division ON public_notices (division_code)")
    op.execute(f"""
    CREATE TABLE public_notice_entries (
        notice_id           text NOT NULL REFERENCES public_notices (notice_id),
        application_id      text NOT NULL,
        category            text NOT NULL,
        masked_name         text NOT NULL CHECK (masked_name ~ '{_MASKED_NAME}'),
        masked_resident_id  text NOT NULL CHECK (masked_resident_id ~ '{_MASKED_ID}'),
        township_code       text,
        PRIMARY KEY (notice_id, application_id)
    )""")
    op.execute("CREATE INDEX public_notice_entries_by_application"
               " ON public_notice_entries (application_id)")


def _complaints() -> None:
    op.execute(f"""
    CREATE TABLE complaints (
        complaint_id      uuid PRIMARY KEY,
        tracking_number   text UNIQUE NOT NULL
                              CHECK (tracking_number ~ '^TS-[0-9]{{4}}-[A-Z2-7]{{16}}$'),
        category          text NOT NULL CHECK (category IN ('not_paid_in_full',
                              'ineligible_paid_or_listed', 'officer_misconduct',
                              'notice_objection')),
        channel           text NOT NULL CHECK (channel IN ('web', 'hotline')),
        anonymous         boolean NOT NULL,
        division_code     text NOT NULL CHECK (division_code ~ '^[0-9]{{6}}([0-9]{{3}})?$'),
        application_id    uuid NULL,
        person_key        text NULL CHECK (person_key ~ '{_PERSON_KEY}'),
        description       text NOT NULL CHECK (length(description) > 0),
        contact           text NULL,
        status            text NOT NULL CHECK (status IN ('open', 'escalated', 'resolved')),
        handler           text NULL,
        filed_at          timestamptz NOT NULL,
        due_at            timestamptz NOT NULL CHECK (due_at > filed_at),
        escalated_at      timestamptz NULL,
        resolved_at       timestamptz NULL,
        outcome           text NULL CHECK (outcome IN ('upheld', 'dismissed')),
        resolution        text NULL,
        filed_message_id  uuid NOT NULL UNIQUE,
        assigned_by       text NULL,
        assigned_at       timestamptz NULL,
        resolved_by       text NULL,
        CHECK (category <> 'notice_objection' OR application_id IS NOT NULL),
        CHECK (NOT anonymous OR contact IS NULL),
        CHECK (status <> 'escalated' OR escalated_at IS NOT NULL),
        CHECK ((status = 'resolved') = (resolved_at IS NOT NULL AND outcome IS NOT NULL
                                        AND coalesce(length(resolution), 0) > 0
                                        AND resolved_by IS NOT NULL))
    )""")
    op.execute("CREATE INDEX complaints_due ON complaints (due_at) WHERE status = 'open'")
    op.execute("CREATE INDEX complaints_by_division ON complaints (division_code, status)")
    op.execute("CREATE INDEX complaints_by_application ON complaints (application_id)"
               " WHERE application_id IS NOT NULL")
    op.execute("CREATE INDEX complaints_by_person ON complaints (person_key)"
               " WHERE person_key IS NOT NULL")


def _ledger() -> None:
    op.execute(f"""
    CREATE TABLE statement_certification_changes (
        seq                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        person_key          text NOT NULL CHECK (person_key ~ '{_PERSON_KEY}'),
        certification_id    text NOT NULL,
        change              text NOT NULL CHECK (change IN ('granted', 'renewed', 'revoked',
                                'lapsed', 'suspended', 'reinstated')),
        program_code        text NOT NULL,
        division_code       text NOT NULL,
        effective_from      date NOT NULL,
        category            text,
        valid_until         date,
        reason              text,
        masked_name         text CHECK (masked_name ~ '{_MASKED_NAME}'),
        masked_resident_id  text CHECK (masked_resident_id ~ '{_MASKED_ID}')
    )""")
    op.execute("CREATE INDEX statement_certification_changes_by_person"
               " ON statement_certification_changes (person_key)")
    op.execute(f"""
    CREATE TABLE statement_payment_lines (
        seq               bigint GENERATED ALWAYS AS IDENTITY,
        person_key        text NOT NULL CHECK (person_key ~ '{_PERSON_KEY}'),
        line_key          text NOT NULL,
        outcome           text NOT NULL CHECK (outcome IN ('settled', 'failed', 'returned',
                              'skipped')),
        run_id            text NOT NULL,
        program_code      text NOT NULL,
        period            text NOT NULL,
        division_code     text NOT NULL,
        certification_id  text,
        item              text,
        amount_fen        bigint NOT NULL CHECK (amount_fen >= 0),
        reason            text,
        PRIMARY KEY (line_key, outcome)
    )""")
    op.execute("CREATE INDEX statement_payment_lines_by_person"
               " ON statement_payment_lines (person_key, seq)")


def upgrade() -> None:
    _notices()
    _complaints()
    _ledger()


def downgrade() -> None:
    op.execute("DROP TABLE statement_payment_lines, statement_certification_changes, "
               "complaints, public_notice_entries, public_notices")
