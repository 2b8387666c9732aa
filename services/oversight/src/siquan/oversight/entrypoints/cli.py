"""Oversight's commands: verify the audit chain and print a program report, as JSON on
stdout. They connect to oversight's database with the service's settings
(`SIQUAN_PG_DSN`) and never touch the broker."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from siquan.oversight.application import queries
from siquan.oversight.settings import OversightSettings
from siquan.shared.database import create_pool


def _print(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


async def _verify(dsn: str) -> int:
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            verdict = await queries.verify_chain(conn)
    finally:
        await pool.close()
    _print(verdict.as_dict())
    return 0 if verdict.ok else 1


async def _report(dsn: str, program_code: str, period: str, division: str | None) -> int:
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            found = await queries.program_report(conn, program_code, period, division)
    finally:
        await pool.close()
    _print(found.as_dict())
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m siquan.oversight",
                                   description="Run oversight (no command), or one of:")
    commands = root.add_subparsers(dest="command")
    commands.add_parser("verify", help="verify the audit hash chain; exit 1 if broken")
    report = commands.add_parser("report", help="a program's figures for a period")
    report.add_argument("program_code")
    report.add_argument("period")
    report.add_argument("--division", default=None, help="division code (default: all)")
    return root


def run(args: argparse.Namespace) -> int:
    dsn = OversightSettings().pg_dsn
    if args.command == "verify":
        return asyncio.run(_verify(dsn))
    return asyncio.run(_report(dsn, args.program_code, args.period, args.division))


def parse(argv: Sequence[str]) -> argparse.Namespace:
    return parser().parse_args(argv)
