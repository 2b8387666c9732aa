"""The consoles' shared frame: the locale chosen per request, every compiled catalogue in
step with its source, and values escaped by the templates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from fastapi import FastAPI
from starlette.requests import Request

from siquan.shared.console import Console, chosen_locale
from siquan.shared.console.rendering import SHARED_STATIC

REPO = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(path for root in ("shared", "services")
                    for path in (REPO / root).glob("**/src/siquan/**/LC_MESSAGES/*.po"))


def request(query: bytes = b"", accept_language: str = "", app: FastAPI | None = None
            ) -> Request:
    scope = {"type": "http", "method": "GET", "path": "/p", "query_string": query,
             "headers": [(b"accept-language", accept_language.encode())]}
    return Request({**scope, "app": app} if app else scope)


@pytest.mark.parametrize(("query", "header", "locale"), [
    (b"", "", "zh_CN"),
    (b"", "en-US,en;q=0.9", "en"),
    (b"", "fr-FR, en;q=0.5, zh-CN;q=0.8", "zh_CN"),
    (b"", "zh-Hans-CN", "zh_CN"),
    (b"lang=en", "zh-CN", "en"),
    (b"lang=zh-CN", "en", "zh_CN"),
    (b"lang=xx", "en;q=bad, de", "zh_CN"),
])
def test_the_locale_is_the_query_then_accept_language_then_chinese(
        query: bytes, header: str, locale: str) -> None:
    assert chosen_locale(request(query, header)) == locale


def test_there_are_catalogues() -> None:
    assert {p.stem for p in CATALOGUES} >= {"console", "messages"}


@pytest.mark.parametrize("source", CATALOGUES, ids=lambda p: str(p.relative_to(REPO)))
def test_each_compiled_catalogue_matches_its_source_and_translates_everything(
        source: Path) -> None:
    with source.open("rb") as po, source.with_suffix(".mo").open("rb") as mo:
        written, compiled = read_po(po), read_mo(mo)
    wanted = dict(_pair(m) for m in written if m.id and not m.fuzzy)
    assert all(all(forms) for forms in wanted.values()), (
        "untranslated: run `make messages` and translate the .po")
    assert dict(_pair(m) for m in compiled if m.id) == wanted, (
        "the .mo is stale: run `make messages`")


def _pair(message: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A message's id and translation, each as its forms (one, or a plural's several)."""
    def forms(value: str | Sequence[str]) -> tuple[str, ...]:
        return (value,) if isinstance(value, str) else tuple(value)
    return forms(message.id), forms(message.string)


def test_values_are_escaped_and_the_frame_links_the_local_stylesheet(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        '{% extends "console/base.html" %}{% block title %}{{ name }}{% endblock %}'
        "{% block content %}<p>{{ _('Hello %(who)s', who=name) }}</p>{% endblock %}")
    console = Console(tmp_path, tmp_path / "locale")

    page = console.render(request(), "page.html", name="<script>alert(1)</script>")
    body = bytes(page.body).decode()

    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'lang="zh-CN"' in body and "跳到正文" in body
    assert '<link rel="stylesheet" href="/console-static/console.css">' in body
    assert "cdn" not in body.lower() and (SHARED_STATIC / "console.css").is_file()


def test_times_read_in_the_office_zone(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<p>{{ local(at) }}|{{ local(text) }}|{{ local(none) }}</p>")
    console = Console(tmp_path, tmp_path / "locale")
    values = {"at": datetime(2026, 11, 24, 16, 5, tzinfo=UTC),
              "text": "2026-11-03T02:00:00+00:00", "none": None}

    beijing = bytes(console.render(request(), "page.html", **values).body).decode()
    app = FastAPI()
    app.state.office_zone = ZoneInfo("Asia/Urumqi")
    urumqi = bytes(console.render(request(app=app), "page.html", **values).body).decode()

    assert beijing == "<p>2026-11-25 00:05|2026-11-03 10:00|</p>"  # the default zone
    assert urumqi == "<p>2026-11-24 22:05|2026-11-03 08:00|</p>"
