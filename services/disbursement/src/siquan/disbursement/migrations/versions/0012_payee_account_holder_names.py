"""The account holder's name (户名) with each payee account, for the bank's 代发 file.

- `payee_accounts.account_name`: the name the bank holds the account under, as the
  officer registered it (NULL for accounts registered before, and where the bank's file
  has no field for it). Read only to write instruction files; never published.
- `payee_accounts_by_account`: the name of the account a payment order was written to is
  found by person, bank and account number (an order keeps its account, not the name).

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE payee_accounts ADD COLUMN account_name text"
               " CHECK (account_name <> '' AND length(account_name) <= 100)")
    op.execute("CREATE INDEX payee_accounts_by_account ON payee_accounts"
               " (person_key, account_number, bank_code, registered_at DESC)")


def downgrade() -> None:
    op.execute("DROP INDEX payee_accounts_by_account")
    op.execute("ALTER TABLE payee_accounts DROP COLUMN account_name")
