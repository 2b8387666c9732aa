"""The whole certification cycle: townships, household facts and evidence, survey imports,
community reviews, public notices and objections, certification validity and history.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE = "('submitted', 'community_reviewed', 'township_reviewed', 'on_notice', 'notice_closed')"

STATEMENTS = [
    # applications: the new states, the township, the facts and who did each step
    "ALTER TABLE applications DROP CONSTRAINT applications_status_check",
    "ALTER TABLE applications DROP CONSTRAINT applications_check",
    "UPDATE applications SET status = 'township_reviewed' WHERE status = 'reviewed'",
    """ALTER TABLE applications
        ADD COLUMN township_code text CHECK (township_code ~ '^[0-9]{9}$'
                                             AND left(township_code, 6) = division_code),
        ADD COLUMN facts jsonb,
        ADD COLUMN import_id uuid,
        ADD COLUMN community_review_id uuid,
        ADD COLUMN community_reviewed_by text,
        ADD COLUMN community_reviewed_at timestamptz,
        ADD COLUMN notice_id uuid,
        ADD COLUMN rejected_stage text,
        ADD COLUMN decided_by text,
        ADD COLUMN decided_at timestamptz,
        ADD CONSTRAINT application_status CHECK (status IN
            ('submitted', 'community_reviewed', 'township_reviewed', 'on_notice',
             'notice_closed', 'certified', 'rejected')),
        ADD CONSTRAINT reviewer_is_not_the_clerk
            CHECK (reviewed_by IS NULL OR reviewed_by <> submitted_by),
        ADD CONSTRAINT approver_is_neither_clerk_recorder_nor_reviewer CHECK (
            approved_by IS NULL OR (approved_by IS DISTINCT FROM reviewed_by
                                    AND approved_by IS DISTINCT FROM submitted_by
                                    AND approved_by IS DISTINCT FROM community_reviewed_by))""",
    "UPDATE applications SET decided_at = approved_at, decided_by = approved_by"
    " WHERE status = 'certified'",
    "UPDATE applications SET decided_at = reviewed_at, decided_by = reviewed_by,"
    " rejected_stage = 'township' WHERE status = 'rejected'",
    "DROP INDEX one_live_application_per_person_and_program",
    f"""CREATE UNIQUE INDEX one_live_application_per_person_and_program
        ON applications (person_key, program_code) WHERE status IN {LIVE}""",
    "CREATE INDEX applications_by_person ON applications (person_key)",
    "CREATE INDEX applications_by_stage ON applications (status, program_code, division_code)",
    "CREATE INDEX applications_by_decision ON applications (decided_at)",
    "CREATE INDEX applications_by_notice ON applications (notice_id)",
    # certifications: validity year, suspension, history; one live per person and program
    "ALTER TABLE certifications DROP CONSTRAINT certifications_status_check",
    """ALTER TABLE certifications
        ADD COLUMN township_code text,
        ADD COLUMN valid_until date,
        ADD COLUMN ended_on date,
        ADD COLUMN ended_reason text,
        ADD CONSTRAINT certification_status
            CHECK (status IN ('active', 'suspended', 'lapsed', 'revoked')),
        ADD CONSTRAINT validity_after_start
            CHECK (valid_until IS NULL OR valid_until >= effective_from)""",
    "UPDATE certifications SET valid_until = make_date(extract(year FROM greatest("
    "approved_at::date, effective_from))::int, 12, 31)",
    "ALTER TABLE certifications ALTER COLUMN valid_until SET NOT NULL",
    """CREATE UNIQUE INDEX one_live_certification_per_person_and_program
        ON certifications (person_key, program_code) WHERE status IN ('active', 'suspended')""",
    "CREATE INDEX certifications_by_person ON certifications (person_key)",
    "CREATE INDEX certifications_due ON certifications (valid_until) "
    "WHERE status IN ('active', 'suspended')",
    """CREATE TABLE certification_history (
        id               bigserial PRIMARY KEY,
        certification_id uuid NOT NULL REFERENCES certifications (id),
        status_from      text,
        status_to        text NOT NULL,
        effective_from   date NOT NULL,
        valid_until      date,
        reason           text NOT NULL,
        actor            text NOT NULL,
        recorded_at      timestamptz NOT NULL
    )""",
    "CREATE INDEX certification_history_by_certification "
    "ON certification_history (certification_id, id)",
    # the steps of the cycle
    """CREATE TABLE survey_imports (
        id           uuid PRIMARY KEY,
        filename     text NOT NULL,
        sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        rows_read    int NOT NULL CHECK (rows_read >= 0),
        accepted     int NOT NULL CHECK (accepted >= 0),
        refused      int NOT NULL CHECK (refused >= 0 AND accepted + refused = rows_read),
        imported_by  text NOT NULL,
        imported_at  timestamptz NOT NULL
    )""",
    """CREATE TABLE evidence (
        id             uuid PRIMARY KEY,
        application_id uuid NOT NULL REFERENCES applications (id),
        kind           text NOT NULL,
        filename       text NOT NULL,
        content_type   text NOT NULL,
        size           int NOT NULL CHECK (size >= 0),
        sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        content        bytea NOT NULL,
        uploaded_by    text NOT NULL,
        uploaded_at    timestamptz NOT NULL,
        CHECK (octet_length(content) = size)
    )""",
    "CREATE INDEX evidence_by_application ON evidence (application_id)",
    """CREATE TABLE community_reviews (
        id          uuid PRIMARY KEY,
        scope_code  text NOT NULL,
        held_on     date NOT NULL,
        present     int NOT NULL CHECK (present >= 1),
        passed      int NOT NULL CHECK (passed >= 0),
        failed      int NOT NULL CHECK (failed >= 0),
        recorded_by text NOT NULL,
        recorded_at timestamptz NOT NULL
    )""",
    """CREATE TABLE notices (
        id             uuid PRIMARY KEY,
        program_code   text NOT NULL,
        policy_version text NOT NULL,
        division_code  text NOT NULL,
        township_code  text,
        notice_days    int NOT NULL CHECK (notice_days >= 0),
        published_on   date NOT NULL,
        closes_on      date NOT NULL CHECK (closes_on = published_on + notice_days),
        status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        entries        int NOT NULL CHECK (entries >= 1),
        published_by   text NOT NULL,
        published_at   timestamptz NOT NULL,
        closed_on      date,
        CHECK ((status = 'closed') = (closed_on IS NOT NULL)),
        CHECK (closed_on IS NULL OR closed_on >= closes_on)
    )""",
    "CREATE INDEX notices_due ON notices (closes_on) WHERE status = 'open'",
    """ALTER TABLE applications
        ADD CONSTRAINT application_notice FOREIGN KEY (notice_id) REFERENCES notices (id),
        ADD CONSTRAINT application_community_review FOREIGN KEY (community_review_id)
            REFERENCES community_reviews (id),
        ADD CONSTRAINT application_import FOREIGN KEY (import_id)
            REFERENCES survey_imports (id)""",
    # certified only through the whole chain (rows certified before it existed are kept)
    """ALTER TABLE applications ADD CONSTRAINT certified_only_after_the_chain
        CHECK (status <> 'certified' OR (community_reviewed_by IS NOT NULL
               AND reviewed_by IS NOT NULL AND notice_id IS NOT NULL
               AND approved_by IS NOT NULL)) NOT VALID""",
    """CREATE TABLE objections (
        complaint_id   uuid PRIMARY KEY,
        application_id uuid NOT NULL REFERENCES applications (id),
        status         text NOT NULL DEFAULT 'open'
                           CHECK (status IN ('open', 'upheld', 'dismissed')),
        filed_at       timestamptz NOT NULL,
        resolution     text,
        resolved_by    text,
        resolved_at    timestamptz,
        CHECK ((status = 'open') = (resolved_at IS NULL))
    )""",
    "CREATE INDEX open_objections ON objections (application_id) WHERE status = 'open'",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    """Back to 0001's shape; applications past township review count as `reviewed`."""
    op.execute("DROP TABLE objections, evidence, certification_history")
    op.execute("ALTER TABLE applications DROP CONSTRAINT application_notice,"
               " DROP CONSTRAINT application_community_review,"
               " DROP CONSTRAINT application_import,"
               " DROP CONSTRAINT certified_only_after_the_chain,"
               " DROP CONSTRAINT application_status, DROP CONSTRAINT reviewer_is_not_the_clerk,"
               " DROP CONSTRAINT approver_is_neither_clerk_recorder_nor_reviewer")
    op.execute("DROP TABLE notices, community_reviews, survey_imports")
    op.execute("DROP INDEX one_live_application_per_person_and_program, applications_by_person,"
               " applications_by_stage, applications_by_decision, applications_by_notice")
    op.execute("UPDATE applications SET status = 'reviewed' WHERE status IN"
               " ('community_reviewed', 'township_reviewed', 'on_notice', 'notice_closed')")
    op.execute("ALTER TABLE applications DROP COLUMN township_code, DROP COLUMN facts,"
               " DROP COLUMN import_id, DROP COLUMN community_review_id,"
               " DROP COLUMN community_reviewed_by, DROP COLUMN community_reviewed_at,"
               " DROP COLUMN notice_id, DROP COLUMN rejected_stage, DROP COLUMN decided_by,"
               " DROP COLUMN decided_at,"
               " ADD CONSTRAINT applications_status_check CHECK (status IN"
               " ('submitted', 'reviewed', 'rejected', 'certified')),"
               " ADD CONSTRAINT applications_check"
               " CHECK (approved_by IS NULL OR approved_by <> reviewed_by)")
    op.execute("CREATE UNIQUE INDEX one_live_application_per_person_and_program"
               " ON applications (person_key, program_code) WHERE status <> 'rejected'")
    op.execute("DROP INDEX one_live_certification_per_person_and_program,"
               " certifications_by_person, certifications_due")
    op.execute("UPDATE certifications SET status = 'revoked' WHERE status = 'suspended'")
    op.execute("ALTER TABLE certifications DROP CONSTRAINT certification_status,"
               " DROP CONSTRAINT validity_after_start, DROP COLUMN township_code,"
               " DROP COLUMN valid_until, DROP COLUMN ended_on, DROP COLUMN ended_reason,"
               " ADD CONSTRAINT certifications_status_check"
               " CHECK (status IN ('active', 'revoked', 'lapsed'))")
