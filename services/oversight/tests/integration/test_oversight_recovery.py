"""Oversight follows each receivable to closure from disbursement's events, in whatever
order they arrive and however often, and reports the recovery rate."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx

from siquan.contracts import disbursement_v1 as disbursement
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.waiting import eventually

Logged = Callable[[str, int], Awaitable[list[dict[str, Any]]]]
NOW = datetime(2026, 7, 1, 9, tzinfo=UTC)


def receivable(program: str, periods: dict[str, int]) -> disbursement.OverpaymentRecorded:
    payments = tuple(disbursement.OverpaidPayment(
        payment_id=str(uuid.uuid4()), run_id=str(uuid.uuid4()), run_period=period,
        period=period, item="benefit", amount_fen=fen) for period, fen in periods.items())
    return disbursement.OverpaymentRecorded(
        receivable_id=str(uuid.uuid4()), person_key=secrets.token_hex(32),
        certification_id=str(uuid.uuid4()), program_code=program, division_code="420117",
        fiscal_year=2026, cause="death", ended_from=date(2026, 4, 1), payments=payments,
        total_fen=sum(periods.values()), recorded_at=NOW)


def recovery(of: disbursement.OverpaymentRecorded, kind: str, fen: int,
             outstanding: int) -> disbursement.RecoveryRecorded:
    return disbursement.RecoveryRecorded(
        recovery_id=str(uuid.uuid4()), receivable_id=of.receivable_id,
        program_code=of.program_code, division_code=of.division_code,
        fiscal_year=of.fiscal_year, kind=kind, amount_fen=fen, outstanding_fen=outstanding,
        recorded_by="disburser-420117-01",
        approved_by="disburser-420117-02" if kind == "write_off" else None, recorded_at=NOW)


async def test_receivables_are_tracked_to_closure_and_rated(
        siquan_env: Environment, logged: Logged, auditor: httpx.AsyncClient) -> None:
    program = f"recovery_test_{secrets.token_hex(4)}"
    path = f"/recovery/{program}/2026"
    death = receivable(program, {"2026-04": 21_000, "2026-05": 21_000, "2026-06": 21_000})
    revoked = receivable(program, {"2026-06": 15_000})
    stays_open = receivable(program, {"2026-06": 15_000})
    repaid_first = recovery(revoked, "repayment", 15_000, 0)
    correlation = f"recovery-{uuid.uuid4()}"

    # A repayment that overtakes its receivable waits for it.
    await publish_as(siquan_env, repaid_first, correlation_id=correlation)
    await logged(correlation, 1)
    early = (await auditor.get(path)).json()
    assert (early["receivable_count"], early["recoveries_awaiting_their_receivable"]) == (0, 1)

    partly = recovery(death, "repayment", 7_001, 55_999)
    for event in (death, revoked, stays_open, partly,
                  recovery(death, "write_off", 55_999, 0)):
        await publish_as(siquan_env, event, correlation_id=correlation)
    await publish_as(siquan_env, partly, correlation_id=correlation)  # again, a new id
    await logged(correlation, 7)

    async def closed() -> dict[str, Any] | None:
        report: dict[str, Any] = (await auditor.get(
            path, params={"division_code": "420117"})).json()
        return report if report["closed_count"] == 2 else None
    report = await eventually(closed, what="two receivables closed")
    receivable_fen = 63_000 + 15_000 + 15_000
    recovered = 7_001 + 15_000
    assert (report["receivable_count"], report["receivable_fen"], report["recovered_fen"],
            report["written_off_fen"], report["outstanding_fen"]) == (
        3, receivable_fen, recovered, 55_999, 15_000)
    assert report["recovery_rate_bp"] == recovered * 10_000 // receivable_fen
    assert report["recoveries_awaiting_their_receivable"] == 0
    statuses = {r["receivable_id"]: (r["status"], r["closed"]) for r in report["receivables"]}
    assert statuses == {death.receivable_id: ("written_off", True),
                        revoked.receivable_id: ("repaid", True),
                        stays_open.receivable_id: ("open", False)}
    by_id = {r["receivable_id"]: r for r in report["receivables"]}
    assert by_id[death.receivable_id]["periods"] == {"2026-04": 21_000, "2026-05": 21_000,
                                                     "2026-06": 21_000}
    elsewhere = await auditor.get(path, params={"division_code": "420102"})
    assert elsewhere.status_code == 403
