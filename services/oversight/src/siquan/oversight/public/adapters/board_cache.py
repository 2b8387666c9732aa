"""The notice board's pages as last read, kept by each instance so the public's requests do
not read and shape the board again each time.

The board changes only when a notice is recorded (`NoticePublished`, `NoticeClosed`): the
unit that records it sends a NOTIFY on `CHANNEL` in its transaction, heard by every
instance once it commits, and each instance forgets its pages. A page read while a change
was heard is not kept (it is kept under the version it was read at, which is then past).
While an instance is not listening (starting, or its listening connection lost) it keeps
nothing and every request reads the board. A page is also kept no longer than `max_age`
seconds (a bound on what a change made around the recording units would leave shown), and
is keyed by the day it was read for (what is in force changes at midnight) and by the
policy catalogue it was labelled with (a published version renames)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import asyncpg

from siquan.shared.database import Connection

log = logging.getLogger(__name__)

CHANNEL = "siquan_public_board"


async def board_changed(conn: Connection) -> None:
    """Tell every instance, once this transaction commits, that the board changed."""
    await conn.execute(f"NOTIFY {CHANNEL}")


@dataclass(frozen=True)
class Page:
    data: dict[str, Any]
    """What the page shows (shared by every request served from it: never changed)."""
    json: bytes
    """`data` as the JSON answer."""
    catalogue: object
    """The policy catalogue the page was labelled with."""
    kept_at: float


class BoardCache:
    def __init__(self, pool: Callable[[], asyncpg.Pool] | None = None, *,
                 max_age: float = 30.0, max_pages: int = 256, check_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._pool, self.max_age, self.max_pages = pool, max_age, max_pages
        self._check_seconds, self._clock = check_seconds, clock
        self._pages: OrderedDict[Hashable, tuple[int, Page]] = OrderedDict()
        self.version = 0
        """Moves on at every change heard: a page read under an older one is not kept."""
        self.listening = False

    def changed(self, *_: Any) -> None:
        """The board changed (a NOTIFY was heard, or changes may have gone unheard)."""
        self.version += 1
        self._pages.clear()

    def get(self, key: Hashable, catalogue: object) -> Page | None:
        found = self._pages.get(key)
        if found is None or not self.listening:
            return None
        version, page = found
        if (version != self.version or page.catalogue is not catalogue
                or self._clock() - page.kept_at > self.max_age):
            del self._pages[key]
            return None
        self._pages.move_to_end(key)
        return page

    def keep(self, key: Hashable, version: int, data: dict[str, Any], json: bytes,
             catalogue: object) -> None:
        """Keep a page read under `version` (nothing if the board changed since)."""
        if not self.listening or version != self.version:
            return
        self._pages[key] = (version, Page(data, json, catalogue, self._clock()))
        self._pages.move_to_end(key)
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)

    async def follow(self) -> None:
        """Listen for changes on a connection of the pool until it is lost (then raise, to
        be restarted): pages are kept only while listening."""
        assert self._pool is not None
        lost = asyncio.Event()
        # A connection held open to LISTEN, never a transaction: no unit of work's business.
        async with self._pool().acquire() as conn:
            conn.add_termination_listener(lambda *_: lost.set())
            await conn.add_listener(CHANNEL, self.changed)
            self.changed()
            self.listening = True
            try:
                while not conn.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), self._check_seconds)
            finally:
                self.listening = False
                self.changed()
                if not conn.is_closed():
                    await conn.remove_listener(CHANNEL, self.changed)
        raise ConnectionError("the notice board's listening connection was lost")
