"""The connection type the adapters accept: a plain connection or one lent by the pool."""

from siquan.shared.database import Connection

__all__ = ["Connection"]
