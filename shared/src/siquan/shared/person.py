"""Person keys: a keyed hash of the resident ID that lets services and events refer to one
person without carrying the ID number itself."""

from __future__ import annotations

import hashlib
import hmac


def person_key(secret: str, resident_id: str) -> str:
    return hmac.new(secret.encode(), resident_id.upper().encode(), hashlib.sha256).hexdigest()


def household_key(secret: str, household_number: str) -> str:
    """The household (户) as events name it: a keyed hash of its register number (户号),
    distinct from any person key because of its prefix."""
    return hmac.new(secret.encode(), ("household:" + household_number.strip().upper()).encode(),
                    hashlib.sha256).hexdigest()


def account_fingerprint(secret: str, bank_code: str, account_number: str) -> str:
    """A bank account as events name it: a keyed hash of its bank and number, distinct
    from any person or household key because of its prefix. Equal fingerprints are one
    account; the number cannot be read back from it."""
    return hmac.new(secret.encode(),
                    f"account:{bank_code.strip().upper()}:{account_number.strip()}".encode(),
                    hashlib.sha256).hexdigest()


def pseudonym(agency_key: str, resident_id: str) -> str:
    """The person as one partner agency names them: HMAC-SHA256 of the resident ID under
    that agency's own key (never the person-key secret the services share), so the agency
    matches its own records and no two agencies can join what they receive."""
    return hmac.new(agency_key.encode(), resident_id.upper().encode(),
                    hashlib.sha256).hexdigest()
