"""The message catalogue (the policy catalogue is tested in test_policy_*.py)."""

import re

from pydantic import BaseModel

from siquan.contracts.base import all_models
from siquan.contracts.generate import drift
from siquan.contracts.topology import exchange_of


def _fields_of(model: type[BaseModel]) -> list[tuple[str, str, object]]:
    found = []
    for name, info in model.model_fields.items():
        found.append((model.__name__, name, info.description))
        for arg in getattr(info.annotation, "__args__", ()):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                found.extend(_fields_of(arg))
    return found


def test_every_field_of_every_message_is_described() -> None:
    undescribed = [(m, f) for model in all_models().values()
                   for m, f, d in _fields_of(model) if not d]
    assert undescribed == []


def test_messages_are_frozen_and_producers_refuse_unknown_fields() -> None:
    for model in all_models().values():
        assert model.model_config.get("frozen") is True
        assert model.model_config.get("extra") == "forbid"


def test_routing_keys_carry_their_major_version() -> None:
    for key, model in all_models().items():
        assert re.fullmatch(r"v[1-9][0-9]*", key.rsplit(".", 1)[-1]), key
        assert key.rsplit(".", 1)[-1] == f"v{model.__module__.rsplit('_v', 1)[-1]}", key
        assert exchange_of(model.producer).startswith("siquan.")


def test_committed_schemas_and_asyncapi_match_the_code() -> None:
    assert drift() == [], "run `make contracts` and commit the result"

