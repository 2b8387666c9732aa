"""The statements on `settled_payments` (see `settled`)."""

COLUMNS = ("s.payment_id, s.person_key, s.certification_id, s.program_code, s.period,"
           " s.item, s.amount_fen, s.division_code, s.run_id, s.message_id")

INSERTED = ("payment_id", "person_key", "program_code", "period", "item", "certification_id",
            "run_id", "division_code", "amount_fen", "message_id")
"""The `SettledItem` fields `INSERT` takes, in order; then each period's first day and the
run's period."""

INSERT = """
INSERT INTO settled_payments (payment_id, person_key, program_code, period, item,
    certification_id, run_id, division_code, amount_fen, message_id, period_start,
    run_period, cert_checked)
SELECT p.payment_id, p.person_key, p.program_code, p.period, p.item, p.certification_id,
       p.run_id, p.division_code, p.amount_fen, p.message_id, p.period_start, p.run_period,
       EXISTS (SELECT 1 FROM watched_certifications c
               WHERE c.certification_id = p.certification_id)
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::bigint[], $10::uuid[], $11::date[], $12::text[])
     WITH ORDINALITY
     AS p(payment_id, person_key, program_code, period, item, certification_id, run_id,
          division_code, amount_fen, message_id, period_start, run_period, n)
ORDER BY p.n
ON CONFLICT (payment_id) DO NOTHING
"""

SUSPECTS = f"""
WITH expected AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                         $7::date[])
           AS e(program_code, division_code, category, period, amount_fen, period_end)
)
SELECT {COLUMNS} FROM settled_payments s
LEFT JOIN watched_certifications c ON c.certification_id = s.certification_id
LEFT JOIN watched_runs r ON r.run_id = s.run_id
LEFT JOIN expected e ON e.program_code = s.program_code AND e.division_code = s.division_code
                    AND e.category = c.category AND e.period = s.period
WHERE s.message_id = ANY($1::uuid[])
  AND NOT coalesce(
        c.person_key = s.person_key AND c.program_code = s.program_code
        AND c.effective_from <= e.period_end
        AND (s.pays <> 'benefit' OR s.amount_fen = e.amount_fen)
        AND (r.started_by IS NULL OR r.started_by NOT IN (c.approved_by, c.reviewed_by))
        AND NOT EXISTS (SELECT 1 FROM watched_changes ch
                        WHERE ch.certification_id = s.certification_id)
        AND NOT EXISTS (SELECT 1 FROM watched_deaths d WHERE d.person_key = s.person_key),
      false)
"""

EARLIER = f"""
SELECT {COLUMNS}, o.payment_id AS earlier, o.message_id AS earlier_message
FROM settled_payments s
JOIN settled_payments o
  ON o.person_key = s.person_key AND o.program_code = s.program_code
 AND o.period = s.period AND o.pays = s.pays AND o.payment_id <> s.payment_id
WHERE s.message_id = ANY($1::uuid[]) AND NOT o.returned
  AND (o.message_id <> ALL($1::uuid[]) OR o.payment_id < s.payment_id)
ORDER BY s.payment_id, o.seen_at, o.payment_id
"""

ACCOUNT_CHANGES = f"""
SELECT DISTINCT ON (s.payment_id) {COLUMNS}, a.message_id AS replacement
FROM settled_payments s
JOIN watched_runs r ON r.run_id = s.run_id AND r.started_at IS NOT NULL
JOIN watched_payee_accounts a
  ON a.person_key = s.person_key AND a.replaces_previous
 AND a.registered_at >= r.started_at - $2::interval
WHERE s.message_id = ANY($1::uuid[])
ORDER BY s.payment_id, a.registered_at DESC
"""

UNPAID = """
SELECT c.certification_id FROM watched_certifications c
WHERE c.program_code = $1 AND c.division_code = $3 AND c.effective_from <= $4
  AND NOT EXISTS (SELECT 1 FROM settled_payments p WHERE p.person_key = c.person_key
    AND p.program_code = c.program_code AND p.period = $2 AND p.pays = 'benefit'
    AND NOT p.returned)
"""
