"""Programs the policy declares exclusive: a person certified in one may not apply for the
other (the contraception reward ends where rural reward-and-assistance starts)."""

from __future__ import annotations

from siquan.contracts.policy import seed_catalogue
from siquan.eligibility.application.intake import exclusive_refusal
from siquan.eligibility.application.ports import Holding

PERSON, OTHER = "1" * 64, "2" * 64


def test_exclusion_is_declared_and_mutual() -> None:
    catalogue = seed_catalogue()
    assert catalogue.exclusive_with("contraception_reward") == {"reward_assistance_rural"}
    assert catalogue.exclusive_with("reward_assistance_rural") == {"contraception_reward"}
    assert catalogue.exclusive_with("special_assistance") == frozenset()


def test_a_certification_in_an_exclusive_program_refuses_with_the_reason() -> None:
    held = [Holding(PERSON, "reward_assistance_rural", "certification", "c-1")]
    reason = exclusive_refusal(seed_catalogue(), "contraception_reward", held, PERSON)
    assert reason == ("this person is certified in reward_assistance_rural, which the "
                      "policy declares exclusive with contraception_reward")
    assert PERSON not in reason


def test_nothing_else_refuses() -> None:
    catalogue = seed_catalogue()
    pending = [Holding(PERSON, "reward_assistance_rural", "application", "a-1")]
    someone_else = [Holding(OTHER, "reward_assistance_rural", "certification", "c-2")]
    compatible = [Holding(PERSON, "special_assistance", "certification", "c-3")]
    for held in (pending, someone_else, compatible):
        assert exclusive_refusal(catalogue, "contraception_reward", held, PERSON) is None
