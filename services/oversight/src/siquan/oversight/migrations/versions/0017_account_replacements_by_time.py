"""The accounts replaced shortly before a run are found by when they were registered.

- `watched_payee_accounts_replaced` indexes the replacements by registration time alone
  (it was by payee, then time): a batch's judgement reads the replacements of the window
  before each of its runs once, a range of this index, and matches them to the batch's
  payees, where it looked each payee up in the index by person.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX watched_payee_accounts_replaced")
    op.execute("CREATE INDEX watched_payee_accounts_replaced ON watched_payee_accounts"
               " (registered_at) WHERE replaces_previous")


def downgrade() -> None:
    op.execute("DROP INDEX watched_payee_accounts_replaced")
    op.execute("CREATE INDEX watched_payee_accounts_replaced ON watched_payee_accounts"
               " (person_key, registered_at) WHERE replaces_previous")
