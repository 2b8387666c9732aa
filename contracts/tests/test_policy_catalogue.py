"""The policy catalogue: every program's versions, amounts, citations and scopes."""

from datetime import date
from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from siquan.contracts.periods import Frequency, period_matches, period_of, period_start
from siquan.contracts.policy import PolicyCatalogue, PolicyVersion, load_catalogue

CATALOGUE = load_catalogue()
XINZHOU = "420117"
OTHER_WUHAN_COUNTY = "420102"


def _toml_files() -> list[str]:
    root = resources.files("siquan.contracts") / "policies"
    return sorted(f"{p.name}/{f.name}" for p in root.iterdir() if p.is_dir()
                  for f in p.iterdir() if f.name.endswith(".toml"))


def _raw(program: str, version: str) -> dict[str, Any]:
    return CATALOGUE.version(program, version).model_dump()


def test_every_policy_file_loads_as_one_validated_version() -> None:
    loaded = sorted(f"{v.program_code}/{v.version}.toml" for v in CATALOGUE.versions)
    assert loaded == _toml_files()


def test_reward_and_assistance_pays_1200_yuan_a_year_from_age_60() -> None:
    policy = CATALOGUE.in_force("reward_assistance_rural", date(2026, 1, 1))
    assert policy.benefit("standard").amount_fen == 120_000
    assert policy.frequency == "yearly"
    assert policy.eligibility.min_age == 60
    assert "1200" in policy.citation.clause


def test_special_assistance_amount_follows_the_version_in_force() -> None:
    before = CATALOGUE.in_force("special_assistance", period_start("2011-12"))
    after = CATALOGUE.in_force("special_assistance", period_start("2012-01"))
    assert (before.benefit("death").amount_fen, before.benefit("disability").amount_fen) == (
        10_000, 8_000)
    assert (after.benefit("death").amount_fen, after.benefit("disability").amount_fen) == (
        21_000, 15_000)
    assert (before.version, after.version) == ("national-2008", "wuhan-2012")


def test_every_policy_has_shares_notice_days_and_a_citation() -> None:
    for version in CATALOGUE.versions:
        shares = version.fiscal_shares
        assert shares.central + shares.provincial + shares.municipal + shares.county == 10_000
        assert version.notice_days > 0
        assert version.citation.document.startswith("seeds/")
        assert version.citation.clause


def test_an_unknown_category_is_refused() -> None:
    with pytest.raises(KeyError):
        CATALOGUE.in_force("special_assistance", date(2026, 1, 1)).benefit("other")


# program, version, category, fen per period, frequency, fragment of the quoted clause
AMOUNTS = [
    ("reward_assistance_rural", "national-2009", "standard", 120_000, "yearly", "1200元"),
    ("reward_assistance_rural", "xinzhou-2027", "standard", 144_000, "yearly", "提高奖扶金标准"),
    ("special_assistance", "national-2008", "death", 10_000, "monthly", "100 元"),
    ("special_assistance", "national-2008", "disability", 8_000, "monthly", "80 元"),
    ("special_assistance", "wuhan-2012", "death", 21_000, "monthly", "210元"),
    ("special_assistance", "wuhan-2012", "disability", 15_000, "monthly", "150元"),
    ("consolation_one_off", "national-2009", "death", 3_000_000, "one_off", "抚慰金3万元"),
    ("consolation_one_off", "national-2009", "disability_grade_1_to_3", 2_000_000, "one_off",
     "3级及以上的,一次性发放抚慰金2万元"),
    ("consolation_one_off", "national-2009", "disability_grade_4", 1_000_000, "one_off",
     "4级及以下的,一次性发放抚慰金1万元"),
    ("contraception_reward", "national-2009", "standard", 30_000, "yearly", "不低于300元"),
    ("contraception_reward", "yangjiang-2013", "standard", 5_000, "monthly", "每人每月50元"),
    ("one_child_parents_reward", "national-2009", "standard", 50_000, "one_off", "500元至1000元"),
    ("one_child_parents_reward", "xinzhou-2027", "standard", 100_000, "one_off", "1000元"),
    ("one_child_health_fee", "national-2009", "standard", 1_000, "monthly", "不低于10元"),
    ("second_child_waiver_reward", "national-2009", "standard", 600_000, "one_off", "6000元"),
    ("complication_assistance", "national-2009", "grade_1", 360_000, "yearly", "一级3600元"),
    ("complication_assistance", "national-2009", "grade_2", 240_000, "yearly", "二级2400元"),
    ("girls_scholarship", "national-2009", "high_school", 80_000, "semester", "每学期800元"),
    ("girls_scholarship", "national-2009", "middle_school", 40_000, "semester", "初中400元"),
    ("pension_top_up", "national-2009", "standard", 12_000, "monthly", "不低于120元"),
    ("pension_contribution_subsidy", "national-2009", "standard", 7_000, "yearly", "70元"),
]


@pytest.mark.parametrize(("program", "version", "category", "fen", "frequency", "quoted"),
                         AMOUNTS, ids=[f"{a[0]}/{a[1]}/{a[2]}" for a in AMOUNTS])
def test_each_program_pays_the_amount_its_cited_clause_states(
        program: str, version: str, category: str, fen: int, frequency: Frequency,
        quoted: str) -> None:
    policy = CATALOGUE.version(program, version)
    assert policy.benefit(category).amount_fen == fen
    assert policy.frequency == frequency
    assert quoted in policy.citation.clause


def test_every_cash_program_of_the_domain_table_with_figures_is_in_the_catalogue() -> None:
    assert set(CATALOGUE.cash_programs()) == {a[0] for a in AMOUNTS}


def test_complication_grade_3_has_no_amount_because_the_seed_masks_it() -> None:
    policy = CATALOGUE.version("complication_assistance", "national-2009")
    assert "三级201*元" in policy.citation.clause
    with pytest.raises(KeyError):
        policy.benefit("grade_3")


def test_one_offs_for_a_family_are_paid_to_the_household_and_annual_benefits_to_each_person(
        ) -> None:
    assert CATALOGUE.version("consolation_one_off", "national-2009").paid_to == "household"
    assert CATALOGUE.version("second_child_waiver_reward", "national-2009").paid_to == "household"
    assert CATALOGUE.version("reward_assistance_rural", "national-2009").paid_to == "each_person"


def test_the_consolation_is_funded_wholly_by_the_province() -> None:
    shares = CATALOGUE.version("consolation_one_off", "national-2009").fiscal_shares
    assert shares.provincial == 10_000


def test_preferences_pay_nothing_and_say_what_they_grant() -> None:
    for program in ("exam_bonus_points", "housing_priority"):
        policy = CATALOGUE.in_force(program, date(2026, 1, 1))
        assert not policy.pays_cash
        assert all(b.kind == "preference" and b.amount_fen == 0 and b.value
                   for b in policy.benefits)
    assert "+5" in str(CATALOGUE.in_force("exam_bonus_points", date(2026, 1, 1)).benefits[0].value)


def test_preferences_are_programs_but_not_cash_programs() -> None:
    assert {"exam_bonus_points", "housing_priority"} <= set(CATALOGUE.programs())
    assert not {"exam_bonus_points", "housing_priority"} & set(CATALOGUE.cash_programs())
    assert CATALOGUE.in_force("reward_assistance_rural", date(2026, 1, 1)).pays_cash


@pytest.mark.parametrize(("on", "expected"), [
    (date(2026, 12, 31), "national-2009"), (date(2027, 1, 1), "xinzhou-2027"),
    (date(2031, 6, 1), "xinzhou-2027")])
def test_a_countys_own_version_applies_there_from_its_effective_date(
        on: date, expected: str) -> None:
    assert CATALOGUE.in_force("reward_assistance_rural", on, XINZHOU).version == expected


def test_a_countys_version_applies_neither_to_other_counties_nor_without_a_division() -> None:
    later = date(2028, 1, 1)
    assert CATALOGUE.in_force("reward_assistance_rural", later,
                              OTHER_WUHAN_COUNTY).version == "national-2009"
    assert CATALOGUE.in_force("reward_assistance_rural", later).version == "national-2009"


def test_a_prefectures_version_covers_its_counties_and_not_the_neighbours() -> None:
    on = date(2020, 5, 1)
    assert CATALOGUE.in_force("contraception_reward", on, "441702").version == "yangjiang-2013"
    assert CATALOGUE.in_force("contraception_reward", on, "441700").version == "yangjiang-2013"
    assert CATALOGUE.in_force("contraception_reward", on, "441802").version == "national-2009"
    assert CATALOGUE.in_force("contraception_reward", date(2012, 12, 31),
                              "441702").version == "national-2009"


def test_a_program_with_only_a_scoped_version_is_in_force_only_there() -> None:
    on = date(2010, 9, 1)
    assert CATALOGUE.in_force("exam_bonus_points", on, "360122").version == "xinjian-2009"
    with pytest.raises(KeyError):
        CATALOGUE.in_force("exam_bonus_points", on)
    assert CATALOGUE.in_force("exam_bonus_points", date(2013, 9, 1),
                              "360122").version == "xinjian-2009"


@pytest.mark.parametrize(("program", "category", "period", "division", "fen"), [
    ("reward_assistance_rural", "standard", "2026", XINZHOU, 120_000),
    ("reward_assistance_rural", "standard", "2027", XINZHOU, 144_000),
    ("reward_assistance_rural", "standard", "2027", None, 120_000),
    ("reward_assistance_rural", "standard", "2027", OTHER_WUHAN_COUNTY, 120_000),
    ("special_assistance", "death", "2011-12", None, 10_000),
    ("special_assistance", "death", "2012-01", XINZHOU, 21_000),
    ("contraception_reward", "standard", "2026-05", "441702", 5_000),
    ("contraception_reward", "standard", "2026", "441802", 30_000),
    ("girls_scholarship", "high_school", "2026-S2", None, 80_000),
    ("consolation_one_off", "disability_grade_4", "2026-O1", None, 1_000_000),
    ("housing_priority", "house_repair", "2026", None, 0),
])
def test_amount_for_is_the_fen_owed_for_one_period_in_a_division(
        program: str, category: str, period: str, division: str | None, fen: int) -> None:
    assert CATALOGUE.amount_for(program, category, period, division) == fen


@pytest.mark.parametrize(("program", "category", "period", "division"), [
    ("reward_assistance_rural", "standard", "2026-05", None),
    ("contraception_reward", "standard", "2026", "441702"),
    ("special_assistance", "death", "2026-13", None),
    ("special_assistance", "death", "26-01", None),
])
def test_amount_for_refuses_a_period_the_program_is_not_paid_in(
        program: str, category: str, period: str, division: str | None) -> None:
    with pytest.raises(ValueError, match="period"):
        CATALOGUE.amount_for(program, category, period, division)


def test_amount_for_refuses_an_unknown_category_or_a_time_before_the_program() -> None:
    with pytest.raises(KeyError):
        CATALOGUE.amount_for("special_assistance", "other", "2026-01")
    with pytest.raises(KeyError):
        CATALOGUE.amount_for("special_assistance", "death", "2007-12")


def _with(program: str, label: str, **changes: Any) -> dict[str, Any]:
    return _raw(program, label) | changes


def test_a_catalogue_with_two_versions_starting_together_in_one_scope_is_refused() -> None:
    twin = PolicyVersion.model_validate(_with("special_assistance", "wuhan-2012",
                                              version="wuhan-2012-bis"))
    with pytest.raises(ValidationError, match="same day"):
        PolicyCatalogue(versions=(*CATALOGUE.versions, twin))


def test_a_catalogue_with_a_version_label_twice_is_refused() -> None:
    again = CATALOGUE.version("special_assistance", "wuhan-2012")
    with pytest.raises(ValidationError, match="twice"):
        PolicyCatalogue(versions=(*CATALOGUE.versions, again))


def test_a_preference_with_an_amount_or_a_cash_benefit_of_zero_is_refused() -> None:
    preference = _raw("housing_priority", "national-2009")
    preference["benefits"][0]["amount_fen"] = 100
    with pytest.raises(ValidationError, match="preference"):
        PolicyVersion.model_validate(preference)
    cash = _raw("pension_top_up", "national-2009")
    cash["benefits"][0]["amount_fen"] = 0
    with pytest.raises(ValidationError, match="cash"):
        PolicyVersion.model_validate(cash)


def test_several_categories_without_rules_to_tell_them_apart_are_refused() -> None:
    raw = _raw("special_assistance", "wuhan-2012")
    raw["benefits"][1]["when"] = None
    with pytest.raises(ValidationError, match="when"):
        PolicyVersion.model_validate(raw)


def test_a_scope_that_is_not_a_division_code_is_refused() -> None:
    with pytest.raises(ValidationError, match="division"):
        PolicyVersion.model_validate(_with("reward_assistance_rural", "xinzhou-2027",
                                           division_scope="4201"))


_FREQUENCIES: tuple[Frequency, ...] = ("monthly", "yearly", "semester", "one_off")


@given(st.sampled_from(_FREQUENCIES), st.dates(date(1950, 1, 1), date(2100, 12, 31)))
def test_the_period_of_a_day_starts_on_or_before_it_and_fits_the_frequency(
        frequency: Frequency, day: date) -> None:
    period = period_of(frequency, day)
    assert period_matches(frequency, period)
    assert period_start(period) <= day
    assert (day - period_start(period)).days < 366
