"""Fund custody's settings (env prefix `SIQUAN_`)."""

from typing import ClassVar

from pydantic import Field

from siquan.shared.documents.pdf import PrintingSettings
from siquan.shared.settings import ServiceSettings


class FundCustodySettings(ServiceSettings, PrintingSettings):
    # Fund custody holds no personal data: it never derives a person key.
    secrets_required: ClassVar[tuple[str, ...]] = ("amqp_url", "pg_dsn")
    amqp_url: str = "amqp://fund_custody:siquan-fund_custody-dev@127.0.0.1:5672/siquan"
    pg_dsn: str = ("postgresql://siquan_fund_custody:siquan-siquan_fund_custody-dev"
                   "@127.0.0.1:5432/siquan_fund_custody")
    http_port: int = 8002
    forecast_debounce_seconds: float = Field(
        default=5.0, gt=0, le=3600,
        description="A forecast is computed again at most once per this many seconds (on "
                    "the service's clock) per special account after its roster changed")
    # A settled chunk of a province's run (5,000 payments) is ~1.2 MB on the wire and ~7 MB
    # parsed: 20 a batch (40 held) keeps a batch of them near 150 MB, where the shared
    # default of 200 (400 held) could hold a whole run's ~200 chunks, over 1.5 GB.
    consumer_batch_size: int = Field(
        default=20, ge=1, le=5_000,
        description="Messages a consumer handles in one transaction, at most")
