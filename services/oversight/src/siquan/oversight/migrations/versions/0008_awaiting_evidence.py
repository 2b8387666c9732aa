"""Findings waiting for evidence: what a rule of absence found while oversight had not
processed every message that could disprove it (its own dead letters, a queue not
drained). Such a finding is not in `findings`, holds nobody and is published to nobody;
once the evidence is complete it is `raised` (then also in `findings`) or `withdrawn`.

And what an account change's business time needs: whether a replacement waited for a
checker (`awaiting_confirmation`) and when the checker confirmed it, so that a run is
compared with the account in force when its roster was frozen.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE awaiting_evidence (
            dedup_key      text PRIMARY KEY,
            rule           text NOT NULL,
            status         text NOT NULL DEFAULT 'incomplete_evidence'
                           CHECK (status IN ('incomplete_evidence', 'raised', 'withdrawn')),
            reason         text NOT NULL,
            evidence       text[] NOT NULL,
            waiting_for    text[] NOT NULL,
            person_key     text,
            certification_id text,
            run_id         text,
            program_code   text,
            period         text,
            division_code  text,
            amount_fen     bigint,
            first_seen_at  timestamptz NOT NULL,
            last_seen_at   timestamptz NOT NULL,
            settled_at     timestamptz
        )""")
    op.execute("CREATE INDEX awaiting_evidence_open ON awaiting_evidence (rule)"
               " WHERE status = 'incomplete_evidence'")
    op.execute("ALTER TABLE watched_payee_accounts"
               " ADD COLUMN awaiting_confirmation boolean NOT NULL DEFAULT false")
    op.execute("""
        CREATE TABLE watched_account_confirmations (
            message_id     uuid PRIMARY KEY,
            person_key     text NOT NULL,
            registered_at  timestamptz NOT NULL,
            confirmed_at   timestamptz NOT NULL
        )""")
    op.execute("CREATE INDEX watched_account_confirmations_by_person"
               " ON watched_account_confirmations (person_key, registered_at)")


def downgrade() -> None:
    op.execute("DROP TABLE watched_account_confirmations")
    op.execute("ALTER TABLE watched_payee_accounts DROP COLUMN awaiting_confirmation")
    op.execute("DROP TABLE awaiting_evidence")
