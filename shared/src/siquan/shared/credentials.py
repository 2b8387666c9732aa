"""Credentials generated at provisioning and kept per service: broker passwords per user,
database passwords per role, the person-key secret. Each lives in a file of its own (mode
600) under a store directory, created on first use with a random value and read back
afterwards, so provisioning twice keeps what the services already use.

Layout of a store:
    broker/<user>        a broker user's password
    postgres/<role>      a database role's password
    person-key-secret    the HMAC key for person keys (eligibility, disbursement, oversight)
    pseudonym/<agency>   a partner agency's own HMAC key for the pseudonyms in its
                         projection (eligibility alone derives them)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class CredentialStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _value(self, relative: str, size: int = 24) -> str:
        path = self.directory / relative
        if path.exists():
            return path.read_text("utf-8").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(size)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(value)
        try:  # the first writer wins; a concurrent one reads what it wrote
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
        return path.read_text("utf-8").strip()

    def broker_password(self, user: str) -> str:
        return self._value(f"broker/{user}")

    def database_password(self, role: str) -> str:
        return self._value(f"postgres/{role}")

    def person_key_secret(self) -> str:
        return self._value("person-key-secret", 32)


    def partner_pseudonym_key(self, agency: str) -> str:
        return self._value(f"pseudonym/{agency}", 32)
