"""Recoveries that bring no money into the receivable's account, and recoveries after its
year closed.

- Transaction kind `receivable_settled` (receivable:<level> → overpaid:<level>): a
  receivable recovered by the bank's return of the overpaid payment (the return brought
  the money in), by an offset against a later payment (it never left), or by a repayment
  after the receivable's year closed.
- Ledger account `prior_year_recovered` (a source, ≤ 0) and transaction kind
  `prior_year_repayment` (prior_year_recovered → available): a repayment on a closed
  year's receivable comes into the first open later year's account (收回以前年度支出).
- `receivable_recoveries.returned_payment_id` (the overpaid payment the bank returned,
  once) and `credited_to` (the account whose available money a repayment came into;
  existing repayments: their receivable's account).
- A closed account still takes the postings that move no money: `receivable` (an
  overpayment found after year-end), `write_off` and `receivable_settled`.

Revision ID: 0008
Revises: 0007
"""

import runpy
from pathlib import Path

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LEVELS = "(central|provincial|municipal|county)"
_NAMES = ("appropriation[:]{levels}|receivable[:]{levels}|overpaid[:]{levels}|available"
          "|paid_out|returned|brought_forward|carried_forward{extra}|reserved[:].+")
ACCOUNT_NAME = f"account ~ '^({_NAMES.format(levels=LEVELS, extra='|prior_year_recovered')})$'"
OLD_ACCOUNT_NAME = f"account ~ '^({_NAMES.format(levels=LEVELS, extra='')})$'"
SOURCE = ("(account LIKE 'appropriation:%' OR account LIKE 'overpaid:%'"
          " OR account IN ('returned', 'brought_forward', 'prior_year_recovered'))")
OLD_SOURCE = ("(account LIKE 'appropriation:%' OR account LIKE 'overpaid:%'"
              " OR account IN ('returned', 'brought_forward'))")
OLD_KINDS = ("'appropriation', 'reservation', 'payment', 'release', 'return', 'carry_forward',"
             " 'brought_forward', 'receivable', 'repayment', 'write_off'")
KINDS = OLD_KINDS + ", 'receivable_settled', 'prior_year_repayment'"


def _constraints(account_name: str, source: str, kinds: str) -> list[str]:
    return [
        f"""
        ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_account_check,
            ADD CONSTRAINT ledger_entries_account_check CHECK ({account_name})""",
        f"""
        ALTER TABLE ledger_balances DROP CONSTRAINT ledger_balances_account_check,
            DROP CONSTRAINT balance_never_negative, DROP CONSTRAINT sources_never_positive,
            ADD CONSTRAINT ledger_balances_account_check CHECK ({account_name}),
            ADD CONSTRAINT balance_never_negative CHECK ({source} OR balance_fen >= 0),
            ADD CONSTRAINT sources_never_positive CHECK (NOT {source} OR balance_fen <= 0)""",
        f"""
        ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check,
            ADD CONSTRAINT ledger_transactions_kind_check CHECK (kind IN ({kinds}))""",
    ]


RECOVERIES = [
    """
    ALTER TABLE receivable_recoveries
        ADD COLUMN returned_payment_id text UNIQUE,
        ADD COLUMN credited_to uuid REFERENCES special_accounts (id),
        ADD CONSTRAINT a_return_credits_nothing
            CHECK (returned_payment_id IS NULL OR (kind = 'repayment' AND credited_to IS NULL)),
        ADD CONSTRAINT only_a_repayment_credits
            CHECK (credited_to IS NULL OR kind = 'repayment')""",
    "ALTER TABLE receivable_recoveries DISABLE TRIGGER receivable_recoveries_append_only",
    """
    UPDATE receivable_recoveries x SET credited_to = r.special_account_id
      FROM receivables r WHERE r.receivable_id = x.receivable_id AND x.kind = 'repayment'""",
    "ALTER TABLE receivable_recoveries ENABLE TRIGGER receivable_recoveries_append_only",
    "CREATE INDEX recoveries_by_credited_account ON receivable_recoveries (credited_to)",
]

RULES = [
    """
    CREATE OR REPLACE FUNCTION ledger_receivable_entry_allowed() RETURNS trigger
    LANGUAGE plpgsql AS $body$
    DECLARE
        t ledger_transactions%ROWTYPE;
        receivable_side boolean := NEW.account LIKE 'receivable:%'
                                   OR NEW.account LIKE 'overpaid:%';
    BEGIN
        SELECT * INTO t FROM ledger_transactions WHERE id = NEW.transaction_id;
        IF t.kind = 'prior_year_repayment' THEN
            IF NOT ((NEW.amount_fen > 0 AND NEW.account = 'available')
                    OR (NEW.amount_fen < 0 AND NEW.account = 'prior_year_recovered')) THEN
                RAISE EXCEPTION 'closed loop: a % transaction cannot move % fen in %',
                    t.kind, NEW.amount_fen, NEW.account USING ERRCODE = 'check_violation';
            END IF;
            IF NOT EXISTS (
                    SELECT 1 FROM receivable_recoveries x
                    JOIN receivables r USING (receivable_id)
                    JOIN special_accounts earlier ON earlier.id = r.special_account_id
                    JOIN special_accounts this ON this.id = NEW.special_account_id
                    WHERE x.recovery_id::text = t.reference
                    AND x.credited_to = NEW.special_account_id
                    AND x.amount_fen = abs(NEW.amount_fen)
                    AND earlier.program_code = this.program_code
                    AND earlier.division_code = this.division_code
                    AND earlier.fiscal_year < this.fiscal_year) THEN
                RAISE EXCEPTION 'closed loop: a prior year repayment posted without its '
                    'recovery' USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END IF;
        IF NEW.account = 'prior_year_recovered' THEN
            RAISE EXCEPTION 'closed loop: a % transaction cannot move % fen in %',
                t.kind, NEW.amount_fen, NEW.account USING ERRCODE = 'check_violation';
        END IF;
        IF t.kind NOT IN ('receivable', 'repayment', 'write_off', 'receivable_settled') THEN
            IF receivable_side THEN
                RAISE EXCEPTION 'closed loop: a % transaction cannot move % fen in %',
                    t.kind, NEW.amount_fen, NEW.account USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END IF;
        IF NOT (
            (t.kind = 'receivable' AND ((NEW.amount_fen > 0 AND NEW.account LIKE 'receivable:%')
                                     OR (NEW.amount_fen < 0 AND NEW.account LIKE 'overpaid:%')))
            OR (t.kind = 'repayment' AND ((NEW.amount_fen > 0 AND NEW.account = 'available')
                                     OR (NEW.amount_fen < 0 AND NEW.account LIKE 'receivable:%')))
            OR (t.kind IN ('write_off', 'receivable_settled')
                AND ((NEW.amount_fen > 0 AND NEW.account LIKE 'overpaid:%')
                     OR (NEW.amount_fen < 0 AND NEW.account LIKE 'receivable:%')))
        ) THEN
            RAISE EXCEPTION 'closed loop: a % transaction cannot move % fen in %',
                t.kind, NEW.amount_fen, NEW.account USING ERRCODE = 'check_violation';
        END IF;
        IF t.kind = 'receivable' AND NOT EXISTS (
                SELECT 1 FROM receivables WHERE receivable_id::text = t.reference
                AND special_account_id = NEW.special_account_id) THEN
            RAISE EXCEPTION 'closed loop: a receivable posted without its receivable'
                USING ERRCODE = 'check_violation';
        END IF;
        IF t.kind <> 'receivable' AND NOT EXISTS (
                SELECT 1 FROM receivable_recoveries x JOIN receivables r USING (receivable_id)
                WHERE x.recovery_id::text = t.reference
                AND r.special_account_id = NEW.special_account_id
                AND CASE t.kind
                    WHEN 'write_off' THEN x.kind = 'write_off'
                    WHEN 'repayment' THEN x.credited_to = NEW.special_account_id
                    ELSE x.kind <> 'write_off'
                         AND x.credited_to IS DISTINCT FROM NEW.special_account_id END) THEN
            RAISE EXCEPTION 'closed loop: a % posted without its recovery', t.kind
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $body$""",
    """
    CREATE OR REPLACE FUNCTION ledger_account_open() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF NEW.kind NOT IN ('receivable', 'write_off', 'receivable_settled') AND EXISTS (
                SELECT 1 FROM special_accounts WHERE id = NEW.special_account_id
                AND closed_at IS NOT NULL) THEN
            RAISE EXCEPTION 'special account % is closed by its year-end statement',
                NEW.special_account_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $body$""",
]

_OLD_ACCOUNT_OPEN = """
    CREATE OR REPLACE FUNCTION ledger_account_open() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF EXISTS (SELECT 1 FROM special_accounts WHERE id = NEW.special_account_id
                   AND closed_at IS NOT NULL) THEN
            RAISE EXCEPTION 'special account % is closed by its year-end statement',
                NEW.special_account_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $body$"""


def upgrade() -> None:
    for statement in (*_constraints(ACCOUNT_NAME, SOURCE, KINDS), *RECOVERIES, *RULES):
        op.execute(statement)


def downgrade() -> None:
    previous = runpy.run_path(str(Path(__file__).with_name("0007_receivables.py")))
    op.execute(_OLD_ACCOUNT_OPEN)
    op.execute(previous["RULES"][0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    op.execute("ALTER TABLE receivable_recoveries DROP COLUMN credited_to,"
               " DROP COLUMN returned_payment_id")
    for statement in _constraints(OLD_ACCOUNT_NAME, OLD_SOURCE, OLD_KINDS):
        op.execute(statement)
