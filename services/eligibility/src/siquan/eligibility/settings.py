"""Eligibility's settings (env prefix `SIQUAN_`)."""

from siquan.shared.settings import ServiceSettings


class EligibilitySettings(ServiceSettings):
    amqp_url: str = "amqp://eligibility:siquan-eligibility-dev@127.0.0.1:5672/siquan"
    pg_dsn: str = ("postgresql://siquan_eligibility:siquan-siquan_eligibility-dev"
                   "@127.0.0.1:5432/siquan_eligibility")
    http_port: int = 8001
