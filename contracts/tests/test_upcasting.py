"""Upcasters read an older major version of a message as a newer one, step by step."""

from collections.abc import Iterator
from typing import ClassVar

import pytest
from pydantic import Field

from siquan.contracts import upcasting
from siquan.contracts.base import Event
from siquan.contracts.upcasting import older_keys, path, register_upcaster, upcast, upcaster


class _Test(Event):
    producer: ClassVar[str] = "test"


class ParcelSentV1(_Test):
    routing_key = "parcel.sent.v1"
    parcel_id: str = Field(description="Parcel")
    weight_g: int = Field(description="Weight in grams")


class ParcelSentV2(_Test):
    routing_key = "parcel.sent.v2"
    parcel_id: str = Field(description="Parcel")
    weight_mg: int = Field(description="Weight in milligrams")


class ParcelSentV3(_Test):
    routing_key = "parcel.sent.v3"
    parcel_id: str = Field(description="Parcel")
    weight_mg: int = Field(description="Weight in milligrams")
    carrier: str = Field(description="Carrier")


class OtherProducersParcel(Event):
    producer: ClassVar[str] = "someone-else"
    routing_key = "parcel.sent.v2"
    parcel_id: str = Field(description="Parcel")


@pytest.fixture(autouse=True)
def upcasters(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(upcasting, "_UPCASTERS", {})

    @upcaster(ParcelSentV1, ParcelSentV2)
    def upcast_v1_v2(old: ParcelSentV1) -> ParcelSentV2:
        return ParcelSentV2(parcel_id=old.parcel_id, weight_mg=old.weight_g * 1000)

    @upcaster(ParcelSentV2, ParcelSentV3)
    def upcast_v2_v3(old: ParcelSentV2) -> ParcelSentV3:
        return ParcelSentV3(parcel_id=old.parcel_id, weight_mg=old.weight_mg, carrier="post")

    yield


def test_an_old_message_is_read_as_the_newest_version_through_each_step() -> None:
    newest = upcast(ParcelSentV1(parcel_id="p1", weight_g=250), ParcelSentV3)

    assert newest == ParcelSentV3(parcel_id="p1", weight_mg=250_000, carrier="post")


def test_a_message_already_in_the_wanted_version_is_itself() -> None:
    event = ParcelSentV2(parcel_id="p1", weight_mg=5)

    assert upcast(event, ParcelSentV2) is event


def test_the_older_keys_of_a_version_are_every_one_that_leads_to_it_newest_first() -> None:
    assert older_keys("parcel.sent.v3") == ("parcel.sent.v2", "parcel.sent.v1")
    assert older_keys("parcel.sent.v1") == ()
    assert [s.target for s in path("parcel.sent.v1", "parcel.sent.v3")] == [
        "parcel.sent.v2", "parcel.sent.v3"]


def test_a_newer_message_is_never_read_as_an_older_one() -> None:
    with pytest.raises(KeyError, match="no upcaster"):
        upcast(ParcelSentV3(parcel_id="p1", weight_mg=1, carrier="post"), ParcelSentV1)


@pytest.mark.parametrize("source,target", [(ParcelSentV1, ParcelSentV3),
                                           (ParcelSentV2, ParcelSentV1),
                                           (ParcelSentV1, OtherProducersParcel)])
def test_an_upcaster_reads_one_version_as_the_next_of_the_same_producer_only(
        source: type[Event], target: type[Event]) -> None:
    with pytest.raises(ValueError, match="one major version as the next"):
        register_upcaster(source, target, lambda old: old)


def test_an_upcaster_that_returns_another_version_than_it_says_is_refused() -> None:
    register_upcaster(ParcelSentV1, ParcelSentV2, lambda old: old)

    with pytest.raises(TypeError, match="returned ParcelSentV1"):
        upcast(ParcelSentV1(parcel_id="p1", weight_g=1), ParcelSentV2)
