"""The tables behind a person's own statement (`person_contacts`, `statement_codes`) and the
simulated SMS gateway, which queues each text in `sms_outbox` (see
`public.application.own_statements` and ADR 0007 for a real gateway)."""

from __future__ import annotations

import uuid
from datetime import datetime

from siquan.oversight.public.application.own_statements import CodeRequest
from siquan.shared.database import Connection


class PgOwnStatements:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def remember_phone(self, person_key: str, phone: str, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO person_contacts (person_key, phone, recorded_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (person_key) DO UPDATE SET phone = EXCLUDED.phone,"
            " recorded_at = EXCLUDED.recorded_at"
            " WHERE person_contacts.recorded_at <= EXCLUDED.recorded_at",
            person_key,
            phone,
            at,
        )

    async def phone_of(self, person_key: str) -> str | None:
        phone: str | None = await self._conn.fetchval(
            "SELECT phone FROM person_contacts WHERE person_key = $1", person_key
        )
        return phone

    async def lock_person(self, person_key: str) -> None:
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", person_key
        )

    async def requests_since(
        self,
        *,
        person_key: str | None = None,
        client_hash: str | None = None,
        phone_hash: str | None = None,
        since: datetime,
    ) -> int:
        column, value = next(
            (c, v)
            for c, v in (
                ("person_key", person_key),
                ("client_hash", client_hash),
                ("phone_hash", phone_hash),
            )
            if v is not None
        )
        count: int = await self._conn.fetchval(
            f"SELECT count(*) FROM statement_codes WHERE {column} = $1 AND requested_at > $2",
            value,
            since,
        )
        return count

    async def add_request(
        self, request: CodeRequest, client_hash: str, requested_at: datetime
    ) -> None:
        await self._conn.execute(
            "INSERT INTO statement_codes (request_id, person_key, client_hash, phone_hash,"
            " code_hash, requested_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            uuid.UUID(request.request_id),
            request.person_key,
            client_hash,
            request.phone_hash,
            request.code_hash,
            requested_at,
            request.expires_at,
        )

    async def request(self, request_id: str) -> CodeRequest | None:
        row = await self._conn.fetchrow(
            "SELECT request_id, person_key, phone_hash, code_hash, expires_at, attempts,"
            " used_at FROM statement_codes WHERE request_id = $1 FOR UPDATE",
            uuid.UUID(request_id),
        )
        if row is None:
            return None
        return CodeRequest(
            str(row["request_id"]),
            row["person_key"],
            row["phone_hash"],
            row["code_hash"],
            row["expires_at"],
            row["attempts"],
            row["used_at"],
        )

    async def count_attempt(self, request_id: str) -> None:
        await self._conn.execute(
            "UPDATE statement_codes SET attempts = attempts + 1 WHERE request_id = $1",
            uuid.UUID(request_id),
        )

    async def mark_used(self, request_id: str, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE statement_codes SET used_at = $2 WHERE request_id = $1",
            uuid.UUID(request_id),
            at,
        )


class OutboxSms:
    """The simulated SMS gateway: the text waits in `sms_outbox` (committed with the code);
    nothing leaves the machine. A real gateway drains the same table (ADR 0007)."""

    def __init__(self, conn: Connection, now: datetime) -> None:
        self._conn, self._now = conn, now

    async def send_code(self, phone: str, code: str, request_id: str, expires_at: datetime) -> None:
        text = (
            f"【四权监督】您查询本人奖扶特扶发放明细的验证码是 {code}，5分钟内有效，请勿告诉他人。"
        )
        await self._conn.execute(
            "INSERT INTO sms_outbox (phone, body, request_id, queued_at) VALUES ($1, $2, $3, $4)",
            phone,
            text,
            uuid.UUID(request_id),
            self._now,
        )
