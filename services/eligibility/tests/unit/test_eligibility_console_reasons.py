"""The application layer's English refusals shown in the console's language: each known
reason found by its pattern, its ids kept; an unknown reason shown as it is."""

from __future__ import annotations

import ast
import importlib
import itertools
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from siquan.contracts import criteria
from siquan.eligibility.application import case_changes, deaths, households
from siquan.eligibility.console import reasons
from siquan.eligibility.domain.case_changes import CategoryChange, Transfer
from siquan.eligibility.domain.certification import Certification
from siquan.eligibility.testing import APPROVER, REVIEWER, Cycle, officer
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


# -- the case pages' refusals, each as the use case words it ------------------------------

OTHER_TOWNSHIP_REVIEWER = officer("reviewer-420117002", "township_reviewer",
                                  division="420117002")
NUMBER = "420117001-0042"
SHARED: dict[str, Any] = {
    "residence": "rural", "family_type": "only_child_died",
    "children": [{"sex": "male", "birth_date": "1985-04-02", "status": "died",
                  "died_on": "2024-11-20"}],
    "holds_one_child_certificate": True, "gave_up_second_child": False,
    "in_hardship": False, "on_minimum_living_allowance": False}
AT = datetime(2026, 2, 20, 9, tzinfo=UTC)


async def _refusal(cycle: Cycle, handler: Any, command: Any) -> str:
    with pytest.raises(Refused) as refused:
        await cycle.run(handler, command)
    return str(refused.value)


def _raised(action: Any) -> str:
    with pytest.raises(Refused) as refused:
        action()
    return str(refused.value)


async def _household(cycle: Cycle) -> tuple[str, str, str]:
    head, spouse = cycle.people.next(), cycle.people.next()
    done = await cycle.run(households.register, households.RegisterHousehold(
        REVIEWER, NUMBER, "420117001", SHARED,
        [households.NewMember(head, "陈建国", "head"),
         households.NewMember(spouse, "王秀英", "spouse")]))
    return done.result[0]["household_id"], head, spouse


async def test_the_household_registers_refusals_read_in_chinese(cycle: Cycle) -> None:
    household_id, head, spouse = await _household(cycle)
    seen = {
        await _refusal(cycle, households.register, households.RegisterHousehold(
            REVIEWER, NUMBER, "420117001", SHARED,
            [households.NewMember(head, "陈建国", "head")])):
        "该户号已登记，但成员或家庭信息不同。",
        await _refusal(cycle, households.register, households.RegisterHousehold(
            REVIEWER, "420117001-0043", "420117001", SHARED,
            [households.NewMember(cycle.people.next(), "陈建军", "spouse")])):
        "一户有且只有一名户主。",
        await _refusal(cycle, households.register, households.RegisterHousehold(
            REVIEWER, "420117001-0043", "420117001", SHARED,
            [households.NewMember(spouse, "王秀英", "head")])):
        "此人已是另一户的成员；请先将其从该户迁出。",
        await _refusal(cycle, households.register, households.RegisterHousehold(
            REVIEWER, "420117001-0044", "420117001", SHARED,
            [households.NewMember(head, "陈建国", "head"),
             households.NewMember(head, "陈建国", "spouse")])):
        "成员中同一人出现了两次。",
        await _refusal(cycle, households.add_member, households.AddMember(
            REVIEWER, household_id, households.NewMember(spouse, "王秀英", "child"))):
        "此人已是该户成员，但与户主关系不同。",
        await _refusal(cycle, households.remove_member, households.RemoveMember(
            REVIEWER, household_id, head, "moved out")):
        "户主须最后迁出；请先将其余成员登记到各自户主名下。",
        await _refusal(cycle, households.remove_member, households.RemoveMember(
            REVIEWER, household_id, cycle.people.next(), "never lived here")):
        "此人不是该户成员。",
        await _refusal(cycle, households.add_member, households.AddMember(
            OTHER_TOWNSHIP_REVIEWER, household_id,
            households.NewMember(cycle.people.next(), "陈小明", "child"))):
        "工作人员 reviewer-420117002 负责区划 420117002，不负责区划 420117001。",
    }
    async with cycle.unit() as uow:
        with pytest.raises(Refused) as missing:
            await households.show(uow, REVIEWER, str(uuid.uuid4()))
    seen[str(missing.value)] = "未找到。"
    for reason, expected in seen.items():
        assert reasons.translated(reason, zh) == expected, reason
    contradicting = await _refusal(cycle, households.register, households.RegisterHousehold(
        REVIEWER, "420117001-0045", "420117001", {**SHARED, "children": []},
        [households.NewMember(cycle.people.next(), "陈建军", "head")]))
    assert contradicting.startswith("household facts: ")
    assert reasons.translated(contradicting, zh) == (
        "家庭信息有误：该家庭类型（独生子女死亡）有且只有一个子女，且该子女已死亡。")


def _certification(**changes: object) -> Certification:
    values: dict[str, object] = dict(
        id="c1", application_id="a1", program_code="special_assistance",
        category="disability", policy_version="wuhan-2012", person_key="0" * 64,
        division_code="420117001", township_code="420117001",
        effective_from=date(2026, 1, 15), valid_until=date(2026, 12, 31))
    return Certification(**{**values, **changes})  # type: ignore[arg-type]


def _transfer(certification: Certification, *, to: str = "420102",
              effective_from: date = date(2026, 4, 1), latest: date | None = None,
              to_township: str | None = None) -> Transfer:
    return Transfer.initiate("t1", certification, to_division_code=to,
                             to_township_code=to_township, effective_from=effective_from,
                             reason="moved", by="approver-420117-01", at=AT,
                             latest_change=latest)


def _change(certification: Certification, to: str, *, reason: str = "worse",
            effective_from: date = date(2026, 4, 1)) -> CategoryChange:
    return CategoryChange.record("k1", certification, to_category=to,
                                 categories=("death", "disability"),
                                 effective_from=effective_from, reason=reason, by="a",
                                 at=AT, latest_change=None)


def test_the_refusals_of_transfers_and_category_changes_read_in_chinese() -> None:
    pending = _transfer(_certification())
    refused_once = _transfer(_certification())
    refused_once.refuse("papers missing", "approver-420102-01", AT)
    lapsed = _certification()
    lapsed_transfer = _transfer(lapsed)
    lapsed.status = "lapsed"
    seen = {
        _raised(lambda: pending.accept(_certification(), "approver-420117-01", AT)):
        "迁移由迁入县审批人决定，发起人不能审批（职责分离）。",
        _raised(lambda: refused_once.accept(_certification(), "approver-420102-01", AT)):
        "该迁移已处理（refused）。",
        _raised(lambda: lapsed_transfer.accept(lapsed, "approver-420102-01", AT)):
        "该资格状态为 lapsed，该迁移只能拒绝。",
        _raised(lambda: pending.accept(_certification(), "approver-420102-01", AT,
                                       latest_change=date(2026, 6, 1))):
        "该资格自 2026-06-01 起已变更，晚于迁移生效月份；该迁移只能拒绝。",
        _raised(lambda: pending.refuse(" ", "approver-420102-01", AT)): "请填写理由。",
        _raised(lambda: _transfer(_certification(status="revoked"))):
        "该资格状态为 revoked，不能迁移。",
        _raised(lambda: _transfer(_certification(), to="420117")): "该资格已属于该县。",
        _raised(lambda: _transfer(_certification(), effective_from=date(2026, 1, 1))):
        "迁移不能在已过去的月份生效。",
        _raised(lambda: _transfer(_certification(), effective_from=date(2025, 12, 1))):
        "该资格自 2026-01-15 起生效；变更不能早于该日期生效。",
        _raised(lambda: _transfer(_certification(), latest=date(2026, 5, 1))):
        "该资格已自 2026-05-01 起变更；之后的变更不能早于该日期生效。",
        _raised(lambda: _transfer(_certification(), effective_from=date(2026, 4, 2))):
        "迁移或类别变更须自某月 1 日起生效。",
        _raised(lambda: _transfer(_certification(), to="420102001")):
        "迁入地须为县级区划（6 位代码）。",
        _raised(lambda: _transfer(_certification(), to_township="420117002")):
        "迁入乡镇不在迁入县内。",
        _raised(lambda: _change(_certification(), "disability")): "该资格已属于该类别。",
        _raised(lambda: _change(_certification(), "blind")):
        "项目 special_assistance 在 2026-04-01 没有有效的类别 blind。",
        _raised(lambda: _change(_certification(), "death", reason=" ")): "请填写理由。",
        _raised(lambda: _change(_certification(status="revoked"), "death")):
        "该资格状态为 revoked，不能变更类别。",
    }
    for reason, expected in seen.items():
        assert reasons.translated(reason, zh) == expected, reason


async def test_a_category_change_names_the_missing_documents_and_facts_in_chinese(
        cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    missing = await _refusal(cycle, case_changes.change_category, case_changes.ChangeCategory(
        APPROVER, certification_id, "disability", date(2026, 4, 1), "残疾证已核", {
            "family_type": "only_child_disabled", "children": [{
                "sex": "male", "birth_date": "1985-04-02", "status": "disabled",
                "disability_grade": 2}]}))
    assert reasons.translated(missing, zh) == (
        "变更为 disability 所需的证明材料尚未为该资格归档：子女残疾证。请先在资格"
        "页面归档。")
    incomplete = ("the change is incomplete: disability needs household.family_type, "
                  "household.children, household")
    assert reasons.translated(incomplete, zh) == (
        "变更信息不全：disability 需要 家庭类型, 子女情况, 已登记的户。")


async def test_the_refusals_of_a_recorded_death_read_in_chinese(cycle: Cycle) -> None:
    resident_id = cycle.people.next()
    await cycle.run(deaths.record_death, deaths.RecordDeath(
        REVIEWER, resident_id, date(2026, 2, 10), "death_certificate", "HB-0001"))
    seen = {
        await _refusal(cycle, deaths.record_death, deaths.RecordDeath(
            REVIEWER, resident_id, date(2026, 2, 11), "death_certificate", "HB-0002")):
        "此人已登记了另一日期的死亡；须先核对两份记录，才能再登记。",
        await _refusal(cycle, deaths.record_death, deaths.RecordDeath(
            REVIEWER, cycle.people.next(), date(2027, 1, 1), "death_certificate",
            "HB-0003")):
        "死亡日期晚于今天。",
    }
    for reason, expected in seen.items():
        assert reasons.translated(reason, zh) == expected, reason


# -- every reason the application layer composes has its Chinese text ----------------------

PACKAGE = Path(reasons.__file__).parents[1]
REFUSALS = {"Refused", "InvalidRequest", "NotFound", "OutOfScope"}
# the policy register, roster imports and death corrections are the JSON API's
# alone: no console page calls them, so their reasons stay English
NOT_ON_THE_CONSOLE = {"application/policy_register.py",
                      "application/roster_import.py", "domain/policy_draft.py",
                      "domain/death.py"}
# values a reason's placeholders take: a division, a day, a status or category, an id, a count
SAMPLES = ("420117", "2026-04-01", "closed", "a1", "3")


def _shape(node: ast.expr, module: object) -> list[str | None] | None:
    """The reason's text as fixed parts and placeholders (None); None when it is not
    composed here (a variable, another exception's text)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name):
        value = getattr(module, node.id, None)
        return [value] if isinstance(value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts: list[str | None] = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                known = _shape(value.value, module) if isinstance(value.value, ast.Name) \
                    else None
                if value.conversion == ord("r"):  # a repr: the value in quotes
                    parts.extend(["'", None, "'"])
                else:
                    parts.extend(known or [None])
            else:
                parts.extend(_shape(value, module) or [None])
        return parts
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _shape(node.left, module), _shape(node.right, module)
        return (left or [None]) + (right or [None])
    return None


def _composed() -> list[tuple[str, list[str | None]]]:
    """Each refusal raised in the application and domain layers with the text it
    composes, by where it is raised."""
    found = []
    for layer in ("application", "domain"):
        for path in sorted((PACKAGE / layer).glob("*.py")):
            if f"{layer}/{path.name}" in NOT_ON_THE_CONSOLE:
                continue
            module = importlib.import_module(f"siquan.eligibility.{layer}.{path.stem}")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                        and isinstance(node.exc.func, ast.Name)
                        and node.exc.func.id in REFUSALS and node.exc.args):
                    continue
                shape = _shape(node.exc.args[0], module)
                if shape is not None and any(part for part in shape):
                    found.append((f"{layer}/{path.name}:{node.lineno}", shape))
    return found


def _read_in_chinese(shape: list[str | None]) -> bool:
    holes = shape.count(None)
    for values in itertools.product(SAMPLES, repeat=holes):
        filled = iter(values)
        reason = "".join(part if part is not None else next(filled) for part in shape)
        if reasons.translated(reason, zh) != reason:
            return True
    return False


def test_every_reason_the_application_layer_composes_reads_in_chinese() -> None:
    composed = _composed()
    assert len(composed) > 80  # the walk found the raise sites
    untranslated = [f"{where}: {''.join(p if p is not None else '…' for p in shape)}"
                    for where, shape in composed if not _read_in_chinese(shape)]
    assert untranslated == []


def test_the_console_imports_none_of_the_modules_whose_reasons_stay_english() -> None:
    imported = set()
    for path in (PACKAGE / "console").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                layer = node.module.removeprefix("siquan.eligibility.")
                imported |= {f"{layer}/{alias.name}.py" for alias in node.names}
                imported.add(f"{layer.replace('.', '/')}.py")
    assert imported & NOT_ON_THE_CONSOLE == set()


def test_the_history_reads_the_composed_reasons_in_chinese_and_the_officers_words_as_written(
        ) -> None:
    assert reasons.history("transferred from 420117001 to 420102: 随子女迁居", zh) == (
        "由 420117001 迁至 420102：随子女迁居")
    assert reasons.history("transferred from 420117001 to 420102: 随子女迁居", en) == (
        "Transferred from 420117001 to 420102: 随子女迁居")
    assert reasons.history("category changed from death to disability: 复核", zh) == (
        "类别由 death 变更为 disability：复核")
    assert reasons.history("re-confirmed for 2027 (home_visit)", zh) == (
        "已完成 2027 年度复核（home_visit）")
    assert reasons.history("granted", zh) == "县级审批认定"
    assert reasons.history("虚报收入", zh) == "虚报收入"


def test_a_category_reads_by_its_name_where_the_page_knows_the_programs_categories(
        ) -> None:
    names = {"death": "独生子女死亡", "disability": "独生子女伤残"}
    assert reasons.history("category changed from death to disability: 复核", zh,
                           names) == "类别由 独生子女死亡 变更为 独生子女伤残：复核"
    # a transfer's divisions are not categories; a category the policy lost keeps its code
    assert reasons.history("transferred from 420117001 to 420102: 迁居", zh, names) == (
        "由 420117001 迁至 420102：迁居")
    assert reasons.history("category changed from retired to disability: 复核", zh,
                           names) == "类别由 retired 变更为 独生子女伤残：复核"
    refusal = ("the change to disability needs evidence that is not on file for the "
               "certification: household_register")
    assert reasons.translated(refusal, zh, names).startswith("变更为 独生子女伤残 所需")
    assert reasons.translated(refusal, zh).startswith("变更为 disability 所需")


def test_a_stale_form_names_the_states_and_the_step_in_chinese() -> None:
    reason = "application a1 is township_reviewed; approval needs it notice_closed"
    assert reasons.translated(reason, zh) == (
        "该申请当前状态为“乡镇已审核”；审批须在“公示期满”状态下进行。页面显示后可能已有他人"
        "处理，请刷新页面。")
    lacking = "required evidence is not on file: application a1 lacks id_card, hukou"
    assert reasons.translated(lacking, zh) == "必需的证明材料未归档：申请 a1 缺少 id_card, hukou。"


def test_a_forms_problem_is_named_by_the_fields_label() -> None:
    assert reasons.field_problem(("resident_id",), "Field required", zh) == "身份证号：必填。"
    assert reasons.field_problem(("members", 0, "resident_id"), "Field required", en) == (
        "Resident ID number: Required.")
    assert reasons.field_problem(("certification_id",), "Field required", zh) == "必填。"


def test_a_survey_column_is_named_by_the_forms_label_with_the_files_header() -> None:
    assert reasons.column("resident_id", zh) == "身份证号（resident_id）"
    assert reasons.column("resident_id", en) == "Resident ID number (resident_id)"
    assert reasons.column("a_column_of_no_form", zh) == "a_column_of_no_form"


def test_household_facts_name_their_fields_by_label() -> None:
    reason = ("household facts: children.0.birth_date: Input should be a valid date; "
              "residence: Field required")
    shown = reasons.translated(reason, zh)
    assert shown == "家庭信息有误：子女情况：不是有效日期（YYYY-MM-DD）。; 户籍：必填。"
    assert "birth_date" not in shown and "residence" not in shown


def _reads_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("reason", [
    "residence must be rural", "family type other does not qualify",
    "the applicant must be a parent", "the applicant must be a child",
    "the applicant must be female", "the applicant must be male",
    "no long_term contraceptive method in place", "the applicant has died",
    "the facts fit no category of special_assistance/wuhan-2012",
    "the facts fit category death, not disability",
    "the benefit ends (2026-01-01) before it would start (2026-02-01)",
    "owed from 2026-03-01", "no longer owed from 2026-03-01",
    "Value error, a disability grade is given exactly when the child is disabled",
    "Value error, died_on is given exactly when the child's status is died",
    "Value error, contraception_method and contraception_since go together",
    "Value error, a child applicant must be one of the household's children",
    "Value error, a only_child_died household has exactly one child, whose status is died",
    "Value error, a two_daughters household has exactly two children, both daughters",
    *(reason for _fact, reason, _holds in criteria._REQUIREMENTS.values()),
])
def test_a_criterion_the_household_facts_miss_reads_in_chinese(reason: str) -> None:
    shown = reasons.translated(reason, zh)
    assert shown != reason and _reads_chinese(shown), shown


def test_facts_that_do_not_qualify_are_named_by_field_and_criterion_in_chinese() -> None:
    shown = reasons.translated(
        "the household facts do not qualify for disability: household.residence: residence "
        "must be rural; household.family_type: family type other does not qualify", zh)
    assert "户籍须为农村" in shown and "家庭类型（其他）不符合条件" in shown, shown
    assert "must be" not in shown and "qualify" not in shown
