"""The policy register: versions drafted by one policy officer and approved (published) by
another, and the published versions this service applies (the same `policy_versions`
table every service keeps, `siquan.shared.policy_store`).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from siquan.shared.policy_store import TABLE_DDL

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(TABLE_DDL)
    op.execute("""
    CREATE TABLE policy_drafts (
        version_id     uuid PRIMARY KEY,
        program_code   text NOT NULL,
        version        text NOT NULL,
        division_code  text,
        effective_from date NOT NULL,
        changes        jsonb NOT NULL,
        citation       jsonb NOT NULL,
        status         text NOT NULL CHECK (status IN ('drafted', 'published')),
        drafted_by     text NOT NULL,
        drafted_at     timestamptz NOT NULL,
        approved_by    text CHECK (approved_by <> drafted_by),
        published_at   timestamptz,
        base_version   text,
        policy         jsonb,
        CHECK ((status = 'published') = (approved_by IS NOT NULL AND policy IS NOT NULL)),
        UNIQUE (program_code, version)
    )""")


def downgrade() -> None:
    op.execute("DROP TABLE policy_drafts")
    op.execute("DROP TABLE policy_versions")
