"""Fund custody's settings (env prefix `SIQUAN_`)."""

from typing import ClassVar

from pydantic import Field

from siquan.shared.settings import ServiceSettings


class FundCustodySettings(ServiceSettings):
    # Fund custody holds no personal data: it never derives a person key.
    secrets_required: ClassVar[tuple[str, ...]] = ("amqp_url", "pg_dsn")
    amqp_url: str = "amqp://fund_custody:siquan-fund_custody-dev@127.0.0.1:5672/siquan"
    pg_dsn: str = ("postgresql://siquan_fund_custody:siquan-siquan_fund_custody-dev"
                   "@127.0.0.1:5432/siquan_fund_custody")
    http_port: int = 8002
    forecast_debounce_seconds: float = Field(
        default=5.0, gt=0, le=3600,
        description="A forecast is computed again at most once per this many seconds per "
                    "special account after its roster changed")
