"""Filing a township's scans as one archive: every document checked and kept as a single
upload keeps it, all or nothing, each bad entry named by manifest row without repeating
the archive's content, and sending the same archive twice stores nothing new."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from dataclasses import replace

import pytest

from siquan.eligibility.application import intake, reviews
from siquan.eligibility.domain.errors import InvalidRequest
from siquan.eligibility.testing import (
    OTHER_TOWNSHIP_CLERK,
    REVIEWER,
    TOWNSHIP_CLERK,
    Cycle,
)

SCAN = b"%PDF-1.4\n% scan\n"


def _archive(rows: list[tuple[str, str, str]], files: dict[str, bytes] | None = None
             ) -> bytes:
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(["application_id", "kind", "file"])
    writer.writerows(rows)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", manifest.getvalue())
        for path, content in (files if files is not None
                              else {r[2]: SCAN + r[1].encode() for r in rows}).items():
            archive.writestr(path, content)
    return out.getvalue()


def _both(application_id: str) -> list[tuple[str, str, str]]:
    return [(application_id, "household_register", f"{application_id}/户口簿.pdf"),
            (application_id, "child_death_certificate", f"{application_id}/death.pdf")]


async def _township_application(cycle: Cycle) -> str:
    return await cycle.submit(by=TOWNSHIP_CLERK, division_code="420117001", evidence=False)


async def test_every_document_is_kept_as_a_single_upload_keeps_it(cycle: Cycle) -> None:
    first, second = [await _township_application(cycle) for _ in range(2)]
    done = await cycle.run(intake.file_evidence_archive, intake.FileEvidenceArchive(
        TOWNSHIP_CLERK, _archive(_both(first) + _both(second))))
    assert (done.result["entries"], done.result["stored"]) == (4, 4)
    by_id = {e["evidence_id"]: e for e in done.result["evidence"]}
    assert set(by_id) == set(cycle.store.evidence)
    kept = cycle.store.evidence[done.result["evidence"][0]["evidence_id"]]
    assert kept["application_id"] == first and kept["kind"] == "household_register"
    assert kept["filename"] == "户口簿.pdf" and kept["content_type"] == "application/pdf"
    assert kept["content"] == SCAN + b"household_register"
    assert kept["by"] == TOWNSHIP_CLERK.id and kept["sha256"] == by_id[kept["evidence_id"]][
        "sha256"]
    async with cycle.unit() as uow:
        on_file = await uow.evidence.kinds_on_file([first, second])
    assert on_file[second] == {"household_register", "child_death_certificate"}


async def test_sending_the_same_archive_again_stores_nothing_new(cycle: Cycle) -> None:
    application_id = await _township_application(cycle)
    archive = _archive(_both(application_id))
    first = await cycle.run(intake.file_evidence_archive,
                            intake.FileEvidenceArchive(TOWNSHIP_CLERK, archive))
    again = await cycle.run(intake.file_evidence_archive,
                            intake.FileEvidenceArchive(TOWNSHIP_CLERK, archive))
    assert len(cycle.store.evidence) == 2
    assert (again.result["stored"], again.result["already_on_file"]) == (0, 2)
    assert [e["evidence_id"] for e in again.result["evidence"]] == [
        e["evidence_id"] for e in first.result["evidence"]]


async def test_bad_entries_are_named_by_row_and_nothing_is_filed(cycle: Cycle) -> None:
    good, other, ended = [await _township_application(cycle) for _ in range(3)]
    outside = await cycle.submit(by=OTHER_TOWNSHIP_CLERK, division_code="420117002",
                                 evidence=False)
    await cycle.community_review([ended])
    await cycle.run(reviews.review, reviews.ReviewApplications(
        REVIEWER, reviews.Verdicts([], {ended: "not an only child"})))
    rows = [(good, "household_register", "张三.pdf"),              # row 2: fine
            (str(uuid.uuid4()), "household_register", "a.pdf"),    # 3: unknown
            (outside, "household_register", "b.pdf"),              # 4: another township
            (ended, "household_register", "c.pdf"),                # 5: rejected
            (other, "wedding_photo", "d.pdf"),                     # 6: kind not asked for
            (other, "household_register", "张三_missing.pdf"),      # 7: not in the archive
            (other, "household_register", "empty.pdf"),            # 8: empty
            ("张三 420117195801010011", "household_register", "a.pdf")]  # 9: not an id
    files = {"张三.pdf": SCAN, "a.pdf": SCAN, "b.pdf": SCAN, "c.pdf": SCAN, "d.pdf": SCAN,
             "empty.pdf": b""}
    before = cycle.snapshot()
    with pytest.raises(InvalidRequest, match="nothing was filed") as refused:
        await cycle.run(intake.file_evidence_archive,
                        intake.FileEvidenceArchive(TOWNSHIP_CLERK, _archive(rows, files)))
    errors = refused.value.errors or []
    assert [(e["field"], e["type"]) for e in errors] == [
        ("manifest.row.3.application_id", "not_found"),
        ("manifest.row.4.application_id", "out_of_scope"),
        ("manifest.row.5.application_id", "not_live"),
        ("manifest.row.6.kind", "kind"),
        ("manifest.row.7.file", "missing"),
        ("manifest.row.8.file", "empty"),
        ("manifest.row.9.application_id", "not_found")]
    assert "张三" not in repr(errors) and "420117195801010011" not in repr(errors)
    assert cycle.snapshot() == before


async def test_a_file_over_the_limit_is_refused_before_it_is_read(cycle: Cycle) -> None:
    cycle.terms = replace(cycle.terms, evidence_max_bytes=64)
    application_id = await _township_application(cycle)
    rows = [(application_id, "household_register", "big.pdf")]
    with pytest.raises(InvalidRequest) as refused:
        await cycle.run(intake.file_evidence_archive, intake.FileEvidenceArchive(
            TOWNSHIP_CLERK, _archive(rows, {"big.pdf": b"x" * 65})))
    assert refused.value.errors == [{"field": "manifest.row.2.file", "type": "too_large",
                                     "msg": "evidence files are at most 64 bytes"}]
    assert cycle.store.evidence == {}


async def test_a_content_type_that_is_not_a_media_type_is_refused(cycle: Cycle) -> None:
    application_id = await _township_application(cycle)
    manifest = ("application_id,kind,file,content_type\n"
                f"{application_id},household_register,a.pdf,application/pdf\n"
                f"{application_id},child_death_certificate,b.pdf,\"text/html\x00<b>\"\n")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("manifest.csv", manifest)
        archive.writestr("a.pdf", SCAN)
        archive.writestr("b.pdf", SCAN)
    with pytest.raises(InvalidRequest) as refused:
        await cycle.run(intake.file_evidence_archive,
                        intake.FileEvidenceArchive(TOWNSHIP_CLERK, out.getvalue()))
    assert [e["field"] for e in refused.value.errors or []] == ["manifest.row.3.content_type"]
    assert "<b>" not in repr(refused.value.errors) and cycle.store.evidence == {}


@pytest.mark.parametrize(("content", "reason"), [
    (b"not a zip", "not a ZIP"),
    (b"PK\x05\x06" + bytes(18), "names no documents|manifest"),
    (_archive([], {"scan.pdf": SCAN}), "names no documents"),
])
async def test_an_unreadable_archive_is_refused(cycle: Cycle, content: bytes, reason: str
                                                ) -> None:
    with pytest.raises(InvalidRequest, match=reason):
        await cycle.run(intake.file_evidence_archive,
                        intake.FileEvidenceArchive(TOWNSHIP_CLERK, content))


async def test_an_archive_without_a_manifest_is_refused(cycle: Cycle) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("scan.pdf", SCAN)
    with pytest.raises(InvalidRequest, match=r"no manifest\.csv"):
        await cycle.run(intake.file_evidence_archive,
                        intake.FileEvidenceArchive(TOWNSHIP_CLERK, out.getvalue()))
