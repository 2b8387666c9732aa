"""One payment as the bank sees it: what the payee's statement shows."""

from __future__ import annotations


def remittance(item: str, period: str, payment_id: str) -> str:
    """What the payee's bank statement shows; no personal data."""
    return f"siquan {item} {period} {payment_id}"
