"""What every service's server-rendered pages share: a Jinja2 environment that escapes
everything it is given, the interface text through gettext catalogues (Babel) in zh-CN
with English as the second locale, the base template and stylesheet, and the static files
served by the service itself (no CDN: an office network may reach nothing else).

A service builds one `Console` with its own template folder and message catalogue, mounts
`console.static_app()` at `STATIC_PATH`, and renders pages with `console.render(request,
"page.html", **context)`: the locale is chosen per request (`?lang=`, then
Accept-Language, then zh-CN).

Catalogues: the `.po` files are the source; their compiled `.mo` files are committed next
to them (so a deployment needs no build step) and a test fails when a `.mo` no longer
matches its `.po`. After changing text: `make messages` extracts, updates and compiles.
"""

from siquan.shared.console.i18n import DEFAULT_LOCALE, LOCALES, chosen_locale, translations
from siquan.shared.console.rendering import STATIC_PATH, Console

__all__ = ["DEFAULT_LOCALE", "LOCALES", "STATIC_PATH", "Console", "chosen_locale",
           "translations"]
