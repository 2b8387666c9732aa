"""The treasury officer's console pages: `install(app)` serves them under
`/console/treasury`."""

from siquan.fund_custody.console.pages import install

__all__ = ["install"]
