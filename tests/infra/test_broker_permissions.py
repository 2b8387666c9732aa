"""The broker itself enforces the separation: real RabbitMQ, a fresh vhost, real credentials.

Each test connects as a service or partner user built by `service_amqp_url`, so these tests
also prove that the password hashes in the definitions are the ones RabbitMQ accepts.
A broker that cannot be reached or provisioned fails these tests; nothing is skipped.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel
from aiormq.exceptions import ChannelAccessRefused
from pamqp.commands import Basic, Queue

from siquan.contracts.topology import SUBSCRIPTIONS, RoutingKey, exchange_of
from siquan.shared.provision import (
    DEFAULT_AMQP_URL,
    apply_broker,
    drop_broker,
    rabbitmqctl,
    service_amqp_url,
)


@pytest.fixture(scope="module")
def vhost() -> Iterator[str]:
    name = f"siquan_test_{uuid.uuid4().hex[:12]}"
    apply_broker(name)
    try:
        yield name
    finally:
        drop_broker(name)


@asynccontextmanager
async def channel_of(user: str, vhost: str) -> AsyncIterator[AbstractChannel]:
    admin_url = os.environ.get("SIQUAN_AMQP_URL", DEFAULT_AMQP_URL)
    connection = await aio_pika.connect(service_amqp_url(user, vhost, admin_url))
    try:
        yield await connection.channel(publisher_confirms=True)
    finally:
        await connection.close()


async def publish(channel: AbstractChannel, exchange: str, routing_key: str) -> object:
    target = await channel.get_exchange(exchange, ensure=False)
    return await target.publish(aio_pika.Message(b"{}"), routing_key=routing_key, mandatory=True)


async def bind_own_queue(channel: AbstractChannel, exchange: str, key: str) -> object:
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


async def test_a_partner_binds_its_own_queue_with_a_granted_key(vhost: str) -> None:
    async with channel_of("partner_education", vhost) as channel:
        bound = await bind_own_queue(channel, exchange_of("eligibility"),
                                     RoutingKey.CERTIFICATION_GRANTED)

    assert isinstance(bound, Queue.BindOk)


@pytest.mark.parametrize("key", ["#", "certification.#", RoutingKey.PAYMENTS_SETTLED])
async def test_a_partner_cannot_bind_keys_it_is_not_granted(vhost: str, key: str) -> None:
    await assert_refused("partner_education", vhost,
                         lambda channel: bind_own_queue(channel, exchange_of("eligibility"), key))


async def test_a_partner_cannot_bind_to_an_exchange_it_is_not_granted(vhost: str) -> None:
    await assert_refused("partner_education", vhost, lambda channel: bind_own_queue(
        channel, exchange_of("disbursement"), RoutingKey.PAYMENTS_SETTLED))


@pytest.mark.parametrize(("exchange", "key"), [
    (exchange_of("eligibility"), RoutingKey.CERTIFICATION_GRANTED),
    (exchange_of("partner.public_security"), RoutingKey.DEATH_REPORTED),
    ("", "siquan.partner.education.anything"),
])
async def test_a_read_only_partner_cannot_publish_anywhere(
        vhost: str, exchange: str, key: str) -> None:
    await assert_refused("partner_education", vhost,
                         lambda channel: publish(channel, exchange, key))


def test_applying_the_definitions_again_changes_nothing(vhost: str) -> None:
    before = queues_in(vhost)

    apply_broker(vhost)

    assert queues_in(vhost) == before
    assert {s.queue: "quorum" for s in SUBSCRIPTIONS}.items() <= before.items()


def queues_in(vhost: str) -> dict[str, str]:
    listed = rabbitmqctl("-q", "list_queues", "-p", vhost, "--formatter", "json", "name", "type")
    return {q["name"]: q["type"] for q in json.loads(listed)}
