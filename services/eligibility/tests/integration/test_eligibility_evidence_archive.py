"""A township's scans filed as one archive (`POST /evidence/batch`) on the real database:
kept as single uploads are (downloadable, counted by approval), re-sent without being
kept twice, and refused whole with every bad entry named when one is wrong."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest

from siquan.shared.testing.facts import evidence_file
from siquan.shared.testing.residents import ResidentFactory
from siquan.tools.desk import (
    AUDITOR,
    Desk,
    evidence_archive,
    required_documents,
)

pytestmark = pytest.mark.integration
Snapshot = Callable[[], Awaitable[dict[str, Any]]]
TOWNSHIP, OTHER_TOWNSHIP = "420117001", "420117002"
CLERK_1, REVIEWER_1 = "clerk-420117001-01", "reviewer-420117001-01"
CLERK_2 = "clerk-420117002-01"
PEOPLE = ResidentFactory("420117", birth_year=1961)


async def _applications(desk: Desk, count: int, *, officer: str = CLERK_1,
                        division: str = TOWNSHIP) -> list[str]:
    return [await desk.submit(PEOPLE.next(), officer=officer, division_code=division,
                              evidence=False) for _ in range(count)]


async def test_an_archive_files_every_document_and_approval_counts_them(
        desk: Desk, snapshot: Snapshot) -> None:
    ids = await _applications(desk, 3)
    documents = required_documents((i, "special_assistance", "death") for i in ids)
    archive = evidence_archive(documents)
    filed = (await desk.file_evidence_archive(archive, officer=CLERK_1)).json()
    assert (filed["entries"], filed["stored"], filed["already_on_file"]) == (6, 6, 0)
    before = await snapshot()
    again = (await desk.file_evidence_archive(archive, officer=REVIEWER_1)).json()
    assert (again["stored"], again["already_on_file"]) == (0, 6)
    assert [e["evidence_id"] for e in again["evidence"]] == [
        e["evidence_id"] for e in filed["evidence"]]
    assert await snapshot() == before
    first = filed["evidence"][0]
    download = await desk.call("GET", f"/evidence/{first['evidence_id']}", AUDITOR,
                               expect=200)
    _, content, content_type = evidence_file(first["kind"])
    assert download.content == content and download.headers["content-type"] == content_type
    assert download.headers["x-content-sha256"] == hashlib.sha256(content).hexdigest()
    shown = await desk.show(ids[0])
    assert sorted(e["kind"] for e in shown["evidence"]) == sorted(
        d[1] for d in documents if d[0] == ids[0])
    notice = await desk.to_notice(ids, division=TOWNSHIP, reviewer=REVIEWER_1,
                                  recorder=CLERK_1)
    desk.advance_to(date.fromisoformat(notice["closes_on"]))
    approved = (await desk.approve_notice(notice["notice_id"])).json()
    assert sorted(c["application_id"] for c in approved["certified"]) == sorted(ids)


async def test_an_archive_with_bad_entries_is_refused_whole_with_each_named(
        desk: Desk, snapshot: Snapshot) -> None:
    [mine] = await _applications(desk, 1)
    [theirs] = await _applications(desk, 1, officer=CLERK_2, division=OTHER_TOWNSHIP)
    scan = b"%PDF-1.4 scan"
    archive = evidence_archive([
        (mine, "household_register", "王秀英_户口簿.pdf", scan),
        (theirs, "household_register", "hukou.pdf", scan),
        (str(uuid.uuid4()), "household_register", "hukou.pdf", scan),
        (mine, "wedding_photo", "photo.pdf", scan),
        (mine, "child_death_certificate", "empty.pdf", b"")])
    before = await snapshot()
    refused = await desk.file_evidence_archive(archive, officer=CLERK_1, expect=422)
    auditor = await desk.file_evidence_archive(archive, officer=AUDITOR, expect=403)
    broken = await desk.file_evidence_archive(b"PK\x03\x04 not really", officer=CLERK_1,
                                              expect=422)
    assert await snapshot() == before
    errors = refused.json()["errors"]
    assert [(e["field"], e["type"]) for e in errors] == [
        ("manifest.row.3.application_id", "out_of_scope"),
        ("manifest.row.4.application_id", "not_found"),
        ("manifest.row.5.kind", "kind"),
        ("manifest.row.6.file", "empty")]
    assert "王秀英" not in refused.text and "nothing was filed" in refused.json()["detail"]
    assert auditor.status_code == 403 and "ZIP" in broken.json()["detail"]
