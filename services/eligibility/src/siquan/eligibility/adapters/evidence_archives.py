"""Reading an evidence archive: a ZIP of scans with `manifest.csv` at its root naming, row
by row, the application, the kind of document and the scan's path inside the archive
(`application_id,kind,file`; an optional `content_type` column, otherwise the type follows
the file's extension). Sizes are checked on the archive's directory before a file is read,
and no file is read past the limit, so a forged or bombed archive costs no more than the
limit per entry. Problems are reported by manifest row and column, never with the input."""

from __future__ import annotations

import csv
import io
import mimetypes
import posixpath
import re
import uuid
import zipfile
import zlib
from dataclasses import dataclass

from siquan.eligibility.domain.errors import InvalidRequest

MANIFEST = "manifest.csv"
MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]{0,63}/[A-Za-z0-9][\w.+-]{0,126}")
COLUMNS = ("application_id", "kind", "file")


@dataclass(frozen=True)
class ArchiveEntry:
    row: int
    application_id: str
    kind: str
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class EntryError:
    row: int
    field: str
    type: str
    msg: str

    def as_item(self) -> dict[str, str]:
        return {"field": f"manifest.row.{self.row}.{self.field}", "msg": self.msg,
                "type": self.type}


def read_archive(content: bytes, *, max_bytes: int, max_entries: int
                 ) -> tuple[list[ArchiveEntry], list[EntryError]]:
    """The manifest's entries with their files, and the rows that could not be read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, NotImplementedError,
            OSError, EOFError, RuntimeError, IndexError) as exc:
        raise InvalidRequest("the evidence archive is not a ZIP file") from exc
    with archive:
        try:
            manifest = _read(archive, archive.getinfo(MANIFEST), 4 * 1024 * 1024)
        except KeyError as exc:
            raise InvalidRequest(f"the evidence archive has no {MANIFEST}") from exc
        if manifest is None:
            raise InvalidRequest(f"the archive's {MANIFEST} is unreadable or too large")
        rows = _manifest(manifest)
        if len(rows) > max_entries:
            raise InvalidRequest(f"an evidence archive takes at most {max_entries} entries")
        files = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        entries: list[ArchiveEntry] = []
        errors: list[EntryError] = []
        for number, raw in rows:
            entry = _entry(archive, files, number, raw, max_bytes)
            if isinstance(entry, EntryError):
                errors.append(entry)
            else:
                entries.append(entry)
    return entries, errors


def _manifest(content: bytes) -> list[tuple[int, dict[str, str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"the archive's {MANIFEST} is not UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise InvalidRequest(f"the archive's {MANIFEST} is not valid CSV") from exc
    if missing := [c for c in COLUMNS if c not in header]:
        raise InvalidRequest(f"the archive's {MANIFEST} lacks the columns "
                             f"{', '.join(missing)}")
    reader.fieldnames = header
    try:
        return [(number, {k: (v or "").strip() for k, v in raw.items() if isinstance(k, str)
                          and isinstance(v, str)})
                for number, raw in enumerate(reader, start=2)
                if any(isinstance(v, str) and v.strip() for v in raw.values())]
    except csv.Error as exc:
        raise InvalidRequest(f"the archive's {MANIFEST} is not valid CSV") from exc


def _entry(archive: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo], number: int,
           raw: dict[str, str], max_bytes: int) -> ArchiveEntry | EntryError:
    try:
        application_id = str(uuid.UUID(raw["application_id"]))
    except ValueError:
        return EntryError(number, "application_id", "not_found", "no such application")
    kind = raw["kind"]
    if not kind or len(kind) > 64 or "\x00" in kind:
        return EntryError(number, "kind", "kind", "the kind is 1 to 64 characters")
    info = files.get(raw["file"].lstrip("/"))
    if info is None:
        return EntryError(number, "file", "missing", "the archive holds no such file")
    if info.file_size > max_bytes:
        return EntryError(number, "file", "too_large",
                          f"evidence files are at most {max_bytes} bytes")
    content = _read(archive, info, max_bytes)
    if content is None:
        return EntryError(number, "file", "unreadable",
                          f"the file is unreadable or over {max_bytes} bytes")
    if not content:
        return EntryError(number, "file", "empty", "the evidence file is empty")
    filename = posixpath.basename(info.filename).replace("\x00", "") or "evidence"
    content_type = (raw.get("content_type") or mimetypes.guess_type(filename)[0]
                    or "application/octet-stream")
    if not MEDIA_TYPE.fullmatch(content_type):
        return EntryError(number, "content_type", "content_type",
                          "the content type is not a media type such as application/pdf")
    return ArchiveEntry(number, application_id, kind, filename, content_type, content)


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """The file's bytes, or None when it is damaged, encrypted or larger than `limit`
    whatever its directory entry claims."""
    try:
        with archive.open(info) as stream:
            content = stream.read(limit + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError, OSError,
            EOFError, zlib.error):
        return None
    return None if len(content) > limit else content
