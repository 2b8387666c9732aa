"""The broker definitions and connection strings, checked without any server."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from siquan.contracts.topology import (
    PARTNERS,
    PARTNERS_EXCHANGE,
    SERVICES,
    SUBSCRIPTIONS,
    dead_letter_exchange_of,
    dead_letter_queue_of,
    exchange_of,
)
from siquan.shared.broker_definitions import (
    HASHING_ALGORITHM,
    DevelopmentPasswords,
    broker_definitions,
    broker_topology,
    rabbit_password_hash,
)
from siquan.shared.credentials import CredentialStore
from siquan.shared.provision import (
    init_sql,
    service_amqp_url,
    service_dsn,
    write_keys,
    write_service_secrets,
)

VHOST = "siquan"


@pytest.fixture
def definitions() -> dict[str, Any]:
    return broker_definitions(VHOST, DevelopmentPasswords())


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


def test_every_user_has_a_salted_hash_of_its_password(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)
    users = {u["name"]: u for u in broker_definitions(VHOST, store)["users"]}

    assert set(users) == {*SERVICES, *(p.user for p in PARTNERS)}
    for name, user in users.items():
        decoded = base64.b64decode(user["password_hash"])
        assert user["hashing_algorithm"] == HASHING_ALGORITHM
        assert decoded[4:] == hashlib.sha256(
            decoded[:4] + store.broker_password(name).encode()).digest()


def test_generated_passwords_are_random_private_and_kept(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)

    first = store.broker_password("eligibility")

    assert first == CredentialStore(tmp_path).broker_password("eligibility")
    assert first != store.broker_password("oversight")
    assert len(first) >= 32 and "dev" not in first
    assert (tmp_path / "broker" / "eligibility").stat().st_mode & 0o777 == 0o600


def test_the_committed_topology_has_no_users_and_no_passwords() -> None:
    topology = broker_topology(VHOST)

    assert "users" not in topology
    assert "password" not in json.dumps(topology)


def test_each_service_gets_only_its_own_secrets_and_private_key(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    write_keys(keys)
    store = CredentialStore(tmp_path / "generated")

    write_service_secrets(tmp_path / "out", store, keys)

    for svc in SERVICES:
        folder = tmp_path / "out" / svc
        assert sorted(p.name for p in (folder / "keys").glob("*.key")) == [f"{svc}.key"]
        assert (folder / "siquan_amqp_url").read_text().startswith(f"amqp://{svc}:")
        assert ((folder / "siquan_person_key_secret").exists()
                is (svc != "fund_custody"))
        assert (folder / "siquan_pg_dsn").stat().st_mode & 0o777 == 0o600
    # the person-key secret goes to the services that derive person keys, never to a
    # partner: public security reports deaths by resident ID
    secret = store.person_key_secret()
    holders = {p.parent.name for p in (tmp_path / "out").rglob("*")
               if p.is_file() and secret in p.read_text("utf-8", errors="replace")}
    assert holders == {"eligibility", "disbursement", "oversight"}


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
        projections = {PARTNERS_EXCHANGE} if svc == "eligibility" else set()
        assert writable == {exchange_of(svc), f"siquan.{svc}.dlx", f"siquan.{svc}.replay",
                            *projections}


def test_a_service_publishes_only_the_routing_keys_its_contracts_define(
        definitions: dict[str, Any]) -> None:
    topic = {(t["user"], t["exchange"]): t for t in definitions["topic_permissions"]}

    write = topic[("eligibility", exchange_of("eligibility"))]["write"]
    assert re.fullmatch(write, "certification.granted.v1")
    assert not re.fullmatch(write, "payments.settled.v1")
    assert not re.fullmatch(write, "certification.granted.v1.x")
    assert not re.fullmatch(write, "education.certification.started.v1")
    projection = topic[("eligibility", PARTNERS_EXCHANGE)]["write"]
    assert re.fullmatch(projection, "education.certification.started.v1")
    assert not re.fullmatch(projection, "certification.granted.v1")
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


def test_partners_read_only_their_projection_bound_to_their_keys_and_write_only_their_exchange(
        definitions: dict[str, Any]) -> None:
    names = exchange_names(definitions)
    queues = {q["name"] for q in definitions["queues"]}
    bindings = [b for b in definitions["bindings"]
                if b["destination"].startswith("siquan.partner.")]
    topic = {(t["user"], t["exchange"]): t for t in definitions["topic_permissions"]}

    assert {b["source"] for b in bindings} == {PARTNERS_EXCHANGE}
    for grant in PARTNERS:
        write = permission_of(definitions, grant.user)["write"]
        assert {n for n in names if re.fullmatch(write, n)} == (
            {grant.exchange} if grant.publishes else set())
        read = permission_of(definitions, grant.user)["read"]
        assert {n for n in names | queues if re.fullmatch(read, n)} == {grant.projection_queue}
        keys = {b["routing_key"] for b in bindings if b["destination"] == grant.projection_queue}
        assert keys and all(k.startswith(f"{grant.partner}.") for k in keys)
    death = topic[("partner_public_security", exchange_of("partner.public_security"))]["write"]
    assert re.fullmatch(death, "death.reported.v1")
    assert re.fullmatch(death, "death.reported.v2")
    assert not re.fullmatch(death, "certification.granted.v1")
    assert not re.fullmatch(death, "death.reported.v3")


def test_bindings_cover_every_key_and_the_replay_exchange(definitions: dict[str, Any]) -> None:
    bindings = {(b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]}

    for sub in SUBSCRIPTIONS:
        assert {(sub.exchange, sub.queue, key) for key in sub.binding_keys} <= bindings
        assert (f"siquan.{sub.consumer}.replay", sub.queue, sub.queue) in bindings


def test_connection_strings_keep_the_admin_host_and_use_the_service_credentials() -> None:
    dev = DevelopmentPasswords()
    dsn = service_dsn("fund_custody", "siquan", "postgresql://postgres@db.local:6543/postgres",
                      dev)
    url = service_amqp_url("partner_education", "siquan_x", "amqp://guest:guest@mq:5673/", dev)

    assert dsn == ("postgresql://siquan_fund_custody:siquan-siquan_fund_custody-dev"
                   "@db.local:6543/siquan_fund_custody")
    assert url == "amqp://partner_education:siquan-partner_education-dev@mq:5673/siquan_x"


def test_the_init_script_creates_every_role_and_database() -> None:
    script = init_sql("siquan", DevelopmentPasswords())

    for svc in SERVICES:
        assert f'CREATE ROLE "siquan_{svc}" LOGIN' in script
        assert f'CREATE DATABASE "siquan_{svc}" OWNER "siquan_{svc}"' in script
    assert 'CREATE DATABASE "siquan_banksim" OWNER "siquan_disbursement"' in script
