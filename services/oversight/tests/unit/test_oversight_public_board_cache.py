"""The notice board's pages kept by an instance: served while the board has not changed,
forgotten at a change, never kept from a read that a change overtook, nothing kept while
not listening, and no page older than its age limit or labelled by another catalogue."""

from __future__ import annotations

from siquan.oversight.public.adapters.board_cache import BoardCache

KEY = (False, None, None, 50, 0, "2026-11-03")
CATALOGUE = object()


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def listening(max_age: float = 30.0, ticks: Ticks | None = None) -> BoardCache:
    cache = BoardCache(max_age=max_age, clock=ticks or Ticks())
    cache.listening = True
    return cache


def keep(cache: BoardCache, version: int | None = None, key: object = KEY,
         notices: tuple[str, ...] = ("n-1",)) -> None:
    data = {"notices": [{"notice_id": n} for n in notices]}
    cache.keep(key, cache.version if version is None else version, data, b"{}", CATALOGUE)


def test_a_kept_page_is_served_until_the_board_changes() -> None:
    cache = listening()
    keep(cache)

    served = cache.get(KEY, CATALOGUE)
    cache.changed()

    assert served is not None and served.data["notices"] == [{"notice_id": "n-1"}]
    assert cache.get(KEY, CATALOGUE) is None


def test_a_page_read_before_a_change_is_not_kept() -> None:
    cache = listening()
    read_at = cache.version
    cache.changed()  # a notice recorded while the page was being read

    keep(cache, read_at)

    assert cache.get(KEY, CATALOGUE) is None


def test_after_a_change_the_page_read_anew_is_served() -> None:
    cache = listening()
    keep(cache, notices=("n-1",))
    cache.changed()
    keep(cache, notices=("n-1", "n-2"))

    served = cache.get(KEY, CATALOGUE)

    assert served is not None
    assert [n["notice_id"] for n in served.data["notices"]] == ["n-1", "n-2"]


def test_nothing_is_kept_while_not_listening() -> None:
    cache = BoardCache()
    keep(cache)
    assert cache.get(KEY, CATALOGUE) is None

    cache.listening = True
    keep(cache)
    cache.listening = False  # the listening connection lost: changes may go unheard

    assert cache.get(KEY, CATALOGUE) is None


def test_a_page_is_not_served_past_its_age_nor_with_another_catalogue() -> None:
    ticks = Ticks()
    cache = listening(max_age=5.0, ticks=ticks)
    keep(cache)

    assert cache.get(KEY, object()) is None  # a published policy version relabels
    keep(cache)
    ticks.now += 5.0
    assert cache.get(KEY, CATALOGUE) is not None
    ticks.now += 0.1
    assert cache.get(KEY, CATALOGUE) is None


def test_pages_of_other_days_filters_and_pages_are_kept_apart() -> None:
    cache = listening()
    other_day = (*KEY[:-1], "2026-11-04")
    keep(cache, notices=("today",))
    keep(cache, key=other_day, notices=("tomorrow",))

    today, tomorrow = cache.get(KEY, CATALOGUE), cache.get(other_day, CATALOGUE)

    assert today is not None and today.data["notices"] == [{"notice_id": "today"}]
    assert tomorrow is not None and tomorrow.data["notices"] == [{"notice_id": "tomorrow"}]


def test_the_least_recently_served_pages_go_first() -> None:
    cache = BoardCache(max_pages=2)
    cache.listening = True
    keys = [(*KEY[:-2], offset, KEY[-1]) for offset in (0, 50, 100)]
    keep(cache, key=keys[0])
    keep(cache, key=keys[1])
    cache.get(keys[0], CATALOGUE)
    keep(cache, key=keys[2])

    assert cache.get(keys[1], CATALOGUE) is None
    assert cache.get(keys[0], CATALOGUE) is not None
    assert cache.get(keys[2], CATALOGUE) is not None
