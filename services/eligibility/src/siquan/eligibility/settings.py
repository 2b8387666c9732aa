"""Eligibility's settings (env prefix `SIQUAN_`)."""

from pydantic import Field

from siquan.shared.settings import ServiceSettings


class EligibilitySettings(ServiceSettings):
    amqp_url: str = "amqp://eligibility:siquan-eligibility-dev@127.0.0.1:5672/siquan"
    pg_dsn: str = ("postgresql://siquan_eligibility:siquan-siquan_eligibility-dev"
                   "@127.0.0.1:5432/siquan_eligibility")
    http_port: int = 8001
    renewal_grace_days: int = Field(
        default=31, ge=0, le=366,
        description="Days after a certification's year ends by which it must be renewed; "
                    "unrenewed, it lapses the day after (default: 31 January)")
    decision_deadline_days: int = Field(
        default=30, ge=1, description="Days from submission within which a decision counts "
                                      "as timely (资格确认及时率)")
    deadline_check_seconds: float = Field(
        default=60.0, gt=0, description="How often due notices are closed and unrenewed "
                                        "certifications lapsed")
    max_batch: int = Field(default=50_000, ge=1,
                           description="Most applications one batch command or import takes")
    event_part_size: int = Field(default=500, ge=1, le=5_000,
                                 description="Entries per notice or community-review message")
    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1,
                                    description="Largest evidence file accepted")
