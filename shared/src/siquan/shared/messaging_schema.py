"""The tables every service's database has for reliable messaging: outbox and inbox.

A service's first migration calls `create_messaging_tables()` so the tables live in the
service's own database and commit in the same transactions as its state.
"""

from __future__ import annotations

OUTBOX_NOTIFY_CHANNEL = "siquan_outbox"

MESSAGING_DDL = """
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    message_id    uuid NOT NULL UNIQUE,
    exchange      text NOT NULL,
    routing_key   text NOT NULL,
    headers       jsonb NOT NULL,
    body          bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE TABLE inbox (
    consumer      text NOT NULL,
    message_id    uuid NOT NULL,
    message_type  text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
"""


def create_messaging_tables(execute: object) -> None:
    """Run the DDL through Alembic's `op.execute` (passed in to keep Alembic out of here)."""
    for statement in MESSAGING_DDL.split(";"):
        if statement.strip():
            execute(statement)  # type: ignore[operator]
