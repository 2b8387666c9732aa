"""An operator's commands on one service's officer accounts, for what the console cannot
do itself: the first administrator of a deployment, or an administrator locked out.

    python -m siquan.shared.accounts SERVICE add-officer --id ID --name NAME \\
        --roles administrator --division 420117
    python -m siquan.shared.accounts SERVICE reset-password --id ID

Reads the service's settings as the service does (`SIQUAN_*` environment variables or
`SIQUAN_SECRETS_DIR`), prints a temporary password the officer changes at the first login,
and publishes the action (channel `command`) like the console's.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from collections.abc import Sequence

from siquan.contracts.topology import SERVICES
from siquan.shared.accounts.store import AccountStore, Client
from siquan.shared.auth import Officer
from siquan.shared.clock import clock_for
from siquan.shared.database import create_pool
from siquan.shared.errors import Refused
from siquan.shared.outbox import Outbox
from siquan.shared.settings import ServiceSettings
from siquan.shared.signing import load_signing_key
from siquan.shared.unit_of_work import PgUnitOfWork, UnitsOfWork

COMMAND = Client("command", None)


def operator_for(division: str) -> Officer:
    """Who the command acts as: the operator, for the officer's own division."""
    return Officer(id="operator-command", name="operator command", roles=("administrator",),
                   division=division)


def temporary_password() -> str:
    return secrets.token_urlsafe(12)


async def add_officer(store: AccountStore, officer_id: str, name: str, roles: Sequence[str],
                      division: str) -> str:
    password = temporary_password()
    await store.create(operator_for(division), officer_id, name, roles, division, password,
                       COMMAND)
    return password


async def reset_password(store: AccountStore, officer_id: str) -> str:
    account = await store.get(officer_id)
    password = temporary_password()
    await store.reset_password(operator_for(account.division), officer_id, password,
                               COMMAND)
    if account.disabled:
        await store.set_disabled(operator_for(account.division), officer_id, False, COMMAND)
    return password


async def _run(options: argparse.Namespace) -> str:
    settings = ServiceSettings.from_environment(options.service)
    clock = clock_for(settings.clock_file, settings.office_zone)
    outbox = Outbox(options.service,
                    load_signing_key(settings.keys_dir / f"{options.service}.key"), clock=clock)
    pool = await create_pool(settings.pg_dsn, max_size=2)
    try:
        store = AccountStore(options.service, UnitsOfWork(lambda: pool, outbox, clock,
                                                          PgUnitOfWork))
        if options.command == "add-officer":
            return await add_officer(store, options.id, options.name,
                                     options.roles.split(","), options.division)
        return await reset_password(store, options.id)
    finally:
        await pool.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m siquan.shared.accounts",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("service", choices=SERVICES)
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-officer", help="a new officer with a temporary password")
    add.add_argument("--id", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--roles", required=True, help="comma-separated, e.g. administrator")
    add.add_argument("--division", required=True)
    reset = commands.add_parser("reset-password",
                                help="a temporary password; lifts a lockout, enables")
    reset.add_argument("--id", required=True)
    options = parser.parse_args(argv)
    try:
        password = asyncio.run(_run(options))
    except Refused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 1
    print(f"temporary password for {options.id} (to change at the first login): {password}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
