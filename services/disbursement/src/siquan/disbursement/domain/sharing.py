"""Payee agents (代领人) and accounts shared between payees.

An agent collects for a beneficiary who cannot (elderly, disabled, a minor): the agency
rests on evidence (a power of attorney, a guardianship) and the beneficiary is paid into
the agent's own account, under the agent's name. Ending the agency pays the beneficiary's
own account again.

One account receiving for several payees is ordinary within a household and within an
agency (`siquan.shared.account_sharing`, the rule oversight applies too). Anywhere else it
is a duplicate: the account is held for a second officer's confirmation and reported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from siquan.shared.account_sharing import (
    AccountUser,
    explained,
    involved_in_duplicate,
    linked,
    shared_outside_household,
)

__all__ = ["AccountUser", "PayeeAgent", "explained", "involved_in_duplicate", "linked",
           "shared_outside_household"]

EvidenceKind = Literal["power_of_attorney", "guardianship", "other"]

SHARED_OUTSIDE_HOUSEHOLD = ("the account already receives for another payee outside the "
                            "household and any recorded agency: a second officer must "
                            "confirm it")
NO_OWN_ACCOUNT = ("no account of the beneficiary's own is registered: register one to end "
                  "the agency")
NO_AGENT = "no payee agent collects for this person"
AGENT_IS_BENEFICIARY = "the agent must be another person than the beneficiary"


@dataclass(frozen=True)
class PayeeAgent:
    """Who collects for the beneficiary, and on what evidence. The agent's resident ID is
    kept only as a person key and masked."""

    person_key: str
    masked_resident_id: str
    evidence_kind: EvidenceKind
    evidence_reference: str
