"""Someone with write access to oversight's database edits, deletes or inserts an audit
entry: `python -m siquan.oversight verify` exits 1 and names the first bad entry.

Each test tampers with the live audit table while holding the chain-head lock (so no
append interleaves), runs the command, then puts the row back and checks the chain is
whole again, so the other tests keep an intact chain.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import asyncpg

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import public_security_v1 as public_security
from siquan.oversight.domain.chain import Envelope, link
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as

Logged = Callable[[str, int], Awaitable[list[dict[str, Any]]]]
Command = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]
SHIFT = 1_000_000_000


async def three_logged_entries(env: Environment, logged: Logged) -> list[int]:
    correlation = f"tamper-{uuid.uuid4()}"
    for n in range(1, 4):
        await publish_as(env, public_security.DeathReported(
            report_id=f"PS-{n}", person_key=secrets.token_hex(32),
            date_of_death=date(2026, 11, n)), correlation_id=correlation)
        await logged(correlation, n)
    return [e["seq"] for e in await logged(correlation, 3)]


@asynccontextmanager
async def locked_chain(env: Environment) -> AsyncIterator[asyncpg.Connection]:
    """A transaction on oversight's database holding the chain head, as an intruder's."""
    conn = await asyncpg.connect(env.pg_dsn("oversight"))
    try:
        async with conn.transaction():
            await conn.execute("SELECT 1 FROM audit_chain_head FOR UPDATE")
            yield conn
    finally:
        await conn.close()


async def assert_intact(oversight_command: Command) -> None:
    code, verdict = await oversight_command("verify")
    assert (code, verdict["ok"]) == (0, True), verdict


async def test_editing_an_entry_is_caught_by_verify(
        siquan_env: Environment, logged: Logged, oversight_command: Command) -> None:
    _, target, _ = await three_logged_entries(siquan_env, logged)
    async with locked_chain(siquan_env) as conn:
        original = await conn.fetchval("SELECT body::text FROM audit_entries WHERE seq = $1",
                                       target)
        await conn.execute("UPDATE audit_entries SET body = jsonb_set(body, '{report_id}',"
                           " '\"PS-forged\"') WHERE seq = $1", target)
    try:
        code, verdict = await oversight_command("verify")

        assert (code, verdict["ok"]) == (1, False)
        assert (verdict["first_bad_seq"], verdict["problem"]) == (target, "altered")
    finally:
        async with locked_chain(siquan_env) as conn:
            await conn.execute("UPDATE audit_entries SET body = $2::jsonb WHERE seq = $1",
                               target, original)
    await assert_intact(oversight_command)


async def test_editing_the_body_as_received_is_caught_by_verify(
        siquan_env: Environment, logged: Logged, oversight_command: Command) -> None:
    _, target, _ = await three_logged_entries(siquan_env, logged)
    async with locked_chain(siquan_env) as conn:
        original = await conn.fetchval("SELECT body_text FROM audit_entries WHERE seq = $1",
                                       target)
        forged = original.replace('"PS-', '"PS-forged-')
        await conn.execute("UPDATE audit_entries SET body_text = $2::text, body = $2::jsonb"
                           " WHERE seq = $1", target, forged)
    try:
        code, verdict = await oversight_command("verify")

        assert (code, verdict["ok"]) == (1, False)
        assert (verdict["first_bad_seq"], verdict["problem"]) == (target, "altered")
    finally:
        async with locked_chain(siquan_env) as conn:
            await conn.execute("UPDATE audit_entries SET body_text = $2::text, body = $2::jsonb"
                               " WHERE seq = $1", target, original)
    await assert_intact(oversight_command)


async def test_editing_what_a_chunk_is_searched_by_is_caught_by_verify(
        siquan_env: Environment, logged: Logged, oversight_command: Command,
        audit_entries: Any) -> None:
    correlation = f"tamper-chunk-{uuid.uuid4()}"
    chunk = disbursement.PaymentsSettled(
        run_id=str(uuid.uuid4()), program_code="special_assistance", period="2026-11",
        division_code="420117", chunk=0, payments=(disbursement.SettledPayment(
            payment_id=str(uuid.uuid4()), person_key=secrets.token_hex(32),
            certification_id="c", item="benefit", amount_fen=21_000, bank_reference="B"),))
    await publish_as(siquan_env, chunk, correlation_id=correlation)
    [entry] = await logged(correlation, 1)
    assert entry["body"] == chunk.model_dump(mode="json")  # shown whole, searched without
    target = entry["seq"]
    async with locked_chain(siquan_env) as conn:
        await conn.execute("UPDATE audit_entries SET body = jsonb_set(body, '{run_id}',"
                           " '\"forged\"') WHERE seq = $1", target)
    try:
        code, verdict = await oversight_command("verify")

        assert (code, verdict["ok"]) == (1, False)
        assert (verdict["first_bad_seq"], verdict["problem"]) == (target, "altered")
    finally:
        async with locked_chain(siquan_env) as conn:
            await conn.execute("UPDATE audit_entries SET body = jsonb_set(body, '{run_id}',"
                               " to_jsonb($2::text)) WHERE seq = $1", target, chunk.run_id)
    await assert_intact(oversight_command)


async def test_deleting_an_entry_is_caught_by_verify(
        siquan_env: Environment, logged: Logged, oversight_command: Command) -> None:
    _, target, _ = await three_logged_entries(siquan_env, logged)
    async with locked_chain(siquan_env) as conn:
        row = await conn.fetchrow("DELETE FROM audit_entries WHERE seq = $1 RETURNING *",
                                  target)
    assert row is not None
    try:
        code, verdict = await oversight_command("verify")

        assert (code, verdict["ok"]) == (1, False)
        assert (verdict["first_bad_seq"], verdict["problem"]) == (target, "removed")
    finally:
        async with locked_chain(siquan_env) as conn:
            columns = list(row.keys())
            await conn.execute(
                f"INSERT INTO audit_entries ({', '.join(columns)}) VALUES "
                f"({', '.join(f'${i}' for i in range(1, len(columns) + 1))})", *row.values())
    await assert_intact(oversight_command)


def forged_after(row: asyncpg.Record) -> tuple[int, Envelope, str, str]:
    """A well-formed entry slipped in right after `row`, hashed as oversight would."""
    body = {"run_id": "forged", "amount_fen": 99_999_900}
    envelope = Envelope(
        message_id=str(uuid.uuid4()), producer="fund_custody",
        message_type="allocation.approved.v1", occurred_at=row["occurred_at"],
        correlation_id="forged", causation_id=None, trace_id=None, body=body,
        signature=None, received_at=row["received_at"], body_text=json.dumps(body))
    entry = link(envelope, after_seq=row["seq"], after_hash=row["entry_hash"])
    return entry.seq, envelope, entry.prev_hash, entry.entry_hash


async def insert_forged_before(conn: asyncpg.Connection, seq: int) -> None:
    """Move entries from `seq` on up by one and put a forged entry at `seq`."""
    before = await conn.fetchrow("SELECT * FROM audit_entries WHERE seq = $1", seq - 1)
    assert before is not None
    new_seq, envelope, prev_hash, entry_hash = forged_after(before)
    await conn.execute("UPDATE audit_entries SET seq = seq + $2 WHERE seq >= $1", seq, SHIFT)
    await conn.execute("UPDATE audit_entries SET seq = seq - $1 + 1 WHERE seq >= $1", SHIFT)
    fields = {**dataclasses.asdict(envelope), "body": envelope.body_text}
    del fields["body_sha256"]  # the stored text is what it hashes
    await conn.execute(
        f"INSERT INTO audit_entries (seq, {', '.join(fields)}, prev_hash, entry_hash) VALUES"
        f" ($1, {', '.join(f'${i}' for i in range(2, len(fields) + 2))},"
        f" ${len(fields) + 2}, ${len(fields) + 3})",
        new_seq, *fields.values(), prev_hash, entry_hash)
    await conn.execute("UPDATE audit_chain_head SET seq = seq + 1")


async def remove_forged_at(conn: asyncpg.Connection, seq: int) -> None:
    await conn.execute("DELETE FROM audit_entries WHERE seq = $1", seq)
    await conn.execute("UPDATE audit_entries SET seq = seq + $2 WHERE seq > $1", seq, SHIFT)
    await conn.execute("UPDATE audit_entries SET seq = seq - $1 - 1 WHERE seq >= $1", SHIFT)
    await conn.execute("UPDATE audit_chain_head SET seq = seq - 1")


async def test_inserting_an_entry_is_caught_by_verify(
        siquan_env: Environment, logged: Logged, oversight_command: Command) -> None:
    _, target, _ = await three_logged_entries(siquan_env, logged)
    async with locked_chain(siquan_env) as conn:
        await insert_forged_before(conn, target)
    try:
        code, verdict = await oversight_command("verify")

        assert (code, verdict["ok"]) == (1, False)
        # The forged entry itself is well formed; the entry it displaced no longer fits.
        assert (verdict["first_bad_seq"], verdict["problem"]) == (target + 1, "inserted")
    finally:
        async with locked_chain(siquan_env) as conn:
            await remove_forged_at(conn, target)
    await assert_intact(oversight_command)
