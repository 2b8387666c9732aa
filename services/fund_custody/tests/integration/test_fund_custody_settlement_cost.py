"""Settling a chunk of a province's run costs a handful of statements however many
payments it carries (measured on a throwaway database with the settlement benchmark)."""

from __future__ import annotations

from siquan.tools.bench.fund_custody_settlement import measure


async def test_a_chunk_costs_the_same_few_statements_for_five_payments_or_five_thousand(
        servers: tuple[str, str]) -> None:
    small = await measure(chunks=2, payments=5, admin_dsn=servers[1])
    province = await measure(chunks=2, payments=5_000, admin_dsn=servers[1])
    assert province["handler_statements_per_chunk"] == small["handler_statements_per_chunk"]
    assert province["handler_statements_per_chunk"] <= 10
    assert province["handle_ms"]["median"] > 0
