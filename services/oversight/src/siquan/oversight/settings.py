"""Oversight's settings (env prefix `SIQUAN_`)."""

from pydantic import Field

from siquan.shared.settings import ServiceSettings


class OversightSettings(ServiceSettings):
    amqp_url: str = "amqp://oversight:siquan-oversight-dev@127.0.0.1:5672/siquan"
    pg_dsn: str = ("postgresql://siquan_oversight:siquan-siquan_oversight-dev"
                   "@127.0.0.1:5432/siquan_oversight")
    http_port: int = 8004
    checkpoint_seconds: float = Field(
        default=60.0, gt=0,
        description="How often the audit chain's head is published if it moved")
