"""Provisioning of a local Siquan: broker topology and users, databases and roles, keys.

This module owns applying what `siquan.shared.broker_definitions` and `init_sql` describe
to running servers, building each service's connection strings from an admin one, and the
command line `python -m siquan.shared.provision {broker,databases,keys,definitions,all}`.
Everything is idempotent: running it twice leaves the same state. Nothing runs at import.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg

from siquan.contracts.topology import PARTNERS, SERVICES, VHOST
from siquan.shared.broker_definitions import (
    Definitions,
    DevelopmentPasswords,
    Passwords,
    broker_definitions,
    broker_topology,
    broker_users,
    producer_names,
)
from siquan.shared.credentials import CredentialStore

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_PREFIX = "siquan"
DEFAULT_KEYS_DIR = Path(".siquan/keys")
DEFAULT_SECRETS_DIR = Path(".siquan/secrets")
DEFAULT_INFRA_DIR = Path("infra")
IMPORT_TIMEOUT_S = 60.0


class ProvisioningError(RuntimeError):
    """A server refused or could not be reached; the message says which and why."""


def admin_amqp_url() -> str:
    return os.environ.get("SIQUAN_AMQP_URL", DEFAULT_AMQP_URL)


def admin_pg_dsn() -> str:
    return os.environ.get("SIQUAN_PG_DSN", DEFAULT_PG_DSN)


def _with_credentials(url: str, user: str, password: str, path: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}{port}"
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def service_amqp_url(user: str, vhost: str, admin_url: str | None,
                     passwords: Passwords, user_prefix: str = "") -> str:
    """The AMQP URL of a service or partner user (`partner_education`) on the admin's host."""
    return _with_credentials(admin_url or admin_amqp_url(), user_prefix + user,
                             passwords.broker_password(user), "/" + quote(vhost, safe=""))


# --- broker ---------------------------------------------------------------------------------


def rabbitmqctl(*args: str, ctl: str | None = None) -> str:
    """Run `rabbitmqctl` (or `ctl`, or `$SIQUAN_RABBITMQCTL`, e.g. `sudo rabbitmqctl`, or a
    cluster node's CLI); its stdout. Bounded in time."""
    base = ctl or os.environ.get("SIQUAN_RABBITMQCTL", "rabbitmqctl")
    command = [*shlex.split(base), *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ProvisioningError(f"{shlex.join(command)}: {error}") from error
    if done.returncode != 0:
        raise ProvisioningError(
            f"{shlex.join(command)} exited {done.returncode}: {done.stderr or done.stdout}")
    return done.stdout


def _bindings_present(vhost: str, ctl: str | None) -> set[tuple[str, str, str]]:
    listed = rabbitmqctl("-q", "list_bindings", "-p", vhost, "--formatter", "json",
                         "source_name", "destination_name", "routing_key", ctl=ctl)
    return {(b["source_name"], b["destination_name"], b["routing_key"])
            for b in json.loads(listed or "[]")}


def _await_import(vhost: str, definitions: Definitions, ctl: str | None) -> None:
    """Wait until every binding is visible: 3.10's CLI calls its import "asynchronous"."""
    wanted = {(b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]}
    deadline = time.monotonic() + IMPORT_TIMEOUT_S
    while not wanted <= _bindings_present(vhost, ctl):
        if time.monotonic() > deadline:
            raise ProvisioningError(f"definitions for vhost {vhost!r} not visible in time")
        time.sleep(0.2)


def apply_broker(vhost: str, passwords: Passwords, admin_url: str | None = None,
                 ctl: str | None = None, user_prefix: str = "") -> None:
    """Import the definitions for `vhost` into the local broker (or the cluster `ctl`
    reaches) and let the admin inspect it."""
    definitions = broker_definitions(vhost, passwords, user_prefix)
    admin = unquote(urlsplit(admin_url or admin_amqp_url()).username or "guest")
    # The import creates the vhost and lets the admin (who exists already) inspect it: one
    # CLI call for everything.
    definitions = {**definitions, "permissions": [
        *definitions["permissions"],
        {"user": admin, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}]}
    with tempfile.TemporaryDirectory(prefix="siquan-definitions-") as directory:
        # rabbitmqctl may run as the `rabbitmq` user, which must be able to read the file.
        Path(directory).chmod(0o755)
        path = Path(directory) / "definitions.json"
        path.write_text(json.dumps(definitions), encoding="utf-8")
        path.chmod(0o644)
        rabbitmqctl("import_definitions", str(path), ctl=ctl)
    _await_import(vhost, definitions, ctl)


def drop_broker(vhost: str, ctl: str | None = None, user_prefix: str = "") -> None:
    """Delete a vhost with everything in it, and the users named with `user_prefix` (users
    without a prefix stay: other vhosts may use them)."""
    users = [user_prefix + user for user in broker_users()] if user_prefix else []
    if _drop_in_one_call(vhost, users, ctl):
        return
    try:
        rabbitmqctl("delete_vhost", vhost, ctl=ctl)
    except ProvisioningError as error:
        if "does not exist" not in str(error):
            raise
    if user_prefix:
        for user in broker_users():
            try:
                rabbitmqctl("delete_user", user_prefix + user, ctl=ctl)
            except ProvisioningError as error:
                if "does not exist" not in str(error):
                    raise


_ERLANG_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")


def _drop_in_one_call(vhost: str, users: list[str], ctl: str | None) -> bool:
    """Delete the vhost and the users through one CLI call (each `rabbitmqctl` call starts an
    Erlang VM, and an environment has a user per service and partner). False when the node
    does not offer the calls this needs; the caller then deletes them one by one."""
    if not all(_ERLANG_SAFE.match(name) for name in (vhost, *users)):
        return False
    names = ", ".join(f'<<"{user}">>' for user in users)
    expression = (
        f'catch rabbit_vhost:delete(<<"{vhost}">>, <<"siquan-provision">>), '
        f'[catch rabbit_auth_backend_internal:delete_user(U, <<"siquan-provision">>) '
        f'|| U <- [{names}]], '
        f'{{rabbit_vhost:exists(<<"{vhost}">>), '
        f'[U || U <- [{names}], rabbit_auth_backend_internal:exists(U)]}}.')
    try:
        answer = rabbitmqctl("-q", "eval", expression, ctl=ctl)
    except ProvisioningError:
        return False
    return answer.strip() == "{false,[]}"


def write_topology(infra_dir: Path = DEFAULT_INFRA_DIR, vhost: str = VHOST) -> Path:
    """Write the committed broker topology (no users, no passwords)."""
    topology = infra_dir / "rabbitmq" / "topology.json"
    topology.parent.mkdir(parents=True, exist_ok=True)
    topology.write_text(json.dumps(broker_topology(vhost), indent=2) + "\n", "utf-8")
    return topology


def write_deployment(out_dir: Path, passwords: Passwords, vhost: str = VHOST,
                     prefix: str = DEFAULT_PREFIX) -> list[Path]:
    """What a deployment's broker and database load at their first start, with the
    passwords generated for it: `rabbitmq/definitions.json` and `postgres/init.sql`."""
    definitions = out_dir / "rabbitmq" / "definitions.json"
    init = out_dir / "postgres" / "init.sql"
    superuser = out_dir / "postgres-superuser" / "password"
    for path in (definitions, init, superuser):
        path.parent.mkdir(parents=True, exist_ok=True)
    definitions.write_text(json.dumps(broker_definitions(vhost, passwords), indent=2) + "\n",
                           "utf-8")
    init.write_text(init_sql(prefix, passwords), "utf-8")
    superuser.write_text(passwords.database_password("postgres"), "utf-8")
    grafana = out_dir / "grafana" / "admin-password"
    grafana.parent.mkdir(parents=True, exist_ok=True)
    grafana.write_text(passwords.database_password("grafana-admin"), "utf-8")
    for path in (definitions, init, superuser, grafana):
        path.chmod(0o644)  # read by the broker's, the database's and Grafana's own users
    return [definitions, init, superuser, grafana]


# --- databases ------------------------------------------------------------------------------


def role_of(service: str, prefix: str = DEFAULT_PREFIX) -> str:
    """A service's PostgreSQL role, which is also the name of the database it owns."""
    name = f"{prefix}_{service}"
    if not name.replace("_", "").isalnum() or not name.isascii() or not name.islower():
        raise ValueError(f"unsafe PostgreSQL identifier {name!r}")
    return name


def databases(prefix: str = DEFAULT_PREFIX) -> dict[str, str]:
    """Every database and its owning role: one per service, and the simulated bank's."""
    owned = {role_of(svc, prefix): role_of(svc, prefix) for svc in SERVICES}
    owned[role_of("banksim", prefix)] = role_of("disbursement", prefix)
    return owned


def _dsn(role: str, database: str, admin_dsn: str | None, passwords: Passwords) -> str:
    return _with_credentials(admin_dsn or admin_pg_dsn(), role,
                             passwords.database_password(role), "/" + quote(database, safe=""))


def service_dsn(service: str, prefix: str, admin_dsn: str | None, passwords: Passwords) -> str:
    """The DSN of a service's own database, as its own role, on the admin DSN's server."""
    role = role_of(service, prefix)
    return _dsn(role, role, admin_dsn, passwords)


def banksim_dsn(prefix: str, admin_dsn: str | None, passwords: Passwords) -> str:
    """The simulated bank's database, reached with disbursement's role (it owns it)."""
    return _dsn(role_of("disbursement", prefix), role_of("banksim", prefix), admin_dsn,
                passwords)


def _role_sql(role: str, verb: str, passwords: Passwords) -> str:
    password = passwords.database_password(role).replace("'", "''")
    return f"{verb} ROLE \"{role}\" LOGIN PASSWORD '{password}'"


# Byte-order collation: every key the services index, join and sort on (person keys,
# ids, codes) is ASCII, and the "C" collation compares it with memcmp and sorts it with
# abbreviated keys, where a libc locale (even C.UTF-8, on PostgreSQL before 17) calls
# strcoll for every comparison: index builds and sorts of a province's roster run two to
# three times faster. For UTF-8 text (names) it is code point order, what C.UTF-8 gives;
# the character classes (upper(), regular expressions) keep the server's LC_CTYPE.
DATABASE_OPTIONS = "TEMPLATE template0 LC_COLLATE 'C'"


def _database_sql(database: str, owner: str) -> list[str]:
    # Only the owner may connect: one service cannot open another's database.
    return [f'CREATE DATABASE "{database}" OWNER "{owner}" {DATABASE_OPTIONS}',
            f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC']


def init_sql(prefix: str, passwords: Passwords) -> str:
    """The same roles and databases as a script for an empty server (compose init)."""
    lines = ["-- Generated by `python -m siquan.shared.provision deployment`; do not edit."]
    lines += [_role_sql(role_of(svc, prefix), "CREATE", passwords) + ";" for svc in SERVICES]
    for database, owner in databases(prefix).items():
        lines += [statement + ";" for statement in _database_sql(database, owner)]
    return "\n".join(lines) + "\n"


async def apply_databases(prefix: str, passwords: Passwords,
                          admin_dsn: str | None = None) -> None:
    """Create what is missing of the roles and databases, and reset the roles' passwords."""
    connection = await asyncpg.connect(admin_dsn or admin_pg_dsn())
    try:
        for svc in SERVICES:
            role = role_of(svc, prefix)
            exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            await connection.execute(_role_sql(role, "ALTER" if exists else "CREATE", passwords))
        for database, owner in databases(prefix).items():
            create, revoke = _database_sql(database, owner)
            if not await connection.fetchval(
                    "SELECT 1 FROM pg_database WHERE datname = $1", database):
                await connection.execute(create)
            await connection.execute(revoke)
    finally:
        await connection.close()


async def drop_databases(prefix: str, admin_dsn: str | None = None) -> None:
    """Drop the databases (disconnecting their sessions) and then the roles."""
    connection = await asyncpg.connect(admin_dsn or admin_pg_dsn())
    try:
        for database in databases(prefix):
            await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        for svc in SERVICES:
            await connection.execute(f'DROP ROLE IF EXISTS "{role_of(svc, prefix)}"')
    finally:
        await connection.close()


# --- keys and command line ------------------------------------------------------------------


def write_keys(directory: Path = DEFAULT_KEYS_DIR) -> None:
    """An Ed25519 key pair per producer; existing pairs are kept."""
    from siquan.shared.signing import write_keypair  # the key format belongs to signing

    directory.mkdir(parents=True, exist_ok=True)
    for producer in producer_names():
        write_keypair(directory, producer)


PERSON_KEY_HOLDERS = ("eligibility", "disbursement", "oversight")
"""The services that turn a resident ID typed by an officer or a citizen into a person key
(fund custody never sees one)."""


def partner_pseudonym_keys(passwords: Passwords) -> str:
    """Every partner agency's pseudonym key, as the JSON object eligibility reads."""
    return json.dumps({g.partner: passwords.partner_pseudonym_key(g.partner)
                       for g in PARTNERS}, sort_keys=True)


def write_service_secrets(out_dir: Path, passwords: Passwords, keys_dir: Path, *,
                          vhost: str = VHOST, prefix: str = DEFAULT_PREFIX,
                          amqp_url: str | None = None, pg_dsn: str | None = None) -> list[Path]:
    """One directory per service holding only what that service needs — its broker URL,
    database DSN, person-key secret if it uses one, and a keys directory with its own
    private key and every producer's public key — as files a service reads through
    `SIQUAN_SECRETS_DIR=<out_dir>/<service>`."""
    written = []
    for service in SERVICES:
        folder = out_dir / service
        keys = folder / "keys"
        keys.mkdir(parents=True, exist_ok=True)
        shutil.copy2(keys_dir / f"{service}.key", keys / f"{service}.key")
        for public in keys_dir.glob("*.pub"):
            shutil.copy2(public, keys / public.name)
        values = {"siquan_amqp_url": service_amqp_url(service, vhost, amqp_url, passwords),
                  "siquan_pg_dsn": service_dsn(service, prefix, pg_dsn, passwords),
                  "siquan_keys_dir": str(keys.resolve())}
        if service in PERSON_KEY_HOLDERS:
            values["siquan_person_key_secret"] = passwords.person_key_secret()
        if service == "eligibility":
            values["siquan_partner_pseudonym_keys"] = partner_pseudonym_keys(passwords)
        if service == "disbursement":
            values["siquan_bank_dsn"] = banksim_dsn(prefix, pg_dsn, passwords)
        for name, value in values.items():
            path = folder / name
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(value)
        written.append(folder)
    return written


def write_officer_tokens(out_dir: Path, roster: Path) -> Path:
    """Each officer of `roster` (a file shaped like `infra/dev/officers.json`) gets a fresh
    random bearer token: every service's `officers.json` holds only the tokens' SHA-256
    (no development password),
    `operator/officer-tokens.json` (mode 600) the tokens for the operator to hand out."""
    officers = json.loads(roster.read_text("utf-8"))
    tokens = {o["id"]: secrets.token_urlsafe(32) for o in officers}
    hashed = [{**{k: v for k, v in o.items() if k != "password_argon2id"},
               "token_sha256": hashlib.sha256(tokens[o["id"]].encode()).hexdigest()}
              for o in officers]
    for service in SERVICES:
        (out_dir / service).mkdir(parents=True, exist_ok=True)
        (out_dir / service / "officers.json").write_text(json.dumps(hashed, indent=2), "utf-8")
    handed = out_dir / "operator" / "officer-tokens.json"
    handed.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(handed, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(json.dumps(tokens, indent=2))
    return handed


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m siquan.shared.provision",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("what", choices=("broker", "databases", "keys", "topology",
                                         "deployment", "all"))
    parser.add_argument("--vhost", default=VHOST)
    parser.add_argument("--db-prefix", default=DEFAULT_PREFIX)
    parser.add_argument("--keys-dir", type=Path,
                        default=Path(os.environ.get("SIQUAN_KEYS_DIR", DEFAULT_KEYS_DIR)))
    parser.add_argument("--secrets-dir", type=Path, default=DEFAULT_SECRETS_DIR,
                        help="where generated passwords are kept and each service's "
                             "secrets are written (`all`, `deployment`)")
    parser.add_argument("--development", action="store_true",
                        help="use the development passwords (SIQUAN_MODE=development)")
    parser.add_argument("--infra-dir", type=Path, default=DEFAULT_INFRA_DIR,
                        help="where `topology` writes rabbitmq/topology.json")
    parser.add_argument("--amqp-host-url", default=None,
                        help="`deployment`: the broker as the services reach it, e.g. "
                             "amqp://rabbitmq:5672/")
    parser.add_argument("--officers", type=Path, default=None,
                        help="`deployment`: the officers (ids, roles, divisions) to issue "
                             "fresh tokens to")
    parser.add_argument("--pg-host-dsn", default=None,
                        help="`deployment`: the database server as the services reach it, "
                             "e.g. postgresql://postgres:5432/postgres")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    passwords: Passwords = DevelopmentPasswords() if options.development \
        else CredentialStore(options.secrets_dir / "generated")
    if options.what in ("broker", "all"):
        apply_broker(options.vhost, passwords)
        print(f"broker: vhost {options.vhost!r} provisioned")
    if options.what in ("databases", "all"):
        asyncio.run(apply_databases(options.db_prefix, passwords))
        print(f"databases: {', '.join(databases(options.db_prefix))} provisioned")
    if options.what in ("keys", "all", "deployment"):
        write_keys(options.keys_dir)
        print(f"keys: {', '.join(producer_names())} in {options.keys_dir}")
    if options.what in ("all", "deployment"):
        if options.what == "deployment":
            for path in write_deployment(options.secrets_dir, passwords, options.vhost,
                                         options.db_prefix):
                print(f"deployment: wrote {path}")
            if options.officers is not None:
                handed = write_officer_tokens(options.secrets_dir, options.officers)
                print(f"deployment: officers' tokens in {handed}")
        folders = write_service_secrets(
            options.secrets_dir, passwords, options.keys_dir, vhost=options.vhost,
            prefix=options.db_prefix, amqp_url=options.amqp_host_url,
            pg_dsn=options.pg_host_dsn)
        for folder in folders:
            print(f"secrets: SIQUAN_SECRETS_DIR={folder} python -m siquan.{folder.name}")
    if options.what == "topology":
        print(f"topology: wrote {write_topology(options.infra_dir, options.vhost)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
