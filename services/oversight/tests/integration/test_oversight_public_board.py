"""The public notice board: eligibility's notices shown masked, with the days left to
object, and archived once closed; objections to an entry in force are taken (and published
so eligibility blocks the approval), objections to anything else refused."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from siquan.contracts.eligibility_v1 import NoticeClosed, NoticeEntry, NoticePublished
from siquan.contracts.topology import RoutingKey
from siquan.oversight.public.adapters.board_cache import BoardCache
from siquan.oversight.public.adapters.notices import PgNoticeBoard
from siquan.oversight.public.application.ports import NoticeRow
from siquan.shared.clock import FileClock
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.shared.testing.waiting import eventually

NOW = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # Tuesday, 10:00 in Beijing
PUBLISHED_ON, CLOSES_ON = date(2026, 11, 1), date(2026, 11, 8)
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clock") / "now"
    FileClock(path).set(NOW)
    return path


@pytest.fixture(scope="module")
def oversight_vars(siquan_env: Environment, clock_file: Path) -> dict[str, str]:
    return {**siquan_env.service_env("oversight", port=free_port()),
            "SIQUAN_CHECKPOINT_SECONDS": "3600", "SIQUAN_CLOCK_FILE": str(clock_file)}


@pytest.fixture(scope="module")
async def public(oversight: ServiceProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=oversight.url, timeout=30.0) as client:
        yield client


def entry(name: str = "王*", resident_id: str = "4201**********0011") -> NoticeEntry:
    return NoticeEntry(application_id=str(uuid.uuid4()), category="standard",
                       masked_name=name, masked_resident_id=resident_id,
                       township_code="420117001")


def notice(*entries: NoticeEntry, part: int = 1, parts: int = 1,
           notice_id: str | None = None, total: int | None = None) -> NoticePublished:
    return NoticePublished(
        notice_id=notice_id or str(uuid.uuid4()), program_code="reward_assistance_rural",
        policy_version="national-2009", division_code="420117", township_code="420117001",
        published_on=PUBLISHED_ON, closes_on=CLOSES_ON, notice_days=7,
        published_by="reviewer-420117-01", total_entries=total or len(entries), part=part,
        parts=parts, entries=entries)


def closed(posted: NoticePublished) -> NoticeClosed:
    return NoticeClosed(notice_id=posted.notice_id, program_code=posted.program_code,
                        division_code=posted.division_code,
                        township_code=posted.township_code, closed_on=CLOSES_ON,
                        total_entries=posted.total_entries, blocked_application_ids=())


async def shown(public: httpx.AsyncClient, notice_id: str, *, archived: bool = False,
                timeout: float = 30.0) -> dict[str, Any]:
    """The notice as the board (or the archive) shows it, once it is there."""
    path = "/public/notices/archive" if archived else "/public/notices"

    async def found() -> dict[str, Any] | None:
        response = await public.get(path, params={"format": "json"})
        response.raise_for_status()
        return next((n for n in response.json()["notices"] if n["notice_id"] == notice_id),
                    None)

    return await eventually(found, timeout=timeout, what=f"notice {notice_id} at {path}")


async def posted(env: Environment, public: httpx.AsyncClient, *entries: NoticeEntry
                 ) -> NoticePublished:
    published = notice(*entries)
    await publish_as(env, published)
    await shown(public, published.notice_id)
    return published


async def test_a_published_notice_is_shown_masked_with_the_days_remaining(
        siquan_env: Environment, public: httpx.AsyncClient) -> None:
    first, second = entry("王*", "4201**********0011"), entry("李**", "4201**********0022")
    notice_id = str(uuid.uuid4())
    for part, one in enumerate((first, second), start=1):
        await publish_as(siquan_env, notice(one, part=part, parts=2, notice_id=notice_id,
                                            total=2))

    async def both_parts() -> dict[str, Any] | None:
        found = await shown(public, notice_id)
        return found if len(found["entries"]) == 2 else None

    board = await eventually(both_parts, what="both parts of the notice")
    html = (await public.get("/public/notices", headers={"Accept": "text/html"})).text

    assert board["days_remaining"] == 5 and board["closes_on"] == "2026-11-08"
    assert {(e["masked_name"], e["masked_resident_id"]) for e in board["entries"]} == {
        ("王*", "4201**********0011"), ("李**", "4201**********0022")}
    assert "王*" in html and "4201**********0022" in html and "剩余 5 天" in html


async def test_the_board_is_html_by_default_and_json_when_asked(
        siquan_env: Environment, public: httpx.AsyncClient) -> None:
    await posted(siquan_env, public, entry())

    html = await public.get("/public/notices")
    json = await public.get("/public/notices", headers=JSON)

    assert html.headers["content-type"].startswith("text/html")
    assert "charset=utf-8" in html.headers["content-type"] and "<form" in html.text
    assert json.json()["how_to_object"]["hotline"] == "12320"


async def test_an_entry_that_arrives_unmasked_is_masked_before_it_is_shown(
        siquan_env: Environment, public: httpx.AsyncClient) -> None:
    published = await posted(siquan_env, public, entry("赵大年", "42011719600101001X"))

    [shown_entry] = (await shown(public, published.notice_id))["entries"]
    html = (await public.get("/public/notices")).text

    assert (shown_entry["masked_name"], shown_entry["masked_resident_id"]) == (
        "赵**", "4201**********001X")
    assert "赵大年" not in html and "42011719600101001X" not in html


async def test_a_closed_notice_moves_to_the_archive(
        siquan_env: Environment, public: httpx.AsyncClient) -> None:
    published = await posted(siquan_env, public, entry())

    await publish_as(siquan_env, closed(published))
    archived = await shown(public, published.notice_id, archived=True)
    board = (await public.get("/public/notices", headers=JSON)).json()["notices"]

    assert archived["closed_on"] == "2026-11-08" and len(archived["entries"]) == 1
    assert published.notice_id not in {n["notice_id"] for n in board}


async def complaint_count(auditor: httpx.AsyncClient) -> int:
    return len((await auditor.get("/complaints", params={"limit": 500})).json())


async def test_an_objection_to_an_entry_is_published_with_its_application_and_resolved(
        siquan_env: Environment, public: httpx.AsyncClient,
        auditor: httpx.AsyncClient) -> None:
    objected = entry()
    await posted(siquan_env, public, objected)

    async with tap(siquan_env, "oversight") as published:
        response = await public.post("/public/complaints", json={
            "category": "notice_objection", "application_id": objected.application_id,
            "description": "其子女仍健在，不符合条件"})
        [filed] = await published.wait_for(RoutingKey.COMPLAINT_FILED)
        resolved = await auditor.post(f"/complaints/{filed.body['complaint_id']}/resolve",
                                      json={"outcome": "upheld",
                                            "resolution": "经核实，其子女健在"})
        [resolution] = await published.wait_for(RoutingKey.COMPLAINT_RESOLVED)

    assert response.status_code == 201
    assert filed.body["application_id"] == objected.application_id
    assert filed.body["category"] == "notice_objection"
    assert filed.body["tracking_number"] == response.json()["tracking_number"]
    assert filed.body["division_code"] == "420117001"
    assert resolved.status_code == 200
    assert resolution.body["application_id"] == objected.application_id
    assert resolution.body["outcome"] == "upheld"
    assert resolution.headers["x-siquan-correlation-id"] == filed.message_id


async def test_an_objection_is_due_within_its_notice(
        siquan_env: Environment, public: httpx.AsyncClient) -> None:
    objected = entry()
    await posted(siquan_env, public, objected)

    response = await public.post("/public/complaints", json={
        "category": "notice_objection", "application_id": objected.application_id,
        "description": "不是本村村民"})

    # 5 working days from Tuesday 3 November would be the 10th; the notice closes the 8th.
    assert response.json()["due_on"] == "2026-11-08"


async def test_an_objection_naming_an_application_on_no_notice_in_force_is_refused(
        public: httpx.AsyncClient, auditor: httpx.AsyncClient) -> None:
    before = await complaint_count(auditor)

    response = await public.post("/public/complaints", json={
        "category": "notice_objection", "application_id": str(uuid.uuid4()),
        "description": "不符合条件"})

    assert response.status_code == 422
    assert [p["field"] for p in response.json()["errors"]] == ["application_id"]
    assert await complaint_count(auditor) == before


async def test_an_objection_to_an_entry_of_a_closed_notice_is_refused(
        siquan_env: Environment, public: httpx.AsyncClient,
        auditor: httpx.AsyncClient) -> None:
    objected = entry()
    published = await posted(siquan_env, public, objected)
    await publish_as(siquan_env, closed(published))
    await shown(public, published.notice_id, archived=True)
    before = await complaint_count(auditor)

    response = await public.post("/public/complaints", json={
        "category": "notice_objection", "application_id": objected.application_id,
        "description": "不符合条件"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "application_id"
    assert await complaint_count(auditor) == before


async def test_the_board_filters_by_program_and_pages(
        siquan_env: Environment, public: httpx.AsyncClient) -> None:
    rural = await posted(siquan_env, public, entry())
    special = notice(entry("赵*"))
    special = special.model_copy(update={"program_code": "special_assistance",
                                         "policy_version": "national-2008"})
    await publish_as(siquan_env, special)
    await shown(public, special.notice_id)

    only_special = (await public.get("/public/notices", params={
        "format": "json", "program_code": "special_assistance", "limit": 500})).json()
    first = (await public.get("/public/notices", params={"format": "json", "limit": 1})).json()
    second = (await public.get("/public/notices", params={"format": "json", "limit": 1,
                                                           "offset": 1})).json()
    html = (await public.get("/public/notices", params={"limit": 1})).text

    assert {n["program_code"] for n in only_special["notices"]} == {"special_assistance"}
    assert special.notice_id in {n["notice_id"] for n in only_special["notices"]}
    assert rural.notice_id not in {n["notice_id"] for n in only_special["notices"]}
    assert len(first["notices"]) == len(second["notices"]) == 1
    assert first["notices"][0]["notice_id"] != second["notices"][0]["notice_id"]
    assert "offset=1" in html and 'rel="next"' in html


async def test_the_pages_speak_english_when_asked_and_serve_their_own_stylesheet(
        siquan_env: Environment, public: httpx.AsyncClient) -> None:
    await posted(siquan_env, public, entry())
    by_header = await public.get("/public/complaints/new",
                                 headers={"Accept-Language": "en-GB,en;q=0.8"})
    by_query = await public.get("/public/notices", params={"lang": "en"},
                                headers={"Accept-Language": "zh-CN"})
    chinese = await public.get("/public/notices")
    css = await public.get("/console-static/console.css")

    assert by_header.headers["content-language"] == "en" and "What happened" in by_header.text
    assert "Public notices in force" in by_query.text and 'lang="en"' in by_query.text
    assert "正在公示" in chinese.text and 'lang="zh-CN"' in chinese.text
    # an entry's category: the policy's Chinese name, or its code spelled out in English
    assert '<td data-label="类别">奖励扶助金</td>' in chinese.text
    assert '<td data-label="Category">Standard</td>' in by_query.text
    assert "奖励扶助金" not in by_query.text
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@media (max-width" in css.text


@pytest.mark.parametrize(("path", "params", "headers"), [
    ("/public/notices", {"program_code": "<script>"}, {}),
    ("/public/notices", {"program_code": "x" * 3000}, {}),
    ("/public/notices", {"lang": "\u202e<b>", "offset": "10001"}, {}),
    ("/public/notices/archive", {"lang": "en"}, {"Accept-Language": "q=;;,,*;q=2,zz"}),
    ("/public/complaints/new", {"category": "<x>", "application_id": "'\"><script>"},
     {"Accept-Language": "en;q=abc"}),
    ("/public/complaints/lookup", {"tracking_number": "../../etc/passwd", "lang": "en"}, {}),
    ("/public/complaints/%3Cscript%3E", {"lang": "en"}, {}),
    ("/console-static/../app.py", {}, {}),
    ("/console-static/nothing.css", {}, {}),
])
async def test_odd_input_to_the_pages_is_never_a_server_error(
        public: httpx.AsyncClient, path: str, params: dict[str, str],
        headers: dict[str, str]) -> None:
    response = await public.get(path, params=params, headers=headers)

    assert response.status_code < 500
    assert "<script>" not in response.text


async def recorded(env: Environment, notice_id: str, status: str) -> None:
    """Wait until oversight has committed the notice with this status."""
    async def there() -> bool:
        return bool(await env.fetch("oversight", "SELECT 1 FROM public_notices WHERE"
                                    " notice_id = $1 AND status = $2", notice_id, status))

    await eventually(there, what=f"notice {notice_id} recorded {status}")


KEPT_FOR = 30.0
"""How long the service keeps a page of the board at most (`BoardCache.max_age`)."""


async def test_a_board_kept_by_the_instance_shows_a_notice_as_soon_as_it_is_recorded(
        siquan_env: Environment, public: httpx.AsyncClient) -> None:
    for path in ("/public/notices", "/public/notices/archive"):  # both pages now kept
        for _ in range(2):
            (await public.get(path, params={"format": "json"})).raise_for_status()
    published = notice(entry())
    await publish_as(siquan_env, published)
    await recorded(siquan_env, published.notice_id, "posted")

    # far sooner than a kept page would age out: the recording unit's NOTIFY cleared it
    on_board = await shown(public, published.notice_id, timeout=KEPT_FOR / 6)
    await publish_as(siquan_env, closed(published))
    await recorded(siquan_env, published.notice_id, "closed")
    archived = await shown(public, published.notice_id, archived=True,
                           timeout=KEPT_FOR / 6)
    board = (await public.get("/public/notices", params={"format": "json",
                                                         "limit": 500})).json()

    assert on_board["entries"][0]["masked_name"] == "王*"
    assert archived["closed_on"] == CLOSES_ON.isoformat()
    assert published.notice_id not in {n["notice_id"] for n in board["notices"]}


async def test_pages_are_forgotten_when_a_recording_commits_and_not_before(
        siquan_env: Environment, public: httpx.AsyncClient) -> None:
    key = ("a page",)
    pool = await asyncpg.create_pool(siquan_env.pg_dsn("oversight"), min_size=1,
                                     max_size=2)
    cache = BoardCache(lambda: pool, max_age=3600)
    following = asyncio.create_task(cache.follow())
    try:
        await eventually(lambda: _true(cache.listening), what="the cache listening")
        cache.keep(key, cache.version, {"notices": []}, b"{}", None)
        kept_before = cache.get(key, None)
        read_at = cache.version
        published = notice(entry())
        async with pool.acquire() as conn:
            async with conn.transaction():
                await PgNoticeBoard(conn).save_published(published, [NoticeRow(
                    e.application_id, e.category, e.masked_name, e.masked_resident_id,
                    e.township_code) for e in published.entries])
                await asyncio.sleep(0.5)  # a NOTIFY would arrive in this time if sent now
                kept_while_uncommitted = cache.get(key, None)
        await eventually(lambda: _true(cache.get(key, None) is None),
                         what="the page forgotten after the commit")
        cache.keep(key, read_at, {"notices": []}, b"{}", None)  # read before the change
        kept_from_a_stale_read = cache.get(key, None)
    finally:
        following.cancel()
        with pytest.raises(asyncio.CancelledError):
            await following
        await pool.close()

    assert kept_before is not None
    assert kept_while_uncommitted is not None
    assert kept_from_a_stale_read is None
    assert not cache.listening


async def _true(value: bool) -> bool:
    return value


async def test_the_kept_board_is_still_limited_per_client_named_by_the_trusted_proxy(
        public: httpx.AsyncClient) -> None:
    """The loopback proxy names each caller in X-Forwarded-For: one caller past its
    limit is refused (429, Retry-After), another is served the same kept page."""
    greedy = {"X-Forwarded-For": "198.51.100.21", "Accept": "application/json"}
    refused = None
    for _ in range(500):  # the burst (60) and what refills meanwhile
        response = await public.get("/public/notices", headers=greedy)
        if response.status_code == 429:
            refused = response
            break
        assert response.status_code == 200
    other = await public.get("/public/notices", headers={
        "X-Forwarded-For": "198.51.100.22", "Accept": "application/json"})

    assert refused is not None and refused.headers["Retry-After"].isdigit()
    assert other.status_code == 200 and "notices" in other.json()
