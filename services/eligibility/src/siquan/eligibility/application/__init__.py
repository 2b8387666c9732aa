"""Eligibility's use cases: one short function per command."""
