"""When one bank account may receive for several payees: within one household (spouses
share a card) and within an agency (the agent's own account receives for the agent and for
whoever the agent collects for, or one agent collects for several people). Disbursement
applies it to hold a registration, oversight to raise a finding; both compare accounts by
their keyed fingerprint, never by number."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


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
