"""Disbursement's settings (env prefix `SIQUAN_`)."""

from pydantic import Field

from siquan.shared.settings import ServiceSettings


class DisbursementSettings(ServiceSettings):
    amqp_url: str = "amqp://disbursement:siquan-disbursement-dev@127.0.0.1:5672/siquan"
    pg_dsn: str = ("postgresql://siquan_disbursement:siquan-siquan_disbursement-dev"
                   "@127.0.0.1:5432/siquan_disbursement")
    http_port: int = 8003
    bank_dsn: str = Field(
        default=("postgresql://siquan_disbursement:siquan-siquan_disbursement-dev"
                 "@127.0.0.1:5432/siquan_banksim"),
        description="The simulated bank's own database (an external system, not ours)")
    bank_failure_rate: float = Field(
        default=0.0, ge=0.0, le=1.0,
        description="Share of instructions the simulated bank refuses (by hash of payment id)")
    bank_latency_ms: int = Field(default=0, ge=0, le=600_000,
                                 description="Simulated bank's delay per chunk of instructions")
    payment_chunk_size: int = Field(default=500, ge=1, le=10_000,
                                    description="Payments instructed and recorded together")
    payment_poll_seconds: float = Field(default=1.0, gt=0, le=60,
                                        description="Longest wait for work without a NOTIFY")
