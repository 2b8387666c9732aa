"""Special accounts, the double-entry ledger with its balances, appropriations, allocations
and their settled chunks, certification counts, and the messaging tables.

The database enforces the books on its own, so a bug or a hand-written statement cannot
break them: entries are append-only; a trigger keeps `ledger_balances` in step with every
entry in the same transaction, where CHECKs keep available, reserved and paid_out at or
above zero; a deferred constraint trigger refuses at commit any transaction whose entries
are fewer than two or do not sum to zero.

Revision ID: 0001
Revises:
"""

from alembic import op

from siquan.shared.messaging_schema import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ACCOUNT_NAME = ("account ~ '^(appropriation[:](central|provincial|municipal|county)"
                "|available|paid_out|reserved[:].+)$'")

TABLES = [
    """
    CREATE TABLE special_accounts (
        id             uuid PRIMARY KEY,
        program_code   text NOT NULL,
        fiscal_year    integer NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2100),
        division_code  text NOT NULL CHECK (division_code ~ '^[0-9]{6}$'),
        created_at     timestamptz NOT NULL DEFAULT now(),
        UNIQUE (program_code, fiscal_year, division_code)
    )""",
    """
    CREATE TABLE ledger_transactions (
        id                  uuid PRIMARY KEY,
        special_account_id  uuid NOT NULL REFERENCES special_accounts (id),
        kind                text NOT NULL
                                CHECK (kind IN ('appropriation', 'reservation', 'payment',
                                                'release')),
        reference           text NOT NULL,
        recorded_at         timestamptz NOT NULL DEFAULT now(),
        UNIQUE (special_account_id, kind, reference),
        UNIQUE (id, special_account_id)
    )""",
    f"""
    CREATE TABLE ledger_entries (
        id                  bigserial PRIMARY KEY,
        transaction_id      uuid NOT NULL,
        special_account_id  uuid NOT NULL,
        account             text NOT NULL CHECK ({ACCOUNT_NAME}),
        amount_fen          bigint NOT NULL CHECK (amount_fen <> 0),
        FOREIGN KEY (transaction_id, special_account_id)
            REFERENCES ledger_transactions (id, special_account_id)
    )""",
    "CREATE INDEX ledger_entries_by_transaction ON ledger_entries (transaction_id)",
    f"""
    CREATE TABLE ledger_balances (
        special_account_id  uuid NOT NULL REFERENCES special_accounts (id),
        account             text NOT NULL CHECK ({ACCOUNT_NAME}),
        balance_fen         bigint NOT NULL,
        PRIMARY KEY (special_account_id, account),
        CONSTRAINT balance_never_negative
            CHECK (account LIKE 'appropriation%' OR balance_fen >= 0),
        CONSTRAINT sources_never_positive
            CHECK (account NOT LIKE 'appropriation%' OR balance_fen <= 0)
    )""",
    """
    CREATE TABLE appropriations (
        id                  uuid PRIMARY KEY,
        special_account_id  uuid NOT NULL REFERENCES special_accounts (id),
        fiscal_level        text NOT NULL
                                CHECK (fiscal_level IN ('central', 'provincial', 'municipal',
                                                        'county')),
        amount_fen          bigint NOT NULL CHECK (amount_fen > 0),
        transaction_id      uuid NOT NULL UNIQUE REFERENCES ledger_transactions (id),
        recorded_by         text NOT NULL,
        recorded_at         timestamptz NOT NULL
    )""",
    """
    CREATE TABLE allocations (
        id                  uuid PRIMARY KEY,
        run_id              text NOT NULL UNIQUE,
        special_account_id  uuid NOT NULL REFERENCES special_accounts (id),
        period              text NOT NULL,
        payee_count         integer NOT NULL CHECK (payee_count >= 0),
        total_fen           bigint NOT NULL CHECK (total_fen >= 0),
        status              text NOT NULL
                                CHECK (status IN ('waiting', 'approved', 'settled',
                                                  'cancelled')),
        paid_fen            bigint NOT NULL DEFAULT 0,
        released_fen        bigint NOT NULL DEFAULT 0 CHECK (released_fen >= 0),
        requested_at        timestamptz NOT NULL,
        approved_at         timestamptz,
        settled_at          timestamptz,
        CONSTRAINT paid_within_reserved CHECK (paid_fen BETWEEN 0 AND total_fen),
        CONSTRAINT unfunded_pays_nothing
            CHECK (status IN ('approved', 'settled') OR paid_fen = 0),
        CONSTRAINT settled_adds_up
            CHECK (status <> 'settled' OR paid_fen + released_fen = total_fen)
    )""",
    """
    CREATE INDEX allocations_waiting ON allocations (special_account_id, requested_at)
        WHERE status = 'waiting'""",
    """
    CREATE TABLE settled_chunks (
        run_id         text NOT NULL REFERENCES allocations (run_id),
        chunk          integer NOT NULL CHECK (chunk >= 0),
        payment_count  integer NOT NULL CHECK (payment_count >= 0),
        amount_fen     bigint NOT NULL CHECK (amount_fen >= 0),
        received_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, chunk)
    )""",
    """
    CREATE TABLE failed_chunks (
        run_id         text NOT NULL REFERENCES allocations (run_id),
        chunk          integer NOT NULL CHECK (chunk >= 0),
        payment_count  integer NOT NULL CHECK (payment_count >= 0),
        amount_fen     bigint NOT NULL CHECK (amount_fen >= 0),
        received_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, chunk)
    )""",
    """
    CREATE TABLE certifications (
        certification_id  text PRIMARY KEY,
        program_code      text NOT NULL,
        division_code     text NOT NULL,
        category          text,
        active            boolean NOT NULL,
        updated_at        timestamptz NOT NULL DEFAULT now()
    )""",
]

RULES = [
    """
    CREATE FUNCTION ledger_apply_entry() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        -- Update first: INSERT .. ON CONFLICT would check the bare entry against the CHECKs.
        UPDATE ledger_balances SET balance_fen = balance_fen + NEW.amount_fen
            WHERE special_account_id = NEW.special_account_id AND account = NEW.account;
        IF NOT FOUND THEN
            INSERT INTO ledger_balances (special_account_id, account, balance_fen)
            VALUES (NEW.special_account_id, NEW.account, NEW.amount_fen);
        END IF;
        RETURN NULL;
    END $body$""",
    """
    CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_entries
        FOR EACH ROW EXECUTE FUNCTION ledger_apply_entry()""",
    """
    CREATE FUNCTION ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $body$
    DECLARE
        total bigint;
        entries integer;
    BEGIN
        SELECT coalesce(sum(amount_fen), 0), count(*) INTO total, entries
            FROM ledger_entries WHERE transaction_id = NEW.transaction_id;
        IF entries < 2 OR total <> 0 THEN
            RAISE EXCEPTION 'ledger transaction % is unbalanced: % entries summing to % fen',
                NEW.transaction_id, entries, total USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END $body$""",
    """
    CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balanced()""",
    """
    CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END $body$""",
    """
    CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
        FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
    """
    CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE
        ON ledger_transactions FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
]


def upgrade() -> None:
    create_messaging_tables(op.execute)
    for statement in (*TABLES, *RULES):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE certifications, failed_chunks, settled_chunks, allocations,"
               " appropriations, ledger_balances, ledger_entries, ledger_transactions,"
               " special_accounts, inbox, outbox")
    op.execute("DROP FUNCTION ledger_apply_entry, ledger_transaction_balanced,"
               " ledger_append_only")
