"""The restore drill of docs/OPERATIONS.md: a service's database backed up with `pg_dump`
in the middle of a payment run, the run let go on, the service stopped, its database
dropped and restored from the backup, the messages it lost re-sent from the producers'
outboxes (`python -m siquan.shared.catch_up`), and the service started again. For
disbursement and for fund custody: every payee of the run is paid exactly once at the bank,
the run completes and is settled, and fund custody's ledger balances to the fen. And a run
started after disbursement's backup, lost in the restore and started again: the bank holds
its payments' instruction keys and pays nobody a second time, fund custody pays the money
out once (the lost run's allocation paid it; the run started again releases its
reservation) and oversight finds nobody paid twice."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from siquan.contracts.periods import period_start
from siquan.contracts.policy import load_catalogue
from siquan.contracts.topology import subscriptions_of
from siquan.shared import provision
from siquan.shared.catch_up import catch_up
from siquan.shared.dead_letters import list_dead_letters
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.waiting import eventually
from siquan.tools.chaos.campaign import load_roster

pytestmark = pytest.mark.e2e

PROGRAM, DIVISION, YEAR = "special_assistance", "420117", 2027
PAYEES, CHUNK = 200, 10
CHUNKS = PAYEES // CHUNK
DISBURSER = {"Authorization": "Bearer dev-disburser-420117-01"}
TREASURER = {"Authorization": "Bearer dev-treasury-420117-01"}


@pytest.fixture(scope="module")
def drill_cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[Cluster]:
    base = Path(tmp_path_factory.mktemp("restore"))
    # a bank slow enough that a backup lands between the run's first and last chunk
    paying = {"SIQUAN_PAYMENT_CHUNK_SIZE": str(CHUNK), "SIQUAN_PAYMENT_WORKERS": "1",
              "SIQUAN_PAYMENT_POLL_SECONDS": "0.5", "SIQUAN_BANK_LATENCY_MS": "150"}
    with running_cluster(siquan_env, base / "logs", extra_env={"disbursement": paying}
                         ) as cluster:
        cluster.clock.set(datetime(YEAR, 1, 2, 9, tzinfo=UTC))
        owed = asyncio.run(load_roster(siquan_env, PAYEES))
        # three months, and the run started again after the restore
        asyncio.run(_appropriate(cluster, owed * 4))
        yield cluster


async def test_disbursement_restored_mid_run_pays_nobody_twice(
        drill_cluster: Cluster, tmp_path: Path) -> None:
    cluster, env = drill_cluster, drill_cluster.env
    cluster.clock.set(datetime(YEAR, 1, 5, 9, tzinfo=UTC))
    drill_began = datetime.now(UTC)
    before = await _settled_transfers(env)
    run_id = await _start_run(cluster, f"{YEAR}-01")

    async def some_paid() -> bool:
        return await _count(env, "disbursement", "SELECT count(*) FROM payments"
                            " WHERE run_id = $1 AND status = 'settled'", run_id) >= 3 * CHUNK
    dump, since = await _backup_when(env, "disbursement", some_paid, tmp_path)
    await eventually(lambda: _settled(env, run_id), timeout=60, interval=0.2,
                     what="the run completed and settled before the restore")

    await _restore(cluster, "disbursement", dump)
    pending = await _count(env, "disbursement", "SELECT count(*) FROM payments"
                           " WHERE run_id = $1 AND status = 'pending'", run_id)
    unsettled = await _count(env, "disbursement", "SELECT count(*) FROM payment_runs"
                             " WHERE run_id = $1 AND fund_settled_at IS NULL", run_id)
    sent = _catch_up(env, "disbursement", since)
    cluster.processes["disbursement"].start()
    await eventually(lambda: _settled(env, run_id), timeout=60, interval=0.2,
                     what="the restored disbursement completed and settled the run")

    assert 0 < pending < PAYEES  # the backup was taken mid-run: the restore lost payments
    assert unsettled == 1  # and fund custody's settlement, which only the catch-up brings
    # exactly the gap: fund custody's settlement; its approval was in the backup's inbox
    assert sent["fund_custody"]["sent"] == {"siquan.disbursement.from-fund_custody": 1}
    assert sent["fund_custody"]["held"]["siquan.disbursement.from-fund_custody"] >= 1
    await _assert_paid_once_and_balanced(cluster, before, run_id, drill_began)


async def test_fund_custody_restored_mid_run_catches_up_to_the_fen(
        drill_cluster: Cluster, tmp_path: Path) -> None:
    cluster, env = drill_cluster, drill_cluster.env
    cluster.clock.set(datetime(YEAR, 2, 5, 9, tzinfo=UTC))
    drill_began = datetime.now(UTC)
    before = await _settled_transfers(env)
    run_id = await _start_run(cluster, f"{YEAR}-02")

    async def some_settled() -> bool:
        return await _count(env, "fund_custody", "SELECT count(*) FROM settled_chunks"
                            " WHERE run_id = $1", run_id) >= 3
    dump, since = await _backup_when(env, "fund_custody", some_settled, tmp_path)
    await eventually(lambda: _settled(env, run_id), timeout=60, interval=0.2,
                     what="the run completed and settled before the restore")

    await _restore(cluster, "fund_custody", dump)
    chunks_kept = await _count(env, "fund_custody", "SELECT count(*) FROM settled_chunks"
                               " WHERE run_id = $1", run_id)
    sent = _catch_up(env, "fund_custody", since)
    cluster.processes["fund_custody"].start()

    async def caught_up() -> bool:
        return await _count(env, "fund_custody", "SELECT count(*) FROM allocations"
                            " WHERE run_id = $1 AND status = 'settled'", run_id) == 1
    await eventually(caught_up, timeout=60, interval=0.2,
                     what="the restored fund custody settled the run again")

    assert 0 < chunks_kept < CHUNKS  # the backup held part of the run's chunks
    # exactly the gap: the chunks it lost and the run's completion
    assert sent["disbursement"]["sent"] == {
        "siquan.fund_custody.from-disbursement": CHUNKS - chunks_kept + 1}
    assert sent["disbursement"]["held"]["siquan.fund_custody.from-disbursement"] >= 1
    await _assert_paid_once_and_balanced(cluster, before, run_id, drill_began)


async def test_a_run_lost_in_disbursement_s_restore_and_started_again_pays_nobody_twice(
        drill_cluster: Cluster, tmp_path: Path) -> None:
    cluster, env = drill_cluster, drill_cluster.env
    cluster.clock.set(datetime(YEAR, 3, 5, 9, tzinfo=UTC))
    before = await _settled_transfers(env)

    async def now() -> bool:
        return True
    dump, since = await _backup_when(env, "disbursement", now, tmp_path)
    lost = await _start_run(cluster, f"{YEAR}-03")
    await eventually(lambda: _settled(env, lost), timeout=60, interval=0.2,
                     what="the run started after the backup completed and settled")
    references = await _bank_references(env, lost)

    await _restore(cluster, "disbursement", dump)
    forgotten = await _count(env, "disbursement", "SELECT count(*) FROM payment_runs"
                             " WHERE run_id = $1", lost)
    sent = _catch_up(env, "disbursement", since)
    cluster.processes["disbursement"].start()
    # fund custody's answers about the lost run (its approval and its settlement) are
    # dead-lettered naming it: an operator discards them once the run is reconciled
    answers = sum(cast(dict[str, int], sent["fund_custody"]["sent"]).values())

    async def dead_lettered() -> bool:
        found = await list_dead_letters(env.amqp_url("disbursement"), "disbursement")
        return len(found) >= answers
    await eventually(dead_lettered, timeout=60, interval=0.5,
                     what="fund custody's answers about the lost run dead-lettered")
    letters = await list_dead_letters(env.amqp_url("disbursement"), "disbursement")
    _discard_dead_letters(env, "disbursement", lost)
    again = await _start_run(cluster, f"{YEAR}-03")  # an officer starts the period again
    await eventually(lambda: _settled(env, again), timeout=60, interval=0.2,
                     what="the run started again completed and settled")

    assert forgotten == 0 and again != lost
    assert answers >= 2 and len(letters) == answers
    assert all(lost in str(letter["reason"]) for letter in letters)
    paid_now = await _settled_transfers(env) - before
    assert len(paid_now) == PAYEES and set(paid_now.values()) == {1}, "someone paid twice"
    statuses = await env.fetch("disbursement", "SELECT status, count(*) FROM payments"
                               " WHERE run_id = $1 GROUP BY status", again)
    assert {r[0]: r[1] for r in statuses} == {"settled": PAYEES}
    # the bank answered each payment with the transfer it made for the lost run
    assert await _bank_references(env, again) == references
    assert await list_dead_letters(env.amqp_url("disbursement"), "disbursement") == []
    # and disbursement says so: each payment names the lost run's payment it was paid as
    transferred = await env.fetch("disbursement", "SELECT count(*) FROM payments p JOIN"
                                  " payment_results x USING (payment_id) WHERE p.run_id = $1"
                                  " AND x.transferred_as IS NOT NULL", again)
    assert transferred[0][0] == PAYEES
    # fund custody pays the money out once: the lost run's allocation paid it, the run
    # started again releases all it reserved
    allocations = await env.fetch("fund_custody", "SELECT run_id, status, paid_fen,"
                                  " released_fen, total_fen FROM allocations"
                                  " WHERE run_id = ANY($1::text[])", [lost, again])
    books = {r["run_id"]: (r["status"], r["paid_fen"], r["released_fen"]) for r in allocations}
    total = allocations[0]["total_fen"]
    assert books == {lost: ("settled", total, 0), again: ("settled", 0, total)}
    await _assert_books_balanced(cluster)
    # oversight finds nobody paid twice and counts the money once
    async def oversight_holds_the_run() -> bool:
        return await _count(env, "oversight", "SELECT count(*) FROM settled_payments"
                            " WHERE run_id = $1", again) == PAYEES
    await eventually(oversight_holds_the_run, timeout=60, interval=0.5,
                     what="oversight stored the run started again")
    assert await _count(env, "oversight", "SELECT count(*) FROM findings"
                        " WHERE rule = 'paid_twice' AND run_id = $1", again) == 0
    assert [await _count(env, "oversight", "SELECT coalesce(sum(amount_fen), 0)"
                         " FROM payment_chunks WHERE run_id = $1 AND outcome = 'settled'",
                         run) for run in (lost, again)] == [total, 0]


# -- the drill's steps, as docs/OPERATIONS.md gives them --------------------------------------

def _admin_dsn(env: Environment, service: str) -> str:
    """The admin DSN on the service's database (backups and restores run as a superuser)."""
    parts = urlsplit(env.admin_pg_dsn)
    return urlunsplit(parts._replace(path="/" + provision.role_of(service, env.name)))


def _run(*command: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(["timeout", "60", *command], capture_output=True, text=True,
                          check=False, env=env)
    assert done.returncode == 0, f"{command[0]}: {done.stderr[-2000:]}"
    return done.stdout


async def _backup_when(env: Environment, service: str, ready: Callable[[], Awaitable[bool]],
                       directory: Path) -> tuple[Path, datetime]:
    """`pg_dump -Fc` of the service's database once `ready`; the dump and when it began."""
    await eventually(ready, timeout=60, interval=0.02, what=f"{service} midway")
    began = datetime.now(UTC)
    dump = directory / f"{service}.dump"
    await asyncio.to_thread(_run, "pg_dump", "-Fc", "-f", str(dump),
                            "--dbname", _admin_dsn(env, service))
    return dump, began


async def _restore(cluster: Cluster, service: str, dump: Path) -> None:
    """Stop the service, drop its database, create it again and restore the dump."""
    env = cluster.env
    await asyncio.to_thread(cluster.processes[service].stop)
    conn = await asyncpg.connect(env.admin_pg_dsn)
    try:
        await conn.execute(
            f'DROP DATABASE "{provision.role_of(service, env.name)}" WITH (FORCE)')
    finally:
        await conn.close()
    await provision.apply_databases(env.name, env.passwords, admin_dsn=env.admin_pg_dsn)
    await asyncio.to_thread(_run, "pg_restore", "--exit-on-error", "--dbname",
                            _admin_dsn(env, service), str(dump))


def _catch_up(env: Environment, consumer: str, backup_began: datetime
              ) -> dict[str, dict[str, object]]:
    """The catch-up command once per producer the restored service reads, from a margin
    before the backup began."""
    since = (backup_began - timedelta(seconds=60)).isoformat()
    results = {}
    for producer in sorted({s.producer for s in subscriptions_of(consumer)
                            if not s.producer.startswith("partner.")}):
        variables = {**os.environ, "SIQUAN_AMQP_URL": env.amqp_url(consumer),
                     "SIQUAN_PG_DSN": env.pg_dsn(consumer),
                     "SIQUAN_PRODUCER_PG_DSN": env.pg_dsn(producer)}
        out = _run(sys.executable, "-m", "siquan.shared.catch_up", consumer,
                   "--from", producer, "--since", since, env=variables)
        results[producer] = json.loads(out)
    return results


def _discard_dead_letters(env: Environment, service: str, run_id: str) -> None:
    """The dead letters about a run the restored service does not know, discarded once it
    is reconciled (`python -m siquan.shared.dead_letters discard`)."""
    variables = {**os.environ, "SIQUAN_AMQP_URL": env.amqp_url(service),
                 "SIQUAN_PG_DSN": env.pg_dsn(service)}
    _run(sys.executable, "-m", "siquan.shared.dead_letters", "discard", service, "--all",
         "--reason-contains", run_id, "--officer", "disburser-420117-01",
         "--reason", "run lost in the restore; reconciled with the bank", env=variables)


# -- what the drill checks ----------------------------------------------------------------

async def _assert_paid_once_and_balanced(cluster: Cluster, before: Counter[str],
                                         run_id: str, began: datetime) -> None:
    env = cluster.env
    for producer, consumer in _PAYMENT_SIDE:
        async def nothing_missing(producer: str = producer, consumer: str = consumer) -> bool:
            found = await catch_up(env.pg_dsn(producer), env.amqp_url(consumer),
                                   producer=producer, consumer=consumer, since=began,
                                   consumer_dsn=env.pg_dsn(consumer), dry_run=True)
            return not found["sent"]
        await eventually(nothing_missing, timeout=60, interval=0.5,
                         what=f"{consumer} holding everything {producer} published")
    after = await _settled_transfers(env)
    paid_now = after - before
    statuses = await env.fetch("disbursement", "SELECT status, count(*) FROM payments"
                               " WHERE run_id = $1 GROUP BY status", run_id)
    assert {r[0]: r[1] for r in statuses} == {"settled": PAYEES}
    assert len(paid_now) == PAYEES and set(paid_now.values()) == {1}, "someone paid twice"
    await _assert_books_balanced(cluster)
    for service in ("disbursement", "fund_custody"):
        assert await list_dead_letters(env.amqp_url(service), service) == []


async def _assert_books_balanced(cluster: Cluster) -> None:
    """Fund custody's account paid out what the bank settled, holds nothing reserved, and
    its ledger balances."""
    env = cluster.env
    bank_fen = (await env.fetch("banksim", "SELECT coalesce(sum(amount_fen), 0)"
                                " FROM transfers WHERE outcome = 'settled'"))[0][0]
    async with httpx.AsyncClient(base_url=cluster.url("fund_custody"), timeout=30) as http:
        account = (await http.get(f"/accounts/{PROGRAM}/{YEAR}/{DIVISION}",
                                  headers=TREASURER)).json()
    assert (account["paid_out_fen"], account["reserved_fen"]) == (bank_fen, 0)
    assert account["available_fen"] == account["appropriated_total_fen"] - bank_fen
    unbalanced = await env.fetch("fund_custody", "SELECT transaction_id FROM ledger_entries"
                                 " GROUP BY transaction_id HAVING sum(amount_fen) <> 0")
    drifted = await env.fetch("fund_custody", """
        SELECT b.account FROM ledger_balances b
        LEFT JOIN (SELECT special_account_id, account, sum(amount_fen) AS fen
                   FROM ledger_entries GROUP BY 1, 2) e USING (special_account_id, account)
        WHERE b.balance_fen <> coalesce(e.fen, 0)""")
    assert (unbalanced, drifted) == ([], [])


_PAYMENT_SIDE = [("disbursement", "fund_custody"), ("fund_custody", "disbursement"),
                 ("disbursement", "oversight"), ("fund_custody", "oversight")]


async def _settled_transfers(env: Environment) -> Counter[str]:
    rows = await env.fetch("banksim", "SELECT account_number FROM transfers"
                           " WHERE outcome = 'settled'")
    return Counter(r[0] for r in rows)


async def _bank_references(env: Environment, run_id: str) -> dict[str, str]:
    """Each payee's bank reference in the run, by person."""
    rows = await env.fetch("disbursement", "SELECT person_key, bank_reference FROM payments"
                           " WHERE run_id = $1", run_id)
    return {r[0]: r[1] for r in rows}


async def _count(env: Environment, database: str, sql: str, *args: object) -> int:
    return int((await env.fetch(database, sql, *args))[0][0])


async def _settled(env: Environment, run_id: str) -> bool:
    rows = await env.fetch("disbursement", "SELECT status, fund_settled_at FROM payment_runs"
                           " WHERE run_id = $1", run_id)
    return bool(rows) and rows[0][0] == "completed" and rows[0][1] is not None


async def _start_run(cluster: Cluster, period: str) -> str:
    async with httpx.AsyncClient(base_url=cluster.url("disbursement"), timeout=60) as http:
        response = await http.post("/runs", headers=DISBURSER, json={
            "program_code": PROGRAM, "period": period, "division_code": DIVISION})
    assert response.status_code < 300, response.text
    return str(response.json()["run_id"])


async def _appropriate(cluster: Cluster, amount_fen: int) -> None:
    policy = load_catalogue().in_force(PROGRAM, period_start(f"{YEAR}-01"), DIVISION)
    levels = list(policy.fiscal_shares.model_dump().items())
    paid = 0
    async with httpx.AsyncClient(base_url=cluster.url("fund_custody"), timeout=60) as http:
        for index, (level, share) in enumerate(levels):
            amount = amount_fen - paid if index == len(levels) - 1 \
                else amount_fen * share // 10_000
            paid += amount
            response = await http.post("/appropriations", headers=TREASURER, json={
                "program_code": PROGRAM, "fiscal_year": YEAR, "division_code": DIVISION,
                "fiscal_level": level, "amount_fen": amount})
            assert response.status_code < 300, response.text
