"""A complaint as submitted is checked at the edge, and every problem names its field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError
from starlette.requests import Request

from siquan.oversight.public.entrypoints import pages
from siquan.oversight.public.entrypoints.forms import ComplaintForm, problems

RESIDENT_ID = "11010519491231002X"


def fields_refused(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        ComplaintForm.model_validate(data)
    return [p["field"] for p in problems(refused.value)]


def complaint(**changes: Any) -> dict[str, Any]:
    return {"category": "not_paid_in_full", "division_code": "420117",
            "description": "2026年奖扶金未到账", **changes}


def test_a_complaint_without_contact_is_anonymous() -> None:
    form = ComplaintForm.model_validate(complaint())

    assert form.is_anonymous and form.contact is None


def test_a_complaint_with_a_contact_is_named() -> None:
    assert not ComplaintForm.model_validate(complaint(contact="13800000000")).is_anonymous


def test_web_form_blanks_and_checkboxes_are_understood() -> None:
    form = ComplaintForm.model_validate(complaint(application_id="", resident_id=" ",
                                                  anonymous="on", contact=""))

    assert form.is_anonymous and form.application_id is None and form.resident_id is None


@pytest.mark.parametrize(("change", "field"), [
    ({"category": "gossip"}, "category"),
    ({"description": ""}, "description"),
    ({"division_code": "4201"}, "division_code"),
    ({"division_code": None}, "division_code"),
    ({"resident_id": "110105194912310021"}, "resident_id"),
    ({"application_id": "not-a-uuid"}, "application_id"),
    ({"anonymous": True, "contact": "13800000000"}, "contact"),
    ({"anonymous": False}, "contact"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    assert fields_refused(complaint(**change)) == [field]


def test_an_objection_must_name_the_application() -> None:
    assert fields_refused({"category": "notice_objection", "description": "不符合条件"}) \
        == ["application_id"]


def test_an_objection_needs_no_division() -> None:
    form = ComplaintForm.model_validate({"category": "notice_objection",
                                         "application_id": str(uuid.uuid4()),
                                         "description": "其子女仍健在"})

    assert form.division_code is None


def test_a_refused_resident_id_is_not_echoed_back() -> None:
    with pytest.raises(ValidationError) as refused:
        ComplaintForm.model_validate(complaint(resident_id="110105194912310021"))

    assert "110105194912310021" not in str(problems(refused.value))


def test_a_valid_resident_id_is_accepted() -> None:
    assert ComplaintForm.model_validate(complaint(resident_id=RESIDENT_ID)).resident_id \
        == RESIDENT_ID


def _page_request(query: str = "", accept_language: str = "") -> Request:
    headers = [(b"accept-language", accept_language.encode())] if accept_language else []
    return Request({"type": "http", "method": "POST", "path": "/public/complaints",
                    "query_string": query.encode(), "headers": headers})


def _refusal(data: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as refused:
        ComplaintForm.model_validate(data)
    return problems(refused.value)


def test_the_page_names_each_problem_in_chinese_by_its_field_and_reason() -> None:
    found = _refusal(complaint(division_code=None, resident_id="110105194912310021",
                               category="no_such_category"))

    shown = {p["field"]: p for p in pages.shown_problems(_page_request(), found)}

    assert shown["category"]["name"] == "类别"
    assert shown["category"]["reason"] == "请从所列选项中选择"
    assert shown["resident_id"]["reason"] == "身份证号码校验位不符（GB 11643）"
    assert "110105194912310021" not in str(shown)


def test_the_english_page_keeps_the_reasons_in_english() -> None:
    found = _refusal(complaint(anonymous=True, contact="13800000000"))

    shown = pages.shown_problems(_page_request("lang=en"), found)

    assert shown == [{"field": "contact", "name": "Contact",
                      "reason": "leave contact empty for an anonymous report"}]
    assert "13800000000" not in str(shown)


@pytest.mark.parametrize(("code", "english", "shown"), [
    ("standard", False, "奖励扶助金"),
    ("standard", True, "Standard"),
    ("disability_grade_1_to_3", True, "Disability grade 1 to 3"),
    ("三级", True, "奖励扶助金"),  # a code that is no English word keeps the Chinese name
    ("Grade<b>", True, "奖励扶助金"),
])
def test_a_category_is_named_in_the_pages_language(code: str, english: bool,
                                                   shown: str) -> None:
    assert pages.category_name(code, "奖励扶助金", english=english) == shown
