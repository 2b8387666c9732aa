"""Small policy versions and the catalogue that layers published versions over the seed."""

from __future__ import annotations

from datetime import date

import pytest

from siquan.contracts.policy import Citation, PolicyVersion, load_catalogue, seed_catalogue
from siquan.contracts.policy_versions import (
    PolicyChanges,
    VersionRefused,
    amend,
    apply_published,
    layered,
)

PROGRAM, DIVISION = "special_assistance", "420117"
CITATION = Citation(document="鄂卫发〔2026〕1号", clause="提高特别扶助金标准")


def _base(on: date = date(2026, 7, 1)) -> PolicyVersion:
    return seed_catalogue().in_force(PROGRAM, on, DIVISION)


def _raise(label: str, day: date, **changes: object) -> PolicyVersion:
    return amend(_base(day), PolicyChanges.model_validate(changes), version=label,
                 effective_from=day, citation=CITATION)


def test_a_small_version_changes_one_amount_and_keeps_everything_else() -> None:
    base = _base()
    death = base.benefit("death").amount_fen
    amended = _raise("raise-2026", date(2026, 7, 1), amounts_fen={"death": death + 1_234})
    assert amended.benefit("death").amount_fen == death + 1_234
    assert [b for b in amended.benefits if b.category != "death"] == [
        b for b in base.benefits if b.category != "death"]
    assert (amended.fiscal_shares, amended.eligibility, amended.division_scope) == (
        base.fiscal_shares, base.eligibility, base.division_scope)
    assert (amended.version, amended.effective_from, amended.citation) == (
        "raise-2026", date(2026, 7, 1), CITATION)


def test_one_fiscal_share_moves_against_another_and_the_rest_stay() -> None:
    base = _base()
    shares = base.fiscal_shares
    amended = _raise("shares-2026", date(2026, 7, 1), fiscal_shares={
        "central": shares.central + 500, "county": shares.county - 500})
    assert amended.fiscal_shares.central == shares.central + 500
    assert amended.fiscal_shares.county == shares.county - 500
    assert (amended.fiscal_shares.provincial, amended.fiscal_shares.municipal) == (
        shares.provincial, shares.municipal)
    assert amended.benefits == base.benefits


def test_shares_that_no_longer_add_up_are_refused_with_the_reason() -> None:
    with pytest.raises(VersionRefused, match="10000 basis points"):
        _raise("bad", date(2026, 7, 1), fiscal_shares={"central": 9_999})


def test_an_unknown_category_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(VersionRefused, match=r"no category widow.*death"):
        _raise("bad", date(2026, 7, 1), amounts_fen={"widow": 100})


def test_a_version_that_changes_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one field"):
        PolicyChanges()
    same = _base().benefit("death").amount_fen
    with pytest.raises(VersionRefused, match="leave"):
        _raise("same", date(2026, 7, 1), amounts_fen={"death": same})


def test_a_version_must_start_after_its_base() -> None:
    base = _base()
    with pytest.raises(VersionRefused, match="after"):
        amend(base, PolicyChanges(notice_days=9), version="early",
              effective_from=base.effective_from, citation=CITATION)


def test_the_published_version_is_in_force_from_its_day_and_the_seed_before_it() -> None:
    day = date(2026, 7, 1)
    raised = _raise("raise-2026", day, amounts_fen={"death": 99_900})
    catalogue = layered(seed_catalogue(), [raised])
    assert catalogue.amount_for(PROGRAM, "death", "2026-07", DIVISION) == 99_900
    assert catalogue.amount_for(PROGRAM, "death", "2026-06", DIVISION) == \
        seed_catalogue().amount_for(PROGRAM, "death", "2026-06", DIVISION)


def test_order_of_arrival_and_repetition_change_nothing() -> None:
    first = _raise("raise-a", date(2026, 3, 1), amounts_fen={"death": 50_000})
    second = _raise("raise-b", date(2026, 9, 1), amounts_fen={"death": 60_000})
    one = layered(seed_catalogue(), [first, second])
    other = layered(seed_catalogue(), [second, first, second, first])
    assert one == other
    amounts = [one.amount_for(PROGRAM, "death", p, DIVISION)
               for p in ("2026-02", "2026-03", "2026-08", "2026-09")]
    assert amounts[1:] == [50_000, 50_000, 60_000]
    assert amounts[0] == seed_catalogue().amount_for(PROGRAM, "death", "2026-02", DIVISION)


def test_a_label_published_again_with_other_content_is_refused() -> None:
    first = _raise("raise-a", date(2026, 3, 1), amounts_fen={"death": 50_000})
    changed = first.model_copy(update={"notice_days": first.notice_days + 1})
    with pytest.raises(VersionRefused, match="other content"):
        layered(seed_catalogue(), [first, changed])


def test_a_seed_label_cannot_be_published() -> None:
    seed = _base()
    with pytest.raises(VersionRefused, match="seed version"):
        layered(seed_catalogue(), [seed])


def test_two_versions_starting_the_same_day_in_one_scope_are_refused() -> None:
    first = _raise("raise-a", date(2026, 3, 1), amounts_fen={"death": 50_000})
    twin = _raise("raise-b", date(2026, 3, 1), amounts_fen={"death": 51_000})
    with pytest.raises(VersionRefused, match="same day"):
        layered(seed_catalogue(), [first, twin])


def test_applying_published_versions_replaces_the_process_catalogue() -> None:
    raised = _raise("raise-2026", date(2026, 7, 1), amounts_fen={"death": 77_700})
    try:
        apply_published([raised])
        assert load_catalogue().amount_for(PROGRAM, "death", "2026-08", DIVISION) == 77_700
        with pytest.raises(VersionRefused):
            apply_published([raised, raised.model_copy(update={"notice_days": 1})])
        assert load_catalogue().amount_for(PROGRAM, "death", "2026-08", DIVISION) == 77_700
    finally:
        apply_published([])
    assert load_catalogue() == seed_catalogue()
