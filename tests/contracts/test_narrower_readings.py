"""A handler may take a message as a narrower reading of its contract — of a part the
message holds by the thousand, only the fields the handler uses: admission reads it so,
checking what the reading declares as strictly as ever and leaving the rest unread. A class
that is no reading of the contract, or a reading of a type that is read whole, is refused
when the registry is built."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from siquan.contracts.base import Contract, Event
from siquan.contracts.disbursement_v1 import PaymentsSettled, SettledPayment
from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.contracts.types import Fen
from siquan.shared.clock import FixedClock
from siquan.shared.consumer import Admission, Delivery, Rejected
from siquan.shared.outbox import Outbox, new_message_id
from siquan.shared.registry import HandlerRegistry, Route, handles
from siquan.shared.signing import (
    Verifier,
    load_private_key,
    load_public_keys,
    sign,
    write_keypair,
)
from siquan.shared.testing.deliveries import RawDelivery

PRODUCER = "disbursement"
CLOCK = FixedClock(datetime(2026, 12, 1, tzinfo=UTC))
CHUNK = PaymentsSettled(
    run_id="0196f0a1-0000-7000-8000-000000000001", program_code="special_assistance",
    period="2026-11", division_code="420117", chunk=0, payments=tuple(
        SettledPayment(payment_id=f"p{n}", person_key=f"{n:x}" * 64,
                       certification_id=f"c{n}", item="benefit", amount_fen=21_000 + n,
                       bank_reference=f"R{n}")
        for n in range(3)))


class Amount(Contract):
    amount_fen: Fen


class SettledAmounts(PaymentsSettled):
    payments: tuple[Amount, ...]  # type: ignore[assignment]


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    write_keypair(tmp_path, PRODUCER)
    return tmp_path


def _signed(keys: Path, body: dict[str, Any]) -> RawDelivery:
    """A settled chunk with this body, signed by disbursement (the body may break the
    contract, as a faulty producer's would)."""
    key = load_private_key(keys / f"{PRODUCER}.key")
    message_id = new_message_id()
    headers, _ = Outbox(PRODUCER, key, clock=CLOCK).envelope(
        CHUNK, message_id=message_id, correlation_id=None, causation_id=None)
    raw = json.dumps(body).encode()
    headers = {k: v for k, v in headers.items() if k != "x-siquan-signature"}
    headers["x-siquan-signature"] = sign(key, message_id, headers, raw)
    return RawDelivery(message_id, headers, raw)


def _pay() -> Any:
    """A new handler (`handles` marks the function it is given)."""
    async def pay(event: Any, uow: Any) -> None:
        raise AssertionError("admission calls no handler")

    return pay


def _route(event: type[Event]) -> Route:
    return HandlerRegistry.collect("fund_custody", [handles(event)(_pay())]).routes()[0]


def _admit(keys: Path, route: Route, body: dict[str, Any]) -> Delivery:
    admission = Admission(route, Verifier(load_public_keys(keys)), CLOCK)
    return admission.admit(_signed(keys, body))  # type: ignore[arg-type]


def _body(**payment: Any) -> dict[str, Any]:
    body = CHUNK.model_dump(mode="json")
    body["payments"][0].update(payment)
    return body


def test_the_queue_reads_the_message_as_the_handlers_reading(keys: Path) -> None:
    route = _route(SettledAmounts)
    assert dict(route.narrowed) == {"payments.settled.v1": SettledAmounts}

    delivery = _admit(keys, route, _body())

    assert isinstance(delivery.event, SettledAmounts)
    assert delivery.event.payments == (Amount(amount_fen=21_000), Amount(amount_fen=21_001),
                                       Amount(amount_fen=21_002))
    assert delivery.event.run_id == CHUNK.run_id
    assert json.loads(delivery.body) == CHUNK.model_dump(mode="json")  # kept whole


def test_a_reading_leaves_unread_what_it_does_not_declare(keys: Path) -> None:
    delivery = _admit(keys, _route(SettledAmounts), _body(person_key="not a key"))

    assert delivery.event.payments[0] == Amount(amount_fen=21_000)
    with pytest.raises(Rejected, match="ValidationError: 1 error"):  # the contract, whole
        _admit(keys, _route(PaymentsSettled), _body(person_key="not a key"))


def test_a_reading_checks_what_it_declares_and_the_message_beyond_its_parts(
        keys: Path) -> None:
    with pytest.raises(Rejected, match=r"payments\.0\.amount_fen"):
        _admit(keys, _route(SettledAmounts), _body(amount_fen=-1))
    with pytest.raises(Rejected, match="period"):
        _admit(keys, _route(SettledAmounts), {**_body(), "period": "November"})


def test_a_class_that_is_no_reading_of_the_contract_is_refused() -> None:
    class Elsewhere(Event):
        producer = PRODUCER
        routing_key = PaymentsSettled.routing_key
        run_id: str

    with pytest.raises(ValueError, match="is not a reading of PaymentsSettled"):
        _route(Elsewhere)


def test_a_type_that_travels_by_the_batch_is_read_whole() -> None:
    class Granted(CertificationGranted):
        pass

    with pytest.raises(ValueError, match="read whole"):
        HandlerRegistry.collect("disbursement", [handles(Granted)(_pay())])
