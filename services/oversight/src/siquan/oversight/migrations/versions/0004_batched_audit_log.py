"""The audit log appended a batch at a time (ADR 0006): entries keep their body exactly as
received (`body_text`, what the hash covers from now on); a settled payment is stored once,
in `settled_payments`, which statements read too (with the run's period and a place in the
ledger's order); no JIT compilation in this database.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# lz4 compresses a chunk's megabytes several times faster than pglz; a server built
# without it keeps the default.
_LZ4 = """
DO $$ BEGIN
    ALTER TABLE audit_entries ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE audit_entries ALTER COLUMN body_text SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
END $$"""

# A batch's statements unnest thousands of rows; the planner's estimates then pass the JIT
# threshold, and compiling costs seconds where running takes milliseconds. The database's
# own setting (its owner may set it); the server's stays as it is.
_NO_JIT = """
DO $$ BEGIN
    EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
END $$"""


def upgrade() -> None:
    op.execute("ALTER TABLE audit_entries ADD COLUMN body_text text")
    op.execute(_LZ4)
    op.execute("ALTER TABLE settled_payments ADD COLUMN run_period text,"
               " ADD COLUMN line_seq bigint")
    op.execute("UPDATE settled_payments s SET run_period = l.period, line_seq = l.seq"
               " FROM statement_payment_lines l"
               " WHERE l.line_key = s.payment_id AND l.outcome = 'settled'")
    op.execute("UPDATE settled_payments SET run_period = period,"
               " line_seq = nextval('statement_payment_lines_seq_seq') WHERE line_seq IS NULL")
    op.execute("DELETE FROM statement_payment_lines WHERE outcome = 'settled'")
    # a settled line takes its place in the ledger's order from the ledger's own sequence
    op.execute("ALTER TABLE settled_payments ALTER COLUMN run_period SET NOT NULL,"
               " ALTER COLUMN line_seq SET DEFAULT nextval('statement_payment_lines_seq_seq'),"
               " ALTER COLUMN line_seq SET NOT NULL")
    # a chunk's judgement asks, for each payee, only for replaced accounts
    op.execute("CREATE INDEX watched_payee_accounts_replaced ON watched_payee_accounts"
               " (person_key, registered_at) WHERE replaces_previous")
    op.execute(_NO_JIT)


def downgrade() -> None:
    op.execute(_NO_JIT.replace("jit = off", "jit = DEFAULT"))
    op.execute("DROP INDEX watched_payee_accounts_replaced")
    op.execute("INSERT INTO statement_payment_lines (person_key, line_key, outcome, run_id,"
               " program_code, period, division_code, certification_id, item, amount_fen)"
               " SELECT person_key, payment_id, 'settled', run_id, program_code, run_period,"
               " division_code, certification_id, item, amount_fen FROM settled_payments"
               " ORDER BY line_seq ON CONFLICT DO NOTHING")
    op.execute("ALTER TABLE settled_payments DROP COLUMN line_seq, DROP COLUMN run_period")
    op.execute("ALTER TABLE audit_entries DROP COLUMN body_text")
