"""Receivables (追回) in the ledger: money paid out for periods nothing was owed for, owed
back per fiscal level, and what repaid or wrote it off.

- Ledger accounts `receivable:<level>` (≥ 0) and their sources `overpaid:<level>` (≤ 0);
  transaction kinds `receivable` (overpaid → receivable), `repayment` (receivable →
  available) and `write_off` (receivable → overpaid).
- `receivables`: each receivable disbursement found, in the special account of the fiscal
  year that paid it, with each level's share; `receivable_recoveries`: each repayment,
  offset or write-off with each level's part. Both append-only.
- Year-end statements gain `recovered_fen` (what was repaid into the account) and balance
  as closing = opening + appropriations − payments + returns + recoveries.
- The closed loop, for the new kinds: a `receivable` posting needs its receivable in the
  same special account, a `repayment` or `write_off` its recovery; money enters or leaves
  `receivable:` and `overpaid:` accounts through these kinds only.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LEVELS = "(central|provincial|municipal|county)"
ACCOUNT_NAME = (f"account ~ '^(appropriation[:]{LEVELS}|receivable[:]{LEVELS}"
                f"|overpaid[:]{LEVELS}|available"
                "|paid_out|returned|brought_forward|carried_forward|reserved[:].+)$'")
SOURCE = ("(account LIKE 'appropriation:%' OR account LIKE 'overpaid:%'"
          " OR account IN ('returned', 'brought_forward'))")
KINDS = ("'appropriation', 'reservation', 'payment', 'release', 'return', 'carry_forward',"
         " 'brought_forward', 'receivable', 'repayment', 'write_off'")
_OLD_ACCOUNT_NAME = ("account ~ '^(appropriation[:](central|provincial|municipal|county)"
                     "|available|paid_out|returned|brought_forward|carried_forward"
                     "|reserved[:].+)$'")
_OLD_SOURCE = "(account LIKE 'appropriation:%' OR account IN ('returned', 'brought_forward'))"
_OLD_KINDS = ("'appropriation', 'reservation', 'payment', 'release', 'return', 'carry_forward',"
              " 'brought_forward'")


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


TABLES = [
    """
    CREATE TABLE receivables (
        receivable_id      uuid PRIMARY KEY,
        special_account_id uuid NOT NULL REFERENCES special_accounts (id),
        certification_id   text NOT NULL,
        cause              text NOT NULL,
        ended_from         date NOT NULL,
        payments           jsonb NOT NULL,
        central_fen        bigint NOT NULL CHECK (central_fen >= 0),
        provincial_fen     bigint NOT NULL CHECK (provincial_fen >= 0),
        municipal_fen      bigint NOT NULL CHECK (municipal_fen >= 0),
        county_fen         bigint NOT NULL CHECK (county_fen >= 0),
        total_fen          bigint NOT NULL CHECK (total_fen > 0),
        recorded_at        timestamptz NOT NULL,
        CONSTRAINT levels_add_up CHECK (
            central_fen + provincial_fen + municipal_fen + county_fen = total_fen)
    )""",
    "CREATE INDEX receivables_by_account ON receivables (special_account_id)",
    """
    CREATE TABLE receivable_recoveries (
        recovery_id    uuid PRIMARY KEY,
        receivable_id  uuid NOT NULL REFERENCES receivables (receivable_id),
        kind           text NOT NULL CHECK (kind IN ('repayment', 'offset', 'write_off')),
        central_fen    bigint NOT NULL CHECK (central_fen >= 0),
        provincial_fen bigint NOT NULL CHECK (provincial_fen >= 0),
        municipal_fen  bigint NOT NULL CHECK (municipal_fen >= 0),
        county_fen     bigint NOT NULL CHECK (county_fen >= 0),
        amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
        reference      text NOT NULL DEFAULT '',
        recorded_by    text NOT NULL,
        approved_by    text,
        recorded_at    timestamptz NOT NULL,
        CONSTRAINT levels_add_up CHECK (
            central_fen + provincial_fen + municipal_fen + county_fen = amount_fen)
    )""",
    "CREATE INDEX recoveries_by_receivable ON receivable_recoveries (receivable_id)",
    """
    CREATE TRIGGER receivables_append_only BEFORE UPDATE OR DELETE ON receivables
        FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
    """
    CREATE TRIGGER receivable_recoveries_append_only BEFORE UPDATE OR DELETE
        ON receivable_recoveries FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
]

RULES = [
    """
    CREATE FUNCTION ledger_receivable_entry_allowed() RETURNS trigger LANGUAGE plpgsql AS $body$
    DECLARE
        t ledger_transactions%ROWTYPE;
        receivable_side boolean := NEW.account LIKE 'receivable:%'
                                   OR NEW.account LIKE 'overpaid:%';
    BEGIN
        SELECT * INTO t FROM ledger_transactions WHERE id = NEW.transaction_id;
        IF t.kind NOT IN ('receivable', 'repayment', 'write_off') THEN
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
            OR (t.kind = 'write_off' AND ((NEW.amount_fen > 0 AND NEW.account LIKE 'overpaid:%')
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
                AND (x.kind = 'write_off') = (t.kind = 'write_off')) THEN
            RAISE EXCEPTION 'closed loop: a % posted without its recovery', t.kind
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $body$""",
    """
    CREATE TRIGGER ledger_receivable_entries_allowed BEFORE INSERT ON ledger_entries
        FOR EACH ROW EXECUTE FUNCTION ledger_receivable_entry_allowed()""",
]


STATEMENTS = [
    """
    ALTER TABLE year_end_statements
        ADD COLUMN recovered_fen bigint NOT NULL DEFAULT 0 CHECK (recovered_fen >= 0),
        DROP CONSTRAINT balances_to_the_fen,
        ADD CONSTRAINT balances_to_the_fen CHECK (closing_fen = opening_fen + central_fen
            + provincial_fen + municipal_fen + county_fen - paid_fen + returned_fen
            + recovered_fen)""",
]


def upgrade() -> None:
    for statement in (*_constraints(ACCOUNT_NAME, SOURCE, KINDS), *TABLES, *RULES,
                      *STATEMENTS):
        op.execute(statement)


def downgrade() -> None:
    op.execute("""
    ALTER TABLE year_end_statements DROP CONSTRAINT balances_to_the_fen,
        DROP COLUMN recovered_fen,
        ADD CONSTRAINT balances_to_the_fen CHECK (closing_fen = opening_fen + central_fen
            + provincial_fen + municipal_fen + county_fen - paid_fen + returned_fen)""")
    op.execute("DROP TRIGGER ledger_receivable_entries_allowed ON ledger_entries")
    op.execute("DROP FUNCTION ledger_receivable_entry_allowed")
    op.execute("DROP TABLE receivable_recoveries, receivables")
    for statement in _constraints(_OLD_ACCOUNT_NAME, _OLD_SOURCE, _OLD_KINDS):
        op.execute(statement)
