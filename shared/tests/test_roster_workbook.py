"""The migrated roster's workbook: its layout read from XLSX, each row checked on its own
and against earlier rows, refusals by row number and reason code without personal data."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from siquan.contracts.policy import load_catalogue
from siquan.shared.roster_workbook import (
    COLUMNS,
    REASONS,
    WorkbookUnreadable,
    check_workbook,
    example_rows,
    read_workbook,
    template,
    without_accounts,
)
from siquan.shared.testing.residents import ResidentFactory

TODAY = date(2026, 7, 10)
CATALOGUE = load_catalogue()


def row(resident_id: str, **changes: str) -> list[str]:
    values = {"resident_id": resident_id, "name": "王秀英",
              "program_code": "special_assistance", "category": "death",
              "division_code": "420117", "certified_since": "2018-04-12",
              "paid_through": "2026-05", "bank_code": "ICBC",
              "account_number": "6222021234567890123"}
    values.update(changes)
    return [values[c] for c in COLUMNS]


def check(*rows: list[str]) -> dict[str, object]:
    return check_workbook(template(rows), CATALOGUE, TODAY).report()


@pytest.fixture
def ids() -> ResidentFactory:
    return ResidentFactory("420117", birth_year=1962)


def test_a_good_row_is_accepted_with_the_first_day_owed(ids: ResidentFactory) -> None:
    checked = check_workbook(template([row(ids.next())]), CATALOGUE, TODAY)
    assert checked.rows_read == 1 and not checked.refused
    accepted = checked.accepted[0]
    assert (accepted.row, accepted.paid_through, accepted.owed_from) == (
        2, "2026-05", date(2026, 6, 1))


def test_owed_from_is_never_before_certified_since(ids: ResidentFactory) -> None:
    since_mid_month = row(ids.next(), certified_since="2026-05-20", paid_through="")
    paid_in_its_month = row(ids.next(), certified_since="2026-05-20", paid_through="2026-05")
    checked = check_workbook(template([since_mid_month, paid_in_its_month]), CATALOGUE,
                             TODAY)
    assert [r.owed_from for r in checked.accepted] == [date(2026, 5, 20), date(2026, 6, 1)]


@pytest.mark.parametrize(("changes", "reason"), [
    ({"name": ""}, "name_missing"),
    ({"program_code": "no_such_program"}, "program_unknown"),
    ({"category": "no_such_category"}, "category_unknown"),
    ({"division_code": "42011"}, "division_invalid"),
    ({"division_code": "000117"}, "division_invalid"),
    ({"certified_since": "2018-02-30"}, "certified_since_invalid"),
    ({"certified_since": "2026-07-11"}, "certified_since_future"),
    ({"certified_since": "2001-01-01"}, "certified_since_no_policy"),
    ({"paid_through": "2026-13"}, "paid_through_invalid"),
    ({"paid_through": "2026"}, "paid_through_invalid"),
    ({"paid_through": "2026-7"}, "paid_through_invalid"),
    ({"paid_through": "2000-12"}, "paid_through_invalid"),
    ({"paid_through": "2018-03"}, "paid_through_before_certified"),
    ({"paid_through": "2026-08"}, "paid_through_future"),
    ({"bank_code": "工商银行"}, "bank_code_invalid"),
    ({"account_number": "6222 0212 3456"}, "account_number_invalid"),
    ({"account_number": "12345"}, "account_number_invalid"),
])
def test_a_bad_field_refuses_its_row_with_the_reason(ids: ResidentFactory,
                                                     changes: dict[str, str],
                                                     reason: str) -> None:
    report = check(row(ids.next()), row(ids.next(), **changes))
    assert report["refused_rows"] == [{"row": 3, "reason": reason}]
    assert reason in REASONS


def test_ids_are_checked_by_gb_11643_and_never_echoed(ids: ResidentFactory) -> None:
    good = ids.next()
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    report = check(row(wrong_check), row("12345"), row(good[:17] + "Y"))
    assert report["refused_rows"] == [{"row": n, "reason": "resident_id_invalid"}
                                      for n in (2, 3, 4)]
    assert good[:17] not in str(report) and "12345" not in str(report)


def test_a_lower_case_x_check_character_is_accepted() -> None:
    factory = ResidentFactory("420117", birth_year=1958)
    with_x = next(i for i in (factory.next() for _ in range(200)) if i.endswith("X"))
    checked = check_workbook(template([row(with_x.lower())]), CATALOGUE, TODAY)
    assert checked.accepted[0].resident_id == with_x


def test_the_same_person_and_program_twice_refuses_the_later_row(ids: ResidentFactory
                                                                  ) -> None:
    person, other = ids.next(), ids.next()
    report = check(row(person), row(other), row(person, category="disability"))
    assert report["refused_rows"] == [{"row": 4, "reason": "resident_id_duplicate"}]
    assert report["refused_by_reason"] == {"resident_id_duplicate": 1}


def test_empty_rows_are_not_counted_and_numbers_stay_the_spreadsheets(
        ids: ResidentFactory) -> None:
    report = check(row(ids.next()), [""] * len(COLUMNS), row(ids.next(), name=""))
    assert (report["rows_read"], report["accepted"]) == (2, 1)
    assert report["refused_rows"] == [{"row": 4, "reason": "name_missing"}]


def test_a_township_code_keeps_its_county() -> None:
    checked = check_workbook(template([row(ResidentFactory().next(),
                                           division_code="420117101")]), CATALOGUE, TODAY)
    accepted = checked.accepted[0]
    assert (accepted.division_code, accepted.township_code, accepted.scope) == (
        "420117", "420117101", "420117101")


def test_a_file_that_is_no_roster_workbook_is_refused() -> None:
    with pytest.raises(WorkbookUnreadable):
        check_workbook(b"resident_id,name\n", CATALOGUE, TODAY)
    with pytest.raises(WorkbookUnreadable):
        check_workbook(b"PK\x03\x04 damaged", CATALOGUE, TODAY)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["resident_id", "name"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(WorkbookUnreadable, match="program_code"):
        check_workbook(out.getvalue(), CATALOGUE, TODAY)


def test_too_many_rows_are_refused(ids: ResidentFactory) -> None:
    with pytest.raises(WorkbookUnreadable):
        check_workbook(template([row(ids.next()) for _ in range(3)]), CATALOGUE, TODAY,
                       max_rows=2)


def test_the_template_keeps_long_numbers_as_text(ids: ResidentFactory) -> None:
    person = ids.next()
    sheet = load_workbook(io.BytesIO(template([row(person)]))).worksheets[0]
    values = [c.value for c in sheet[2]]
    assert values[0] == person and values[COLUMNS.index("account_number")] == (
        "6222021234567890123")
    assert [c.value for c in sheet[1]] == list(COLUMNS)


def test_without_accounts_empties_only_the_account_columns_and_keeps_the_rows() -> None:
    rows = example_rows(3)
    rows.insert(1, [""] * len(COLUMNS))  # an empty row keeps its place
    kept = without_accounts(template(rows))
    read = list(read_workbook(kept))
    assert [n for n, _ in read] == [2, 4, 5]
    assert all(c["bank_code"] == c["account_number"] == "" for _, c in read)
    assert [c["resident_id"] for _, c in read] == [r[0] for r in rows if r[0]]
    checked = check_workbook(kept, CATALOGUE, TODAY, accounts=False)
    assert checked.refused == [] and len(checked.accepted) == 3
    assert check_workbook(kept, CATALOGUE, TODAY).accepted == []
