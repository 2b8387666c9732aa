"""A refused transfer or change of category shows the certification's page again: the
refusal in an alert at the top of the refused form, that form holding what the officer
posted (escaped as every value is), the page's other forms empty; without the purpose the
page's read is recorded with, the refusal on the message page as before."""

from __future__ import annotations

import re
from datetime import date

from starlette.datastructures import FormData
from starlette.requests import Request

from siquan.eligibility.console import cases, pages
from siquan.shared.accounts.store import Account, Session

CERTIFICATION = "c0ffee00-0000-4000-8000-000000000001"
SESSION = Session(Account(
    officer_id="approver-420102-01", name="approver", roles=("county_approver",),
    division="420102", has_password=True, must_change_password=False, second_factor=True,
    failed_logins=0, locked_until=None, disabled=False, development=False),
    csrf_token="token", stage="signed_in")
INJECTED = '"><script>alert(1)</script>'
SHOWN = {"id": CERTIFICATION, "status": "active", "program_code": "special_assistance",
         "category": "death", "policy_version": "2026", "division_code": "420102",
         "township_code": None, "effective_from": "2026-01-01", "valid_until": "2026-12-31",
         "reviewed_by": "r", "approved_by": "a", "history": []}
"""The certification as the page shows it."""


def _request(path: str = "/category-changes") -> Request:
    return Request({"type": "http", "method": "POST", "path": f"{pages.BASE}{path}",
                    "query_string": b"", "headers": []})


def _page(case_form: str, kept: dict[str, str], refusal: str) -> tuple[int, str]:
    """The certification page as `_certification_page` renders it for a refused form."""
    response = pages.render(
        _request(), SESSION, "eligibility/certification.html", 409, c=SHOWN,
        history_reason=str, purpose="跨县迁移", can_revoke=True, can_change_case=True,
        evidence=[], evidence_kinds=[{"value": "household_register", "selected": True}],
        can_file_evidence=True, categories=[("disability", "伤残"), ("other", "其他")],
        next_month=date(2026, 12, 1), case_form=case_form, kept=kept, refusal=refusal)
    return response.status_code, bytes(response.body).decode()


def _form(page: str, action: str) -> str:
    [found] = re.findall(rf'<form method="post" action="[^"]*{action}".*?</form>', page,
                         re.S)
    return found


def test_a_refused_change_keeps_the_category_date_reason_and_facts_escaped() -> None:
    kept = {"to_category": "disability", "effective_from": "2026-11-01",
            "reason": f"复核{INJECTED}", "applicant_role": "parent", "residence": "rural",
            "family_type": "only_child_disabled",
            "children": f"female:1984-05-01:disabled:1{INJECTED}",
            "one_child_certificate": "yes"}
    status, page = _page("category_change", kept, "变更为 disability 所需的证明材料尚未归档")
    assert status == 409
    assert "<script>" not in page
    change = _form(page, "/category-changes")
    assert re.search(r'<div class="problems" role="alert"[^>]*><p>[^<]+</p>'
                     r'<p id="message">变更为 disability 所需的证明材料尚未归档</p></div>', change)
    assert '<option value="disability" selected>' in change
    assert 'name="effective_from" value="2026-11-01"' in change
    assert ('name="reason" value="复核&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'
            in change)
    assert ('name="children" value="female:1984-05-01:disabled:1&#34;&gt;&lt;script&gt;'
            in change)
    for value in ('"parent" selected', '"rural" selected', '"only_child_disabled" selected',
                  '"yes" selected'):
        assert f"<option value={value}>" in change
    transfer = _form(page, "/transfers")
    assert 'role="alert"' not in transfer and 'id="message"' not in transfer
    assert 'name="reason" value=""' in transfer
    assert 'name="effective_from" value="2026-12-01"' in transfer


def test_a_refused_transfer_keeps_its_fields_and_leaves_the_change_form_empty() -> None:
    kept = {"to_division_code": "420102", "to_township_code": "", "effective_from":
            "2026-12-15", "reason": "随子女迁居"}
    status, page = _page("transfer", kept, "该资格已属于该县。")
    assert status == 409
    transfer = _form(page, "/transfers")
    assert '<p id="message">该资格已属于该县。</p>' in transfer
    assert 'name="to_division_code" value="420102"' in transfer
    assert 'name="effective_from" value="2026-12-15"' in transfer
    assert 'name="reason" value="随子女迁居"' in transfer
    assert 'name="purpose" value="跨县迁移"' in transfer
    change = _form(page, "/category-changes")
    assert 'id="message"' not in change and " selected>" not in change.split(
        'id="applicant_role"')[0]
    assert 'name="effective_from" value="2026-12-01"' in change


async def test_without_a_stated_purpose_the_refusal_is_on_the_message_page() -> None:
    form = FormData([("certification_id", CERTIFICATION), ("reason", INJECTED)])
    response = await pages.case_form_refused(
        _request(), SESSION, "category_change", form, cases.CATEGORY_CHANGE_FIELDS,
        "the certification already belongs to that county", 409)
    page = bytes(response.body).decode()
    assert response.status_code == 409
    assert '<p class="problems" role="alert" id="message">该资格已属于该县。</p>' in page
    assert "script" not in page.split("<main")[1]


def test_a_refused_evidence_file_keeps_the_kind_chosen_and_says_why_at_its_form() -> None:
    kinds = pages.evidence_choices(
        ["household_register", "child_death_certificate", "child_disability_card"],
        pages._kept({"case_form": "evidence", "kept": {"evidence_kind":
                                                       "child_disability_card"}},
                    "evidence", "evidence_kind"), other=False)
    response = pages.render(
        _request(f"/certifications/{CERTIFICATION}/evidence"), SESSION,
        "eligibility/certification.html", 422, c=SHOWN, history_reason=str,
        purpose="类别变更", can_revoke=True, can_change_case=True, evidence=[],
        evidence_kinds=kinds, can_file_evidence=True, categories=[("disability", "伤残")],
        next_month=date(2026, 12, 1), case_form="evidence",
        kept={"evidence_kind": "child_disability_card"}, refusal="文件为空。")
    page = bytes(response.body).decode()
    assert response.status_code == 422
    filed = _form(page, "/evidence")
    assert '<p id="message">文件为空。</p>' in filed and 'role="alert"' in filed
    assert '<option value="child_disability_card" selected>' in filed
    assert filed.count(" selected>") == 1
    assert 'id="message"' not in _form(page, "/category-changes")
    assert pages._kept({"case_form": "transfer", "kept": {"evidence_kind": "x"}},
                       "evidence", "evidence_kind") == ""
