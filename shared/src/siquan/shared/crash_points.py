"""Named points where a process can be made to die (SIGKILL, no clean-up), for fault
campaigns: `SIQUAN_CRASH_AT=<point>` kills the process the first time it reaches the point,
`SIQUAN_CRASH_AT=<point>:<n>` the n-th time. Unset (every deployment), `reached` costs a
dictionary lookup.

The points are where a crash could lose or repeat work if the design were wrong:
- `consumer.mid_batch`: a batch of messages handled, its transaction not yet committed;
- `consumer.after_commit`: a batch committed, its messages not yet acknowledged;
- `relay.before_publish`: outbox rows claimed, nothing published yet;
- `relay.after_publish`: outbox rows published and confirmed, not yet marked published;
- `payer.after_bank`: the bank has answered a chunk, the answer not yet recorded;
- `payer.after_record`: a chunk's results recorded, the transaction not yet committed;
- `audit.after_append`: oversight's chain entries written, the transaction not yet
  committed.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "SIQUAN_CRASH_AT"
COMMON = ("consumer.mid_batch", "consumer.after_commit", "relay.before_publish",
          "relay.after_publish")
"""The points of every service."""
BY_SERVICE: dict[str, tuple[str, ...]] = {
    "eligibility": COMMON,
    "fund_custody": COMMON,
    "disbursement": (*COMMON, "payer.after_bank", "payer.after_record"),
    "oversight": (*COMMON, "audit.after_append"),
}
POINTS = frozenset(p for points in BY_SERVICE.values() for p in points)

_armed: tuple[str, int] | None = None
_parsed = False
_seen = 0


def _arm() -> tuple[str, int] | None:
    value = os.environ.get(VARIABLE, "").strip()
    if not value:
        return None
    point, _, nth = value.partition(":")
    if point not in POINTS:
        raise ValueError(f"{VARIABLE}: unknown crash point {point!r}")
    return point, max(int(nth or "1"), 1)


def reached(point: str) -> None:
    """Die here when this is the armed point's n-th arrival."""
    global _armed, _parsed, _seen
    if not _parsed:
        _armed, _parsed = _arm(), True
    if _armed is None or _armed[0] != point:
        return
    _seen += 1
    if _seen >= _armed[1]:
        os.kill(os.getpid(), signal.SIGKILL)
