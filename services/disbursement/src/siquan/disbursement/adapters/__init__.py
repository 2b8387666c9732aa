"""Disbursement's adapters: its PostgreSQL tables and the bank."""
