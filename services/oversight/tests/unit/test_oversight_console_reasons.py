"""The auditor's decisions' English refusals as the auditor's pages show them in zh-CN:
each reason the finding, hold and complaint pages can show is produced here by the use
case (on the in-memory unit of work) or by the code that words it, and reads Chinese with
its ids, a finding's outcome by its name."""

from __future__ import annotations

import ast
import secrets
import uuid
from pathlib import Path
from typing import Any

import pytest

from siquan.oversight.adapters.memory import FakeOversightWork
from siquan.oversight.console import reasons
from siquan.oversight.public.domain.complaints import ComplaintState
from siquan.oversight.reconciliation.application import decisions
from siquan.oversight.reconciliation.application.raising import raise_finding
from siquan.oversight.reconciliation.domain import bank, payments
from siquan.oversight.reconciliation.domain import findings as rules
from siquan.oversight.reconciliation.domain.findings import Finding
from siquan.shared.auth import Officer
from siquan.shared.console.i18n import translations
from siquan.shared.errors import Refused

LOCALE = Path(reasons.__file__).parent / "locale"


def zh(message: str) -> str:
    return str(translations(LOCALE, "zh_CN", "messages").gettext(message))


def en(message: str) -> str:
    return message


def shown(reason: str) -> str:
    """The reason on a zh-CN page, after checking a pattern knows it."""
    assert any(pattern.match(reason) for pattern, _message in reasons.PATTERNS), reason
    return reasons.translated(reason, zh)


def auditor(division: str = "420117") -> Officer:
    return Officer(id=f"auditor-{division}", name="审计", roles=("auditor",),
                   division=division, token_sha256="0" * 64)


async def refusal(call: Any) -> str:
    with pytest.raises(Refused) as refused:
        await call
    return str(refused.value)


async def raised(uow: FakeOversightWork) -> str:
    """A finding that places a hold on the person."""
    finding_id = await raise_finding(uow, Finding(
        rule=rules.PAID_AFTER_DEATH, dedup_key=f"death:{secrets.token_hex(4)}", reason="r",
        evidence=("m-1",), person_key=secrets.token_hex(32), program_code="special_assistance",
        division_code="420117"))
    assert finding_id is not None
    return finding_id


async def test_a_finding_resolved_twice_reads_chinese_with_the_outcome(
        uow: FakeOversightWork) -> None:
    finding_id = await raised(uow)
    await decisions.resolve_finding(uow, finding_id=finding_id, officer=auditor(),
                                    outcome="confirmed", resolution="recovered")
    reason = await refusal(decisions.resolve_finding(
        uow, finding_id=finding_id, officer=auditor(), outcome="dismissed",
        resolution="again"))
    assert shown(reason) == f"问题线索 {finding_id} 已由 auditor-420117 认定（属实）。"
    assert reasons.translated(reason, en) == (
        f"Finding {finding_id} was resolved already (Confirmed by auditor-420117).")
    unknown = str(uuid.uuid4())
    reason = await refusal(decisions.resolve_finding(
        uow, finding_id=unknown, officer=auditor(), outcome="confirmed", resolution="r"))
    assert shown(reason) == f"没有问题线索 {unknown}。"


async def test_a_hold_lifted_twice_elsewhere_or_unknown_reads_chinese(
        uow: FakeOversightWork) -> None:
    await raised(uow)
    [hold_id] = uow.store.holds
    reason = await refusal(decisions.lift_hold(uow, hold_id=hold_id,
                                               officer=auditor("110105"), reason="checked"))
    assert shown(reason) == "工作人员 auditor-110105 负责区划 110105，不负责区划 420117。"
    await decisions.lift_hold(uow, hold_id=hold_id, officer=auditor(), reason="checked")
    reason = await refusal(decisions.lift_hold(uow, hold_id=hold_id, officer=auditor(),
                                               reason="again"))
    assert shown(reason) == f"止付 {hold_id} 已由 auditor-420117 解除。"
    unknown = str(uuid.uuid4())
    reason = await refusal(decisions.lift_hold(uow, hold_id=unknown, officer=auditor(),
                                               reason="checked"))
    assert shown(reason) == f"没有止付 {unknown}。"


async def test_a_hold_on_someone_oversight_does_not_know_reads_chinese(
        uow: FakeOversightWork) -> None:
    person, run_id = secrets.token_hex(32), str(uuid.uuid4())
    reason = await refusal(decisions.place_hold(
        uow, officer=auditor(), person_key=person, program_code="special_assistance",
        reason="r", evidence=("m-1",)))
    assert shown(reason) == "监督系统没有此人在项目 special_assistance 中的认定。"
    reason = await refusal(decisions.place_hold(
        uow, officer=auditor(), person_key=person, program_code=None, reason="r",
        evidence=("m-1",)))
    assert shown(reason) == "监督系统没有此人的认定。"
    reason = await refusal(decisions.place_run_hold(
        uow, officer=auditor(), run_id=run_id, reason="r", evidence=("m-1",)))
    assert shown(reason) == f"监督系统没有发放批次 {run_id}。"


def test_a_resolved_complaint_reads_chinese() -> None:
    state = ComplaintState(complaint_id="c-1", status="resolved", division_code="420117")
    with pytest.raises(Refused) as assigning:
        state.check_assignable()
    assert shown(str(assigning.value)) == "投诉 c-1 已办结，不再指派承办人。"
    with pytest.raises(Refused) as resolving:
        state.check_resolvable()
    assert shown(str(resolving.value)) == "投诉 c-1 已办结。"


def test_the_refusals_worded_where_no_twin_reaches_them_read_chinese() -> None:
    # The exact wording of `decisions.place_hold` and `place_run_hold` when a hold is in
    # force already, and of `handling` for a complaint not there (the public unit of work).
    assert shown("a hold on this person " + "for special_assistance " + "is already in force"
                 ) == "对此人项目 special_assistance 的止付已在生效中。"
    assert shown("a hold on this person " + "for every program " + "is already in force"
                 ) == "对此人所有项目的止付已在生效中。"
    run_id = str(uuid.uuid4())
    assert shown(f"a hold on run {run_id} is already in force") == (
        f"对发放批次 {run_id} 的止付已在生效中。")
    assert shown(f"no complaint {run_id}") == f"没有投诉 {run_id}。"


def test_every_reason_has_its_chinese_text_naming_the_same_values() -> None:
    for pattern, message in reasons.PATTERNS:
        assert zh(message) != message, message
        for name in pattern.groupindex:
            if f"%({name})s" in message:
                assert f"%({name})s" in zh(message), (message, name)


def test_a_reason_no_pattern_knows_is_shown_as_it_is() -> None:
    assert reasons.translated("the archive is closed today", zh) == (
        "the archive is closed today")


def test_every_rule_has_its_name_in_chinese() -> None:
    assert set(reasons.RULE_NAMES) == set(rules.RULES)
    for name in reasons.RULE_NAMES.values():
        assert zh(name) != name, name


def test_every_finding_reason_has_its_chinese_text_naming_the_same_values() -> None:
    for pattern, message in reasons.FINDINGS:
        assert zh(message) != message, message
        for name in pattern.groupindex:
            if f"%({name})s" in message:
                assert f"%({name})s" in zh(message), (message, name)


def test_the_reconciliations_reasons_read_chinese_and_english() -> None:
    # The wording of `payments._standing` and `raising` (a rule's hold on the payee).
    revoked = "payment p1 for 2026-03 was made after its certification was revoked"
    assert reasons.finding_reason(revoked, zh) == "2026-03 的发放 p1 发生在资格撤销之后。"
    assert reasons.finding_reason(revoked, en) == (
        "Payment p1 for 2026-03 was made after its certification was revoked.")
    assert reasons.finding_reason("finding f1: paid_after_revocation", zh) == (
        "问题线索 f1：撤销后仍发放")
    assert reasons.finding_reason("核查后暂停发放", zh) == "核查后暂停发放"


def test_the_reconciliations_own_dismissals_read_chinese() -> None:
    # The wording of `decisions.release_for_death_corrected` and
    # `payment_rules.dismiss_retries`, shown as a dismissed finding's resolution.
    corrected = "the death of 2026-03-02 was recorded in error and corrected by approver-1"
    assert reasons.finding_reason(corrected, zh) == (
        "2026-03-02 的死亡登记有误，已由 approver-1 更正。")
    retry = ("payment p1 was returned by the bank, as disbursement told in message m1 "
             "before it made payment p2: a retry, paid once")
    assert reasons.finding_reason(retry, zh) == (
        "发放 p1 已被银行退回，资金发放在消息 m1 中告知此事之后才发放 p2：属于重发，只发放了一次。")
    assert reasons.finding_reason("核实无误", zh) == "核实无误"  # an auditor's own words


def _bank(kind: str, source: str, *, expected: str | None, stated: str | None) -> str:
    return bank.bank_difference_finding(bank.BankDifference(
        source=source, where="s1", bank_document="BOC-20261031", line=3 if expected else 0,
        kind=kind, payment_id="p1", run_id="r1", program_code="special_assistance",
        period="2026-10", division_code="420117", expected_amount_fen=80_000,
        stated_amount_fen=None if stated is None else 70_000, expected_account=expected,
        stated_account=stated, held_status="settled" if expected else None,
        bank_reference="b1", message_id="m1")).reason


@pytest.mark.parametrize("kind", sorted(bank._DESCRIBED))
def test_a_banks_difference_reads_chinese(kind: str) -> None:
    for source, expected, stated in (("statement", "6222020000001234", "6222020000005678"),
                                     ("results", None, None)):
        reason = _bank(kind, source, expected=expected, stated=stated)
        shown = reasons.finding_reason(reason, zh)
        assert shown != reason
        assert bank._DESCRIBED[kind] not in shown and "fen to" not in shown, shown
        assert "6222020000001234" not in shown
        if expected:  # the payment's state in disbursement, named too
            assert "(已到账)" in shown and "(settled)" not in shown, shown


# -- every reason the reconciliation words has its Chinese text ----------------------------

RECONCILIATION = Path(rules.__file__).parents[1]


def _sample(node: ast.FormattedValue) -> str:
    """A value like the one the placeholder takes, by what it names."""
    text = ast.unparse(node.value)
    spec = ast.unparse(node.format_spec) if node.format_spec else ""
    if "%" in spec:
        return "85.0%"
    for words, value in ((("fen", "count", "on_time", "counted", "days", "limit", "len(",
                           "expected"),
                          "3"), (("year",), "2026"), (("division",), "420117"),
                         (("period",), "2026-03"), (("date", "day", "deadline"),
                                                    "2026-03-31"), (("kind",), "reserve")):
        if any(word in text for word in words):
            return value
    return "x1"


def _reason_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_sample(v) if isinstance(v, ast.FormattedValue) else str(v.value)
                       for v in node.values if isinstance(v, ast.FormattedValue | ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _reason_text(node.left), _reason_text(node.right)
        return (left or "x1") + (right or "x1 is 3 fen, not 4 fen")
    return None


def _worded() -> list[tuple[str, str]]:
    """Each finding's reason worded in the reconciliation (the bank's composed from parts
    is read in `test_a_banks_difference_reads_chinese`), by where."""
    found = []
    for path in sorted(RECONCILIATION.glob("*/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            name = node.func.id
            argument = next((k.value for k in node.keywords if k.arg == "reason"), None)
            if argument is None and name in ("Finding", "_about", "_about_settlement") \
                    and len(node.args) > 2:
                argument = node.args[2]
            if name not in ("Finding", "_about", "_about_settlement") or argument is None:
                continue
            text = _reason_text(argument)
            if text is not None and path.name != "bank.py":
                found.append((f"{path.parent.name}/{path.name}:{node.lineno}", text))
    for why in payments._NOT_OWED.values():
        found.append(("domain/payments.py", f"payment p1 for 2026-03 was made {why[1]}"))
    return found


def test_every_finding_reason_the_reconciliation_words_reads_chinese() -> None:
    worded = _worded()
    assert len(worded) > 15  # the walk found the findings
    assert [(where, text) for where, text in worded
            if reasons.finding_reason(text, zh) == text] == []
