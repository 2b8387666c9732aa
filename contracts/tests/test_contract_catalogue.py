"""The message catalogue and the policy catalogue."""

from datetime import date

import pytest
from pydantic import BaseModel

from siquan.contracts.base import all_models
from siquan.contracts.generate import drift
from siquan.contracts.policy import load_catalogue, period_start
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


def test_messages_are_frozen_and_refuse_unknown_fields() -> None:
    for model in all_models().values():
        assert model.model_config.get("frozen") is True
        assert model.model_config.get("extra") == "forbid"


def test_routing_keys_carry_their_major_version() -> None:
    for key, model in all_models().items():
        assert key.rsplit(".", 1)[-1] == "v1", key
        assert exchange_of(model.producer).startswith("siquan.")


def test_committed_schemas_and_asyncapi_match_the_code() -> None:
    assert drift() == [], "run `make contracts` and commit the result"


def test_reward_and_assistance_pays_1200_yuan_a_year_from_age_60() -> None:
    policy = load_catalogue().in_force("reward_assistance_rural", date(2026, 1, 1))
    assert policy.benefit("standard").amount_fen == 120_000
    assert policy.frequency == "yearly"
    assert policy.eligibility.min_age == 60
    assert "1200" in policy.citation.clause


def test_special_assistance_amount_follows_the_version_in_force() -> None:
    catalogue = load_catalogue()
    before = catalogue.in_force("special_assistance", period_start("2011-12"))
    after = catalogue.in_force("special_assistance", period_start("2012-01"))
    assert (before.benefit("death").amount_fen, before.benefit("disability").amount_fen) == (
        10_000, 8_000)
    assert (after.benefit("death").amount_fen, after.benefit("disability").amount_fen) == (
        21_000, 15_000)


def test_every_policy_has_shares_notice_days_and_a_citation() -> None:
    for version in load_catalogue().versions:
        shares = version.fiscal_shares
        assert shares.central + shares.provincial + shares.municipal + shares.county == 10_000
        assert version.notice_days > 0
        assert version.citation.document and version.citation.clause


def test_an_unknown_category_is_refused() -> None:
    with pytest.raises(KeyError):
        load_catalogue().in_force("special_assistance", date(2026, 1, 1)).benefit("other")
