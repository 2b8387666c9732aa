"""Eligibility criteria as data: ages across birthdays, start and end rules, categories."""

from datetime import date, timedelta
from typing import Any, get_args

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from siquan.contracts.criteria import (
    StartRule,
    age_on,
    apply_rule,
    category_of,
    evaluate,
    facts_read,
    first_month_owed,
    missing_facts,
    reaches_age,
)
from siquan.contracts.household import Child, FamilyType, HouseholdFacts, Person
from siquan.contracts.policy import PolicyVersion, load_catalogue

CATALOGUE = load_catalogue()
REWARD = CATALOGUE.version("reward_assistance_rural", "national-2009")
SPECIAL = CATALOGUE.version("special_assistance", "wuhan-2012")
CONSOLATION = CATALOGUE.version("consolation_one_off", "national-2009")
CONTRACEPTION = CATALOGUE.version("contraception_reward", "national-2009")
YANGJIANG = CATALOGUE.version("contraception_reward", "yangjiang-2013")
COMPLICATION = CATALOGUE.version("complication_assistance", "national-2009")
SCHOLARSHIP = CATALOGUE.version("girls_scholarship", "national-2009")
EXAM = CATALOGUE.version("exam_bonus_points", "national-2012")
HEALTH_FEE = CATALOGUE.version("one_child_health_fee", "national-2009")
RULES: tuple[StartRule, ...] = get_args(StartRule)

births = st.dates(date(1900, 1, 1), date(2030, 12, 31))
leap_day_births = st.integers(1904, 2028).filter(lambda y: y % 4 == 0).map(
    lambda y: date(y, 2, 29))
any_births = st.one_of(births, leap_day_births)
days = st.dates(date(1900, 1, 1), date(2130, 12, 31))
near = st.integers(-800, 800).map(lambda n: timedelta(days=n))
SON = Child(birth_date=date(1995, 4, 1), sex="male")
DAUGHTER = Child(birth_date=date(2010, 9, 1), sex="female")


def _children(family_type: FamilyType, grade: int = 2) -> tuple[Child, ...]:
    return {
        "one_child": (SON,),
        "two_daughters": (DAUGHTER, DAUGHTER.model_copy(update={"birth_date": date(2012, 1, 1)})),
        "only_child_died": (Child(birth_date=date(1995, 4, 1), sex="male", status="died",
                                  died_on=date(2015, 3, 3)),),
        "only_child_disabled": (Child(birth_date=date(1995, 4, 1), sex="male",
                                      status="disabled", disability_grade=grade),),
        "other": (),
    }[family_type]


def parent(birth: date = date(1966, 8, 15), family_type: FamilyType = "one_child", *,
           grade: int = 2, **facts: Any) -> HouseholdFacts:
    return HouseholdFacts(applicant=Person(birth_date=birth, sex="female"),
                          residence=facts.pop("residence", "rural"), family_type=family_type,
                          children=_children(family_type, grade), **facts)


def girl(school_level: str = "high", family_type: FamilyType = "two_daughters",
         **facts: Any) -> HouseholdFacts:
    """A daughter applying for herself (the first daughter of her household)."""
    children = _children(family_type) if family_type != "one_child" else (DAUGHTER,)
    me = children[0]
    return HouseholdFacts(applicant=Person(birth_date=me.birth_date, sex=me.sex),
                          applicant_role="child", residence=facts.pop("residence", "rural"),
                          family_type=family_type, children=children,
                          school_level=school_level, **facts)


def _starting_on_the_birthday(version: PolicyVersion) -> PolicyVersion:
    criteria = version.eligibility.model_copy(update={"age_start": "on_the_day"})
    return version.model_copy(update={"eligibility": criteria})


# --- ages ---------------------------------------------------------------------------------

@given(any_births, st.integers(0, 100), near)
def test_a_person_has_an_age_exactly_from_the_day_they_turn_it(
        birth: date, age: int, offset: timedelta) -> None:
    day = reaches_age(birth, age) + offset
    assume(day >= birth)
    assert (age_on(birth, day) >= age) == (day >= reaches_age(birth, age))


@given(any_births, days)
def test_age_never_falls_and_rises_by_one_a_year(birth: date, day: date) -> None:
    assume(day >= birth)
    following = day + timedelta(days=1)
    assert age_on(birth, following) - age_on(birth, day) in (0, 1)


def test_someone_born_on_29_february_turns_a_year_older_on_1_march_in_common_years() -> None:
    leapling = date(2000, 2, 29)
    assert reaches_age(leapling, 1) == date(2001, 3, 1)
    assert age_on(leapling, date(2001, 2, 28)) == 0
    assert age_on(leapling, date(2001, 3, 1)) == 1
    assert reaches_age(leapling, 4) == date(2004, 2, 29)
    assert age_on(leapling, date(2100, 2, 28)) == 99  # 2100 is not a leap year
    assert reaches_age(leapling, 100) == date(2100, 3, 1)


def test_there_is_no_age_before_birth() -> None:
    with pytest.raises(ValueError, match="birth"):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


@given(any_births, near)
def test_with_a_from_birthday_rule_one_is_eligible_on_a_day_iff_old_enough_that_day(
        birth: date, offset: timedelta) -> None:
    version = _starting_on_the_birthday(REWARD)
    day = reaches_age(birth, 60) + offset
    assume(day >= birth)
    assert evaluate(version, parent(birth), day).eligible == (age_on(birth, day) >= 60)


@given(any_births, near)
def test_special_assistance_is_owed_from_the_first_day_of_the_month_after_turning_49(
        birth: date, offset: timedelta) -> None:
    turns_49 = reaches_age(birth, 49)
    day = turns_49 + offset
    assume(day >= birth)
    eligible = evaluate(SPECIAL, parent(birth, "only_child_died"), day).eligible
    assert eligible == (day >= apply_rule("month_after", turns_49))
    if eligible:
        assert age_on(birth, day) >= 49 and (day.year, day.month) != (
            turns_49.year, turns_49.month)


@given(any_births, near)
def test_reward_and_assistance_is_owed_from_the_year_the_parent_turns_60(
        birth: date, offset: timedelta) -> None:
    day = reaches_age(birth, 60) + offset
    assume(day >= birth)
    assert evaluate(REWARD, parent(birth), day).eligible == (day.year >= birth.year + 60)


# --- start and end rules ------------------------------------------------------------------

@given(st.sampled_from(RULES), days, days)
def test_every_start_rule_keeps_the_order_of_days(rule: StartRule, a: date, b: date) -> None:
    first, second = sorted((a, b))
    assert apply_rule(rule, first) <= apply_rule(rule, second)


@given(days)
def test_start_rules_land_where_their_names_say(day: date) -> None:
    assert apply_rule("on_the_day", day) == day
    assert apply_rule("month_of", day) <= day < apply_rule("month_after", day)
    assert apply_rule("month_after", day).day == 1
    assert (apply_rule("month_after", day) - day).days <= 31
    assert apply_rule("year_of", day) == date(day.year, 1, 1)
    assert apply_rule("year_after", day) == date(day.year + 1, 1, 1)


AGE_VERSIONS = [v for v in CATALOGUE.versions if v.eligibility.min_age is not None]


@given(st.sampled_from(AGE_VERSIONS), any_births, any_births)
def test_someone_born_later_never_starts_earlier(
        version: PolicyVersion, a: date, b: date) -> None:
    older, younger = sorted((a, b))
    family: FamilyType = version.eligibility.family_types[0]  # type: ignore[assignment]
    facts = {"enrolled_in_rural_pension": True}
    first = first_month_owed(version, parent(older, family, **facts), date(2000, 1, 1))
    second = first_month_owed(version, parent(younger, family, **facts), date(2000, 1, 1))
    assert first is not None and second is not None and first <= second


@given(any_births, days, days)
def test_once_the_contraception_reward_is_owed_it_stays_owed_until_it_ends(
        birth: date, a: date, b: date) -> None:
    facts = parent(birth, "two_daughters", contraception_method="sterilization",
                   contraception_since=max(birth, date(1990, 6, 10)))
    earlier, later = sorted((a, b))
    first, second = evaluate(CONTRACEPTION, facts, earlier), evaluate(CONTRACEPTION, facts, later)
    if first.eligible and (second.ends_on is None or later < second.ends_on):
        assert second.eligible


def test_the_provincial_contraception_reward_runs_from_the_year_after_to_the_year_of_60() -> None:
    facts = parent(date(1976, 3, 9), "one_child", holds_one_child_certificate=True,
                   contraception_method="long_term", contraception_since=date(2015, 6, 10))
    assessment = evaluate(CONTRACEPTION, facts, date(2016, 1, 1))
    assert assessment.eligible
    assert (assessment.starts_on, assessment.ends_on) == (date(2016, 1, 1), date(2036, 1, 1))
    assert not evaluate(CONTRACEPTION, facts, date(2015, 12, 31)).eligible


def test_yangjiangs_reward_starts_in_the_month_of_the_sterilization() -> None:
    facts = parent(date(1976, 3, 9), "two_daughters", contraception_method="sterilization",
                   contraception_since=date(2015, 6, 10))
    assert evaluate(YANGJIANG, facts, date(2015, 6, 1)).starts_on == date(2015, 6, 1)
    long_term_only = facts.model_copy(update={"contraception_method": "long_term"})
    assert not evaluate(YANGJIANG, long_term_only, date(2016, 1, 1)).eligible


def test_a_one_child_family_without_the_certificate_gets_no_contraception_reward() -> None:
    facts = parent(family_type="one_child", contraception_method="long_term",
                   contraception_since=date(2015, 6, 10))
    assessment = evaluate(CONTRACEPTION, facts, date(2020, 1, 1))
    assert not assessment.eligible
    assert any("光荣证" in reason for reason in assessment.reasons)


def test_the_health_fee_ends_the_month_after_the_only_child_turns_18() -> None:
    facts = parent(date(1970, 1, 1), holds_one_child_certificate=True)
    assessment = evaluate(HEALTH_FEE, facts, date(2010, 5, 17))
    assert assessment.eligible and assessment.ends_on == date(2013, 5, 1)  # SON: 1995-04-01
    assert not evaluate(HEALTH_FEE, facts, date(2013, 5, 1)).eligible


@pytest.mark.parametrize(("version", "birth", "first"), [
    (SPECIAL, date(1977, 5, 20), date(2026, 6, 1)),
    (SPECIAL, date(1980, 2, 29), date(2029, 4, 1)),  # turns 49 on 1 March 2029
    (SPECIAL, date(1977, 12, 31), date(2027, 1, 1)),
    (REWARD, date(1966, 8, 15), date(2026, 1, 1)),
])
def test_the_first_month_owed_follows_the_start_rule_across_months_years_and_leap_days(
        version: PolicyVersion, birth: date, first: date) -> None:
    family: FamilyType = "only_child_died" if version is SPECIAL else "one_child"
    assert first_month_owed(version, parent(birth, family), date(2020, 1, 1)) == first


def test_without_a_dated_condition_the_benefit_is_owed_from_the_assessment_day() -> None:
    on = date(2026, 3, 14)
    assessment = evaluate(CONSOLATION, parent(family_type="only_child_died"), on)
    assert assessment.eligible and assessment.starts_on == on
    assert first_month_owed(CONSOLATION, parent(family_type="only_child_died"), on) == date(
        2026, 3, 1)


def test_nothing_is_owed_to_a_household_that_never_qualifies() -> None:
    assert first_month_owed(SPECIAL, parent(family_type="one_child"), date(2026, 1, 1)) is None


def test_a_dead_applicant_is_not_eligible() -> None:
    facts = parent(date(1950, 1, 1)).model_copy(
        update={"applicant": Person(birth_date=date(1950, 1, 1), sex="female",
                                    died_on=date(2025, 7, 9))})
    assessment = evaluate(REWARD, facts, date(2026, 1, 1))
    assert not assessment.eligible and "the applicant has died" in assessment.reasons


# --- categories ---------------------------------------------------------------------------

@given(st.sampled_from(["only_child_died", "only_child_disabled"]), st.integers(1, 4))
def test_every_bereaved_or_disabled_household_falls_in_exactly_one_consolation_category(
        family_type: FamilyType, grade: int) -> None:
    facts = parent(family_type=family_type, grade=grade)
    expected = ("death" if family_type == "only_child_died"
                else "disability_grade_1_to_3" if grade <= 3 else "disability_grade_4")
    assert [b.category for b in CONSOLATION.benefits
            if b.when is not None and b.when.matches(facts)] == [expected]
    assert evaluate(CONSOLATION, facts, date(2026, 1, 1)).category == expected


def test_special_assistance_for_disability_needs_grade_3_or_above() -> None:
    assert evaluate(SPECIAL, parent(date(1960, 1, 1), "only_child_disabled", grade=3),
                    date(2026, 1, 1)).category == "disability"
    grade_4 = evaluate(SPECIAL, parent(date(1960, 1, 1), "only_child_disabled", grade=4),
                       date(2026, 1, 1))
    assert not grade_4.eligible and grade_4.category is None


@pytest.mark.parametrize(("grade", "category"), [(1, "grade_1"), (2, "grade_2"), (3, None)])
def test_complication_assistance_is_by_grade_and_grade_3_has_no_amount_yet(
        grade: int, category: str | None) -> None:
    assessment = evaluate(COMPLICATION, parent(family_type="other", complication_grade=grade),
                          date(2026, 1, 1))
    assert (assessment.category, assessment.eligible) == (category, category is not None)


def test_a_claimed_category_the_program_does_not_have_is_refused() -> None:
    with pytest.raises(KeyError):
        evaluate(SPECIAL, parent(date(1960, 1, 1), "only_child_died"), date(2026, 1, 1),
                 claimed_category="other")


def test_a_claimed_category_the_facts_do_not_support_is_a_reason_to_refuse() -> None:
    assessment = evaluate(SPECIAL, parent(date(1960, 1, 1), "only_child_died"),
                          date(2026, 1, 1), claimed_category="disability")
    assert not assessment.eligible
    assert "the facts fit category death, not disability" in assessment.reasons


def test_the_girls_scholarship_pays_by_school_level_to_girls_in_need_with_good_grades() -> None:
    needy: dict[str, Any] = {"enrolled": True, "good_grades": True, "in_hardship": True}
    on = date(2026, 9, 1)
    assert evaluate(SCHOLARSHIP, girl("high", **needy), on).category == "high_school"
    assert evaluate(SCHOLARSHIP, girl("middle", "one_child", **needy), on).category == (
        "middle_school")
    assert not evaluate(SCHOLARSHIP, girl("high", enrolled=True, good_grades=True), on).eligible
    assert not evaluate(SCHOLARSHIP, girl("primary", **needy), on).eligible
    assert not evaluate(SCHOLARSHIP, parent(date(1980, 1, 1), "two_daughters"), on).eligible


def test_the_exam_bonus_needs_a_sterilized_couple_in_a_two_daughter_household() -> None:
    on = date(2026, 5, 1)
    plain = girl("middle", enrolled=True)
    assert not evaluate(EXAM, plain, on).eligible
    sterilized = girl("middle", enrolled=True, contraception_method="sterilization",
                      contraception_since=date(2013, 1, 1))
    assert evaluate(EXAM, sterilized, on).category == "two_daughters_sterilized"
    assert evaluate(EXAM, girl("middle", "one_child", enrolled=True), on).category == (
        "one_daughter")


@st.composite
def households(draw: st.DrawFn) -> HouseholdFacts:
    family_type: FamilyType = draw(st.sampled_from(get_args(FamilyType)))
    children = _children(family_type, draw(st.integers(1, 4)))
    as_child = draw(st.booleans()) and bool(children)
    applicant = (Person(birth_date=children[0].birth_date, sex=children[0].sex) if as_child
                 else Person(birth_date=draw(births), sex=draw(st.sampled_from(["female",
                                                                                  "male"]))))
    method = draw(st.sampled_from([None, "long_term", "sterilization"]))
    return HouseholdFacts(
        applicant=applicant, applicant_role="child" if as_child else "parent",
        residence=draw(st.sampled_from(["rural", "urban"])), family_type=family_type,
        children=children, holds_one_child_certificate=draw(st.booleans()),
        contraception_method=method,
        contraception_since=draw(st.dates(date(1980, 1, 1), date(2030, 1, 1))) if method
        else None,
        gave_up_second_child=draw(st.booleans()),
        complication_grade=draw(st.sampled_from([None, 1, 2, 3])),
        school_level=draw(st.sampled_from([None, "primary", "middle", "high", "college"])),
        enrolled=draw(st.booleans()), good_grades=draw(st.booleans()),
        in_hardship=draw(st.booleans()), enrolled_in_rural_pension=draw(st.booleans()))


@given(st.sampled_from(CATALOGUE.versions), households(), st.dates(date(1990, 1, 1),
                                                                   date(2060, 1, 1)))
def test_no_household_falls_in_two_categories_of_any_version(
        version: PolicyVersion, facts: HouseholdFacts, on: date) -> None:
    category = category_of(version, facts)
    assessment = evaluate(version, facts, on)
    assert assessment.category == category
    if assessment.eligible:
        assert category is not None and not assessment.reasons
        assert assessment.starts_on is not None and assessment.starts_on <= on
    else:
        assert assessment.reasons


def test_the_catalogue_assesses_under_the_version_in_force_for_the_division() -> None:
    facts = parent(date(1966, 8, 15))
    assert CATALOGUE.assess("reward_assistance_rural", facts, date(2027, 3, 1),
                            "420117").version == "xinzhou-2027"
    assert CATALOGUE.assess("reward_assistance_rural", facts, date(2027, 3, 1)).version == (
        "national-2009")


# --- facts --------------------------------------------------------------------------------

def test_a_family_type_that_disagrees_with_the_children_is_refused() -> None:
    with pytest.raises(ValidationError, match="exactly one child"):
        HouseholdFacts(applicant=Person(birth_date=date(1970, 1, 1), sex="male"),
                       residence="rural", family_type="one_child", children=(SON, SON))
    with pytest.raises(ValidationError, match="both daughters"):
        HouseholdFacts(applicant=Person(birth_date=date(1970, 1, 1), sex="male"),
                       residence="rural", family_type="two_daughters",
                       children=(DAUGHTER, SON))


def test_a_disabled_child_needs_a_grade_and_a_dead_child_a_date() -> None:
    with pytest.raises(ValidationError, match="grade"):
        Child(birth_date=date(2000, 1, 1), sex="male", status="disabled")
    with pytest.raises(ValidationError, match="died_on"):
        Child(birth_date=date(2000, 1, 1), sex="male", status="died")


def test_a_child_applicant_must_be_one_of_the_households_children() -> None:
    with pytest.raises(ValidationError, match="child applicant"):
        HouseholdFacts(applicant=Person(birth_date=date(2001, 1, 1), sex="female"),
                       applicant_role="child", residence="rural", family_type="one_child",
                       children=(SON,))


# -- the facts each version reads: what an application must state ---------------------


def test_the_facts_read_follow_the_criteria_and_every_category_rule() -> None:
    assert facts_read(SPECIAL) == ("applicant", "applicant_role", "family_type", "children")
    assert facts_read(REWARD) == ("applicant", "applicant_role", "residence", "family_type",
                                  "children")
    assert facts_read(CONTRACEPTION) == (
        "applicant", "applicant_role", "residence", "family_type", "children",
        "holds_one_child_certificate", "contraception_method", "contraception_since")
    assert facts_read(COMPLICATION) == ("applicant", "complication_grade")
    assert facts_read(SCHOLARSHIP) == (
        "applicant", "applicant_role", "family_type", "children", "school_level", "enrolled",
        "good_grades", "in_hardship")
    # a category rule's condition is read even when the version's criteria do not name it
    assert "contraception_method" in facts_read(EXAM)


@pytest.mark.parametrize("version", CATALOGUE.versions, ids=lambda v: f"{v.program_code}/"
                         f"{v.version}")
def test_every_fact_read_is_a_household_fact_and_each_is_missing_without_facts(
        version: PolicyVersion) -> None:
    read = facts_read(version)
    assert set(read) <= set(HouseholdFacts.model_fields)
    missing = missing_facts(version, None)
    assert set(read) | {"residence", "family_type"} == set(missing)


def test_a_fact_left_to_its_default_is_missing_and_a_stated_one_is_not() -> None:
    applicant = Person(birth_date=date(1960, 1, 1), sex="female")
    facts = HouseholdFacts(applicant=applicant, residence="rural", family_type="one_child",
                           children=(Child(birth_date=date(2015, 1, 1), sex="male"),))
    assert missing_facts(HEALTH_FEE, facts) == ["applicant_role",
                                                "holds_one_child_certificate"]
    stated = HouseholdFacts.model_validate({
        **facts.model_dump(), "holds_one_child_certificate": False})
    assert missing_facts(HEALTH_FEE, stated) == []
    # stated as not held, the criterion refuses: it is assessed, not skipped
    assert "needs the one-child parents' certificate (光荣证)" in evaluate(
        HEALTH_FEE, stated, date(2020, 1, 1)).reasons


def test_each_category_names_the_evidence_approval_requires() -> None:
    assert SPECIAL.required_evidence("death") == ("household_register",
                                                  "child_death_certificate")
    assert SPECIAL.required_evidence("disability") == ("household_register",
                                                       "child_disability_card")
    assert all(v.required_evidence(b.category) for v in CATALOGUE.versions
               for b in v.benefits)
    with pytest.raises(KeyError):
        SPECIAL.required_evidence("gold")
