"""Disbursement refuses commands with the shared refusal types (mapped to 4xx)."""

from siquan.shared.errors import InvalidRequest, NotFound, OutOfScope, Refused

__all__ = ["InvalidRequest", "NotFound", "OutOfScope", "Refused"]
