"""Oversight's commands: verify the audit chain and print a program report, as JSON on
stdout. They read oversight's database with the service's settings (`SIQUAN_PG_DSN`,
`SIQUAN_KEYS_DIR`) through a read-only unit of work, and never touch the broker."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

from siquan.oversight.adapters.unit_of_work import OversightUnits, snapshot
from siquan.oversight.application import queries
from siquan.oversight.reconciliation.application.context import RuleConfig
from siquan.oversight.settings import OversightSettings
from siquan.shared.clock import clock_for
from siquan.shared.database import create_pool
from siquan.shared.outbox import Outbox
from siquan.shared.signing import load_signing_key


def _print(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


@contextlib.asynccontextmanager
async def _units(settings: OversightSettings) -> AsyncIterator[OversightUnits]:
    pool = await create_pool(settings.pg_dsn, min_size=1, max_size=1)
    outbox = Outbox("oversight", load_signing_key(settings.keys_dir / "oversight.key"))
    try:
        clock = clock_for(settings.clock_file, settings.office_zone)
        yield OversightUnits(lambda: pool, outbox, clock, RuleConfig())
    finally:
        await pool.close()


async def _verify(settings: OversightSettings) -> int:
    async with _units(settings) as units, snapshot(units) as uow:
        verdict = await queries.verify_chain(uow)
    _print(verdict.as_dict())
    return 0 if verdict.ok else 1


async def _report(settings: OversightSettings, program_code: str, period: str,
                  division: str | None) -> int:
    async with _units(settings) as units, snapshot(units) as uow:
        found = await queries.program_report(uow, program_code, period, division)
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
    settings = OversightSettings.from_environment("oversight")
    if args.command == "verify":
        return asyncio.run(_verify(settings))
    return asyncio.run(_report(settings, args.program_code, args.period, args.division))


def parse(argv: Sequence[str]) -> argparse.Namespace:
    return parser().parse_args(argv)
