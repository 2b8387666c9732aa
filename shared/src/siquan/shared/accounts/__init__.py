"""Officer accounts, kept by each service in its own database: argon2id password hashes,
lockout after failures in a row, server-side console sessions with CSRF tokens, the TOTP
second factor (required of approvers, treasury and disbursement officers), and hashed,
scoped, expiring, revocable API tokens for machine clients. The JSON API accepts the same
identities (`siquan.shared.auth`). Logins, failed logins and every administrator's action
are published to oversight through the outbox.

- `schema`: the tables (each service's migration creates them);
- `store`: the accounts and what can be done to them;
- `web`: the console's login, password and administration pages.

Development accounts (`infra/dev/officers.json`: password and API token `dev-<id>`, a TOTP
secret derived from the id) are created only with development accounts on
(`SIQUAN_MODE=development`, or `SIQUAN_MODE=test` in the test and demo environments),
never in production, where those already in the database are refused as disabled
officers are; `make demo` prints them.
"""
