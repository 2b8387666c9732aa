"""The payments the bank answered otherwise than instructed, kept for the officer.

- `bank_result_disputes`: one row a payment and the batch whose results file stated its
  amount or account otherwise than its instruction (`bank_result.mismatch.v1` tells the
  same to oversight). Such a payment is neither settled nor failed nor instructed again
  until the bank answers it as instructed (a corrected results file); while it has no
  result its dispute is open, and the run shows how many of its payments wait so.

Revision ID: 0020
Revises: 0019
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE bank_result_disputes (
        payment_id uuid NOT NULL REFERENCES payment_orders (payment_id),
        batch      text NOT NULL,
        run_id     uuid NOT NULL REFERENCES payment_runs (run_id),
        kind       text NOT NULL CHECK (kind IN ('amount_differs', 'account_differs',
                                                 'amount_and_account_differ')),
        found_at   timestamptz NOT NULL,
        PRIMARY KEY (payment_id, batch)
    )""")
    op.execute("CREATE INDEX bank_result_disputes_by_run ON bank_result_disputes (run_id)")


def downgrade() -> None:
    op.execute("DROP TABLE bank_result_disputes")
