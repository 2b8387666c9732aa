"""Oversight's adapters: its PostgreSQL tables (audit log, chain head, projections)."""
