"""Person keys: a keyed hash of the resident ID that lets services and events refer to one
person without carrying the ID number itself."""

from __future__ import annotations

import hashlib
import hmac


def person_key(secret: str, resident_id: str) -> str:
    return hmac.new(secret.encode(), resident_id.upper().encode(), hashlib.sha256).hexdigest()
