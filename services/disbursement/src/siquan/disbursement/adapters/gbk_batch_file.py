"""The fixed-width GBK batch file county banks take for 代发 (payroll-style bulk payment),
and the results and statement files they answer with. The layout, with byte offsets, is
documented in docs/BANK_FILES.md; this module is its only implementation.

A file is a header record, detail records and a trailer record, each of a fixed length in
bytes and ended by CR LF. Text is GBK: a Chinese character takes 2 bytes, so widths and
padding are counted in bytes after encoding, and a text too long is cut before the
character that would not fit (a character is never split). The account holder's name (户名)
must be GBK whole: a name with a character GBK has no code for is refused
(`UnencodableText`; registration refuses it first, `gbk_refusal`), since the bank would pay
against another name; in other texts such a character is written as `?`.

The trailer repeats the control totals (count and sum in fen) and carries a keyed digest:
HMAC-SHA256, with the key this county shares with its bank, over every byte before the
digest. `read_file` refuses (`EditedFile`) a file whose digest or control totals do not
hold, before any record in it is used.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

ENCODING = "gbk"
EOL = b"\r\n"
Kind = Literal["PAY", "RES", "STM"]
"""Instructions to pay, the bank's results, the bank's statement of settled payments."""


class EditedFile(ValueError):
    """A bank file whose digest or control totals do not hold: refused as a whole."""


class MalformedFile(ValueError):
    """A bank file that does not follow the layout."""


class UnencodableText(MalformedFile):
    """A text that must be written whole in GBK has a character GBK has no code for."""


NAME_REFUSED = ("the account holder's name has a character the bank's file encoding "
                "(GBK) has no code for; register the name as the bank holds it")


def gbk_refusal(text: str) -> str | None:
    """Why `text` cannot be the holder's name in a GBK file (None: it can). The reason
    names neither the text nor its characters."""
    try:
        text.encode(ENCODING)
    except UnicodeEncodeError:
        return NAME_REFUSED
    return None


@dataclass(frozen=True)
class Field:
    name: str
    width: int
    kind: Literal["ascii", "number", "text"]
    """`ascii`: left-aligned, space-padded; `number`: right-aligned, zero-padded digits;
    `text`: GBK, left-aligned, space-padded by bytes, truncated on a character boundary."""
    whole: bool = False
    """A `text` every character of which must be GBK (`UnencodableText` otherwise)."""


def _layout(*fields: Field) -> tuple[Field, ...]:
    return fields


HEADER = _layout(Field("record_type", 1, "ascii"), Field("kind", 3, "ascii"),
                 Field("batch", 64, "ascii"), Field("count", 8, "number"),
                 Field("total_fen", 15, "number"))
TRAILER_TOTALS = _layout(Field("record_type", 1, "ascii"), Field("count", 8, "number"),
                         Field("total_fen", 15, "number"))
DIGEST_WIDTH = 64
DETAILS: dict[str, tuple[Field, ...]] = {
    "PAY": _layout(Field("record_type", 1, "ascii"), Field("payment_id", 36, "ascii"),
                   Field("bank_code", 12, "ascii"), Field("account_number", 30, "ascii"),
                   Field("name", 40, "text", whole=True), Field("amount_fen", 15, "number"),
                   Field("remittance", 60, "text")),
    "RES": _layout(Field("record_type", 1, "ascii"), Field("payment_id", 36, "ascii"),
                   Field("account_number", 30, "ascii"), Field("amount_fen", 15, "number"),
                   Field("outcome", 1, "ascii"), Field("bank_reference", 40, "ascii"),
                   Field("reason", 60, "text")),
    "STM": _layout(Field("record_type", 1, "ascii"), Field("payment_id", 36, "ascii"),
                   Field("account_number", 30, "ascii"), Field("amount_fen", 15, "number"),
                   Field("bank_reference", 40, "ascii"), Field("value_date", 8, "number")),
}


def width(fields: Sequence[Field]) -> int:
    return sum(f.width for f in fields)


def fit_gbk(text: str, size: int, *, whole: bool = False) -> bytes:
    """`text` in GBK in exactly `size` bytes: cut before the first character that would not
    fit, then padded with spaces. A character GBK cannot encode becomes `?`, or with
    `whole` refuses the text (`UnencodableText`, naming no character)."""
    if whole and gbk_refusal(text) is not None:
        raise UnencodableText(NAME_REFUSED)
    out = bytearray()
    for char in text:
        encoded = char.encode(ENCODING, errors="replace")
        if len(out) + len(encoded) > size:
            break
        out += encoded
    return bytes(out).ljust(size, b" ")


def _encode(fields: Sequence[Field], values: dict[str, object]) -> bytes:
    out = bytearray()
    for f in fields:
        value = values[f.name]
        if f.kind == "number":
            digits = str(value)
            if not digits.isdigit() or len(digits) > f.width:
                raise MalformedFile(f"{f.name} does not fit {f.width} digits")
            out += digits.rjust(f.width, "0").encode("ascii")
        elif f.kind == "ascii":
            raw = str(value).encode("ascii")
            if len(raw) > f.width:
                raise MalformedFile(f"{f.name} longer than {f.width} bytes")
            out += raw.ljust(f.width, b" ")
        else:
            out += fit_gbk(str(value), f.width, whole=f.whole)
    return bytes(out)


def _decode(fields: Sequence[Field], record: bytes) -> dict[str, str]:
    if len(record) != width(fields):
        raise MalformedFile(f"a {record[:1]!r} record of {len(record)} bytes, "
                            f"expected {width(fields)}")
    values, at = {}, 0
    for f in fields:
        raw = record[at:at + f.width]
        at += f.width
        try:
            text = raw.decode("ascii" if f.kind != "text" else ENCODING)
        except UnicodeDecodeError as exc:
            raise MalformedFile(f"{f.name} is not valid {f.kind}") from exc
        if f.kind == "number" and not text.isdigit():
            raise MalformedFile(f"{f.name} is not a number")
        values[f.name] = text.rstrip(" ")
    return values


@dataclass(frozen=True)
class BankFile:
    kind: Kind
    batch: str
    details: list[dict[str, str]]
    """Each detail record's fields as text (numbers as digits, text without padding)."""

    @property
    def total_fen(self) -> int:
        return sum(int(d["amount_fen"]) for d in self.details)


def digest(key: bytes, signed: bytes) -> str:
    return hmac.new(key, signed, hashlib.sha256).hexdigest()


def write_file(kind: Kind, batch: str, details: Sequence[dict[str, object]],
               key: bytes) -> bytes:
    """The whole file: header, details, trailer with control totals and digest."""
    total = sum(int(str(d["amount_fen"])) for d in details)
    records = [_encode(HEADER, {"record_type": "H", "kind": kind, "batch": batch,
                                "count": len(details), "total_fen": total})]
    records += [_encode(DETAILS[kind], {"record_type": "D", **d}) for d in details]
    body = b"".join(r + EOL for r in records)
    totals = _encode(TRAILER_TOTALS, {"record_type": "T", "count": len(details),
                                      "total_fen": total})
    return body + totals + digest(key, body + totals).encode("ascii") + EOL


def read_file(content: bytes, key: bytes, *, kind: Kind) -> BankFile:
    """The file's records once its digest and control totals hold (`EditedFile`
    otherwise; `MalformedFile` for one that does not follow the layout)."""
    if not content.endswith(EOL):
        raise MalformedFile("the file does not end with CR LF")
    records = content[:-len(EOL)].split(EOL)
    if len(records) < 2:
        raise MalformedFile("no header and trailer")
    trailer = records[-1]
    if len(trailer) != width(TRAILER_TOTALS) + DIGEST_WIDTH:
        raise MalformedFile("the trailer is not the trailer's length")
    signed = content[:len(content) - len(EOL) - DIGEST_WIDTH]
    if not hmac.compare_digest(trailer[-DIGEST_WIDTH:], digest(key, signed).encode("ascii")):
        raise EditedFile("the digest does not match the file: it was edited or not signed "
                         "with this bank's key")
    header = _decode(HEADER, records[0])
    totals = _decode(TRAILER_TOTALS, trailer[:-DIGEST_WIDTH])
    if header["record_type"] != "H" or totals["record_type"] != "T":
        raise MalformedFile("the first record is not a header or the last not a trailer")
    if header["kind"] != kind:
        raise MalformedFile(f"a {header['kind']} file where a {kind} file was expected")
    details = [_decode(DETAILS[kind], r) for r in records[1:-1]]
    if any(d["record_type"] != "D" for d in details):
        raise MalformedFile("a record between header and trailer is not a detail")
    found = BankFile(kind, header["batch"], details)
    control = {(int(header["count"]), int(header["total_fen"])),
               (int(totals["count"]), int(totals["total_fen"]))}
    if control != {(len(details), found.total_fen)}:
        raise EditedFile("the control totals do not match the detail records")
    return found
