"""Local copies of certifications, holds and deaths; payee accounts; payment runs and
payments; and the messaging tables.

The rules that keep money safe are constraints here too: one live payment per (person,
program, period, item), positive amounts, a final payment result never changes.

Revision ID: 0001
Revises:
"""

from alembic import op

from siquan.shared.messaging_schema import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_FACTS = [
    """
    CREATE TABLE certifications (
        certification_id text PRIMARY KEY,
        person_key       text NOT NULL,
        program_code     text NOT NULL,
        category         text NOT NULL,
        policy_version   text NOT NULL,
        division_code    text NOT NULL,
        effective_from   date NOT NULL,
        approved_at      timestamptz NOT NULL
    )""",
    "CREATE INDEX certifications_by_roster ON certifications (program_code, division_code)",
    "CREATE INDEX certifications_by_person ON certifications (person_key)",
    """
    CREATE TABLE certification_revocations (
        certification_id text PRIMARY KEY,
        effective_from   date NOT NULL,
        reason           text NOT NULL,
        revoked_by       text NOT NULL
    )""",
    """
    CREATE TABLE deaths (
        person_key    text PRIMARY KEY,
        report_id     text NOT NULL,
        date_of_death date NOT NULL,
        benefits_end  date NOT NULL CHECK (benefits_end > date_of_death)
    )""",
    """
    CREATE VIEW certification_terms AS
    SELECT c.certification_id, c.person_key, c.program_code, c.category, c.policy_version,
           c.division_code, c.effective_from,
           LEAST(r.effective_from, d.benefits_end) AS effective_until
      FROM certifications c
      LEFT JOIN certification_revocations r USING (certification_id)
      LEFT JOIN deaths d USING (person_key)""",
    """
    CREATE TABLE holds (
        hold_id      text PRIMARY KEY,
        person_key   text NOT NULL,
        program_code text,
        reason       text NOT NULL,
        lifted_at    timestamptz
    )""",
    "CREATE INDEX holds_in_force ON holds (person_key) WHERE lifted_at IS NULL",
]

_ACCOUNTS = [
    """
    CREATE TABLE payee_accounts (
        id             bigserial PRIMARY KEY,
        person_key     text NOT NULL,
        bank_code      text NOT NULL,
        account_number text NOT NULL CHECK (account_number ~ '^[0-9]{12,30}$'),
        masked_account text NOT NULL,
        division_code  text NOT NULL,
        registered_by  text NOT NULL,
        registered_at  timestamptz NOT NULL,
        superseded_at  timestamptz
    )""",
    """
    CREATE UNIQUE INDEX one_current_account_per_person
        ON payee_accounts (person_key) WHERE superseded_at IS NULL""",
]

_RUNS = [
    """
    CREATE TABLE payment_runs (
        run_id           uuid PRIMARY KEY,
        program_code     text NOT NULL,
        period           text NOT NULL,
        division_code    text NOT NULL,
        policy_version   text NOT NULL,
        payee_count      integer NOT NULL CHECK (payee_count > 0),
        total_fen        bigint NOT NULL CHECK (total_fen >= 0),
        skipped          jsonb NOT NULL,
        started_by       text NOT NULL,
        started_at       timestamptz NOT NULL,
        status           text NOT NULL CHECK (status IN
                             ('awaiting_allocation', 'allocated', 'waiting', 'completed')),
        allocation_id    text,
        rejection_reason text NOT NULL DEFAULT '',
        chunks_recorded  integer NOT NULL DEFAULT 0,
        completed_at     timestamptz,
        fund_settled_fen bigint,
        fund_settled_at  timestamptz,
        trace_context    jsonb NOT NULL DEFAULT '{}',
        CHECK (status NOT IN ('allocated', 'completed') OR allocation_id IS NOT NULL),
        CHECK ((status = 'completed') = (completed_at IS NOT NULL))
    )""",
    "CREATE INDEX runs_to_pay ON payment_runs (started_at) WHERE status = 'allocated'",
    """
    CREATE TABLE payments (
        payment_id       uuid PRIMARY KEY,
        run_id           uuid NOT NULL REFERENCES payment_runs (run_id),
        certification_id text NOT NULL,
        person_key       text NOT NULL,
        program_code     text NOT NULL,
        period           text NOT NULL,
        item             text NOT NULL DEFAULT 'benefit',
        amount_fen       bigint NOT NULL CHECK (amount_fen > 0),
        bank_code        text NOT NULL,
        account_number   text NOT NULL,
        status           text NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'settled', 'failed', 'cancelled')),
        reason           text NOT NULL DEFAULT '',
        bank_reference   text,
        chunk            integer,
        finished_at      timestamptz,
        CHECK ((status = 'settled') = (bank_reference IS NOT NULL)),
        CHECK ((status = 'pending') = (finished_at IS NULL))
    )""",
    # Never twice for the same (person, program, period, item): a payment that is pending
    # or settled blocks any other; a failed or cancelled one moved no money.
    """
    CREATE UNIQUE INDEX one_live_payment_per_person_program_period
        ON payments (person_key, program_code, period, item)
        WHERE status IN ('pending', 'settled')""",
    "CREATE INDEX payments_pending ON payments (run_id, payment_id) WHERE status = 'pending'",
    "CREATE INDEX payments_by_run ON payments (run_id, status)",
    """
    CREATE FUNCTION payment_results_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status <> 'pending' THEN
            RAISE EXCEPTION 'payment % is % and cannot change', OLD.payment_id, OLD.status;
        END IF;
        IF NEW.amount_fen <> OLD.amount_fen OR NEW.person_key <> OLD.person_key
           OR NEW.account_number <> OLD.account_number THEN
            RAISE EXCEPTION 'payment % cannot change its payee or amount', OLD.payment_id;
        END IF;
        RETURN NEW;
    END $$""",
    """
    CREATE TRIGGER payment_results_are_final BEFORE UPDATE ON payments
        FOR EACH ROW EXECUTE FUNCTION payment_results_are_final()""",
    """
    CREATE FUNCTION payments_are_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'payments are never deleted';
    END $$""",
    """
    CREATE TRIGGER payments_are_never_deleted BEFORE DELETE ON payments
        FOR EACH ROW EXECUTE FUNCTION payments_are_never_deleted()""",
]


def upgrade() -> None:
    create_messaging_tables(op.execute)
    for statement in (*_FACTS, *_ACCOUNTS, *_RUNS):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP VIEW certification_terms")
    op.execute("DROP TABLE payments, payment_runs, payee_accounts, holds, deaths,"
               " certification_revocations, certifications, inbox, outbox")
    op.execute("DROP FUNCTION payment_results_are_final, payments_are_never_deleted")
