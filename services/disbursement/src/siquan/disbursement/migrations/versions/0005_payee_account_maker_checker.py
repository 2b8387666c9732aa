"""A change of a payee's account is paid only once a second disbursement officer has
confirmed it (maker-checker).

- `requires_checker`: the account replaced another, so a second officer must confirm it;
  a first registration needs none and is confirmed when registered.
- `confirmed_by` / `confirmed_at`: who confirmed it and when; NULL while it awaits.
- The checker is never the maker (`payee_account_checker_is_not_maker`), a change is
  confirmed only by a named checker (`payee_account_change_confirmed_by_checker`), and an
  account that needs no checker is confirmed from the start
  (`payee_account_first_registration_confirmed`).

Accounts registered before this revision were paid under the earlier rule and count as
confirmed when registered.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE payee_accounts"
               " ADD COLUMN requires_checker boolean NOT NULL DEFAULT false,"
               " ADD COLUMN confirmed_by text, ADD COLUMN confirmed_at timestamptz")
    op.execute("UPDATE payee_accounts SET confirmed_at = registered_at")
    op.execute("""ALTER TABLE payee_accounts
        ADD CONSTRAINT payee_account_checker_is_not_maker
            CHECK (confirmed_by IS NULL OR confirmed_by <> registered_by),
        ADD CONSTRAINT payee_account_change_confirmed_by_checker
            CHECK (NOT requires_checker OR (confirmed_at IS NULL) = (confirmed_by IS NULL)),
        ADD CONSTRAINT payee_account_first_registration_confirmed
            CHECK (requires_checker OR (confirmed_at IS NOT NULL AND confirmed_by IS NULL))""")


def downgrade() -> None:
    op.execute("ALTER TABLE payee_accounts"
               " DROP CONSTRAINT payee_account_first_registration_confirmed,"
               " DROP CONSTRAINT payee_account_change_confirmed_by_checker,"
               " DROP CONSTRAINT payee_account_checker_is_not_maker,"
               " DROP COLUMN confirmed_at, DROP COLUMN confirmed_by,"
               " DROP COLUMN requires_checker")
