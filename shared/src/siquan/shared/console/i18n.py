"""The interface's locales and their message catalogues. Message ids are English; the
zh-CN catalogue translates them, and English needs none (a missing translation shows the
English id, never nothing)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from fastapi import Request

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
"""What the consoles speak, the default first."""
LANGUAGE_TAGS = {"zh_CN": "zh-CN", "en": "en"}
SHARED_CATALOGUE = Path(__file__).parent / "locale"


def _locale_of_tag(tag: str) -> str | None:
    """`zh`, `zh-CN`, `zh_Hans_CN`, `en-GB`... as one of `LOCALES`, or None."""
    language = tag.strip().replace("-", "_").split("_")[0].lower()
    return {"zh": "zh_CN", "en": "en"}.get(language)


def chosen_locale(request: Request) -> str:
    """`?lang=` wins, then the best of Accept-Language (by its q values), then zh-CN."""
    asked = request.query_params.get("lang")
    if asked and (locale := _locale_of_tag(asked)):
        return locale
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, params = part.partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if weight > 0 and (locale := _locale_of_tag(tag)):
            ranked.append((-weight, position, locale))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


@cache
def translations(catalogue: Path, locale: str, domain: str = "messages"
                 ) -> NullTranslations:
    """A service's catalogue for a locale, merged with the shared one (the base
    template's text); nothing for English, whose ids are the text."""
    own = Translations.load(str(catalogue), [locale], domain)
    shared = Translations.load(str(SHARED_CATALOGUE), [locale], "console")
    if isinstance(own, Translations) and isinstance(shared, Translations):
        own.merge(shared)
        return own
    return own if isinstance(own, Translations) else shared
