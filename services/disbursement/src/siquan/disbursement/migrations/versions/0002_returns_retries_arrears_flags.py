"""Returns, retries, arrears and account-change flags.

- A settled payment may later be `returned` by the bank (money back to the special account);
  a returned payment, like a failed one, is not live, so the unique index lets a retry pay
  the period again. The result trigger allows exactly that one change after settlement.
- A run is `regular` or a `retry` of another run; it keeps the flags raised at its start
  and counts its return batches.
- Payee accounts remember when the account they replaced had been registered.
- Suspensions keep their dates: a period a suspension covered entirely is not owed as an
  arrear after reinstatement.
- Failed and returned payments are indexed by person for the roster's "account not fixed
  since the bank refused it" rule; the bank's return cursor is kept in one row.
- The outbox compresses event bodies with lz4 (a chunk's event is megabytes).
- The payments → runs foreign key is checked at commit, so a run's payments can be written
  before the run row that carries their control totals.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_PAYMENTS = [
    "ALTER TABLE payments DROP CONSTRAINT payments_status_check",
    "ALTER TABLE payments DROP CONSTRAINT payments_check",
    """ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN
        ('pending', 'settled', 'failed', 'cancelled', 'returned'))""",
    """ALTER TABLE payments ADD CONSTRAINT payments_bank_reference_check
        CHECK ((status IN ('settled', 'returned')) = (bank_reference IS NOT NULL))""",
    "ALTER TABLE payments ADD COLUMN returned_on date",
    "ALTER TABLE payments ADD COLUMN return_reason text NOT NULL DEFAULT ''",
    """ALTER TABLE payments ADD CONSTRAINT payments_returned_check
        CHECK ((status = 'returned') = (returned_on IS NOT NULL))""",
    """ALTER TABLE payments ALTER CONSTRAINT payments_run_id_fkey
        DEFERRABLE INITIALLY DEFERRED""",
    """CREATE INDEX payments_refused ON payments (person_key, program_code, period)
        WHERE status IN ('failed', 'returned')""",
    """
    CREATE OR REPLACE FUNCTION payment_results_are_final() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.amount_fen <> OLD.amount_fen OR NEW.person_key <> OLD.person_key
           OR NEW.account_number <> OLD.account_number OR NEW.period <> OLD.period
           OR NEW.item <> OLD.item THEN
            RAISE EXCEPTION 'payment % cannot change its payee, period or amount',
                OLD.payment_id;
        END IF;
        IF OLD.status = 'pending' THEN
            RETURN NEW;
        END IF;
        IF OLD.status = 'settled' AND NEW.status = 'returned'
           AND NEW.bank_reference = OLD.bank_reference
           AND NEW.finished_at = OLD.finished_at THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'payment % is % and cannot become %', OLD.payment_id, OLD.status,
            NEW.status;
    END $$""",
    # The function runs only for an update it may have to refuse: recording a pending
    # payment's result (a run's bulk) is checked by the WHEN clause alone.
    "DROP TRIGGER payment_results_are_final ON payments",
    """
    CREATE TRIGGER payment_results_are_final BEFORE UPDATE ON payments
        FOR EACH ROW
        WHEN (OLD.status <> 'pending' OR NEW.amount_fen <> OLD.amount_fen
              OR NEW.person_key <> OLD.person_key OR NEW.account_number <> OLD.account_number
              OR NEW.period <> OLD.period OR NEW.item <> OLD.item)
        EXECUTE FUNCTION payment_results_are_final()""",
]

_RUNS = [
    """ALTER TABLE payment_runs ADD COLUMN kind text NOT NULL DEFAULT 'regular'
        CHECK (kind IN ('regular', 'retry'))""",
    "ALTER TABLE payment_runs ADD COLUMN retry_of uuid REFERENCES payment_runs (run_id)",
    """ALTER TABLE payment_runs ADD CONSTRAINT payment_runs_retry_check
        CHECK ((kind = 'retry') = (retry_of IS NOT NULL))""",
    "ALTER TABLE payment_runs ADD COLUMN flags jsonb NOT NULL DEFAULT '[]'",
    "ALTER TABLE payment_runs ADD COLUMN arrears_count integer NOT NULL DEFAULT 0",
    "ALTER TABLE payment_runs ADD COLUMN arrears_fen bigint NOT NULL DEFAULT 0",
    "ALTER TABLE payment_runs ADD COLUMN return_batches integer NOT NULL DEFAULT 0",
    "CREATE INDEX runs_by_roster ON payment_runs (program_code, division_code, period)",
]

_ACCOUNTS_AND_BANK = [
    # a chunk's event is megabytes of JSON: lz4 compresses it for a fraction of pglz's CPU
    "ALTER TABLE outbox ALTER COLUMN body SET COMPRESSION lz4",
    "ALTER TABLE payee_accounts ADD COLUMN previous_registered_at timestamptz",
    """
    CREATE TABLE certification_suspensions (
        certification_id text NOT NULL,
        suspended_from   date NOT NULL,
        reinstated_from  date CHECK (reinstated_from >= suspended_from),
        PRIMARY KEY (certification_id, suspended_from)
    )""",
    """
    CREATE TABLE bank_return_cursor (
        only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        through  date NOT NULL
    )""",
]


def upgrade() -> None:
    for statement in (*_PAYMENTS, *_RUNS, *_ACCOUNTS_AND_BANK):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER payment_results_are_final ON payments")
    op.execute("CREATE TRIGGER payment_results_are_final BEFORE UPDATE ON payments"
               " FOR EACH ROW EXECUTE FUNCTION payment_results_are_final()")
    op.execute("DROP TABLE bank_return_cursor, certification_suspensions")
    op.execute("ALTER TABLE payee_accounts DROP COLUMN previous_registered_at")
    op.execute("DROP INDEX runs_by_roster")
    op.execute("ALTER TABLE payment_runs DROP COLUMN kind, DROP COLUMN retry_of,"
               " DROP COLUMN flags, DROP COLUMN arrears_count, DROP COLUMN arrears_fen,"
               " DROP COLUMN return_batches")
    op.execute("DROP INDEX payments_refused")
    op.execute("ALTER TABLE payments DROP CONSTRAINT payments_returned_check,"
               " DROP CONSTRAINT payments_bank_reference_check,"
               " DROP CONSTRAINT payments_status_check,"
               " DROP COLUMN returned_on, DROP COLUMN return_reason")
    op.execute("""ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN
        ('pending', 'settled', 'failed', 'cancelled'))""")
    op.execute("""ALTER TABLE payments ADD CONSTRAINT payments_check
        CHECK ((status = 'settled') = (bank_reference IS NOT NULL))""")
