"""What oversight remembers to find duplicates.

- `watched_households`: the household (its keyed fingerprint) a certification named for a
  person, and the message that said so.
- `watched_account_uses`: the account each payee is paid into now, by its keyed fingerprint
  and masked number (never the number), with the agent who collects when there is one and
  the registration's message (the later registration wins; on the same instant, the one
  that arrived last).
- `statement_agencies`: the payee agent (代领人) who collects for a person now, masked, for
  the person's statement; removed when an account of the person's own is registered.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""CREATE TABLE watched_households (
        person_key    text PRIMARY KEY,
        household_key text NOT NULL,
        message_id    uuid NOT NULL)""")
    op.execute("CREATE INDEX watched_households_by_household ON watched_households"
               " (household_key)")
    op.execute("""CREATE TABLE watched_account_uses (
        person_key          text PRIMARY KEY,
        account_fingerprint text NOT NULL,
        masked_account      text NOT NULL,
        agent_key           text,
        division_code       text,
        registered_at       timestamptz NOT NULL,
        message_id          uuid NOT NULL)""")
    op.execute("CREATE INDEX watched_account_uses_by_fingerprint ON watched_account_uses"
               " (account_fingerprint)")


    op.execute("""CREATE TABLE statement_agencies (
        person_key          text PRIMARY KEY,
        masked_resident_id  text NOT NULL,
        evidence_kind       text NOT NULL,
        since               timestamptz NOT NULL)""")


def downgrade() -> None:
    op.execute("DROP TABLE statement_agencies")
    op.execute("DROP TABLE watched_account_uses")
    op.execute("DROP TABLE watched_households")
