"""The development accounts as `make demo` prints them: each officer of the development
roster with the password, API token and (for the roles that need it) TOTP secret that
development accounts get. None of these exists outside development accounts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from siquan.shared.accounts.store import (
    SECOND_FACTOR_ROLES,
    development_token_sha256,
    development_totp_secret,
)


def describe(roster: Sequence[Mapping[str, Any]], consoles: Mapping[str, str]) -> list[str]:
    """Lines naming each service's console login page and each development account."""
    lines = ["consoles (log in with a development account; TOTP: any authenticator app "
             "with the secret shown):"]
    lines += [f"  {service:<13} {url}/console/login" for service, url in consoles.items()]
    lines.append("development accounts (password and API token: dev-<id>, e.g. "
                 "dev-clerk-420117-01):")
    lines.append(f"  {'officer':<24}{'roles':<40}{'division':<11}TOTP secret")
    for entry in roster:
        officer_id = str(entry["id"])
        if entry.get("token_sha256") != development_token_sha256(officer_id):
            continue
        roles = list(entry["roles"])
        totp = development_totp_secret(officer_id) if SECOND_FACTOR_ROLES & set(roles) \
            else "-"
        lines.append(f"  {officer_id:<24}{','.join(roles):<40}{entry['division']:<11}{totp}")
    return lines
