"""The statements on `settled_payments` (see `settled`).

`STORE` writes a batch's payments with the batch's other facts (alongside other
transactions); `JUDGE`, run while the batch holds the chain head, finds among the new ones
what the rules must look at: each payment's certification is read once (for
`cert_checked` and for the plain case), and an earlier payment of the same key is looked
up where the new one was just inserted.

`JUDGE` runs with hash joins allowed (`hashing_small_tables`): its lookups in the large
tables (certifications, settled payments) are LATERAL subqueries, one index lookup per
payment whatever the planner estimates, and its runs and policy amounts (a few rows) are
hashed once per batch instead of looked up again for each payment. The accounts replaced
shortly before a run are read once for the batch's runs (a range of the partial index of
replacements) and matched to its payees, where each payee's replacements were looked up
one by one; the earlier payment of the same key is looked for in order (oldest first) only
for a payment whose key holds another one (a plain lookup, no sort, for the others)."""

COLUMNS = ("s.payment_id, s.person_key, s.certification_id, s.program_code, s.period,"
           " s.item, s.amount_fen, s.division_code, s.run_id, s.message_id,"
           " s.transferred_as")

UNPAID = """
SELECT c.certification_id FROM watched_certifications c
WHERE c.program_code = $1 AND c.effective_from <= $4
  AND (c.division_code = $3
       OR c.certification_id IN (SELECT certification_id FROM watched_case_changes))
  AND $3 = COALESCE((SELECT t.division_code FROM watched_case_changes t
                      WHERE t.certification_id = c.certification_id
                        AND t.effective_from <= $4
                      ORDER BY t.effective_from DESC, t.decided_at DESC LIMIT 1),
                    c.division_code)
  AND NOT EXISTS (SELECT 1 FROM settled_payments p WHERE p.person_key = c.person_key
    AND p.program_code = c.program_code AND p.period = $2 AND p.pays = 'benefit'
    AND NOT p.returned)
"""

STORED = {"payment_id": "text", "person_key": "text", "program_code": "text",
          "period": "text", "item": "text", "certification_id": "text", "run_id": "text",
          "division_code": "text", "amount_fen": "bigint", "message_id": "uuid",
          "period_start": "date", "run_period": "text", "cert_checked": "bool",
          "transferred_as": "text"}
"""What a settled payment's row holds: its period (an arrear's own, else its run's) and
that period's first day, its chunk's program, run, division and message, the run's period,
and the earlier payment id its transfer was made under (NULL: its own)."""
STORE = f"""
INSERT INTO settled_payments ({", ".join(STORED)})
SELECT * FROM unnest({", ".join(f"${n}::{t}[]" for n, t in enumerate(STORED.values(), 1))})
ON CONFLICT (payment_id) DO NOTHING
RETURNING payment_id
"""
"""The rows of a batch holding a payment recorded before (a chunk delivered again): those
recorded are skipped, the ids of the others returned."""

_FRESH = f"""
SELECT {COLUMNS}, s.pays, s.returned, c.certification_id IS NOT NULL AS known,
       coalesce(c.person_key = s.person_key AND c.program_code = s.program_code
                AND c.effective_from <= e.period_end
                AND (s.pays <> 'benefit' OR s.amount_fen = e.amount_fen)
                AND (r.started_by IS NULL
                     OR r.started_by NOT IN (c.approved_by, c.reviewed_by)),
                false) AS plain
FROM settled_payments s
LEFT JOIN LATERAL (SELECT * FROM watched_certifications c
                   WHERE c.certification_id = s.certification_id OFFSET 0) c ON true
LEFT JOIN watched_runs r ON r.run_id = s.run_id
LEFT JOIN unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::date[])
          AS e(program_code, division_code, category, period, amount_fen, period_end)
       ON e.program_code = s.program_code AND e.division_code = s.division_code
      AND e.category = c.category AND e.period = s.period
WHERE s.payment_id = ANY($1::text[])
"""

_SHOWN = COLUMNS.replace("s.", "f.")

JUDGE = f"""
WITH fresh AS MATERIALIZED ({_FRESH}),
unknown AS (
    UPDATE settled_payments SET cert_checked = false
    WHERE payment_id = ANY(ARRAY(SELECT payment_id FROM fresh WHERE NOT known))
),
returned_before AS (  -- a return committed before its payment was (another instance's)
    UPDATE settled_payments SET returned = true
    WHERE payment_id = ANY(ARRAY(SELECT f.payment_id FROM fresh f
                                 JOIN statement_payment_lines l
                                   ON l.line_key = f.payment_id AND l.outcome = 'returned'))
    RETURNING payment_id
)
SELECT {_SHOWN}, 'suspect' AS kind, NULL AS other, NULL::uuid AS other_message
FROM fresh f
WHERE NOT f.plain
   OR EXISTS (SELECT 1 FROM watched_changes ch WHERE ch.certification_id = f.certification_id)
   OR EXISTS (SELECT 1 FROM watched_deaths d WHERE d.person_key = f.person_key)
UNION ALL
SELECT {_SHOWN}, 'again', o.payment_id, o.message_id
FROM fresh f CROSS JOIN LATERAL (
    SELECT o.payment_id, o.message_id FROM settled_payments o
    WHERE o.person_key = f.person_key AND o.program_code = f.program_code
      AND o.period = f.period AND o.pays = f.pays AND NOT o.returned
      -- a payment returned no longer pays, in this batch too (the statement's snapshot
      -- does not see what returned_before marks)
      AND o.payment_id NOT IN (SELECT payment_id FROM returned_before)
      AND o.payment_id <> f.payment_id
      -- one transfer answered for two payment ids (a run lost in a restore of
      -- disbursement and started again) is one payment
      AND coalesce(o.transferred_as, o.payment_id) <> coalesce(f.transferred_as, f.payment_id)
      AND (o.message_id <> ALL($9::uuid[]) OR o.payment_id < f.payment_id)
    ORDER BY o.seen_at, o.payment_id LIMIT 1) o
WHERE NOT f.returned AND f.payment_id NOT IN (SELECT payment_id FROM returned_before)
  AND EXISTS (SELECT 1 FROM settled_payments x
              WHERE x.person_key = f.person_key AND x.program_code = f.program_code
                AND x.period = f.period AND x.pays = f.pays AND x.payment_id <> f.payment_id
              OFFSET 0)  -- a lookup per payment, never a join over the table
UNION ALL
SELECT {_SHOWN}, 'account', a.message_id::text, NULL
FROM fresh f
JOIN (  -- for each payee of a run, the latest account that replaced another in the window
    SELECT DISTINCT ON (r.run_id, a.person_key) r.run_id, a.person_key, a.message_id
    FROM watched_runs r
    JOIN watched_payee_accounts a
      ON a.replaces_previous AND a.registered_at <= r.started_at
     AND a.registered_at > r.started_at - $8::interval
    WHERE r.run_id IN (SELECT run_id FROM fresh) AND r.started_at IS NOT NULL
      AND (NOT a.awaiting_confirmation OR EXISTS (
          SELECT 1 FROM watched_account_confirmations k
          WHERE k.person_key = a.person_key AND k.registered_at = a.registered_at
            AND k.confirmed_at <= r.started_at))
    ORDER BY r.run_id, a.person_key, a.registered_at DESC) a
  ON a.run_id = f.run_id AND a.person_key = f.person_key
"""

_SAME_KEY = """person_key = {a}.person_key AND {b}.program_code = {a}.program_code
      AND {b}.period = {a}.period AND {b}.pays = {a}.pays AND {b}.payment_id <> {a}.payment_id
      AND NOT {b}.returned
      AND coalesce({b}.transferred_as, {b}.payment_id)
          <> coalesce({a}.transferred_as, {a}.payment_id)"""

REPEATS_OF_RETURNED = f"""
SELECT s.payment_id, s.person_key, o.payment_id AS returned_id, a.occurred_at
FROM settled_payments o
JOIN settled_payments s ON s.{_SAME_KEY.format(a="o", b="s")}
LEFT JOIN audit_entries a ON a.message_id = s.message_id
WHERE o.payment_id = ANY($1::text[]) AND o.returned
  AND NOT EXISTS (SELECT 1 FROM settled_payments x
                  WHERE x.{_SAME_KEY.format(a="s", b="x")}
                    AND (x.seen_at, x.payment_id) < (s.seen_at, s.payment_id))
"""
"""The live payments repeating the returned ones ($1) that no live payment stored before
them repeats, with the moment their chunk occurred (its audit entry)."""

ANSWERS = """
SELECT s.payment_id, 'settled' AS outcome, s.run_id, (a.body->>'chunk')::int AS chunk,
       a.occurred_at
FROM settled_payments s JOIN audit_entries a ON a.message_id = s.message_id
WHERE s.payment_id = ANY($1::text[])
UNION ALL
SELECT x.payment_id, 'failed', a.body->>'run_id', (a.body->>'chunk')::int, a.occurred_at
FROM unnest($1::text[]) AS x(payment_id)
JOIN audit_entries a
  ON a.body @> jsonb_build_object('payments',
                                  jsonb_build_array(jsonb_build_object('payment_id',
                                                                       x.payment_id)))
 AND a.message_type = $2
"""
"""The logged chunks answering these payments ($1): a settled one by its row (the log's
searchable body of a settled chunk leaves its payments out), a refused one by the failed
chunk's body (the log's index of bodies finds it)."""
