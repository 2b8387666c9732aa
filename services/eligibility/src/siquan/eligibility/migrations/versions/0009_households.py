"""The household register (户籍/家庭): each household by its register number (户号) and
keyed fingerprint, its shared facts (children and their status, residence, family type),
its members with their relationship to the head (one head, a person in one household at a
time, members who left kept with the day they left); certifications carry the household
they were granted to, and a per-household program is live once per household.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE households (
        id               uuid PRIMARY KEY,
        household_number text NOT NULL UNIQUE,
        household_key    text NOT NULL UNIQUE,
        division_code    text NOT NULL,
        township_code    text,
        facts            jsonb NOT NULL,
        registered_by    text NOT NULL,
        registered_at    timestamptz NOT NULL,
        updated_by       text NOT NULL,
        updated_at       timestamptz NOT NULL
    )""")
    op.execute("""
    CREATE TABLE household_members (
        id                 bigserial PRIMARY KEY,
        household_id       uuid NOT NULL REFERENCES households (id),
        person_key         text NOT NULL,
        resident_id        text NOT NULL,
        masked_name        text NOT NULL,
        masked_resident_id text NOT NULL,
        relationship       text NOT NULL CHECK (relationship IN
                           ('head', 'spouse', 'child', 'parent', 'other')),
        added_by           text NOT NULL,
        added_at           timestamptz NOT NULL,
        removed_by         text,
        removed_at         timestamptz,
        removal_reason     text
    )""")
    op.execute("CREATE UNIQUE INDEX one_household_per_person ON household_members"
               " (person_key) WHERE removed_at IS NULL")
    op.execute("CREATE UNIQUE INDEX one_head_per_household ON household_members"
               " (household_id) WHERE removed_at IS NULL AND relationship = 'head'")
    op.execute("CREATE INDEX household_members_by_household ON household_members"
               " (household_id)")
    op.execute("ALTER TABLE certifications ADD COLUMN household_key text,"
               " ADD COLUMN per_household boolean NOT NULL DEFAULT false")
    op.execute("CREATE UNIQUE INDEX one_live_certification_per_household_and_program"
               " ON certifications (household_key, program_code)"
               " WHERE per_household AND status IN ('active', 'suspended')")


def downgrade() -> None:
    op.execute("DROP INDEX one_live_certification_per_household_and_program")
    op.execute("ALTER TABLE certifications DROP COLUMN per_household,"
               " DROP COLUMN household_key")
    op.execute("DROP TABLE household_members")
    op.execute("DROP TABLE households")
