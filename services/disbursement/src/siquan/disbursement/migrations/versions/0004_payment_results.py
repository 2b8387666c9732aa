"""A payment's result in a table of its own: recording a chunk's results inserts rows
instead of rewriting a million payment rows and their index entries.

- `payment_orders` (the former `payments`) holds what is owed to whom and never changes,
  but for `live`, which turns false when the payment moved no money (failed, cancelled)
  or the money came back (returned). The rule that nobody is paid twice stays a unique
  index: one live payment per (person, program, period, item).
- `payment_results` holds each finished payment's result (settled, failed, cancelled)
  with the bank's reference, the chunk that recorded it, and a return when one came.
  A result is final: the only change allowed is a settled payment becoming returned.
- An order keeps its certification's first day (which never changes), so re-checking a
  chunk before the bank reads the revocations and deaths, not a million certifications.
- The view `payments` joins them as `payments` was (status pending, settled, failed,
  cancelled or returned), for every reader that is not a bulk path.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SPLIT = [
    "ALTER TABLE payments RENAME TO payment_orders",
    # the old guard of results in place is replaced by the two below
    "DROP TRIGGER payment_results_are_final ON payment_orders",
    "DROP FUNCTION payment_results_are_final",
    "ALTER TABLE payment_orders ADD COLUMN live boolean NOT NULL DEFAULT true",
    "UPDATE payment_orders SET live = false WHERE status NOT IN ('pending', 'settled')",
    "ALTER TABLE payment_orders ADD COLUMN certified_from date",
    """
    UPDATE payment_orders o SET certified_from = c.effective_from FROM certifications c
     WHERE c.certification_id = o.certification_id""",
    """
    CREATE TABLE payment_results (
        payment_id     uuid PRIMARY KEY,
        status         text NOT NULL CHECK (status IN ('settled', 'failed', 'cancelled')),
        reason         text NOT NULL DEFAULT '',
        bank_reference text,
        chunk          integer,
        finished_at    timestamptz NOT NULL,
        returned_on    date,
        return_reason  text NOT NULL DEFAULT '',
        CHECK ((status = 'settled') = (bank_reference IS NOT NULL)),
        CHECK (returned_on IS NULL OR status = 'settled')
    )""",
    """
    INSERT INTO payment_results (payment_id, status, reason, bank_reference, chunk,
                                 finished_at, returned_on, return_reason)
    SELECT payment_id, CASE status WHEN 'returned' THEN 'settled' ELSE status END, reason,
           bank_reference, chunk, finished_at, returned_on, return_reason
      FROM payment_orders WHERE status <> 'pending'""",
    "DROP INDEX one_live_payment_per_person_program_period",
    "DROP INDEX payments_refused",
    "ALTER TABLE payment_orders DROP COLUMN status, DROP COLUMN reason,"
    " DROP COLUMN bank_reference, DROP COLUMN chunk, DROP COLUMN finished_at,"
    " DROP COLUMN returned_on, DROP COLUMN return_reason",
    # Never twice for the same (person, program, period, item): a live payment blocks any
    # other; a failed or cancelled one moved no money, a returned one came back.
    """
    CREATE UNIQUE INDEX one_live_payment_per_person_program_period
        ON payment_orders (person_key, program_code, period, item) WHERE live""",
    """CREATE INDEX payment_orders_voided ON payment_orders (person_key, program_code, period)
        WHERE NOT live""",
]

_FINAL = [
    """
    CREATE FUNCTION payment_orders_are_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'payment % can only stop being live', OLD.payment_id;
    END $$""",
    # The function runs only for an update it refuses: voiding a live payment passes the
    # WHEN clause alone.
    """
    CREATE TRIGGER payment_orders_are_fixed BEFORE UPDATE ON payment_orders
        FOR EACH ROW
        WHEN (NOT OLD.live OR NEW.live
              OR (OLD.payment_id, OLD.run_id, OLD.certification_id, OLD.person_key,
                  OLD.program_code, OLD.period, OLD.item, OLD.amount_fen, OLD.bank_code,
                  OLD.account_number, OLD.certified_from)
                 IS DISTINCT FROM
                 (NEW.payment_id, NEW.run_id, NEW.certification_id, NEW.person_key,
                  NEW.program_code, NEW.period, NEW.item, NEW.amount_fen, NEW.bank_code,
                  NEW.account_number, NEW.certified_from))
        EXECUTE FUNCTION payment_orders_are_fixed()""",
    """
    CREATE FUNCTION payment_results_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the result of payment % is final (%; only a settled payment may be
            returned, once)', OLD.payment_id, OLD.status;
    END $$""",
    """
    CREATE TRIGGER payment_results_are_final BEFORE UPDATE ON payment_results
        FOR EACH ROW
        WHEN (OLD.status <> 'settled' OR OLD.returned_on IS NOT NULL
              OR NEW.returned_on IS NULL
              OR (OLD.payment_id, OLD.status, OLD.reason, OLD.bank_reference, OLD.chunk,
                  OLD.finished_at)
                 IS DISTINCT FROM
                 (NEW.payment_id, NEW.status, NEW.reason, NEW.bank_reference, NEW.chunk,
                  NEW.finished_at))
        EXECUTE FUNCTION payment_results_are_final()""",
    """
    CREATE TRIGGER payment_results_are_never_deleted BEFORE DELETE ON payment_results
        FOR EACH ROW EXECUTE FUNCTION payments_are_never_deleted()""",
]

_VIEW = """
CREATE VIEW payments AS
SELECT o.payment_id, o.run_id, o.certification_id, o.person_key, o.program_code, o.period,
       o.item, o.amount_fen, o.bank_code, o.account_number,
       CASE WHEN r.payment_id IS NULL THEN 'pending'
            WHEN r.returned_on IS NOT NULL THEN 'returned'
            ELSE r.status END AS status,
       COALESCE(r.reason, '') AS reason, r.bank_reference, r.chunk, r.finished_at,
       r.returned_on, COALESCE(r.return_reason, '') AS return_reason
  FROM payment_orders o
  LEFT JOIN payment_results r USING (payment_id)
"""


def upgrade() -> None:
    for statement in (*_SPLIT, *_FINAL, _VIEW):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP VIEW payments")
    op.execute("DROP TRIGGER payment_results_are_never_deleted ON payment_results")
    op.execute("DROP TRIGGER payment_results_are_final ON payment_results")
    op.execute("DROP FUNCTION payment_results_are_final")
    op.execute("DROP TRIGGER payment_orders_are_fixed ON payment_orders")
    op.execute("DROP FUNCTION payment_orders_are_fixed")
    op.execute("DROP INDEX one_live_payment_per_person_program_period, payment_orders_voided")
    op.execute("ALTER TABLE payment_orders ADD COLUMN status text NOT NULL DEFAULT 'pending',"
               " ADD COLUMN reason text NOT NULL DEFAULT '', ADD COLUMN bank_reference text,"
               " ADD COLUMN chunk integer, ADD COLUMN finished_at timestamptz,"
               " ADD COLUMN returned_on date, ADD COLUMN return_reason text NOT NULL"
               " DEFAULT ''")
    op.execute("""
    UPDATE payment_orders o SET
           status = CASE WHEN r.returned_on IS NOT NULL THEN 'returned' ELSE r.status END,
           reason = r.reason, bank_reference = r.bank_reference, chunk = r.chunk,
           finished_at = r.finished_at, returned_on = r.returned_on,
           return_reason = r.return_reason
      FROM payment_results r WHERE r.payment_id = o.payment_id""")
    op.execute("DROP TABLE payment_results")
    op.execute("ALTER TABLE payment_orders DROP COLUMN live, DROP COLUMN certified_from")
    op.execute("ALTER TABLE payment_orders RENAME TO payments")
    op.execute("""ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN
        ('pending', 'settled', 'failed', 'cancelled', 'returned'))""")
    op.execute("""ALTER TABLE payments ADD CONSTRAINT payments_bank_reference_check
        CHECK ((status IN ('settled', 'returned')) = (bank_reference IS NOT NULL))""")
    op.execute("""ALTER TABLE payments ADD CONSTRAINT payments_returned_check
        CHECK ((status = 'returned') = (returned_on IS NOT NULL))""")
    op.execute("""
    CREATE UNIQUE INDEX one_live_payment_per_person_program_period
        ON payments (person_key, program_code, period, item)
        WHERE status IN ('pending', 'settled')""")
    op.execute("""CREATE INDEX payments_refused ON payments (person_key, program_code, period)
        WHERE status IN ('failed', 'returned')""")
    op.execute("""
    CREATE FUNCTION payment_results_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'payment % is % and cannot become %', OLD.payment_id, OLD.status,
            NEW.status;
    END $$""")
    op.execute("""
    CREATE TRIGGER payment_results_are_final BEFORE UPDATE ON payments FOR EACH ROW
        WHEN (OLD.status NOT IN ('pending', 'settled') OR NEW.amount_fen <> OLD.amount_fen
              OR NEW.person_key <> OLD.person_key)
        EXECUTE FUNCTION payment_results_are_final()""")
