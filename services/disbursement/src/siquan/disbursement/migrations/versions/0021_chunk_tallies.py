"""What each chunk's results came to, kept with the chunk.

- `payment_chunks` gains, per result, the count and sum of the payments its results
  recorded (settled, failed, cancelled) and of those of them the bank returned since.
  A run's totals (its completion, its page, the list of runs) add up its chunks rather
  than read every payment of it again: a million-payee run has a hundred chunks.
  A chunk's tallies are written by the statement that records its results (and the
  return's), so they agree with the results they count.
- Chunks already done take their tallies from their results.

Revision ID: 0021
Revises: 0020
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

TALLIES = ("settled", "failed", "cancelled", "returned")


def upgrade() -> None:
    op.execute("ALTER TABLE payment_chunks " + ", ".join(
        f"ADD COLUMN {t}_count integer NOT NULL DEFAULT 0 CHECK ({t}_count >= 0),"
        f" ADD COLUMN {t}_fen bigint NOT NULL DEFAULT 0 CHECK ({t}_fen >= 0)"
        for t in TALLIES))
    op.execute("""
    UPDATE payment_chunks k
       SET settled_count = t.settled_count, settled_fen = t.settled_fen,
           failed_count = t.failed_count, failed_fen = t.failed_fen,
           cancelled_count = t.cancelled_count, cancelled_fen = t.cancelled_fen,
           returned_count = t.returned_count, returned_fen = t.returned_fen
      FROM (SELECT o.run_id, COALESCE(x.chunk, -1) AS chunk,
                   count(*) FILTER (WHERE x.status = 'settled') AS settled_count,
                   COALESCE(sum(o.amount_fen) FILTER (WHERE x.status = 'settled'), 0)
                       AS settled_fen,
                   count(*) FILTER (WHERE x.status = 'failed') AS failed_count,
                   COALESCE(sum(o.amount_fen) FILTER (WHERE x.status = 'failed'), 0)
                       AS failed_fen,
                   count(*) FILTER (WHERE x.status = 'cancelled') AS cancelled_count,
                   COALESCE(sum(o.amount_fen) FILTER (WHERE x.status = 'cancelled'), 0)
                       AS cancelled_fen,
                   count(*) FILTER (WHERE x.returned_on IS NOT NULL) AS returned_count,
                   COALESCE(sum(o.amount_fen) FILTER (WHERE x.returned_on IS NOT NULL), 0)
                       AS returned_fen
              FROM payment_results x JOIN payment_orders o USING (payment_id)
             GROUP BY o.run_id, COALESCE(x.chunk, -1)) t
     WHERE k.run_id = t.run_id AND k.chunk = t.chunk""")


def downgrade() -> None:
    op.execute("ALTER TABLE payment_chunks " + ", ".join(
        f"DROP COLUMN {t}_count, DROP COLUMN {t}_fen" for t in TALLIES))
