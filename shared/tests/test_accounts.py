"""Officer accounts on a real PostgreSQL database: argon2id passwords, lockout, the TOTP
second factor (and its enrolment), sessions, scoped and expiring API tokens, the
administrator's actions within their division, the development roster, and the activity
published through the outbox; then the JSON API and the console's forms on these
identities (session cookie with its CSRF header, API tokens)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import httpx
import pyotp
import pytest
from fastapi import Depends, FastAPI

from siquan.shared.accounts import schema, web
from siquan.shared.accounts.store import (
    AccountStore,
    Client,
    Policy,
    development_totp_secret,
    read_roster,
)
from siquan.shared.auth import Officer, require_role
from siquan.shared.clock import FixedClock
from siquan.shared.errors import NotFound, OutOfScope, Refused
from siquan.shared.messaging_schema import MESSAGING_DDL
from siquan.shared.outbox import Outbox
from siquan.shared.signing import load_private_key, write_keypair
from siquan.shared.testing.databases import scratch_pool
from siquan.shared.unit_of_work import PgUnitOfWork, UnitsOfWork

pytestmark = pytest.mark.integration

ROSTER = Path(__file__).resolve().parents[2] / "infra" / "dev" / "officers.json"
START = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
CLIENT = Client("console", "192.0.2.7")
ADMIN = Officer(id="admin-1", name="管理员", roles=("administrator",), division="420117")
PASSWORD = "a long enough password"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def pool(servers: tuple[str, str]) -> AsyncIterator[asyncpg.Pool]:
    async with scratch_pool(servers[1], "siquan_t_accounts", MESSAGING_DDL,
                            *schema.STATEMENTS) as created:
        yield created


@pytest.fixture
def store(pool: asyncpg.Pool, clock: FixedClock, tmp_path: Path) -> AccountStore:
    write_keypair(tmp_path, "fund_custody")
    outbox = Outbox("fund_custody", load_private_key(tmp_path / "fund_custody.key"),
                    clock=clock)
    units = UnitsOfWork(lambda: pool, outbox, clock, PgUnitOfWork)
    return AccountStore("fund_custody", units, Policy(lockout_after=3, lockout_minutes=15))


def with_development_accounts(store: AccountStore) -> AccountStore:
    """The same accounts as a service in development (or test) mode serves them."""
    return AccountStore(store.service, store.units,
                        replace(store.policy, development_accounts=True))


async def published(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT routing_key, body FROM outbox ORDER BY id")
    assert {r["routing_key"] for r in rows} <= {"fund_custody_officers.activity.v1"}
    return [json.loads(bytes(r["body"])) for r in rows]


async def test_a_password_is_kept_as_an_argon2id_hash_and_logs_in(
        store: AccountStore, pool: asyncpg.Pool) -> None:
    await store.create(ADMIN, "clerk-9", "村级专干", ["clerk"], "420117", PASSWORD, CLIENT)
    stored = await pool.fetchval("SELECT password_hash FROM officers")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored

    result = await store.login("clerk-9", PASSWORD, CLIENT)
    assert result.session is not None and result.session.signed_in
    assert result.session.officer.must_change_password  # a temporary password
    assert await store.session(result.session.cookie) is not None
    assert await pool.fetchval("SELECT session_sha256 FROM officer_sessions") == \
        hashlib.sha256(result.session.cookie.encode()).hexdigest()

    events = await published(pool)
    assert [e["activity"] for e in events] == ["officer_created", "login"]
    assert events[0]["actor_id"] == "admin-1" and events[0]["roles"] == ["clerk"]
    assert events[1]["remote_address"] == "192.0.2.7"
    assert PASSWORD not in json.dumps(events)


async def test_failures_in_a_row_lock_the_account_until_the_lockout_ends(
        store: AccountStore, pool: asyncpg.Pool, clock: FixedClock) -> None:
    await store.create(ADMIN, "clerk-9", "村级专干", ["clerk"], "420117", PASSWORD, CLIENT)
    assert (await store.login("clerk-9", "wrong one", CLIENT)).failure == "wrong"
    assert (await store.login("clerk-9", "wrong two", CLIENT)).failure == "wrong"
    assert (await store.login("clerk-9", "wrong three", CLIENT)).failure == "locked"
    assert (await store.login("clerk-9", PASSWORD, CLIENT)).failure == "locked"

    clock.advance(timedelta(minutes=16))
    assert (await store.login("clerk-9", PASSWORD, CLIENT)).session is not None
    events = await published(pool)
    assert [(e["activity"], e.get("reason")) for e in events[1:]] == [
        ("login_failed", "wrong_password"), ("login_failed", "wrong_password"),
        ("login_failed", "wrong_password"), ("locked_out", None),
        ("login_failed", "locked"), ("login", None)]


async def test_an_unknown_name_fails_and_what_was_typed_is_not_published(
        store: AccountStore, pool: asyncpg.Pool) -> None:
    typed = "110101199003077777"
    assert (await store.login(typed, PASSWORD, CLIENT)).failure == "wrong"
    [event] = await published(pool)
    assert event["activity"] == "login_failed" and event["reason"] == "unknown_officer"
    assert event["officer_id"] is None and typed not in json.dumps(event)


async def test_a_treasury_officer_needs_the_totp_code_and_a_code_works_once(
        store: AccountStore, pool: asyncpg.Pool, clock: FixedClock) -> None:
    await store.create(ADMIN, "treasury-9", "财政", ["treasury_officer"], "420117", PASSWORD,
                       CLIENT)
    first = (await store.login("treasury-9", PASSWORD, CLIENT)).session
    assert first is not None and first.stage == "enrol_second_factor"
    assert first.pending_totp_secret is not None
    assert await store.second_factor(first, "000000", CLIENT) == "wrong"
    code = pyotp.TOTP(first.pending_totp_secret).at(clock.now())
    assert await store.second_factor(first, code, CLIENT) is None
    assert (await store.session(first.cookie)).signed_in  # type: ignore[union-attr]

    second = (await store.login("treasury-9", PASSWORD, CLIENT)).session
    assert second is not None and second.stage == "second_factor"
    assert await store.second_factor(second, code, CLIENT) == "wrong"  # replayed
    clock.advance(timedelta(seconds=30))
    fresh = pyotp.TOTP(first.pending_totp_secret).at(clock.now())
    assert await store.second_factor(second, fresh, CLIENT) is None
    activities = [e["activity"] for e in await published(pool)]
    assert activities.count("login") == 2 and "totp_enrolled" in activities


async def test_api_tokens_are_hashed_scoped_expiring_and_revocable(
        store: AccountStore, pool: asyncpg.Pool, clock: FixedClock) -> None:
    await store.create(ADMIN, "dual-9", "兼职", ["township_reviewer", "county_approver"],
                       "420117", PASSWORD, CLIENT)
    value, _token = await store.issue_token(ADMIN, "dual-9", "审核接口",
                                           ["township_reviewer"], 30, CLIENT)
    assert await pool.fetchval("SELECT count(*) FROM officer_api_tokens"
                               " WHERE token_sha256 = $1",
                               hashlib.sha256(value.encode()).hexdigest()) == 1
    assert value not in json.dumps(await published(pool))
    acting = await store.by_token(value)
    assert acting is not None and acting.roles == ("township_reviewer",)
    with pytest.raises(Refused):
        await store.issue_token(ADMIN, "dual-9", "x", ["auditor"], 30, CLIENT)

    clock.advance(timedelta(days=31))
    assert await store.by_token(value) is None  # expired

    other, issued = await store.issue_token(ADMIN, "dual-9", "全部", [], None, CLIENT)
    assert (await store.by_token(other)).roles == ("township_reviewer",  # type: ignore[union-attr]
                                                   "county_approver")
    await store.revoke_token(ADMIN, "dual-9", issued.token_id, CLIENT)
    assert await store.by_token(other) is None
    with pytest.raises(NotFound):
        await store.revoke_token(ADMIN, "dual-9", issued.token_id, CLIENT)


async def test_a_disabled_officer_cannot_log_in_and_loses_sessions_and_tokens(
        store: AccountStore, pool: asyncpg.Pool) -> None:
    await store.create(ADMIN, "clerk-9", "村级专干", ["clerk"], "420117", PASSWORD, CLIENT)
    session = (await store.login("clerk-9", PASSWORD, CLIENT)).session
    value, _ = await store.issue_token(ADMIN, "clerk-9", "接口", [], 30, CLIENT)
    await store.set_disabled(ADMIN, "clerk-9", True, CLIENT)
    assert session is not None and await store.session(session.cookie) is None
    assert await store.by_token(value) is None
    assert (await store.login("clerk-9", PASSWORD, CLIENT)).failure == "disabled"
    await store.set_disabled(ADMIN, "clerk-9", False, CLIENT)
    assert (await store.login("clerk-9", PASSWORD, CLIENT)).session is not None
    activities = [e["activity"] for e in await published(pool)]
    assert {"officer_disabled", "officer_enabled", "token_issued"} <= set(activities)


async def test_a_reset_password_must_be_changed_and_ends_the_sessions(
        store: AccountStore) -> None:
    await store.create(ADMIN, "clerk-9", "村级专干", ["clerk"], "420117", PASSWORD, CLIENT)
    session = (await store.login("clerk-9", PASSWORD, CLIENT)).session
    assert session is not None
    assert await store.change_password(session, "not it", "another long password",
                                       CLIENT) == "wrong"
    with pytest.raises(Refused):
        await store.change_password(session, PASSWORD, "short", CLIENT)
    assert await store.change_password(session, PASSWORD, "another long password",
                                       CLIENT) is None
    assert not (await store.get("clerk-9")).must_change_password

    await store.reset_password(ADMIN, "clerk-9", "temporary password 1", CLIENT)
    assert await store.session(session.cookie) is None
    again = (await store.login("clerk-9", "temporary password 1", CLIENT)).session
    assert again is not None and again.officer.must_change_password


async def test_an_administrator_acts_only_within_their_division(store: AccountStore) -> None:
    other_county = Officer(id="admin-2", name="管理员", roles=("administrator",),
                           division="420102")
    await store.create(ADMIN, "clerk-9", "村级专干", ["clerk"], "420117001", PASSWORD, CLIENT)
    with pytest.raises(OutOfScope):
        await store.create(ADMIN, "clerk-8", "村级专干", ["clerk"], "420102", PASSWORD, CLIENT)
    with pytest.raises(NotFound):
        await store.set_disabled(other_county, "clerk-9", True, CLIENT)
    assert [a.officer_id for a in await store.officers("420102")] == []
    with pytest.raises(Refused):
        await store.create(ADMIN, "x", "名", ["superuser"], "420117", PASSWORD, CLIENT)


async def test_idle_sessions_end(store: AccountStore, clock: FixedClock) -> None:
    await store.create(ADMIN, "clerk-9", "村级专干", ["clerk"], "420117", PASSWORD, CLIENT)
    session = (await store.login("clerk-9", PASSWORD, CLIENT)).session
    assert session is not None
    clock.advance(timedelta(minutes=29))
    assert await store.session(session.cookie) is not None
    clock.advance(timedelta(minutes=31))
    assert await store.session(session.cookie) is None


async def test_development_tokens_come_only_with_development_accounts(
        store: AccountStore, pool: asyncpg.Pool, tmp_path: Path) -> None:
    roster = read_roster(ROSTER)
    provisioned = {"id": "clerk-prod", "name": "专干", "roles": ["clerk"],
                   "division": "420117", "token_sha256": hashlib.sha256(b"real").hexdigest()}
    assert await store.import_roster([*roster, provisioned]) == 1
    assert await store.by_token("dev-clerk-420117-01") is None
    assert await store.by_token("real") is not None
    assert await pool.fetchval("SELECT count(*) FROM officers WHERE development") == 0

    development = with_development_accounts(store)
    assert await development.import_roster([*roster, provisioned]) == len(roster)
    assert await development.import_roster([*roster, provisioned]) == 0  # once
    clerk = await development.by_token("dev-clerk-420117-01")
    assert clerk is not None and clerk.roles == ("clerk",) and clerk.division == "420117"
    login = await development.login("treasury-420117-01", "dev-treasury-420117-01", CLIENT)
    assert login.session is not None and login.session.stage == "second_factor"
    code = pyotp.TOTP(development_totp_secret("treasury-420117-01")).at(START)
    assert await development.second_factor(login.session, code, CLIENT) is None


async def test_development_accounts_in_the_database_are_refused_outside_development_mode(
        store: AccountStore, pool: asyncpg.Pool) -> None:
    """A database made in development (or test) mode, then served in production: the
    development officers and tokens it holds are refused as a disabled officer's."""
    roster = read_roster(ROSTER)
    development = with_development_accounts(store)
    await development.import_roster(roster)
    clerk = (await development.login("clerk-420117-01", "dev-clerk-420117-01",
                                     CLIENT)).session
    assert clerk is not None and clerk.signed_in
    assert await development.by_token("dev-auditor-420117-01") is not None
    await pool.execute("DELETE FROM outbox")

    production = store  # the same database, development accounts off
    assert await production.import_roster(roster) == 0
    assert await production.session(clerk.cookie) is None
    assert await production.by_token("dev-auditor-420117-01") is None
    refused = await production.login("clerk-420117-01", "dev-clerk-420117-01", CLIENT)
    assert (refused.session, refused.failure) == (None, "disabled")
    treasury = await production.login("treasury-420117-01", "dev-treasury-420117-01",
                                      CLIENT)
    assert (treasury.session, treasury.failure) == (None, "disabled")
    assert [(e["activity"], e["officer_id"], e["reason"]) for e in await published(pool)] \
        == [("login_failed", "clerk-420117-01", "disabled"),
            ("login_failed", "treasury-420117-01", "disabled")]
    # still named by the file, so not disabled by it: refused for the mode alone
    assert await pool.fetchval("SELECT count(*) FROM officers WHERE disabled_at IS NOT NULL"
                               " OR NOT development") == 0
    assert await development.by_token("dev-auditor-420117-01") is not None


async def test_the_officers_file_changes_an_officer_it_declares_and_the_console_cannot(
        store: AccountStore, pool: asyncpg.Pool) -> None:
    digest = hashlib.sha256(b"real").hexdigest()
    entry = {"id": "clerk-prod", "name": "专干", "roles": ["clerk"], "division": "420117",
             "token_sha256": digest}
    await store.import_roster([entry])
    admin = Officer(id="admin-1", name="管理员", roles=("administrator",), division="420117")
    await store.reset_password(admin, "clerk-prod", PASSWORD, CLIENT)
    login = await store.login("clerk-prod", PASSWORD, CLIENT)
    assert login.session is not None
    before = len(await published(pool))

    await store.import_roster([entry])  # unchanged: nothing happens
    assert len(await published(pool)) == before
    assert await store.session(login.session.cookie) is not None

    moved = {**entry, "roles": ["township_reviewer"], "division": "420117001"}
    await store.import_roster([moved])
    account = await store.get("clerk-prod")
    assert (account.roles, account.division) == (("township_reviewer",), "420117001")
    assert await store.session(login.session.cookie) is None  # old powers end at once
    change = (await published(pool))[-1]
    assert (change["activity"], change["channel"], change["actor_id"]) == (
        "officer_changed", "command", None)
    assert change["roles"] == ["township_reviewer"] and change["division"] == "420117001"
    officer = await store.by_token("real")
    assert officer is not None and officer.roles == ("township_reviewer",)

    with pytest.raises(Refused, match="officers file"):
        await store.change(admin, "clerk-prod", "专干", ["clerk"], "420117001", CLIENT)
    await store.set_disabled(admin, "clerk-prod", True, CLIENT)  # still the console's
    assert (await store.get("clerk-prod")).disabled


async def test_an_officer_removed_from_the_officers_file_is_disabled_and_their_tokens_revoked(
        store: AccountStore, pool: asyncpg.Pool) -> None:
    kept = {"id": "clerk-kept", "name": "专干乙", "roles": ["clerk"], "division": "420117",
            "token_sha256": hashlib.sha256(b"kept").hexdigest()}
    leaving = {"id": "clerk-leaving", "name": "专干甲", "roles": ["clerk"],
               "division": "420117", "token_sha256": hashlib.sha256(b"leaving").hexdigest()}
    await store.import_roster([kept, leaving])
    await store.create(ADMIN, "clerk-console", "专干丙", ["clerk"], "420117", PASSWORD, CLIENT)
    await store.reset_password(ADMIN, "clerk-leaving", PASSWORD, CLIENT)
    session = (await store.login("clerk-leaving", PASSWORD, CLIENT)).session
    assert session is not None
    issued, _ = await store.issue_token(ADMIN, "clerk-leaving", "接口", [], 30, CLIENT)
    before = len(await published(pool))

    await store.import_roster([kept])
    assert (await store.get("clerk-leaving")).disabled
    assert await store.session(session.cookie) is None
    assert await store.by_token("leaving") is None and await store.by_token(issued) is None
    assert (await store.login("clerk-leaving", PASSWORD, CLIENT)).failure == "disabled"
    revoked = {t.token_id for t in await store.tokens("clerk-leaving")
               if t.revoked_at is not None}
    assert len(revoked) == 2
    events = (await published(pool))[before:]
    assert [(e["activity"], e["officer_id"], e["actor_id"], e["channel"])
            for e in events[:3]] == [
        ("officer_disabled", "clerk-leaving", None, "command"),
        ("token_revoked", "clerk-leaving", None, "command"),
        ("token_revoked", "clerk-leaving", None, "command")]
    assert {e["token_id"] for e in events[1:3]} == revoked
    assert events[3]["reason"] == "disabled"  # the refused login
    # the officer still named and the console's own officer are not touched
    assert not (await store.get("clerk-kept")).disabled
    assert not (await store.get("clerk-console")).disabled
    assert await store.by_token("kept") is not None

    after = len(await published(pool))
    await store.import_roster([kept])  # the same file again: nothing more happens
    await store.import_roster([kept, leaving])  # named again: an administrator enables
    assert len(await published(pool)) == after
    assert (await store.get("clerk-leaving")).disabled


async def test_a_token_changed_in_the_officers_file_revokes_the_one_it_replaces(
        store: AccountStore, pool: asyncpg.Pool) -> None:
    entry = {"id": "clerk-prod", "name": "专干", "roles": ["clerk"], "division": "420117",
             "token_sha256": hashlib.sha256(b"first").hexdigest()}
    assert await store.import_roster([entry]) == 1
    [first] = await store.tokens("clerk-prod")
    issued, _ = await store.issue_token(ADMIN, "clerk-prod", "接口", [], 30, CLIENT)
    before = len(await published(pool))

    changed = {**entry, "token_sha256": hashlib.sha256(b"second").hexdigest()}
    assert await store.import_roster([changed]) == 1
    assert await store.by_token("first") is None
    assert await store.by_token("second") is not None
    assert await store.by_token(issued) is not None  # the console's token is its own
    assert not (await store.get("clerk-prod")).disabled
    [event] = (await published(pool))[before:]
    assert (event["activity"], event["officer_id"], event["token_id"], event["actor_id"],
            event["channel"]) == ("token_revoked", "clerk-prod", first.token_id, None,
                                  "command")

    assert await store.import_roster([changed]) == 0  # the same file: nothing revoked
    assert len(await published(pool)) == before + 1
    await store.import_roster([{k: v for k, v in entry.items() if k != "token_sha256"}])
    assert await store.by_token("second") is None  # the file lists no token any more
    assert await store.by_token(issued) is not None
    assert [e["activity"] for e in (await published(pool))[before + 1:]] == [
        "token_revoked"]


# -- the JSON API and the console's forms on these identities ---------------------------


@pytest.fixture
async def app(store: AccountStore) -> FastAPI:
    await store.create(ADMIN, "auditor-9", "审计", ["auditor"], "420117", PASSWORD, CLIENT)
    await store.create(ADMIN, "admin-9", "管理员", ["administrator"], "420117", PASSWORD,
                       CLIENT)
    for officer_id in ("auditor-9", "admin-9"):  # no temporary password in these tests
        await store.units._pool().execute(
            "UPDATE officers SET must_change_password = false WHERE officer_id = $1",
            officer_id)
    application = FastAPI()

    @application.get("/things")
    async def things(officer: Annotated[Officer, Depends(require_role("auditor"))]
                     ) -> dict[str, str]:
        return {"officer": officer.id}

    @application.post("/things")
    async def change(officer: Annotated[Officer, Depends(require_role("auditor"))]
                     ) -> dict[str, str]:
        return {"officer": officer.id}

    web.install(application, "fund_custody", store, "test")
    return application


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("192.0.2.8", 1)),
                             base_url="http://console.test")


async def log_in(http: httpx.AsyncClient, officer_id: str, password: str) -> httpx.Response:
    form = await http.get("/console/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    return await http.post("/console/login", data={"csrf_token": csrf.group(1),
                                                    "officer_id": officer_id,
                                                    "password": password})


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def test_the_json_api_takes_a_session_cookie_with_its_csrf_header(app: FastAPI) -> None:
    async with client(app) as http:
        assert (await http.get("/things")).status_code == 401
        response = await log_in(http, "auditor-9", PASSWORD)
        assert response.status_code == 303 and response.headers["location"] == "/console/"
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
        assert (await http.get("/things")).json() == {"officer": "auditor-9"}
        assert (await http.post("/things")).status_code == 403  # no CSRF header
        home = await http.get("/console/")
        assert "auditor-9" in home.text
        answered = await http.post("/things", headers={"X-CSRF-Token": csrf_of(home.text)})
        assert answered.json() == {"officer": "auditor-9"}


async def test_the_json_api_takes_an_api_token(app: FastAPI, store: AccountStore) -> None:
    value, _ = await store.issue_token(ADMIN, "auditor-9", "接口", [], 30, CLIENT)
    async with client(app) as http:
        shown = await http.post("/things", headers={"Authorization": f"Bearer {value}"})
        assert shown.json() == {"officer": "auditor-9"}
        wrong = await http.get("/things", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401


async def test_a_production_console_and_api_refuse_the_development_accounts(
        app: FastAPI, store: AccountStore) -> None:
    await with_development_accounts(store).import_roster(read_roster(ROSTER))
    async with client(app) as http:
        token = await http.get("/things",
                               headers={"Authorization": "Bearer dev-auditor-420117-01"})
        assert token.status_code == 401
        login = await log_in(http, "auditor-420117-01", "dev-auditor-420117-01")
        assert login.status_code == 401 and "该账号已停用" in login.text
        assert (await http.get("/things")).status_code == 401
        assert (await log_in(http, "auditor-9", PASSWORD)).status_code == 303


async def test_a_form_without_its_csrf_token_is_refused(app: FastAPI,
                                                         store: AccountStore) -> None:
    async with client(app) as http:
        refused = await http.post("/console/login", data={"officer_id": "auditor-9",
                                                          "password": PASSWORD})
        assert refused.status_code == 403
        await log_in(http, "admin-9", PASSWORD)
        forged = await http.post("/console/admin/officers/auditor-9/disable",
                                 data={"csrf_token": "forged"})
        assert forged.status_code == 403
        assert not (await store.get("auditor-9")).disabled
        page = await http.get("/console/admin/officers/auditor-9")
        done = await http.post("/console/admin/officers/auditor-9/disable",
                               data={"csrf_token": csrf_of(page.text)})
        assert done.status_code == 200 and (await store.get("auditor-9")).disabled


async def test_only_an_administrator_opens_the_administration(app: FastAPI) -> None:
    async with client(app) as http:
        await log_in(http, "auditor-9", PASSWORD)
        assert (await http.get("/console/admin/officers")).status_code == 403


async def test_the_pages_speak_chinese_by_default_and_escape_names(
        app: FastAPI, store: AccountStore) -> None:
    await store.create(ADMIN, "clerk-9", "<script>alert(1)</script>", ["clerk"], "420117",
                       PASSWORD, CLIENT)
    async with client(app) as http:
        login = await http.get("/console/login")
        assert "登录" in login.text and "Log in" not in login.text
        assert "Log in" in (await http.get("/console/login?lang=en")).text
        await log_in(http, "admin-9", PASSWORD)
        listed = await http.get("/console/admin/officers")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed.text
        assert "<script>alert" not in listed.text



async def test_the_operator_command_makes_the_first_administrator_and_unlocks(
        store: AccountStore, pool: asyncpg.Pool) -> None:
    from siquan.shared.accounts.__main__ import add_officer, reset_password

    password = await add_officer(store, "admin-1", "管理员", ["administrator"], "420117")
    assert (await store.login("admin-1", password, CLIENT)).session is not None
    for attempt in range(3):
        await store.login("admin-1", f"wrong {attempt}", CLIENT)
    assert (await store.login("admin-1", password, CLIENT)).failure == "locked"
    again = await reset_password(store, "admin-1")
    assert (await store.login("admin-1", again, CLIENT)).session is not None
    events = await published(pool)
    assert {e["channel"] for e in events if e["activity"] in (
        "officer_created", "password_reset")} == {"command"}
