"""Catching a restored service up: after its database was restored from a backup, the
service has lost every message it took after the backup (its state and its inbox records
alike; they commit together), and the broker no longer holds the ones it acknowledged.
Each producer keeps every event it published in its outbox (rows are never deleted, each
with `published_at`), so the operator re-sends from there what the producer published
since a moment before the backup:

    python -m siquan.shared.catch_up disbursement --from fund_custody \\
        --since 2026-12-04T09:00:00+00:00

Each row goes, with its own message id, headers and signature, to the restored consumer's
replay exchange `siquan.<consumer>.replay`, routed to the consumer's queue that the
producer's exchange would have delivered it to (the queue bound to that routing key). The
consumer's inbox (restored with its state) drops what it already holds and takes only what
it lacks; so a `--since` taken too early costs time, never a double effect. Given the
restored service's database (`SIQUAN_PG_DSN`), the command reads its inbox first and sends
only what it lacks: the counts it prints are exactly the service's gap, per queue.

Credentials: the consumer's broker URL (`SIQUAN_AMQP_URL`: a service may publish to its own
replay exchange) and the producer's database (`--producer-dsn` or
`SIQUAN_PRODUCER_PG_DSN`, read only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aio_pika
import asyncpg

from siquan.contracts.topology import (
    SUBSCRIPTIONS,
    Subscription,
    exchange_of,
    replay_exchange_of,
)

_BATCH = 500

_ROWS = """
SELECT id, message_id, routing_key, headers, body FROM outbox
WHERE exchange = $1 AND published_at >= $2 AND id > $3
ORDER BY id LIMIT $4
"""


def topic_matches(binding_key: str, routing_key: str) -> bool:
    """Whether a topic exchange routes `routing_key` through `binding_key` (`*`: one word,
    `#`: zero or more)."""
    def match(keys: list[str], words: list[str]) -> bool:
        if not keys:
            return not words
        if keys[0] == "#":
            return any(match(keys[1:], words[i:]) for i in range(len(words) + 1))
        return bool(words) and keys[0] in ("*", words[0]) and match(keys[1:], words[1:])
    return match(binding_key.split("."), routing_key.split("."))


@dataclass(frozen=True)
class Route:
    """The consumer's queues that read the producer's exchange, and what each binds."""

    subscriptions: tuple[Subscription, ...]

    @classmethod
    def of(cls, producer: str, consumer: str) -> Route:
        found = tuple(s for s in SUBSCRIPTIONS
                      if s.producer == producer and s.consumer == consumer)
        if not found:
            raise ValueError(f"{consumer} reads nothing {producer} publishes")
        return cls(found)

    def queues_for(self, routing_key: str) -> list[str]:
        return [s.queue for s in self.subscriptions
                if any(topic_matches(k, routing_key) for k in s.binding_keys)]


async def catch_up(producer_dsn: str, amqp_url: str, *, producer: str, consumer: str,
                   since: datetime, consumer_dsn: str | None = None,
                   dry_run: bool = False) -> dict[str, Any]:
    """Re-send to `consumer` what `producer` published at or after `since`. With the
    restored consumer's database (`consumer_dsn`), only what its inbox lacks: the gap,
    counted per queue in `sent` (what the inbox held: `held`)."""
    route = Route.of(producer, consumer)
    sent: Counter[str] = Counter()
    held: Counter[str] = Counter()
    examined = 0
    database = await asyncpg.connect(producer_dsn)
    inbox = await asyncpg.connect(consumer_dsn) if consumer_dsn else None
    try:
        broker = await aio_pika.connect(amqp_url.split(",")[0]) if not dry_run else None
        try:
            exchange = None
            if broker is not None:
                channel = await broker.channel(publisher_confirms=True)
                exchange = await channel.get_exchange(replay_exchange_of(consumer),
                                                      ensure=False)
            last = 0
            while True:
                rows = await database.fetch(_ROWS, exchange_of(producer), since, last, _BATCH)
                if not rows:
                    break
                last = rows[-1]["id"]
                examined += len(rows)
                taken = await _taken(inbox, rows)
                publishing = []
                for row in rows:
                    for queue in route.queues_for(row["routing_key"]):
                        if (queue, str(row["message_id"])) in taken:
                            held[queue] += 1
                            continue
                        sent[queue] += 1
                        if exchange is not None:
                            publishing.append(exchange.publish(
                                _message(row), routing_key=queue, mandatory=False))
                await asyncio.gather(*publishing)  # confirmed together, in order sent
        finally:
            if broker is not None:
                await broker.close()
    finally:
        await database.close()
        if inbox is not None:
            await inbox.close()
    return {"producer": producer, "consumer": consumer, "since": since.isoformat(),
            "examined": examined, "sent": dict(sent), "held": dict(held),
            "dry_run": dry_run}


async def _taken(inbox: asyncpg.Connection | None, rows: list[asyncpg.Record]
                 ) -> set[tuple[str, str]]:
    """(queue, message id) of the rows the consumer's inbox already holds."""
    if inbox is None:
        return set()
    found = await inbox.fetch("SELECT consumer, message_id::text FROM inbox"
                              " WHERE message_id = ANY($1::uuid[])",
                              [row["message_id"] for row in rows])
    return {(r[0], r[1]) for r in found}


def _message(row: asyncpg.Record) -> aio_pika.Message:
    """The message as the relay published it (same id, headers, signature, body)."""
    headers = row["headers"]
    if isinstance(headers, str):
        headers = json.loads(headers)
    headers = dict(headers)
    return aio_pika.Message(
        bytes(row["body"]), headers=headers, message_id=str(row["message_id"]),
        correlation_id=headers.get("x-siquan-correlation-id"), type=row["routing_key"],
        content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m siquan.shared.catch_up",
        description="Re-send to a service restored from a backup what a producer published"
                    " since shortly before the backup, from the producer's outbox, through"
                    " the service's replay exchange (its inbox drops what it already"
                    " holds). SIQUAN_AMQP_URL: the restored service's broker URL.")
    parser.add_argument("consumer", help="the restored service")
    parser.add_argument("--from", dest="producer", required=True,
                        help="the producer whose outbox is re-sent")
    parser.add_argument("--since", required=True, type=datetime.fromisoformat,
                        help="ISO time with zone: a margin before the backup started")
    parser.add_argument("--producer-dsn", default=None,
                        help="the producer's database (else SIQUAN_PRODUCER_PG_DSN)")
    parser.add_argument("--consumer-dsn", default=None,
                        help="the restored service's database (else SIQUAN_PG_DSN): send"
                             " only what its inbox lacks, and count it")
    parser.add_argument("--all", action="store_true",
                        help="send everything since --since, without reading the inbox")
    parser.add_argument("--dry-run", action="store_true", help="count, send nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    """`python -m siquan.shared.catch_up CONSUMER --from PRODUCER --since TIME`."""
    args = _parser().parse_args(argv)
    if args.since.tzinfo is None:
        print(json.dumps({"error": "--since needs a time zone (e.g. +00:00)"}))
        return 2
    dsn = args.producer_dsn or os.environ.get("SIQUAN_PRODUCER_PG_DSN")
    if not dsn:
        print(json.dumps({"error": "the producer's database: --producer-dsn or"
                                   " SIQUAN_PRODUCER_PG_DSN"}))
        return 2
    try:
        result = asyncio.run(catch_up(dsn, os.environ["SIQUAN_AMQP_URL"],
                                      producer=args.producer, consumer=args.consumer,
                                      since=args.since, dry_run=args.dry_run,
                                      consumer_dsn=None if args.all else (
                                          args.consumer_dsn
                                          or os.environ.get("SIQUAN_PG_DSN"))))
    except ValueError as refused:
        print(json.dumps({"error": str(refused)}))
        return 2
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
