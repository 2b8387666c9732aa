"""A certification's county and category may change over its life (a transfer to another
county, a change of category): each change is kept with the month it takes effect, and
`certification_spans` cuts every certification into the spans over which its county and
category are one, so that a run of a county pays only the periods the certification
belonged to that county, at the category in force for each.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

STATEMENTS = [
    """
    CREATE TABLE certification_changes (
        change_id        text PRIMARY KEY,
        certification_id text NOT NULL,
        kind             text NOT NULL CHECK (kind IN ('transfer', 'category')),
        effective_from   date NOT NULL,
        division_code    text NOT NULL,
        category         text NOT NULL,
        decided_at       timestamptz NOT NULL
    )""",
    "CREATE INDEX certification_changes_by_certification"
    " ON certification_changes (certification_id, effective_from, decided_at)",
    # Certifications never changed are read as they are (the anti-join is hashed over the
    # few changed ones); the changed ones are cut where each change takes effect. A change
    # carries the county and the category from its day on; of two on the same day the one
    # decided later holds both (the earlier's span is empty).
    """
    CREATE VIEW certification_spans AS
    SELECT c.certification_id, c.person_key, c.program_code, c.category, c.policy_version,
           c.division_code, c.effective_from, NULL::date AS span_until,
           c.effective_from AS certified_from, c.household_key
      FROM certifications c
     WHERE NOT EXISTS (SELECT 1 FROM certification_changes m
                        WHERE m.certification_id = c.certification_id)
    UNION ALL
    SELECT c.certification_id, c.person_key, c.program_code, s.category, c.policy_version,
           s.division_code, GREATEST(c.effective_from, s.span_from), s.span_until,
           c.effective_from, c.household_key
      FROM certifications c
      JOIN LATERAL (
          SELECT x.division_code, x.category, x.span_from,
                 lead(x.span_from) OVER (ORDER BY x.span_from, x.decided_at) AS span_until
            FROM (SELECT c.division_code, c.category, '-infinity'::date AS span_from,
                         '-infinity'::timestamptz AS decided_at
                  UNION ALL
                  SELECT m.division_code, m.category, m.effective_from, m.decided_at
                    FROM certification_changes m
                   WHERE m.certification_id = c.certification_id) x
      ) s ON true
     WHERE EXISTS (SELECT 1 FROM certification_changes m
                    WHERE m.certification_id = c.certification_id)""",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP VIEW certification_spans")
    op.execute("DROP TABLE certification_changes")
