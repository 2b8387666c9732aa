"""The report figures each event moves, whatever order the queues bring them in."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.oversight.adapters.memory import FakeOversightWork
from siquan.oversight.application import projection

Granted = Callable[[], eligibility.CertificationGranted]
"""The unit conftest's `granted` fixture: a new certification each call."""

RUN = {"run_id": "run-1", "program_code": "special_assistance", "period": "2026-11",
       "division_code": "420117"}



def revoked(cert: eligibility.CertificationGranted) -> eligibility.CertificationRevoked:
    return eligibility.CertificationRevoked(
        certification_id=cert.certification_id, program_code=cert.program_code,
        person_key=cert.person_key, division_code="420117", effective_from=date(2027, 1, 1),
        reason="moved", revoked_by="a")


def completed() -> disbursement.PaymentRunCompleted:
    return disbursement.PaymentRunCompleted(payee_count=1, total_fen=100, settled_count=1,
                                            settled_fen=100, failed_count=0, failed_fen=0,
                                            **RUN)


def started() -> disbursement.PaymentRunStarted:
    return disbursement.PaymentRunStarted(payee_count=1, total_fen=100, skipped=(),
                                          started_by="d", **RUN)


async def test_a_grant_counts_a_certification_as_active(
        uow: FakeOversightWork, granted: Granted) -> None:
    cert = granted()
    await uow.receive(cert, projection.count_certification)

    assert uow.store.certifications[cert.certification_id]["status"] == "active"


async def test_a_revocation_seen_before_its_grant_still_wins(
        uow: FakeOversightWork, granted: Granted) -> None:
    cert = granted()
    await uow.receive(revoked(cert), projection.uncount_certification)
    await uow.receive(cert, projection.count_certification)

    assert uow.store.certifications[cert.certification_id]["status"] == "revoked"


async def test_a_run_status_never_moves_back_when_an_earlier_event_comes_late(
        uow: FakeOversightWork) -> None:
    await uow.receive(completed(), projection.follow_run)
    await uow.receive(started(), projection.follow_run)

    assert uow.store.runs["run-1"]["status"] == "completed"


async def test_a_settled_chunk_counts_its_payments_and_fen_once(
        uow: FakeOversightWork) -> None:
    chunk = disbursement.PaymentsSettled(chunk=3, payments=tuple(
        disbursement.SettledPayment(payment_id=f"p{n}", person_key=secrets.token_hex(32),
                                    certification_id="c", item="benefit", amount_fen=700,
                                    bank_reference="B") for n in range(3)), **RUN)
    await uow.receive(chunk, projection.count_chunk)
    await uow.receive(chunk, projection.count_chunk)

    assert uow.store.chunks == {("run-1", "settled", 3): (3, 2100)}
    assert uow.store.runs["run-1"]["status"] == "paying"


async def test_a_payment_settled_by_an_earlier_transfer_adds_no_payment_nor_fen(
        uow: FakeOversightWork) -> None:
    chunk = disbursement.PaymentsSettled(chunk=0, payments=tuple(
        disbursement.SettledPayment(payment_id=f"p{n}", person_key=secrets.token_hex(32),
                                    certification_id="c", item="benefit", amount_fen=700,
                                    bank_reference="B",
                                    transferred_as=f"lost-{n}" if n else None)
        for n in range(3)), **RUN)
    await uow.receive(chunk, projection.count_chunk)

    assert uow.store.chunks == {("run-1", "settled", 0): (1, 700)}


async def test_an_allocation_and_a_settlement_are_recorded_against_their_run(
        uow: FakeOversightWork) -> None:
    await uow.receive(fund_custody.AllocationApproved(
        allocation_id="a-1", amount_fen=500, available_fen=0, **RUN),
        projection.count_allocation)
    await uow.receive(fund_custody.SettlementCompleted(
        reserved_fen=500, paid_fen=400, released_fen=100, available_fen=0, **RUN),
        projection.count_settlement)

    assert uow.store.allocations == {"a-1": ("run-1", 500)}
    assert (uow.store.runs["run-1"]["status"], uow.store.runs["run-1"]["settled_fen"]) == (
        "settled", 400)
