"""Offsets: an overpayment recovered from a later entitlement of the same household.

The household is `certifications.household_key` (0014); the same person always counts as
the same household.

- `entitlement_offsets`: what a run withheld from one entitlement (person, program,
  period, item) for one receivable, with the recovery it recorded. `payment_id` is the
  order that pays the rest; NULL when the offset took the whole entitlement (then no
  order is written, and the period counts as paid). A recovery is recorded once (its id is
  the key) and never changed.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE entitlement_offsets (
        recovery_id      uuid PRIMARY KEY REFERENCES recoveries (recovery_id),
        receivable_id    uuid NOT NULL REFERENCES receivables (receivable_id),
        run_id           uuid NOT NULL REFERENCES payment_runs (run_id),
        payment_id       uuid,
        certification_id text NOT NULL,
        person_key       text NOT NULL,
        program_code     text NOT NULL,
        period           text NOT NULL,
        item             text NOT NULL,
        entitlement_fen  bigint NOT NULL CHECK (entitlement_fen > 0),
        offset_fen       bigint NOT NULL CHECK (offset_fen > 0 AND offset_fen <= entitlement_fen),
        UNIQUE (run_id, receivable_id, person_key, period, item)
    )""")
    op.execute("""CREATE INDEX entitlement_offsets_by_person
                  ON entitlement_offsets (person_key, program_code, period)""")
    op.execute("""
    CREATE TRIGGER entitlement_offsets_are_final
        BEFORE UPDATE OR DELETE ON entitlement_offsets
        FOR EACH ROW EXECUTE FUNCTION recoveries_are_final()""")


def downgrade() -> None:
    op.execute("DROP TABLE entitlement_offsets")

