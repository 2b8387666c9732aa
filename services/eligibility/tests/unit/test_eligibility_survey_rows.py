"""Reading survey rows: each bad row reported by row and field, facts checked against the
policy catalogue, without I/O."""

from datetime import date

from siquan.contracts.policy import load_catalogue
from siquan.eligibility.domain.notice import PublicNotice
from siquan.eligibility.domain.survey import RowError, SurveyEntry, missing_columns, read_row
from siquan.eligibility.domain.timeliness import Timeliness, month_bounds
from siquan.shared.testing.residents import ResidentFactory

ELDER = ResidentFactory("420117", birth_year=1958)


def _row(**overrides: str) -> dict[str, str]:
    return {"resident_id": ELDER.next(), "name": "刘德华",
            "program_code": "reward_assistance_rural", "category": "standard",
            "division_code": "420117001", "eligible_from": "2026-01-01", "residence": "rural",
            "family_type": "two_daughters",
            "children": "female:1985-02-01:alive;female:1988-07-09:alive", **overrides}


def test_a_good_row_becomes_an_entry_with_its_township_and_facts() -> None:
    entry = read_row(2, _row(), load_catalogue())
    assert isinstance(entry, SurveyEntry)
    assert (entry.division_code, entry.township_code) == ("420117", "420117001")
    assert entry.facts is not None and entry.facts.family_type == "two_daughters"


def test_bad_fields_are_reported_by_row_and_field() -> None:
    errors = read_row(7, _row(resident_id="110105194912310021", eligible_from="2026-13-01",
                              division_code="42011"), load_catalogue())
    assert isinstance(errors, list)
    assert {(e.row, e.field) for e in errors} == {(7, "resident_id"), (7, "eligible_from"),
                                                 (7, "division_code")}


def test_an_unknown_category_or_program_names_its_field() -> None:
    errors = read_row(3, _row(category="gold"), load_catalogue())
    assert errors == [RowError(3, "category",
                               "reward_assistance_rural has no category 'gold'")]
    errors = read_row(4, _row(program_code="no_such_program"), load_catalogue())
    assert isinstance(errors, list) and errors[0].field == "program_code"


def test_facts_that_do_not_qualify_name_the_fact() -> None:
    errors = read_row(5, _row(residence="urban"), load_catalogue())
    assert isinstance(errors, list) and [e.field for e in errors] == ["residence"]


def test_facts_that_contradict_each_other_are_reported() -> None:
    errors = read_row(6, _row(family_type="one_child"), load_catalogue())
    assert isinstance(errors, list) and errors[0].row == 6


def test_the_required_columns_are_named_when_missing() -> None:
    assert missing_columns(["resident_id", "name"]) == [
        "program_code", "category", "division_code", "eligible_from"]


def test_a_notice_closes_after_its_days() -> None:
    notice = PublicNotice("n1", "special_assistance", "wuhan-2012", "420117", None, 7,
                          date(2026, 3, 2), 3)
    assert notice.closes_on == date(2026, 3, 9)
    assert not notice.is_due(date(2026, 3, 8)) and notice.is_due(date(2026, 3, 9))


def test_timeliness_is_the_share_decided_within_the_deadline() -> None:
    assert Timeliness("420117", 4, 3).rate == 0.75
    assert Timeliness("420117", 0, 0).rate is None
    assert month_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
