"""Alembic environment for fund custody's own database."""

from siquan.shared.alembic_env import run_migrations

run_migrations()
