"""Dead letters: messages a service could not take, kept with the reason in a header, and
the operator's way to look at them, replay them once the cause is fixed, or discard them.

Each service owns `siquan.<service>.dlx` (where its dead letters go) and
`siquan.<service>.replay` (to which each of its queues is bound by its own name), so a
replay reaches exactly the queue the message came from and no other service's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import aio_pika
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage

from siquan.contracts.topology import (
    dead_letter_exchange_of,
    dead_letter_queue_of,
    replay_exchange_of,
)

REASON_HEADER = "x-siquan-dead-letter-reason"
QUEUE_HEADER = "x-siquan-dead-letter-queue"
AT_HEADER = "x-siquan-dead-lettered-at"
_OWN_HEADERS = (REASON_HEADER, QUEUE_HEADER, AT_HEADER)


class DeadLetterPublisher:
    """Publishes a service's dead letters with publisher confirms, on a channel of the
    connection its consumers use."""

    def __init__(self, service: str) -> None:
        self._exchange_name = dead_letter_exchange_of(service)
        self._channel: AbstractChannel | None = None
        self.published = 0

    async def open(self, connection: AbstractConnection) -> None:
        if self._channel is None or self._channel.is_closed:
            self._channel = await connection.channel(publisher_confirms=True)

    async def publish(self, raw: AbstractIncomingMessage, *, queue: str, reason: str) -> None:
        if self._channel is None:
            raise ConnectionError("dead-letter channel not open")
        headers: dict[str, Any] = dict(raw.headers or {})
        headers.update({REASON_HEADER: reason[:1000], QUEUE_HEADER: queue,
                        AT_HEADER: datetime.now(UTC).isoformat()})
        exchange = await self._channel.get_exchange(self._exchange_name, ensure=False)
        await exchange.publish(
            aio_pika.Message(raw.body, headers=headers, message_id=raw.message_id,
                             correlation_id=raw.correlation_id, type=raw.type,
                             content_type=raw.content_type,
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=raw.routing_key or "unknown", mandatory=False)
        self.published += 1


def _summary(message: AbstractIncomingMessage) -> dict[str, Any]:
    headers = message.headers or {}
    return {"message_id": message.message_id, "type": message.routing_key,
            "producer": headers.get("x-siquan-producer"),
            "queue": headers.get(QUEUE_HEADER), "reason": headers.get(REASON_HEADER),
            "at": headers.get(AT_HEADER)}


@dataclass(frozen=True)
class Selection:
    """Which dead letters an operator means: one by message id, or those of a queue and
    whose reason contains some text (nothing given: all)."""

    message_id: str | None = None
    queue: str | None = None
    reason: str | None = None

    def matches(self, summary: dict[str, Any]) -> bool:
        return ((self.message_id is None or summary["message_id"] == self.message_id)
                and (self.queue is None or summary["queue"] == self.queue)
                and (self.reason is None or self.reason in str(summary["reason"] or "")))


async def _each(amqp_url: str, service: str, selection: Selection, limit: int,
                act: Callable[[AbstractChannel, AbstractIncomingMessage], Awaitable[bool]]
                ) -> int:
    """Take the dead letters one by one (up to `limit` examined); `act` on the selected
    ones (True: done with it, acknowledge it); the rest go back to the queue."""
    done = 0
    connection = await aio_pika.connect(amqp_url.split(",")[0])
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.get_queue(dead_letter_queue_of(service), ensure=False)
        keep = []
        try:
            for _ in range(limit):
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                if selection.matches(_summary(message)) and await act(channel, message):
                    await message.ack()
                    done += 1
                else:
                    keep.append(message)
        finally:
            for message in keep:
                await message.nack(requeue=True)
    return done


async def list_dead_letters(amqp_url: str, service: str, limit: int = 100,
                            selection: Selection = Selection()) -> list[dict[str, Any]]:
    """Peek at dead letters without removing them."""
    found: list[dict[str, Any]] = []

    async def note(_: AbstractChannel, message: AbstractIncomingMessage) -> bool:
        found.append(_summary(message))
        return False
    await _each(amqp_url, service, selection, limit, note)
    return found


_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _kind_of(reason: object) -> str:
    """A reason's first line with the ids in it left out, so that the same cause counts
    once: `run … has no allocation`."""
    lines = str(reason or "").splitlines()
    return _IDS.sub("…", lines[0])[:200] if lines else ""


def summarise(letters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dead letters counted by queue and reason (its first line, ids left out)."""
    counted = Counter((d["queue"], _kind_of(d["reason"])) for d in letters)
    return [{"queue": queue, "reason": reason, "count": n}
            for (queue, reason), n in counted.most_common()]


async def inspect_dead_letter(amqp_url: str, service: str, message_id: str,
                              limit: int = 10_000) -> dict[str, Any] | None:
    """One dead letter whole: its summary, every header and its body."""
    found: list[dict[str, Any]] = []

    async def read(_: AbstractChannel, message: AbstractIncomingMessage) -> bool:
        body: Any
        try:
            body = json.loads(message.body)
        except ValueError:
            body = message.body.decode(errors="replace")
        found.append({**_summary(message), "headers": dict(message.headers or {}),
                      "body": body})
        return False
    await _each(amqp_url, service, Selection(message_id=message_id), limit, read)
    return found[0] if found else None


class Recorder(Protocol):
    """Where a replay or discard is recorded before it is done: the operator command's
    `Journal`, or the console's (which also publishes it to oversight)."""

    async def record(self, action: str, letter: dict[str, Any]) -> None: ...


async def replay_dead_letters(amqp_url: str, service: str,
                              message_id: str | None = None, *,
                              selection: Selection | None = None,
                              journal: Recorder | None = None, limit: int = 100_000) -> int:
    """Send dead letters back to the queue they came from (all, one by message id, or a
    selection), each recorded in `journal` first when one is given."""
    chosen = selection or Selection(message_id=message_id)

    async def replay(channel: AbstractChannel, message: AbstractIncomingMessage) -> bool:
        exchange = await channel.get_exchange(replay_exchange_of(service), ensure=False)
        headers = {k: v for k, v in (message.headers or {}).items() if k not in _OWN_HEADERS}
        if journal is not None:
            await journal.record("replay", _summary(message))
        await exchange.publish(
            aio_pika.Message(message.body, headers=headers, message_id=message.message_id,
                             correlation_id=message.correlation_id, type=message.type,
                             content_type=message.content_type,
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=str((message.headers or {}).get(QUEUE_HEADER, "")))
        return True
    return await _each(amqp_url, service, chosen, limit, replay)


async def discard_dead_letters(amqp_url: str, service: str, selection: Selection,
                               journal: Recorder, limit: int = 100_000) -> int:
    """Remove dead letters for good, each recorded in `journal` first."""
    async def discard(_: AbstractChannel, message: AbstractIncomingMessage) -> bool:
        await journal.record("discard", _summary(message))
        return True
    return await _each(amqp_url, service, selection, limit, discard)


JOURNAL_TABLE = """
CREATE TABLE IF NOT EXISTS dead_letter_actions (
    id            bigserial PRIMARY KEY,
    action        text NOT NULL CHECK (action IN ('replay', 'discard')),
    message_id    text,
    message_type  text,
    queue         text,
    dead_reason   text,
    officer_id    text NOT NULL CHECK (officer_id <> ''),
    reason        text NOT NULL CHECK (reason <> ''),
    acted_at      timestamptz NOT NULL DEFAULT now()
)"""


JOURNAL_INSERT = (
    "INSERT INTO dead_letter_actions (action, message_id, message_type, queue, dead_reason,"
    " officer_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)")


def journal_row(action: str, letter: dict[str, Any], officer_id: str, reason: str
                ) -> tuple[str, ...]:
    return (action, letter["message_id"], letter["type"], letter["queue"],
            str(letter["reason"] or "")[:1000], officer_id, reason)


class Journal:
    """Who replayed or discarded which dead letter and why, in the service's own database
    (`dead_letter_actions`, append-only for the operator), written before the action."""

    def __init__(self, pg_dsn: str, officer_id: str, reason: str) -> None:
        if not officer_id.strip() or not reason.strip():
            raise ValueError("an officer and a reason are required to replay or discard")
        self._dsn, self.officer_id, self.reason = pg_dsn, officer_id, reason
        self.recorded = 0

    async def record(self, action: str, letter: dict[str, Any]) -> None:
        conn = await asyncpg.connect(self._dsn)
        try:
            await conn.execute(JOURNAL_TABLE)
            await conn.execute(JOURNAL_INSERT, *journal_row(action, letter, self.officer_id,
                                                            self.reason))
        finally:
            await conn.close()
        self.recorded += 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m siquan.shared.dead_letters",
        description="A service's dead letters: list or summarise them (by queue and reason),"
                    " inspect one, replay one or all to the queue they came from, or discard"
                    " them. SIQUAN_AMQP_URL is the service's broker URL; replay and discard"
                    " are recorded with the officer and the reason in the service's database"
                    " (SIQUAN_PG_DSN).")
    parser.add_argument("action", choices=["list", "summary", "inspect", "replay", "discard"])
    parser.add_argument("service")
    parser.add_argument("--message-id", default=None, help="only this message")
    parser.add_argument("--queue", default=None, help="only dead letters from this queue")
    parser.add_argument("--reason-contains", default=None,
                        help="only dead letters whose reason contains this text")
    parser.add_argument("--all", action="store_true",
                        help="replay or discard every selected dead letter (else one id)")
    parser.add_argument("--officer", default="", help="who replays or discards (required)")
    parser.add_argument("--reason", default="", help="why (required to replay or discard)")
    parser.add_argument("--limit", type=int, default=1000, help="most dead letters listed")
    return parser


async def _command(args: argparse.Namespace) -> tuple[int, Any]:
    url = os.environ["SIQUAN_AMQP_URL"]
    selection = Selection(args.message_id, args.queue, args.reason_contains)
    if args.action in ("list", "summary"):
        letters = await list_dead_letters(url, args.service, args.limit, selection)
        return 0, letters if args.action == "list" else summarise(letters)
    if args.action == "inspect":
        if args.message_id is None:
            return 2, {"error": "inspect needs --message-id"}
        found = await inspect_dead_letter(url, args.service, args.message_id)
        return (0, found) if found is not None else (1, {"error": "no such dead letter"})
    if args.message_id is None and not args.all:
        return 2, {"error": f"{args.action} needs --message-id, or --all"}
    if "SIQUAN_PG_DSN" not in os.environ:
        return 2, {"error": f"{args.action} is recorded in the service's database:"
                            " set SIQUAN_PG_DSN"}
    try:
        journal = Journal(os.environ["SIQUAN_PG_DSN"], args.officer, args.reason)
    except ValueError as refused:
        return 2, {"error": str(refused)}
    if args.action == "replay":
        count = await replay_dead_letters(url, args.service, selection=selection,
                                          journal=journal)
        return 0, {"replayed": count, "officer": args.officer}
    count = await discard_dead_letters(url, args.service, selection, journal)
    return 0, {"discarded": count, "officer": args.officer}


def main(argv: list[str] | None = None) -> int:
    """`python -m siquan.shared.dead_letters {list,summary,inspect,replay,discard} SERVICE`."""
    args = _parser().parse_args(argv)
    code, output = asyncio.run(_command(args))
    print(json.dumps(output, indent=2, ensure_ascii=False, default=str))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
