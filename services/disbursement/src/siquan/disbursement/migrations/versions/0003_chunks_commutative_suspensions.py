"""Chunks claimed whole, suspensions that commute, and a payments table without per-row work
a province's run does not need.

- `payment_chunks`: a run's payments are cut into chunks when the run is written (each
  a range of the run's consecutive payment ids); a payer claims a whole chunk by locking
  its one row (`FOR UPDATE SKIP LOCKED`) instead of locking thousands of payment rows, and
  a chunk is done when its results are recorded. Pending payments of runs started before
  this revision are cut into chunks here, numbered after the chunks they already had; the
  payments they had finished keep their chunk numbers (those cancelled outside any chunk
  are chunk -1). A run's totals read the range of payment ids its chunks span.
- Reinstatements are kept beside suspensions (`certification_reinstatements`): a
  suspension is open until a reinstatement on or after it, whichever arrives first, so
  eligibility's decisions may arrive in any order. The holds that stood for suspensions
  are dropped: suspensions are read from their own tables.
- `certification_terms` also shows the revocation and the death apart.
- Payments lose what cost per-row work on a million-row run and served nothing the path
  needs: the foreign key to their run (checked by a trigger per row; a run and its
  payments are written together and never deleted) and the indexes by run (`payments_pending`,
  `payments_by_run`): chunks find a run's payments by their id range.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_CHUNKS = [
    """
    CREATE TABLE payment_chunks (
        run_id           uuid NOT NULL,
        chunk            integer NOT NULL CHECK (chunk >= -1),
        first_payment_id uuid NOT NULL,
        last_payment_id  uuid NOT NULL CHECK (last_payment_id >= first_payment_id),
        payee_count      integer NOT NULL CHECK (payee_count > 0),
        done_at          timestamptz,
        PRIMARY KEY (run_id, chunk)
    )""",
    """
    INSERT INTO payment_chunks (run_id, chunk, first_payment_id, last_payment_id,
                                payee_count)
    SELECT run_id, base + n / 5000, min(payment_id::text)::uuid,
           max(payment_id::text)::uuid, count(*)
      FROM (SELECT p.run_id, p.payment_id,
                   GREATEST(r.chunks_recorded, (SELECT COALESCE(max(q.chunk) + 1, 0)
                                                  FROM payments q
                                                 WHERE q.run_id = p.run_id)) AS base,
                   row_number() OVER (PARTITION BY p.run_id ORDER BY p.payment_id) - 1 AS n
              FROM payments p JOIN payment_runs r USING (run_id)
             WHERE p.status = 'pending') pending
     GROUP BY run_id, base, n / 5000""",
    """
    INSERT INTO payment_chunks (run_id, chunk, first_payment_id, last_payment_id,
                                payee_count, done_at)
    SELECT run_id, COALESCE(chunk, -1), min(payment_id::text)::uuid,
           max(payment_id::text)::uuid, count(*), max(finished_at)
      FROM payments WHERE status <> 'pending' GROUP BY run_id, COALESCE(chunk, -1)""",
    "ALTER TABLE payment_runs DROP COLUMN chunks_recorded",
]

_SUSPENSIONS = [
    """
    CREATE TABLE certification_reinstatements (
        certification_id text NOT NULL,
        reinstated_from  date NOT NULL,
        PRIMARY KEY (certification_id, reinstated_from)
    )""",
    """
    INSERT INTO certification_reinstatements (certification_id, reinstated_from)
    SELECT certification_id, reinstated_from FROM certification_suspensions
     WHERE reinstated_from IS NOT NULL""",
    "ALTER TABLE certification_suspensions DROP COLUMN reinstated_from",
    "DELETE FROM holds WHERE hold_id LIKE 'suspension:%'",
    """
    CREATE OR REPLACE VIEW certification_terms AS
    SELECT c.certification_id, c.person_key, c.program_code, c.category, c.policy_version,
           c.division_code, c.effective_from,
           LEAST(r.effective_from, d.benefits_end) AS effective_until,
           r.effective_from AS revoked_from, d.benefits_end
      FROM certifications c
      LEFT JOIN certification_revocations r USING (certification_id)
      LEFT JOIN deaths d USING (person_key)""",
]

_PAYMENTS = [
    "ALTER TABLE payments DROP CONSTRAINT payments_run_id_fkey",
    "DROP INDEX payments_pending",
    "DROP INDEX payments_by_run",
]


def upgrade() -> None:
    for statement in (*_CHUNKS, *_SUSPENSIONS, *_PAYMENTS):
        op.execute(statement)


def downgrade() -> None:
    op.execute("CREATE INDEX payments_by_run ON payments (run_id, status)")
    op.execute("CREATE INDEX payments_pending ON payments (run_id, payment_id)"
               " WHERE status = 'pending'")
    op.execute("ALTER TABLE payments ADD CONSTRAINT payments_run_id_fkey FOREIGN KEY (run_id)"
               " REFERENCES payment_runs (run_id) DEFERRABLE INITIALLY DEFERRED")
    op.execute("DROP VIEW certification_terms")
    op.execute("""
    CREATE VIEW certification_terms AS
    SELECT c.certification_id, c.person_key, c.program_code, c.category, c.policy_version,
           c.division_code, c.effective_from,
           LEAST(r.effective_from, d.benefits_end) AS effective_until
      FROM certifications c
      LEFT JOIN certification_revocations r USING (certification_id)
      LEFT JOIN deaths d USING (person_key)""")
    op.execute("ALTER TABLE certification_suspensions ADD COLUMN reinstated_from date")
    op.execute("""
    UPDATE certification_suspensions s SET reinstated_from = (
        SELECT min(r.reinstated_from) FROM certification_reinstatements r
         WHERE r.certification_id = s.certification_id
           AND r.reinstated_from >= s.suspended_from)""")
    op.execute("DROP TABLE certification_reinstatements")
    op.execute("ALTER TABLE payment_runs ADD COLUMN chunks_recorded integer NOT NULL"
               " DEFAULT 0")
    op.execute("UPDATE payment_runs r SET chunks_recorded = k.next FROM"
               " (SELECT run_id, max(chunk) + 1 AS next FROM payment_chunks GROUP BY run_id) k"
               " WHERE k.run_id = r.run_id")
    op.execute("DROP TABLE payment_chunks")
