"""The GBK 代发 batch file: fixed widths counted in GBK bytes (2 for a Chinese character),
names cut on a character boundary, and a file refused as a whole once edited."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from siquan.disbursement.adapters.gbk_batch_file import (
    DETAILS,
    EOL,
    HEADER,
    NAME_REFUSED,
    TRAILER_TOTALS,
    EditedFile,
    Field,
    MalformedFile,
    UnencodableText,
    digest,
    fit_gbk,
    gbk_refusal,
    read_file,
    width,
    write_file,
)

KEY = b"a-key-shared-with-the-county-bank"


def detail(name: str, amount_fen: int = 21_000, account: str = "622202000000010001"
           ) -> dict[str, object]:
    return {"payment_id": str(uuid.uuid4()), "bank_code": "ABC", "account_number": account,
            "name": name, "amount_fen": amount_fen, "remittance": "城乡低保 2031-05"}


def records(content: bytes) -> list[bytes]:
    return content[:-len(EOL)].split(EOL)


@pytest.mark.parametrize(("name", "size"), [("欧阳娜娜", 8), ("张三", 4),
                                            ("朱镕基", 6),  # 镕: in GBK, not in GB2312
                                            ("Ali", 3)])
def test_a_chinese_character_takes_two_bytes_and_padding_is_by_bytes(name: str,
                                                                     size: int) -> None:
    field = fit_gbk(name, 40)

    assert len(field) == 40
    assert field[:size].decode("gbk") == name
    assert field[size:] == b" " * (40 - size)


def test_the_name_field_sits_at_its_documented_byte_offset() -> None:
    content = write_file("PAY", "run-0", [detail("欧阳娜娜")], KEY)

    record = records(content)[1]
    assert len(record) == width(DETAILS["PAY"]) == 194
    assert record[79:119].decode("gbk").rstrip() == "欧阳娜娜"
    assert record[119:134] == b"000000000021000"
    assert len(records(content)[0]) == width(HEADER) == 91
    assert len(records(content)[-1]) == width(TRAILER_TOTALS) + 64 == 88


def test_a_rare_character_keeps_its_two_gbk_bytes_even_when_one_is_ascii_range() -> None:
    # 镕 is E9 46 in GBK: its second byte is an ASCII 'F', which must not be cut or read
    # as a character of its own
    content = write_file("PAY", "run-0", [detail("朱镕基")], KEY)

    found = read_file(content, KEY, kind="PAY")

    assert found.details[0]["name"] == "朱镕基"
    assert "镕".encode("gbk")[1:] == b"F"


def test_a_name_too_long_is_cut_before_the_character_that_would_not_fit() -> None:
    # twenty 欧 fill the 40 bytes exactly; 阳 does not fit
    name = "欧" * 20 + "阳"
    assert fit_gbk(name, 40) == ("欧" * 20).encode("gbk")
    odd = "A" + "张" * 20  # 1 + 19×2 = 39 bytes fit; half of the 20th 张 must not be written
    cut = fit_gbk(odd, 40)
    assert cut == ("A" + "张" * 19).encode("gbk") + b" "
    assert cut.decode("gbk").rstrip() == "A" + "张" * 19


def test_a_character_gbk_cannot_encode_is_written_as_a_question_mark() -> None:
    assert fit_gbk("李䶮", 6) == "李".encode("gbk") + b"?" + b"   "


def test_a_file_read_back_holds_what_was_written() -> None:
    written = [detail("欧阳娜娜", 21_000), detail("张三", 36_550), detail("朱镕基", 1)]
    content = write_file("PAY", "run-7-0-abc", written, KEY)

    found = read_file(content, KEY, kind="PAY")

    assert found.batch == "run-7-0-abc" and found.total_fen == 57_551
    assert [(d["payment_id"], d["name"], int(d["amount_fen"])) for d in found.details] == [
        (w["payment_id"], w["name"], w["amount_fen"]) for w in written]


def test_an_edited_amount_is_refused_by_the_digest() -> None:
    content = write_file("PAY", "run-0", [detail("张三", 21_000)], KEY)
    edited = content.replace(b"000000000021000", b"000000000091000", 1)
    assert edited != content

    with pytest.raises(EditedFile, match="digest"):
        read_file(edited, KEY, kind="PAY")


def test_an_edited_account_is_refused_by_the_digest() -> None:
    content = write_file("PAY", "run-0", [detail("张三")], KEY)

    with pytest.raises(EditedFile):
        read_file(content.replace(b"622202000000010001", b"622202000000099999"), KEY,
                  kind="PAY")


def test_a_file_signed_with_another_key_is_refused() -> None:
    content = write_file("PAY", "run-0", [detail("张三")], b"someone-elses-key-0000")

    with pytest.raises(EditedFile):
        read_file(content, KEY, kind="PAY")


def test_a_dropped_line_re_signed_without_new_totals_is_refused_by_the_control_totals(
        ) -> None:
    # whoever holds the key and drops a line but leaves the header's totals is still caught
    content = write_file("PAY", "run-0", [detail("张三"), detail("欧阳娜娜")], KEY)
    lines = records(content)
    body = EOL.join([lines[0], lines[1]]) + EOL
    totals = lines[-1][:24]
    forged = body + totals + digest(KEY, body + totals).encode() + EOL

    with pytest.raises(EditedFile, match="control totals"):
        read_file(forged, KEY, kind="PAY")


def test_a_results_file_is_not_taken_for_instructions() -> None:
    content = write_file("RES", "run-0", [], KEY)

    with pytest.raises(MalformedFile):
        read_file(content, KEY, kind="PAY")


def test_the_documented_layout_is_the_one_written() -> None:
    docs = (Path(__file__).resolve().parents[4] / "docs" / "BANK_FILES.md").read_text("utf-8")
    layouts = {"### Header": HEADER, "### Instruction detail": DETAILS["PAY"],
               "### Result detail": DETAILS["RES"], "### Statement detail": DETAILS["STM"],
               "### Trailer": (*TRAILER_TOTALS, Field("digest", 64, "ascii"))}
    for heading, fields in layouts.items():
        section = docs.split(heading, 1)[1].split("###", 1)[0]
        rows = re.findall(r"^\| (\d+) \| (\d+) \| `(\w+)` \| (\w+) \|", section, re.M)
        offsets = [sum(f.width for f in fields[:n]) for n in range(len(fields))]
        assert rows == [(str(at), str(f.width), f.name, f.kind)
                        for at, f in zip(offsets, fields, strict=True)], heading
        assert f"Length {sum(f.width for f in fields)} bytes" in section, heading


@pytest.mark.parametrize(("name", "size"), [
    ("王堃", 4), ("陶喆", 4), ("李赟", 4), ("张頔", 4), ("马犇", 4), ("周祎玥", 6),
    ("阿卜杜热合曼·买买提", 20),  # the middle dot is A1 A4 in GBK: two bytes as well
])
def test_real_names_with_rare_characters_are_written_whole_in_their_gbk_width(
        name: str, size: int) -> None:
    content = write_file("PAY", "run-0", [detail(name)], KEY)
    record = records(content)[1]

    assert len(name.encode("gbk")) == size
    assert record[79:79 + size].decode("gbk") == name
    assert record[79 + size:119] == b" " * (40 - size)
    assert read_file(content, KEY, kind="PAY").details[0]["name"] == name


def test_a_long_name_is_cut_to_forty_bytes_on_a_character_boundary() -> None:
    name = "买买提依明·阿卜杜热合曼·艾合买提江·吐尔逊"  # 23 characters, 46 bytes
    content = write_file("PAY", "run-0", [detail(name)], KEY)

    written = read_file(content, KEY, kind="PAY").details[0]["name"]
    assert written == name[:20] and len(written.encode("gbk")) == 40


@pytest.mark.parametrize("name", ["李䶮", "王㛃", "𠇔明"])
def test_a_name_with_a_character_gbk_has_no_code_for_is_refused_not_questioned(
        name: str) -> None:
    assert gbk_refusal(name) == NAME_REFUSED
    with pytest.raises(UnencodableText) as refused:
        write_file("PAY", "run-0", [detail("张三"), detail(name)], KEY)
    assert name[0] not in str(refused.value) and name[-1] not in str(refused.value)
    assert gbk_refusal("朱镕基") is None
