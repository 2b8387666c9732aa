"""Eligibility's adapters: its PostgreSQL tables."""
