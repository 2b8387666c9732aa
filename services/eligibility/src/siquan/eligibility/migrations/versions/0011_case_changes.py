"""Case changes: transfers of a certification to another county (initiated by the sending
county, accepted or refused by the receiving one) and changes of benefit category.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE certification_transfers (
        id                 uuid PRIMARY KEY,
        certification_id   uuid NOT NULL REFERENCES certifications (id),
        from_division_code text NOT NULL,
        to_division_code   text NOT NULL CHECK (to_division_code ~ '^\\d{6}$'),
        to_township_code   text,
        effective_from     date NOT NULL CHECK (extract(day FROM effective_from) = 1),
        reason             text NOT NULL,
        status             text NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'accepted', 'refused')),
        initiated_by       text NOT NULL,
        initiated_at       timestamptz NOT NULL,
        decided_by         text,
        decided_at         timestamptz,
        refusal_reason     text,
        CONSTRAINT decided_by_the_other_county CHECK (decided_by IS NULL
                                                      OR decided_by <> initiated_by),
        CONSTRAINT refused_with_a_reason CHECK (status <> 'refused'
                                                OR refusal_reason IS NOT NULL)
    )""")
    op.execute("CREATE UNIQUE INDEX one_pending_transfer_per_certification"
               " ON certification_transfers (certification_id) WHERE status = 'pending'")
    op.execute("CREATE INDEX certification_transfers_by_receiver"
               " ON certification_transfers (to_division_code, status)")
    op.execute("""
    CREATE TABLE certification_category_changes (
        id               uuid PRIMARY KEY,
        certification_id uuid NOT NULL REFERENCES certifications (id),
        from_category    text NOT NULL,
        to_category      text NOT NULL CHECK (to_category <> from_category),
        effective_from   date NOT NULL CHECK (extract(day FROM effective_from) = 1),
        reason           text NOT NULL,
        decided_by       text NOT NULL,
        decided_at       timestamptz NOT NULL
    )""")
    op.execute("CREATE INDEX certification_category_changes_by_certification"
               " ON certification_category_changes (certification_id)")


def downgrade() -> None:
    op.execute("DROP TABLE certification_category_changes, certification_transfers")
