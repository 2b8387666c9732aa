"""The policy versions this service has received (`policy_version.published.v1`): the
catalogue it applies is the seed files with these layered over them
(`siquan.shared.policy_store`).

Revision ID: 0009
Revises: 0008
"""

from alembic import op

from siquan.shared.policy_store import TABLE_DDL

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(TABLE_DDL)


def downgrade() -> None:
    op.execute("DROP TABLE policy_versions")
