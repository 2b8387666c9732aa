"""The broker itself enforces the separation: real RabbitMQ, a fresh vhost, real credentials.

Each test connects as a service or partner user built by `service_amqp_url`, so these tests
also prove that the password hashes in the definitions are the ones RabbitMQ accepts.
A broker that cannot be reached or provisioned fails these tests; nothing is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel
from aiormq.exceptions import ChannelAccessRefused
from pamqp.commands import Basic

from siquan.contracts.topology import (
    PARTNERS,
    PARTNERS_EXCHANGE,
    SERVICES,
    SUBSCRIPTIONS,
    RoutingKey,
    exchange_of,
    partner,
)
from siquan.shared.credentials import CredentialStore
from siquan.shared.provision import (
    DEFAULT_AMQP_URL,
    apply_broker,
    drop_broker,
    rabbitmqctl,
    service_amqp_url,
)


def _store(vhost: str) -> CredentialStore:
    """The passwords generated for this test vhost's own users (found again by its name)."""
    return CredentialStore(Path(tempfile.gettempdir()) / "siquan-test-credentials" / vhost)


def _prefix(vhost: str) -> str:
    return f"{vhost}."


@pytest.fixture(scope="module")
def vhost() -> Iterator[str]:
    name = f"siquan_test_{uuid.uuid4().hex[:12]}"
    apply_broker(name, _store(name), user_prefix=_prefix(name))
    try:
        yield name
    finally:
        drop_broker(name, user_prefix=_prefix(name))
        shutil.rmtree(_store(name).directory, ignore_errors=True)


@pytest.fixture
def passwords(vhost: str) -> CredentialStore:
    return _store(vhost)


@asynccontextmanager
async def channel_of(user: str, vhost: str) -> AsyncIterator[AbstractChannel]:
    admin_url = os.environ.get("SIQUAN_AMQP_URL", DEFAULT_AMQP_URL)
    connection = await aio_pika.connect(service_amqp_url(user, vhost, admin_url, _store(vhost),
                                                         _prefix(vhost)))
    try:
        yield await connection.channel(publisher_confirms=True)
    finally:
        await connection.close()


async def publish(channel: AbstractChannel, exchange: str, routing_key: str) -> object:
    target = await channel.get_exchange(exchange, ensure=False)
    return await target.publish(aio_pika.Message(b"{}"), routing_key=routing_key, mandatory=True)


async def bind_new_queue(channel: AbstractChannel, exchange: str, key: str) -> object:
    queue = await channel.declare_queue(f"siquan.partner.education.{uuid.uuid4().hex[:8]}",
                                        exclusive=True)
    return await queue.bind(exchange, routing_key=key)


async def assert_refused(user: str, vhost: str,
                         action: Callable[[AbstractChannel], Awaitable[object]]) -> None:
    async with channel_of(user, vhost) as channel:
        with pytest.raises(ChannelAccessRefused) as refused:
            await action(channel)
        # aiormq maps reply code 403 to ChannelAccessRefused and keeps the reply text.
        assert str(refused.value.args[0]).startswith("ACCESS_REFUSED")
        assert channel.is_closed


async def test_disbursement_cannot_publish_a_certification(vhost: str) -> None:
    await assert_refused("disbursement", vhost, lambda channel: publish(
        channel, exchange_of("eligibility"), RoutingKey.CERTIFICATION_GRANTED))


async def test_eligibility_can_publish_a_certification(vhost: str) -> None:
    async with channel_of("eligibility", vhost) as channel:
        confirmation = await publish(channel, exchange_of("eligibility"),
                                     RoutingKey.CERTIFICATION_GRANTED)

    assert isinstance(confirmation, Basic.Ack)


@pytest.mark.parametrize("service", ["eligibility", "fund_custody", "disbursement", "oversight"])
async def test_a_service_cannot_publish_another_producers_routing_key_on_its_own_exchange(
        vhost: str, service: str) -> None:
    foreign = RoutingKey.PAYMENTS_SETTLED if service != "disbursement" \
        else RoutingKey.CERTIFICATION_GRANTED
    await assert_refused(service, vhost,
                         lambda channel: publish(channel, exchange_of(service), foreign))


@pytest.mark.parametrize("action", [
    lambda ch: ch.exchange_delete("siquan.eligibility"),
    lambda ch: ch.declare_exchange("siquan.eligibility.extra", aio_pika.ExchangeType.TOPIC),
    lambda ch: ch.declare_queue("siquan.eligibility.extra", durable=True),
    lambda ch: ch.queue_delete("siquan.eligibility.from-oversight"),
    lambda ch: rebind(ch, "siquan.eligibility.from-oversight", "siquan.oversight", "#"),
    lambda ch: rebind(ch, "siquan.eligibility.from-oversight", "siquan.eligibility", "#"),
], ids=["delete-exchange", "declare-exchange", "declare-queue", "delete-queue",
        "bind-other-exchange", "bind-own-exchange"])
async def test_a_service_cannot_declare_delete_or_rebind_anything(vhost: str, action: Any) -> None:
    await assert_refused("eligibility", vhost, action)


async def rebind(channel: AbstractChannel, queue: str, exchange: str, key: str) -> object:
    target = await channel.get_queue(queue, ensure=False)
    return await target.bind(exchange, routing_key=key)


@pytest.mark.parametrize("key", [RoutingKey.DEATH_REPORTED, RoutingKey.DEATH_REPORTED_V2])
async def test_public_security_publishes_a_death_report_on_its_own_exchange(
        vhost: str, key: str) -> None:
    async with channel_of("partner_public_security", vhost) as channel:
        confirmation = await publish(channel, exchange_of("partner.public_security"), key)
    assert isinstance(confirmation, Basic.Ack)


@pytest.mark.parametrize("key", ["death.reported.v3", "death.reported", "death.reported.#",
                                 "death.reported.v2.extra", "audit.checkpoint.v1"])
async def test_public_security_publishes_no_other_key_on_its_own_exchange(
        vhost: str, key: str) -> None:
    await assert_refused("partner_public_security", vhost,
                         lambda ch: publish(ch, exchange_of("partner.public_security"), key))


def test_a_death_report_by_resident_id_is_bound_to_eligibility_alone(vhost: str) -> None:
    listed = rabbitmqctl("-q", "list_bindings", "-p", vhost, "--formatter", "json",
                         "source_name", "destination_name", "routing_key")
    bindings = [b for b in json.loads(listed)
                if b["source_name"] == exchange_of("partner.public_security")]
    reading_v2 = {b["destination_name"] for b in bindings
                  if _topic_matches(b["routing_key"], RoutingKey.DEATH_REPORTED_V2)}
    assert reading_v2 == {"siquan.eligibility.from-public_security"}
    reading_v1 = {b["destination_name"] for b in bindings
                  if _topic_matches(b["routing_key"], RoutingKey.DEATH_REPORTED)}
    assert "siquan.oversight.audit-partner.public_security" in reading_v1


def _topic_matches(binding: str, key: str) -> bool:
    """Whether a topic binding key takes a routing key (`*` one word, `#` any words)."""
    def match(pattern: list[str], words: list[str]) -> bool:
        if not pattern:
            return not words
        if pattern[0] == "#":
            return any(match(pattern[1:], words[i:]) for i in range(len(words) + 1))
        return bool(words) and pattern[0] in ("*", words[0]) and match(pattern[1:], words[1:])
    return match(binding.split("."), key.split("."))


@pytest.mark.parametrize("action", [
    lambda ch: publish(ch, exchange_of("partner.public_security"),
                       RoutingKey.CERTIFICATION_GRANTED),
    lambda ch: ch.exchange_delete(exchange_of("partner.public_security")),
    lambda ch: ch.declare_exchange(exchange_of("partner.public_security"),
                                   aio_pika.ExchangeType.TOPIC, durable=True),
    lambda ch: rebind(ch, "siquan.eligibility.from-public_security",
                      exchange_of("partner.public_security"), "#"),
], ids=["foreign-key", "delete-own-exchange", "redeclare-own-exchange", "bind"])
async def test_public_security_cannot_break_the_death_feed_for_everyone(
        vhost: str, action: Any) -> None:
    await assert_refused("partner_public_security", vhost, action)


async def test_the_death_feed_still_reaches_every_consumer_after_the_attempts(vhost: str) -> None:
    listed = rabbitmqctl("-q", "list_bindings", "-p", vhost, "--formatter", "json",
                         "source_name", "destination_name", "routing_key")
    bound = {b["destination_name"] for b in json.loads(listed)
             if b["source_name"] == exchange_of("partner.public_security")}
    assert {s.queue for s in SUBSCRIPTIONS if s.producer == "partner.public_security"} <= bound


EDUCATION_STARTED = "education.certification.started.v1"
CIVIL_AFFAIRS_STARTED = "civil_affairs.certification.started.v1"


async def test_a_partner_reads_its_own_projection_and_nothing_else(vhost: str) -> None:
    async with channel_of("eligibility", vhost) as channel:
        for key in (EDUCATION_STARTED, CIVIL_AFFAIRS_STARTED):
            assert isinstance(await publish(channel, PARTNERS_EXCHANGE, key), Basic.Ack)
        await publish(channel, exchange_of("eligibility"), RoutingKey.CERTIFICATION_GRANTED)
    async with channel_of("partner_education", vhost) as channel:
        queue = await channel.get_queue(partner("education").projection_queue, ensure=False)
        got = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            got.append(message.routing_key)
    assert got == [EDUCATION_STARTED]


async def test_eligibility_publishes_only_projection_keys_on_the_partners_exchange(
        vhost: str) -> None:
    await assert_refused("eligibility", vhost, lambda channel: publish(
        channel, PARTNERS_EXCHANGE, RoutingKey.CERTIFICATION_GRANTED))


@pytest.mark.parametrize("service", ["fund_custody", "disbursement", "oversight"])
async def test_no_other_service_publishes_a_projection(vhost: str, service: str) -> None:
    await assert_refused(service, vhost, lambda channel: publish(
        channel, PARTNERS_EXCHANGE, EDUCATION_STARTED))


def _internal_queues() -> list[str]:
    return sorted({s.queue for s in SUBSCRIPTIONS} | {f"siquan.{svc}.dead-letters"
                                                       for svc in SERVICES})


@pytest.mark.parametrize("user", [g.user for g in PARTNERS])
async def test_no_partner_reads_an_internal_queue_or_another_agencys_projection(
        vhost: str, user: str) -> None:
    own = next(g for g in PARTNERS if g.user == user)
    foreign = [g.projection_queue for g in PARTNERS if g != own]
    for queue in [*_internal_queues(), *foreign]:
        await assert_refused(user, vhost, lambda channel, q=queue: consume_once(channel, q))


@pytest.mark.parametrize("user", [g.user for g in PARTNERS])
async def test_no_partner_binds_an_internal_exchange_or_another_agencys_keys(
        vhost: str, user: str) -> None:
    own = next(g for g in PARTNERS if g.user == user)
    targets = [(exchange_of(p), "#") for p in SERVICES]
    targets += [(PARTNERS_EXCHANGE, f"{g.partner}.#") for g in PARTNERS if g != own]
    for exchange, key in targets:
        await assert_refused(user, vhost, lambda channel, e=exchange, k=key: rebind(
            channel, own.projection_queue, e, k))
        await assert_refused(user, vhost, lambda channel, e=exchange, k=key: bind_new_queue(
            channel, e, k))


@pytest.mark.parametrize("action", [
    lambda ch: bind_new_queue(ch, exchange_of("eligibility"), RoutingKey.CERTIFICATION_GRANTED),
    lambda ch: rebind(ch, partner("education").projection_queue, PARTNERS_EXCHANGE, "#"),
    lambda ch: consume_once(ch, partner("civil_affairs").projection_queue),
    lambda ch: consume_once(ch, "siquan.disbursement.from-eligibility"),
], ids=["declare-and-bind", "widen-own-binding", "another-partners-queue", "a-service-queue"])
async def test_a_partner_cannot_widen_what_it_reads(vhost: str, action: Any) -> None:
    await assert_refused("partner_education", vhost, action)


async def consume_once(channel: AbstractChannel, queue: str) -> object:
    target = await channel.get_queue(queue, ensure=False)
    return await target.get(no_ack=True, fail=False)


@pytest.mark.parametrize(("exchange", "key"), [
    (exchange_of("eligibility"), RoutingKey.CERTIFICATION_GRANTED),
    (exchange_of("partner.public_security"), RoutingKey.DEATH_REPORTED),
    (PARTNERS_EXCHANGE, EDUCATION_STARTED),
    ("", "siquan.partner.education.anything"),
])
async def test_a_read_only_partner_cannot_publish_anywhere(
        vhost: str, exchange: str, key: str) -> None:
    await assert_refused("partner_education", vhost,
                         lambda channel: publish(channel, exchange, key))


def test_applying_the_definitions_again_changes_nothing(
        vhost: str, passwords: CredentialStore) -> None:
    before = queues_in(vhost)

    apply_broker(vhost, passwords, user_prefix=_prefix(vhost))

    assert queues_in(vhost) == before
    assert {s.queue: "quorum" for s in SUBSCRIPTIONS}.items() <= before.items()


def queues_in(vhost: str) -> dict[str, str]:
    listed = rabbitmqctl("-q", "list_queues", "-p", vhost, "--formatter", "json", "name", "type")
    return {q["name"]: q["type"] for q in json.loads(listed)}
