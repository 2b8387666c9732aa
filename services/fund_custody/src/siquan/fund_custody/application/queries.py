"""What treasury officers and auditors may read: a special account's balances and an
allocation's status, within the officer's division."""

from __future__ import annotations

from typing import Any

import asyncpg

from siquan.fund_custody.adapters import allocations, certifications, ledger
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.auth import Officer
from siquan.shared.errors import NotFound


async def account_balances(pool: asyncpg.Pool, officer: Officer,
                           key: AccountKey) -> dict[str, Any]:
    officer.check_scope(key.division_code)
    async with pool.acquire() as conn:
        account = await ledger.find(conn, key)
        if account is None:
            raise NotFound(f"no special account {key.program_code}/{key.fiscal_year}/"
                           f"{key.division_code}")
        certified = await certifications.active_counts(conn, key.program_code,
                                                       key.division_code)
    books = account.books
    appropriated = books.appropriated_fen()
    return {"program_code": key.program_code, "fiscal_year": key.fiscal_year,
            "division_code": key.division_code, "available_fen": books.available_fen,
            "reserved_fen": books.reserved_fen, "paid_out_fen": books.paid_out_fen,
            "appropriated_fen": appropriated,
            "appropriated_total_fen": sum(appropriated.values()),
            "active_certifications": certified}


async def allocation_status(pool: asyncpg.Pool, officer: Officer, run_id: str
                            ) -> dict[str, Any]:
    async with pool.acquire() as conn:
        allocation = await allocations.get(conn, run_id)
        if allocation is None:
            raise NotFound(f"no allocation for run {run_id}")
        officer.check_scope(allocation.key.division_code)
        totals = await allocations.chunk_totals(conn, run_id)
    return {"allocation_id": allocation.id, "run_id": run_id, "status": allocation.status,
            "program_code": allocation.key.program_code,
            "fiscal_year": allocation.key.fiscal_year,
            "division_code": allocation.key.division_code, "period": allocation.period,
            "payee_count": allocation.payee_count, "total_fen": allocation.total_fen,
            "reserved_fen": allocation.reserved_fen, "paid_fen": allocation.paid_fen,
            "released_fen": allocation.released_fen, **totals,
            "requested_at": allocation.requested_at, "approved_at": allocation.approved_at,
            "settled_at": allocation.settled_at}
