"""The settings every service shares, read from the environment with the prefix `SIQUAN_`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Connection strings, keys and ports. Each service subclasses it to set its defaults."""

    model_config = SettingsConfigDict(env_prefix="SIQUAN_", extra="ignore")

    amqp_url: str = Field(description="This service's broker URL: its own user and the vhost; "
                                      "several nodes of a cluster separated by commas")
    pg_dsn: str = Field(description="This service's own PostgreSQL database")
    keys_dir: Path = Field(default=Path(".siquan/keys"),
                           description="Holds <service>.key and every producer's .pub")
    officers_file: Path = Field(default=Path("infra/dev/officers.json"),
                                description="Operators allowed on the HTTP API (hashed tokens)")
    person_key_secret: str = Field(default="siquan-dev-person-key",
                                   description="HMAC key turning resident IDs into person keys")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
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
    pg_pool_size: int = Field(default=10, ge=2, le=100,
                              description="Connections this instance keeps to its database")
