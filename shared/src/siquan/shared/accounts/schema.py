"""The tables of a service's officer accounts, created by a migration in each service's own
tree (every service keeps its own officers in its own database):

- `officers`: name, roles, division, the argon2id hash of the password, the TOTP secret,
  failed logins in a row and the lockout, disabled or not;
- `officer_sessions`: the console's server-side sessions, by the SHA-256 of the cookie
  value, with the session's CSRF token and its stage (waiting for the second factor or
  signed in);
- `officer_api_tokens`: machine clients' tokens by their SHA-256, with the roles they may
  act with, when they expire and whether they were revoked.
"""

from __future__ import annotations

from alembic import op

STATEMENTS = (
    """CREATE TABLE officers (
        officer_id text PRIMARY KEY CHECK (officer_id ~ '^[A-Za-z0-9._-]{1,64}$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        roles text[] NOT NULL,
        division text NOT NULL CHECK (division ~ '^[0-9]{6}([0-9]{3}){0,2}$'),
        password_hash text,
        must_change_password boolean NOT NULL DEFAULT false,
        totp_secret text,
        totp_last_step bigint,
        failed_logins integer NOT NULL DEFAULT 0,
        locked_until timestamptz,
        disabled_at timestamptz,
        development boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL,
        created_by text,
        changed_at timestamptz NOT NULL
    )""",
    """CREATE TABLE officer_sessions (
        session_sha256 text PRIMARY KEY,
        officer_id text NOT NULL REFERENCES officers ON DELETE CASCADE,
        csrf_token text NOT NULL,
        stage text NOT NULL CHECK (stage IN ('second_factor', 'enrol_second_factor',
                                             'signed_in')),
        pending_totp_secret text,
        created_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
    )""",
    "CREATE INDEX officer_sessions_by_officer ON officer_sessions (officer_id)",
    """CREATE TABLE officer_api_tokens (
        token_id uuid PRIMARY KEY,
        officer_id text NOT NULL REFERENCES officers ON DELETE CASCADE,
        token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
        label text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
        scopes text[] NOT NULL,
        expires_at timestamptz,
        revoked_at timestamptz,
        revoked_by text,
        development boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL,
        created_by text
    )""",
    "CREATE INDEX officer_api_tokens_by_officer ON officer_api_tokens (officer_id)",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE officer_api_tokens")
    op.execute("DROP TABLE officer_sessions")
    op.execute("DROP TABLE officers")
