"""Keyed fingerprints for the payee accounts registered before accounts carried one
(migration 0016 left them NULL): without it an account is in no comparison with other
payees' accounts, neither the duplicates check here nor oversight's
`account_shared_outside_household`.

The key is the service's person-key secret, which no migration has, so the service fills
them in itself once it has started: in units of at most `batch_size` accounts, each
computed from the stored number, written only where still missing, and, for an account
in force, announced as `PayeeAccountFingerprinted` in the same unit (the outbox) so
oversight learns the fingerprint. An account another unit holds is passed over, so two
instances starting together share the accounts and neither announces one twice; once no
account lacks a fingerprint the step ends. Nothing about the account changes: no
registration, no hold, no confirmation."""

from __future__ import annotations

import logging

from siquan.contracts.disbursement_v1 import PayeeAccountFingerprinted
from siquan.disbursement.application.repositories import Units, Work
from siquan.shared.person import account_fingerprint

log = logging.getLogger(__name__)
BATCH_SIZE = 200


async def fingerprint_accounts(uow: Work, secret: str, limit: int) -> int:
    """Fingerprint up to `limit` accounts that have none; how many were taken."""
    found = await uow.accounts.without_fingerprint(limit)
    now = uow.clock.now()
    for a in found:
        fingerprint = account_fingerprint(secret, a.account.bank_code,
                                          a.account.account_number)
        if not await uow.accounts.set_fingerprint(a.account_id, fingerprint) or not a.current:
            continue
        uow.publish(PayeeAccountFingerprinted(
            person_key=a.person_key, bank_code=a.account.bank_code,
            masked_account=a.account.masked, registered_at=a.registered_at,
            division_code=a.division_code, account_fingerprint=fingerprint,
            agent_person_key=a.agent_key, fingerprinted_at=now))
    return len(found)


async def backfill_fingerprints(units: Units, secret: str, *,
                                batch_size: int = BATCH_SIZE) -> int:
    """Fingerprint every account that has none, one unit per batch; how many were."""
    total = 0
    while True:
        async with units() as uow:
            taken = await fingerprint_accounts(uow, secret, batch_size)
        total += taken
        if taken < batch_size:
            if total:
                log.info("%d payee accounts given their fingerprint", total)
            return total
