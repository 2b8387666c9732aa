"""The batch-file bank: disbursement writes instruction files, a bank (the simulated bank
behind `BatchFileCounterpart`, run here by the test) answers with result files and daily
return files; a run completes paying each payee once, in the documented CSV format."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from siquan.disbursement.adapters import gbk_batch_file as gbk
from siquan.disbursement.adapters.batch_file_bank import GbkFormat
from siquan.shared.clock import FileClock
from siquan.shared.testing.messages import tap
from siquan.shared.testing.waiting import eventually
from siquan.tools.bank_counterpart import answering_bank

PERIOD = "2031-05"


async def test_a_run_through_batch_files_pays_each_payee_once_and_hears_of_returns(
        world: Any, tmp_path: Path) -> None:
    directory, clock = tmp_path / "bank", FileClock(tmp_path / "clock")
    clock.set(datetime(2031, 5, 20, 9, tzinfo=UTC))
    world.start(bank_adapter="batch_file", bank_dir=str(directory), bank_file_settle_ms="50",
                payment_chunk_size="2", clock_file=str(tmp_path / "clock"),
                returns_poll_seconds="0.2")
    accounts = ["622202000000010001", "622202000000020000", "622202000000030088"]
    for n, account in enumerate(accounts, start=1):
        await world.grant(n)
        assert (await world.register(n, account=account)).status_code == 201
    await world.await_certifications(3)
    async with tap(world.env, "disbursement") as seen, \
            answering_bank(directory, world.env.bank_dsn, clock=clock) as counterpart:
        run_id = (await world.start_run(PERIOD)).json()["run_id"]
        await world.approve((await seen.wait_for("allocation.requested.v1"))[0].body)
        completed = (await seen.wait_for("run.completed.v1"))[0].body
        clock.set(datetime(2031, 5, 24, 9, tzinfo=UTC))
        returned = (await seen.wait_for("payments.returned.v1"))[0].body

    taken = sorted((directory / "outbox" / "taken").glob("instructions-*.csv"))
    rows = [r for path in taken for r in csv.DictReader(path.open(encoding="utf-8"))]
    assert (completed["settled_count"], completed["failed_count"]) == (2, 1)
    # one file per chunk, named <run>-<chunk>-<attempt tag>
    assert [p.name.rsplit("-", 1)[0] for p in taken] == [f"instructions-{run_id}-0",
                                                         f"instructions-{run_id}-1"]
    assert counterpart.answered == 2
    assert list(rows[0]) == ["payment_id", "bank_code", "account_number", "amount_fen",
                             "remittance"]
    assert sorted(r["account_number"] for r in rows) == accounts
    assert {r["amount_fen"] for r in rows} == {"21000"}
    results = sorted((directory / "inbox").glob("results-*.csv"))
    assert len(results) == 2
    assert [(p["reason"], p["returned_on"]) for p in returned["payments"]] == [
        ("account closed", "2031-05-23")]
    transfers = await world.bank_transfers()
    assert len(transfers) == 3 == len({t["payment_id"] for t in transfers})


KEY = "a-key-shared-with-the-county-bank"


async def test_gbk_files_pay_each_payee_once_and_an_edited_file_is_never_paid(
        world: Any, tmp_path: Path) -> None:
    directory, clock = tmp_path / "bank", FileClock(tmp_path / "clock")
    clock.set(datetime(2031, 5, 20, 9, tzinfo=UTC))
    world.start(bank_adapter="batch_file", bank_file_format="gbk", bank_file_key=KEY,
                bank_dir=str(directory), bank_file_settle_ms="0",
                bank_result_timeout_seconds="3", clock_file=str(tmp_path / "clock"))
    names = {1: "朱镕基", 2: "阿卜杜热合曼·买买提"}  # 镕: GBK, not GB 2312; · two bytes
    for n in (1, 2):
        await world.grant(n)
    nameless = await world.register(1)
    unwritable = await world.register(1, name="李䶮")  # 䶮: no code in GBK
    assert (nameless.status_code, unwritable.status_code) == (422, 422)
    assert "account_name" in nameless.json()["detail"]
    assert "䶮" not in unwritable.text and "李" not in unwritable.text
    for n in (1, 2):
        assert (await world.register(n, name=names[n])).status_code == 201
    await world.await_certifications(2)
    async with tap(world.env, "disbursement") as seen, \
            answering_bank(directory, world.env.bank_dsn, clock=clock,
                           file_format=GbkFormat(KEY)) as counterpart:
        counterpart.hold()
        await world.start_run(PERIOD)
        await world.approve((await seen.wait_for("allocation.requested.v1"))[0].body)

        async def instructed() -> list[Path]:
            return sorted((directory / "outbox").glob("instructions-*.dat"))
        [first] = await eventually(instructed, what="an instruction file")
        amount = f"{21_000:015d}".encode()
        content = first.read_bytes()
        assert content.count(amount) == 2  # both payees, in the amount field
        first.write_bytes(content.replace(amount, f"{91_000:015d}".encode(), 1))
        counterpart.release()
        completed = (await seen.wait_for("run.completed.v1"))[0].body

    assert counterpart.refused == [first.name]
    assert not (directory / "outbox" / "taken" / first.name).exists()
    assert (completed["settled_count"], completed["settled_fen"]) == (2, 42_000)
    transfers = await world.bank_transfers()
    assert [t["amount_fen"] for t in transfers] == [21_000, 21_000]  # never 91_000
    [paid] = sorted((directory / "outbox" / "taken").glob("instructions-*.dat"))
    found = gbk.read_file(paid.read_bytes(), KEY.encode(), kind="PAY")
    assert found.total_fen == 42_000 and len(found.details) == 2
    assert sorted(d["name"] for d in found.details) == sorted(names.values())
    published = json.dumps([m.body for m in seen.seen], ensure_ascii=False)
    assert names[1] not in published and names[2] not in published
