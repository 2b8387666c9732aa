"""Programs and categories by name on the consoles: the policy catalogue's, in the page's
language, from the version that applies everywhere; a code no version names stays."""

from __future__ import annotations

from siquan.shared.policy_names import category_name, program_name, spelled_out


def test_a_program_is_named_in_the_pages_language() -> None:
    assert program_name("special_assistance") == "独生子女死亡/伤残家庭特别扶助"
    assert program_name("special_assistance", english=True) == (
        "Special assistance for families whose only child died or is disabled")


def test_a_divisions_own_version_does_not_rename_the_program_everywhere() -> None:
    # reward_assistance_rural has a later version of Xinzhou district's own (新洲区提标)
    assert program_name("reward_assistance_rural") == "农村部分计划生育家庭奖励扶助"


def test_a_category_is_named_by_its_programs_policy() -> None:
    assert category_name("special_assistance", "disability") == "独生子女伤残"
    # a category only a division's own version has
    assert category_name("exam_bonus_points", "daughters_only") == "纯女户女孩中考加十分"
    assert category_name("consolation_one_off", "disability_grade_1_to_3",
                         english=True) == "Disability grade 1 to 3"


def test_what_no_version_names_shows_its_code() -> None:
    assert program_name("no_such_program") == "no_such_program"
    assert category_name("special_assistance", "no_such_category") == "no_such_category"
    assert spelled_out("Not_Plain") is None and spelled_out("死亡") is None
