"""Payment runs listed for an officer's division, and the bank's statement reconciled with
a run line by line: the real service on a real broker and database."""

from __future__ import annotations

import io
from typing import Any

import httpx
from openpyxl import load_workbook

from siquan.disbursement.adapters import gbk_batch_file as gbk
from siquan.shared.testing.messages import tap

from .conftest import CHECKER, DISBURSER, OTHER_COUNTY, PROGRAM

KEY = "a-key-shared-with-the-county-bank"
AUDITOR = {"Authorization": "Bearer dev-auditor-420117-01"}


async def get(world: Any, path: str, headers: dict[str, str] = DISBURSER,
              **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
        return await client.get(path, params=params, headers=headers)


async def paid_run(world: Any, seen: Any, period: str, payees: int) -> str:
    """A run of `period` the simulated bank settled; its id."""
    started = await world.start_run(period)
    assert started.status_code == 201, started.text
    run_id: str = started.json()["run_id"]
    requested = next(m.body for m in await seen.wait_for("allocation.requested.v1")
                 if m.body["run_id"] == run_id)
    await world.approve(requested)
    await world.await_status(run_id, "completed")
    assert (await world.run(run_id))["counts"]["settled"] == payees
    return run_id


def statement(lines: list[dict[str, Any]], key: str = KEY) -> bytes:
    return gbk.write_file("STM", "BOC-420117-20310520", lines, key.encode())


async def import_statement(world: Any, run_id: str, content: bytes,
                           headers: dict[str, str] = DISBURSER) -> httpx.Response:
    async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
        return await client.post(f"/runs/{run_id}/statements", headers=headers,
                                 files={"file": ("statement.dat", content)})


async def test_runs_are_listed_within_the_division_and_a_statement_is_reconciled_with_one(
        world: Any) -> None:
    """One service start for both (each start costs seconds): the listing first, then the
    completed run's statement."""
    world.start(bank_file_key=KEY)
    for n in (1, 2):
        await world.grant(n)
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(2)
    async with tap(world.env, "disbursement") as seen:
        paid = await paid_run(world, seen, "2031-05", payees=2)
        waiting = (await world.start_run("2031-06")).json()["run_id"]

    everything = (await get(world, "/runs")).json()
    completed = (await get(world, "/runs", status="completed")).json()
    june = (await get(world, "/runs", period="2031-06", program_code=PROGRAM)).json()
    other_program = (await get(world, "/runs", program_code="reward_assistance_rural")).json()
    paged = (await get(world, "/runs", limit=1, offset=1, headers=AUDITOR)).json()
    other_county = (await get(world, "/runs", headers=OTHER_COUNTY)).json()
    out_of_scope = await get(world, "/runs", headers=OTHER_COUNTY, division_code="420117")

    assert everything["total"] == 2
    assert [r["run_id"] for r in everything["runs"]] == [waiting, paid]  # latest first
    [row] = completed["runs"]
    amount = row["control_totals"]["total_fen"]
    assert row["run_id"] == paid and row["program_code"] == PROGRAM
    assert row["counts"] == {"payments": 2, "paid": 2, "returned": 0, "failed": 0,
                             "cancelled": 0, "pending": 0, "skipped": 0}
    assert row["amounts_fen"]["paid"] == amount > 0
    assert [(r["run_id"], r["status"], r["counts"]["pending"]) for r in june["runs"]] == [
        (waiting, "awaiting_allocation", 2)]
    assert other_program == {"total": 0, "limit": 100, "offset": 0, "runs": []}
    assert (paged["total"], [r["run_id"] for r in paged["runs"]]) == (2, [paid])
    assert other_county["total"] == 0
    assert out_of_scope.status_code == 403
    assert (await get(world, "/runs", limit=501)).status_code == 422
    assert (await get(world, "/runs", status="paid")).status_code == 422

    await statement_line_that_differs_is_a_published_difference(world, paid)


async def statement_line_that_differs_is_a_published_difference(world: Any, run_id: str
                                                                 ) -> None:
    async with tap(world.env, "disbursement") as seen:
        payments = await world.db_rows(
            "SELECT payment_id::text, account_number, amount_fen, bank_reference"
            " FROM payments WHERE run_id = $1 ORDER BY payment_id", run_id)
        lines = [{"payment_id": p["payment_id"], "account_number": p["account_number"],
                  "amount_fen": p["amount_fen"], "bank_reference": p["bank_reference"],
                  "value_date": "20310520"} for p in payments]
        lines[1]["amount_fen"] += 100  # the bank states one yuan more than was instructed
        content = statement(lines)

        amount = f"{payments[0]['amount_fen']:015d}".encode()  # line 1's amount field
        assert amount in content
        edited = await import_statement(world, run_id, content.replace(
            amount, f"{payments[0]['amount_fen'] * 2:015d}".encode(), 1))
        foreign = await import_statement(world, run_id, statement(lines, "another-bank-key"))
        out_of_scope = await import_statement(world, run_id, content, OTHER_COUNTY)
        imported = await import_statement(world, run_id, content)
        [published] = await seen.wait_for("bank_statement.difference.v1")
        again = await import_statement(world, run_id, content, CHECKER)

    assert edited.status_code == 422 and "digest" in edited.json()["detail"]
    assert foreign.status_code == 422
    assert out_of_scope.status_code == 403
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert (body["matched"], body["control_totals"]["line_count"]) == (1, 2)
    [difference] = body["differences"]
    assert (difference["kind"], difference["line"], difference["payment_id"]) == (
        "amount_differs", 2, payments[1]["payment_id"])
    assert difference["stated_amount_fen"] - difference["expected_amount_fen"] == 100
    assert payments[1]["account_number"] not in imported.text  # masked
    event = published.body
    assert (event["kind"], event["payment_id"], event["run_id"], event["statement_id"]) == (
        "amount_differs", payments[1]["payment_id"], run_id, body["statement_id"])
    assert event["expected_account"] == difference["expected_account"]
    assert published.headers["x-siquan-correlation-id"] == run_id
    assert again.status_code == 200 and again.json()["already_imported"]
    assert again.json()["differences"] == body["differences"]
    assert len(seen.of_type("bank_statement.difference.v1")) == 1
    assert await world.db_value("SELECT count(*) FROM bank_statement_differences") == 1
    await statement_exported_as_a_workbook(world, run_id, body["statement_id"], lines,
                                           payments)


async def statement_exported_as_a_workbook(world: Any, run_id: str, statement_id: str,
                                           lines: list[dict[str, Any]],
                                           payments: list[Any]) -> None:
    """The reconciliation as XLSX: the statement's lines and sum beside what the run
    settled, how many matched, and the difference with its evidence, accounts masked."""
    path = f"/runs/{run_id}/statements/{statement_id}.xlsx"
    exported = await get(world, path, headers=AUDITOR)
    assert exported.status_code == 200, exported.text
    assert (await get(world, path, headers=OTHER_COUNTY)).status_code == 403
    assert (await get(world, f"/runs/{run_id}/statements/not-a-statement.xlsx")
            ).status_code == 404
    assert (await get(world, f"/runs/{run_id}/statements/{run_id}.xlsx")).status_code == 404
    book = load_workbook(io.BytesIO(exported.content))
    summary, differences = book["对账汇总"], book["对账差异"]
    rows = _table(summary, "项目", "笔数")
    stated = sum(line["amount_fen"] for line in lines)
    settled = sum(int(p["amount_fen"]) for p in payments)
    assert rows[0][:3] == ("对账单", len(lines), stated)
    assert rows[1][:3] == ("已到账（系统）", len(payments), settled)
    assert stated - settled == 100
    assert rows[3][:2] == ("相符", 1) and rows[4][:2] == ("差异", 1)
    [difference] = _table(differences, "行号")
    assert difference[:5] == (2, "金额不符", payments[1]["payment_id"],
                              int(payments[1]["amount_fen"]),
                              int(payments[1]["amount_fen"]) + 100)
    assert difference[5].endswith(payments[1]["account_number"][-4:])
    assert difference[7] == "已到账"  # the system's state of the payment, in Chinese
    for sheet in (summary, differences):
        for row in sheet.iter_rows(values_only=True):
            assert all(p["account_number"] not in str(v) for v in row for p in payments)


def _table(sheet: Any, *header_starts: str) -> list[tuple[Any, ...]]:
    """The rows under the header row that starts with these cells."""
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows)
                  if r[:len(header_starts)] == header_starts)
    return rows[header + 1:]
