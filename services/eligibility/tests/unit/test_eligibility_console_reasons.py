"""The application layer's English refusals shown in the console's language: each known
reason found by its pattern, its ids kept; an unknown reason shown as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from siquan.eligibility.console import reasons
from siquan.shared.auth import Officer
from siquan.shared.console.i18n import translations
from siquan.shared.errors import Refused

LOCALE = Path(reasons.__file__).parent / "locale"


def zh(message: str) -> str:
    return str(translations(LOCALE, "zh_CN", "messages").gettext(message))


def en(message: str) -> str:
    return message


def test_an_officer_out_of_scope_reads_the_refusal_in_chinese() -> None:
    officer = Officer(id="clerk-420117-01", name="clerk", roles=("clerk",),
                      division="420117")
    with pytest.raises(Refused) as refused:
        officer.check_scope("420102")
    assert reasons.translated(str(refused.value), zh) == (
        "工作人员 clerk-420117-01 负责区划 420117，不负责区划 420102。")
    assert reasons.translated(str(refused.value), en) == (
        "Officer clerk-420117-01 acts for 420117, not for division 420102.")


def test_every_pattern_has_its_chinese_text() -> None:
    for _pattern, message in reasons.PATTERNS:
        assert zh(message) != message, message


def test_a_reason_no_pattern_knows_is_shown_as_it_is() -> None:
    assert reasons.translated("the bank is closed today", zh) == "the bank is closed today"
    assert reasons.translated("this person is recorded dead (died on 2026-01-02)", zh) == (
        "此人已登记死亡（死亡日期 2026-01-02）。")
