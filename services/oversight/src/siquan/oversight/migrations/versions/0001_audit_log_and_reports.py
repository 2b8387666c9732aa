"""The audit log (hash chain and its head), checkpoints, the report projections and the
messaging tables.

Revision ID: 0001
Revises:
"""

from alembic import op

from siquan.shared.messaging_schema import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_HASH = "CHECK ({column} ~ '^[0-9a-f]{{64}}$')"


def _audit_log() -> None:
    op.execute(f"""
    CREATE TABLE audit_chain_head (
        singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        seq         bigint NOT NULL CHECK (seq >= 0),
        head_hash   text NOT NULL {_HASH.format(column="head_hash")}
    )""")
    op.execute("INSERT INTO audit_chain_head (seq, head_hash) VALUES (0, repeat('0', 64))")
    op.execute(f"""
    CREATE TABLE audit_entries (
        seq             bigint PRIMARY KEY CHECK (seq >= 1),
        message_id      uuid NOT NULL UNIQUE,
        producer        text NOT NULL,
        message_type    text NOT NULL,
        occurred_at     timestamptz,
        correlation_id  text,
        causation_id    text,
        trace_id        text CHECK (trace_id ~ '^[0-9a-f]{{32}}$'),
        body            jsonb NOT NULL,
        signature       text,
        received_at     timestamptz NOT NULL,
        prev_hash       text NOT NULL {_HASH.format(column="prev_hash")},
        entry_hash      text NOT NULL {_HASH.format(column="entry_hash")}
    )""")
    op.execute("CREATE INDEX audit_entries_by_correlation ON audit_entries (correlation_id)")
    op.execute("CREATE INDEX audit_entries_by_trace ON audit_entries (trace_id)")
    op.execute("CREATE INDEX audit_entries_by_type ON audit_entries (message_type, seq)")
    op.execute(f"""
    CREATE TABLE audit_checkpoints (
        seq         bigint PRIMARY KEY CHECK (seq >= 1),
        head_hash   text NOT NULL {_HASH.format(column="head_hash")},
        message_id  uuid NOT NULL UNIQUE,
        taken_at    timestamptz NOT NULL
    )""")


def _projections() -> None:
    op.execute("""
    CREATE TABLE certifications (
        certification_id  text PRIMARY KEY,
        program_code      text NOT NULL,
        division_code     text NOT NULL,
        status            text NOT NULL CHECK (status IN ('active', 'revoked'))
    )""")
    op.execute("CREATE INDEX certifications_by_program ON certifications "
               "(program_code, division_code) WHERE status = 'active'")
    op.execute("""
    CREATE TABLE payment_runs (
        run_id         text PRIMARY KEY,
        program_code   text NOT NULL,
        period         text NOT NULL,
        division_code  text NOT NULL,
        status         text NOT NULL CHECK (status IN ('started', 'allocation_requested',
                           'allocated', 'allocation_rejected', 'paying', 'completed',
                           'settled')),
        settled_fen    bigint CHECK (settled_fen >= 0)
    )""")
    op.execute("CREATE INDEX payment_runs_by_program ON payment_runs (program_code, period)")
    op.execute("""
    CREATE TABLE allocations (
        allocation_id  text PRIMARY KEY,
        run_id         text NOT NULL REFERENCES payment_runs (run_id),
        amount_fen     bigint NOT NULL CHECK (amount_fen >= 0)
    )""")
    op.execute("CREATE INDEX allocations_by_run ON allocations (run_id)")
    op.execute("""
    CREATE TABLE payment_chunks (
        run_id      text NOT NULL REFERENCES payment_runs (run_id),
        outcome     text NOT NULL CHECK (outcome IN ('settled', 'failed')),
        chunk       integer NOT NULL CHECK (chunk >= 0),
        count       integer NOT NULL CHECK (count >= 0),
        amount_fen  bigint NOT NULL CHECK (amount_fen >= 0),
        PRIMARY KEY (run_id, outcome, chunk)
    )""")


def upgrade() -> None:
    create_messaging_tables(op.execute)
    _audit_log()
    _projections()


def downgrade() -> None:
    op.execute("DROP TABLE payment_chunks, allocations, payment_runs, certifications, "
               "audit_checkpoints, audit_entries, audit_chain_head, inbox, outbox")
