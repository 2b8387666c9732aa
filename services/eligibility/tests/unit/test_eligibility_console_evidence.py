"""The console names the documents the policies require: every kind of evidence a policy
version of the catalogue names has its readable name, in Chinese too (a new kind in a
policy without one fails here), and the "kind of evidence" selects keep the codes the
JSON API takes."""

from __future__ import annotations

from pathlib import Path

from siquan.contracts.policy import load_catalogue
from siquan.eligibility.console import pages, reasons
from siquan.shared.console.i18n import translations

LOCALE = Path(pages.__file__).parent / "locale"


def zh(message: str) -> str:
    return str(translations(LOCALE, "zh_CN", "messages").gettext(message))


def _policy_kinds() -> set[str]:
    return {kind for version in load_catalogue().versions
            for kind in (*version.evidence,
                         *(k for benefit in version.benefits for k in benefit.evidence))}


def test_every_kind_a_policy_requires_has_its_name_in_chinese() -> None:
    kinds = _policy_kinds()
    assert kinds  # the catalogue names documents
    unnamed = sorted(kinds - set(pages.EVIDENCE_NAMES))
    assert not unnamed, f"name these kinds of evidence in EVIDENCE_NAMES: {unnamed}"
    untranslated = sorted(k for k, name in pages.EVIDENCE_NAMES.items() if zh(name) == name)
    assert not untranslated, f"translate these names in messages.po: {untranslated}"
    assert zh(pages.EVIDENCE_NAMES["household_register"]) == "户口簿"
    assert zh(pages.EVIDENCE_NAMES["child_death_certificate"]) == "子女死亡证明"
    assert zh(pages.EVIDENCE_NAMES["one_child_certificate"]) == "独生子女父母光荣证"


def test_a_select_offers_the_required_kinds_then_other_the_first_missing_chosen() -> None:
    choices = pages.evidence_choices(("household_register", "child_death_certificate"),
                                     on_file=["household_register"])
    assert choices == [
        {"value": "household_register", "selected": False},
        {"value": "child_death_certificate", "selected": True},
        {"value": pages.OTHER_EVIDENCE, "selected": False}]
    # everything on file: "other document"
    assert [c["value"] for c in pages.evidence_choices(
        ("household_register",), on_file=["household_register"]) if c["selected"]] == [
        pages.OTHER_EVIDENCE]


def test_a_form_shown_again_keeps_the_posted_kind_even_one_not_offered() -> None:
    kept = pages.evidence_choices(("household_register",), "school_report")
    assert [c["value"] for c in kept] == ["household_register", pages.OTHER_EVIDENCE,
                                           "school_report"]
    assert [c["value"] for c in kept if c["selected"]] == ["school_report"]
    assert [c["value"] for c in pages.evidence_choices(
        ("household_register",), "household_register") if c["selected"]] == [
        "household_register"]


def test_the_certification_select_offers_no_other_kind() -> None:
    assert pages.evidence_choices(("household_register",), other=False) == [
        {"value": "household_register", "selected": True}]
    assert pages.evidence_choices((), other=False) == []


def test_a_refusal_for_missing_documents_names_them_and_shows_an_unknown_kind_as_it_is(
        ) -> None:
    gettext = translations(LOCALE, "zh_CN", "messages").gettext
    change = reasons.translated(
        "the change to disability needs evidence that is not on file for the "
        "certification: household_register, child_disability_card", gettext)
    assert "户口簿, 子女残疾证" in change and "household_register" not in change
    approval = reasons.translated(
        "required evidence is not on file: application a1 lacks household_register, "
        "child_death_certificate; application a2 lacks a_kind_no_policy_names", gettext)
    assert "申请 a1 缺少 户口簿, 子女死亡证明" in approval
    assert "申请 a2 缺少 a_kind_no_policy_names" in approval
