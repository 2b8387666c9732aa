"""A migrated roster's payment side: the accounts and paid-through taken from the workbook
for the certifications disbursement holds, and the first run paying only the periods
after paid-through (on the plain path and as arrears), skipping who was paid through the
run's own period, with a reconciliation that matches what the run paid."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from siquan.contracts.policy import load_catalogue
from siquan.shared.person import account_fingerprint
from siquan.shared.roster_workbook import template
from siquan.shared.testing.messages import tap

from .conftest import DISBURSER, DIVISION, PROGRAM, SECRET, resident_id

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SINCE = date(2019, 6, 1)
RUN = "2026-10"


def row(n: int, paid_through: str, category: str = "death") -> list[str]:
    return [resident_id(n), "钱淑珍", PROGRAM, category, DIVISION, SINCE.isoformat(),
            paid_through, "102", f"62220200{n:08d}31"]


async def upload(world: Any, rows: list[list[str]]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
        return await client.post("/roster-imports", headers=DISBURSER, files={
            "file": ("roster.xlsx", template(rows), XLSX)})


async def test_the_first_run_pays_only_the_periods_after_paid_through(world: Any) -> None:
    world.start()
    for n, category in ((1, "death"), (2, "disability"), (3, "death"), (6, "death")):
        await world.grant(n, category, effective_from=SINCE)
    await world.grant(5, effective_from=date(2020, 1, 1))  # not the row's certified_since
    await world.await_certifications(5)
    rows = [row(1, "2026-09"), row(2, "2026-07", "disability"), row(3, RUN),
            row(4, "2026-09"), row(5, "2026-09"), row(6, "2026-09", "disability")]
    imported = await upload(world, rows)
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert (report["accepted"], report["accounts_registered"]) == (3, 3)
    assert report["report"]["refused_rows"] == [
        {"row": n, "reason": "no_certification"} for n in (5, 6, 7)]
    assert not any(r[0] in imported.text or r[8] in imported.text for r in rows)
    # a migrated account is compared with other payees' accounts like any other
    kept = await world.db_rows("SELECT bank_code, account_number, account_fingerprint"
                               " FROM payee_accounts")
    assert len(kept) == 3 and all(
        r["account_fingerprint"] == account_fingerprint(SECRET, r["bank_code"],
                                                        r["account_number"]) for r in kept)

    catalogue = load_catalogue()

    def fen(category: str, period: str) -> int:
        return catalogue.amount_for(PROGRAM, category, period, DIVISION)
    owed = [fen("death", RUN), fen("disability", "2026-08"), fen("disability", "2026-09"),
            fen("disability", RUN)]
    async with tap(world.env, "disbursement") as seen:
        started = (await world.start_run(RUN)).json()
        await world.approve((await seen.wait_for("allocation.requested.v1"))[0].body)
        await seen.wait_for("run.completed.v1")
    assert started["control_totals"] == {"payee_count": 4, "total_fen": sum(owed)}
    assert started["arrears"] == {"count": 2, "amount_fen": sum(owed[1:3])}
    assert sorted(s["reason"] for s in started["skipped"]) == [
        "already paid for period", "no payee account", "no payee account"]  # 3; 5 and 6

    async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
        reconciled = (await client.get(
            f"/roster-imports/{report['import_id']}/reconciliation",
            params={"run_id": started["run_id"]}, headers=DISBURSER)).json()
    assert (reconciled["expected_fen"], reconciled["paid_fen"],
            reconciled["difference_fen"], reconciled["payments"]) == (sum(owed), sum(owed),
                                                                      0, 4)
    again = (await upload(world, rows[:3])).json()
    assert (again["accepted"], again["accounts_registered"]) == (3, 0)


async def test_months_owed_beyond_the_arrears_window_are_shown_not_lost(world: Any) -> None:
    """A row paid through long ago is owed more months than a run reaches back to: the
    run pays the window, and the reconciliation shows the months before it, their amount
    and whose they are."""
    world.start()
    for n, category in ((1, "death"), (2, "disability"), (3, "death")):
        await world.grant(n, category, effective_from=SINCE)
    await world.await_certifications(3)
    rows = [row(1, "2024-03"), row(2, "2025-01", "disability"), row(3, "2026-09")]
    imported = await upload(world, rows)
    assert imported.status_code == 201, imported.text
    catalogue = load_catalogue()
    # the window: the 12 months before the run (disbursement's default arrears reach)
    window = [f"2025-{m:02d}" for m in range(10, 13)] + [
        f"2026-{m:02d}" for m in range(1, 10)]
    before = {1: [f"2024-{m:02d}" for m in range(4, 13)]
              + [f"2025-{m:02d}" for m in range(1, 10)],
              2: [f"2025-{m:02d}" for m in range(2, 10)]}
    category = {1: "death", 2: "disability", 3: "death"}
    within = sum(catalogue.amount_for(PROGRAM, category[n], period, DIVISION)
                 for n in (1, 2) for period in (*window, RUN)) + catalogue.amount_for(
        PROGRAM, "death", RUN, DIVISION)
    beyond = sum(catalogue.amount_for(PROGRAM, category[n], period, DIVISION)
                 for n, periods in before.items() for period in periods)
    assert imported.json()["accounts_registered"] == 3

    async with tap(world.env, "disbursement") as seen:
        started = (await world.start_run(RUN)).json()
        await world.approve((await seen.wait_for("allocation.requested.v1"))[0].body)
        await seen.wait_for("run.completed.v1")
    assert started["control_totals"]["total_fen"] == within
    async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
        reconciled = (await client.get(
            f"/roster-imports/{imported.json()['import_id']}/reconciliation",
            params={"run_id": started["run_id"]}, headers=DISBURSER)).json()
    assert (reconciled["expected_fen"], reconciled["paid_fen"],
            reconciled["difference_fen"]) == (within, within, 0)
    assert reconciled["window_from"] == window[0]
    assert (reconciled["beyond_window_people"], reconciled["beyond_window_periods"],
            reconciled["beyond_window_fen"]) == (2, len(before[1]) + len(before[2]), beyond)
