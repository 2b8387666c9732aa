"""Disbursement's settings (env prefix `SIQUAN_`)."""

from pathlib import Path
from typing import Literal

from pydantic import Field

from siquan.shared.settings import MissingSecret, ServiceSettings

DEVELOPMENT_BANK_FILE_KEY = "siquan-dev-bank-file-key"


class DisbursementSettings(ServiceSettings):
    amqp_url: str = "amqp://disbursement:siquan-disbursement-dev@127.0.0.1:5672/siquan"
    pg_dsn: str = ("postgresql://siquan_disbursement:siquan-siquan_disbursement-dev"
                   "@127.0.0.1:5432/siquan_disbursement")
    http_port: int = 8003
    bank_adapter: Literal["simulated", "batch_file"] = Field(
        default="simulated",
        description="The bank gateway: the simulated bank, or batch files in `bank_dir`")
    bank_dsn: str = Field(
        default=("postgresql://siquan_disbursement:siquan-siquan_disbursement-dev"
                 "@127.0.0.1:5432/siquan_banksim"),
        description="The simulated bank's own database (an external system, not ours)")
    bank_dir: Path = Field(default=Path("var/bank"),
                           description="Batch-file bank: outbox/ for instructions, inbox/ for "
                                       "results and returns")
    bank_file_format: Literal["csv", "gbk"] = Field(
        default="csv",
        description="Batch-file bank: CSV files, or the fixed-width GBK 代发 files with "
                    "control totals and a keyed digest (docs/BANK_FILES.md)")
    bank_file_key: str = Field(
        default=DEVELOPMENT_BANK_FILE_KEY,
        description="HMAC key shared with the bank that signs and verifies GBK bank files "
                    "and statements (a secret; required outside development mode when the "
                    "bank is reached by GBK batch files; without it, statements are refused)")
    bank_failure_rate: float = Field(
        default=0.0, ge=0.0, le=1.0,
        description="Share of instructions the simulated bank refuses (by hash of payment id)")
    bank_invalid_account_rate: float = Field(
        default=0.0, ge=0.0, le=1.0,
        description="Share of accounts the simulated bank finds invalid (by account hash)")
    bank_frozen_account_rate: float = Field(
        default=0.0, ge=0.0, le=1.0,
        description="Share of accounts the simulated bank finds frozen (by account hash)")
    bank_return_rate: float = Field(
        default=0.0, ge=0.0, le=1.0,
        description="Share of settled payments the simulated bank returns later")
    bank_return_days: int = Field(default=3, ge=1, le=365,
                                  description="Days after settlement a return comes back")
    bank_timeout_rate: float = Field(
        default=0.0, ge=0.0, le=1.0,
        description="Chance a batch is recorded by the simulated bank but not answered")
    bank_latency_ms: int = Field(default=0, ge=0, le=600_000,
                                 description="Simulated bank's delay per chunk of instructions")
    bank_result_timeout_seconds: float = Field(
        default=60.0, gt=0, le=86_400,
        description="Batch-file bank: longest wait for a results file")
    bank_file_settle_ms: int = Field(
        default=200, ge=0, le=600_000,
        description="Batch-file bank: a file is read once unchanged for this long")
    payment_chunk_size: int = Field(default=5_000, ge=1, le=20_000,
                                    description="Payments instructed and recorded together")
    payment_workers: int = Field(default=2, ge=1, le=4,
                                 description="Payers working chunks side by side (each "
                                             "locks its own chunk). Each holds a listening "
                                             "connection and a chunk's transaction, added "
                                             "to the pool on top of pg_pool_size")
    payment_poll_seconds: float = Field(default=1.0, gt=0, le=60,
                                        description="Longest wait for work without a NOTIFY")
    returns_poll_seconds: float = Field(default=30.0, gt=0, le=86_400,
                                        description="How often the bank is asked for returns")
    returns_lookback_days: int = Field(
        default=60, ge=0, le=3_650,
        description="Returns are asked for again this far before the last day covered")
    arrears_max_periods: int = Field(
        default=12, ge=0, le=120,
        description="How many earlier periods a run may pay as arrears (0: none)")
    account_change_flag_days: int = Field(
        default=30, ge=0, le=365,
        description="An account changed this many days before a run is flagged")

    def refuse_unsafe_start(self, service: str) -> None:
        super().refuse_unsafe_start(service)
        if self.mode == "development" or self.bank_adapter != "batch_file" \
                or self.bank_file_format != "gbk":
            return
        if "bank_file_key" not in self.model_fields_set:
            raise MissingSecret(
                f"siquan.{service} refuses to start: SIQUAN_BANK_FILE_KEY not given (the key "
                "shared with the bank for its batch files; set it in the environment or as "
                "a file in SIQUAN_SECRETS_DIR)")
        if DEVELOPMENT_BANK_FILE_KEY in self.bank_file_key or len(self.bank_file_key) < 16:
            raise MissingSecret(f"siquan.{service} refuses to start: SIQUAN_BANK_FILE_KEY "
                                "holds a development or too short key (16 characters at "
                                "least)")

    @property
    def bank_key_usable(self) -> bool:
        """Whether bank files may be trusted with this key: any key in development mode,
        only a given, non-development one outside it."""
        return self.mode == "development" or (
            "bank_file_key" in self.model_fields_set
            and DEVELOPMENT_BANK_FILE_KEY not in self.bank_file_key)
