"""Payee agents (代领人) and the keyed fingerprint of each payee account.

- `payee_accounts.account_fingerprint`: HMAC of the bank and account number under the
  service's person-key secret, what events carry instead of the number and what shared
  accounts are found by (NULL for accounts registered before: they are compared once
  re-registered).
- `payee_accounts.agent_key` / `agent_masked_id` / `agent_evidence_kind` /
  `agent_evidence_reference`: the account is the agent's, who collects for the person on
  that evidence; all NULL for the person's own account. The agent's resident ID is kept
  only as a person key and masked.
- `payee_households`: the household (its keyed fingerprint) of each person a certification
  named one for, so an account shared within a household is not a duplicate.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE payee_accounts"
               " ADD COLUMN account_fingerprint text"
               " CHECK (account_fingerprint ~ '^[0-9a-f]{64}$'),"
               " ADD COLUMN agent_key text CHECK (agent_key ~ '^[0-9a-f]{64}$'),"
               " ADD COLUMN agent_masked_id text,"
               " ADD COLUMN agent_evidence_kind text CHECK (agent_evidence_kind IN"
               " ('power_of_attorney', 'guardianship', 'other')),"
               " ADD COLUMN agent_evidence_reference text")
    op.execute("""ALTER TABLE payee_accounts ADD CONSTRAINT payee_account_agent_whole
        CHECK ((agent_key IS NULL) = (agent_masked_id IS NULL)
           AND (agent_key IS NULL) = (agent_evidence_kind IS NULL)
           AND (agent_key IS NULL) = (agent_evidence_reference IS NULL)
           AND agent_key IS DISTINCT FROM person_key)""")
    op.execute("CREATE INDEX payee_accounts_by_fingerprint ON payee_accounts"
               " (account_fingerprint) WHERE superseded_at IS NULL")
    op.execute("""CREATE TABLE payee_households (
        person_key    text PRIMARY KEY,
        household_key text NOT NULL CHECK (household_key ~ '^[0-9a-f]{64}$'))""")


def downgrade() -> None:
    op.execute("DROP TABLE payee_households")
    op.execute("DROP INDEX payee_accounts_by_fingerprint")
    op.execute("ALTER TABLE payee_accounts DROP CONSTRAINT payee_account_agent_whole,"
               " DROP COLUMN agent_evidence_reference, DROP COLUMN agent_evidence_kind,"
               " DROP COLUMN agent_masked_id, DROP COLUMN agent_key,"
               " DROP COLUMN account_fingerprint")
