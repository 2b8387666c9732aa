"""The auditor's console pages: `install(app)` serves them under `/console/audit`."""

from siquan.oversight.console.pages import install

__all__ = ["install"]
