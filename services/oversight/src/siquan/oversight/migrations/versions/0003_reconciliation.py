"""Reconciliation (三追究): what the rules remember of the events they watch; the settled
payments (one row per payment, found again by person, program, period and what it pays;
a payment the bank returned no longer counts); the findings with their evidence, the
holds they place, the flags; and the audit log's indexes for the auditor's questions
(one person, application, run or officer).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_CATEGORY = "('wrong_eligibility_decision', 'wrong_payment', 'breach_of_discipline')"
_OFFICER_KEYS = ("submitted_by", "reviewed_by", "approved_by", "revoked_by", "decided_by",
                 "registered_by", "started_by", "recorded_by", "published_by", "placed_by",
                 "lifted_by", "resolved_by", "officer_id", "handler")

WATCHED = [
    """
    CREATE TABLE watched_applications (
        application_id  text PRIMARY KEY,
        program_code    text NOT NULL,
        division_code   text NOT NULL,
        submitted_by    text NOT NULL,
        submitted_at    timestamptz NOT NULL,
        message_id      uuid NOT NULL,
        rejected        boolean NOT NULL DEFAULT false
    )""",
    "CREATE INDEX watched_applications_by_division ON watched_applications "
    "(division_code, submitted_at)",
    """
    CREATE TABLE watched_reviews (
        message_id      uuid PRIMARY KEY,
        application_id  text NOT NULL,
        reviewed_by     text NOT NULL,
        stage           text NOT NULL,
        outcome         text NOT NULL
    )""",
    "CREATE INDEX watched_reviews_by_application ON watched_reviews (application_id)",
    """
    CREATE TABLE watched_certifications (
        certification_id  text PRIMARY KEY,
        application_id    text,
        person_key        text NOT NULL,
        program_code      text NOT NULL,
        category          text NOT NULL,
        division_code     text NOT NULL,
        effective_from    date NOT NULL,
        reviewed_by       text NOT NULL,
        approved_by       text NOT NULL,
        approved_at       timestamptz NOT NULL,
        message_id        uuid NOT NULL
    )""",
    "CREATE INDEX watched_certifications_by_person ON watched_certifications (person_key)",
    "CREATE INDEX watched_certifications_by_program ON watched_certifications "
    "(program_code, division_code, effective_from)",
    "CREATE INDEX watched_certifications_by_application ON watched_certifications "
    "(application_id)",
    """
    CREATE TABLE watched_changes (
        arrival           bigserial PRIMARY KEY,
        message_id        uuid NOT NULL UNIQUE,
        certification_id  text NOT NULL,
        kind              text NOT NULL CHECK (kind IN ('revoked', 'lapsed', 'suspended',
                                                        'reinstated', 'renewed')),
        effective_from    date NOT NULL
    )""",
    "CREATE INDEX watched_changes_by_certification ON watched_changes "
    "(certification_id, arrival)",
    """
    CREATE TABLE watched_deaths (
        person_key     text PRIMARY KEY,
        date_of_death  date NOT NULL,
        message_id     uuid NOT NULL
    )""",
    """
    CREATE TABLE watched_payee_accounts (
        message_id         uuid PRIMARY KEY,
        person_key         text NOT NULL,
        registered_by      text NOT NULL,
        registered_at      timestamptz NOT NULL,
        replaces_previous  boolean NOT NULL
    )""",
    "CREATE INDEX watched_payee_accounts_by_person ON watched_payee_accounts "
    "(person_key, registered_at)",
    """
    CREATE TABLE watched_runs (
        run_id               text PRIMARY KEY,
        program_code         text NOT NULL,
        period               text NOT NULL,
        division_code        text NOT NULL,
        started_by           text,
        started_at           timestamptz,
        started_message      uuid,
        requested_message    uuid,
        omission_checked_at  timestamptz
    )""",
    "CREATE INDEX watched_runs_unchecked ON watched_runs (period) "
    "WHERE omission_checked_at IS NULL",
    """
    CREATE TABLE fund_movements (
        message_id     uuid PRIMARY KEY,
        run_id         text NOT NULL,
        kind           text NOT NULL CHECK (kind IN ('reservation', 'settlement')),
        amount_fen     bigint NOT NULL CHECK (amount_fen >= 0),
        program_code   text NOT NULL,
        period         text NOT NULL,
        division_code  text NOT NULL,
        seen_at        timestamptz NOT NULL DEFAULT now(),
        checked        boolean NOT NULL DEFAULT false
    )""",
    "CREATE INDEX fund_movements_by_run ON fund_movements (run_id)",
    "CREATE INDEX fund_movements_unchecked ON fund_movements (seen_at) WHERE NOT checked",
]

PAYMENTS = [
    """
    CREATE TABLE settled_payments (
        payment_id        text PRIMARY KEY,
        person_key        text NOT NULL,
        program_code      text NOT NULL,
        period            text NOT NULL,
        item              text NOT NULL,
        period_start      date NOT NULL,
        certification_id  text NOT NULL,
        run_id            text NOT NULL,
        division_code     text NOT NULL,
        amount_fen        bigint NOT NULL CHECK (amount_fen >= 0),
        message_id        uuid NOT NULL,
        seen_at           timestamptz NOT NULL DEFAULT now(),
        cert_checked      boolean NOT NULL,
        returned          boolean NOT NULL DEFAULT false,
        -- an arrear (`arrears:<period>`) pays the same thing as the period's benefit
        pays              text NOT NULL GENERATED ALWAYS AS (
                              CASE WHEN item LIKE 'arrears:%' THEN 'benefit' ELSE item END
                          ) STORED
    )""",
    "CREATE INDEX settled_payments_by_key ON settled_payments "
    "(person_key, program_code, period, pays)",
    "CREATE INDEX settled_payments_unchecked ON settled_payments (seen_at) "
    "WHERE NOT cert_checked",
]

FINDINGS = [
    f"""
    CREATE TABLE findings (
        finding_id        uuid PRIMARY KEY,
        dedup_key         text NOT NULL UNIQUE,
        category          text NOT NULL CHECK (category IN {_CATEGORY}),
        rule              text NOT NULL,
        status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
        reason            text NOT NULL,
        evidence          text[] NOT NULL CHECK (cardinality(evidence) >= 1),
        decision          text NOT NULL CHECK (decision IN ('none', 'suspend', 'revoke')),
        certification_id  text,
        person_key        text,
        officer_id        text,
        application_id    text,
        run_id            text,
        program_code      text,
        period            text,
        division_code     text,
        amount_fen        bigint CHECK (amount_fen >= 0),
        raised_at         timestamptz NOT NULL,
        message_id        uuid UNIQUE,
        outcome           text CHECK (outcome IN ('confirmed', 'dismissed')),
        resolution        text,
        resolved_by       text,
        resolved_at       timestamptz,
        resolution_message_id uuid,
        CONSTRAINT resolved_with_reason CHECK ((status = 'resolved') = (
            outcome IS NOT NULL AND resolution IS NOT NULL AND resolved_by IS NOT NULL
            AND resolved_at IS NOT NULL))
    )""",
    "CREATE INDEX findings_by_category ON findings (category, status)",
    "CREATE INDEX findings_by_program ON findings (program_code, period)",
    "CREATE INDEX findings_by_person ON findings (person_key)",
    "CREATE INDEX findings_by_officer ON findings (officer_id)",
    "CREATE INDEX findings_by_run ON findings (run_id)",
    "CREATE INDEX findings_by_application ON findings (application_id)",
    "CREATE INDEX findings_by_certification ON findings (certification_id)",
    """
    CREATE TABLE holds (
        hold_id          uuid PRIMARY KEY,
        person_key       text NOT NULL,
        program_code     text,
        division_code    text,
        finding_id       uuid NOT NULL REFERENCES findings (finding_id),
        reason           text NOT NULL,
        placed_by        text NOT NULL,
        placed_at        timestamptz NOT NULL,
        message_id       uuid NOT NULL UNIQUE,
        lifted_at        timestamptz,
        lifted_by        text,
        lift_reason      text,
        lift_message_id  uuid,
        CONSTRAINT lifted_with_reason CHECK (
            (lifted_at IS NULL) = (lifted_by IS NULL)
            AND (lifted_at IS NULL) = (lift_reason IS NULL))
    )""",
    "CREATE UNIQUE INDEX one_active_hold ON holds (person_key, coalesce(program_code, ''))"
    " WHERE lifted_at IS NULL",
    """
    CREATE TABLE flags (
        flag_id        uuid PRIMARY KEY,
        dedup_key      text NOT NULL UNIQUE,
        kind           text NOT NULL,
        person_key     text,
        run_id         text,
        program_code   text,
        period         text,
        division_code  text,
        evidence       text[] NOT NULL CHECK (cardinality(evidence) >= 1),
        reason         text NOT NULL,
        raised_at      timestamptz NOT NULL
    )""",
    "CREATE INDEX flags_by_program ON flags (program_code, period)",
    "CREATE INDEX flags_by_person ON flags (person_key)",
]

_OFFICERS = ", ".join(f"body->>'{key}'" for key in _OFFICER_KEYS)

AUDIT_INDEXES = [
    "CREATE INDEX audit_entries_by_person ON audit_entries ((body->>'person_key'))",
    "CREATE INDEX audit_entries_by_application ON audit_entries ((body->>'application_id'))",
    "CREATE INDEX audit_entries_by_certification ON audit_entries "
    "((body->>'certification_id'))",
    "CREATE INDEX audit_entries_by_run ON audit_entries ((body->>'run_id'), seq)",
    # Every officer an event names, whatever the field; one GIN index answers "all of X's".
    f"""
    CREATE FUNCTION audit_officers(body jsonb) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT array_remove(ARRAY[{_OFFICERS}], NULL) $$""",
    "CREATE INDEX audit_entries_by_officer ON audit_entries USING gin (audit_officers(body))",
    # People and applications listed inside an event (notice entries, review entries,
    # skipped payees, failed payments). Settled payment chunks, the bulk of the log, are
    # left out: `settled_payments` finds them by person.
    "CREATE INDEX audit_entries_nested ON audit_entries USING gin (body jsonb_path_ops)"
    " WHERE message_type <> 'payments.settled.v1'",
]


def upgrade() -> None:
    for statement in (*WATCHED, *PAYMENTS, *FINDINGS, *AUDIT_INDEXES):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP INDEX audit_entries_nested, audit_entries_by_officer, "
               "audit_entries_by_run, audit_entries_by_certification, "
               "audit_entries_by_application, audit_entries_by_person")
    op.execute("DROP FUNCTION audit_officers(jsonb)")
    op.execute("DROP TABLE flags, holds, findings, settled_payments, fund_movements, "
               "watched_runs, watched_payee_accounts, watched_deaths, watched_changes, "
               "watched_certifications, watched_reviews, watched_applications")
