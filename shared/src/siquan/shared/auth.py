"""Operator authentication and authorisation for the HTTP APIs.

Officers are listed in a JSON file (id, roles, division, SHA-256 of their bearer token);
every endpoint names the roles it admits, and division scope is checked by the use case.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from siquan.contracts.types import division_scope
from siquan.shared.errors import OutOfScope


class Officer(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    roles: tuple[str, ...]
    division: str = Field(description="Division the officer acts for; a prefix scopes below it")
    token_sha256: str

    def check_scope(self, division_code: str) -> None:
        """Refuse (403) unless this officer acts for `division_code`."""
        if not self.covers(division_code):
            raise OutOfScope(f"officer {self.id} acts for {self.division}, "
                             f"not for division {division_code}")

    def covers(self, division_code: str) -> bool:
        """A province officer (420000) covers its prefectures and counties, a prefecture
        officer (420100) its counties, a county officer (420117) exactly that county."""
        return division_code.startswith(division_scope(self.division))


class OfficerRegistry:
    def __init__(self, officers: list[Officer]) -> None:
        self._by_hash = {o.token_sha256: o for o in officers}

    @classmethod
    def from_file(cls, path: Path) -> OfficerRegistry:
        return cls([Officer.model_validate(o) for o in json.loads(path.read_text("utf-8"))])

    def authenticate(self, token: str) -> Officer | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        for known, officer in self._by_hash.items():
            if hmac.compare_digest(known, digest):
                return officer
        return None


_bearer = HTTPBearer(auto_error=False)


def require_officer() -> Callable[..., Coroutine[Any, Any, Officer]]:
    """A FastAPI dependency: any authenticated officer of the service, whatever the role."""
    return require_role()


def require_role(*roles: str) -> Callable[..., Coroutine[Any, Any, Officer]]:
    """A FastAPI dependency: the authenticated officer, who must hold one of `roles` (any
    role when none is named)."""

    async def dependency(request: Request, credentials: Annotated[
            HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Officer:
        if credentials is None:
            raise HTTPException(401, "missing bearer token",
                                headers={"WWW-Authenticate": "Bearer"})
        registry: OfficerRegistry = request.app.state.officers
        officer = registry.authenticate(credentials.credentials)
        if officer is None:
            raise HTTPException(401, "unknown or revoked token",
                                headers={"WWW-Authenticate": "Bearer"})
        if roles and not set(roles) & set(officer.roles):
            raise HTTPException(403, f"officer {officer.id} lacks role: one of {list(roles)}")
        return officer

    return dependency
