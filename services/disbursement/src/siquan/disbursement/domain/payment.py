"""One payment as the bank sees it: what the payee's statement shows."""

from __future__ import annotations

import uuid
from hashlib import sha1

INSTRUCTION_KEYS = uuid.UUID("6f1d3c0e-5b7a-5e2c-9a44-2a1f6c3d8e10")
"""The namespace of instruction keys (fixed: a key must come out the same on any
instance, in any year, from a restored database too)."""
_NAMESPACE = INSTRUCTION_KEYS.bytes
_VARIANT = {digit: "89ab"[int(digit, 16) & 0x3] for digit in "0123456789abcdef"}
"""A hex digit with RFC 4122's variant bits (10xx) set: the first of the clock sequence.
The version (5) is the first digit of the third group."""


def remittance(item: str, period: str, payment_id: str) -> str:
    """What the payee's bank statement shows; no personal data."""
    return f"siquan {item} {period} {payment_id}"


def instruction_key(person_key: str, program_code: str, period: str, item: str,
                    earlier: int) -> str:
    """The key the bank pays an instruction once under: the payable amount (the person,
    the program, the period and the item) and how many orders of it were written before
    this one. Only one order of a payable amount is live at a time, so every earlier one
    moved no money (failed, cancelled or returned) and a retry of it gets a key of its own;
    but a run started again after its database was restored from a backup that predates
    it writes the same orders with the same number before them, so its payments carry the
    keys the bank already holds, whatever their payment ids, and nothing is paid twice."""
    # `uuid.uuid5(INSTRUCTION_KEYS, name)` spelled out on the digest's hex digits: a chunk
    # computes ten thousand
    name = f"{person_key}|{program_code}|{period}|{item}|{earlier}".encode()
    h = sha1(_NAMESPACE + name, usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"
