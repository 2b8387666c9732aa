"""Receivables (追回): money settled for periods after a certification ended, and what
recovered it.

- `receivables`: one certification's overpaid payments of one fiscal year, as found.
- `overpaid_payments`: each overpaid payment, once (its id is the key): finding the same
  payments again records nothing twice.
- `recoveries`: repayments, offsets and approved write-offs; a write-off names a second
  officer who is not its proposer (a CHECK).
- `write_off_proposals`: a write-off proposed and not yet decided, at most one per
  receivable.
Recoveries and found payments are never updated or deleted.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_TABLES = [
    """
    CREATE TABLE receivables (
        receivable_id    uuid PRIMARY KEY,
        person_key       text NOT NULL,
        certification_id text NOT NULL,
        program_code     text NOT NULL,
        division_code    text NOT NULL,
        fiscal_year      integer NOT NULL,
        cause            text NOT NULL CHECK (cause IN ('death', 'revocation')),
        ended_from       date NOT NULL,
        total_fen        bigint NOT NULL CHECK (total_fen > 0),
        recorded_at      timestamptz NOT NULL
    )""",
    "CREATE INDEX receivables_by_division ON receivables (division_code, program_code)",
    """
    CREATE TABLE overpaid_payments (
        payment_id    uuid PRIMARY KEY,
        receivable_id uuid NOT NULL REFERENCES receivables (receivable_id),
        run_id        uuid NOT NULL,
        run_period    text NOT NULL,
        period        text NOT NULL,
        item          text NOT NULL,
        amount_fen    bigint NOT NULL CHECK (amount_fen > 0)
    )""",
    "CREATE INDEX overpaid_payments_by_receivable ON overpaid_payments (receivable_id)",
    """
    CREATE TABLE recoveries (
        recovery_id   uuid PRIMARY KEY,
        receivable_id uuid NOT NULL REFERENCES receivables (receivable_id),
        kind          text NOT NULL CHECK (kind IN ('repayment', 'offset', 'write_off')),
        amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
        reference     text NOT NULL DEFAULT '',
        recorded_by   text NOT NULL,
        approved_by   text,
        recorded_at   timestamptz NOT NULL,
        CHECK ((kind = 'write_off') = (approved_by IS NOT NULL)),
        CONSTRAINT write_off_checker_is_not_maker
            CHECK (approved_by IS NULL OR approved_by <> recorded_by)
    )""",
    "CREATE INDEX recoveries_by_receivable ON recoveries (receivable_id)",
    """
    CREATE TABLE write_off_proposals (
        proposal_id   uuid PRIMARY KEY,
        receivable_id uuid NOT NULL REFERENCES receivables (receivable_id),
        amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
        reason        text NOT NULL,
        proposed_by   text NOT NULL,
        proposed_at   timestamptz NOT NULL,
        decided_at    timestamptz
    )""",
    """
    CREATE UNIQUE INDEX one_write_off_awaiting_approval
        ON write_off_proposals (receivable_id) WHERE decided_at IS NULL""",
    """
    CREATE FUNCTION recoveries_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'a recorded overpayment or recovery is never changed'
            USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """
    CREATE TRIGGER overpaid_payments_are_final BEFORE UPDATE OR DELETE ON overpaid_payments
        FOR EACH ROW EXECUTE FUNCTION recoveries_are_final()""",
    """
    CREATE TRIGGER recoveries_are_final BEFORE UPDATE OR DELETE ON recoveries
        FOR EACH ROW EXECUTE FUNCTION recoveries_are_final()""",
]


def upgrade() -> None:
    for statement in _TABLES:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE write_off_proposals, recoveries, overpaid_payments, receivables")
    op.execute("DROP FUNCTION recoveries_are_final")
