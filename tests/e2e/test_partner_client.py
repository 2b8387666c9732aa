"""The partner example (`examples/partner_client/client.py`), run as a partner would run
it — a separate program in plain aio-pika, with only the agency's broker user, the
producer's published keys and the committed JSON Schemas — against the real broker and
eligibility running as its own process.

Civil affairs reads a certification from its projection, verified and validated, and
refuses a forged message; public security reports a death on its own exchange and sees,
on its own projection, the certification it ended, under its own pseudonym of the person
(never the resident ID or the internal person key). Public security reports by resident
ID (`death.reported.v2`) and is given no person-key secret. It also sends its daily file
of deaths, signed with the same key, and reads the report per line."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest

from siquan.shared.clock import FileClock
from siquan.shared.person import person_key, pseudonym
from siquan.shared.testing.environment import REPO_ROOT, TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.shared.testing.residents import ResidentFactory
from siquan.tools.desk import Desk

pytestmark = pytest.mark.integration
CLIENT = REPO_ROOT / "examples" / "partner_client" / "client.py"
SCHEMAS = REPO_ROOT / "contracts" / "schemas"
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
PEOPLE = ResidentFactory("420117", birth_year=1957)


@pytest.fixture(scope="module")
def clock_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(tmp_path_factory.mktemp("clock")) / "now"
    FileClock(path).set(START)
    return path


@pytest.fixture(scope="module")
def eligibility(siquan_env: Environment, clock_path: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    variables = {**siquan_env.service_env("eligibility", port=free_port()),
                 "SIQUAN_CLOCK_FILE": str(clock_path)}
    process = ServiceProcess("eligibility", variables,
                             Path(tmp_path_factory.mktemp("logs"))).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
async def desk(eligibility: ServiceProcess, clock_path: Path) -> AsyncIterator[Desk]:
    async with httpx.AsyncClient(base_url=eligibility.url, timeout=120.0) as http:
        yield Desk(http, FileClock(clock_path))


async def run_client(*args: str) -> list[dict[str, Any]]:
    """Run the example as its own program; the JSON lines it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(CLIENT), *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=180)
    assert process.returncode == 0, err.decode()[-2000:] + out.decode()[-2000:]
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


def consume(env: Environment, eligibility: ServiceProcess, agency: str) -> list[str]:
    return ["consume", "--amqp-url", env.amqp_url(f"partner_{agency}").split(",")[0],
            "--agency", agency, "--keys-url", f"{eligibility.url}/.well-known/siquan-keys.json",
            "--schemas", str(SCHEMAS), "--count", "1"]


async def purge(env: Environment, queue: str) -> None:
    connection = await aio_pika.connect(env.admin_amqp_url.rstrip("/") + "/" + env.name)
    async with connection:
        channel = await connection.channel()
        await (await channel.get_queue(queue, ensure=False)).purge()


async def forge_into(env: Environment, queue: str, key_id: str) -> None:
    """A message dressed as eligibility's, with a key id it publishes but no signature of
    its key, put straight into the agency's queue (by the broker's administrator)."""
    body = json.dumps({"pseudonym": "0" * 64, "program_code": "special_assistance",
                       "category": "rural_parent", "division_code": "420117",
                       "effective_from": "2026-04-01"}).encode()
    headers = {"x-siquan-producer": "eligibility",
               "x-siquan-type": "civil_affairs.certification.started.v1",
               "x-siquan-occurred-at": START.isoformat(), "x-siquan-correlation-id": "c",
               "x-siquan-causation-id": "", "x-siquan-key-id": key_id,
               "x-siquan-signature": "A" * 86 + "=="}
    connection = await aio_pika.connect(env.admin_amqp_url.rstrip("/") + "/" + env.name)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.default_exchange.publish(aio_pika.Message(
            body, headers=headers, message_id="0192f0a0-0000-7000-8000-000000000001"),
            routing_key=queue)


async def test_civil_affairs_reads_a_verified_certification_and_refuses_a_forgery(
        siquan_env: Environment, eligibility: ServiceProcess, desk: Desk) -> None:
    published = (await desk.http.get("/.well-known/siquan-keys.json")).json()
    await forge_into(siquan_env, "siquan.partner.civil_affairs.projection",
                     published[0]["kid"])
    resident = PEOPLE.next()
    await desk.certify(resident)

    lines = await run_client(*consume(siquan_env, eligibility, "civil_affairs"))

    assert lines[0]["why"] == "the signature does not verify"
    accepted = lines[-1]["accepted"]
    assert accepted["type"] == "civil_affairs.certification.started.v1"
    assert accepted["body"]["pseudonym"] == pseudonym(
        siquan_env.pseudonym_key("civil_affairs"), resident)
    assert accepted["body"]["program_code"] == "special_assistance"
    assert person_key(TEST_PERSON_KEY_SECRET, resident) not in json.dumps(lines)
    assert resident not in json.dumps(lines)


async def test_social_security_reads_one_approvals_certifications_from_one_batch(
        siquan_env: Environment, eligibility: ServiceProcess, desk: Desk) -> None:
    residents = [PEOPLE.next(), PEOPLE.next()]
    ids = [await desk.submit(resident) for resident in residents]
    notice = await desk.to_notice(ids)
    desk.advance_to(date.fromisoformat(notice["closes_on"]))
    await purge(siquan_env, "siquan.partner.social_security.projection")  # earlier tests'
    await desk.approve_notice(notice["notice_id"])

    lines = await run_client(*consume(siquan_env, eligibility, "social_security")[:-1], "2")

    accepted = [line["accepted"] for line in lines]
    assert [a["type"] for a in accepted] == ["social_security.certification.started.v1"] * 2
    assert accepted[0]["batch"] == accepted[1]["batch"] is not None
    assert sorted(a["body"]["pseudonym"] for a in accepted) == sorted(
        pseudonym(siquan_env.pseudonym_key("social_security"), r) for r in residents)
    assert len({a["message_id"] for a in accepted}) == 2
    assert not any(r in json.dumps(lines) for r in residents)


async def test_public_security_sees_the_death_it_reported_end_a_certification(
        siquan_env: Environment, eligibility: ServiceProcess, desk: Desk) -> None:
    resident = PEOPLE.next()
    await desk.certify(resident)

    reported = await run_client(
        "report-death", "--amqp-url",
        siquan_env.amqp_url("partner_public_security").split(",")[0],
        "--key", str(siquan_env.keys_dir / "partner.public_security.key"),
        "--resident-id", resident,
        "--date-of-death", "2026-04-20", "--report-id", "GA-420117-2026-000777")
    lines = await run_client(*consume(siquan_env, eligibility, "public_security"))

    accepted = lines[-1]["accepted"]
    assert accepted["type"] == "public_security.certification.ended.v1"
    assert accepted["causation_id"] == reported[0]["reported"]
    assert accepted["body"] == {
        "pseudonym": pseudonym(siquan_env.pseudonym_key("public_security"), resident),
        "effective_from": "2026-05-01"}
    assert accepted["body"]["pseudonym"] != pseudonym(
        siquan_env.pseudonym_key("civil_affairs"), resident)


async def test_public_security_sends_its_daily_death_file_and_sees_what_it_ended(
        siquan_env: Environment, eligibility: ServiceProcess, desk: Desk,
        tmp_path: Path) -> None:
    resident = PEOPLE.next()
    await desk.certify(resident)
    deaths = tmp_path / "deaths-20260310.csv"
    deaths.write_text("report_id,resident_id,date_of_death\n"
                      f"GA-420117-2026-000901,{resident},2026-03-01\n"
                      "GA-420117-2026-000902,110105194912310021,2026-03-01\n", "utf-8")
    send = ["send-death-file", "--url", eligibility.url,
            "--key", str(siquan_env.keys_dir / "partner.public_security.key"),
            "--file-id", "GA-420117-20260302", "--file", str(deaths)]

    [sent] = await run_client(*send)
    lines = await run_client(*consume(siquan_env, eligibility, "public_security"))
    [again] = await run_client(*send)

    report = sent["file_report"]
    assert [(r["line"], r["result"], r.get("reason")) for r in report["results"]] == [
        (2, "accepted", None), (3, "refused", "resident_id_invalid")]
    assert again == sent and resident not in json.dumps(report)
    accepted = lines[-1]["accepted"]
    assert accepted["type"] == "public_security.certification.ended.v1"
    assert accepted["body"] == {
        "pseudonym": pseudonym(siquan_env.pseudonym_key("public_security"), resident),
        "effective_from": "2026-04-01"}


async def test_an_agency_named_without_batches_reads_an_approval_one_message_a_person(
        siquan_env: Environment, eligibility: ServiceProcess, clock_path: Path,
        tmp_path: Path) -> None:
    """`SIQUAN_PARTNERS_WITHOUT_BATCHES` for an agency whose client reads no batches yet:
    the same approval reaches it one message a certification, and civil affairs, not
    named, in one batch."""
    variables = {**siquan_env.service_env("eligibility", port=free_port()),
                 "SIQUAN_CLOCK_FILE": str(clock_path),
                 "SIQUAN_PARTNERS_WITHOUT_BATCHES": '["social_security"]'}
    switched = ServiceProcess("eligibility", variables, tmp_path,
                              name="eligibility-without-batches").start()
    try:
        residents = [PEOPLE.next(), PEOPLE.next()]
        async with httpx.AsyncClient(base_url=switched.url, timeout=120.0) as http:
            desk = Desk(http, FileClock(clock_path))
            ids = [await desk.submit(resident) for resident in residents]
            notice = await desk.to_notice(ids)
            desk.advance_to(date.fromisoformat(notice["closes_on"]))
            for agency in ("social_security", "civil_affairs"):
                await purge(siquan_env, f"siquan.partner.{agency}.projection")
            await desk.approve_notice(notice["notice_id"])
        singly = await run_client(*consume(siquan_env, switched, "social_security")[:-1], "2")
        together = await run_client(*consume(siquan_env, switched, "civil_affairs")[:-1], "2")
    finally:
        switched.stop()

    alone = [line["accepted"] for line in singly]
    assert [(a["type"], a["batch"]) for a in alone] == [
        ("social_security.certification.started.v1", None)] * 2
    assert sorted(a["body"]["pseudonym"] for a in alone) == sorted(
        pseudonym(siquan_env.pseudonym_key("social_security"), r) for r in residents)
    batch = [line["accepted"] for line in together]
    assert batch[0]["batch"] == batch[1]["batch"] is not None
    assert sorted(a["body"]["pseudonym"] for a in batch) == sorted(
        pseudonym(siquan_env.pseudonym_key("civil_affairs"), r) for r in residents)
