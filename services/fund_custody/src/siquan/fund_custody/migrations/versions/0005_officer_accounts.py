"""Officer accounts in this service's own database: officers (argon2id password hashes,
TOTP secrets, lockout), the console's server-side sessions and API tokens
(`siquan.shared.accounts.schema`).

Revision ID: 0005
Revises: 0004
"""

from siquan.shared.accounts import schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema.upgrade()


def downgrade() -> None:
    schema.downgrade()
