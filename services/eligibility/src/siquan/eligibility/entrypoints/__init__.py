"""Eligibility's entrypoints: the operator HTTP API."""
