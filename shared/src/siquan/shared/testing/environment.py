"""An isolated Siquan environment on a real RabbitMQ and PostgreSQL: its own vhost, its own
databases and roles, its own signing keys. Used by the tests and by the demo.

The servers come from `SIQUAN_AMQP_URL` / `SIQUAN_PG_DSN` (defaults: the local servers), or
from containers started by testcontainers when `SIQUAN_TESTCONTAINERS=1`.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from siquan.contracts.topology import PARTNERS, SERVICES
from siquan.shared import provision
from siquan.shared.credentials import CredentialStore
from siquan.shared.signing import write_keypair

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
REPO_ROOT = Path(__file__).resolve().parents[5]
TEST_PERSON_KEY_SECRET = "siquan-test-environments-person-key"  # noqa: S105 - test fixtures' key


@dataclass
class Environment:
    name: str
    keys_dir: Path
    admin_amqp_url: str = field(default_factory=lambda: os.environ.get(
        "SIQUAN_AMQP_URL", DEFAULT_AMQP_URL))
    admin_pg_dsn: str = field(default_factory=lambda: os.environ.get(
        "SIQUAN_PG_DSN", DEFAULT_PG_DSN))
    broker_nodes: list[str] = field(default_factory=list)
    """Admin URLs of every node of a broker cluster (empty: the one broker of
    `admin_amqp_url`); services then get a URL per node and fail over between them."""
    rabbitmqctl: str | None = None
    """The CLI that provisions the broker (None: `$SIQUAN_RABBITMQCTL` or `rabbitmqctl`)."""

    credentials: CredentialStore | None = None
    """The generated passwords and person-key secret (default: beside the keys)."""

    @classmethod
    def fresh(cls, base_dir: Path, prefix: str = "siquan_t") -> Environment:
        name = f"{prefix}_{secrets.token_hex(4)}"
        return cls(name=name, keys_dir=base_dir / name / "keys")

    @property
    def passwords(self) -> CredentialStore:
        if self.credentials is None:
            self.credentials = CredentialStore(self.keys_dir.parent / "credentials")
        return self.credentials

    @property
    def user_prefix(self) -> str:
        """This environment's broker users are its own (`<name>.eligibility`, …): users are
        global to a server, and environments side by side must not share them."""
        return f"{self.name}."

    def provision(self) -> None:
        provision.apply_broker(self.name, self.passwords, admin_url=self.admin_amqp_url,
                               ctl=self.rabbitmqctl, user_prefix=self.user_prefix)
        asyncio.run(provision.apply_databases(self.name, self.passwords,
                                              admin_dsn=self.admin_pg_dsn))
        for producer in (*SERVICES, *(f"partner.{p.partner}" for p in PARTNERS if p.publishes)):
            write_keypair(self.keys_dir, producer)

    def teardown(self) -> None:
        provision.drop_broker(self.name, ctl=self.rabbitmqctl, user_prefix=self.user_prefix)
        asyncio.run(provision.drop_databases(self.name, admin_dsn=self.admin_pg_dsn))

    def amqp_url(self, user: str) -> str:
        """A service's (or partner's) broker URL; on a cluster, one per node, comma-separated."""
        nodes = self.broker_nodes or [self.admin_amqp_url]
        return ",".join(provision.service_amqp_url(user, self.name, node, self.passwords,
                                                   self.user_prefix) for node in nodes)

    def pg_dsn(self, service: str) -> str:
        return provision.service_dsn(service, self.name, self.admin_pg_dsn, self.passwords)

    @property
    def person_key_secret(self) -> str:
        """The secret the services of this environment derive person keys with: one value
        known to the tests (they compute the keys of their own fixtures' residents), given
        to the services explicitly like any deployment's secret."""
        return TEST_PERSON_KEY_SECRET

    def pseudonym_key(self, agency: str) -> str:
        """The key this environment's eligibility derives an agency's pseudonyms with
        (what the agency itself would be handed)."""
        return self.passwords.partner_pseudonym_key(agency)

    @property
    def bank_dsn(self) -> str:
        """The simulated bank's database (what the bank itself recorded)."""
        return provision.banksim_dsn(self.name, self.admin_pg_dsn, self.passwords)

    async def fetch(self, database: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Rows of one query on a service's database (`"banksim"`: the simulated bank's),
        as a test inspects what a service recorded."""
        dsn = self.bank_dsn if database == "banksim" else self.pg_dsn(database)
        conn = await asyncpg.connect(dsn)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    def service_env(self, service: str, *, port: int, trace_file: Path | None = None
                    ) -> dict[str, str]:
        env = {
            "SIQUAN_AMQP_URL": self.amqp_url(service),
            "SIQUAN_PG_DSN": self.pg_dsn(service),
            "SIQUAN_KEYS_DIR": str(self.keys_dir),
            "SIQUAN_OFFICERS_FILE": str(REPO_ROOT / "infra" / "dev" / "officers.json"),
            "SIQUAN_MODE": "test",
            "SIQUAN_HTTP_PORT": str(port),
            "SIQUAN_BANK_DSN": self.bank_dsn,
        }
        if service in provision.PERSON_KEY_HOLDERS:
            env["SIQUAN_PERSON_KEY_SECRET"] = self.person_key_secret
        if service == "eligibility":
            env["SIQUAN_PARTNER_PSEUDONYM_KEYS"] = provision.partner_pseudonym_keys(
                self.passwords)
        if trace_file is not None:
            env["SIQUAN_TRACE_FILE"] = str(trace_file)
        return env
