"""A service's officer accounts in its own database: passwords (argon2id), lockout after
failures in a row, server-side sessions with their CSRF token, the TOTP second factor and
API tokens. Every login, failed login, lockout and administrator's action is published
through the outbox (the service's `*_officers.activity.v1`) in the same transaction as
the change it describes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from siquan.contracts.disbursement_v1 import DisbursementOfficerActivity
from siquan.contracts.eligibility_v1 import EligibilityOfficerActivity
from siquan.contracts.fund_custody_v1 import FundCustodyOfficerActivity
from siquan.contracts.officer_activity import DeadLetterAction, OfficerActivity
from siquan.contracts.oversight_v1 import OversightOfficerActivity
from siquan.shared.auth import Officer
from siquan.shared.dead_letters import JOURNAL_INSERT, JOURNAL_TABLE, journal_row
from siquan.shared.errors import NotFound, Refused
from siquan.shared.unit_of_work import PgUnitOfWork, UnitsOfWork

log = logging.getLogger(__name__)

ACTIVITY_EVENTS: dict[str, type[OfficerActivity]] = {
    "eligibility": EligibilityOfficerActivity,
    "fund_custody": FundCustodyOfficerActivity,
    "disbursement": DisbursementOfficerActivity,
    "oversight": OversightOfficerActivity,
}
ROLES = ("clerk", "township_reviewer", "county_approver", "treasury_officer",
         "disbursement_officer", "auditor", "administrator")
"""Every role an officer may hold (a service admits some of them on each endpoint)."""
SECOND_FACTOR_ROLES = frozenset({"county_approver", "treasury_officer",
                                 "disbursement_officer"})
"""Roles that must sign in to the console with a TOTP code after the password."""
ALL_ROLES_SCOPE = "*"
"""An API token scope: every role its officer holds."""
MIN_PASSWORD_LENGTH = 12  # the reason below says so
TOTP_ISSUER = "Siquan"

Channel = Literal["console", "api", "command"]
_hasher = PasswordHasher()  # argon2id, the library's recommended parameters (RFC 9106)
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _(message: str) -> str:
    """Marks a reason for the catalogue; the console's page translates it."""
    return message


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def development_password(officer_id: str) -> str:
    """A development officer's password (development accounts only)."""
    return f"dev-{officer_id}"


def development_totp_secret(officer_id: str) -> str:
    """A development officer's TOTP secret, derived from the id so `make demo` can print
    it (development accounts only)."""
    digest = hashlib.sha256(f"siquan-development-totp:{officer_id}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def development_token_sha256(officer_id: str) -> str:
    return sha256(f"dev-{officer_id}")


@dataclass(frozen=True)
class Policy:
    """How strict the accounts are (a service's settings)."""

    lockout_after: int = 5
    lockout_minutes: int = 15
    session_idle_minutes: int = 30
    session_hours: int = 10
    development_accounts: bool = False
    """Whether development accounts and tokens (`dev-<id>`) are created from the officers
    file and accepted; off, those already in the database (one created in development and
    served in production) are refused like a disabled officer's."""


@dataclass(frozen=True)
class Account:
    officer_id: str
    name: str
    roles: tuple[str, ...]
    division: str
    has_password: bool
    must_change_password: bool
    second_factor: bool
    failed_logins: int
    locked_until: datetime | None
    disabled: bool
    development: bool

    @property
    def needs_second_factor(self) -> bool:
        return bool(SECOND_FACTOR_ROLES & set(self.roles))

    def officer(self, roles: Iterable[str] | None = None) -> Officer:
        return Officer(id=self.officer_id, name=self.name,
                       roles=tuple(roles) if roles is not None else self.roles,
                       division=self.division)


@dataclass(frozen=True)
class Session:
    """A console session: the cookie value (only ever held by the browser and here, in
    memory), its CSRF token and its stage."""

    officer: Account
    csrf_token: str
    stage: str
    pending_totp_secret: str | None = None
    cookie: str = ""

    @property
    def signed_in(self) -> bool:
        return self.stage == "signed_in"


@dataclass(frozen=True)
class LoginResult:
    session: Session | None
    failure: str | None = None
    """None: the password was right (the session may still wait for the second factor);
    else why not: `wrong` (name or password), `locked`, `disabled`."""


@dataclass(frozen=True)
class ApiToken:
    token_id: str
    label: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    development: bool


@dataclass(frozen=True)
class Client:
    """Who is asking and from where (for the published activity)."""

    channel: Channel = "console"
    remote_address: str | None = None


def check_password_rules(password: str, officer_id: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused(_("a password has at least 12 characters"))
    if len(password) > 256:
        raise Refused(_("a password has at most 256 characters"))
    if officer_id.lower() in password.lower():
        raise Refused(_("a password may not contain the officer's id"))


def _account(row: Any) -> Account:
    return Account(officer_id=row["officer_id"], name=row["name"], roles=tuple(row["roles"]),
                   division=row["division"], has_password=row["password_hash"] is not None,
                   must_change_password=row["must_change_password"],
                   second_factor=row["totp_secret"] is not None,
                   failed_logins=row["failed_logins"], locked_until=row["locked_until"],
                   disabled=row["disabled_at"] is not None, development=row["development"])


def _token(row: Any) -> ApiToken:
    return ApiToken(token_id=str(row["token_id"]), label=row["label"],
                    scopes=tuple(row["scopes"]), expires_at=row["expires_at"],
                    revoked_at=row["revoked_at"], created_at=row["created_at"],
                    development=row["development"])


class AccountStore:
    """One service's officer accounts (any number of instances share the database)."""

    def __init__(self, service: str, units: UnitsOfWork[Any], policy: Policy | None = None
                 ) -> None:
        self.service = service
        self.units = units
        self.policy = policy or Policy()
        self._event = ACTIVITY_EVENTS[service]
        self.roster_officers: frozenset[str] = frozenset()  # declared by the officers file

    # -- publishing -------------------------------------------------------------------

    def _publish(self, uow: PgUnitOfWork, client: Client, activity: str, *,
                 officer_id: str | None, actor_id: str | None, **facts: Any) -> None:
        uow.publish(self._event(activity=activity, officer_id=officer_id, actor_id=actor_id,
                                at=uow.now(), channel=client.channel,
                                remote_address=(client.remote_address or None), **facts))

    async def record_dead_letter(self, actor: Officer, action: str, letter: dict[str, Any],
                                 stated_reason: str, client: Client) -> None:
        """Journal a replay or discard in the service's `dead_letter_actions` and publish
        it to oversight, in one transaction, before the dead letter is touched."""
        async with self.units() as uow:
            await uow.conn.execute(JOURNAL_TABLE)
            await uow.conn.execute(JOURNAL_INSERT,
                                   *journal_row(action, letter, actor.id, stated_reason))
            self._publish(
                uow, client, "dead_letter_replayed" if action == "replay"
                else "dead_letter_discarded", officer_id=actor.id, actor_id=actor.id,
                dead_letter=DeadLetterAction(
                    message_id=_clipped(letter.get("message_id")),
                    message_type=_clipped(letter.get("type")),
                    queue=_clipped(letter.get("queue")), stated_reason=stated_reason[:1000]))

    # -- reading ----------------------------------------------------------------------

    async def get(self, officer_id: str) -> Account:
        async with self.units.reading() as uow:
            row = await uow.conn.fetchrow("SELECT * FROM officers WHERE officer_id = $1",
                                          officer_id)
        if row is None:
            raise NotFound(_("no such officer"))
        return _account(row)

    async def officers(self, division_prefix: str = "") -> list[Account]:
        async with self.units.reading() as uow:
            rows = await uow.conn.fetch(
                "SELECT * FROM officers WHERE division LIKE $1 || '%' ORDER BY officer_id",
                division_prefix)
        return [_account(r) for r in rows]

    async def tokens(self, officer_id: str) -> list[ApiToken]:
        async with self.units.reading() as uow:
            rows = await uow.conn.fetch(
                "SELECT * FROM officer_api_tokens WHERE officer_id = $1"
                " ORDER BY created_at DESC, token_id", officer_id)
        return [_token(r) for r in rows]

    # -- API tokens -------------------------------------------------------------------

    async def by_token(self, token: str) -> Officer | None:
        """The officer an API token acts as, with the roles the token is scoped to;
        None for an unknown, expired or revoked token or a disabled officer."""
        async with self.units.reading() as uow:
            row = await uow.conn.fetchrow(
                "SELECT o.*, t.scopes, t.expires_at, t.revoked_at,"
                " t.development AS token_development"
                " FROM officer_api_tokens t JOIN officers o USING (officer_id)"
                " WHERE t.token_sha256 = $1", sha256(token))
            now = uow.now()
        if row is None or row["revoked_at"] is not None or row["disabled_at"] is not None:
            return None
        if not self.policy.development_accounts and (row["development"]
                                                      or row["token_development"]):
            return None
        if row["expires_at"] is not None and row["expires_at"] <= now:
            return None
        account = _account(row)
        scopes = set(row["scopes"])
        roles = account.roles if ALL_ROLES_SCOPE in scopes \
            else tuple(r for r in account.roles if r in scopes)
        return account.officer(roles)

    async def issue_token(self, actor: Officer, officer_id: str, label: str,
                          scopes: Sequence[str], days: int | None, client: Client
                          ) -> tuple[str, ApiToken]:
        """A new API token (its value is returned once and never stored)."""
        label = label.strip()
        if not 1 <= len(label) <= 100:
            raise Refused(_("a token needs a label of 1 to 100 characters"))
        if days is not None and not 1 <= days <= 366:
            raise Refused(_("a token expires within 1 to 366 days"))
        account = await self._managed(actor, officer_id)
        scopes = tuple(dict.fromkeys(scopes)) or (ALL_ROLES_SCOPE,)
        unknown = [s for s in scopes if s != ALL_ROLES_SCOPE and s not in account.roles]
        if unknown:
            raise Refused(_("a token's scopes are roles its officer holds"))
        value = "sq_" + secrets.token_urlsafe(32)
        token_id = str(uuid.uuid4())
        async with self.units() as uow:
            now = uow.now()
            expires = now + timedelta(days=days) if days is not None else None
            row = await uow.conn.fetchrow(
                "INSERT INTO officer_api_tokens (token_id, officer_id, token_sha256, label,"
                " scopes, expires_at, created_at, created_by)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
                uuid.UUID(token_id), officer_id, sha256(value), label, list(scopes), expires,
                now, actor.id)
            self._publish(uow, client, "token_issued", officer_id=officer_id,
                          actor_id=actor.id, token_id=token_id, token_scopes=scopes,
                          token_expires_at=expires)
        return value, _token(row)

    async def revoke_token(self, actor: Officer, officer_id: str, token_id: str,
                           client: Client) -> None:
        await self._managed(actor, officer_id)
        try:
            key = uuid.UUID(token_id)
        except ValueError as exc:
            raise NotFound(_("no such token")) from exc
        async with self.units() as uow:
            done = await uow.conn.fetchval(
                "UPDATE officer_api_tokens SET revoked_at = $3, revoked_by = $4"
                " WHERE token_id = $1 AND officer_id = $2 AND revoked_at IS NULL"
                " RETURNING token_id", key, officer_id, uow.now(), actor.id)
            if done is None:
                raise NotFound(_("no such token in force"))
            self._publish(uow, client, "token_revoked", officer_id=officer_id,
                          actor_id=actor.id, token_id=token_id)

    # -- console sessions -------------------------------------------------------------

    async def login(self, officer_id: str, password: str, client: Client) -> LoginResult:
        """Check a password. A wrong one counts towards the lockout; a locked or disabled
        account is refused; a right one opens a session, signed in at once unless the
        officer's roles need the second factor."""
        async with self.units() as uow:
            row = await uow.conn.fetchrow(
                "SELECT * FROM officers WHERE officer_id = $1 FOR UPDATE", officer_id)
            now = uow.now()
            if row is None or row["password_hash"] is None:
                _verify(_DUMMY_HASH, password)  # the same time as a known name
                self._publish(uow, client, "login_failed",
                              officer_id=officer_id if row is not None else None,
                              actor_id=None, reason="unknown_officer")
                return LoginResult(None, "wrong")
            if row["locked_until"] is not None and row["locked_until"] > now:
                self._publish(uow, client, "login_failed", officer_id=officer_id,
                              actor_id=None, reason="locked")
                return LoginResult(None, "locked")
            if not _verify(row["password_hash"], password):
                failure = await self._count_failure(uow, row, client, "wrong_password")
                return LoginResult(None, failure)
            if row["disabled_at"] is not None or (row["development"]
                                                  and not self.policy.development_accounts):
                self._publish(uow, client, "login_failed", officer_id=officer_id,
                              actor_id=None, reason="disabled")
                return LoginResult(None, "disabled")
            if _hasher.check_needs_rehash(row["password_hash"]):
                await uow.conn.execute(
                    "UPDATE officers SET password_hash = $2 WHERE officer_id = $1",
                    officer_id, _hasher.hash(password))
            account = _account(row)
            if account.needs_second_factor:
                stage = "second_factor" if account.second_factor else "enrol_second_factor"
                pending = None if account.second_factor else pyotp.random_base32()
            else:
                stage, pending = "signed_in", None
                await uow.conn.execute(
                    "UPDATE officers SET failed_logins = 0, locked_until = NULL"
                    " WHERE officer_id = $1", officer_id)
                self._publish(uow, client, "login", officer_id=officer_id,
                              actor_id=officer_id)
            session = await self._open(uow, account, stage, pending)
        return LoginResult(session)

    async def _count_failure(self, uow: PgUnitOfWork, row: Any, client: Client,
                             reason: str) -> str:
        failures = row["failed_logins"] + 1
        locked = failures >= self.policy.lockout_after
        until = uow.now() + timedelta(minutes=self.policy.lockout_minutes) if locked else None
        await uow.conn.execute(
            "UPDATE officers SET failed_logins = $2, locked_until = $3 WHERE officer_id = $1",
            row["officer_id"], 0 if locked else failures, until)
        self._publish(uow, client, "login_failed", officer_id=row["officer_id"],
                      actor_id=None, reason=reason)
        if locked:
            self._publish(uow, client, "locked_out", officer_id=row["officer_id"],
                          actor_id=None)
            return "locked"
        return "wrong"

    async def _open(self, uow: PgUnitOfWork, account: Account, stage: str,
                    pending: str | None) -> Session:
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = uow.now()
        await uow.conn.execute(
            "INSERT INTO officer_sessions (session_sha256, officer_id, csrf_token, stage,"
            " pending_totp_secret, created_at, last_seen_at, expires_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
            sha256(cookie), account.officer_id, csrf, stage, pending, now,
            now + timedelta(hours=self.policy.session_hours))
        return Session(account, csrf, stage, pending, cookie)

    async def session(self, cookie: str) -> Session | None:
        """The session of a cookie, if it is in force (not expired, not idle too long, its
        officer not disabled, nor a development account outside development accounts);
        its idle time starts again."""
        async with self.units() as uow:
            now = uow.now()
            row = await uow.conn.fetchrow(
                "UPDATE officer_sessions s SET last_seen_at = $2"
                " FROM officers o WHERE s.session_sha256 = $1 AND o.officer_id = s.officer_id"
                " AND s.expires_at > $2 AND s.last_seen_at > $3 AND o.disabled_at IS NULL"
                " AND (NOT o.development OR $4)"
                " RETURNING o.*, s.csrf_token, s.stage, s.pending_totp_secret",
                sha256(cookie), now, now - timedelta(minutes=self.policy.session_idle_minutes),
                self.policy.development_accounts)
        if row is None:
            return None
        return Session(_account(row), row["csrf_token"], row["stage"],
                       row["pending_totp_secret"], cookie)

    async def logout(self, session: Session, client: Client) -> None:
        async with self.units() as uow:
            await uow.conn.execute("DELETE FROM officer_sessions WHERE session_sha256 = $1",
                                   sha256(session.cookie))
            if session.signed_in:
                self._publish(uow, client, "logout", officer_id=session.officer.officer_id,
                              actor_id=session.officer.officer_id)

    async def second_factor(self, session: Session, code: str, client: Client) -> str | None:
        """Check a TOTP code for a session waiting for it (or enrolling): None when the
        officer is now signed in, else why not (`wrong`, `locked`)."""
        officer_id = session.officer.officer_id
        async with self.units() as uow:
            row = await uow.conn.fetchrow(
                "SELECT * FROM officers WHERE officer_id = $1 FOR UPDATE", officer_id)
            now = uow.now()
            if row["locked_until"] is not None and row["locked_until"] > now:
                return "locked"
            enrolling = session.stage == "enrol_second_factor"
            secret = session.pending_totp_secret if enrolling else row["totp_secret"]
            step = _matching_step(secret, code, now)
            if step is None or (row["totp_last_step"] is not None
                                and step <= row["totp_last_step"]):
                return await self._count_failure(uow, row, client, "wrong_code")
            await uow.conn.execute(
                "UPDATE officers SET failed_logins = 0, locked_until = NULL,"
                " totp_last_step = $2, totp_secret = $3 WHERE officer_id = $1",
                officer_id, step, secret)
            await uow.conn.execute(
                "UPDATE officer_sessions SET stage = 'signed_in', pending_totp_secret = NULL"
                " WHERE session_sha256 = $1", sha256(session.cookie))
            if enrolling:
                self._publish(uow, client, "totp_enrolled", officer_id=officer_id,
                              actor_id=officer_id)
            self._publish(uow, client, "login", officer_id=officer_id, actor_id=officer_id)
        return None

    async def change_password(self, session: Session, current: str, new: str,
                              client: Client) -> str | None:
        """An officer's own change: None when done, else why not."""
        officer_id = session.officer.officer_id
        async with self.units() as uow:
            row = await uow.conn.fetchrow(
                "SELECT * FROM officers WHERE officer_id = $1 FOR UPDATE", officer_id)
            if row["password_hash"] is None or not _verify(row["password_hash"], current):
                await self._count_failure(uow, row, client, "wrong_password")
                return "wrong"
            check_password_rules(new, officer_id)
            await uow.conn.execute(
                "UPDATE officers SET password_hash = $2, must_change_password = false,"
                " changed_at = $3 WHERE officer_id = $1", officer_id, _hasher.hash(new),
                uow.now())
            await uow.conn.execute(
                "DELETE FROM officer_sessions WHERE officer_id = $1 AND session_sha256 <> $2",
                officer_id, sha256(session.cookie))
            self._publish(uow, client, "password_changed", officer_id=officer_id,
                          actor_id=officer_id)
        return None

    # -- administration ---------------------------------------------------------------

    async def _managed(self, actor: Officer, officer_id: str) -> Account:
        account = await self.get(officer_id)
        if not actor.covers(account.division):
            raise NotFound(_("no such officer"))  # another division's officers are not shown
        return account

    async def create(self, actor: Officer, officer_id: str, name: str, roles: Sequence[str],
                     division: str, password: str, client: Client) -> Account:
        """A new officer with a temporary password to change at the first login."""
        _check_account(officer_id, name, roles, division)
        actor.check_scope(division)
        check_password_rules(password, officer_id)
        async with self.units() as uow:
            now = uow.now()
            row = await uow.conn.fetchrow(
                "INSERT INTO officers (officer_id, name, roles, division, password_hash,"
                " must_change_password, created_at, created_by, changed_at)"
                " VALUES ($1, $2, $3, $4, $5, true, $6, $7, $6)"
                " ON CONFLICT (officer_id) DO NOTHING RETURNING *",
                officer_id, name.strip(), list(roles), division, _hasher.hash(password), now,
                actor.id)
            if row is None:
                raise Refused(_("an officer with this id exists"))
            self._publish(uow, client, "officer_created", officer_id=officer_id,
                          actor_id=actor.id, roles=tuple(roles), division=division)
        return _account(row)

    async def change(self, actor: Officer, officer_id: str, name: str, roles: Sequence[str],
                     division: str, client: Client) -> Account:
        account = await self._managed(actor, officer_id)
        _check_account(officer_id, name, roles, division)
        actor.check_scope(division)
        if officer_id in self.roster_officers and (
                name.strip(), set(roles), division) != (account.name, set(account.roles),
                                                        account.division):
            raise Refused(_("this officer is declared in the officers file: change their "
                            "name, roles or division there"))
        if officer_id == actor.id and "administrator" not in roles:
            raise Refused(_("an administrator cannot take their own administrator role"))
        async with self.units() as uow:
            row = await uow.conn.fetchrow(
                "UPDATE officers SET name = $2, roles = $3, division = $4, changed_at = $5"
                " WHERE officer_id = $1 RETURNING *", officer_id, name.strip(), list(roles),
                division, uow.now())
            if set(roles) != set(account.roles) or division != account.division:
                await uow.conn.execute("DELETE FROM officer_sessions WHERE officer_id = $1",
                                       officer_id)
            self._publish(uow, client, "officer_changed", officer_id=officer_id,
                          actor_id=actor.id, roles=tuple(roles), division=division)
        return _account(row)

    async def set_disabled(self, actor: Officer, officer_id: str, disabled: bool,
                           client: Client) -> None:
        """Disable (every session ends, tokens stop working) or enable an officer."""
        await self._managed(actor, officer_id)
        if disabled and officer_id == actor.id:
            raise Refused(_("an administrator cannot disable their own account"))
        async with self.units() as uow:
            now = uow.now()
            await uow.conn.execute(
                "UPDATE officers SET disabled_at = $2, changed_at = $3,"
                " failed_logins = 0, locked_until = NULL WHERE officer_id = $1",
                officer_id, now if disabled else None, now)
            if disabled:
                await uow.conn.execute("DELETE FROM officer_sessions WHERE officer_id = $1",
                                       officer_id)
            self._publish(uow, client, "officer_disabled" if disabled else "officer_enabled",
                          officer_id=officer_id, actor_id=actor.id)

    async def reset_password(self, actor: Officer, officer_id: str, password: str,
                             client: Client) -> None:
        """A temporary password the officer must change at the next login; the lockout
        is lifted and every session ends."""
        await self._managed(actor, officer_id)
        check_password_rules(password, officer_id)
        async with self.units() as uow:
            await uow.conn.execute(
                "UPDATE officers SET password_hash = $2, must_change_password = true,"
                " failed_logins = 0, locked_until = NULL, changed_at = $3"
                " WHERE officer_id = $1", officer_id, _hasher.hash(password), uow.now())
            await uow.conn.execute("DELETE FROM officer_sessions WHERE officer_id = $1",
                                   officer_id)
            self._publish(uow, client, "password_reset", officer_id=officer_id,
                          actor_id=actor.id)

    async def reset_second_factor(self, actor: Officer, officer_id: str, client: Client
                                  ) -> None:
        """Forget the TOTP secret: the officer enrols a new one at the next login."""
        await self._managed(actor, officer_id)
        async with self.units() as uow:
            await uow.conn.execute(
                "UPDATE officers SET totp_secret = NULL, totp_last_step = NULL,"
                " changed_at = $2 WHERE officer_id = $1", officer_id, uow.now())
            await uow.conn.execute("DELETE FROM officer_sessions WHERE officer_id = $1",
                                   officer_id)
            self._publish(uow, client, "totp_reset", officer_id=officer_id,
                          actor_id=actor.id)

    # -- seeding ----------------------------------------------------------------------

    async def import_roster(self, entries: Sequence[dict[str, Any]]) -> int:
        """Officers and API tokens from a roster file (`infra/dev/officers.json`, or the
        provisioning command's `officers.json` with fresh tokens): each officer is added
        once, with its token (SHA-256) as an API token acting with every role.

        A `dev-<id>` token is a development token, imported only with development
        accounts (`Policy.development_accounts`); development accounts also get the
        password `dev-<id>` and, for roles that need it, a TOTP secret derived from the
        id. Returns the tokens imported.

        The file is the declaration of the officers it names, applied at each import:

        - an officer already known whose name, roles or division differ from the file's
          takes the file's (their sessions end when roles or division change, and the
          change is published as an operator's `officer_changed`); those fields of a
          roster officer are therefore changed in the file, not in the console (see
          `change`);
        - a token the file gave an officer and no longer lists for them (a token changed
          or removed in the file) is revoked (`token_revoked`);
        - an officer the file added and no longer names is disabled: their sessions end,
          every token of theirs in force is revoked (`officer_disabled`,
          `token_revoked`). An officer named in the file again stays disabled until an
          administrator enables them.

        Passwords, second factors and tokens issued in the console are never touched,
        nor officers created in the console or by the operator's command. Every instance
        of a service is given the same file: an instance started with an older file
        applies the older declaration."""
        development = self.policy.development_accounts
        imported = 0
        self.roster_officers = frozenset(entry["id"] for entry in entries)
        async with self.units() as uow:
            now = uow.now()
            known = {r["officer_id"]: r for r in await uow.conn.fetch(
                "SELECT officer_id, name, roles, division FROM officers")}
            for entry in entries:
                officer_id, digest = entry["id"], entry.get("token_sha256")
                is_development = digest == development_token_sha256(officer_id)
                if is_development and not development:
                    log.warning("development token of %s not imported outside development "
                                "accounts", officer_id)
                    continue
                if officer_id in known:
                    await self._apply_roster_entry(uow, known[officer_id], entry)
                else:
                    roles = list(entry["roles"])
                    password = entry.get("password_argon2id") if is_development else None
                    totp = development_totp_secret(officer_id) \
                        if is_development and SECOND_FACTOR_ROLES & set(roles) else None
                    await uow.conn.execute(
                        "INSERT INTO officers (officer_id, name, roles, division,"
                        " password_hash, totp_secret, development, created_at, changed_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
                        " ON CONFLICT (officer_id) DO NOTHING",
                        officer_id, entry["name"], roles, entry["division"], password, totp,
                        is_development, now)
                if digest:
                    inserted = await uow.conn.fetchval(
                        "INSERT INTO officer_api_tokens (token_id, officer_id, token_sha256,"
                        " label, scopes, development, created_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
                        " ON CONFLICT (token_sha256) DO NOTHING RETURNING token_id",
                        uuid.uuid4(), officer_id, digest,
                        "development" if is_development else "roster", [ALL_ROLES_SCOPE],
                        is_development, now)
                    imported += inserted is not None
                await self._revoke_unlisted_tokens(uow, officer_id, digest)
            await self._disable_removed_officers(uow, self.roster_officers)
            if not development:
                left = await uow.conn.fetchval(
                    "SELECT count(*) FROM officers WHERE development AND disabled_at IS NULL")
                if left:
                    log.warning("%d development accounts in this database are refused "
                                "outside development accounts", left)
        return imported

    async def _revoke_unlisted_tokens(self, uow: PgUnitOfWork, officer_id: str,
                                      listed: str | None) -> None:
        """Revoke the officer's tokens the file gave them other than the one it lists
        (tokens the file imported have no `created_by`; the console's have one)."""
        revoked = await uow.conn.fetch(
            "UPDATE officer_api_tokens SET revoked_at = $3"
            " WHERE officer_id = $1 AND created_by IS NULL AND revoked_at IS NULL"
            " AND token_sha256 IS DISTINCT FROM $2::text RETURNING token_id",
            officer_id, listed, uow.now())
        for row in revoked:
            log.info("a token of officer %s revoked: no longer in the officers file",
                     officer_id)
            self._publish(uow, Client(channel="command"), "token_revoked",
                          officer_id=officer_id, actor_id=None, token_id=str(row["token_id"]))

    async def _disable_removed_officers(self, uow: PgUnitOfWork, named: frozenset[str]
                                        ) -> None:
        """Disable the officers the file added (no `created_by`) that it no longer names:
        their sessions end and every token of theirs in force is revoked."""
        now = uow.now()
        removed = [r["officer_id"] for r in await uow.conn.fetch(
            "UPDATE officers SET disabled_at = $2, changed_at = $2, failed_logins = 0,"
            " locked_until = NULL WHERE created_by IS NULL AND disabled_at IS NULL"
            " AND NOT (officer_id = ANY($1::text[])) RETURNING officer_id",
            sorted(named), now)]
        if not removed:
            return
        await uow.conn.execute("DELETE FROM officer_sessions WHERE officer_id = ANY($1)",
                               removed)
        revoked = await uow.conn.fetch(
            "UPDATE officer_api_tokens SET revoked_at = $2"
            " WHERE officer_id = ANY($1) AND revoked_at IS NULL"
            " RETURNING officer_id, token_id", removed, now)
        client = Client(channel="command")
        for officer_id in sorted(removed):
            log.warning("officer %s disabled: no longer in the officers file", officer_id)
            self._publish(uow, client, "officer_disabled", officer_id=officer_id,
                          actor_id=None)
            for row in sorted((r for r in revoked if r["officer_id"] == officer_id),
                              key=lambda r: str(r["token_id"])):
                self._publish(uow, client, "token_revoked", officer_id=officer_id,
                              actor_id=None, token_id=str(row["token_id"]))

    async def _apply_roster_entry(self, uow: PgUnitOfWork, row: Any,
                                  entry: dict[str, Any]) -> None:
        name, roles, division = entry["name"], list(entry["roles"]), entry["division"]
        if (row["name"], set(row["roles"]), row["division"]) == (name, set(roles), division):
            return
        officer_id = row["officer_id"]
        await uow.conn.execute(
            "UPDATE officers SET name = $2, roles = $3, division = $4, changed_at = $5"
            " WHERE officer_id = $1", officer_id, name, roles, division, uow.now())
        if set(roles) != set(row["roles"]) or division != row["division"]:
            await uow.conn.execute("DELETE FROM officer_sessions WHERE officer_id = $1",
                                   officer_id)
        log.info("officer %s changed by the officers file", officer_id)
        self._publish(uow, Client(channel="command"), "officer_changed",
                      officer_id=officer_id, actor_id=None, roles=tuple(roles),
                      division=division)


def read_roster(path: Path) -> list[dict[str, Any]]:
    """The entries of a roster file (none when there is no file)."""
    if not path.is_file():
        return []
    entries: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))
    return entries


def _check_account(officer_id: str, name: str, roles: Sequence[str], division: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", officer_id):
        raise Refused(_("an officer id has 1 to 64 letters, digits, '.', '_' or '-'"))
    if not 1 <= len(name.strip()) <= 100:
        raise Refused(_("an officer's name has 1 to 100 characters"))
    if not roles or any(r not in ROLES for r in roles):
        raise Refused(_("an officer holds one or more of the known roles"))
    if not re.fullmatch(r"\d{6}(\d{3}){0,2}", division):
        raise Refused(_("a division is a 6-digit code (9 or 12 digits: a township or village)"))


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _matching_step(secret: str | None, code: str, now: datetime) -> int | None:
    """The 30-second step whose code this is (the current one or one either side)."""
    code = code.strip().replace(" ", "")
    if secret is None or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def provisioning_uri(secret: str, officer_id: str, service: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=f"{officer_id}@{service}",
                                               issuer_name=TOTP_ISSUER)


def _clipped(value: object) -> str | None:
    return None if value is None else str(value)[:200]
