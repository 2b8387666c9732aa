"""A queue whose handler takes the newest version of a message also binds the older
versions an upcaster reads, and admission hands the handler the version it takes; a
message with a field the reader does not know is admitted without it."""

import base64
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from siquan.contracts.public_security_v1 import DeathReported
from siquan.shared.clock import FixedClock
from siquan.shared.consumer import Admission, Rejected
from siquan.shared.outbox import Outbox, new_message_id
from siquan.shared.registry import HandlerRegistry, Route, handles
from siquan.shared.signing import Verifier, load_private_key, load_public_keys, sign, write_keypair

PRODUCER = "partner.public_security"
CLOCK = FixedClock(datetime(2026, 12, 1, tzinfo=UTC))
DEATH = DeathReported(report_id="r1", person_key="a" * 64, date_of_death=date(2026, 5, 3))


class _Raw:
    def __init__(self, message_id: str, headers: dict[str, Any], body: bytes) -> None:
        self.message_id, self.headers, self.body = message_id, headers, body


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    write_keypair(tmp_path, PRODUCER)
    return tmp_path


def _signed(keys: Path, event: Any) -> _Raw:
    outbox = Outbox(PRODUCER, load_private_key(keys / f"{PRODUCER}.key"), clock=CLOCK)
    message_id = new_message_id()
    headers, body = outbox.envelope(event, message_id=message_id, correlation_id=None,
                                    causation_id=None)
    return _Raw(message_id, headers, body)


def _with_body(keys: Path, raw: _Raw, body: bytes) -> _Raw:
    """The same message with another body, signed again by its producer."""
    headers = {k: v for k, v in raw.headers.items() if k != "x-siquan-signature"}
    headers["x-siquan-signature"] = sign(load_private_key(keys / f"{PRODUCER}.key"),
                                         raw.message_id, headers, body)
    return _Raw(raw.message_id, headers, body)


def _route(*handlers: Any) -> Route:
    return HandlerRegistry.collect("eligibility", handlers).routes()[0]


def _admission(route: Route, keys: Path) -> Admission:
    return Admission(route, Verifier(load_public_keys(keys)), CLOCK)


def _handler() -> Any:
    async def stop_paying(event: Any, uow: Any) -> None:
        raise AssertionError("admission calls no handler")

    return stop_paying


def test_a_queue_whose_handler_takes_v2_binds_v1_too(death_reported_v2: Any) -> None:
    stop_paying = _handler()
    route = _route(handles(death_reported_v2)(stop_paying))

    assert route.subscription.queue == "siquan.eligibility.from-public_security"
    assert route.subscription.binding_keys == ("death.reported.v1", "death.reported.v2")
    assert route.handlers_for("death.reported.v1") == (stop_paying,)
    assert route.reads_as == {"death.reported.v1": death_reported_v2}


def test_without_an_upcaster_a_v1_handler_binds_only_v1() -> None:
    route = _route(handles(DeathReported)(_handler()))

    assert route.subscription.binding_keys == ("death.reported.v1",)
    assert route.reads_as == {}


def test_one_service_cannot_take_two_versions_of_a_message(death_reported_v2: Any) -> None:
    with pytest.raises(ValueError, match="both as DeathReported and as DeathReportedV2"):
        _route(handles(DeathReported)(_handler()), handles(death_reported_v2)(_handler()))


def test_admission_hands_a_v2_handler_a_v1_message_read_as_v2(
        keys: Path, death_reported_v2: Any) -> None:
    route = _route(handles(death_reported_v2)(_handler()))

    delivery = _admission(route, keys).admit(_signed(keys, DEATH))  # type: ignore[arg-type]

    assert delivery.message_type == "death.reported.v1"
    assert delivery.event == death_reported_v2(report_id="r1", person_key="a" * 64,
                                               died_on="2026-05-03",
                                               recorded_by="household_register")


def test_admission_hands_a_v2_message_to_a_v2_handler_as_it_came(
        keys: Path, death_reported_v2: Any) -> None:
    route = _route(handles(death_reported_v2)(_handler()))
    v2 = death_reported_v2(report_id="r2", person_key="b" * 64, died_on="2026-06-01",
                           recorded_by="hospital")

    delivery = _admission(route, keys).admit(_signed(keys, v2))  # type: ignore[arg-type]

    assert delivery.event == v2


def test_admission_reads_a_message_carrying_a_field_added_after_this_reader(
        keys: Path) -> None:
    raw = _signed(keys, DEATH)
    wider = json.dumps({**json.loads(raw.body), "cause": "illness"}).encode()

    delivery = _admission(_route(handles(DeathReported)(_handler())), keys).admit(
        _with_body(keys, raw, wider))  # type: ignore[arg-type]

    assert delivery.event == DEATH
    assert delivery.body == wider


def test_admission_still_refuses_a_message_that_breaks_the_fields_it_knows(keys: Path) -> None:
    raw = _signed(keys, DEATH)
    broken = json.dumps({**json.loads(raw.body), "person_key": "x"}).encode()

    with pytest.raises(Rejected, match="ValidationError: 1 error"):
        _admission(_route(handles(DeathReported)(_handler())), keys).admit(
            _with_body(keys, raw, broken))  # type: ignore[arg-type]


def test_a_forged_body_is_refused_before_any_reading(keys: Path) -> None:
    raw = _signed(keys, DEATH)
    raw.body = base64.b64encode(raw.body)

    with pytest.raises(Rejected, match="SignatureError"):
        _admission(_route(handles(DeathReported)(_handler())), keys).admit(
            raw)  # type: ignore[arg-type]
