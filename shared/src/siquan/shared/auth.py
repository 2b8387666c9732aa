"""Operator authentication and authorisation for the HTTP APIs.

Officers are accounts in each service's own database (`siquan.shared.accounts`): the JSON
API accepts an API token (`Authorization: Bearer …`) or the console's session cookie
(then a state-changing request also carries the session's CSRF token in `X-CSRF-Token`).
Every endpoint names the roles it admits, and division scope is checked by the use case.
`OfficerRegistry` is an in-memory list of officers and token hashes (tests).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, Protocol

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
    token_sha256: str = ""

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

    async def by_token(self, token: str) -> Officer | None:
        return self.authenticate(token)

    async def by_cookie(self, request: Request) -> tuple[Officer, str] | None:
        return None


class Identities(Protocol):
    """Who a request comes from: an API token's officer, or a signed-in console session's
    officer with the session's CSRF token."""

    async def by_token(self, token: str) -> Officer | None: ...

    async def by_cookie(self, request: Request) -> tuple[Officer, str] | None: ...


_bearer = HTTPBearer(auto_error=False)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


async def identify(request: Request, credentials: HTTPAuthorizationCredentials | None
                   ) -> Officer:
    """The officer behind a request (401 without a valid token or session)."""
    identities: Identities = request.app.state.officers
    if credentials is not None:
        officer = await identities.by_token(credentials.credentials)
        if officer is None:
            raise HTTPException(401, "unknown, expired or revoked token",
                                headers={"WWW-Authenticate": "Bearer"})
        request.state.credentials_verified = True
        return officer
    signed_in = await identities.by_cookie(request)
    if signed_in is None:
        raise HTTPException(401, "missing bearer token or console session",
                            headers={"WWW-Authenticate": "Bearer"})
    request.state.credentials_verified = True
    officer, csrf = signed_in
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
            request.headers.get(CSRF_HEADER, ""), csrf):
        raise HTTPException(403, f"a request with the console's session needs its "
                                 f"{CSRF_HEADER} header")
    return officer


def require_officer() -> Callable[..., Coroutine[Any, Any, Officer]]:
    """A FastAPI dependency: any authenticated officer of the service, whatever the role."""
    return require_role()


def require_role(*roles: str) -> Callable[..., Coroutine[Any, Any, Officer]]:
    """A FastAPI dependency: the authenticated officer, who must hold one of `roles` (any
    role when none is named)."""

    async def dependency(request: Request, credentials: Annotated[
            HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Officer:
        officer = await identify(request, credentials)
        if roles and not set(roles) & set(officer.roles):
            raise HTTPException(403, f"officer {officer.id} lacks role: one of {list(roles)}")
        return officer

    return dependency
