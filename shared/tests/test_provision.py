"""The broker definitions and connection strings, checked without any server."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest

from siquan.contracts.topology import (
    PARTNERS,
    SERVICES,
    SUBSCRIPTIONS,
    dead_letter_exchange_of,
    dead_letter_queue_of,
    exchange_of,
)
from siquan.shared.broker_definitions import (
    HASHING_ALGORITHM,
    broker_definitions,
    dev_password,
    password_salt,
    rabbit_password_hash,
)
from siquan.shared.provision import init_sql, service_amqp_url, service_dsn

VHOST = "siquan"


@pytest.fixture
def definitions(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    for user in (*SERVICES, *(p.user for p in PARTNERS)):
        monkeypatch.delenv(f"SIQUAN_BROKER_PASSWORD_{user.upper()}", raising=False)
    return broker_definitions(VHOST)


def exchange_names(definitions: dict[str, Any]) -> set[str]:
    return {e["name"] for e in definitions["exchanges"]}


def permission_of(definitions: dict[str, Any], user: str) -> dict[str, str]:
    (permission,) = (p for p in definitions["permissions"] if p["user"] == user)
    return dict(permission)


def test_a_password_hash_is_the_salt_then_sha256_of_salt_and_password() -> None:
    salt = bytes.fromhex("908dc60a")

    decoded = base64.b64decode(rabbit_password_hash("test12", salt))

    assert decoded[:4] == salt
    assert decoded[4:] == hashlib.sha256(salt + b"test12").digest()


def test_every_user_has_a_stable_hash_of_its_dev_password(definitions: dict[str, Any]) -> None:
    users = {u["name"]: u for u in definitions["users"]}

    assert set(users) == {*SERVICES, *(p.user for p in PARTNERS)}
    for name, user in users.items():
        assert user["hashing_algorithm"] == HASHING_ALGORITHM
        assert user["password_hash"] == rabbit_password_hash(dev_password(name),
                                                             password_salt(name))


def test_a_password_from_the_environment_replaces_the_dev_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIQUAN_BROKER_PASSWORD_FUND_CUSTODY", "s3cret")

    (user,) = (u for u in broker_definitions(VHOST)["users"] if u["name"] == "fund_custody")

    assert user["password_hash"] == rabbit_password_hash("s3cret", password_salt("fund_custody"))
    assert "fund_custody:s3cret@" in service_amqp_url("fund_custody", VHOST)


def test_every_subscription_queue_is_quorum_with_its_consumers_dlx(
        definitions: dict[str, Any]) -> None:
    queues = {q["name"]: q for q in definitions["queues"]}

    for sub in SUBSCRIPTIONS:
        assert queues[sub.queue]["durable"] is True
        assert queues[sub.queue]["arguments"] == {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": dead_letter_exchange_of(sub.consumer),
        }


def test_every_dead_letter_queue_is_quorum_and_bound_to_its_dlx_with_hash(
        definitions: dict[str, Any]) -> None:
    queues = {q["name"]: q for q in definitions["queues"]}
    bindings = {(b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]}

    for svc in SERVICES:
        assert queues[dead_letter_queue_of(svc)]["arguments"] == {"x-queue-type": "quorum"}
        assert (dead_letter_exchange_of(svc), dead_letter_queue_of(svc), "#") in bindings


def test_no_service_or_partner_may_configure_anything(definitions: dict[str, Any]) -> None:
    names = exchange_names(definitions) | {q["name"] for q in definitions["queues"]}

    for permission in definitions["permissions"]:
        assert not any(re.fullmatch(permission["configure"], n) for n in names), permission


def test_a_service_writes_only_its_own_exchanges_and_never_a_queue(
        definitions: dict[str, Any]) -> None:
    names = exchange_names(definitions) | {q["name"] for q in definitions["queues"]}

    for svc in SERVICES:
        write = permission_of(definitions, svc)["write"]
        writable = {n for n in names if re.fullmatch(write, n)}
        assert writable == {exchange_of(svc), f"siquan.{svc}.dlx", f"siquan.{svc}.replay"}


def test_a_service_publishes_only_the_routing_keys_its_contracts_define(
        definitions: dict[str, Any]) -> None:
    topic = {(t["user"], t["exchange"]): t for t in definitions["topic_permissions"]}

    write = topic[("eligibility", exchange_of("eligibility"))]["write"]
    assert re.fullmatch(write, "certification.granted.v1")
    assert not re.fullmatch(write, "payments.settled.v1")
    assert not re.fullmatch(write, "certification.granted.v1.x")
    disbursement = topic[("disbursement", exchange_of("disbursement"))]["write"]
    assert re.fullmatch(disbursement, "payments.settled.v1")
    assert not re.fullmatch(disbursement, "certification.granted.v1")


def test_a_service_reads_only_its_own_queues(definitions: dict[str, Any]) -> None:
    queues = {q["name"] for q in definitions["queues"]}

    for svc in SERVICES:
        read = permission_of(definitions, svc)["read"]
        readable = {q for q in queues if re.fullmatch(read, q)}
        assert readable == {s.queue for s in SUBSCRIPTIONS if s.consumer == svc} | {
            dead_letter_queue_of(svc)}


def test_partners_read_their_own_queues_bound_to_granted_keys_and_write_only_their_exchange(
        definitions: dict[str, Any]) -> None:
    names = exchange_names(definitions)
    bindings = [b for b in definitions["bindings"]
                if b["destination"].startswith("siquan.partner.")]
    topic = {(t["user"], t["exchange"]): t for t in definitions["topic_permissions"]}

    for grant in PARTNERS:
        write = permission_of(definitions, grant.user)["write"]
        assert {n for n in names if re.fullmatch(write, n)} == (
            {grant.exchange} if grant.publishes else set())
        for producer, allowed in grant.reads.items():
            keys = {b["routing_key"] for b in bindings
                    if b["destination"] == f"{grant.queue_prefix()}from-{producer}"}
            assert keys and all(re.fullmatch(allowed, k) for k in keys)
    death = topic[("partner_public_security", exchange_of("partner.public_security"))]["write"]
    assert re.fullmatch(death, "death.reported.v1")
    assert not re.fullmatch(death, "certification.granted.v1")


def test_bindings_cover_every_key_and_the_replay_exchange(definitions: dict[str, Any]) -> None:
    bindings = {(b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]}

    for sub in SUBSCRIPTIONS:
        assert {(sub.exchange, sub.queue, key) for key in sub.binding_keys} <= bindings
        assert (f"siquan.{sub.consumer}.replay", sub.queue, sub.queue) in bindings


def test_connection_strings_keep_the_admin_host_and_use_the_service_credentials() -> None:
    dsn = service_dsn("fund_custody", "siquan", "postgresql://postgres@db.local:6543/postgres")
    url = service_amqp_url("partner_education", "siquan_x", "amqp://guest:guest@mq:5673/")

    assert dsn == ("postgresql://siquan_fund_custody:siquan-siquan_fund_custody-dev"
                   "@db.local:6543/siquan_fund_custody")
    assert url == "amqp://partner_education:siquan-partner_education-dev@mq:5673/siquan_x"


def test_the_init_script_creates_every_role_and_database() -> None:
    script = init_sql("siquan")

    for svc in SERVICES:
        assert f'CREATE ROLE "siquan_{svc}" LOGIN' in script
        assert f'CREATE DATABASE "siquan_{svc}" OWNER "siquan_{svc}"' in script
    assert 'CREATE DATABASE "siquan_banksim" OWNER "siquan_disbursement"' in script
