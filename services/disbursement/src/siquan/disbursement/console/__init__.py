"""The disbursement officer's console pages: `install(app)` serves them under
`/console/disbursement`."""

from siquan.disbursement.console.pages import install

__all__ = ["install"]
