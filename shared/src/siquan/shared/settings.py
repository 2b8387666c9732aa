"""The settings every service shares, read from the environment with the prefix `SIQUAN_`
and from secret files.

Secrets (broker and database credentials inside the URLs, the person-key secret) come from
the environment or from files in `SIQUAN_SECRETS_DIR` named after the variable in lower
case (`siquan_amqp_url`, `siquan_pg_dsn`, `siquan_person_key_secret`), as the provisioning
command writes them per service and as container orchestrators mount them.

`SIQUAN_MODE` is `production` unless set: `development` allows the built-in development
secrets and creates the development officer accounts; `test` (the test and demo
environments) is production's strictness about secrets with the development officer
accounts, which no production service ever has: it neither creates them nor accepts those
a database made in another mode holds.

Outside an explicit development mode (`SIQUAN_MODE=development`) a service refuses to
start — with a message naming what is missing — unless each of its `secrets_required` was
given, and it refuses a development value (`siquan-…-dev` passwords, the development
person-key secret) in any secret it uses or setting it was given.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

from siquan.shared.clock import DEFAULT_OFFICE_ZONE

DEVELOPMENT_PERSON_KEY_SECRET = "siquan-dev-person-key"  # noqa: S105 - development mode only
_DEVELOPMENT_MARKERS = ("-dev@", DEVELOPMENT_PERSON_KEY_SECRET)


class MissingSecret(SystemExit):
    """A service cannot start without a secret it was not given (exits with the reason)."""


class InvalidSettings(SystemExit):
    """A service cannot start with a setting it cannot read (exits naming the setting)."""


class ServiceSettings(BaseSettings):
    """Connection strings, keys and ports. Each service subclasses it to set its defaults."""

    model_config = SettingsConfigDict(env_prefix="SIQUAN_", extra="ignore")

    secrets_required: ClassVar[tuple[str, ...]] = ("amqp_url", "pg_dsn", "person_key_secret")
    """What must be given explicitly outside development mode (a subclass may narrow it)."""

    mode: Literal["development", "test", "production"] = Field(
        default="production",
        description="`development` allows the built-in development secrets and creates the "
                    "development accounts; `test` requires every secret, as production "
                    "does, and creates the development accounts (test and demo "
                    "environments); `production` requires every secret and never has a "
                    "development account")
    amqp_url: str = Field(description="This service's broker URL: its own user and the vhost; "
                                      "several nodes of a cluster separated by commas")
    pg_dsn: str = Field(description="This service's own PostgreSQL database")
    keys_dir: Path = Field(default=Path(".siquan/keys"),
                           description="Holds <service>.key and every producer's .pub")
    officers_file: Path = Field(
        default=Path("infra/dev/officers.json"),
        description="A roster of officers and their API tokens' SHA-256, applied to "
                    "this service's accounts at start: each officer added once and kept as "
                    "the file declares them; an officer it added and no longer names is "
                    "disabled, a token it no longer lists revoked; `dev-<id>` tokens only "
                    "in development and test mode")
    login_lockout_after: int = Field(default=5, ge=1, le=100,
                                     description="Failed logins in a row that lock an account")
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60,
                                       description="How long a locked account stays locked")
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60,
                                      description="A console session ends after this idle time")
    session_hours: int = Field(default=10, ge=1, le=24,
                               description="A console session ends this long after login")
    person_key_secret: str = Field(default=DEVELOPMENT_PERSON_KEY_SECRET,
                                   description="HMAC key turning resident IDs into person keys")
    office_timezone: str = Field(
        default=DEFAULT_OFFICE_ZONE,
        description="The time zone an officer's pages show times in (an IANA name)")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Reverse proxies whose X-Forwarded-For names the caller (comma-separated "
                    "addresses or networks; empty: the connection's own address always)")
    clock_file: Path | None = Field(default=None,
                                    description="Read the time from this file (tests only)")
    trace_file: Path | None = Field(default=None,
                                    description="Append finished spans here as JSON lines")
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    relay_idle_seconds: float = Field(default=1.0, gt=0)
    consumer_batch_size: int = Field(
        default=200, ge=1, le=5_000,
        description="Messages a consumer handles in one transaction, at most")
    consumer_batch_bytes: int = Field(
        default=0, ge=0,
        description="Bytes of message bodies after which a batch takes no more (0: no limit)")
    consumer_bulk_ack: bool = Field(
        default=False,
        description="Acknowledge a committed batch at once (one `multiple` acknowledgement) "
                    "when no deferred message waits on the channel")
    consumer_batch_wait_seconds: float = Field(
        default=0.02, ge=0, le=5,
        description="How long a consumer waits for a batch to fill before handling it")
    consumer_prefetch: int = Field(
        default=0, ge=0,
        description="Deliveries held per queue (0: twice the batch size)")
    max_transient_attempts: int = Field(default=5, ge=1, le=20)
    metrics_sample_seconds: float = Field(
        default=5.0, gt=0, le=3600,
        description="How often the outbox backlog and queue depths are sampled for /metrics")
    http_max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024,
        description="Largest JSON or form request body the HTTP API reads (larger: 413)")
    http_max_upload_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024,
        description="Largest multipart (file upload) request body (larger: 413)")
    public_rate_per_minute: float = Field(
        default=300, ge=0,
        description="Requests per minute a client address may make without credentials "
                    "(then 429); 0: no limit")
    public_rate_burst: int = Field(default=60, ge=1,
                                   description="Requests without credentials at once")
    pg_pool_size: int = Field(default=10, ge=2, le=100,
                              description="Connections this instance has for requests and "
                                          "message handling; the connections its "
                                          "background loops hold (listeners, payers) "
                                          "come on top")
    pg_toast_compression: Literal["", "pglz", "lz4"] = Field(
        default="",
        description="How this service's connections compress long values they write "
                    "(PostgreSQL's default_toast_compression; empty: the server's default; "
                    "lz4 where the server lacks it: the server's default, with a warning)")
    startup_database_wait_seconds: float = Field(
        default=120, ge=0,
        description="How long a starting instance waits for a database that is away "
                    "(restarting, refusing, at its connection limit)")
    dependency_check_seconds: float = Field(
        default=1.0, gt=0,
        description="How often the database and the broker are checked for the "
                    "siquan_dependency_up gauge and the log")

    @classmethod
    def from_environment(cls, service: str) -> Self:
        """The settings from the environment and the secret files, or exit naming each
        setting that is wrong and why, never its value (a setting may hold a secret)."""
        try:
            return cls()
        except ValidationError as exc:
            wrong = "; ".join(f"SIQUAN_{str(e['loc'][0]).upper()}: {e['msg']}"
                              for e in exc.errors(include_input=False, include_url=False))
            raise InvalidSettings(f"siquan.{service} refuses to start: {wrong}") from None

    @property
    def office_zone(self) -> ZoneInfo:
        """The office's time zone (`office_timezone`, checked when the settings are read)."""
        return ZoneInfo(self.office_timezone)

    @field_validator("office_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"no time zone is named {value!r}") from exc
        return value

    @classmethod
    def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings]
        secrets_dir = os.environ.get("SIQUAN_SECRETS_DIR")
        if secrets_dir:
            sources.append(SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir))
        return tuple(sources)

    @property
    def development_accounts_on(self) -> bool:
        """Whether the roster's development accounts (`dev-<id>`) are created and
        accepted: in development and test mode only, never in production."""
        return self.mode in ("development", "test")

    def single_message_types(self) -> frozenset[str]:
        """Event types (routing keys) this service publishes one event to a message even
        where they travel by the batch (`siquan.contracts.batches`); none by default."""
        return frozenset()

    def refuse_unsafe_start(self, service: str) -> None:
        """Exit with the reason unless this service may start with these settings."""
        if self.mode == "development":
            return
        missing = [name for name in self.secrets_required if name not in self.model_fields_set]
        if missing:
            names = ", ".join(f"SIQUAN_{n.upper()}" for n in missing)
            raise MissingSecret(
                f"siquan.{service} refuses to start: {names} not given (set it in the "
                "environment or as a file in SIQUAN_SECRETS_DIR; SIQUAN_MODE=development "
                "allows the development values)")
        unsafe = [name for name, value in self._string_values()
                  if any(marker in value for marker in _DEVELOPMENT_MARKERS)]
        if unsafe:
            names = ", ".join(f"SIQUAN_{n.upper()}" for n in unsafe)
            raise MissingSecret(f"siquan.{service} refuses to start: {names} holds a "
                                "development secret outside development mode")
        if not (self.keys_dir / f"{service}.key").is_file():
            raise MissingSecret(f"siquan.{service} refuses to start: its signing key "
                                f"{service}.key is not in SIQUAN_KEYS_DIR")

    def _string_values(self) -> list[tuple[str, str]]:
        """The values this service uses as secrets or was given (unused defaults aside)."""
        values: dict[str, Any] = self.model_dump()
        given = set(self.secrets_required) | self.model_fields_set
        return [(k, str(v)) for k, v in values.items()
                if k in given and isinstance(v, str | Path)]
