"""Producers are strict, readers tolerant: a field added to a message in its major version
reaches consumers that do not know it yet without breaking them."""

import json
from datetime import date
from typing import Any, get_args

import pytest
from pydantic import BaseModel, ValidationError

from siquan.contracts.base import Contract, StrictPart, all_models, read, read_data
from siquan.contracts.eligibility_v1 import NoticeEntry, NoticePublished, PolicyVersionPublished
from siquan.contracts.examples import example_body
from siquan.contracts.policy import PolicyVersion
from siquan.contracts.policy_versions import PolicyChanges
from siquan.contracts.public_security_v1 import DeathReported

DEATH = {"report_id": "r1", "person_key": "a" * 64, "date_of_death": "2026-05-03"}


def _notice(**entry_extra: Any) -> dict[str, Any]:
    entry = {"application_id": "a1", "category": "rural", "masked_name": "张*",
             "masked_resident_id": "1101**********002X", **entry_extra}
    return {"notice_id": "n1", "program_code": "reward_assistance_rural",
            "policy_version": "national-2009", "division_code": "420117",
            "published_on": "2026-11-01", "closes_on": "2026-11-08", "notice_days": 7,
            "published_by": "officer-1", "total_entries": 1, "part": 1, "parts": 1,
            "entries": [entry]}


def test_a_producer_cannot_construct_a_message_with_a_field_its_contract_lacks() -> None:
    with pytest.raises(ValidationError, match="extra_forbidden"):
        DeathReported(**DEATH, cause="illness")  # type: ignore[call-arg]


def test_validating_without_the_reading_context_still_refuses_an_unknown_field() -> None:
    with pytest.raises(ValidationError, match="extra_forbidden"):
        DeathReported.model_validate_json(json.dumps({**DEATH, "cause": "illness"}))


def test_a_reader_ignores_a_field_added_after_its_version_of_the_contract() -> None:
    event = read(DeathReported, json.dumps({**DEATH, "cause": "illness"}).encode())

    assert event == DeathReported(report_id="r1", person_key="a" * 64,
                                  date_of_death=date(2026, 5, 3))


def test_a_reader_ignores_unknown_fields_inside_the_entries_of_a_message() -> None:
    event = read_data(NoticePublished, {**_notice(household_size=3), "board": "village hall"})

    assert event.entries == (NoticeEntry(application_id="a1", category="rural",
                                         masked_name="张*",
                                         masked_resident_id="1101**********002X"),)


def test_a_reader_still_refuses_a_message_without_a_required_field() -> None:
    incomplete = {k: v for k, v in DEATH.items() if k != "date_of_death"}

    with pytest.raises(ValidationError, match="date_of_death"):
        read(DeathReported, json.dumps({**incomplete, "cause": "illness"}))


def test_a_reader_still_checks_the_fields_it_knows() -> None:
    with pytest.raises(ValidationError, match="person_key"):
        read(DeathReported, json.dumps({**DEATH, "person_key": "not a key"}))


def _parts_of(model: type[BaseModel]) -> set[type[BaseModel]]:
    found = {model}
    for info in model.model_fields.values():
        for arg in getattr(info.annotation, "__args__", ()):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                found |= _parts_of(arg)
    return found


def test_every_message_and_every_part_of_one_reads_tolerantly() -> None:
    parts = {part for model in all_models().values() for part in _parts_of(model)}

    assert len(parts) > len(all_models())  # entries and lines are among them
    assert [p.__name__ for p in parts if not issubclass(p, Contract)] == []


def _every_part_of(model: type[BaseModel], found: set[type[BaseModel]]) -> None:
    """Every model a message's fields lead to, however deeply nested."""
    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.add(annotation)
                for info in annotation.model_fields.values():
                    visit(info.annotation)
            return
        for arg in get_args(annotation):
            visit(arg)

    visit(model)


def test_every_part_a_reader_must_not_half_understand_refuses_unknown_fields() -> None:
    parts: set[type[BaseModel]] = set()
    for model in all_models().values():
        _every_part_of(model, parts)

    others = [p.__name__ for p in parts if not issubclass(p, Contract | StrictPart)]
    assert others == []
    assert PolicyVersion in parts and PolicyChanges in parts


def _policy_published(**policy_extra: Any) -> dict[str, Any]:
    example = json.loads(example_body(PolicyVersionPublished))
    example["policy"] = {**example["policy"], **policy_extra}
    return example


def test_a_reader_refuses_a_policy_with_a_field_it_does_not_know() -> None:
    body = json.dumps(_policy_published(surcharge_fen=100)).encode()
    assert read(PolicyVersionPublished, json.dumps(_policy_published()).encode())

    with pytest.raises(ValidationError, match="extra_forbidden"):
        read(PolicyVersionPublished, body)
    with pytest.raises(ValidationError, match="extra_forbidden"):
        read_data(PolicyVersionPublished, json.loads(body))


def test_a_tolerant_read_leaves_the_dropped_fields_unset() -> None:
    event = read(DeathReported, json.dumps({**DEATH, "cause": "illness"}).encode())

    assert event.model_fields_set == set(DEATH)
    assert "cause" not in event.model_dump(exclude_unset=True)
