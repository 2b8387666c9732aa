"""Fund forecasts, returned payments, year-end statements, and the closed loop in the
database.

- Ledger accounts `returned` and `brought_forward` (sources, ≤ 0) and `carried_forward`
  (≥ 0); transaction kinds `return`, `carry_forward`, `brought_forward`. A transaction about
  a run names it (`run_id`, and `chunk` for a payment or a return).
- The closed loop, enforced on every entry: each kind may only take money from its own
  source and put it into its own destination (a reservation from available into the run's
  reservation, a payment from the run's reservation into paid_out, …); an entry into
  paid_out needs the settled chunk it pays, of a run with an approved allocation in the
  same special account, and a chunk is paid (or returned) at most once; money comes back
  from the bank only for a recorded returned chunk, and a balance is carried forward only
  as the closing balance of that account's year-end statement.
- A special account closed by its year-end statement takes no more postings.
- Year-end statements balance by a CHECK (closing = opening + appropriations − payments +
  returns) and are append-only; forecasts' fiscal levels add up to their total by a CHECK.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACCOUNT_NAME = ("account ~ '^(appropriation[:](central|provincial|municipal|county)|available"
                "|paid_out|returned|brought_forward|carried_forward|reserved[:].+)$'")
SOURCE = "(account LIKE 'appropriation:%' OR account IN ('returned', 'brought_forward'))"
KINDS = ("'appropriation', 'reservation', 'payment', 'release', 'return', 'carry_forward',"
         " 'brought_forward'")

LEDGER = [
    f"""
    ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_account_check,
        ADD CONSTRAINT ledger_entries_account_check CHECK ({ACCOUNT_NAME})""",
    f"""
    ALTER TABLE ledger_balances DROP CONSTRAINT ledger_balances_account_check,
        DROP CONSTRAINT balance_never_negative, DROP CONSTRAINT sources_never_positive,
        ADD CONSTRAINT ledger_balances_account_check CHECK ({ACCOUNT_NAME}),
        ADD CONSTRAINT balance_never_negative CHECK ({SOURCE} OR balance_fen >= 0),
        ADD CONSTRAINT sources_never_positive CHECK (NOT {SOURCE} OR balance_fen <= 0)""",
    f"""
    ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check,
        ADD CONSTRAINT ledger_transactions_kind_check CHECK (kind IN ({KINDS})),
        ADD COLUMN run_id text REFERENCES allocations (run_id),
        ADD COLUMN chunk integer CHECK (chunk >= 0)""",
    # Name the runs of what 0001 posted (append-only: the rule steps aside for this only).
    "ALTER TABLE ledger_transactions DISABLE TRIGGER ledger_transactions_append_only",
    """
    UPDATE ledger_transactions SET run_id = reference
        WHERE kind IN ('reservation', 'release')""",
    """
    UPDATE ledger_transactions SET run_id = substring(reference FROM '^(.*):[0-9]+$'),
        chunk = substring(reference FROM ':([0-9]+)$')::integer WHERE kind = 'payment'""",
    "ALTER TABLE ledger_transactions ENABLE TRIGGER ledger_transactions_append_only",
    """
    ALTER TABLE ledger_transactions
        ADD CONSTRAINT run_named CHECK (
            (kind IN ('reservation', 'payment', 'release', 'return')) = (run_id IS NOT NULL)),
        ADD CONSTRAINT chunk_named CHECK ((kind IN ('payment', 'return')) = (chunk IS NOT NULL))
    """,
    """
    CREATE UNIQUE INDEX ledger_transactions_chunk_once ON ledger_transactions
        (kind, run_id, chunk) WHERE kind IN ('payment', 'return')""",
]

TABLES = [
    """
    ALTER TABLE special_accounts
        ADD COLUMN closed_at timestamptz,
        ADD COLUMN forecast_version integer CHECK (forecast_version >= 1),
        ADD COLUMN forecast_roster_version bigint,
        ADD COLUMN forecast_checked_at timestamptz""",
    """
    ALTER TABLE allocations ADD COLUMN returned_fen bigint NOT NULL DEFAULT 0,
        ADD CONSTRAINT returned_within_paid CHECK (returned_fen BETWEEN 0 AND paid_fen)""",
    """
    CREATE TABLE returned_chunks (
        run_id         text NOT NULL REFERENCES allocations (run_id),
        chunk          integer NOT NULL CHECK (chunk >= 0),
        payment_count  integer NOT NULL CHECK (payment_count >= 0),
        amount_fen     bigint NOT NULL CHECK (amount_fen >= 0),
        booked_to      uuid NOT NULL REFERENCES special_accounts (id),
        received_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, chunk)
    )""",
    """
    CREATE TABLE returned_payments (
        payment_id  text PRIMARY KEY,
        run_id      text NOT NULL,
        chunk       integer NOT NULL,
        amount_fen  bigint NOT NULL CHECK (amount_fen > 0),
        FOREIGN KEY (run_id, chunk) REFERENCES returned_chunks (run_id, chunk)
    )""",
    """
    CREATE INDEX certifications_active ON certifications (program_code, division_code,
        category) WHERE active""",
    """
    CREATE TABLE rosters (
        program_code   text NOT NULL,
        division_code  text NOT NULL,
        version        bigint NOT NULL CHECK (version >= 1),
        changed_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (program_code, division_code)
    )""",
    """
    CREATE TABLE forecasts (
        special_account_id  uuid NOT NULL REFERENCES special_accounts (id),
        version             integer NOT NULL CHECK (version >= 1),
        roster_version      bigint NOT NULL,
        frequency           text NOT NULL,
        periods             text[] NOT NULL,
        head_count          integer NOT NULL CHECK (head_count >= 0),
        total_fen           bigint NOT NULL CHECK (total_fen >= 0),
        central_fen         bigint NOT NULL CHECK (central_fen >= 0),
        provincial_fen      bigint NOT NULL CHECK (provincial_fen >= 0),
        municipal_fen       bigint NOT NULL CHECK (municipal_fen >= 0),
        county_fen          bigint NOT NULL CHECK (county_fen >= 0),
        lines               jsonb NOT NULL,
        cause               text NOT NULL CHECK (cause IN ('requested', 'roster_changed')),
        computed_by         text,
        computed_at         timestamptz NOT NULL,
        PRIMARY KEY (special_account_id, version),
        CONSTRAINT levels_add_up CHECK (
            central_fen + provincial_fen + municipal_fen + county_fen = total_fen)
    )""",
    """
    CREATE TABLE year_end_statements (
        id                   uuid PRIMARY KEY,
        special_account_id   uuid NOT NULL UNIQUE REFERENCES special_accounts (id),
        opening_fen          bigint NOT NULL CHECK (opening_fen >= 0),
        central_fen          bigint NOT NULL CHECK (central_fen >= 0),
        provincial_fen       bigint NOT NULL CHECK (provincial_fen >= 0),
        municipal_fen        bigint NOT NULL CHECK (municipal_fen >= 0),
        county_fen           bigint NOT NULL CHECK (county_fen >= 0),
        paid_fen             bigint NOT NULL CHECK (paid_fen >= 0),
        returned_fen         bigint NOT NULL CHECK (returned_fen >= 0),
        closing_fen          bigint NOT NULL CHECK (closing_fen >= 0),
        runs_settled         integer NOT NULL CHECK (runs_settled >= 0),
        reserved_fen         bigint NOT NULL CHECK (reserved_fen >= 0),
        released_fen         bigint NOT NULL CHECK (released_fen >= 0),
        produced_by          text NOT NULL,
        produced_at          timestamptz NOT NULL,
        CONSTRAINT balances_to_the_fen CHECK (closing_fen = opening_fen + central_fen
            + provincial_fen + municipal_fen + county_fen - paid_fen + returned_fen),
        CONSTRAINT runs_add_up CHECK (reserved_fen = paid_fen + released_fen)
    )""",
    """
    CREATE TRIGGER year_end_statements_append_only BEFORE UPDATE OR DELETE
        ON year_end_statements FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
]

RULES = [
    """
    CREATE FUNCTION ledger_entry_allowed() RETURNS trigger LANGUAGE plpgsql AS $body$
    DECLARE
        t ledger_transactions%ROWTYPE;
        source text;
        destination text;
    BEGIN
        SELECT * INTO t FROM ledger_transactions WHERE id = NEW.transaction_id;
        source := CASE t.kind
            WHEN 'reservation' THEN 'available' WHEN 'payment' THEN 'reserved:' || t.run_id
            WHEN 'release' THEN 'reserved:' || t.run_id WHEN 'return' THEN 'returned'
            WHEN 'carry_forward' THEN 'available' WHEN 'brought_forward' THEN 'brought_forward'
            END;
        destination := CASE t.kind
            WHEN 'appropriation' THEN 'available' WHEN 'reservation' THEN 'reserved:' || t.run_id
            WHEN 'payment' THEN 'paid_out' WHEN 'release' THEN 'available'
            WHEN 'return' THEN 'available' WHEN 'carry_forward' THEN 'carried_forward'
            WHEN 'brought_forward' THEN 'available' END;
        IF NOT ((NEW.amount_fen > 0 AND NEW.account = destination)
                OR (NEW.amount_fen < 0 AND (NEW.account = source OR (t.kind = 'appropriation'
                    AND NEW.account LIKE 'appropriation:%')))) THEN
            RAISE EXCEPTION 'closed loop: a % transaction cannot move % fen in %',
                t.kind, NEW.amount_fen, NEW.account USING ERRCODE = 'check_violation';
        END IF;
        IF t.kind IN ('reservation', 'payment', 'release') AND NOT EXISTS (
                SELECT 1 FROM allocations WHERE run_id = t.run_id AND status = 'approved'
                AND special_account_id = NEW.special_account_id) THEN
            RAISE EXCEPTION 'closed loop: run % has no approved allocation in special '
                'account %', t.run_id, NEW.special_account_id USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.account = 'paid_out' AND NOT EXISTS (
                SELECT 1 FROM settled_chunks WHERE run_id = t.run_id AND chunk = t.chunk
                AND amount_fen = NEW.amount_fen) THEN
            RAISE EXCEPTION 'closed loop: % fen paid out by run % without a settled chunk % '
                'of that amount', NEW.amount_fen, t.run_id, t.chunk
                USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.account = 'returned' AND NOT EXISTS (
                SELECT 1 FROM returned_chunks WHERE run_id = t.run_id AND chunk = t.chunk
                AND amount_fen = -NEW.amount_fen AND booked_to = NEW.special_account_id) THEN
            RAISE EXCEPTION 'closed loop: % fen returned to run % without a returned chunk % '
                'of that amount', -NEW.amount_fen, t.run_id, t.chunk
                USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.account = 'carried_forward' AND NOT EXISTS (
                SELECT 1 FROM year_end_statements WHERE id::text = t.reference
                AND special_account_id = NEW.special_account_id
                AND closing_fen = NEW.amount_fen) THEN
            RAISE EXCEPTION 'closed loop: % fen carried forward without the year-end '
                'statement closing with it', NEW.amount_fen USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.account = 'brought_forward' AND NOT EXISTS (
                SELECT 1 FROM year_end_statements st
                JOIN special_accounts previous ON previous.id = st.special_account_id
                JOIN special_accounts this ON this.id = NEW.special_account_id
                WHERE st.id::text = t.reference AND st.closing_fen = -NEW.amount_fen
                AND previous.program_code = this.program_code
                AND previous.division_code = this.division_code
                AND previous.fiscal_year = this.fiscal_year - 1) THEN
            RAISE EXCEPTION 'closed loop: % fen brought forward without the previous year''s '
                'statement closing with it', -NEW.amount_fen USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $body$""",
    """
    CREATE TRIGGER ledger_entries_allowed BEFORE INSERT ON ledger_entries
        FOR EACH ROW EXECUTE FUNCTION ledger_entry_allowed()""",
    """
    CREATE FUNCTION ledger_account_open() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF EXISTS (SELECT 1 FROM special_accounts WHERE id = NEW.special_account_id
                   AND closed_at IS NOT NULL) THEN
            RAISE EXCEPTION 'special account % is closed by its year-end statement',
                NEW.special_account_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $body$""",
    """
    CREATE TRIGGER ledger_transactions_open_account BEFORE INSERT ON ledger_transactions
        FOR EACH ROW EXECUTE FUNCTION ledger_account_open()""",
]


def upgrade() -> None:
    for statement in (*LEDGER, *TABLES, *RULES):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER ledger_transactions_open_account ON ledger_transactions")
    op.execute("DROP TRIGGER ledger_entries_allowed ON ledger_entries")
    op.execute("DROP FUNCTION ledger_account_open, ledger_entry_allowed")
    op.execute("DROP TABLE year_end_statements, forecasts, rosters, returned_payments,"
               " returned_chunks")
    op.execute("DROP INDEX certifications_active")
    op.execute("ALTER TABLE allocations DROP COLUMN returned_fen")
    op.execute("ALTER TABLE special_accounts DROP COLUMN closed_at, DROP COLUMN"
               " forecast_version, DROP COLUMN forecast_roster_version,"
               " DROP COLUMN forecast_checked_at")
    op.execute("DROP INDEX ledger_transactions_chunk_once")
    op.execute("ALTER TABLE ledger_transactions DROP CONSTRAINT run_named,"
               " DROP CONSTRAINT chunk_named, DROP COLUMN run_id, DROP COLUMN chunk")
