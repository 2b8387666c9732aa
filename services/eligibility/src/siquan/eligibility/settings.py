"""Eligibility's settings (env prefix `SIQUAN_`)."""

from typing import Annotated, ClassVar

from pydantic import Field, field_validator

from siquan.contracts.partners_v1 import PROJECTIONS
from siquan.contracts.topology import PARTNERS
from siquan.shared.documents.pdf import PrintingSettings
from siquan.shared.settings import MissingSecret, ServiceSettings

DEVELOPMENT_PSEUDONYM_KEY = "siquan-dev-pseudonym-key-"
GraceDays = Annotated[int, Field(ge=0, le=366)]


def development_pseudonym_keys() -> dict[str, str]:
    return {g.partner: f"{DEVELOPMENT_PSEUDONYM_KEY}{g.partner}" for g in PARTNERS}


class EligibilitySettings(ServiceSettings, PrintingSettings):
    secrets_required: ClassVar[tuple[str, ...]] = (
        *ServiceSettings.secrets_required, "partner_pseudonym_keys")

    amqp_url: str = "amqp://eligibility:siquan-eligibility-dev@127.0.0.1:5672/siquan"
    pg_dsn: str = ("postgresql://siquan_eligibility:siquan-siquan_eligibility-dev"
                   "@127.0.0.1:5432/siquan_eligibility")
    http_port: int = 8001
    renewal_grace_days: int = Field(
        default=31, ge=0, le=366,
        description="Days after a certification's year ends by which it must be renewed; "
                    "unrenewed, it lapses the day after (default: 31 January)")
    renewal_grace_days_by_program: dict[str, GraceDays] = Field(
        default_factory=dict,
        description="A program's own grace days where it differs from renewal_grace_days, as "
                    "a JSON object {program_code: days}")
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
    partner_pseudonym_keys: dict[str, str] = Field(
        default_factory=development_pseudonym_keys,
        description="Each partner agency's own HMAC key for the pseudonyms in its "
                    "projection, as a JSON object {agency: key} (a secret)")
    partners_without_batches: frozenset[str] = Field(
        default=frozenset(),
        description="Partner agencies whose projection is published one event to a "
                    "message, never as `<agency>.….batch.v1`, as a JSON list (e.g. "
                    "[\"civil_affairs\"]): for an agency whose client does not read "
                    "batches yet")

    @field_validator("partners_without_batches")
    @classmethod
    def _known_partners(cls, value: frozenset[str]) -> frozenset[str]:
        unknown = sorted(value - {g.partner for g in PARTNERS})
        if unknown:
            raise ValueError(f"not a partner agency: {', '.join(unknown)}")
        return value

    def single_message_types(self) -> frozenset[str]:
        return frozenset(p.routing_key for p in PROJECTIONS
                         if p.audience in self.partners_without_batches)

    def refuse_unsafe_start(self, service: str) -> None:
        super().refuse_unsafe_start(service)
        if self.mode == "development":
            return
        keys = self.partner_pseudonym_keys
        missing = sorted({g.partner for g in PARTNERS} - set(keys))
        if missing or any(DEVELOPMENT_PSEUDONYM_KEY in k or len(k) < 16 for k in keys.values()):
            raise MissingSecret(
                f"siquan.{service} refuses to start: SIQUAN_PARTNER_PSEUDONYM_KEYS needs a "
                f"key of at least 16 characters, not a development one, for every agency "
                f"({', '.join(missing) or 'a key is unsafe'})")
        if len(set(keys.values())) != len(keys):
            raise MissingSecret(f"siquan.{service} refuses to start: two agencies share a "
                                "pseudonym key, so they could join their projections")
