"""Imports every contract module so the registry knows every message type."""

from siquan.contracts import (  # noqa: F401
    batches,
    disbursement_v1,
    disbursement_v2,
    eligibility_v1,
    fund_custody_v1,
    oversight_v1,
    partners_v1,
    public_security_v1,
    public_security_v2,
)
