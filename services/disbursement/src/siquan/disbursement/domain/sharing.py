"""Payee agents (代领人) and accounts shared between payees.

An agent collects for a beneficiary who cannot (elderly, disabled, a minor): the agency
rests on evidence (a power of attorney, a guardianship) and the beneficiary is paid into
the agent's own account, under the agent's name. Ending the agency pays the beneficiary's
own account again.

One account receiving for several payees is ordinary within a household (spouses share a
card) and within an agency (the agent's account receives for the agent and for whoever
the agent collects for, or one agent collects for several people). Anywhere else it is a
duplicate: the account is held for a second officer's confirmation and reported. Accounts
are compared by their keyed fingerprint, never by number."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

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


@dataclass(frozen=True)
class AccountUser:
    """A payee an account currently receives for."""

    person_key: str
    household_key: str | None = None
    agent_key: str | None = None
    division_code: str | None = None


def explained(a: AccountUser, b: AccountUser) -> bool:
    """Whether two payees may share an account: one person, one household, or an agency
    linking them (one collects for the other, or one agent collects for both)."""
    if a.person_key == b.person_key:
        return True
    if a.household_key is not None and a.household_key == b.household_key:
        return True
    if a.agent_key is not None and a.agent_key in (b.person_key, b.agent_key):
        return True
    return b.agent_key is not None and b.agent_key == a.person_key


def linked(users: Sequence[AccountUser]) -> bool:
    """Whether household and agency links join all the payees of one account into one
    group (spouses and the person an agent of theirs collects for, say)."""
    if len(users) < 2:
        return True
    reached, frontier = {0}, [0]
    while frontier:
        at = frontier.pop()
        for other, user in enumerate(users):
            if other not in reached and explained(users[at], user):
                reached.add(other)
                frontier.append(other)
    return len(reached) == len(users)


def shared_outside_household(payee: AccountUser, others: Iterable[AccountUser]) -> bool:
    """Whether making the account `payee`'s leaves it receiving for payees no household or
    agency links."""
    return not linked([payee, *(o for o in others if o.person_key != payee.person_key)])


def involved_in_duplicate(users: Sequence[AccountUser]) -> list[AccountUser]:
    """The payees of one account when no household or agency links them all: [] when
    they are linked."""
    return [] if linked(users) else list(users)
