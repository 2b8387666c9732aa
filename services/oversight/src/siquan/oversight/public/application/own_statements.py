"""A beneficiary's own statement, opened by a one-time code sent to the mobile number on file.

1. `request_code(resident ID)` — always answers the same way (a request id), whether or not
   the person exists or has a number on file, so it tells nobody anything about anyone.
   When a number is on file a six-digit code is generated and handed to the `Notifier`;
   only its keyed hash (HMAC-SHA256 over the request id and the code) is stored. A code
   lives `CODE_TTL`; the requests are rate-limited per person, per client and per phone
   (`Limits`).
2. `open_statement(request id, code)` — the code opens the statement once: a wrong code
   counts an attempt (at most `MAX_ATTEMPTS`), an expired or used one opens nothing.

The notification port (`Notifier`) has one adapter here, the simulated SMS gateway
(`public.adapters.own_statements.OutboxSms`), which queues the text in the `sms_outbox`
table in the same transaction as the code. A real gateway plugs in as a relay over that
table (ADR 0007): implement `SmsGateway.send(phone, text)` for the operator's SMS provider
(for example 阿里云短信 or a carrier's CMPP interface) and run `relay_sms` over the queued
rows, deleting each row once the provider accepted it — the same at-least-once path as the
message outbox, so a code is never sent for a request that rolled back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from siquan.contracts.eligibility_v1 import ApplicationSubmitted
from siquan.oversight.public.application.ports import PublicUnit
from siquan.oversight.public.application.statements import statement_of
from siquan.oversight.public.domain.statements import Statement
from siquan.shared.person import person_key
from siquan.shared.registry import handles

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Limits:
    """Codes asked for within `WINDOW`, at most: per person (answered 429 alike whether
    or not the person exists), per client, and per phone (beyond it nothing is sent)."""

    per_person: int = 3
    per_client: int = 10
    per_phone: int = 3


@dataclass(frozen=True)
class CodeRequest:
    request_id: str
    person_key: str
    phone_hash: str | None
    code_hash: str | None
    expires_at: datetime
    attempts: int
    used_at: datetime | None


class Notifier(Protocol):
    """Sends a one-time code to a phone (the notification port)."""

    async def send_code(
        self, phone: str, code: str, request_id: str, expires_at: datetime
    ) -> None: ...


class SmsGateway(Protocol):
    """A real SMS provider, called by `relay_sms` for each queued text (ADR 0007)."""

    async def send(self, phone: str, text: str) -> None: ...


class OwnStatements(Protocol):
    async def remember_phone(self, person_key: str, phone: str, at: datetime) -> None: ...

    async def phone_of(self, person_key: str) -> str | None: ...

    async def lock_person(self, person_key: str) -> None:
        """Serialise the code requests of one person (to the end of the transaction)."""

    async def requests_since(
        self,
        *,
        person_key: str | None = None,
        client_hash: str | None = None,
        phone_hash: str | None = None,
        since: datetime,
    ) -> int: ...

    async def add_request(
        self, request: CodeRequest, client_hash: str, requested_at: datetime
    ) -> None: ...

    async def request(self, request_id: str) -> CodeRequest | None:
        """The request, locked until the end of the transaction."""

    async def count_attempt(self, request_id: str) -> None: ...

    async def mark_used(self, request_id: str, at: datetime) -> None: ...


class OwnStatementUnit(PublicUnit, Protocol):
    @property
    def own_statements(self) -> OwnStatements: ...


class TooMany(Exception):
    """The rate limit or the attempt limit is reached (429)."""


@dataclass(frozen=True)
class CodeKeys:
    """Keys derived from the person-key secret: codes and clients are kept as keyed hashes."""

    person_key_secret: str

    def _keyed(self, purpose: str, value: str) -> str:
        key = hmac.new(self.person_key_secret.encode(), purpose.encode(), hashlib.sha256).digest()
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

    def code_hash(self, request_id: str, code: str) -> str:
        return self._keyed("statement-code", f"{request_id}:{code}")

    def client_hash(self, client: str) -> str:
        return self._keyed("statement-client", client)

    def phone_hash(self, phone: str) -> str:
        return self._keyed("statement-phone", phone)


@handles(ApplicationSubmitted)
async def remember_phone(event: ApplicationSubmitted, uow: OwnStatementUnit) -> None:
    """Keep the newest mobile number given for the person (none given: keep the old one)."""
    if event.contact_phone:
        await uow.own_statements.remember_phone(
            event.person_key, event.contact_phone, event.submitted_at
        )


async def request_code(
    uow: OwnStatementUnit,
    keys: CodeKeys,
    notifier: Notifier,
    resident_id: str,
    client: str,
    limits: Limits = Limits(),
) -> str:
    """A request id, the same answer whoever the resident is; raises `TooMany`."""
    now, repo = uow.now(), uow.own_statements
    key = person_key(keys.person_key_secret, resident_id)
    client_hash = keys.client_hash(client)
    await repo.lock_person(key)
    since = now - WINDOW
    if (
        await repo.requests_since(client_hash=client_hash, since=since) >= limits.per_client
        or await repo.requests_since(person_key=key, since=since) >= limits.per_person
    ):
        raise TooMany("too many codes asked for; try again in 15 minutes")
    request_id = str(uuid.uuid4())
    phone = await repo.phone_of(key)
    phone_hash = keys.phone_hash(phone) if phone else None
    code = f"{secrets.randbelow(10**6):06d}"
    sent = (
        phone is not None
        and phone_hash is not None
        and await repo.requests_since(phone_hash=phone_hash, since=since) < limits.per_phone
    )
    expires_at = now + CODE_TTL
    await repo.add_request(
        CodeRequest(
            request_id,
            key,
            phone_hash,
            keys.code_hash(request_id, code) if sent else None,
            expires_at,
            0,
            None,
        ),
        client_hash,
        now,
    )
    if sent and phone is not None:
        await notifier.send_code(phone, code, request_id, expires_at)
    return request_id


Opened = tuple[Literal["opened"], Statement] | tuple[Literal["refused", "too_many"], None]


async def open_statement(
    uow: OwnStatementUnit, keys: CodeKeys, request_id: str, code: str
) -> Opened:
    """The statement when the code is right, unexpired and unused; a wrong code counts an
    attempt (the caller commits it either way)."""
    repo, now = uow.own_statements, uow.now()
    found = await repo.request(request_id)
    if found is None:
        return "refused", None
    if found.attempts >= MAX_ATTEMPTS:
        return "too_many", None
    right = found.code_hash is not None and hmac.compare_digest(
        found.code_hash, keys.code_hash(request_id, code)
    )
    if not right:
        await repo.count_attempt(request_id)
        return "refused", None
    if found.used_at is not None or now >= found.expires_at:
        return "refused", None
    await repo.mark_used(request_id, now)
    return "opened", await statement_of(uow, found.person_key)


async def relay_sms(queued: list[tuple[int, str, str]], gateway: SmsGateway) -> list[int]:
    """Send queued texts `(sms_id, phone, text)` through a real gateway; the ids sent (the
    caller deletes them in the transaction that read them)."""
    sent = []
    for sms_id, phone, text in queued:
        await gateway.send(phone, text)
        sent.append(sms_id)
    return sent
