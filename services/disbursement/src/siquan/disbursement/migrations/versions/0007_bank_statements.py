"""Bank statements imported for a run, and each difference found reconciling them.

- `bank_statements`: one row per statement file imported for a run (the same file twice
  is one import: `(run_id, sha256)` is unique), with its control totals and how many of
  its lines matched.
- `bank_statement_differences`: each difference with its evidence (accounts masked).
  Neither is ever updated or deleted.

Revision ID: 0007
Revises: 0005 (a 0006 of another change may come between them when both are merged)
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE bank_statements (
        statement_id     uuid PRIMARY KEY,
        run_id           uuid NOT NULL REFERENCES payment_runs (run_id),
        batch            text NOT NULL,
        sha256           text NOT NULL,
        line_count       integer NOT NULL CHECK (line_count >= 0),
        total_fen        bigint NOT NULL CHECK (total_fen >= 0),
        matched_count    integer NOT NULL CHECK (matched_count >= 0),
        difference_count integer NOT NULL CHECK (difference_count >= 0),
        imported_by      text NOT NULL,
        imported_at      timestamptz NOT NULL,
        UNIQUE (run_id, sha256)
    )""")
    op.execute("""
    CREATE TABLE bank_statement_differences (
        statement_id        uuid NOT NULL REFERENCES bank_statements (statement_id),
        seq                 integer NOT NULL,
        kind                text NOT NULL,
        line                integer NOT NULL CHECK (line >= 0),
        payment_id          text NOT NULL,
        expected_amount_fen bigint,
        stated_amount_fen   bigint,
        expected_account    text,
        stated_account      text,
        held_status         text,
        bank_reference      text NOT NULL DEFAULT '',
        PRIMARY KEY (statement_id, seq)
    )""")
    op.execute("""
    CREATE FUNCTION bank_statements_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'an imported bank statement is never changed'
            USING ERRCODE = 'integrity_constraint_violation';
    END $$""")
    for table in ("bank_statements", "bank_statement_differences"):
        op.execute(f"""
        CREATE TRIGGER {table}_are_final BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION bank_statements_are_final()""")


def downgrade() -> None:
    op.execute("DROP TABLE bank_statement_differences, bank_statements")
    op.execute("DROP FUNCTION bank_statements_are_final")
