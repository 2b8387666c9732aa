"""Fund custody's documents and monthly report through its HTTP API on the real broker and
database: the monthly report upward (county → city → province) per fiscal level, for the
month and the year to date, to the fen against figures computed here from the policy's
standards and shares; the same report as a spreadsheet; the year-end statement as a
spreadsheet and as a printed PDF (rendered to an image here: the Chinese title is inked
and its text reads back). The service runs on a clock the test moves (appropriations are
dated) with officers of a city and a province besides the county's."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from openpyxl import load_workbook

from siquan.contracts.disbursement_v1 import (
    AllocationRequested,
    PaymentRunCompleted,
    PaymentsSettled,
    SettledPayment,
)
from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.contracts.policy import load_catalogue
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.clock import FileClock
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import tap
from siquan.shared.testing.processes import ServiceProcess, free_port

from .conftest import bearer, fresh_key

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[4]
COUNTY, OTHER_COUNTY, OTHER_CITY_COUNTY = "420117", "420102", "420202"
COUNTY_TREASURER, CITY_TREASURER = "treasury-420117-01", "treasury-420100-01"
PROVINCE_TREASURER, OTHER_TREASURER = "treasury-420000-01", "treasury-420102-01"
LEVELS = ("central", "provincial", "municipal", "county")
FIGURES = ("forecast_fen", "appropriated_fen", "spent_fen", "outstanding_fen")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CLOCK: dict[str, FileClock] = {}


@pytest.fixture(scope="module")
def fund_custody_process(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
                         ) -> Iterator[ServiceProcess]:
    """Fund custody with a city's and a province's treasurers and a clock file."""
    base = tmp_path_factory.mktemp("fund_custody_exports")
    officers = json.loads((REPO / "infra" / "dev" / "officers.json").read_text("utf-8"))
    for officer_id, division in ((CITY_TREASURER, "420100"), (PROVINCE_TREASURER, "420000"),
                                 (OTHER_TREASURER, OTHER_COUNTY)):
        officers.append({"id": officer_id, "name": officer_id, "roles": ["treasury_officer"],
                         "division": division, "token_sha256": hashlib.sha256(
                             f"dev-{officer_id}".encode()).hexdigest()})
    (base / "officers.json").write_text(json.dumps(officers), "utf-8")
    CLOCK["now"] = FileClock(base / "clock")
    CLOCK["now"].set(datetime.now(UTC))
    env_vars = {**siquan_env.service_env("fund_custody", port=free_port()),
                "SIQUAN_OFFICERS_FILE": str(base / "officers.json"),
                "SIQUAN_CLOCK_FILE": str(base / "clock"),
                "SIQUAN_FORECAST_DEBOUNCE_SECONDS": "0.5"}
    process = ServiceProcess("fund_custody", env_vars, base / "logs")
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def fresh_monthly_key(fc: Any) -> AccountKey:
    """A special account no other test uses: special assistance (monthly, Wuhan's
    standard) in a year none of the fixed-year tests touches."""
    return await fresh_key(fc, lambda k: k.program_code == "special_assistance"
                           and 2088 <= k.fiscal_year <= 2099)


def split(total: int, division: str, period: str, program: str) -> dict[str, int]:
    """A cost split by the shares in force, the rounding remainder to the county."""
    s = load_catalogue().in_force(program, date.fromisoformat(f"{period}-01"),
                                  division).fiscal_shares
    parts = {"central": total * s.central // 10_000,
             "provincial": total * s.provincial // 10_000,
             "municipal": total * s.municipal // 10_000}
    return {**parts, "county": total - sum(parts.values())}


def granted(key: AccountKey, division: str, category: str, since: date
            ) -> CertificationGranted:
    return CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=key.program_code, category=category, policy_version="test",
        person_key=uuid.uuid4().hex * 2, masked_name="张**",
        masked_resident_id="4201**********1234", division_code=division,
        effective_from=since, reviewed_by="reviewer-420117-01",
        approved_by="approver-420117-01", approved_at=datetime.now(UTC))


async def appropriate(fc: Any, key: AccountKey, division: str, level: str, fen: int,
                      on: date) -> None:
    CLOCK["now"].set(datetime(on.year, on.month, on.day, 3, 0, tzinfo=UTC))
    officer = OTHER_TREASURER if division == OTHER_COUNTY else (
        PROVINCE_TREASURER if division == OTHER_CITY_COUNTY else COUNTY_TREASURER)
    response = await fc.http.post("/appropriations", headers=bearer(officer), json={
        "program_code": key.program_code, "fiscal_year": key.fiscal_year,
        "division_code": division, "fiscal_level": level, "amount_fen": fen})
    assert response.status_code == 201, response.text


async def paid_run(fc: Any, key: AccountKey, period: str, total: int, *amounts: int) -> None:
    """A run of the period, allocated, paying `amounts`, completed (as disbursement)."""
    run_id = str(uuid.uuid4())
    async with tap(fc.env, "fund_custody") as tapped:
        await fc.publish(AllocationRequested(
            run_id=run_id, program_code=key.program_code, fiscal_year=key.fiscal_year,
            period=period, division_code=key.division_code, payee_count=len(amounts),
            total_fen=total))
        await fc.published(tapped, "allocation.approved.v1", run_id=run_id)
    await fc.wait_processed(await fc.publish(PaymentsSettled(
        run_id=run_id, program_code=key.program_code, period=period,
        division_code=key.division_code, chunk=0,
        payments=tuple(SettledPayment(payment_id=str(uuid.uuid4()),
                                      person_key=uuid.uuid4().hex * 2,
                                      certification_id=str(uuid.uuid4()), item="benefit",
                                      amount_fen=a, bank_reference=f"B{i}")
                       for i, a in enumerate(amounts)))))
    await fc.wait_processed(await fc.publish(PaymentRunCompleted(
        run_id=run_id, program_code=key.program_code, period=period,
        division_code=key.division_code, payee_count=len(amounts), total_fen=total,
        settled_count=len(amounts), settled_fen=sum(amounts), failed_count=0,
        failed_fen=total - sum(amounts))))


def figures(month: dict[str, dict[str, int]], to_date: dict[str, dict[str, int]]
            ) -> list[dict[str, Any]]:
    """The report's levels from the hand-computed figures (outstanding derived)."""
    rows = []
    for level in LEVELS:
        spans = {}
        for span, values in (("month", month), ("year_to_date", to_date)):
            row = {name: values[name][level] for name in FIGURES[:3]}
            row["outstanding_fen"] = max(row["forecast_fen"] - row["appropriated_fen"], 0)
            spans[span] = row
        rows.append({"fiscal_level": level, **spans})
    return rows


def summed(*parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"fiscal_level": level, **{span: {name: sum(
        next(r for r in part if r["fiscal_level"] == level)[span][name] for part in parts)
        for name in FIGURES} for span in ("month", "year_to_date")}} for level in LEVELS]


def totals(levels: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    return {span: {name: sum(r[span][name] for r in levels) for name in FIGURES}
            for span in ("month", "year_to_date")}


async def test_the_monthly_report_goes_up_from_county_to_city_to_province_to_the_fen(
        fc: Any) -> None:
    key = await fresh_monthly_key(fc)
    year, program = key.fiscal_year, key.program_code
    march = f"{year}-03"
    catalogue = load_catalogue()

    def monthly(category: str, division: str, month: int) -> int:
        return catalogue.amount_for(program, category, f"{year}-{month:02d}", division)

    events = [granted(key, COUNTY, "death", date(year - 2, 5, 1)),
              granted(key, COUNTY, "death", date(year - 1, 1, 1)),
              granted(key, COUNTY, "disability", date(year, 4, 10)),  # from April
              granted(key, OTHER_COUNTY, "disability", date(year - 1, 7, 1)),
              granted(key, OTHER_CITY_COUNTY, "death", date(year, 2, 1))]  # from February
    for event in events:
        await fc.wait_processed(await fc.publish(event))
    await appropriate(fc, key, COUNTY, "central", 300_000, date(year, 2, 15))
    await appropriate(fc, key, COUNTY, "county", 50_000, date(year, 3, 10))
    await appropriate(fc, key, OTHER_COUNTY, "provincial", 100_000, date(year, 3, 31))
    await appropriate(fc, key, OTHER_CITY_COUNTY, "central", 40_000, date(year, 4, 1))
    await paid_run(fc, key, march, 60_000, monthly("death", COUNTY, 3),
                   monthly("death", COUNTY, 3))
    await paid_run(fc, key, f"{year}-02", 42_000, monthly("death", COUNTY, 2))

    # By hand: the county pays two deaths each month of the quarter (the disability
    # joins in April); 420102 one disability; 420202 one death from February.
    def costs(division: str, per_month: dict[int, int]) -> tuple[dict[str, int],
                                                                  dict[str, int]]:
        to_date = {lv: 0 for lv in LEVELS}
        for m, cost in per_month.items():
            for lv, part in split(cost, division, f"{year}-{m:02d}", program).items():
                to_date[lv] += part
        return split(per_month[3], division, march, program), to_date

    zero = dict.fromkeys(LEVELS, 0)
    c_month, c_ytd = costs(COUNTY, {m: 2 * monthly("death", COUNTY, m) for m in (1, 2, 3)})
    county = figures(
        {"forecast_fen": c_month, "appropriated_fen": {**zero, "county": 50_000},
         "spent_fen": split(2 * monthly("death", COUNTY, 3), COUNTY, march, program)},
        {"forecast_fen": c_ytd, "appropriated_fen": {**zero, "central": 300_000,
                                                     "county": 50_000},
         "spent_fen": {lv: split(2 * monthly("death", COUNTY, 3), COUNTY, march, program)[lv]
                       + split(monthly("death", COUNTY, 2), COUNTY, f"{year}-02",
                               program)[lv] for lv in LEVELS}})
    o_month, o_ytd = costs(OTHER_COUNTY, {m: monthly("disability", OTHER_COUNTY, m)
                                          for m in (1, 2, 3)})
    other = figures({"forecast_fen": o_month, "spent_fen": zero,
                     "appropriated_fen": {**zero, "provincial": 100_000}},
                    {"forecast_fen": o_ytd, "spent_fen": zero,
                     "appropriated_fen": {**zero, "provincial": 100_000}})
    f_month, f_ytd = costs(OTHER_CITY_COUNTY, {1: 0, 2: monthly("death", OTHER_CITY_COUNTY, 2),
                                               3: monthly("death", OTHER_CITY_COUNTY, 3)})
    far = figures({"forecast_fen": f_month, "spent_fen": zero, "appropriated_fen": zero},
                  {"forecast_fen": f_ytd, "spent_fen": zero, "appropriated_fen": zero})
    assert sum(c_ytd.values()) == 6 * 21_000 and c_ytd["central"] == 63_000

    path = f"/reports/monthly/{program}/{march}"
    report = (await fc.get(f"{path}/{COUNTY}", officer=COUNTY_TREASURER)).json()
    assert (report["report_level"], report["accounts"]) == ("county", 1)
    assert report["levels"] == county and report["totals"] == totals(county)
    assert report["totals"]["year_to_date"]["outstanding_fen"] == sum(
        max(c_ytd[lv] - a, 0) for lv, a in {**zero, "central": 300_000,
                                            "county": 50_000}.items())

    city = (await fc.get(f"{path}/420100", officer=CITY_TREASURER)).json()
    assert (city["report_level"], city["accounts"]) == ("city", 2)
    assert [p["division_code"] for p in city["parts"]] == [OTHER_COUNTY, COUNTY]
    assert city["parts"][0]["levels"] == other and city["parts"][1]["levels"] == county
    assert city["levels"] == summed(county, other)
    assert city["totals"] == totals(summed(county, other))

    province = (await fc.get(f"{path}/420000", officer=PROVINCE_TREASURER)).json()
    assert (province["report_level"], province["accounts"]) == ("province", 3)
    assert [(p["division_code"], p["accounts"]) for p in province["parts"]] == [
        ("420100", 2), ("420200", 1)]
    assert province["parts"][0]["levels"] == city["levels"]
    assert province["parts"][1]["levels"] == far
    assert province["levels"] == summed(county, other, far)

    assert (await fc.get(f"{path}/420100", officer=COUNTY_TREASURER)).status_code == 403
    assert (await fc.get(f"/reports/monthly/{program}/{year}-13/{COUNTY}")).status_code == 422
    assert (await fc.get(f"/reports/monthly/no_such_program/{march}/{COUNTY}",
                         officer=COUNTY_TREASURER)).status_code == 404

    sheet = await fc.get(f"{path}/420000.xlsx", officer=PROVINCE_TREASURER)
    assert sheet.status_code == 200 and sheet.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(sheet.content))
    level_zh = {"central": "中央", "provincial": "省级", "municipal": "市级",
                "county": "县级"}
    expected = [("420000", level_zh[r["fiscal_level"]],
                 *(r["month"][n] for n in FIGURES), *(r["year_to_date"][n] for n in FIGURES))
                for r in summed(county, other, far)]
    rows = list(book["月报汇总"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[:2] == ("区划", "财政级次")) + 1
    assert rows[start:start + 4] == expected
    assert rows[start + 4][1] == "合计" and list(rows[start + 4][2:]) == [
        *(totals(summed(county, other, far))["month"][n] for n in FIGURES),
        *(totals(summed(county, other, far))["year_to_date"][n] for n in FIGURES)]
    parts = [r for r in book["分区划"].iter_rows(values_only=True) if r[1] == "中央"]
    assert [(r[0], r[2], r[6]) for r in parts] == [
        ("420100", c_month["central"] + o_month["central"],
         c_ytd["central"] + o_ytd["central"]),
        ("420200", f_month["central"], f_ytd["central"])]


def inked(pdf: bytes) -> tuple[int, str]:
    """Dark pixels in the top eighth of page 1 (the title), and page 1's text."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=1.5).to_pil().convert("L")
    title = image.crop((0, 0, image.size[0], image.size[1] // 8))
    return sum(title.histogram()[:128]), "".join(page.get_textpage().get_text_range().split())


async def test_the_year_end_statement_exports_to_a_spreadsheet_and_prints(fc: Any) -> None:
    key = await fresh_key(fc)
    base = f"/statements/{key.program_code}/{key.fiscal_year}/{key.division_code}"
    CLOCK["now"].set(datetime.now(UTC))
    await fc.appropriate(key, 100_000, level="central")
    await fc.appropriate(key, 20_001, level="county")
    assert (await fc.get(f"{base}.xlsx")).status_code == 404  # not produced yet
    async with tap(fc.env, "fund_custody") as tapped:
        request = await fc.request_allocation(key, 50_000)
        await fc.published(tapped, "allocation.approved.v1", run_id=request.run_id)
    await fc.settle(key, request.run_id, 0, 21_000, 21_000)
    await fc.complete(key, request.run_id, 50_000, settled_fen=42_000)
    produced = await fc.post(base)
    assert produced.status_code == 201, produced.text
    closing = 100_000 + 20_001 - 42_000

    exported = await fc.get(f"{base}.xlsx")
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX
    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(
        values_only=True))
    lines = {r[0]: (r[1], r[2]) for r in rows if r and isinstance(r[1], int)}
    assert lines["期初结转"] == (0, "0.00")
    assert lines["中央拨款"] == (100_000, "1,000.00")
    assert lines["县级拨款"] == (20_001, "200.01")
    assert lines["拨款合计"] == (120_001, "1,200.01")
    assert lines["支付（银行已结算）"] == (42_000, "420.00")
    assert lines["退回"] == (0, "0.00")
    assert lines["期末余额"] == (closing, "780.01") and closing == 78_001
    assert lines["已结算批次（个）"][0] == 1

    printed = await fc.get(f"{base}.pdf")
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    ink, text = inked(printed.content)
    assert ink > 500, f"the title area is blank ({ink} dark pixels)"
    assert f"{key.fiscal_year}年度" in text and "专项资金年终结算表" in text
    assert "期末余额780.01" in text and "拨款合计1,200.01" in text
    at = datetime.fromisoformat(produced.json()["produced_at"])  # printed in Beijing time
    assert f"编制时间：{at.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d%H:%M}" in text
    assert (await fc.get(f"{base}.pdf", officer=OTHER_TREASURER)).status_code == 403
