"""The breaking-change check: a released schema copied, changed one way at a time, and the
verdict asserted — additive optional fields pass, everything else fails."""

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from siquan.contracts.compatibility import (
    breaking,
    check,
    compare,
    current_schemas,
    release,
    released_schemas,
)
from siquan.contracts.generate import CONTRACTS_DIR

Schema = dict[str, Any]


def _released(key: str) -> Schema:
    loaded: Schema = json.loads((CONTRACTS_DIR / "released" / f"{key}.json").read_text("utf-8"))
    return loaded


REVIEWED = _released("application.reviewed.v1")
NOTICE = _released("notice.published.v1")


def _changed(schema: Schema, change: Callable[[Schema], object]) -> Schema:
    copied = copy.deepcopy(schema)
    change(copied)
    return copied


def _props(schema: Schema) -> Schema:
    props: Schema = schema["properties"]
    return props


def _entry(schema: Schema) -> Schema:
    entry: Schema = schema["$defs"]["NoticeEntry"]
    return entry


def _rename(schema: Schema) -> None:
    _props(schema)["reviewer"] = _props(schema).pop("reviewed_by")
    schema["required"] = [("reviewer" if r == "reviewed_by" else r) for r in schema["required"]]


BREAKING: dict[str, tuple[Schema, Callable[[Schema], object], str]] = {
    "a field removed": (REVIEWED, lambda s: _props(s).pop("reason"), "reason: field removed"),
    "a field renamed": (REVIEWED, _rename, "reviewed_by: field removed (renamed to reviewer?)"),
    "a type changed": (NOTICE, lambda s: _props(s)["notice_days"].update(type="string"),
                       "notice_days: type changed from integer to string"),
    "a format changed": (REVIEWED, lambda s: _props(s)["reviewed_at"].update(format="date"),
                         "reviewed_at: format changed from 'date-time' to 'date'"),
    "a new required field": (
        REVIEWED, lambda s: (_props(s).update(board={"type": "string"}),
                             s["required"].append("board")), "board: new required field"),
    "an optional field made required": (
        REVIEWED, lambda s: s["required"].append("township_code"),
        "township_code: field became required"),
    "a required field made optional": (
        REVIEWED, lambda s: s["required"].remove("reviewed_by"),
        "reviewed_by: field became optional"),
    "an enum narrowed": (
        REVIEWED, lambda s: _props(s)["outcome"].update(enum=["approved"]),
        "outcome: enum narrowed: ['rejected'] no longer allowed"),
    "an enum widened": (
        REVIEWED, lambda s: _props(s)["stage"]["enum"].append("province"),
        "stage: enum widened: ['province'] refused by released readers"),
    "a pattern narrowed": (
        REVIEWED, lambda s: _props(s)["person_key"].update(pattern="^[0-9a-f]{32}$"),
        "person_key: pattern changed"),
    "a lower bound raised": (
        NOTICE, lambda s: _props(s)["notice_days"].update(minimum=1),
        "notice_days: minimum narrowed from 0 to 1"),
    "a length bound lowered": (
        REVIEWED, lambda s: _props(s)["reviewed_by"].update(maxLength=32),
        "reviewed_by: maxLength narrowed from 64 to 32"),
    "null no longer allowed": (
        REVIEWED, lambda s: _props(s)["township_code"]["anyOf"].pop(),
        "township_code: null no longer allowed"),
    "a default changed": (
        REVIEWED, lambda s: _props(s)["stage"].update(default="county"),
        "stage: default changed from 'township' to 'county'"),
    "a field of an entry removed": (
        NOTICE, lambda s: _entry(s)["properties"].pop("masked_name"),
        "entries[].masked_name: field removed"),
    "a field of an entry retyped": (
        NOTICE, lambda s: _entry(s)["properties"]["category"].update(type="integer"),
        "entries[].category: type changed from string to integer"),
}


@pytest.mark.parametrize("kind", BREAKING)
def test_a_breaking_change_is_reported(kind: str) -> None:
    schema, change, expected = BREAKING[kind]

    found = [str(c) for c in breaking(schema, _changed(schema, change))]

    assert any(expected in line for line in found), found


ADDITIVE: dict[str, tuple[Schema, Callable[[Schema], object], str]] = {
    "a new optional field": (
        REVIEWED, lambda s: _props(s).update(board={"type": "string", "default": ""}),
        "additive board: new optional field"),
    "a new optional field in an entry": (
        NOTICE, lambda s: _entry(s)["properties"].update(seat={"type": "integer",
                                                               "default": 0}),
        "additive entries[].seat: new optional field"),
}


@pytest.mark.parametrize("kind", ADDITIVE)
def test_an_additive_change_passes(kind: str) -> None:
    schema, change, expected = ADDITIVE[kind]
    changed = _changed(schema, change)

    assert breaking(schema, changed) == []
    assert [str(c) for c in compare(schema, changed)] == [expected]


def test_new_descriptions_titles_and_examples_change_nothing() -> None:
    changed = _changed(REVIEWED, lambda s: _props(s)["outcome"].update(
        description="Verdict", title="Verdict", examples=["approved"]))

    assert compare(REVIEWED, changed) == []


def test_a_released_message_type_that_disappears_is_breaking() -> None:
    verdict = check({"application.reviewed.v1": REVIEWED}, {})

    assert "no longer defined" in str(verdict["application.reviewed.v1"][0])


def test_every_message_is_compatible_with_its_committed_release() -> None:
    released = released_schemas()

    assert set(released) == set(current_schemas()), "run `python -m " \
        "siquan.contracts.compatibility --release` for a new message type"
    assert check(released, current_schemas()) == {}


def test_releasing_refuses_a_breaking_change_and_records_a_compatible_one(
        tmp_path: Path) -> None:
    assert len(release(tmp_path)) == len(current_schemas())
    key = "application.reviewed.v1"
    stored = json.loads((tmp_path / f"{key}.json").read_text("utf-8"))
    (tmp_path / f"{key}.json").write_text(json.dumps(_changed(stored, lambda s: _props(s).pop(
        "reason"))), "utf-8")
    assert release(tmp_path) == [key]  # the release lacked a field: adding it is additive

    (tmp_path / f"{key}.json").write_text(json.dumps(_changed(stored, lambda s: _props(s)[
        "outcome"].update(enum=["approved", "rejected", "deferred"]))), "utf-8")
    with pytest.raises(ValueError, match="breaking changes, not released"):
        release(tmp_path)
